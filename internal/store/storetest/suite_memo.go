package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// runMemo: a transaction reads an order or a service once (an order it
// inserted, not at all); what a later read in it answers must be exactly
// what the database answers after the commit, and must not outlive a failed conditional update or a rolled
// back Nested step.
func runMemo(t *testing.T, h Harness) {
	t.Run("ReadsInOneTxAnswerWhatTheDatabaseHolds", func(t *testing.T) { t.Parallel(); testTxMemo(t, h.New(t)) })
	t.Run("RowsATxInsertedAnswerWhatTheDatabaseHolds", func(t *testing.T) { t.Parallel(); testFreshMemo(t, h.New(t)) })
	t.Run("ProductWithPlansAnswersAsTwoReads", func(t *testing.T) { t.Parallel(); testProductWithPlans(t, h.New(t)) })
}

func testTxMemo(t *testing.T, db *store.DB) {
	ctx := context.Background()
	start := time.Now().Add(-time.Hour)
	oid, sid := id.NewAt(start), id.NewAt(start)
	var inserted store.OrderRow
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.ProductPut(ctx, store.ProductRow{ID: "memo-p", Name: "p", Kind: "cloud_server", Spec: "{}", DeliverySLA: time.Minute,
			Driver: "manual", CreatedAt: tx.Now, UpdatedAt: tx.Now}); err != nil {
			return err
		}
		if err := tx.PlanPut(ctx, store.PlanRow{ID: "memo-s", ProductID: "memo-p", Name: "s", Prices: "[]", Stock: -1}, true); err != nil {
			return err
		}
		// Instants with nanoseconds, lines out of index order, an SLA
		// with a fraction of a millisecond, no purpose (stored as "new").
		line := store.OrderLineRow{Idx: 0, ProductID: "memo-p", PlanID: "memo-s", ProductName: "p", PlanName: "s", Kind: "cloud_server",
			Cycle: "month", Quantity: 1, UnitPriceFen: 3900, TotalFen: 3900, RefundClass: "standard", RefundClause: "3.1",
			DeliverySLA: time.Minute + 1500*time.Microsecond}
		second := line
		second.Idx, second.Quantity, second.TotalFen = 1, 2, 7800
		ns := start.Add(987654 * time.Nanosecond)
		if err := tx.OrderInsert(ctx, store.OrderRow{ID: oid, AccountID: "acc", PlacedBy: "acc", Channel: "web", State: "created",
			AgreementVersionID: "v", AgreementSHA256: "h", AcceptanceID: "a", Acknowledged: []string{"2.3", "3.1"}, SubtotalFen: 11700, TotalFen: 11700,
			CreatedAt: ns, UpdatedAt: ns, ExpiresAt: ns.Add(time.Hour), Lines: []store.OrderLineRow{second, line}}); err != nil {
			return err
		}
		var err error
		if inserted, err = store.OrderGet(ctx, tx, oid); err != nil {
			return err
		}
		return tx.ServiceInsert(ctx, store.ServiceRow{ID: sid, AccountID: "acc", OrderID: oid, ProductID: "memo-p", PlanID: "memo-s",
			Kind: "cloud_server", Cycle: "month", Name: "p · s", State: "pending", CreatedAt: start, UpdatedAt: start})
	})

	if fresh, err := store.OrderGet(ctx, db, oid); err != nil {
		t.Fatal(err)
	} else if !reflect.DeepEqual(inserted, fresh) {
		t.Errorf("the order read in the transaction that inserted it\n%+v\nthe database after commit\n%+v", inserted, fresh)
	}

	// Read, update, read again in one transaction; instants with
	// nanoseconds, two suspensions written out of the read's order.
	var order store.OrderRow
	var svc store.ServiceRow
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.OrderGet(ctx, tx, oid)
		if err != nil {
			return err
		}
		now := tx.Now.Add(123456 * time.Nanosecond)
		r.State, r.PaidFen, r.PaidAt, r.DeliverBy, r.UpdatedAt = "paid", 3900, now, now.Add(time.Minute), now
		if ok, err := tx.OrderUpdate(ctx, r, "created"); err != nil || !ok {
			return errors.Join(err, errors.New("order update refused"))
		}
		if order, err = store.OrderGet(ctx, tx, oid); err != nil {
			return err
		}
		s, err := store.ServiceGet(ctx, tx, sid)
		if err != nil {
			return err
		}
		prev := s.UpdatedAt
		s.State, s.StartsAt, s.ExpiresAt, s.UpdatedAt, s.RemindersSent = "active", now, now.AddDate(0, 1, 0), now, []string{"7d"}
		s.Suspensions = []store.ServiceSuspensionRow{{Reason: "quota", Since: now.Add(time.Second)}, {Reason: "abuse", Since: now}}
		if ok, err := tx.ServiceUpdate(ctx, s, prev); err != nil || !ok {
			return errors.Join(err, errors.New("service update refused"))
		}
		svc, err = store.ServiceGet(ctx, tx, sid)
		return err
	})
	freshOrder, err := store.OrderGet(ctx, db, oid)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(order, freshOrder) {
		t.Errorf("the order read again in the transaction\n%+v\nthe database after commit\n%+v", order, freshOrder)
	}
	freshSvc, err := store.ServiceGet(ctx, db, sid)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(svc, freshSvc) {
		t.Errorf("the service read again in the transaction\n%+v\nthe database after commit\n%+v", svc, freshSvc)
	}

	// A refused update and a rolled-back Nested step leave no memo behind.
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.OrderGet(ctx, tx, oid)
		if err != nil {
			return err
		}
		stale := r
		stale.State = "delivered"
		if ok, err := tx.OrderUpdate(ctx, stale, "created"); err != nil || ok {
			return errors.Join(err, errors.New("an update from the wrong state went through"))
		}
		if again, err := store.OrderGet(ctx, tx, oid); err != nil || again.State != "paid" {
			t.Errorf("after a refused update the order reads %q, %v; want paid", again.State, err)
		}
		nerr := tx.Nested(ctx, func() error {
			moved := r
			moved.State = "delivered"
			if ok, err := tx.OrderUpdate(ctx, moved, "paid"); err != nil || !ok {
				return errors.Join(err, errors.New("nested update refused"))
			}
			s, err := store.ServiceGet(ctx, tx, sid)
			if err != nil {
				return err
			}
			prev := s.UpdatedAt
			s.State, s.UpdatedAt = "terminated", tx.Now.Add(time.Millisecond)
			if ok, err := tx.ServiceUpdate(ctx, s, prev); err != nil || !ok {
				return errors.Join(err, errors.New("nested service update refused"))
			}
			return errors.New("the step fails")
		})
		if nerr == nil {
			t.Error("the nested step did not fail")
		}
		if after, err := store.OrderGet(ctx, tx, oid); err != nil || after.State != "paid" {
			t.Errorf("after a rolled-back step the order reads %q, %v; want paid", after.State, err)
		}
		if after, err := store.ServiceGet(ctx, tx, sid); err != nil || after.State != "active" {
			t.Errorf("after a rolled-back step the service reads %q, %v; want active", after.State, err)
		}
		return nil
	})
}

