package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"yuanxu/internal/store"
)

// testTxLast: functions registered with Tx.Last run after fn, after the
// buffered audit events are written, in registration order, before the
// commit; an error from one fails the whole transaction (InTx returns
// it, nothing is committed); a failed Nested step drops the ones it
// registered.
func testTxLast(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE last_probe (k TEXT PRIMARY KEY, v BIGINT NOT NULL)`)
		return err
	})
	var order []string
	ev := Event(now, "last.before")
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.AuditInsert(ctx, ev); err != nil {
			return err
		}
		tx.Last(func(ctx context.Context) error {
			// The audit buffer is already written: a raw read sees it.
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_event WHERE id = $1`, ev.ID).Scan(&n); err != nil {
				return err
			}
			order = append(order, fmt.Sprintf("first:%d", n))
			_, err := tx.Exec(ctx, `INSERT INTO last_probe (k, v) VALUES ('a', 1)`)
			return err
		})
		nerr := tx.Nested(ctx, func() error {
			tx.Last(func(context.Context) error { order = append(order, "dropped"); return nil })
			return errors.New("the step fails")
		})
		if nerr == nil {
			return errors.New("the nested step did not fail")
		}
		tx.Last(func(ctx context.Context) error {
			order = append(order, "second")
			_, err := tx.Exec(ctx, `UPDATE last_probe SET v = v + 1 WHERE k = 'a'`)
			return err
		})
		order = append(order, "fn")
		return nil
	})
	if want := []string{"fn", "first:1", "second"}; !slices.Equal(order, want) {
		t.Errorf("ran %v, want %v", order, want)
	}
	var v int
	if err := db.QueryRow(ctx, `SELECT v FROM last_probe WHERE k = 'a'`).Scan(&v); err != nil || v != 2 {
		t.Errorf("last_probe a = %d (%v), want 2: both last functions committed", v, err)
	}

	// An error from a last function is the transaction's: nothing of fn,
	// of its audit events or of the earlier last functions commits.
	refused := errors.New("balance drained meanwhile")
	err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO last_probe (k, v) VALUES ('b', 1)`); err != nil {
			return err
		}
		if err := tx.AuditInsert(ctx, Event(now, "last.never")); err != nil {
			return err
		}
		tx.Last(func(ctx context.Context) error {
			_, err := tx.Exec(ctx, `INSERT INTO last_probe (k, v) VALUES ('c', 1)`)
			return err
		})
		tx.Last(func(context.Context) error { return refused })
		return nil
	})
	if !errors.Is(err, refused) {
		t.Fatalf("InTx returned %v, want the last function's error", err)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM last_probe WHERE k IN ('b', 'c')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows of the failed transaction committed (%v), want 0", n, err)
	}
	if c := countEvents(t, db, "last.never"); c != 0 {
		t.Errorf("the failed transaction wrote %d audit events", c)
	}
}
