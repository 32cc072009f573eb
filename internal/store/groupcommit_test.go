package store_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"yuanxu/internal/errs"
	"yuanxu/internal/store"
	"yuanxu/internal/store/sqlite"
	"yuanxu/internal/store/storetest"
)

// gcEngine is one way of running InTx: SQLite with group commit (the
// default), SQLite without, PostgreSQL without batches and PostgreSQL with
// them (grouped: the members queued behind a first one share a batch).
type gcEngine struct {
	name    string
	grouped bool
	batched bool
	open    func(t testing.TB) *store.DB
}

func gcEngines() []gcEngine {
	return []gcEngine{
		{name: "sqlite-group", grouped: true, open: func(t testing.TB) *store.DB { return storetest.OpenSQLite(t) }},
		{name: "sqlite-solo", open: func(t testing.TB) *store.DB {
			db := storetest.OpenSQLite(t)
			db.SetGroupCommit(0)
			return db
		}},
		{name: "postgres", open: func(t testing.TB) *store.DB {
			db := storetest.OpenPostgres(t)
			db.SetBatching(0, 0)
			return db
		}},
		// One lane: the first member runs alone while the others queue for
		// one batch (ADR 0030).
		{name: "postgres-batch", grouped: true, batched: true, open: func(t testing.TB) *store.DB {
			db := storetest.OpenPostgres(t)
			db.SetBatching(store.DefaultBatchMembers, 1)
			return db
		}},
	}
}