// testProductWithPlans: the one-statement read of a product and its plans
// answers what ProductGet and Plans answer — plans in their order, none
// for a product without plans, NotFound for no product — on the pool and
// through a transaction, where it fills the catalog memo (a second read
// issues no statement) and a catalog write makes it read again.
func testProductWithPlans(t *testing.T, db *store.DB) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		for _, p := range []string{"pwp", "bare"} {
			if err := tx.ProductPut(ctx, store.ProductRow{ID: p, Name: p, NameEn: p + "-en", Description: "d", Kind: "cloud_server", Active: true,
				Spec: `{"x":1}`, Region: "cn-north", DeliverySLA: time.Minute, Driver: "manual", SortKey: 3, CreatedAt: now, UpdatedAt: now}); err != nil {
				return err
			}
		}
		for _, pl := range []store.PlanRow{{ID: "z", SortKey: 1, Stock: 5}, {ID: "a", SortKey: 2, Stock: -1}, {ID: "b", SortKey: 1, Stock: 0}} {
			pl.ProductID, pl.Name, pl.Prices = "pwp", "n-"+pl.ID, `[{"cycle":"month","fen":100}]`
			if err := tx.PlanPut(ctx, pl, true); err != nil {
				return err
			}
		}
		return nil
	})
	ctx := context.Background()
	check := func(t *testing.T, q store.Querier, id string) {
		t.Helper()
		wantP, err := store.ProductGet(ctx, db, id)
		if err != nil {
			t.Fatal(err)
		}
		wantPlans, err := store.Plans(ctx, db, id)
		if err != nil {
			t.Fatal(err)
		}
		p, plans, err := store.ProductWithPlans(ctx, q, id)
		if err != nil {
			t.Fatal(err)
		}
		if p != wantP || !slices.Equal(plans, wantPlans) {
			t.Errorf("%s: got %+v %+v, want %+v %+v", id, p, plans, wantP, wantPlans)
		}
	}
	for _, id := range []string{"pwp", "bare"} {
		check(t, db, id)
	}
	if _, plans, _ := store.ProductWithPlans(ctx, db, "pwp"); len(plans) != 3 || plans[0].ID != "b" || plans[1].ID != "z" || plans[2].ID != "a" {
		t.Errorf("plans %+v, want b, z, a (sort key, then id)", plans)
	}
	if _, _, err := store.ProductWithPlans(ctx, db, "nosuch"); !store.IsNotFound(err) {
		t.Errorf("no product: err %v, want NotFound", err)
	}
	cctx, c := store.CountStatements(ctx)
	err := db.InTx(cctx, func(_ context.Context, tx *store.Tx) error { // counted: the transaction began under cctx
		check(t, tx, "pwp")
		if c.InTx.Load() != 1 {
			t.Errorf("the first read in the transaction: %d statements, want 1", c.InTx.Load())
		}
		before := c.InTx.Load()
		if _, _, err := store.ProductWithPlans(cctx, tx, "pwp"); err != nil {
			return err
		}
		if c.InTx.Load() != before {
			t.Error("a second read in the transaction reached the database")
		}
		if err := tx.PlanPut(ctx, store.PlanRow{ID: "new", ProductID: "pwp", Name: "n", Prices: "[]", SortKey: 0, Stock: -1}, true); err != nil {
			return err
		}
		if _, plans, err := store.ProductWithPlans(cctx, tx, "pwp"); err != nil || len(plans) != 4 || plans[0].ID != "new" {
			t.Errorf("after a plan was added in the transaction: %+v, %v", plans, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
