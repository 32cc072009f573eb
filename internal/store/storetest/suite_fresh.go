package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// testFreshMemo: the rows a transaction inserted — an order's payments,
// services, provisioning records — are answered from memory by the reads
// in the same transaction, and the answers must be exactly what the
// database returns after the commit, through settles and conditional
// updates; a refused update and a rolled-back Nested step send the reads
// back to the database.
func testFreshMemo(t *testing.T, db *store.DB) {
	ctx := context.Background()
	ns := time.Now().Add(-time.Hour).Add(987654 * time.Nanosecond)
	oid, other := id.NewAt(ns), id.NewAt(ns)
	sids := []string{id.NewAt(ns), id.NewAt(ns), id.NewAt(ns)}
	pays := []string{id.NewAt(ns), id.NewAt(ns)}
	type seen struct {
		payments   []store.PaymentRow
		provisions []store.ProvisionRow
		one        store.ProvisionRow
		svc        store.ServiceRow
	}
	var in seen
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		for _, o := range []string{oid, other} {
			if err := tx.OrderInsert(ctx, store.OrderRow{ID: o, AccountID: "acc", PlacedBy: "acc", Channel: "web", State: "created",
				AgreementVersionID: "v", AgreementSHA256: "h", AcceptanceID: "a", SubtotalFen: 100, TotalFen: 100, CreatedAt: ns, UpdatedAt: ns,
				ExpiresAt: ns.Add(time.Hour)}); err != nil {
				return err
			}
		}
		// Two payments, the later id written first; one pending, then settled.
		if err := tx.PaymentInsert(ctx, store.PaymentRow{ID: pays[1], OrderID: oid, AccountID: "acc", Method: "balance", State: "succeeded",
			AmountFen: 60, FromCashFen: 60, LedgerTxnID: "t1", CreatedAt: ns, SettledAt: ns}); err != nil {
			return err
		}
		if err := tx.PaymentInsert(ctx, store.PaymentRow{ID: pays[0], OrderID: oid, AccountID: "acc", Method: "alipay", State: "pending",
			AmountFen: 40, CreatedAt: ns}); err != nil {
			return err
		}
		if ok, err := tx.PaymentSettle(ctx, pays[0], "succeeded", "t2", ns.Add(time.Second)); err != nil || !ok {
			return errors.Join(err, errors.New("settle refused"))
		}
		// A service with suspensions out of order and nanosecond instants.
		if err := tx.ServiceInsert(ctx, store.ServiceRow{ID: sids[0], AccountID: "acc", OrderID: oid, ProductID: "p", PlanID: "s", Kind: "vpn",
			Cycle: "month", Name: "p · s", State: "active", StartsAt: ns, ExpiresAt: ns.AddDate(0, 1, 0), AutoRenew: true, RemindersSent: []string{"7d"},
			CreatedAt: ns, UpdatedAt: ns, Suspensions: []store.ServiceSuspensionRow{{Reason: "quota", Since: ns.Add(time.Second)},
				{Reason: "abuse", Since: ns}}}); err != nil {
			return err
		}
		if in.svc, _ = store.ServiceGet(ctx, tx, sids[0]); in.svc.ID == "" {
			return errors.New("the service just inserted is not found")
		}
		// Provisioning records: one with no deadline, one delivered with
		// addresses, one with none; and one of the other order.
		recs := []store.ProvisionRow{
			{ServiceID: sids[0], OrderID: oid, AccountID: "acc", Driver: "sandbox", Sandbox: true, State: "queued", DeliverBy: ns.Add(time.Minute),
				CreatedAt: ns, UpdatedAt: ns},
			{ServiceID: sids[1], OrderID: oid, AccountID: "acc", Driver: "manual", State: "queued", CreatedAt: ns, UpdatedAt: ns},
			{ServiceID: sids[2], OrderID: other, AccountID: "acc", Driver: "manual", State: "queued", DeliverBy: ns, CreatedAt: ns, UpdatedAt: ns},
		}
		for _, r := range recs {
			if err := tx.ProvisionInsert(ctx, r); err != nil {
				return err
			}
		}
		d := recs[0]
		d.State, d.DeliveredAt, d.Addresses, d.Credentials, d.Notes, d.Attempts, d.UpdatedAt = "delivered", ns.Add(time.Second),
			[]string{"198.18.0.9"}, "sealed", "sandbox", 1, ns.Add(time.Second)
		if ok, err := tx.ProvisionUpdate(ctx, d, "queued"); err != nil || !ok {
			return errors.Join(err, errors.New("provision update refused"))
		}
		var err error
		if in.payments, err = store.Payments(ctx, tx, oid); err != nil {
			return err
		}
		if in.provisions, err = store.Provisions(ctx, tx, store.ProvisionFilter{OrderID: oid}); err != nil {
			return err
		}
		in.one, err = store.ProvisionGet(ctx, tx, sids[1])
		return err
	})
	var after seen
	var err error
	if after.payments, err = store.Payments(ctx, db, oid); err != nil {
		t.Fatal(err)
	}
	if after.provisions, err = store.Provisions(ctx, db, store.ProvisionFilter{OrderID: oid}); err != nil {
		t.Fatal(err)
	}
	if after.one, err = store.ProvisionGet(ctx, db, sids[1]); err != nil {
		t.Fatal(err)
	}
	if after.svc, err = store.ServiceGet(ctx, db, sids[0]); err != nil {
		t.Fatal(err)
	}
	if len(after.payments) != 2 || len(after.provisions) != 2 {
		t.Fatalf("after commit: %d payments, %d provisioning records; want 2 and 2", len(after.payments), len(after.provisions))
	}
	for name, pair := range map[string][2]any{"payments": {in.payments, after.payments}, "provisions": {in.provisions, after.provisions},
		"provision": {in.one, after.one}, "service": {in.svc, after.svc}} {
		if !reflect.DeepEqual(pair[0], pair[1]) {
			t.Errorf("%s read in the transaction that wrote them\n%+v\nthe database after commit\n%+v", name, pair[0], pair[1])
		}
	}

	// A later transaction did not insert the order: its reads go to the
	// database (and see a payment written there by a raw statement).
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO payment (id, order_id, account_id, method, state, amount_fen, from_refund_credit_fen, from_cash_fen,
 ledger_txn_id, created_at_ms) VALUES ($1, $2, 'acc', 'balance', 'failed', 1, 0, 0, '', $3)`, id.NewAt(ns), oid, store.Ms(ns)); err != nil {
			return err
		}
		if ps, err := store.Payments(ctx, tx, oid); err != nil || len(ps) != 3 {
			t.Errorf("a later transaction reads %d payments (%v); want 3", len(ps), err)
		}
		return nil
	})

	// Within the inserting transaction, a refused update and a failed
	// Nested step forget what it wrote: the reads answer the database.
	oid2, sid2 := id.NewAt(ns), id.NewAt(ns)
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.OrderInsert(ctx, store.OrderRow{ID: oid2, AccountID: "acc", PlacedBy: "acc", Channel: "web", State: "created",
			AgreementVersionID: "v", AgreementSHA256: "h", AcceptanceID: "a", CreatedAt: ns, UpdatedAt: ns, ExpiresAt: ns}); err != nil {
			return err
		}
		rec := store.ProvisionRow{ServiceID: sid2, OrderID: oid2, AccountID: "acc", Driver: "manual", State: "queued", CreatedAt: ns, UpdatedAt: ns}
		if err := tx.ProvisionInsert(ctx, rec); err != nil {
			return err
		}
		stale := rec
		stale.State = "delivered"
		if ok, err := tx.ProvisionUpdate(ctx, stale, "pending"); err != nil || ok {
			return errors.Join(err, errors.New("an update from the wrong state went through"))
		}
		if got, err := store.ProvisionGet(ctx, tx, sid2); err != nil || got.State != "queued" {
			t.Errorf("after a refused update the record reads %q, %v; want queued", got.State, err)
		}
		nerr := tx.Nested(ctx, func() error {
			if err := tx.PaymentInsert(ctx, store.PaymentRow{ID: id.NewAt(ns), OrderID: oid2, AccountID: "acc", Method: "balance",
				State: "succeeded", AmountFen: 1, CreatedAt: ns}); err != nil {
				return err
			}
			return errors.New("the step fails")
		})
		if nerr == nil {
			t.Error("the nested step did not fail")
		}
		if ps, err := store.Payments(ctx, tx, oid2); err != nil || len(ps) != 0 {
			t.Errorf("after a rolled-back step the order has %d payments (%v); want 0", len(ps), err)
		}
		return nil
	})
}
