package bench

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"runtime/metrics"
	"strconv"
	"strings"
	"time"
)

// Tracing a case (Options.Trace, `yuanxu bench --trace FILE`): where a
// latency percentile moves between runs, the request that was slow has to
// be put on a clock beside what the machine was doing at that instant.
// The trace is CSV, one line per record, every line led by its kind:
//
//	req,<engine>,<case>,<start unix µs>,<latency µs>,<ok 1|0>
//	tick,<engine>,<case>,<unix µs>,<user>,<system>,<idle>,<iowait>,<steal>,<gc cycles>,<sched max µs>,<pg active>,<pg waits>
//
// A request's start is when it was issued (for the portal's fixed rate:
// when it was due). A tick covers the traceTick before its instant: the
// machine's CPU ticks from /proc/stat (USER_HZ, both cores summed), the Go
// runtime's completed GC cycles, the longest a goroutine waited to run
// (the upper bound of the highest bucket of runtime/metrics'
// /sched/latencies:seconds that grew), and, on PostgreSQL, how many
// backends were active and the wait events they reported, as
// pg_stat_activity shows them at the tick (";"-separated type:event=count).
// Nothing in the trace is asserted; it is read by hand.

// traceTick is the sampling interval of a trace.
const traceTick = 50 * time.Millisecond

// tracer writes one case's records to Options.Trace.
type tracer struct {
	w        io.Writer
	eng, cs  string
	db       *sql.DB // PostgreSQL server to read pg_stat_activity from; nil for none
	lines    []string
	stop     chan struct{}
	finished chan struct{}
}

// startTrace samples the machine every traceTick until finish.
func startTrace(w io.Writer, eng, cs string, db *sql.DB) *tracer {
	t := &tracer{w: w, eng: eng, cs: cs, db: db, stop: make(chan struct{}), finished: make(chan struct{})}
	go t.sample()
	return t
}

// finish stops sampling and writes the ticks, then m's requests.
func (t *tracer) finish(m measured) error {
	close(t.stop)
	<-t.finished
	bw := bufio.NewWriter(t.w)
	for _, l := range t.lines {
		bw.WriteString(l)
	}
	for _, e := range m.ev {
		ok := 1
		if e.failed {
			ok = 0
		}
		fmt.Fprintf(bw, "req,%s,%s,%d,%d,%d\n", t.eng, t.cs, e.at.UnixMicro(), e.d.Microseconds(), ok)
	}
	return bw.Flush()
}

func (t *tracer) sample() {
	defer close(t.finished)
	tk := time.NewTicker(traceTick)
	defer tk.Stop()
	prevCPU := readProcStat()
	ms := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/sched/latencies:seconds"}}
	metrics.Read(ms)
	prevGC, prevSched := gcCycles(ms[0]), schedCounts(ms[1])
	for {
		select {
		case <-t.stop:
			return
		case now := <-tk.C:
			cpu := readProcStat()
			metrics.Read(ms)
			gc, sched := gcCycles(ms[0]), schedCounts(ms[1])
			maxWait := 0.0
			if h := ms[1].Value; h.Kind() == metrics.KindFloat64Histogram {
				b := h.Float64Histogram().Buckets
				for i := len(sched) - 1; i >= 0; i-- {
					if i < len(prevSched) && sched[i] > prevSched[i] {
						maxWait = b[i+1]
						break
					}
				}
			}
			active, waits := t.pgWaits()
			var d [5]int64
			for i := range d {
				d[i] = cpu[i] - prevCPU[i]
			}
			t.lines = append(t.lines, fmt.Sprintf("tick,%s,%s,%d,%d,%d,%d,%d,%d,%d,%.0f,%d,%s\n", t.eng, t.cs, now.UnixMicro(),
				d[0], d[1], d[2], d[3], d[4], gc-prevGC, maxWait*1e6, active, waits))
			prevCPU, prevGC, prevSched = cpu, gc, sched
		}
	}
}

// readProcStat returns the machine's user (with nice), system (with irq
// and softirq), idle, iowait and steal ticks from /proc/stat's cpu line.
func readProcStat() [5]int64 {
	var r [5]int64
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return r
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return r
	}
	v := make([]int64, 8)
	for i := range v {
		v[i], _ = strconv.ParseInt(f[i+1], 10, 64)
	}
	// user nice system idle iowait irq softirq steal
	return [5]int64{v[0] + v[1], v[2] + v[5] + v[6], v[3], v[4], v[7]}
}

func gcCycles(s metrics.Sample) uint64 {
	if s.Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s.Value.Uint64()
}

func schedCounts(s metrics.Sample) []uint64 {
	if s.Value.Kind() != metrics.KindFloat64Histogram {
		return nil
	}
	return append([]uint64(nil), s.Value.Float64Histogram().Counts...)
}

// pgWaits reads pg_stat_activity: the backends not idle (other than this
// one) and their wait events.
func (t *tracer) pgWaits() (int, string) {
	if t.db == nil {
		return 0, ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), traceTick)
	defer cancel()
	rows, err := t.db.QueryContext(ctx, `SELECT backend_type, COALESCE(wait_event_type, 'cpu'), COALESCE(wait_event, ''), COUNT(*)
	 FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state IS DISTINCT FROM 'idle'
	  AND NOT (backend_type IN ('checkpointer', 'background writer', 'walwriter', 'autovacuum launcher', 'logical replication launcher') AND wait_event_type = 'Activity')
	 GROUP BY 1, 2, 3 ORDER BY 4 DESC`)
	if err != nil {
		return -1, "error"
	}
	defer rows.Close()
	var parts []string
	active := 0
	for rows.Next() {
		var bt, typ, ev string
		var n int
		if rows.Scan(&bt, &typ, &ev, &n) != nil {
			return -1, "error"
		}
		if bt == "client backend" {
			active += n
			bt = ""
		} else {
			bt += "/"
		}
		parts = append(parts, fmt.Sprintf("%s%s:%s=%d", bt, typ, ev, n))
	}
	return active, strings.Join(parts, ";")
}
