package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"yuanxu/internal/store"
	"yuanxu/internal/store/sqlite"
)

// countTo yields the rows 1 … $1; times10 the one row 10·$1.
const (
	countTo = `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < CAST($1 AS INTEGER)) SELECT x FROM n`
	times10 = `SELECT CAST($1 AS INTEGER) * 10`
)

// open opens a migrated-free database in a temporary directory: one
// reader connection, so that a test sees the one cache readers use.
func open(t *testing.T, o sqlite.Options) *store.DB {
	t.Helper()
	o.ReadConns = 1
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "stmtcache.db"), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

type querier interface {
	Query(ctx context.Context, query string, args ...any) (*store.Rows, error)
}

func collect(ctx context.Context, q querier, n int) ([]int, error) {
	rows, err := q.Query(ctx, countTo, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var x int
		if err := rows.Scan(&x); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func upTo(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func cache(t *testing.T, db *store.DB, writer bool) (size int, hits int64) {
	t.Helper()
	pool := db.Reader()
	if writer {
		pool = db.Writer()
	}
	size, hits, err := sqlite.ConnCache(context.Background(), pool)
	if err != nil {
		t.Fatal(err)
	}
	return size, hits
}

// TestStmtCacheNestedUseInTx: a cached statement used again while its
// rows are still open in the same transaction (a nested query, a second
// QueryRow before the first is scanned, an Exec) gives every caller its
// own correct rows, and the cached statements are used (hits).
func TestStmtCacheNestedUseInTx(t *testing.T) {
	t.Parallel()
	db, ctx := open(t, sqlite.Options{}), context.Background()
	const insert = `INSERT INTO stmtcache_probe (k, v) VALUES ($1, $2)`
	if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `CREATE TABLE stmtcache_probe (k BIGINT PRIMARY KEY, v BIGINT NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, before := cache(t, db, true)
	for round := range 3 {
		var outer []int
		err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			outer = nil
			rows, err := tx.Query(ctx, countTo, 4)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var x int
				if err := rows.Scan(&x); err != nil {
					return err
				}
				outer = append(outer, x)
				inner, err := collect(ctx, tx, x)
				if err != nil {
					return err
				}
				if !slices.Equal(inner, upTo(x)) {
					return fmt.Errorf("nested count to %d gave %v", x, inner)
				}
				var first int
				if err := tx.QueryRow(ctx, countTo, x).Scan(&first); err != nil || first != 1 {
					return fmt.Errorf("nested QueryRow: %d, %v", first, err)
				}
				if _, err := tx.Exec(ctx, insert, round*10+x, len(inner)); err != nil {
					return err
				}
			}
			if err := rows.Err(); err != nil {
				return err
			}
			r1, r2 := tx.QueryRow(ctx, times10, 1), tx.QueryRow(ctx, times10, 2)
			var a, b int
			if err := r2.Scan(&b); err != nil {
				return err
			}
			if err := r1.Scan(&a); err != nil {
				return err
			}
			if a != 10 || b != 20 {
				return fmt.Errorf("two pending QueryRows gave %d and %d, want 10 and 20", a, b)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if !slices.Equal(outer, upTo(4)) {
			t.Fatalf("round %d: outer rows %v, want 1…4", round, outer)
		}
	}
	var sum int
	if err := db.QueryRow(ctx, `SELECT SUM(v) FROM stmtcache_probe`).Scan(&sum); err != nil || sum != 30 {
		t.Fatalf("stored sum %d (%v), want 3 rounds × (1+2+3+4) = 30", sum, err)
	}
	if _, after := cache(t, db, true); after <= before {
		t.Fatalf("no cached statement was used (writer hits %d → %d)", before, after)
	}
}

// TestStmtCacheServesAdHocCallers: a caller of the pool that is not the
// store — River runs its queries ad hoc on the *sql.Tx or *sql.DB it is
// handed — gets its statements from the cache too.
func TestStmtCacheServesAdHocCallers(t *testing.T) {
	t.Parallel()
	db, ctx := open(t, sqlite.Options{}), context.Background()
	if _, err := db.Writer().ExecContext(ctx, `CREATE TABLE adhoc (k INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	const ins = `INSERT INTO adhoc (k, v) VALUES ($1, $2)`
	_, before := cache(t, db, true)
	for k := range 5 {
		tx, err := db.Writer().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, ins, k, fmt.Sprint("v", k)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	size, after := cache(t, db, true)
	if after-before < 4 || size == 0 {
		t.Fatalf("5 ad-hoc inserts of one text: %d hits (want ≥ 4), %d statements cached", after-before, size)
	}
	var n int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM adhoc`).Scan(&n); err != nil || n != 5 {
		t.Fatalf("%d rows (%v), want 5", n, err)
	}
	// A statement that fails to prepare is reported as before and not cached.
	if _, err := db.Writer().ExecContext(ctx, `INSERT INTO no_such_table VALUES (1)`); err == nil {
		t.Fatal("an insert into a missing table succeeded")
	}
	if s2, _ := cache(t, db, true); s2 != size {
		t.Fatalf("a failed prepare changed the cache: %d → %d statements", size, s2)
	}
}

// TestStmtCacheConcurrentUse: readers and transactions using the same
// cached statements at once each get their own answer (run with -race).
func TestStmtCacheConcurrentUse(t *testing.T) {
	t.Parallel()
	db, ctx := open(t, sqlite.Options{}), context.Background()
	var wg sync.WaitGroup
	errc := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				n := g + i + 1
				var got int
				var err error
				if g%2 == 0 {
					err = db.QueryRow(ctx, times10, n).Scan(&got)
					if err == nil {
						var c []int
						if c, err = collect(ctx, db, n%7+1); err == nil && !slices.Equal(c, upTo(n%7+1)) {
							err = fmt.Errorf("reader count to %d gave %v", n%7+1, c)
						}
					}
				} else {
					err = db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
						return tx.QueryRow(ctx, times10, n).Scan(&got)
					})
				}
				if err == nil && got != 10*n {
					err = fmt.Errorf("goroutine %d: %d·10 gave %d", g, n, got)
				}
				if err != nil {
					errc <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
}

// TestStmtCacheBounded: many distinct query texts (as built with IN lists
// of varying length) never make a connection's cache hold more than its
// bound, and a statement evicted while its rows are being read keeps
// working.
func TestStmtCacheBounded(t *testing.T) {
	t.Parallel()
	const bound = 4
	db, ctx := open(t, sqlite.Options{StmtCacheSize: bound}), context.Background()
	conn, err := db.Reader().Conn(ctx) // the rows and the evicting queries share one connection
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, countTo, 5)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	var x int
	if !rows.Next() || rows.Scan(&x) != nil {
		t.Fatal("no first row")
	}
	got = append(got, x)
	for k := range 3 * bound {
		q := fmt.Sprintf(`SELECT CAST($1 AS INTEGER) + %d`, k) // evicts countTo while its rows are open
		var y int
		if err := conn.QueryRowContext(ctx, q, 1).Scan(&y); err != nil || y != 1+k {
			t.Fatalf("%s: %d, %v", q, y, err)
		}
	}
	for rows.Next() {
		if err := rows.Scan(&x); err != nil {
			t.Fatal(err)
		}
		got = append(got, x)
	}
	if err := rows.Err(); err != nil || !slices.Equal(got, upTo(5)) {
		t.Fatalf("rows of an evicted statement: %v (%v), want 1…5", got, err)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	if size, _ := cache(t, db, false); size == 0 || size > bound {
		t.Fatalf("reader cache holds %d statements, want 1…%d", size, bound)
	}
}
