package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"yuanxu/internal/audit"
	"yuanxu/internal/errs"
	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// Batched transactions on PostgreSQL (ADR 0030). The group-commit tests run
// against them too (gcEngines' "postgres-batch"): failures, panics,
// cancellation, River's inserts and many writers. These are the batch's own.

// openBatched opens a PostgreSQL store whose batches form one at a time
// (one lane), for runGroup: the first member runs alone while the others
// queue for one batch behind it.
func openBatched(t *testing.T) *store.DB {
	t.Helper()
	db := storetest.OpenPostgres(t)
	db.SetBatching(store.DefaultBatchMembers, 1)
	gcTables(t, db)
	return db
}

// batchStats is BatchStats as a value, for before-and-after comparisons.
type batchStats struct{ batches, members, solo uint64 }

func statsOf(db *store.DB) batchStats {
	b, m, s := db.BatchStats()
	return batchStats{b, m, s}
}

func (s batchStats) since(before batchStats) batchStats {
	return batchStats{s.batches - before.batches, s.members - before.members, s.solo - before.solo}
}

// batchCase runs n members, member(i, id) each (id "mNN"), through one batch
// behind a first member that runs alone (runGroup), and checks what they
// leave: member culprit (-1: none) fails with errBoom and the others
// succeed; every member but the culprit committed its row of gc_t and its
// increment of the counter; the batches are want.
func batchCase(t *testing.T, db *store.DB, n, culprit int, member func(i int, id string) txFn, want batchStats) {
	t.Helper()
	fns := make([]txFn, n)
	var ids []string
	for i := range n {
		id := fmt.Sprintf("m%02d", i)
		if i != culprit {
			ids = append(ids, id)
		}
		fns[i] = member(i, id)
	}
	before := statsOf(db)
	gotErrs, _ := runGroup(t, db, true, nil, fns)
	for i, err := range gotErrs {
		if (i == culprit) != errors.Is(err, errBoom) || i != culprit && err != nil {
			t.Errorf("member %d: %v", i, err)
		}
	}
	if got, counter := committedRows(t, db); !slices.Equal(got, ids) || counter != int64(len(ids)) {
		t.Errorf("committed %v (counter %d), want %v", got, counter, ids)
	}
	if got := statsOf(db).since(before); got != want {
		t.Errorf("batches %+v, want %+v", got, want)
	}
}

