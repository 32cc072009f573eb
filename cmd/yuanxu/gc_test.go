package main

import (
	"runtime/debug"
	"testing"
)

// TestGCFlags: --gc-percent sets the collector's pace, unless GOGC is set
// in the environment, which wins (not parallel: the pace is the process's).
func TestGCFlags(t *testing.T) {
	before := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(before) })
	for _, c := range []struct {
		gogc string
		flag int
		want int
	}{
		{"", 400, 400},
		{"", 150, 150},
		{"200", 400, 100}, // GOGC wins: the pace set before is kept
	} {
		debug.SetGCPercent(100)
		gcFlags{GCPercent: c.flag}.apply(&env{getenv: func(k string) string {
			if k == "GOGC" {
				return c.gogc
			}
			return ""
		}})
		if got := debug.SetGCPercent(100); got != c.want {
			t.Errorf("GOGC=%q --gc-percent=%d: pace %d, want %d", c.gogc, c.flag, got, c.want)
		}
	}
}
