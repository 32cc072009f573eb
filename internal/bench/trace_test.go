package bench

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTraceWritesTicksAndRequests: a trace holds a tick for every interval
// the case ran, with the machine's CPU ticks summing to what /proc/stat
// counted, and every request with its start, latency and outcome.
func TestTraceWritesTicksAndRequests(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	tr := startTrace(&buf, SQLite, "portal", nil)
	var m measured
	start := time.Now()
	m.record(1, nil, start, 3*time.Millisecond)
	m.record(0, errors.New("refused"), start.Add(time.Millisecond), 1500*time.Microsecond)
	time.Sleep(4 * traceTick)
	if err := tr.finish(m); err != nil {
		t.Fatal(err)
	}
	var ticks, reqs []([]string)
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		f := strings.Split(l, ",")
		switch f[0] {
		case "tick":
			ticks = append(ticks, f)
		case "req":
			reqs = append(reqs, f)
		default:
			t.Errorf("a line of unknown kind: %q", l)
		}
	}
	if len(ticks) < 2 {
		t.Fatalf("%d ticks in %v, want one every %v", len(ticks), 4*traceTick, traceTick)
	}
	var cpu int64
	for _, f := range ticks {
		if len(f) != 13 || f[1] != SQLite || f[2] != "portal" {
			t.Fatalf("tick %q: want 13 fields of sqlite's portal", f)
		}
		for _, v := range f[4:9] {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				t.Fatalf("tick %q: CPU ticks %q", f, v)
			}
			cpu += n
		}
	}
	if cpu == 0 {
		t.Error("no CPU ticks counted over the trace: /proc/stat was not read")
	}
	want := [][]string{
		{"req", SQLite, "portal", strconv.FormatInt(start.UnixMicro(), 10), "3000", "1"},
		{"req", SQLite, "portal", strconv.FormatInt(start.Add(time.Millisecond).UnixMicro(), 10), "1500", "0"},
	}
	if len(reqs) != len(want) {
		t.Fatalf("requests %q, want %q", reqs, want)
	}
	for i := range want {
		if strings.Join(reqs[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("request %d: %q, want %q", i, reqs[i], want[i])
		}
	}
}