// gcTables creates the scratch tables of these tests: rows by id, one
// counter every committed member increments, and a child table whose
// foreign key is checked only at COMMIT.
func gcTables(t testing.TB, db *store.DB) {
	t.Helper()
	for _, q := range []string{
		`CREATE TABLE gc_t (id TEXT PRIMARY KEY, n BIGINT NOT NULL)`,
		`CREATE TABLE gc_c (id INTEGER PRIMARY KEY, v BIGINT NOT NULL)`,
		`INSERT INTO gc_c (id, v) VALUES (1, 0)`,
		`INSERT INTO gc_t (id, n) VALUES ('dup', 0)`,
		`CREATE TABLE gc_parent (id TEXT PRIMARY KEY)`,
		`CREATE TABLE gc_child (id TEXT PRIMARY KEY, parent TEXT NOT NULL REFERENCES gc_parent (id) DEFERRABLE INITIALLY DEFERRED)`,
	} {
		if _, err := db.Writer().ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// insertRow writes row id and increments the shared counter.
func insertRow(ctx context.Context, tx *store.Tx, id string) error {
	if _, err := tx.Exec(ctx, `INSERT INTO gc_t (id, n) VALUES ($1, 1)`, id); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE gc_c SET v = v + 1 WHERE id = 1`)
	return err
}

// committedRows lists the ids in gc_t (but "dup") and reads the counter.
func committedRows(t testing.TB, db *store.DB) ([]string, int64) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, `SELECT id FROM gc_t WHERE id <> 'dup' ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var v int64
	if err := db.QueryRow(ctx, `SELECT v FROM gc_c WHERE id = 1`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return ids, v
}

// txFn is what a test member runs inside InTx.
type txFn = func(ctx context.Context, tx *store.Tx) error

// runGroup runs fns[i] through InTx concurrently, one goroutine each, and
// returns each call's error and recovered panic. On a grouped store the
// first fn holds its turn until all the others are queued behind it, so
// they form one group (len(fns) <= DefaultGroupCommitMembers).
func runGroup(t testing.TB, db *store.DB, grouped bool, ctxs []context.Context, fns []txFn) ([]error, []any) {
	t.Helper()
	n := len(fns)
	errsOut, panics := make([]error, n), make([]any, n)
	call := func(i int, fn txFn) {
		defer func() { panics[i] = recover() }()
		ctx := context.Background()
		if i < len(ctxs) && ctxs[i] != nil {
			ctx = ctxs[i]
		}
		errsOut[i] = db.InTx(ctx, fn)
	}
	started := make(chan struct{})
	first := true // a retried leader (run alone) does not wait again
	var wg sync.WaitGroup
	wg.Go(func() {
		call(0, func(ctx context.Context, tx *store.Tx) error {
			if first {
				first = false
				close(started)
				for grouped && store.GroupWaiting(db) < n-1 {
					time.Sleep(time.Millisecond)
				}
			}
			return fns[0](ctx, tx)
		})
	})
	<-started
	for i := 1; i < n; i++ {
		wg.Go(func() { call(i, fns[i]) })
	}
	wg.Wait()
	return errsOut, panics
}

var errBoom = errors.New("boom")

// TestGroupCommitIsolatesFailures: in one group, members that fail (an
// error, a statement error, a panic) are rolled back alone and get their own
// outcome; every other member commits, including (on SQLite, whose
// statement errors abort only the statement; PostgreSQL aborts the whole
// transaction) one that swallowed a statement error, and each sees its own
// writes.
func TestGroupCommitIsolatesFailures(t *testing.T) {
	t.Parallel()
	type kind int
	const (
		ok kind = iota
		fails
		dupReturned
		dupSwallowed
		readsOwn
		panics
	)
	kinds := []kind{ok, fails, dupReturned, dupSwallowed, readsOwn, panics}
	for _, e := range gcEngines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			db := e.open(t)
			gcTables(t, db)
			g0, m0 := db.GroupCommitStats()
			const n = 48
			fns := make([]txFn, n)
			commits := func(k kind) bool {
				return k == ok || k == readsOwn || k == dupSwallowed && db.Engine() == store.SQLite
			}
			var want []string
			for i := range n {
				id := fmt.Sprintf("m%02d", i)
				k := kinds[i%len(kinds)]
				if commits(k) {
					want = append(want, id)
				}
				fns[i] = func(ctx context.Context, tx *store.Tx) error {
					if err := insertRow(ctx, tx, id); err != nil {
						return err
					}
					switch k {
					case fails:
						return errBoom
					case dupReturned, dupSwallowed:
						_, err := tx.Exec(ctx, `INSERT INTO gc_t (id, n) VALUES ('dup', 1)`)
						if !errors.Is(err, errs.ErrDuplicate) {
							return fmt.Errorf("duplicate insert: got %v", err)
						}
						if k == dupReturned {
							return err
						}
					case readsOwn:
						var got int64
						if err := tx.QueryRow(ctx, `SELECT n FROM gc_t WHERE id = $1`, id).Scan(&got); err != nil || got != 1 {
							return fmt.Errorf("own write: %d, %v", got, err)
						}
					case panics:
						panic("member " + id)
					}
					return nil
				}
			}
			gotErrs, gotPanics := runGroup(t, db, e.grouped, nil, fns)
			for i := range n {
				k := kinds[i%len(kinds)]
				err, p := gotErrs[i], gotPanics[i]
				switch {
				case k == fails && !errors.Is(err, errBoom),
					k == dupReturned && !errors.Is(err, errs.ErrDuplicate),
					k == panics && p != fmt.Sprintf("member m%02d", i),
					commits(k) && (err != nil || p != nil),
					k == dupSwallowed && !commits(k) && err == nil:
					t.Errorf("member %d (kind %d): err %v, panic %v", i, k, err, p)
				}
			}
			ids, counter := committedRows(t, db)
			if !slices.Equal(ids, want) || counter != int64(len(want)) {
				t.Errorf("committed %v (counter %d), want %v", ids, counter, want)
			}
			if e.grouped && !e.batched {
				g, m := db.GroupCommitStats()
				if g-g0 != 1 || m-m0 != uint64(len(want)) {
					t.Errorf("group commit: %d physical commits carrying %d members, want 1 carrying %d", g-g0, m-m0, len(want))
				}
			}
		})
	}
}

