package compliance

import (
	"testing"
	"time"
)

const gib = uint64(1) << 30

var day0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// trace is a labelled week of hourly outbound traffic and the hour to judge.
type trace struct {
	name   string
	hours  []Hour
	at     time.Time
	bytes  uint64
	fires  bool
	reason string
}

// steady is d days of hourly traffic at per bytes, with extra at one hour
// of every day.
func steady(days int, per uint64, extraHour int, extra uint64) []Hour {
	var out []Hour
	for h := 0; h < days*24; h++ {
		b := per
		if h%24 == extraHour {
			b = extra
		}
		out = append(out, Hour{Start: day0.Add(time.Duration(h) * time.Hour), Bytes: b})
	}
	return out
}

func TestDetectorLabelledTraces(t *testing.T) {
	t.Parallel()
	c := DefaultDetector
	week := day0.Add(7 * 24 * time.Hour)
	for _, tr := range []trace{
		{name: "a real outbound surge", hours: steady(7, 2*gib, -1, 0), at: week.Add(14 * time.Hour), bytes: 60 * gib, fires: true},
		{name: "the nightly 50 GiB backup", hours: steady(7, 1*gib, 2, 50*gib), at: week.Add(2 * time.Hour), bytes: 50 * gib, fires: false},
		{name: "a new server's first day", hours: steady(0, 0, -1, 0), at: day0.Add(20 * time.Hour), bytes: 80 * gib, fires: false},
		{name: "below the floor", hours: steady(7, 100<<20, -1, 0), at: week.Add(9 * time.Hour), bytes: 9 * gib, fires: false},
	} {
		// An inbound flood never reaches the detector: it reads outbound
		// customer traffic only (the app feeds it tx of customer class).
		f := c.Evaluate(tr.hours, tr.at, tr.bytes)
		if f.Fired != tr.fires {
			t.Errorf("%s: fired %v (baseline %d, no baseline %v), want %v", tr.name, f.Fired, f.Baseline, f.NoBaseline, tr.fires)
		}
	}
	// The new server: no baseline yet, so nothing is judged.
	if f := c.Evaluate(steady(1, gib, -1, 0)[:20], day0.Add(20*time.Hour), 500*gib); !f.NoBaseline || f.Fired {
		t.Errorf("first day: %+v", f)
	}
	// The extreme level: 20 × and 100 GiB.
	if f := c.Evaluate(steady(7, 2*gib, -1, 0), week.Add(3*time.Hour), 200*gib); !f.Extreme {
		t.Errorf("extreme: %+v", f)
	}
	if f := c.Evaluate(steady(7, 2*gib, -1, 0), week.Add(3*time.Hour), 60*gib); !f.Fired || f.Extreme {
		t.Errorf("not extreme: %+v", f)
	}
}

func TestStateMachinesAndSeparation(t *testing.T) {
	t.Parallel()
	if !CaseDetected.CanMove(CaseUnderReview) || CaseConfirmed.CanMove(CaseDismissed) || !CaseUnderReview.Open() || CaseDismissed.Open() {
		t.Error("case moves")
	}
	if !AppealUnderReview.CanMove(AppealOverturned) || AppealUpheld.CanMove(AppealOverturned) {
		t.Error("appeal moves")
	}
	if !MeasureBan.Above(MeasureSuspend) || MeasureRestrict.Above(MeasureSuspend) || Measure("x").Valid() {
		t.Error("ladder")
	}
	if CheckReviewer("a", "a") == nil || CheckReviewer("b", "a") != nil {
		t.Error("separation of duties")
	}
	for _, r := range Rules {
		if r.Clause() != "4.1" {
			t.Errorf("%s cites %s", r, r.Clause())
		}
	}
}
