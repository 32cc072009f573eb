package storetest

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// runDelivery holds the delivery storage cases (issue 13): the sandbox
// lease made once per token, an address handed to another service ending
// the first holding, and the provisioning record's conditional update.
func runDelivery(t *testing.T, h Harness) {
	t.Run("SandboxLeaseOncePerToken", func(t *testing.T) { t.Parallel(); testSandboxLease(t, h.New(t)) })
	t.Run("AssignmentHandOverClosesTheFirst", func(t *testing.T) { t.Parallel(); testAssignmentHandOver(t, h.New(t)) })
	t.Run("ProvisionUpdateIsConditional", func(t *testing.T) { t.Parallel(); testProvisionConditional(t, h.New(t)) })
}

func testSandboxLease(t *testing.T, db *store.DB) {
	pool := []string{"198.18.0.1", "198.18.0.2"}
	lease := func(token string) (string, bool) {
		var a string
		var ok bool
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			var err error
			a, ok, err = tx.SandboxLease(ctx, token, pool, tx.Now)
			return err
		})
		return a, ok
	}
	a1, _ := lease("t1")
	again, _ := lease("t1")
	a2, _ := lease("t2")
	_, ok := lease("t3")
	if a1 == "" || a2 == "" || a1 == a2 || again != a1 || (a1 != pool[0] && a1 != pool[1]) || (a2 != pool[0] && a2 != pool[1]) || ok {
		t.Fatalf("leases %s %s %s, third ok %v", a1, again, a2, ok)
	}
}

func testAssignmentHandOver(t *testing.T, db *store.DB) {
	ctx := context.Background()
	t0 := time.UnixMilli(time.Now().UnixMilli()).UTC()
	t1 := t0.Add(time.Hour)
	for _, r := range []store.AssignmentRow{{ID: id.New(), Address: "203.0.113.1", ServiceID: "s1", AccountID: "a1", From: t0},
		{ID: id.New(), Address: "203.0.113.1", ServiceID: "s1", AccountID: "a1", From: t0.Add(time.Minute)}, // held already: no new row
		{ID: id.New(), Address: "203.0.113.1", ServiceID: "s2", AccountID: "a2", From: t1}} {
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AssignmentOpen(ctx, r) })
	}
	rows, err := store.Assignments(ctx, db, "203.0.113.1", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].ServiceID != "s1" || !rows[0].Until.Equal(t1) || rows[1].ServiceID != "s2" || !rows[1].Until.IsZero() {
		t.Fatalf("history %+v", rows)
	}
}

func testProvisionConditional(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	r := store.ProvisionRow{ServiceID: id.New(), OrderID: id.New(), AccountID: id.New(), Driver: "manual", State: "queued", DeliverBy: now.Add(time.Hour),
		CreatedAt: now, UpdatedAt: now}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.ProvisionInsert(ctx, r) })
	next := r
	next.State, next.DeliveredAt, next.Addresses = "delivered", now, []string{"203.0.113.2"}
	for i, want := range []bool{true, false} {
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			ok, err := tx.ProvisionUpdate(ctx, next, "queued")
			if ok != want {
				t.Errorf("update %d: ok %v", i, ok)
			}
			return err
		})
	}
	got, err := store.ProvisionGet(ctx, db, r.ServiceID)
	if err != nil || got.State != "delivered" || len(got.Addresses) != 1 || !got.DeliveredAt.Equal(now) || !got.DeliverBy.Equal(r.DeliverBy) {
		t.Fatalf("record %+v, %v", got, err)
	}
}
