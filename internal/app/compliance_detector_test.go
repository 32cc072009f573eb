package app_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/account"
)

// TestTrafficDetectorOverMetering feeds labelled traces through usage
// ingestion and runs the sweep hour by hour with the sandbox clock: a real
// outbound surge opens a network_attack case attributed to the customer; a
// nightly 50 GiB backup does not; a new server's first day does not (no
// baseline yet); an inbound flood does not. Each hour is judged once.
func TestTrafficDetectorOverMetering(t *testing.T) {
	t.Parallel()
	const gib = uint64(1) << 30
	cases := []struct {
		name  string
		trace func(day, hour int) (rx, tx uint64) // days 0..7; day 7 hour 3 is the judged hour
		fires bool
	}{
		{"outbound surge", func(d, h int) (uint64, uint64) {
			if d == 7 && h == 3 {
				return gib, 60 * gib
			}
			return gib, 2 * gib
		}, true},
		{"nightly backup", func(d, h int) (uint64, uint64) {
			if h == 3 {
				return 0, 50 * gib
			}
			return gib, gib
		}, false},
		{"new server's first day", func(d, h int) (uint64, uint64) {
			if d < 7 {
				return 0, 0
			}
			if h == 3 {
				return 0, 60 * gib
			}
			return 0, gib
		}, false},
		{"inbound flood", func(d, h int) (uint64, uint64) {
			if d == 7 && h == 3 {
				return 500 * gib, gib
			}
			return gib, gib
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newCommerceApp(t)
			ctx := context.Background()
			r, p := s.buyer(t, 100000)
			sv := s.buyService(t, p, "cs-nc-bw", "s1")
			tok := s.nodeToken(t)
			start := s.clock.Now().Truncate(24 * time.Hour).Add(24 * time.Hour)
			s.clock.Advance(start.Add(7*24*time.Hour + 4*time.Hour + time.Minute).Sub(s.clock.Now()))
			for d := 0; d <= 7; d++ {
				var samples []string
				for h := 0; h < 24; h++ {
					if d == 7 && h > 3 {
						break
					}
					rx, tx := c.trace(d, h)
					if rx == 0 && tx == 0 {
						continue
					}
					samples = append(samples, sample(sv.ID, start.Add(time.Duration(d*24+h)*time.Hour), 3600, rx, tx))
				}
				if len(samples) == 0 {
					continue
				}
				if _, err := s.a.IngestUsage(ctx, tok, batch(samples...)); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < 2; i++ { // a second run judges nothing again
				if err := s.a.RunSweeps(ctx); err != nil {
					t.Fatal(err)
				}
			}
			officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
			cs, err := s.a.Cases(ctx, officer, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !c.fires {
				if len(cs) != 0 {
					t.Fatalf("cases = %+v", cs)
				}
				return
			}
			if len(cs) != 1 || cs[0].AccountID != r.view.ID || cs[0].ServiceID != sv.ID || cs[0].Rule != "network_attack" || cs[0].SignalCount != 1 {
				t.Fatalf("cases = %+v", cs)
			}
			full, err := s.a.Case(ctx, officer, cs[0].ID)
			if err != nil || full.Signals[0].Source != "traffic_detector" {
				t.Fatalf("case = %+v, %v", full, err)
			}
			// The open case blocks the customer's refunds.
			ids, err := s.a.OpenViolationCases(ctx, r.view.ID)
			if err != nil || len(ids) != 1 {
				t.Fatalf("open cases = %v, %v", ids, err)
			}
		})
	}
}