// TestGroupCommitLeaderFails: the first member failing (error, panic, or a
// context cancelled while it ran) takes none of the members queued behind it
// down with it.
func TestGroupCommitLeaderFails(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fn    func(cancel context.CancelFunc) error
		check func(err error, p any) bool
	}{
		{"error", func(context.CancelFunc) error { return errBoom }, func(err error, p any) bool { return errors.Is(err, errBoom) && p == nil }},
		{"panic", func(context.CancelFunc) error { panic("leader") }, func(err error, p any) bool { return p == "leader" }},
		{"cancelled", func(cancel context.CancelFunc) error { cancel(); return nil }, func(err error, p any) bool { return err != nil && p == nil }},
	}
	for _, e := range gcEngines() {
		for _, c := range cases {
			t.Run(e.name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				db := e.open(t)
				gcTables(t, db)
				const n = 8
				ctx0, cancel := context.WithCancel(context.Background())
				defer cancel()
				fns := make([]txFn, n)
				for i := range n {
					id := fmt.Sprintf("m%02d", i)
					fns[i] = func(ctx context.Context, tx *store.Tx) error { return insertRow(ctx, tx, id) }
				}
				fns[0] = func(ctx context.Context, tx *store.Tx) error {
					if err := insertRow(ctx, tx, "m00"); err != nil {
						return err
					}
					return c.fn(cancel)
				}
				gotErrs, gotPanics := runGroup(t, db, e.grouped, []context.Context{ctx0}, fns)
				if !c.check(gotErrs[0], gotPanics[0]) {
					t.Errorf("leader: err %v, panic %v", gotErrs[0], gotPanics[0])
				}
				var want []string
				for i := 1; i < n; i++ {
					if gotErrs[i] != nil || gotPanics[i] != nil {
						t.Errorf("member %d: err %v, panic %v", i, gotErrs[i], gotPanics[i])
					}
					want = append(want, fmt.Sprintf("m%02d", i))
				}
				if ids, counter := committedRows(t, db); !slices.Equal(ids, want) || counter != n-1 {
					t.Errorf("committed %v (counter %d), want %v", ids, counter, want)
				}
			})
		}
	}
}

// TestGroupCommitAfterCommit: a member's AfterCommit functions run after its
// writes are visible to other connections, in registration order, and never
// for a member rolled back.
func TestGroupCommitAfterCommit(t *testing.T) {
	t.Parallel()
	for _, e := range gcEngines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			db := e.open(t)
			gcTables(t, db)
			const n = 12
			ran := make([][]string, n)
			fns := make([]txFn, n)
			for i := range n {
				id := fmt.Sprintf("m%02d", i)
				fns[i] = func(ctx context.Context, tx *store.Tx) error {
					ran[i] = nil // a retried fn registers afresh
					if err := insertRow(ctx, tx, id); err != nil {
						return err
					}
					for _, step := range []string{"first", "second", "third"} {
						tx.AfterCommit(func() {
							var got int64
							err := db.QueryRow(context.Background(), `SELECT n FROM gc_t WHERE id = $1`, id).Scan(&got)
							ran[i] = append(ran[i], fmt.Sprintf("%s:%d:%v", step, got, err))
						})
					}
					if i%3 == 2 {
						return errBoom
					}
					return nil
				}
			}
			gotErrs, _ := runGroup(t, db, e.grouped, nil, fns)
			for i := range n {
				want := []string{"first:1:<nil>", "second:1:<nil>", "third:1:<nil>"}
				if i%3 == 2 {
					want = nil
					if !errors.Is(gotErrs[i], errBoom) {
						t.Errorf("member %d: err %v", i, gotErrs[i])
					}
				}
				if !slices.Equal(ran[i], want) {
					t.Errorf("member %d: AfterCommit ran %v, want %v", i, ran[i], want)
				}
			}
		})
	}
}

// tickClock advances one millisecond on every reading.
type tickClock struct{ n atomic.Int64 }

func (c *tickClock) Now() time.Time {
	return time.UnixMilli(1_700_000_000_000 + c.n.Add(1)).UTC()
}

