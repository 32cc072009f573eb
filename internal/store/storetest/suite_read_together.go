package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/store"
)

// testReadTogether: DB.ReadTogether gives each read its own rows, in
// order, in one round trip on PostgreSQL and one per read elsewhere; a
// read that fails fails the batch, and the reads after it are not
// scanned; a Scan's own error comes back as it is;
// and the pool serves the next batch after either failure.
func testReadTogether(t *testing.T, db *store.DB) {
	ctx := context.Background()
	ints := Int64s
	ok := func() {
		t.Helper()
		var a, b, c []int64
		cctx, n := store.CountStatements(ctx)
		err := db.ReadTogether(cctx,
			store.Read{SQL: `SELECT 1 UNION ALL SELECT 2 ORDER BY 1`, Scan: ints(&a)},
			store.Read{SQL: `SELECT CAST($1 AS BIGINT) * 10`, Args: []any{int64(7)}, Scan: ints(&b)},
			store.Read{SQL: `SELECT 3 WHERE 1 = 0`, Scan: ints(&c)})
		if err != nil || len(a) != 2 || a[0] != 1 || a[1] != 2 || len(b) != 1 || b[0] != 70 || len(c) != 0 {
			t.Fatalf("ReadTogether: %v %v %v, %v", a, b, c, err)
		}
		trips := int64(3)
		if db.Engine() == store.Postgres {
			trips = 1
		}
		if n.Pool.Load() != 3 || n.PoolTrips.Load() != trips {
			t.Fatalf("%d reads in %d round trips, want 3 in %d", n.Pool.Load(), n.PoolTrips.Load(), trips)
		}
	}
	ok()

	var before, after []int64
	err := db.ReadTogether(ctx,
		store.Read{SQL: `SELECT 1`, Scan: ints(&before)},
		store.Read{SQL: `SELECT * FROM no_such_table`, Scan: ints(new([]int64))},
		store.Read{SQL: `SELECT 2`, Scan: ints(&after)})
	// The read before may have been scanned (SQLite) or not (PostgreSQL
	// prepares the whole batch first): the batch failed either way.
	if err == nil || len(before) > 1 || len(after) != 0 {
		t.Fatalf("a failing read: %v, read before %v and after %v", err, before, after)
	}
	ok()

	mine := errors.New("the scan's own error")
	err = db.ReadTogether(ctx,
		store.Read{SQL: `SELECT 1`, Scan: func(store.RowScanner) error { return mine }},
		store.Read{SQL: `SELECT 2`, Scan: ints(&after)})
	if !errors.Is(err, mine) || len(after) != 0 {
		t.Fatalf("a failing scan: %v, read after %v", err, after)
	}
	ok()
}

// testTxReadTogether: Tx.ReadTogether inside a transaction gives each read
// its rows, in order; a read of a table a queued write writes sees that
// write (it goes ahead, in the same round trip on PostgreSQL); a read that
// fails fails the transaction, and a Scan's own error comes back as it is.
func testTxReadTogether(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.Now()
	var queued, ones []int64
	cctx, n := store.CountStatements(ctx)
	mustTxCtx(t, cctx, db, func(ctx context.Context, tx *store.Tx) error {
		if err := writeEvent(ctx, tx, now, "together"); err != nil {
			return err
		}
		return tx.ReadTogether(ctx,
			store.Read{SQL: `SELECT COUNT(*) FROM audit_event WHERE action = $1`, Args: []any{"together"}, Scan: Int64s(&queued)},
			store.Read{SQL: `SELECT 1 UNION ALL SELECT 1`, Scan: Int64s(&ones)})
	})
	if len(queued) != 1 || queued[0] != 1 || len(ones) != 2 {
		t.Fatalf("reads together saw %v and %v, want [1] and [1 1]", queued, ones)
	}
	trips := int64(3)
	if db.Engine() == store.Postgres {
		trips = 1 // the queued insert and both reads
	}
	if n.InTx.Load() != 3 || n.Trips.Load() != trips {
		t.Fatalf("%d statements in %d round trips, want 3 in %d", n.InTx.Load(), n.Trips.Load(), trips)
	}
	if got := countEvents(t, db, "together"); got != 1 {
		t.Fatalf("committed %d events, want 1", got)
	}

	err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := writeEvent(ctx, tx, now, "lost"); err != nil {
			return err
		}
		return tx.ReadTogether(ctx,
			store.Read{SQL: `SELECT COUNT(*) FROM audit_event`, Scan: Int64s(new([]int64))},
			store.Read{SQL: `SELECT * FROM no_such_table`, Scan: Int64s(new([]int64))})
	})
	if err == nil || countEvents(t, db, "lost") != 0 {
		t.Fatalf("a failing read in a transaction: %v, %d events committed", err, countEvents(t, db, "lost"))
	}

	// A queued write that fails in the reads' round trip fails them with
	// its own error (SQLite: the write itself fails).
	dup := Event(now, "taken")
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AuditInsert(ctx, dup) })
	err = db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := writeGiven(ctx, tx, dup.ID, now, "again"); err != nil {
			return err
		}
		return tx.ReadTogether(ctx,
			store.Read{SQL: `SELECT COUNT(*) FROM audit_event`, Scan: Int64s(new([]int64))},
			store.Read{SQL: `SELECT 1`, Scan: Int64s(new([]int64))})
	})
	if !errors.Is(err, errs.ErrDuplicate) {
		t.Fatalf("a failing queued write before reads together: %v, want a duplicate", err)
	}

	mine := errors.New("the scan's own error")
	err = db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return tx.ReadTogether(ctx,
			store.Read{SQL: `SELECT 1`, Scan: Int64s(new([]int64))},
			store.Read{SQL: `SELECT 2`, Scan: func(store.RowScanner) error { return mine }})
	})
	if !errors.Is(err, mine) {
		t.Fatalf("a failing scan in a transaction: %v", err)
	}
}

// Int64s scans a read's single BIGINT column into *dst.
func Int64s(dst *[]int64) func(store.RowScanner) error {
	return func(rows store.RowScanner) error {
		for rows.Next() {
			var v int64
			if err := rows.Scan(&v); err != nil {
				return err
			}
			*dst = append(*dst, v)
		}
		return nil
	}
}