// TestBatchCommitsMembersTogether: members queued together share one
// transaction and commit together, each seeing its own writes; their
// inserts of one table are merged (a child's foreign key finds its
// parent), their updates of one row (the shared counter) all apply.
func TestBatchCommitsMembersTogether(t *testing.T) {
	t.Parallel()
	db := openBatched(t)
	const n = 8
	batchCase(t, db, n, -1, func(i int, id string) txFn {
		return func(ctx context.Context, tx *store.Tx) error {
			// Queued writes, then a query that must see them.
			if err := tx.Write(ctx, `INSERT INTO gc_t (id, n) VALUES ($1, $2)`, id, int64(i)); err != nil {
				return err
			}
			if err := tx.Write(ctx, `INSERT INTO gc_parent (id) VALUES ($1)`, id); err != nil {
				return err
			}
			var got int64
			if err := tx.QueryRow(ctx, `SELECT n FROM gc_t WHERE id = $1`, id).Scan(&got); err != nil || got != int64(i) {
				return fmt.Errorf("own write: %d, %v", got, err)
			}
			if err := tx.Write(ctx, `INSERT INTO gc_child (id, parent) VALUES ($1, $2)`, id, id); err != nil {
				return err
			}
			return tx.Write(ctx, `UPDATE gc_c SET v = v + 1 WHERE id = 1`)
		}
	}, batchStats{1, n - 1, 0}) // the first ran alone, the others in one batch
	var children int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM gc_child c JOIN gc_parent p ON p.id = c.parent`).Scan(&children); err != nil || children != n {
		t.Errorf("children %d (%v), want %d", children, err, n)
	}
	// Once no batch runs, no connection is left in the transaction the
	// last COMMIT opened for a next batch.
	deadline := time.Now().Add(10 * time.Second)
	for {
		var open int
		if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM pg_stat_activity
 WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still idle in a transaction", open)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBatchReadTogether: a member's reads sent together (Tx.ReadTogether)
// go in one round of its batch, behind the queued writes one of them
// reads: each member sees its own row and the counter, and all commit in
// the batch.
func TestBatchReadTogether(t *testing.T) {
	t.Parallel()
	const n = 6
	batchCase(t, openBatched(t), n, -1, func(i int, id string) txFn {
		return func(ctx context.Context, tx *store.Tx) error {
			if err := tx.Write(ctx, `INSERT INTO gc_t (id, n) VALUES ($1, $2)`, id, int64(i)); err != nil {
				return err
			}
			var own, counter []int64
			if err := tx.ReadTogether(ctx,
				store.Read{SQL: `SELECT n FROM gc_t WHERE id = $1`, Args: []any{id}, Scan: storetest.Int64s(&own)},
				store.Read{SQL: `SELECT v + 1000000 FROM gc_c WHERE id = 1`, Scan: storetest.Int64s(&counter)}); err != nil {
				return err
			}
			if len(own) != 1 || own[0] != int64(i) || len(counter) != 1 || counter[0] < 1000000 {
				return fmt.Errorf("reads together saw %v and %v", own, counter)
			}
			return tx.Write(ctx, `UPDATE gc_c SET v = v + 1 WHERE id = 1`)
		}
	}, batchStats{1, n - 1, 0})
}

// TestBatchMemberFailingBeforeItWrites: a member that read and then failed
// sent nothing the batch must undo: the others commit in the batch, and it
// gets its own error.
func TestBatchMemberFailingBeforeItWrites(t *testing.T) {
	t.Parallel()
	const n = 6
	batchCase(t, openBatched(t), n, 3, func(i int, id string) txFn {
		return func(ctx context.Context, tx *store.Tx) error {
			var v int64
			if err := tx.QueryRow(ctx, `SELECT v FROM gc_c WHERE id = 1`).Scan(&v); err != nil {
				return err
			}
			if i == 3 {
				// Queued, never sent: forgotten with the member.
				_ = tx.Write(ctx, `INSERT INTO gc_t (id, n) VALUES ($1, 1)`, id)
				return errBoom
			}
			return insertRow(ctx, tx, id)
		}
	}, batchStats{1, n - 2, 0}) // a batch of n-1, the culprit dropped
}

// TestBatchFailureRunsMembersAlone: a statement failure (a duplicate key a
// member turns into its answer) loses the batch's transaction: every member
// runs again alone and gets what it would have got alone.
func TestBatchFailureRunsMembersAlone(t *testing.T) {
	t.Parallel()
	const n = 5
	batchCase(t, openBatched(t), n, 2, func(i int, id string) txFn {
		return func(ctx context.Context, tx *store.Tx) error {
			if err := insertRow(ctx, tx, id); err != nil {
				return err
			}
			if i == 2 {
				if _, err := tx.Exec(ctx, `INSERT INTO gc_t (id, n) VALUES ('dup', 1)`); !errors.Is(err, errs.ErrDuplicate) {
					return fmt.Errorf("duplicate: %v", err)
				}
				return errBoom
			}
			return nil
		}
	}, batchStats{0, 0, n - 1})
}

// TestBatchNestedStep: a step that fails before anything of it was sent is
// forgotten in the batch; one that fails after it sent a statement fails the
// batch, and alone its savepoint undoes it.
func TestBatchNestedStep(t *testing.T) {
	t.Parallel()
	for _, sent := range []bool{false, true} {
		t.Run(fmt.Sprintf("sent=%v", sent), func(t *testing.T) {
			t.Parallel()
			db := openBatched(t)
			const n = 4
			want := batchStats{1, n - 1, 0}
			if sent {
				want = batchStats{0, 0, n - 1}
			}
			batchCase(t, db, n, -1, func(i int, id string) txFn {
				return func(ctx context.Context, tx *store.Tx) error {
					if err := tx.Write(ctx, `INSERT INTO gc_t (id, n) VALUES ($1, 1)`, id); err != nil {
						return err
					}
					err := tx.Nested(ctx, func() error {
						if err := tx.Write(ctx, `INSERT INTO gc_parent (id) VALUES ($1)`, "step-"+id); err != nil {
							return err
						}
						if sent && i == 1 {
							if _, err := tx.Exec(ctx, `UPDATE gc_parent SET id = id WHERE id = $1`, "step-"+id); err != nil {
								return err
							}
						}
						if i == 1 {
							return errBoom
						}
						return nil
					})
					if i == 1 != errors.Is(err, errBoom) {
						return fmt.Errorf("step: %v", err)
					}
					return tx.Write(ctx, `UPDATE gc_c SET v = v + 1 WHERE id = 1`)
				}
			}, want)
			var steps []string
			rows, err := db.Query(context.Background(), `SELECT id FROM gc_parent ORDER BY id`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				steps = append(steps, s)
			}
			if wantSteps := []string{"step-m00", "step-m02", "step-m03"}; !slices.Equal(steps, wantSteps) {
				t.Errorf("steps %v, want %v", steps, wantSteps)
			}
		})
	}
}

// TestBatchScansAsAlone: a batch reads its queries' rows into memory; they
// scan into every kind of destination the store uses as the rows of a
// transaction of its own do.
func TestBatchScansAsAlone(t *testing.T) {
	t.Parallel()
	db := openBatched(t)
	ctx := context.Background()
	if _, err := db.Writer().ExecContext(ctx, `CREATE TABLE gc_kinds (id TEXT PRIMARY KEY, i BIGINT, s TEXT, b BOOLEAN, raw BYTEA, f DOUBLE PRECISION, small INTEGER)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Writer().ExecContext(ctx, `INSERT INTO gc_kinds VALUES ('full', -42, '元序 yuanxu', TRUE, '\x00ff', 1.5, 7), ('empty', NULL, NULL, NULL, NULL, NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	type kinds struct {
		i            int64
		s            string
		b            bool
		raw          []byte
		f            float64
		small        int
		ni           sql.NullInt64
		ns           sql.NullString
		nb           sql.NullBool
		nf           sql.NullFloat64
		nsmall       sql.NullInt32
		missing      error
		rowsFound    int
		emptyScanned sql.NullString
	}
	read := func(ctx context.Context, tx *store.Tx) (kinds, error) {
		var k kinds
		if err := tx.QueryRow(ctx, `SELECT i, s, b, raw, f, small FROM gc_kinds WHERE id = 'full'`).Scan(&k.i, &k.s, &k.b, &k.raw, &k.f, &k.small); err != nil {
			return k, err
		}
		if err := tx.QueryRow(ctx, `SELECT i, s, b, f, small FROM gc_kinds WHERE id = 'empty'`).Scan(&k.ni, &k.ns, &k.nb, &k.nf, &k.nsmall); err != nil {
			return k, err
		}
		var x int64
		k.missing = tx.QueryRow(ctx, `SELECT i FROM gc_kinds WHERE id = 'none'`).Scan(&x)
		rows, err := tx.Query(ctx, `SELECT s FROM gc_kinds ORDER BY id`)
		if err != nil {
			return k, err
		}
		defer rows.Close()
		for rows.Next() {
			k.rowsFound++
			if err := rows.Scan(&k.emptyScanned); err != nil {
				return k, err
			}
		}
		return k, rows.Err()
	}
	var alone kinds
	if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) (err error) {
		alone, err = read(ctx, tx)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(alone.missing, errs.ErrNotFound) || alone.rowsFound != 2 || alone.s != "元序 yuanxu" || alone.ni.Valid {
		t.Fatalf("alone: %+v", alone)
	}
	const n = 4
	got := make([]kinds, n)
	fns := make([]txFn, n)
	for i := range n {
		fns[i] = func(ctx context.Context, tx *store.Tx) (err error) {
			got[i], err = read(ctx, tx)
			return err
		}
	}
	before := statsOf(db)
	gotErrs, _ := runGroup(t, db, true, nil, fns)
	for i := range n {
		if gotErrs[i] != nil {
			t.Errorf("member %d: %v", i, gotErrs[i])
			continue
		}
		k := got[i]
		if k.i != alone.i || k.s != alone.s || k.b != alone.b || !slices.Equal(k.raw, alone.raw) || k.f != alone.f || k.small != alone.small ||
			k.ni != alone.ni || k.ns != alone.ns || k.nb != alone.nb || k.nf != alone.nf || k.nsmall != alone.nsmall ||
			!errors.Is(k.missing, errs.ErrNotFound) || k.rowsFound != alone.rowsFound || k.emptyScanned != alone.emptyScanned {
			t.Errorf("member %d read %+v, alone %+v", i, k, alone)
		}
	}
	if got := statsOf(db).since(before); got != (batchStats{1, n - 1, 0}) {
		t.Errorf("batches %+v, want 1 of %d", got, n-1)
	}
}

// TestBatchMemberGoexit: a member whose fn ends its goroutine
// (runtime.Goexit, as t.FailNow does) after it wrote does not leave its
// batch waiting: the batch fails and the others commit alone.
func TestBatchMemberGoexit(t *testing.T) {
	t.Parallel()
	db := openBatched(t)
	const n = 4
	fns := make([]txFn, n)
	var want []string
	for i := range n {
		id := fmt.Sprintf("m%02d", i)
		if i != 2 {
			want = append(want, id)
		}
		fns[i] = func(ctx context.Context, tx *store.Tx) error {
			if err := insertRow(ctx, tx, id); err != nil {
				return err
			}
			if i == 2 {
				runtime.Goexit()
			}
			return nil
		}
	}
	before := statsOf(db)
	gotErrs, _ := runGroup(t, db, true, nil, fns)
	for i, err := range gotErrs {
		if err != nil {
			t.Errorf("member %d: %v", i, err)
		}
	}
	if ids, counter := committedRows(t, db); !slices.Equal(ids, want) || counter != n-1 {
		t.Errorf("committed %v (counter %d), want %v", ids, counter, want)
	}
	if got := statsOf(db).since(before); got != (batchStats{0, 0, n - 2}) {
		t.Errorf("batches %+v, want none committed and %d run alone", got, n-2)
	}
}

// TestBatchAuditSealRunsAlone: the sealer's horizon is its own
// transaction's, which neighbours in a batch may already have written in
// (ADR 24): in a batch it leaves it and runs alone, and the chain it seals
// verifies.
func TestBatchAuditSealRunsAlone(t *testing.T) {
	t.Parallel()
	db := openBatched(t)
	const n = 4
	fns := make([]txFn, n)
	sealed := false
	for i := range n {
		id := fmt.Sprintf("m%02d", i)
		fns[i] = func(ctx context.Context, tx *store.Tx) error {
			if i == 2 {
				_, ok, err := tx.AuditSeal(ctx, 1000)
				sealed = ok
				return err
			}
			if err := tx.AuditInsert(ctx, audit.Event{ID: id + "-event", At: tx.Now, Actor: "test", Action: "batch.test", SubjectType: "row", SubjectID: id, Data: "{}"}); err != nil {
				return err
			}
			return insertRow(ctx, tx, id)
		}
	}
	before := statsOf(db)
	gotErrs, _ := runGroup(t, db, true, nil, fns)
	for i, err := range gotErrs {
		if err != nil {
			t.Errorf("member %d: %v", i, err)
		}
	}
	if got := statsOf(db).since(before); got != (batchStats{1, n - 2, 1}) {
		t.Errorf("batches %+v, want 1 of %d and the sealer alone", got, n-2)
	}
	if !sealed {
		t.Errorf("the sealer sealed nothing")
	}
	if r, err := db.AuditVerify(context.Background()); err != nil || r.Break != nil || r.Sealed != n-1 {
		t.Errorf("verify: %+v, %v; want %d events sealed, no break", r, err, n-1)
	}
}

// TestBatchLaneParksItsConnection: a lane that stops parks its connection
// for the next lane, so that the next batch runs on the same backend (its
// statements prepared and planned there) even when the pool's other users
// took what it last gave back; a parked connection that the server closed
// meanwhile is replaced, and the batch runs as a batch.
func TestBatchLaneParksItsConnection(t *testing.T) {
	t.Parallel()
	db := openBatched(t)
	ctx := context.Background()
	const n = 4
	batch := func(name string) int64 {
		t.Helper()
		pids := make([]int64, n)
		fns := make([]txFn, n)
		for i := range fns {
			fns[i] = func(ctx context.Context, tx *store.Tx) error {
				if err := tx.Write(ctx, `UPDATE gc_c SET v = v + 1 WHERE id = 1`); err != nil {
					return err
				}
				return tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&pids[i])
			}
		}
		before := statsOf(db)
		gotErrs, _ := runGroup(t, db, true, nil, fns)
		for i, err := range gotErrs {
			if err != nil {
				t.Fatalf("%s: member %d: %v", name, i, err)
			}
		}
		if got := statsOf(db).since(before); got != (batchStats{1, n - 1, 0}) {
			t.Fatalf("%s: batches %+v, want one of %d", name, got, n-1)
		}
		for _, p := range pids[2:] {
			if p != pids[1] {
				t.Fatalf("%s: one batch ran on backends %v", name, pids[1:])
			}
		}
		return pids[1]
	}
	// stopped waits until the lane has stopped: its connection idle, out
	// of the transaction its last COMMIT opened.
	stopped := func(pid int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var state string
			if err := db.QueryRow(ctx, `SELECT state FROM pg_stat_activity WHERE pid = $1`, pid).Scan(&state); err != nil {
				t.Fatal(err)
			}
			if state == "idle" {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the lane's connection is still %q", state)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	first := batch("first")
	stopped(first)
	// Others hold every idle connection of the pool, where an unparked
	// lane's would be.
	var held []*sql.Conn
	for range db.Writer().Stats().Idle {
		c, err := db.Writer().Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	second := batch("second")
	for _, c := range held {
		_ = c.Close()
	}
	if second != first {
		t.Errorf("the second batch ran on backend %d, not on the first's %d", second, first)
	}
	stopped(first)
	var killed bool
	if err := db.QueryRow(ctx, `SELECT pg_terminate_backend($1, 5000)`, first).Scan(&killed); err != nil || !killed {
		t.Fatalf("terminating backend %d: %v, %v", first, killed, err)
	}
	if third := batch("third"); third == first {
		t.Errorf("the third batch ran on the terminated backend %d", first)
	}
}
