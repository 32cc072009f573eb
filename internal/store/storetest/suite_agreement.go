package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// runAgreement is the agreement tables' part of the conformance suite:
// versions, acceptances, the licence register and calendar overrides.
func runAgreement(t *testing.T, h Harness) {
	t.Run("BuiltinVersionStoredOnce", func(t *testing.T) { t.Parallel(); testAgreementBuiltinOnce(t, h.New(t)) })
	t.Run("OneEffectiveVersion", func(t *testing.T) { t.Parallel(); testAgreementOneEffective(t, h.New(t)) })
	t.Run("VersionUpdateIsCompareAndSet", func(t *testing.T) { t.Parallel(); testAgreementCAS(t, h.New(t)) })
	t.Run("InForceAndAcceptedBefore", func(t *testing.T) { t.Parallel(); testAgreementInForce(t, h.New(t)) })
	t.Run("LicenceNumbersUnique", func(t *testing.T) { t.Parallel(); testLicenceUnique(t, h.New(t)) })
	t.Run("CalendarOverrideNeedsSecondAdmin", func(t *testing.T) { t.Parallel(); testCalendarOverride(t, h.New(t)) })
}

// AgreementVersion is a factory: a version row in state, effective at eff
// (zero: not set).
func AgreementVersion(t testing.TB, db *store.DB, origin, state string, eff time.Time) store.AgreementVersionRow {
	t.Helper()
	now := time.Now()
	r := store.AgreementVersionRow{ID: id.NewAt(now), Origin: origin, Title: "t", Source: "---\n", SHA256: "abc", State: state,
		PreparedBy: "staff-1", CreatedAt: now, UpdatedAt: now, EffectiveAt: eff}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.AgreementVersionInsert(ctx, r)
		if err == nil && !ok {
			t.Fatalf("insert of %s version was a no-op", state)
		}
		return err
	})
	return r
}

func testAgreementBuiltinOnce(t *testing.T, db *store.DB) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	inserted := 0
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			now := time.Now()
			r := store.AgreementVersionRow{ID: id.NewAt(now), Origin: store.AgreementOriginBuiltin, Title: "d", Source: "x", SHA256: "s",
				State: "effective", PreparedBy: "system", CreatedAt: now, UpdatedAt: now, EffectiveAt: now}
			err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
				ok, err := tx.AgreementVersionInsert(ctx, r)
				if ok {
					mu.Lock()
					inserted++
					mu.Unlock()
				}
				return err
			})
			if err != nil {
				t.Errorf("insert: %v", err)
			}
		}()
	}
	wg.Wait()
	vs, err := store.AgreementVersions(context.Background(), db, store.AgreementVersionFilter{})
	if err != nil || len(vs) != 1 || inserted != 1 {
		t.Fatalf("versions = %d (inserted %d), %v; want exactly one builtin", len(vs), inserted, err)
	}
}

func testAgreementOneEffective(t *testing.T, db *store.DB) {
	AgreementVersion(t, db, store.AgreementOriginStaff, "effective", time.Now())
	now := time.Now()
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.AgreementVersionInsert(ctx, store.AgreementVersionRow{ID: id.NewAt(now), Origin: "staff", State: "effective",
			PreparedBy: "x", CreatedAt: now, UpdatedAt: now, EffectiveAt: now})
		if ok {
			t.Error("a second effective version was stored")
		}
		return err
	})
}

func testAgreementCAS(t *testing.T, db *store.DB) {
	v := AgreementVersion(t, db, store.AgreementOriginStaff, "draft", time.Time{})
	v.State, v.SignedOffBy, v.EffectiveAt = "scheduled", "staff-2", time.Now().Add(time.Hour)
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AgreementVersionUpdate(ctx, v, "draft") })
	err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error { return tx.AgreementVersionUpdate(ctx, v, "draft") })
	if !errors.Is(err, errs.ErrConflict) {
		t.Fatalf("second transition from draft: %v, want ErrConflict", err)
	}
	v.SignedOffBy = v.PreparedBy
	err = db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error { return tx.AgreementVersionUpdate(ctx, v, "scheduled") })
	if err == nil {
		t.Fatal("the preparer was stored as the signer")
	}
	got, err := store.AgreementVersionGet(context.Background(), db, v.ID)
	if err != nil || got.State != "scheduled" || got.SignedOffBy != "staff-2" || got.Source != "---\n" {
		t.Fatalf("stored = %+v, %v", got, err)
	}
	missing := v
	missing.ID = id.New()
	err = db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error { return tx.AgreementVersionUpdate(ctx, missing, "draft") })
	if !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("update of a missing version: %v, want ErrNotFound", err)
	}
}

