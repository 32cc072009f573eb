package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/store"
)

// runPipeline: the writes Tx.Write may queue (ADR 0018) behave as if each
// ran when it was written — in order, seen by the statements after them,
// their failure failing the transaction or the Nested step they belong to
// — on every engine, whether it queues them (PostgreSQL) or not (SQLite).
func runPipeline(t *testing.T, h Harness) {
	t.Run("QueuedWritesAreSeenInOrder", func(t *testing.T) { t.Parallel(); testPipelineOrder(t, h.New(t)) })
	t.Run("FailedQueuedWriteFailsTheTransaction", func(t *testing.T) { t.Parallel(); testPipelineFailure(t, h.New(t)) })
	t.Run("FailedQueuedWriteFailsOnlyItsNestedStep", func(t *testing.T) { t.Parallel(); testPipelineNested(t, h.New(t)) })
	t.Run("QueuedWritesShareOneTrip", func(t *testing.T) { t.Parallel(); testPipelineTrips(t, h.New(t)) })
	t.Run("UpdateOfAQueuedInsertAmendsIt", func(t *testing.T) { t.Parallel(); testPipelineAmend(t, h.New(t)) })
	t.Run("NestedStepRidesWithItsFirstStatement", func(t *testing.T) { t.Parallel(); testPipelineSavepoint(t, h.New(t)) })
	t.Run("LibraryStatementInAStepIsRolledBackWithIt", func(t *testing.T) { t.Parallel(); testPipelineLibraryInStep(t, h.New(t)) })
	t.Run("ReadsTogetherInOneTrip", func(t *testing.T) { t.Parallel(); testReadTogether(t, h.New(t)) })
	t.Run("ReadsTogetherInATransaction", func(t *testing.T) { t.Parallel(); testTxReadTogether(t, h.New(t)) })
	t.Run("CheckoutReadsAsAlone", func(t *testing.T) { t.Parallel(); testCheckoutReads(t, h.New(t)) })
	t.Run("StepAheadOfTheQueueAmendsItsRows", func(t *testing.T) { t.Parallel(); testStepAhead(t, h.New(t)) })
	t.Run("FailedWriteBeforeAStepFailsTheTransactionWithItsError", func(t *testing.T) { t.Parallel(); testPipelineFailBeforeStep(t, h.New(t)) })
}

// testPipelineFailBeforeStep: a queued write of the transaction that fails
// when it is sent with a step's SAVEPOINT fails the transaction with its
// own error (a duplicate here), not with the missing savepoint's.
func testPipelineFailBeforeStep(t *testing.T, db *store.DB) {
	now := time.Now()
	dup := Event(now, "taken")
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AuditInsert(ctx, dup) })
	err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		if err := writeGiven(ctx, tx, dup.ID, now, "again"); err != nil && !errors.Is(err, errs.ErrDuplicate) {
			return err
		}
		_ = tx.Nested(ctx, func() error { return writeEvent(ctx, tx, now, "inner") })
		return nil
	})
	if !errors.Is(err, errs.ErrDuplicate) {
		t.Errorf("InTx = %v, want the queued write's ErrDuplicate", err)
	}
	for action, want := range map[string]int{"again": 0, "inner": 0} {
		if got := countEvents(t, db, action); got != want {
			t.Errorf("%s: %d committed, want %d", action, got, want)
		}
	}
}

// testPipelineLibraryInStep: a library's statement on Tx.SQL inside a
// Nested step (River's insert of a job) runs after the step's SAVEPOINT,
// which is queued until then: the step's rollback undoes it.
func testPipelineLibraryInStep(t *testing.T, db *store.DB) {
	now := time.Now()
	boom := errors.New("boom")
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := writeEvent(ctx, tx, now, "before"); err != nil {
			return err
		}
		err := tx.Nested(ctx, func() error {
			e := Event(now, "library")
			if _, err := tx.SQL().ExecContext(ctx, `INSERT INTO audit_event (id, at_ms, actor, action, subject_type, subject_id, client_ip, request_id, data, txid)
 VALUES ($1, $2, 'system', 'library', 'test', '1', '', '', '{}', `+tx.AuditPositionSQL()+`)`, e.ID, store.Ms(e.At)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			return fmt.Errorf("step: %v", err)
		}
		return nil
	})
	for action, want := range map[string]int{"before": 1, "library": 0} {
		if got := countEvents(t, db, action); got != want {
			t.Errorf("%s: %d committed, want %d", action, got, want)
		}
	}
}

