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

// testLastDebitGoesWithCommit: a balance debit run by a Last function
// (ADR 25) commits with the transaction or fails it: concurrent debits
// never take a live balance below zero, and each refused one fails as
// insufficient, mapped by the transaction's Insufficient, with nothing
// of its transaction kept; an account never credited refuses any debit
// and keeps no row. On PostgreSQL the debit is not sent before the
// COMMIT: while the Last functions run the balance row is not locked.
func testLastDebitGoesWithCommit(t *testing.T, db *store.DB) {
	ctx := context.Background()
	cust := id.New()
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.LedgerInsert(ctx, topUp(cust, 10000, tx.Now)) })
	refused := errors.New("refused for want of balance")
	spendPadded := func(who string, fen int64, pad int, during func(ctx context.Context) error) error {
		return db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			if err := tx.AuditInsert(ctx, Event(tx.Now, "last.debit")); err != nil {
				return err
			}
			for range pad { // writes queued ahead of the debit (PostgreSQL)
				if err := tx.Write(ctx, `UPDATE ledger_balance SET updated_at_ms = updated_at_ms WHERE account = $1`, "cash:nobody"); err != nil {
					return err
				}
			}
			row := spend(who, fen, tx.Now)
			row.Insufficient = func(ie *store.InsufficientError) error {
				if ie.Account != "cash:"+who || ie.AmountFen != -fen {
					return fmt.Errorf("insufficient %+v, want cash:%s by %d", ie, who, -fen)
				}
				return refused
			}
			tx.Last(func(ctx context.Context) error {
				if err := tx.LedgerInsert(ctx, row); err != nil {
					return err
				}
				if during != nil {
					return during(ctx)
				}
				return nil
			})
			return nil
		})
	}
	spendLast := func(who string, fen int64, during func(ctx context.Context) error) error {
		return spendPadded(who, fen, 0, during)
	}
	if db.Engine() == store.Postgres {
		err := spendLast(cust, 1000, func(ctx context.Context) error {
			var b int64
			return db.QueryRow(ctx, `SELECT balance_fen FROM ledger_balance WHERE account = $1 FOR UPDATE NOWAIT`, "cash:"+cust).Scan(&b)
		})
		if err != nil {
			t.Fatalf("the balance row was locked before the commit: %v", err)
		}
	} else if err := spendLast(cust, 1000, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	paid, short := 0, 0
	for range 14 {
		wg.Go(func() {
			err := spendLast(cust, 1000, nil)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				paid++
			case errors.Is(err, refused):
				short++
			default:
				t.Errorf("debit: %v", err)
			}
		})
	}
	wg.Wait()
	if paid != 9 || short != 5 {
		t.Errorf("paid %d, refused %d; want 9 and 5", paid, short)
	}
	stranger := id.New()
	if err := spendLast(stranger, 1, nil); !errors.Is(err, refused) {
		t.Errorf("a debit of an account never credited: %v, want refused", err)
	}
	// However many writes are queued ahead of it — the queue is sent when
	// full, the debit's statements with it or after it — the refusal is
	// the debit's own.
	for pad := 58; pad <= 66; pad++ {
		if err := spendPadded(stranger, 1, pad, nil); !errors.Is(err, refused) {
			t.Errorf("with %d writes queued ahead: %v, want refused", pad, err)
		}
	}
	bal, err := store.LedgerBalances(ctx, db, "cash:"+cust, "cash:"+stranger)
	if err != nil {
		t.Fatal(err)
	}
	if bal["cash:"+cust] != 0 {
		t.Errorf("balance after: %d, want 0", bal["cash:"+cust])
	}
	if v, ok := bal["cash:"+stranger]; ok {
		t.Errorf("the refused debit left a balance row of %d", v)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM ledger_txn WHERE customer_id = $1`, cust).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1+1+9 { // the top-up, the first debit, the nine paid
		t.Errorf("%d ledger transactions of the customer, want 11: a refused debit kept its transaction", n)
	}
}
