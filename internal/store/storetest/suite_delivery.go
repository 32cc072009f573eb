package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
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
	t.Run("SandboxLeaseWholePoolConcurrently", func(t *testing.T) { t.Parallel(); testSandboxLeaseWholePool(t, h.New(t)) })
	t.Run("NestedRollsBackOnlyItself", func(t *testing.T) { t.Parallel(); testNested(t, h.New(t)) })
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

// testSandboxLeaseWholePool: a pool larger than one search window
// (several windows, wrapping around from each token's start) is leased to
// the last address by concurrent callers, every address once, each token
// answered its own address again; then the pool is exhausted.
func testSandboxLeaseWholePool(t *testing.T, db *store.DB) {
	const n = 75
	pool := make([]string, n)
	for i := range pool {
		pool[i] = fmt.Sprintf("198.18.1.%d", i+1)
	}
	lease := func(token string) (string, bool, error) {
		var a string
		var ok bool
		err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
			var err error
			a, ok, err = tx.SandboxLease(ctx, token, pool, tx.Now)
			return err
		})
		return a, ok, err
	}
	got := make([]string, n)
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			a, ok, err := lease(fmt.Sprintf("token-%d", i))
			if err != nil || !ok {
				errc <- fmt.Errorf("lease %d: %q %v %v", i, a, ok, err)
				return
			}
			got[i] = a
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, a := range got {
		if seen[a] || !slices.Contains(pool, a) {
			t.Fatalf("lease %d = %q: twice or outside the pool", i, a)
		}
		seen[a] = true
		if again, ok, err := lease(fmt.Sprintf("token-%d", i)); err != nil || !ok || again != a {
			t.Fatalf("lease %d again = %q %v %v, want %q", i, again, ok, err, a)
		}
	}
	if a, ok, err := lease("one-too-many"); err != nil || ok {
		t.Fatalf("lease past the pool = %q %v %v", a, ok, err)
	}
}

// testNested: a failing Nested step leaves nothing of its own writes and
// drops its AfterCommit functions, while the transaction around it and a
// succeeding step commit.
func testNested(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var ran []string
	err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.AuditInsert(ctx, Event(tx.Now, "nested.outer")); err != nil {
			return err
		}
		boom := errors.New("boom")
		if err := tx.Nested(ctx, func() error {
			if err := tx.AuditInsert(ctx, Event(tx.Now, "nested.failed")); err != nil {
				return err
			}
			tx.AfterCommit(func() { ran = append(ran, "failed") })
			return boom
		}); !errors.Is(err, boom) {
			return fmt.Errorf("nested error = %v", err)
		}
		return tx.Nested(ctx, func() error {
			tx.AfterCommit(func() { ran = append(ran, "kept") })
			return tx.AuditInsert(ctx, Event(tx.Now, "nested.kept"))
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for action, want := range map[string]int{"nested.outer": 1, "nested.failed": 0, "nested.kept": 1} {
		if n := countEvents(t, db, action); n != want {
			t.Errorf("%s events = %d, want %d", action, n, want)
		}
	}
	if !slices.Equal(ran, []string{"kept"}) {
		t.Errorf("after-commit functions run = %v", ran)
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
