package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// testCheckoutReads: store.CheckoutReadsOf answers what the functions
// that read each part alone answer — the version in force, an open
// re-verification flag, the latest acceptance, the KYC profile, the
// licence register and each product with its plans — for an account
// with all of them and one with none, marks an acceptance of a version
// not yet in force unsettled, leaves an unknown product out, reads a
// product named twice once, and goes in one round trip on PostgreSQL.
func testCheckoutReads(t *testing.T, db *store.DB) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	v1 := AgreementVersion(t, db, store.AgreementOriginBuiltin, "effective", t0)
	buyer := KYCAccountFixture(t, db, "individual")
	bare := KYCAccountFixture(t, db, "individual")
	at := t0.Add(48 * time.Hour)
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.AcceptanceInsert(ctx, store.AcceptanceRow{ID: id.NewAt(t0), AccountID: buyer, VersionID: v1.ID, SHA256: "abc",
			Acknowledged: []string{"8"}, Occasion: store.OccasionRegistration, At: t0.Add(time.Hour), IPEnc: "sealed", IPMasked: "192.0.2.*",
			Channel: "web"}); err != nil {
			return err
		}
		if err := tx.ReverifyInsert(ctx, store.ReverifyRow{ID: id.NewAt(t0), AccountID: buyer, Reason: "case", CaseID: "c-1", FlaggedBy: "staff-1",
			FlaggedAt: t0.Add(2 * time.Hour)}); err != nil {
			return err
		}
		if err := tx.KYCProfilePut(ctx, store.KYCProfileRow{AccountID: buyer, State: "approved", Subject: "individual", UpdatedAt: t0}); err != nil {
			return err
		}
		if err := tx.LicenceInsert(ctx, store.LicenceRow{ID: id.NewAt(t0), Type: "idc", Number: "B1-20260001", Holder: "h",
			ProductKinds: []string{"cloud_server"}, ValidFrom: t0, ValidUntil: t0.Add(365 * 24 * time.Hour), CreatedBy: "admin", CreatedAt: t0,
			UpdatedAt: t0}); err != nil {
			return err
		}
		if err := tx.ProductPut(ctx, store.ProductRow{ID: "cr-p", Name: "p", Kind: "cloud_server", Spec: "{}", DeliverySLA: time.Minute,
			Driver: "manual", CreatedAt: t0, UpdatedAt: t0}); err != nil {
			return err
		}
		for i, pl := range []string{"cr-b", "cr-a"} {
			if err := tx.PlanPut(ctx, store.PlanRow{ID: pl, ProductID: "cr-p", Name: pl, Prices: "[]", Stock: int64(i), SortKey: int64(i)}, true); err != nil {
				return err
			}
		}
		return nil
	})

	read := func(account string, products ...string) store.CheckoutReads {
		t.Helper()
		cctx, n := store.CountStatements(ctx)
		r, err := store.CheckoutReadsOf(cctx, db, store.CheckoutReadsFilter{AccountID: account, Holder: account, ProductIDs: products, At: at})
		if err != nil {
			t.Fatalf("CheckoutReadsOf(%s): %v", account, err)
		}
		distinct := map[string]bool{}
		for _, p := range products {
			distinct[p] = true
		}
		reads := int64(5 + len(distinct))
		trips := reads
		if db.Engine() == store.Postgres {
			trips = 1
		}
		if n.Pool.Load() != reads || n.PoolTrips.Load() != trips {
			t.Errorf("%d reads in %d round trips, want %d in %d", n.Pool.Load(), n.PoolTrips.Load(), reads, trips)
		}
		return r
	}
	same := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %+v, read alone %+v", what, got, want)
		}
	}
	alone := func(account string, r store.CheckoutReads) {
		t.Helper()
		head, err := store.AgreementVersionHeadInForce(ctx, db, at)
		if err != nil || !r.HeadFound {
			t.Fatalf("head in force: %v (found together: %v)", err, r.HeadFound)
		}
		same("head", r.Head, head)
		flag, open, err := store.ReverifyOpen(ctx, db, account)
		if err != nil {
			t.Fatal(err)
		}
		same("re-verification flag", []any{r.Reverify, r.ReverifyOpen}, []any{flag, open})
		v, ok, err := store.AcceptanceLatestBefore(ctx, db, account, at)
		if err != nil || !r.AcceptanceSettled {
			t.Fatalf("acceptance: %v (settled together: %v)", err, r.AcceptanceSettled)
		}
		same("acceptance", []any{r.AcceptedVersion, r.Accepted}, []any{v, ok})
		kyc, err := store.KYCProfileGet(ctx, db, account)
		same("KYC profile", []any{r.KYC, r.KYCFound}, []any{kyc, err == nil})
		ls, err := store.Licences(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		same("licences", r.Licences, ls)
	}

	r := read(buyer, "cr-p", "no-such-product", "cr-p")
	alone(buyer, r)
	if !r.ReverifyOpen || !r.Accepted || r.AcceptedVersion != v1.ID || !r.KYCFound || len(r.Licences) != 1 {
		t.Errorf("the buyer's reads = %+v", r)
	}
	p, plans, err := store.ProductWithPlans(ctx, db, "cr-p")
	if err != nil {
		t.Fatal(err)
	}
	same("product", r.Products, map[string]store.ProductPlans{"cr-p": {Product: p, Plans: plans}})
	if len(plans) != 2 || plans[0].ID != "cr-b" {
		t.Errorf("plans = %+v, want cr-b then cr-a by sort key", plans)
	}

	r = read(bare)
	alone(bare, r)
	if r.ReverifyOpen || r.Accepted || r.AcceptedVersion != "" || r.KYCFound || len(r.Products) != 0 {
		t.Errorf("an account with nothing: %+v", r)
	}

	// An acceptance of a version that takes effect after at is stepped
	// over by AcceptanceLatestBefore, not by the batch: unsettled.
	v2 := AgreementVersion(t, db, store.AgreementOriginStaff, "scheduled", at.Add(24*time.Hour))
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		return tx.AcceptanceInsert(ctx, store.AcceptanceRow{ID: id.NewAt(t0), AccountID: buyer, VersionID: v2.ID, SHA256: "abc",
			Acknowledged: []string{"8"}, Occasion: store.OccasionRegistration, At: at.Add(-time.Minute), IPEnc: "sealed", IPMasked: "192.0.2.*",
			Channel: "web"})
	})
	if r = read(buyer); r.AcceptanceSettled || r.Accepted || r.AcceptedVersion != "" {
		t.Errorf("an acceptance of a version not yet in force: settled=%v accepted=%v %q", r.AcceptanceSettled, r.Accepted, r.AcceptedVersion)
	}
}
