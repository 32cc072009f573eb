package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/errs"
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
	t.Run("ProvisionSwapOnlyOverTheVersionRead", func(t *testing.T) { t.Parallel(); testProvisionSwap(t, h.New(t)) })
	t.Run("RetryRunsTheTransactionAgain", func(t *testing.T) { t.Parallel(); testRetry(t, h.New(t)) })
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

// queuedProvision stores a queued provisioning record for driver, created
// now (to the millisecond, as stored).
func queuedProvision(t *testing.T, db *store.DB, driver string) (store.ProvisionRow, time.Time) {
	t.Helper()
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	r := store.ProvisionRow{ServiceID: id.New(), OrderID: id.New(), AccountID: id.New(), Driver: driver, State: "queued", DeliverBy: now.Add(time.Hour),
		CreatedAt: now, UpdatedAt: now}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.ProvisionInsert(ctx, r) })
	return r, now
}

func testProvisionConditional(t *testing.T, db *store.DB) {
	ctx := context.Background()
	r, now := queuedProvision(t, db, "manual")
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

// testProvisionSwap: ProvisionSwap writes only over the version it was
// given (state and updated_at). On PostgreSQL it is also checked where a
// state-only condition fails: the other transaction's change is committed
// while the swap waits for the row lock (READ COMMITTED re-checks only the
// UPDATE's own WHERE clause against the committed row). SQLite has one
// writer, so no transaction ever waits for another's row there.
func testProvisionSwap(t *testing.T, db *store.DB) {
	ctx := context.Background()
	r, now := queuedProvision(t, db, "acme")
	requeued := r
	requeued.Notes, requeued.UpdatedAt = "requeued", now.Add(time.Millisecond)
	pending := r
	pending.State, pending.Notes, pending.UpdatedAt = "pending", "stale answer", now.Add(2*time.Millisecond)
	swap := func(ctx context.Context, tx *store.Tx, next, was store.ProvisionRow) bool {
		ok, err := tx.ProvisionSwap(ctx, next, was)
		if err != nil {
			t.Errorf("swap: %v", err)
		}
		return ok
	}

	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if !swap(ctx, tx, requeued, r) {
			t.Error("swap over the current version refused")
		}
		return nil
	})
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if swap(ctx, tx, pending, r) { // r is the version before the requeue
			t.Error("swap over a stale version (same state, older updated_at) written")
		}
		wrong := requeued
		wrong.State = "pending"
		if swap(ctx, tx, pending, wrong) {
			t.Error("swap over a stale version (other state, same updated_at) written")
		}
		return nil
	})

	if db.Engine() == store.Postgres {
		// The requeue holds the row while the job reads it in its own
		// transaction; the job's swap then waits for the requeue's commit.
		again := requeued
		again.Notes, again.UpdatedAt = "requeued twice", now.Add(3*time.Millisecond)
		locked, read := make(chan struct{}), make(chan struct{})
		errc := make(chan error, 1)
		go func() {
			errc <- db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				ok, err := tx.ProvisionSwap(ctx, again, requeued)
				if err != nil || !ok {
					return fmt.Errorf("requeue: ok %v, %v", ok, err)
				}
				close(locked)
				<-read
				time.Sleep(50 * time.Millisecond) // let the job's UPDATE reach the lock first (either order must refuse it)
				return nil
			})
		}()
		<-locked
		readOnce := sync.OnceFunc(func() { close(read) }) // also when the read fails: the requeue must not wait forever
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			defer readOnce()
			cur, err := store.ProvisionGet(ctx, tx, r.ServiceID)
			if err != nil {
				return err
			}
			readOnce()
			if cur.Notes != "requeued" {
				t.Errorf("read %q, want the version before the uncommitted requeue", cur.Notes)
			}
			if swap(ctx, tx, pending, cur) {
				t.Error("swap wrote over a requeue committed while it waited for the row")
			}
			return nil
		})
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.ProvisionGet(ctx, db, r.ServiceID)
	if err != nil || got.State != "queued" || !strings.HasPrefix(got.Notes, "requeued") {
		t.Fatalf("record %+v, %v; want the requeue kept", got, err)
	}
}

// testRetry: an fn that returns store.Retry of a conflict is rolled back
// and run again (its first run's writes gone); a business conflict not
// marked is returned at once, and Retry leaves other errors alone.
func testRetry(t *testing.T, db *store.DB) {
	now := time.Now()
	changed := errs.E(errs.Conflict, "test.changed", "changed meanwhile", errs.ErrConflict)
	runs := 0
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		runs++
		if err := tx.AuditInsert(ctx, Event(now, fmt.Sprintf("retry.run%d", runs))); err != nil {
			return err
		}
		if runs == 1 {
			return store.Retry(changed)
		}
		return nil
	})
	if runs != 2 || countEvents(t, db, "retry.run1") != 0 || countEvents(t, db, "retry.run2") != 1 {
		t.Errorf("runs %d, first run's event %d, second's %d; want 2, 0, 1", runs, countEvents(t, db, "retry.run1"), countEvents(t, db, "retry.run2"))
	}
	runs = 0
	err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error { runs++; return changed })
	if runs != 1 || !errors.Is(err, errs.ErrConflict) {
		t.Errorf("unmarked conflict: runs %d, err %v; want 1 run and the conflict", runs, err)
	}
	plain := errors.New("not a conflict")
	if got := store.Retry(plain); got != plain || store.Retry(nil) != nil {
		t.Errorf("Retry(plain) = %v, Retry(nil) = %v; want them unchanged", got, store.Retry(nil))
	}
}