// TestGroupCommitNowPerMember: each member reads the clock once, when its
// fn starts; members of one group do not share an instant.
func TestGroupCommitNowPerMember(t *testing.T) {
	t.Parallel()
	for _, e := range gcEngines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			db := e.open(t)
			db.SetClock(&tickClock{})
			const n = 10
			nows := make([]time.Time, n)
			fns := make([]txFn, n)
			for i := range n {
				fns[i] = func(_ context.Context, tx *store.Tx) error { nows[i] = tx.Now; return nil }
			}
			gotErrs, _ := runGroup(t, db, e.grouped, nil, fns)
			seen := map[time.Time]int{}
			for i, now := range nows {
				if gotErrs[i] != nil || now.IsZero() {
					t.Errorf("member %d: err %v, now %v", i, gotErrs[i], now)
				}
				if j, dup := seen[now]; dup {
					t.Errorf("members %d and %d share tx.Now %v", j, i, now)
				}
				seen[now] = i
			}
		})
	}
}

// TestGroupCommitCancelledWhileQueued: a caller whose context ends while it
// waits for its turn leaves the queue with ctx.Err() and writes nothing;
// the group goes on without it.
func TestGroupCommitCancelledWhileQueued(t *testing.T) {
	t.Parallel()
	db := storetest.OpenSQLite(t)
	gcTables(t, db)
	release := make(chan struct{})
	inLeader := make(chan struct{})
	var wg sync.WaitGroup
	var leaderErr, quitterErr, stayerErr error
	wg.Go(func() {
		leaderErr = db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
			close(inLeader)
			<-release
			return insertRow(ctx, tx, "leader")
		})
	})
	<-inLeader
	ctx, cancel := context.WithCancel(context.Background())
	wg.Go(func() {
		quitterErr = db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { return insertRow(ctx, tx, "quitter") })
	})
	for store.GroupWaiting(db) < 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	for store.GroupWaiting(db) > 0 {
		time.Sleep(time.Millisecond)
	}
	wg.Go(func() {
		stayerErr = db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error { return insertRow(ctx, tx, "stayer") })
	})
	for store.GroupWaiting(db) < 1 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if leaderErr != nil || stayerErr != nil || !errors.Is(quitterErr, context.Canceled) {
		t.Errorf("leader %v, stayer %v, quitter %v (want context.Canceled)", leaderErr, stayerErr, quitterErr)
	}
	if ids, counter := committedRows(t, db); !slices.Equal(ids, []string{"leader", "stayer"}) || counter != 2 {
		t.Errorf("committed %v (counter %d), want leader and stayer", ids, counter)
	}
}

// TestGroupCommitLostCommitRetriesAlone: when the shared COMMIT fails (here
// a deferred foreign key one member broke), every member runs again alone;
// only the culprit fails.
func TestGroupCommitLostCommitRetriesAlone(t *testing.T) {
	t.Parallel()
	for _, e := range gcEngines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			db := e.open(t)
			gcTables(t, db)
			const n, culprit = 6, 3
			fns := make([]txFn, n)
			var want []string
			for i := range n {
				id := fmt.Sprintf("m%02d", i)
				parent := id
				if i == culprit {
					parent = "missing"
				} else {
					want = append(want, id)
				}
				fns[i] = func(ctx context.Context, tx *store.Tx) error {
					if _, err := tx.Exec(ctx, `INSERT INTO gc_child (id, parent) VALUES ($1, $2)`, id, parent); err != nil {
						return err
					}
					if i != culprit {
						if _, err := tx.Exec(ctx, `INSERT INTO gc_parent (id) VALUES ($1)`, id); err != nil {
							return err
						}
					}
					return insertRow(ctx, tx, id)
				}
			}
			gotErrs, _ := runGroup(t, db, e.grouped, nil, fns)
			for i, err := range gotErrs {
				if (i == culprit) != (err != nil) {
					t.Errorf("member %d: err %v", i, err)
				}
			}
			if ids, counter := committedRows(t, db); !slices.Equal(ids, want) || counter != n-1 {
				t.Errorf("committed %v (counter %d), want %v", ids, counter, want)
			}
		})
	}
}

