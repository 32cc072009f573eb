package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// testRefundContext: RefundContextOf's one statement returns the same
// rows, in the same order, as the reads it replaced — BreachGet, Refunds
// of the open states (limit 1), Cases and ComplianceMeasures of the
// account in their states, and the order's services newest first — for an
// order with all of them, ties in time included, and for one with none;
// rows of other orders and accounts, and rows in other states, are never
// part of it.
func testRefundContext(t *testing.T, db *store.DB) {
	ctx := context.Background()
	t0 := time.UnixMilli(time.Now().UnixMilli()).UTC()
	acc, other := id.New(), id.New()
	order, otherOrder, bare := id.New(), id.New(), id.New()
	open := []string{"under_review", "approved"}
	caseStates, measureStates := []string{"detected", "under_review"}, []string{"overturned"}

	kase := func(account, state string, at time.Time) store.CaseRow {
		return store.CaseRow{ID: id.New(), AccountID: account, Target: "service", Rule: "ddos", State: state, CreatedAt: at, UpdatedAt: at}
	}
	cases := []store.CaseRow{
		kase(acc, "detected", t0.Add(2*time.Second)), kase(acc, "under_review", t0.Add(time.Second)),
		kase(acc, "detected", t0.Add(time.Second)), // a tie in time: the id decides
		kase(acc, "dismissed", t0), kase(other, "detected", t0),
	}
	measure := func(account, kind, state string, at, ended time.Time) store.ComplianceMeasureRow {
		return store.ComplianceMeasureRow{ID: id.New(), CaseID: cases[0].ID, AccountID: account, Kind: kind, State: state, Reason: "r",
			ImposedBy: "staff", CreatedAt: at, UpdatedAt: at, EndedAt: ended}
	}
	measures := []store.ComplianceMeasureRow{
		measure(acc, "ban", "overturned", t0, t0.Add(time.Hour)), measure(acc, "suspension", "overturned", t0.Add(time.Second), time.Time{}),
		measure(acc, "ban", "overturned", t0.Add(time.Second), t0.Add(2*time.Hour)), // a tie in time
		measure(acc, "ban", "in_force", t0.Add(3*time.Second), time.Time{}), measure(other, "ban", "overturned", t0, t0.Add(time.Hour)),
	}
	service := func(orderID string, line int, kind string, starts time.Time) store.ServiceRow {
		return store.ServiceRow{ID: id.New(), AccountID: acc, OrderID: orderID, LineIdx: line, ProductID: "p", PlanID: "s1", Kind: kind, Cycle: "month",
			Name: "n", State: "active", StartsAt: starts, CreatedAt: t0, UpdatedAt: t0}
	}
	services := []store.ServiceRow{service(order, 0, "cloud_server", t0), service(order, 1, "certificate", time.Time{}),
		service(order, 2, "vpn", t0.Add(time.Minute)), service(otherOrder, 0, "vpn", t0)}
	refund := func(orderID, state string) store.RefundRow {
		return store.RefundRow{ID: id.New(), OrderID: orderID, AccountID: acc, RequestedBy: acc, Kind: "refund", State: state,
			Destination: "balance", Reason: "r", ReviewDue: t0, CreatedAt: t0, UpdatedAt: t0}
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		for _, o := range []string{order, otherOrder, bare} {
			if err := tx.OrderInsert(ctx, store.OrderRow{ID: o, AccountID: acc, PlacedBy: acc, Channel: "web", State: "delivered",
				AgreementVersionID: "v", AgreementSHA256: "h", AcceptanceID: "a", SubtotalFen: 100, TotalFen: 100, CreatedAt: t0, UpdatedAt: t0,
				ExpiresAt: t0.Add(time.Hour)}); err != nil {
				return err
			}
		}
		for _, c := range cases {
			if err := tx.CaseInsert(ctx, c); err != nil {
				return err
			}
		}
		for _, m := range measures {
			if err := tx.ComplianceMeasureInsert(ctx, m); err != nil {
				return err
			}
		}
		for _, s := range services {
			if err := tx.ServiceInsert(ctx, s); err != nil {
				return err
			}
		}
		if err := tx.ServiceMeterSet(ctx, services[0].ID, store.ServiceMeter{NodeID: "node-1"}); err != nil {
			return err
		}
		for _, r := range []store.RefundRow{refund(order, "rejected"), refund(order, "approved"), refund(otherOrder, "under_review")} {
			if err := tx.RefundInsert(ctx, r); err != nil {
				return err
			}
		}
		_, err := tx.BreachInsert(ctx, store.BreachRow{OrderID: order, AccountID: acc, DeliverBy: t0, BreachedAt: t0.Add(time.Minute)})
		return err
	})

	// want reads the same facts with the reads RefundContextOf replaced.
	want := func(orderID, account string) store.RefundContext {
		t.Helper()
		var w store.RefundContext
		if b, err := store.BreachGet(ctx, db, orderID); err == nil {
			w.BreachedAt = b.BreachedAt
		} else if !store.IsNotFound(err) {
			t.Fatal(err)
		}
		rs, err := store.Refunds(ctx, db, store.RefundFilter{OrderID: orderID, States: open, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		w.OpenRequest = len(rs) > 0
		if account != "" {
			cs, err := store.Cases(ctx, db, store.CaseFilter{AccountID: account, States: caseStates})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				w.Cases = append(w.Cases, c.ID)
			}
			ms, err := store.ComplianceMeasures(ctx, db, store.ComplianceMeasureFilter{AccountID: account, States: measureStates})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				w.Measures = append(w.Measures, store.ComplianceMeasureRow{ID: m.ID, Kind: m.Kind, State: m.State, CreatedAt: m.CreatedAt, EndedAt: m.EndedAt})
			}
		}
		rows, err := db.Query(ctx, `SELECT id, kind, node_id, starts_at_ms FROM service WHERE order_id = $1 ORDER BY id DESC`, orderID)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var m store.OrderServiceMeter
			var starts *int64
			if err := rows.Scan(&m.ID, &m.Kind, &m.NodeID, &starts); err != nil {
				t.Fatal(err)
			}
			if starts != nil {
				m.StartsAt = store.FromMs(*starts)
			}
			w.Services = append(w.Services, m)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return w
	}
	for _, tc := range []struct {
		name, order, account string
		counts               [3]int // cases, measures, services
		open, breached       bool
	}{
		{"everything", order, acc, [3]int{3, 3, 3}, true, true},
		{"no account", order, "", [3]int{0, 0, 3}, true, true},
		{"other order", otherOrder, other, [3]int{1, 1, 1}, true, false},
		{"nothing", bare, id.New(), [3]int{}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := store.RefundContextOf(ctx, db, store.RefundContextFilter{OrderID: tc.order, AccountID: tc.account, OpenRequestStates: open,
				CaseStates: caseStates, MeasureStates: measureStates})
			if err != nil {
				t.Fatal(err)
			}
			if w := want(tc.order, tc.account); !reflect.DeepEqual(got, w) {
				t.Fatalf("RefundContextOf:\n got %+v\nwant %+v", got, w)
			}
			if n := [3]int{len(got.Cases), len(got.Measures), len(got.Services)}; n != tc.counts || got.OpenRequest != tc.open ||
				got.BreachedAt.IsZero() == tc.breached {
				t.Fatalf("counts %v open %v breached %v, want %v %v %v", n, got.OpenRequest, got.BreachedAt, tc.counts, tc.open, tc.breached)
			}
		})
	}
	// With the order, in one round trip on PostgreSQL: the context of the
	// order's own account.
	for _, oid := range []string{order, otherOrder, bare} {
		ctx, c := store.CountStatements(ctx)
		o, rc, err := store.OrderWithRefundContext(ctx, db, store.RefundContextFilter{OrderID: oid, AccountID: "ignored",
			OpenRequestStates: open, CaseStates: caseStates, MeasureStates: measureStates})
		wantO, err2 := store.OrderGet(ctx, db, oid)
		if err != nil || err2 != nil || !reflect.DeepEqual(o, wantO) || !reflect.DeepEqual(rc, want(oid, acc)) {
			t.Fatalf("OrderWithRefundContext(%s) = %+v, %+v, %v; want %+v, %+v", oid, o, rc, err, wantO, want(oid, acc))
		}
		if db.Engine() == store.Postgres && c.PoolTrips.Load() != 2 { // with OrderGet's
			t.Fatalf("OrderWithRefundContext and OrderGet took %d round trips, want 2", c.PoolTrips.Load())
		}
	}
	if _, _, err := store.OrderWithRefundContext(ctx, db, store.RefundContextFilter{OrderID: id.New()}); !store.IsNotFound(err) {
		t.Fatalf("an unknown order: %v, want not found", err)
	}
	t.Run("no states", func(t *testing.T) {
		got, err := store.RefundContextOf(ctx, db, store.RefundContextFilter{OrderID: order, AccountID: acc})
		if err != nil {
			t.Fatal(err)
		}
		if got.OpenRequest || len(got.Cases) != 0 || len(got.Measures) != 0 || len(got.Services) != 3 || got.BreachedAt.IsZero() {
			t.Fatalf("with no states: %+v", got)
		}
	})
}