func testAgreementInForce(t *testing.T, db *store.DB) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v1 := AgreementVersion(t, db, store.AgreementOriginBuiltin, "superseded", t0)
	v2 := AgreementVersion(t, db, store.AgreementOriginStaff, "effective", t0.Add(30*24*time.Hour))
	for _, c := range []struct {
		at   time.Time
		want string
	}{{t0.Add(-time.Hour), v1.ID}, {t0, v1.ID}, {t0.Add(30*24*time.Hour - time.Millisecond), v1.ID}, {t0.Add(31 * 24 * time.Hour), v2.ID}} {
		got, err := store.AgreementVersionInForce(ctx, db, c.at)
		if err != nil || got.ID != c.want {
			t.Errorf("in force at %v = %s, %v; want %s", c.at, got.ID, err, c.want)
		}
	}
	acc := func(v string, at time.Time) {
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			return tx.AcceptanceInsert(ctx, store.AcceptanceRow{ID: id.NewAt(at), AccountID: "acct-1", VersionID: v, SHA256: "abc",
				Acknowledged: []string{"3.2.1", "8"}, Occasion: store.OccasionRegistration, At: at, IPEnc: "sealed", IPMasked: "192.0.2.*", Channel: "web"})
		})
	}
	acc(v1.ID, t0.Add(time.Hour))
	if _, ok, err := store.AcceptanceLatestBefore(ctx, db, "acct-1", t0.Add(time.Hour)); ok || err != nil {
		t.Errorf("accepted strictly before its own instant: ok=%v %v", ok, err)
	}
	acc(v2.ID, t0.Add(40*24*time.Hour))
	for _, c := range []struct {
		at   time.Time
		want string
	}{{t0.Add(2 * time.Hour), v1.ID}, {t0.Add(35 * 24 * time.Hour), v1.ID}, {t0.Add(41 * 24 * time.Hour), v2.ID}} {
		got, ok, err := store.AcceptanceLatestBefore(ctx, db, "acct-1", c.at)
		if err != nil || !ok || got != c.want {
			t.Errorf("accepted before %v = %s ok=%v %v; want %s", c.at, got, ok, err, c.want)
		}
	}
	// A version accepted early governs only once it is in force: the
	// lookup steps over its acceptances, two of them at one instant, to
	// the one before.
	v3 := AgreementVersion(t, db, store.AgreementOriginStaff, "scheduled", t0.Add(60*24*time.Hour))
	acc(v3.ID, t0.Add(45*24*time.Hour))
	acc(v3.ID, t0.Add(45*24*time.Hour))
	if got, ok, err := store.AcceptanceLatestBefore(ctx, db, "acct-1", t0.Add(50*24*time.Hour)); err != nil || !ok || got != v2.ID {
		t.Errorf("accepted before a scheduled version's acceptances = %s ok=%v %v; want %s", got, ok, err, v2.ID)
	}
	rs, err := store.Acceptances(ctx, db, store.AcceptanceFilter{AccountID: "acct-1", VersionID: v2.ID})
	if err != nil || len(rs) != 1 || rs[0].VersionID != v2.ID || len(rs[0].Acknowledged) != 2 || rs[0].Acknowledged[1] != "8" {
		t.Fatalf("acceptances = %+v, %v", rs, err)
	}
}

func testLicenceUnique(t *testing.T, db *store.DB) {
	now := time.Now()
	l := store.LicenceRow{ID: id.NewAt(now), Type: "ip_vpn", Number: "A2.B1-20260001", Holder: "h", Scopes: []string{"domestic", "cross_border"},
		ProductKinds: []string{"vpn"}, ValidFrom: now, ValidUntil: now.Add(time.Hour), CreatedBy: "admin", CreatedAt: now, UpdatedAt: now}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.LicenceInsert(ctx, l) })
	dup := l
	dup.ID = id.NewAt(now)
	err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error { return tx.LicenceInsert(ctx, dup) })
	if !errors.Is(err, errs.ErrDuplicate) {
		t.Fatalf("duplicate licence number: %v", err)
	}
	l.RevokedAt = now
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.LicenceUpdate(ctx, l) })
	got, err := store.LicenceGet(context.Background(), db, l.ID)
	if err != nil || got.RevokedAt.IsZero() || len(got.Scopes) != 2 || got.Regions != nil {
		t.Fatalf("licence = %+v, %v", got, err)
	}
}

func testCalendarOverride(t *testing.T, db *store.DB) {
	now := time.Now()
	o := store.CalendarOverrideRow{ID: id.NewAt(now), Day: "2027-10-09", Working: true, Reason: "notice", ProposedBy: "admin-1", ProposedAt: now}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.CalendarOverrideInsert(ctx, o) })
	dup := o
	dup.ID = id.NewAt(now)
	if err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error { return tx.CalendarOverrideInsert(ctx, dup) }); !errors.Is(err, errs.ErrDuplicate) {
		t.Fatalf("second live override of a day: %v", err)
	}
	var self, other bool
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if self, err = tx.CalendarOverrideApprove(ctx, o.ID, "admin-1", now); err != nil {
			return err
		}
		other, err = tx.CalendarOverrideApprove(ctx, o.ID, "admin-2", now)
		return err
	})
	if self || !other {
		t.Fatalf("approve by proposer = %v, by another = %v", self, other)
	}
	c := store.CalendarConfirmationRow{ID: id.NewAt(now), Year: 2027, Notice: "国办发明电〔2026〕X号", ProposedBy: "admin-1", ProposedAt: now}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.CalendarConfirmationInsert(ctx, c) })
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.CalendarConfirmationApprove(ctx, c.ID, "admin-2", now)
		if !ok {
			t.Error("confirmation approval refused")
		}
		return err
	})
	os, err := store.CalendarOverrides(context.Background(), db)
	cs, err2 := store.CalendarConfirmations(context.Background(), db)
	if err != nil || err2 != nil || len(os) != 1 || os[0].ApprovedBy != "admin-2" || !os[0].Working || len(cs) != 1 || cs[0].ApprovedBy != "admin-2" {
		t.Fatalf("overrides = %+v %v; confirmations = %+v %v", os, err, cs, err2)
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.CalendarOverrideWithdraw(ctx, o.ID, now)
		if !ok {
			t.Error("withdraw refused")
		}
		return err
	})
}
