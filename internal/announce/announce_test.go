package announce

import (
	"testing"
	"time"

	"yuanxu/internal/errs"
)

var t0 = time.Date(2026, 6, 10, 1, 0, 0, 0, time.FixedZone("CST", 8*3600))

func TestWindowValidation(t *testing.T) {
	t.Parallel()
	now := t0.Add(-80 * time.Hour)
	ok := Window{Start: t0, End: t0.Add(2 * time.Hour)}
	if err := ok.Validate(now, 72); err != nil {
		t.Fatal(err)
	}
	for name, w := range map[string]Window{
		"end before start": {Start: t0, End: t0},
		"in the past":      {Start: now.Add(-time.Hour), End: now.Add(time.Hour)},
		"short notice":     {Start: now.Add(24 * time.Hour), End: now.Add(26 * time.Hour)},
	} {
		if errs.CodeOf(w.Validate(now, 72)) != CodeWindowInvalid {
			t.Errorf("%s accepted", name)
		}
	}
	if err := (Window{Start: now.Add(time.Hour), End: now.Add(2 * time.Hour), Emergency: true}).Validate(now, 72); err != nil {
		t.Errorf("emergency work refused: %v", err)
	}
}

func TestNotifiedNeedsEmailOrSMSInTime(t *testing.T) {
	t.Parallel()
	w := Window{Start: t0, End: t0.Add(time.Hour)}
	by := t0.Add(-72 * time.Hour)
	for _, c := range []struct {
		name string
		ds   []Delivery
		want bool
	}{
		{"email exactly 72 h before", []Delivery{{"email", by}}, true},
		{"sms a second late", []Delivery{{"sms", by.Add(time.Second)}}, false},
		{"inbox only", []Delivery{{"inapp", by.Add(-time.Hour)}}, false},
		{"email bounced (no delivery)", []Delivery{{"email", time.Time{}}}, false},
		{"nothing", nil, false},
	} {
		if got := w.Notified(c.ds, 72); got != c.want {
			t.Errorf("%s: %v", c.name, got)
		}
	}
	em := Window{Start: t0, End: t0.Add(time.Hour), Emergency: true}
	if em.Notified([]Delivery{{"email", by.Add(-time.Hour)}}, 72) {
		t.Error("emergency work counted as notified")
	}
}

func TestClauseSevenExemptions(t *testing.T) {
	t.Parallel()
	down := 90 * time.Minute
	for _, c := range []struct {
		cause    Cause
		notified bool
		exempt   bool
		clause   string
	}{
		{CauseForceMajeure, false, true, "7.1"},
		{CauseCustomer, false, true, "7.2"},
		{CauseThirdParty, false, true, "7.4"},
		{CauseMaintenanceNotice, true, true, "7.3"},
		{CauseMaintenanceNotice, false, false, "7"},
		{CauseMaintenanceNoNotice, true, false, "7"},
		{CauseProviderFault, true, false, "7"},
	} {
		e := Judge(c.cause, c.notified, down)
		if e.Exempt != c.exempt || string(e.Clause) != c.clause || (!e.Exempt && e.Extension != down) || (e.Exempt && e.Extension != 0) {
			t.Errorf("%s notified=%v: %+v", c.cause, c.notified, e)
		}
	}
}

func TestProRataRoundsForTheCustomer(t *testing.T) {
	t.Parallel()
	start := t0
	end := start.Add(30 * 24 * time.Hour)
	if got := ProRata(3000, start, end, start.Add(10*24*time.Hour)); got != 2000 {
		t.Errorf("two thirds left: %d", got)
	}
	if got := ProRata(1000, start, end, start.Add(time.Hour)); got != 999 { // 1000×719/720 = 998.6 → 999
		t.Errorf("rounding: %d", got)
	}
	if ProRata(1000, start, end, end) != 0 || ProRata(1000, start, end, start.Add(-time.Hour)) != 1000 {
		t.Error("edges")
	}
}
