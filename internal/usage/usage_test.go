package usage

import (
	"testing"
	"time"

	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
)

var t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func TestValidateRefusesBadSamples(t *testing.T) {
	t.Parallel()
	ok := Sample{ServiceID: "s", Start: t0, Seconds: 300, RxBytes: 10, TxBytes: 20, Class: Customer}
	if err := ok.Validate(t0.Add(time.Hour), "samples[0]"); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		edit  func(*Sample)
		field string
	}{
		"no service":    {func(s *Sample) { s.ServiceID = "" }, "samples[0].service_id"},
		"unknown class": {func(s *Sample) { s.Class = "other" }, "samples[0].class"},
		"zero seconds":  {func(s *Sample) { s.Seconds = 0 }, "samples[0].interval_seconds"},
		"two days":      {func(s *Sample) { s.Seconds = 2 * 86400 }, "samples[0].interval_seconds"},
		"future":        {func(s *Sample) { s.Start = t0.Add(2 * time.Hour) }, "samples[0].interval_start"},
		"absurd tx":     {func(s *Sample) { s.TxBytes = 300*MaxBytesPerSecond + 1 }, "samples[0].tx_bytes"},
		"no start":      {func(s *Sample) { s.Start = time.Time{} }, "samples[0].interval_start"},
	} {
		s := ok
		c.edit(&s)
		err := s.Validate(t0.Add(time.Hour), "samples[0]")
		if errs.CodeOf(err) != CodeSampleInvalid {
			t.Errorf("%s: %v", name, err)
			continue
		}
		found := false
		for _, f := range err.(*errs.Error).Fields {
			found = found || f.Field == c.field
		}
		if !found {
			t.Errorf("%s: fields %+v, want %s", name, err.(*errs.Error).Fields, c.field)
		}
	}
}

func TestBilledCountsCustomerTrafficInTheDirection(t *testing.T) {
	t.Parallel()
	s := Sample{ServiceID: "s", Start: t0, Seconds: 60, RxBytes: 100, TxBytes: 30, Class: Customer}
	for d, want := range map[catalog.Direction]uint64{catalog.DirectionTx: 30, catalog.DirectionRx: 100, catalog.DirectionLarger: 100, catalog.DirectionSum: 130} {
		if got := s.Billed(d); got != want {
			t.Errorf("%s: %d, want %d", d, got, want)
		}
	}
	for _, c := range []Class{Provider, Mitigated} {
		s.Class = c
		if s.Billed(catalog.DirectionSum) != 0 {
			t.Errorf("%s traffic billed", c)
		}
	}
}

func TestBilledAsOfIgnoresLaterIntervalsAndProratesAStraddle(t *testing.T) {
	t.Parallel()
	s := Sample{ServiceID: "s", Start: t0, Seconds: 100, TxBytes: 1 << 30, Class: Customer}
	for _, c := range []struct {
		at   time.Time
		want uint64
	}{
		{t0, 0},
		{t0.Add(-time.Second), 0},
		{t0.Add(25 * time.Second), 1 << 28},
		{t0.Add(100 * time.Second), 1 << 30},
		{t0.Add(time.Hour), 1 << 30},
	} {
		if got := s.BilledAsOf(catalog.DirectionTx, c.at); got != c.want {
			t.Errorf("as of %s: %d, want %d", c.at, got, c.want)
		}
	}
	// Exactly 2^30 and one byte more are told apart.
	a := Sample{ServiceID: "s", Start: t0, Seconds: 60, TxBytes: 1<<30 + 1, Class: Customer}
	if a.Billed(catalog.DirectionTx) <= 1<<30 || s.Billed(catalog.DirectionTx) != 1<<30 {
		t.Error("2^30 and 2^30+1")
	}
}

func TestAllowanceAndLevels(t *testing.T) {
	t.Parallel()
	const g = uint64(1) << 30
	a := Allowance{Quota: 100 * g, Packs: []Pack{
		{ID: "late", Bytes: 50 * g, From: t0, Until: t0.Add(30 * 24 * time.Hour), Purchased: t0.Add(time.Hour)},
		{ID: "early", Bytes: 20 * g, From: t0, Until: t0.Add(30 * 24 * time.Hour), Purchased: t0},
		{ID: "expired", Bytes: 999 * g, From: t0.Add(-60 * 24 * time.Hour), Until: t0.Add(-30 * 24 * time.Hour), Purchased: t0.Add(-60 * 24 * time.Hour)},
	}}
	at := t0.Add(24 * time.Hour)
	if got := a.Total(at); got != 170*g {
		t.Fatalf("total %d", got)
	}
	use := a.PackUse(130*g, at)
	if use["early"] != 20*g || use["late"] != 10*g || use["expired"] != 0 {
		t.Fatalf("pack use %v", use)
	}
	for _, c := range []struct {
		used, total uint64
		want        Level
	}{{0, 100, LevelOK}, {79, 100, LevelOK}, {80, 100, LevelWarning}, {99, 100, LevelWarning}, {100, 100, LevelExhausted}, {5, 0, LevelExhausted}} {
		if got := LevelOf(c.used, c.total); got != c.want {
			t.Errorf("LevelOf(%d, %d) = %d, want %d", c.used, c.total, got, c.want)
		}
	}
}