// testPipelineSavepoint: a Nested step's SAVEPOINT waits in the queue
// behind the transaction's writes and goes with the step's first statement
// sent; a step that fails before anything was sent leaves its writes
// unsent and the transaction's queued; a read inside a step sends the
// queue with its savepoint, and the step's failure then rolls back to it;
// an update inside a step of an insert queued before it is a real update
// (not an amendment the rollback could not undo), undone with the step.
func testPipelineSavepoint(t *testing.T, db *store.DB) {
	now := time.Now().Truncate(time.Millisecond)
	boom := errors.New("boom")
	ctx, c := store.CountStatements(context.Background())
	oid := Event(now, "order").ID
	err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := writeEvent(ctx, tx, now, "before"); err != nil {
			return err
		}
		// Fails with nothing sent.
		if err := tx.Nested(ctx, func() error {
			if err := writeEvent(ctx, tx, now, "unsent"); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			return fmt.Errorf("first step: %v", err)
		}
		// Fails after a read sent the queue with its savepoint.
		if err := tx.Nested(ctx, func() error {
			if err := writeEvent(ctx, tx, now, "sent"); err != nil {
				return err
			}
			if n := countIn(ctx, t, tx, "sent"); n != 1 {
				return fmt.Errorf("the step reads %d of its write", n)
			}
			return boom
		}); !errors.Is(err, boom) {
			return fmt.Errorf("second step: %v", err)
		}
		// An order inserted before a step and paid in it, the step failing.
		if err := tx.OrderInsert(ctx, store.OrderRow{ID: oid, AccountID: "acc", PlacedBy: "acc", Channel: "web", State: "created",
			AgreementVersionID: "v", AgreementSHA256: "h", AcceptanceID: "a", SubtotalFen: 100, TotalFen: 100, CreatedAt: now,
			UpdatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			return err
		}
		if err := tx.Nested(ctx, func() error {
			r, err := store.OrderGet(ctx, tx, oid)
			if err != nil {
				return err
			}
			r.State, r.PaidFen, r.UpdatedAt = "paid", 100, now.Add(time.Second)
			if ok, err := tx.OrderUpdate(ctx, r, "created"); err != nil || !ok {
				return errors.Join(err, errors.New("paid refused"))
			}
			// A read of the order sends the insert, the savepoint and the
			// update, in that order.
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE id = $1 AND state = 'paid'`, oid).Scan(&n); err != nil || n != 1 {
				return errors.Join(err, fmt.Errorf("the step sees %d paid orders", n))
			}
			return boom
		}); !errors.Is(err, boom) {
			return fmt.Errorf("third step: %v", err)
		}
		return tx.Nested(ctx, func() error { return writeEvent(ctx, tx, now, "kept") })
	})
	if err != nil {
		t.Fatal(err)
	}
	for action, want := range map[string]int{"before": 1, "unsent": 0, "sent": 0, "kept": 1} {
		if got := countEvents(t, db, action); got != want {
			t.Errorf("%s: %d committed, want %d", action, got, want)
		}
	}
	if r, err := store.OrderGet(context.Background(), db, oid); err != nil || r.State != "created" || r.PaidFen != 0 {
		t.Errorf("the order after the failed step: %+v, %v; want it created, unpaid", r, err)
	}
	if db.Engine() == store.Postgres {
		// The second step's read (the queue before it: the transaction's
		// first write, the savepoint, the step's write; then the read), its
		// rollback and release; the third step's read the same way (the
		// order's insert, the savepoint, the update; the read), its
		// rollback and release; the last step's savepoint and write with
		// its release. With a round trip for each SAVEPOINT, 13.
		if trips := c.Trips.Load(); trips != 9 {
			t.Errorf("%d round trips, want 9", trips)
		}
	}
}

// writeEvent writes e with Tx.Write (AuditInsert buffers to the end of
// fn; this is the raw queued write).
func writeEvent(ctx context.Context, tx *store.Tx, at time.Time, action string) error {
	e := Event(at, action)
	return writeGiven(ctx, tx, e.ID, e.At, action)
}

func writeGiven(ctx context.Context, tx *store.Tx, id string, at time.Time, action string) error {
	return tx.Write(ctx, `INSERT INTO audit_event (id, at_ms, actor, action, subject_type, subject_id, client_ip, request_id, data, txid)
 VALUES ($1, $2, 'system', $3, 'test', '1', '', '', '{}', `+tx.AuditPositionSQL()+`)`, id, store.Ms(at), action)
}

func countIn(ctx context.Context, t *testing.T, tx *store.Tx, action string) int {
	t.Helper()
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_event WHERE action = $1`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testPipelineOrder(t *testing.T, db *store.DB) {
	now := time.Now()
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		for range 3 {
			if err := writeEvent(ctx, tx, now, "queued"); err != nil {
				return err
			}
		}
		if n := countIn(ctx, t, tx, "queued"); n != 3 {
			t.Errorf("a read after three writes saw %d", n)
		}
		// A write, then a conditional write of the same rows: the second
		// sees the first (its rows-affected count includes them).
		if err := writeEvent(ctx, tx, now, "renamed"); err != nil {
			return err
		}
		n, err := tx.Exec(ctx, `UPDATE audit_event SET actor = 'staff' WHERE action IN ('queued', 'renamed')`)
		if err != nil {
			return err
		}
		if n != 4 {
			t.Errorf("the update after the writes affected %d rows, want 4", n)
		}
		return writeEvent(ctx, tx, now, "last") // queued until the commit
	})
	if got := countEvents(t, db, "queued") + countEvents(t, db, "renamed") + countEvents(t, db, "last"); got != 5 {
		t.Errorf("committed %d events, want 5", got)
	}
}

func testPipelineFailure(t *testing.T, db *store.DB) {
	now := time.Now()
	dup := Event(now, "taken")
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AuditInsert(ctx, dup) })

	// The duplicate fails the statement that sends it, and the commit,
	// even when fn ignores that statement's error; when fn returns what a
	// library's statement ran into next (the aborted transaction), InTx
	// returns the duplicate, the cause.
	for _, next := range []string{"returned", "ignored", "library"} {
		err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
			if err := writeEvent(ctx, tx, now, "before"); err != nil {
				return err
			}
			if err := writeGiven(ctx, tx, dup.ID, now, "duplicate"); err != nil && !errors.Is(err, errs.ErrDuplicate) {
				return err // SQLite: the write ran at once and failed
			}
			switch next {
			case "library":
				_, err := tx.SQL().ExecContext(ctx, `UPDATE audit_event SET actor = actor WHERE 1 = 0`)
				return err
			case "ignored":
				var n int
				_ = tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_event`).Scan(&n)
				return nil
			default:
				var n int
				return tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_event`).Scan(&n)
			}
		})
		if !errors.Is(err, errs.ErrDuplicate) {
			t.Errorf("%s: InTx = %v, want ErrDuplicate", next, err)
		}
	}
	if got := countEvents(t, db, "before") + countEvents(t, db, "duplicate"); got != 0 {
		t.Errorf("a failed transaction committed %d events", got)
	}

	// An Exec's own failure, sent with the queue, is its caller's to
	// answer, as always: fn's business error is what InTx returns.
	taken := errors.New("already taken")
	err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		if err := writeEvent(ctx, tx, now, "before"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO audit_event (id, at_ms, actor, action, subject_type, subject_id, client_ip, request_id, data, txid)
 VALUES ($1, $2, 'system', 'duplicate', 'test', '1', '', '', '{}', `+tx.AuditPositionSQL()+`)`, dup.ID, store.Ms(now))
		if errors.Is(err, errs.ErrDuplicate) {
			return taken
		}
		return fmt.Errorf("the duplicate Exec returned %v", err)
	})
	if !errors.Is(err, taken) {
		t.Errorf("InTx = %v, want fn's own answer to its Exec's duplicate", err)
	}
}

func testPipelineNested(t *testing.T, db *store.DB) {
	now := time.Now()
	dup := Event(now, "taken")
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AuditInsert(ctx, dup) })
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := writeEvent(ctx, tx, now, "outer"); err != nil { // the transaction's, sent with the SAVEPOINT
			return err
		}
		err := tx.Nested(ctx, func() error {
			if err := writeEvent(ctx, tx, now, "inner"); err != nil {
				return err
			}
			// Queued: the step returns nil, and the failure surfaces when
			// its writes reach the server with the RELEASE.
			if err := writeGiven(ctx, tx, dup.ID, now, "inner"); err != nil && !errors.Is(err, errs.ErrDuplicate) {
				return err
			}
			return nil
		})
		if !errors.Is(err, errs.ErrDuplicate) {
			t.Errorf("Nested = %v, want ErrDuplicate", err)
		}
		if n := countIn(ctx, t, tx, "inner"); n != 0 {
			t.Errorf("the failed step left %d of its writes", n)
		}
		if err := tx.Nested(ctx, func() error { return writeEvent(ctx, tx, now, "second") }); err != nil {
			t.Errorf("a later step: %v", err)
		}
		return writeEvent(ctx, tx, now, "after")
	})
	for action, want := range map[string]int{"outer": 1, "inner": 0, "second": 1, "after": 1} {
		if got := countEvents(t, db, action); got != want {
			t.Errorf("%s: %d committed, want %d", action, got, want)
		}
	}
}

func testPipelineTrips(t *testing.T, db *store.DB) {
	now := time.Now()
	ctx, c := store.CountStatements(context.Background())
	err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		for range 3 {
			if err := writeEvent(ctx, tx, now, "trip"); err != nil {
				return err
			}
		}
		// A read of another table does not wait for them.
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_batch`).Scan(&n); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE audit_event SET actor = actor WHERE action = 'trip'`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := int64(5) // SQLite: one call into the engine per statement
	if db.Engine() == store.Postgres {
		want = 2 // the read, then the three writes with the update
	}
	if in, trips := c.InTx.Load(), c.Trips.Load(); in != 5 || trips != want {
		t.Errorf("%d statements in %d trips, want 5 in %d", in, trips, want)
	}
}

func testPipelineAmend(t *testing.T, db *store.DB) {
	at := time.Now().Truncate(time.Millisecond)
	order := func(id string) store.OrderRow {
		return store.OrderRow{ID: id, AccountID: "acc", PlacedBy: "acc", Channel: "web", State: "created", AgreementVersionID: "v",
			AgreementSHA256: "h", AcceptanceID: "a", SubtotalFen: 100, TotalFen: 100, CreatedAt: at, UpdatedAt: at, ExpiresAt: at.Add(time.Hour)}
	}
	// pay moves r created → paid → provisioning, as a checkout does.
	pay := func(ctx context.Context, tx *store.Tx, r store.OrderRow) error {
		r.State, r.PaidFen, r.PaidAt, r.UpdatedAt = "paid", 100, at.Add(time.Second), at.Add(time.Second)
		if ok, err := tx.OrderUpdate(ctx, r, "created"); err != nil || !ok {
			return errors.Join(err, errors.New("paid refused"))
		}
		r.State, r.DeliverBy, r.UpdatedAt = "provisioning", at.Add(time.Hour), at.Add(2*time.Second)
		if ok, err := tx.OrderUpdate(ctx, r, "paid"); err != nil || !ok {
			return errors.Join(err, errors.New("provisioning refused"))
		}
		return nil
	}
	ctx, c := store.CountStatements(context.Background())
	amended, sent := Event(at, "a").ID, Event(at, "b").ID
	err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.OrderInsert(ctx, order(amended)); err != nil {
			return err
		}
		return pay(ctx, tx, order(amended))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := int64(3) // SQLite: the insert and two updates
	if db.Engine() == store.Postgres {
		want = 1 // the insert, of the row as updated
	}
	if n := c.InTx.Load(); n != want {
		t.Errorf("%d statements, want %d", n, want)
	}
	// The same with the insert sent before the updates (a read of the
	// order's table goes between): real updates.
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.OrderInsert(ctx, order(sent)); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE id = $1`, sent).Scan(&n); err != nil || n != 1 {
			return errors.Join(err, fmt.Errorf("the order inserted is read %d times", n))
		}
		return pay(ctx, tx, order(sent))
	})
	for _, oid := range []string{amended, sent} {
		r, err := store.OrderGet(context.Background(), db, oid)
		if err != nil {
			t.Fatal(err)
		}
		if r.State != "provisioning" || r.PaidFen != 100 || !r.PaidAt.Equal(at.Add(time.Second)) || !r.DeliverBy.Equal(at.Add(time.Hour)) ||
			!r.UpdatedAt.Equal(at.Add(2*time.Second)) || r.TotalFen != 100 || r.AcceptanceID != "a" {
			t.Errorf("order %s as stored: %+v", oid, r)
		}
	}
}
