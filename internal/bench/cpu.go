package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// CPU accounting of a case (issue 19: where a checkout's time goes). The
// process's own CPU is everything in-process — the HTTP server, the use
// cases, SQLite, and the load generator too; the database's is the CPU of
// the PostgreSQL server's processes on this machine (nothing else runs
// them during a case). Both are read before and after the case, so they
// are totals over its wall time, divided per operation by the caller.

// cpuSample is the CPU used so far: this process's and PostgreSQL's.
type cpuSample struct {
	proc, db time.Duration
	ok       bool // the database's was readable (PostgreSQL on this machine)
}

// sampleCPU reads both; withDB reads PostgreSQL's too.
func sampleCPU(withDB bool) cpuSample {
	s := cpuSample{proc: procCPU()}
	if withDB {
		s.db, s.ok = postgresCPU()
	}
	return s
}

// procCPU is this process's user and system CPU time.
func procCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is the unit of /proc/<pid>/stat's CPU times (USER_HZ, 100 on
// every Linux build Debian ships).
const clockTick = 10 * time.Millisecond

// postgresCPU sums the user and system CPU of every process named
// postgres (the postmaster, its backends and helpers), from /proc. A
// backend that exits during a case takes its time with it; the server's
// connection pool keeps its backends for the whole case.
func postgresCPU() (time.Duration, bool) {
	dirs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil {
		return 0, false
	}
	var total time.Duration
	found := false
	for _, d := range dirs {
		comm, err := os.ReadFile(d + "/comm")
		if err != nil || string(bytes.TrimSpace(comm)) != "postgres" {
			continue
		}
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		if t, ok := statCPU(stat); ok {
			total += t
			found = true
		}
	}
	return total, found
}

// statCPU reads utime and stime (fields 14 and 15) from a /proc/<pid>/stat
// line; the command name (field 2) may hold spaces, so fields are counted
// from its closing parenthesis.
func statCPU(stat []byte) (time.Duration, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	f := bytes.Fields(stat[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	s, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(u+s) * clockTick, true
}
