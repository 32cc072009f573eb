package calendar

import (
	"slices"
	"time"
)

// Deadline is the end of a period of working days, as computed and shown.
//
// At is exclusive: the period is open while now.Before(At) and has passed
// from At on (see Passed). It is the close of Due, stored as the next day's
// 00:00 +08:00, so that "by the end of 2026-10-10" is one instant whatever
// the storage precision.
type Deadline struct {
	Received    Date      `json:"received"`     // civil day of receipt in Asia/Shanghai; not counted
	WorkingDays int       `json:"working_days"` // N
	Due         Date      `json:"due"`          // the Nth working day after Received
	At          time.Time `json:"at"`           // Due.Next().Start(): exclusive, in Asia/Shanghai
	Provisional bool      `json:"provisional"`  // a counted day's year is Imported or Missing
	Years       []int     `json:"years"`        // the years from Received to Due, ascending
}

// IsZero reports whether d was never computed.
func (d Deadline) IsZero() bool { return d.At.IsZero() }

// Passed reports whether the deadline has passed at t: t is at or after At.
func (d Deadline) Passed(t time.Time) bool { return !t.Before(d.At) }

// AddWorkingDays returns the deadline n working days after the instant from.
//
// The day of receipt is the civil date of from in Asia/Shanghai, whatever
// from's location, and is not counted (Civil Code art. 201), even when it is
// itself a working day; counting starts the next day. The deadline is the
// close of the nth working day. With n = 0 it is the close of the day of
// receipt. The result is Provisional when any counted day's answer was
// provisional (see IsWorkingDay); OnFallback is called once for each year
// without data among them. n < 0 panics: windows come from range-checked
// policy parameters. The cost is linear in n plus the holidays crossed.
func (c *Calendar) AddWorkingDays(from time.Time, n int) Deadline {
	if n < 0 {
		panic("calendar: AddWorkingDays with negative n")
	}
	received := DateOf(from)
	dl := Deadline{Received: received, WorkingDays: n, Due: received}
	var missing []int
	for d, left := received, n; left > 0; {
		d = d.Next()
		working, status, overridden := c.classify(d)
		if !overridden && status != Confirmed {
			dl.Provisional = true
			if status == Missing && !slices.Contains(missing, d.Year()) {
				missing = append(missing, d.Year())
			}
		}
		if working {
			left--
			dl.Due = d
		}
	}
	dl.At = dl.Due.Next().Start()
	for y := received.Year(); y <= dl.Due.Year(); y++ {
		dl.Years = append(dl.Years, y)
	}
	if c.onFallback != nil {
		for _, y := range missing {
			c.onFallback(y)
		}
	}
	return dl
}

// NeverShorten returns the deadline to show after a recomputation: a
// deadline already shown is never shortened (DESIGN.md §4). Both must be
// for the same receipt and number of working days.
//
// When recomputed ends no earlier than previous, or previous is zero (never
// shown), the result is recomputed; when recomputed is zero, previous. Otherwise it keeps previous's Due and At
// and takes the rest from recomputed: in particular Provisional, which now
// says whether a later recomputation may still move it (only later).
func NeverShorten(previous, recomputed Deadline) Deadline {
	if previous.IsZero() || !recomputed.At.Before(previous.At) {
		return recomputed
	}
	if recomputed.IsZero() {
		return previous
	}
	kept := recomputed
	kept.Due, kept.At = previous.Due, previous.At
	kept.Years = nil
	for y := kept.Received.Year(); y <= kept.Due.Year(); y++ {
		kept.Years = append(kept.Years, y)
	}
	return kept
}

// WithinWindow reports whether t lies in the hour window of length d that
// opens at start, end included: start ≤ t ≤ start+d. Hour windows (the 24 h
// refund and inspection windows) are exact instants, with no rounding to
// days or to Asia/Shanghai midnight. A negative d is an empty window.
func WithinWindow(start time.Time, d time.Duration, t time.Time) bool {
	return d >= 0 && !t.Before(start) && !t.After(start.Add(d))
}
