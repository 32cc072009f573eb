package compliance

import (
	"time"
)

// DetectorConfig holds the traffic detector's parameters (configuration,
// issue 16): it fires when an hour's outbound customer traffic exceeds
// both Ratio × baseline and Floor bytes; at the extreme level (both
// ExtremeRatio × baseline and ExtremeFloor) it may suspend that one
// service at once as an emergency measure.
type DetectorConfig struct {
	Ratio        float64
	Floor        uint64
	ExtremeRatio float64
	ExtremeFloor uint64
	// History is how far back the baseline looks (7 days), MinHistory how
	// much data it needs before it judges at all (24 hours).
	History, MinHistory time.Duration
}

// DefaultDetector: 5 × baseline and 10 GiB; extreme 20 × and 100 GiB;
// a week of history, at least a day of it.
var DefaultDetector = DetectorConfig{Ratio: 5, Floor: 10 << 30, ExtremeRatio: 20, ExtremeFloor: 100 << 30,
	History: 7 * 24 * time.Hour, MinHistory: 24 * time.Hour}

// Hour is one hour's outbound customer-class bytes of one service.
type Hour struct {
	Start time.Time // truncated to the hour, UTC
	Bytes uint64
}

// Finding is what the detector says about one hour.
type Finding struct {
	Hour     time.Time
	Bytes    uint64
	Baseline uint64 // the largest value of the same hour of day in the history
	Fired    bool
	Extreme  bool
	// NoBaseline is set when there was not MinHistory of data before the
	// hour: the detector does not judge a new server's first day.
	NoBaseline bool
}

// Evaluate judges the hour starting at at against hours (any order,
// earlier hours of the same service; missing hours count as zero once the
// history has begun). The baseline is the largest value of the same hour
// of day over the previous History (so a nightly backup at 02:00 sets its
// own baseline), considered only after MinHistory of data.
func (c DetectorConfig) Evaluate(hours []Hour, at time.Time, bytes uint64) Finding {
	at = at.Truncate(time.Hour)
	f := Finding{Hour: at, Bytes: bytes}
	var first time.Time
	for _, h := range hours {
		if h.Start.Before(at) && (first.IsZero() || h.Start.Before(first)) {
			first = h.Start
		}
	}
	if first.IsZero() || at.Sub(first) < c.MinHistory {
		f.NoBaseline = true
		return f
	}
	for _, h := range hours {
		d := at.Sub(h.Start)
		if d <= 0 || d > c.History || d%(24*time.Hour) != 0 {
			continue
		}
		f.Baseline = max(f.Baseline, h.Bytes)
	}
	over := func(ratio float64, floor uint64) bool {
		return bytes > floor && float64(bytes) > ratio*float64(f.Baseline)
	}
	f.Fired = over(c.Ratio, c.Floor)
	f.Extreme = f.Fired && over(c.ExtremeRatio, c.ExtremeFloor)
	return f
}