// gcJobArgs is a River job kind only these tests insert.
type gcJobArgs struct{ Member string }

func (gcJobArgs) Kind() string { return "store_gc_test" }

// TestGroupCommitRiverInsertTx: River's InsertTx on tx.SQL() works inside a
// member's savepoint; a rolled-back member's job is gone with its writes.
func TestGroupCommitRiverInsertTx(t *testing.T) {
	t.Parallel()
	for _, e := range gcEngines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			db := e.open(t)
			gcTables(t, db)
			client, err := river.NewClient(db.RiverDriver(), &river.Config{})
			if err != nil {
				t.Fatal(err)
			}
			const n = 8
			fns := make([]txFn, n)
			for i := range n {
				id := fmt.Sprintf("m%02d", i)
				fns[i] = func(ctx context.Context, tx *store.Tx) error {
					if _, err := client.InsertTx(ctx, tx.SQL(), gcJobArgs{Member: id}, nil); err != nil {
						return err
					}
					if err := insertRow(ctx, tx, id); err != nil {
						return err
					}
					if i%2 == 1 {
						return errBoom
					}
					return nil
				}
			}
			gotErrs, _ := runGroup(t, db, e.grouped, nil, fns)
			for i, err := range gotErrs {
				if (i%2 == 1) != errors.Is(err, errBoom) || i%2 == 0 && err != nil {
					t.Errorf("member %d: err %v", i, err)
				}
			}
			var jobs int
			if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM river_job WHERE kind = 'store_gc_test'`).Scan(&jobs); err != nil {
				t.Fatal(err)
			}
			if jobs != n/2 {
				t.Errorf("%d jobs committed, want %d", jobs, n/2)
			}
		})
	}
}

// TestGroupCommitManyWriters: many goroutines writing at once, groups
// forming as they may; exactly the successful calls are committed.
func TestGroupCommitManyWriters(t *testing.T) {
	t.Parallel()
	for _, e := range gcEngines() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			db := e.open(t)
			gcTables(t, db)
			const writers, each = 100, 4
			var ok atomic.Int64
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					for j := range each {
						id := fmt.Sprintf("w%03d-%d", w, j)
						err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
							if err := insertRow(ctx, tx, id); err != nil {
								return err
							}
							if (w+j)%3 == 0 {
								return errBoom
							}
							return nil
						})
						switch {
						case err == nil:
							ok.Add(1)
						case !errors.Is(err, errBoom):
							t.Errorf("%s: %v", id, err)
						}
					}
				})
			}
			wg.Wait()
			if ids, counter := committedRows(t, db); int64(len(ids)) != ok.Load() || counter != ok.Load() {
				t.Errorf("%d rows, counter %d, %d calls succeeded", len(ids), counter, ok.Load())
			}
		})
	}
}

// TestGroupCommitDurable: once InTx has returned, the rows are in the file:
// closing and reopening it shows every one; a group of one commits alone.
func TestGroupCommitDurable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		writers int
	}{{"group-of-one", 1}, {"many", 32}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "durable.db")
			db, err := sqlite.Open(path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			gcTables(t, db)
			var wg sync.WaitGroup
			for w := range c.writers {
				wg.Go(func() {
					if err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
						return insertRow(ctx, tx, fmt.Sprintf("w%03d", w))
					}); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			groups, members := db.GroupCommitStats()
			if members != uint64(c.writers) || groups < 1 || groups > members {
				t.Errorf("group commit stats: %d groups, %d members; want %d members", groups, members, c.writers)
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			again, err := sqlite.Open(path, sqlite.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			if ids, counter := committedRows(t, again); len(ids) != c.writers || counter != int64(c.writers) {
				t.Errorf("after reopening: %d rows, counter %d, want %d", len(ids), counter, c.writers)
			}
		})
	}
}
