package store_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"yuanxu/internal/store"
	"yuanxu/internal/store/sqlite"
	"yuanxu/internal/store/storetest"
)

// countTo yields the rows 1 … $1; times10 the one row 10·$1.
const (
	countTo = `WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < CAST($1 AS INTEGER)) SELECT x FROM n`
	times10 = `SELECT CAST($1 AS INTEGER) * 10`
)

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

// warm runs the statements often enough, in transactions and on the
// reader pool, for the cache to prepare them, and waits until it has.
func warm(t *testing.T, db *store.DB, queries ...string) {
	t.Helper()
	ctx := context.Background()
	for range 3 {
		for _, q := range queries {
			if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				var x int
				return tx.QueryRow(ctx, q, 1).Scan(&x)
			}); err != nil {
				t.Fatal(err)
			}
			var x int
			if err := db.QueryRow(ctx, q, 1).Scan(&x); err != nil {
				t.Fatal(err)
			}
		}
		store.StmtCacheSettle(db)
	}
}

// TestStmtCacheNestedUseInTx: a cached statement used again while its
// rows are still open in the same transaction (a nested query, a second
// QueryRow before the first is scanned, an Exec) gives every caller its
// own correct rows, and the cached statements are used (hits). SQLite
// only: there is no cache on PostgreSQL, whose connection cannot run a
// query while another's rows are open anyway ("conn busy").
func TestStmtCacheNestedUseInTx(t *testing.T) {
	t.Parallel()
	for _, h := range storetest.Engines() {
		if h.Name != "sqlite" {
			continue
		}
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			db, ctx := h.New(t), context.Background()
			const insert = `INSERT INTO stmtcache_probe (k, v) VALUES ($1, $2)`
			if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.Exec(ctx, `CREATE TABLE stmtcache_probe (k BIGINT PRIMARY KEY, v BIGINT NOT NULL)`)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			warm(t, db, countTo, times10)
			_, _, before, cached := store.StmtCacheStats(db)
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
			if _, _, after, _ := store.StmtCacheStats(db); !cached || after <= before {
				t.Fatalf("SQLite: no cached statement was used (hits %d → %d)", before, after)
			}
		})
	}
}

// TestStmtCacheConcurrentUse: readers and transactions using the same
// cached statements at once each get their own answer (run with -race).
func TestStmtCacheConcurrentUse(t *testing.T) {
	t.Parallel()
	for _, h := range storetest.Engines() {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			db, ctx := h.New(t), context.Background()
			warm(t, db, countTo, times10)
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
		})
	}
}

// TestStmtCacheBounded: many distinct query texts (as built with IN lists
// of varying length) never make a pool's cache hold more than its bound,
// statements evicted while their rows are being read keep working, and
// PostgreSQL has no cache (pgx caches per connection).
func TestStmtCacheBounded(t *testing.T) {
	t.Parallel()
	for _, h := range storetest.Engines() {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			db, ctx := h.New(t), context.Background()
			if _, _, _, ok := store.StmtCacheStats(db); !ok {
				if h.Name == "sqlite" {
					t.Fatal("SQLite has no statement cache")
				}
				return // PostgreSQL: nothing to bound
			}
			const bound = 4
			store.SetStmtCacheMax(db, bound)
			warm(t, db, countTo)
			rows, err := db.Query(ctx, countTo, 5)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var got []int
			var x int
			if !rows.Next() || rows.Scan(&x) != nil {
				t.Fatal("no first row")
			}
			got = append(got, x)
			for k := range 3 * bound {
				q := fmt.Sprintf(`SELECT CAST($1 AS INTEGER) + %d`, k) // evicts countTo while its rows are open
				warm(t, db, q)
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
			w, r, _, _ := store.StmtCacheStats(db)
			if w > bound || r > bound || w == 0 || r == 0 {
				t.Fatalf("cache sizes writer %d, reader %d: want 1…%d each", w, r, bound)
			}
		})
	}
}

// TestStmtCacheClosedWithDB: closing the DB closes its cached statements
// and stops the preparer; the default bound is sane.
func TestStmtCacheClosedWithDB(t *testing.T) {
	t.Parallel()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "stmtcache.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	warm(t, db, countTo, times10)
	if w, r, _, ok := store.StmtCacheStats(db); !ok || w != 2 || r != 2 {
		t.Fatalf("after warming two queries: writer %d, reader %d statements (ok %v), want 2 and 2", w, r, ok)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if !store.StmtCacheClosed(db) {
		t.Fatal("the statement caches are open after Close")
	}
	if store.StmtCacheSize < 64 || store.StmtCacheSize > 4096 {
		t.Fatalf("StmtCacheSize %d: want a bound between 64 and 4096", store.StmtCacheSize)
	}
}
