package app_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
)

// surge feeds a week of 2 GiB outbound hours and then judgedTx in hour 3
// of the eighth day, and runs the sweeps once the hour is complete.
func (s commerceSUT) surge(t *testing.T, serviceID string, judgedTx uint64) {
	t.Helper()
	const gib = uint64(1) << 30
	ctx := context.Background()
	tok := s.nodeToken(t)
	start := s.clock.Now().Truncate(24 * time.Hour).Add(24 * time.Hour)
	s.clock.Advance(start.Add(7*24*time.Hour + 4*time.Hour + time.Minute).Sub(s.clock.Now()))
	for d := 0; d <= 7; d++ {
		var samples []string
		for h := 0; h < 24 && (d < 7 || h <= 3); h++ {
			tx := 2 * gib
			if d == 7 && h == 3 {
				tx = judgedTx
			}
			samples = append(samples, sample(serviceID, start.Add(time.Duration(d*24+h)*time.Hour), 3600, gib, tx))
		}
		if _, err := s.a.IngestUsage(ctx, tok, batch(samples...)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.a.RunSweeps(ctx); err != nil {
		t.Fatal(err)
	}
}

// At the extreme level (20 × baseline and 100 GiB) the detector suspends
// that one service at once; below it, it only signals. An emergency
// measure nobody confirms lapses after compliance.emergency_confirm_hours
// (the service runs again, its term extended); a confirmed one stays and
// is noticed to the customer.
func TestEmergencySuspensionLapsesUnlessConfirmed(t *testing.T) {
	t.Parallel()
	const gib = uint64(1) << 30
	for _, c := range []struct {
		name             string
		tx               uint64
		extreme, confirm bool
	}{
		{"surge below the extreme level", 60 * gib, false, false},
		{"extreme, not confirmed", 200 * gib, true, false},
		{"extreme, confirmed", 200 * gib, true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newCommerceApp(t)
			ctx := context.Background()
			r, p := s.buyer(t, 100000)
			sv := s.buyService(t, p, "cs-nc-bw", "s1")
			other := s.buyService(t, p, "cs-nc-bw", "s1")
			s.surge(t, sv.ID, c.tx)
			officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
			ms, err := s.a.ComplianceMeasures(ctx, officer, r.view.ID, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := s.a.Service(ctx, p, sv.ID)
			if !c.extreme {
				if len(ms) != 0 || got.State != "active" {
					t.Fatalf("below the extreme level: measures %+v, service %s", ms, got.State)
				}
				return
			}
			if len(ms) != 1 || !ms[0].Emergency || ms[0].ServiceID != sv.ID || ms[0].ImposedBy != "detector" || ms[0].Notice != "none" ||
				got.State != "suspended" || ms[0].ConfirmBy.Sub(ms[0].CreatedAt) != 24*time.Hour {
				t.Fatalf("emergency: measures %+v, service %s", ms, got.State)
			}
			if o, _ := s.a.Service(ctx, p, other.ID); o.State != "active" {
				t.Fatalf("another service was suspended: %+v", o)
			}
			if c.confirm {
				s.clock.Advance(2 * time.Hour)
				_, p2 := s.buyer(t, 0)
				_, err := s.a.ConfirmEmergency(ctx, p2, ms[0].ID)
				wantKind(t, err, errs.NotFound) // a customer does not learn of it
				m, err := s.a.ConfirmEmergency(ctx, officer, ms[0].ID)
				if err != nil || m.ConfirmedBy != officer.AccountID || m.Notice != "pending" {
					t.Fatalf("confirm = %+v, %v", m, err)
				}
			}
			s.clock.Advance(25 * time.Hour)
			if err := s.a.RunSweeps(ctx); err != nil {
				t.Fatal(err)
			}
			m, _ := s.a.ComplianceMeasure(ctx, officer, ms[0].ID)
			got, _ = s.a.Service(ctx, p, sv.ID)
			if c.confirm {
				if m.State != string(compliance.MeasureInForce) || got.State != "suspended" {
					t.Fatalf("confirmed: %+v, service %s", m, got.State)
				}
				if auditCount(t, s.a.DB(), "compliance.emergency_confirmed") != 1 {
					t.Fatal("confirmation not audited")
				}
				return
			}
			if m.State != string(compliance.MeasureLapsed) || got.State != "active" || !got.ExpiresAt.After(sv.ExpiresAt.Add(24*time.Hour)) {
				t.Fatalf("lapsed: %+v, service %+v", m, got)
			}
			if auditCount(t, s.a.DB(), "compliance.emergency_suspended") != 1 || auditCount(t, s.a.DB(), "compliance.measure_lapsed") != 1 {
				t.Fatal("emergency steps not audited")
			}
			_, err = s.a.ConfirmEmergency(ctx, officer, ms[0].ID)
			wantCode(t, err, compliance.CodeMeasureBadState)
		})
	}
}
