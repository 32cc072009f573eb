package storetest

import (
	"context"
	"errors"
	"testing"

	"yuanxu/internal/store"
)

// testReadTogether: DB.ReadTogether gives each read its own rows, in
// order, in one round trip on PostgreSQL and one per read elsewhere; a
// read that fails fails the batch, and the reads after it are not
// scanned; a Scan's own error comes back as it is;
// and the pool serves the next batch after either failure.
func testReadTogether(t *testing.T, db *store.DB) {
	ctx := context.Background()
	ints := func(dst *[]int64) func(store.RowScanner) error {
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
