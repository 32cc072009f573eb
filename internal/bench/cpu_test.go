package bench

import (
	"testing"
	"time"
)

func TestStatCPU(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, stat string
		want       time.Duration
		ok         bool
	}{
		{"backend", "4242 (postgres) S 2221 2221 2221 0 -1 4194560 1201 0 0 0 37 12 0 0 20 0 1 0 5051 229515264 4013 18446744073709551615",
			49 * clockTick, true},
		{"a name with spaces and a parenthesis", "7 (a) b) c) R 1 1 1 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0 1 1 1 1", 7 * clockTick, true},
		{"truncated", "9 (postgres) S 1 1 1", 0, false},
		{"not numbers", "9 (postgres) S 1 1 1 0 -1 0 0 0 0 0 x y 0 0", 0, false},
		{"no name", "garbage", 0, false},
	} {
		got, ok := statCPU([]byte(tc.stat))
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: statCPU = %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}

func TestProcCPUAdvances(t *testing.T) {
	t.Parallel()
	before := procCPU()
	x := 0
	for i := 0; i < 50_000_000; i++ {
		x += i % 7
	}
	if after := procCPU(); after <= before || x == 0 {
		t.Errorf("process CPU %v then %v after a busy loop; want it to grow", before, after)
	}
}
