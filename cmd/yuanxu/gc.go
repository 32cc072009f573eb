package main

import "runtime/debug"

// gcFlags set the Go garbage collector's pace for a serving process;
// shared by serve and bench, whose in-process server is what it measures.
type gcFlags struct {
	GCPercent int `name:"gc-percent" help:"The Go collector's GOGC: how far the heap grows past what is live before the next collection. Higher spends less CPU on collection and more memory under load (docs/BENCHMARKS.md); the GOGC environment variable, when set, wins. -1: off." default:"400" placeholder:"N"`
}

// apply sets the collector's pace unless GOGC is set in the environment.
func (f gcFlags) apply(e *env) {
	if e.getenv("GOGC") == "" {
		debug.SetGCPercent(f.GCPercent)
	}
}
