package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/audit"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// Run is the storage conformance suite: every engine must pass it. Each case
// runs in parallel on its own fresh store.
func Run(t *testing.T, h Harness) {
	t.Run("InTxCommitsAndRollsBack", func(t *testing.T) { t.Parallel(); testInTx(t, h.New(t)) })
	t.Run("InTxPassesOneInstant", func(t *testing.T) { t.Parallel(); testTxNow(t, h.New(t)) })
	t.Run("DuplicateKeyIsTranslated", func(t *testing.T) { t.Parallel(); testDuplicate(t, h.New(t)) })
	t.Run("NoRowsIsNotFound", func(t *testing.T) { t.Parallel(); testNotFound(t, h.New(t)) })
	t.Run("ConcurrentWritersAllCommit", func(t *testing.T) { t.Parallel(); testConcurrentWriters(t, h.New(t)) })
	t.Run("AuditSealsLateOlderIDsIntoNextBatch", func(t *testing.T) { t.Parallel(); testAuditLateEvent(t, h.New(t)) })
	t.Run("AuditSealsABatchLongerThanOneStatement", func(t *testing.T) { t.Parallel(); testAuditSealLong(t, h.New(t)) })
	t.Run("AuditEventsOfOneTxAllCommit", func(t *testing.T) { t.Parallel(); testAuditBuffered(t, h.New(t)) })
	t.Run("LastRunsAfterAuditBeforeCommit", func(t *testing.T) { t.Parallel(); testTxLast(t, h.New(t)) })
	t.Run("LastDebitGoesWithCommit", func(t *testing.T) { t.Parallel(); testLastDebitGoesWithCommit(t, h.New(t)) })
	t.Run("AuditVerifyFindsAlteredEvent", func(t *testing.T) { t.Parallel(); testAuditTamper(t, h.New(t)) })
	t.Run("SandboxClockOnlyMovesForward", func(t *testing.T) { t.Parallel(); testSandboxClock(t, h.New(t)) })
	t.Run("RateLimitCountsAcrossCalls", func(t *testing.T) { t.Parallel(); testRateLimit(t, h.New(t)) })
	t.Run("MigrateIsIdempotent", func(t *testing.T) { t.Parallel(); testMigrateTwice(t, h.New(t)) })
	t.Run("Notify", func(t *testing.T) { t.Parallel(); runNotify(t, h) })
	t.Run("Account", func(t *testing.T) { t.Parallel(); runAccount(t, h) })
	t.Run("Ticket", func(t *testing.T) { t.Parallel(); runTicket(t, h) })
	t.Run("Agreement", func(t *testing.T) { t.Parallel(); runAgreement(t, h) })
	t.Run("KYC", func(t *testing.T) { t.Parallel(); runKYC(t, h) })
	t.Run("Commerce", func(t *testing.T) { t.Parallel(); runCommerce(t, h) })
	t.Run("Delivery", func(t *testing.T) { t.Parallel(); runDelivery(t, h) })
	t.Run("Memo", func(t *testing.T) { t.Parallel(); runMemo(t, h) })
	t.Run("Pipeline", func(t *testing.T) { t.Parallel(); runPipeline(t, h) })
	t.Run("StatementCountCountsWhatReachesTheDatabase", func(t *testing.T) { t.Parallel(); testStatementCount(t, h.New(t)) })
}

// testStatementCount: under a counting context every statement issued
// through the store is counted where it ran — in a transaction (with a
// Nested step's savepoints, the audit flush and each use of Tx.SQL) or on
// the reader pool — and transactions are counted per attempt; a context
// that does not count counts nothing.
func testStatementCount(t *testing.T, db *store.DB) {
	base := context.Background()
	ctx, c := store.CountStatements(base)
	var one int
	if err := db.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(ctx, `SELECT 1`)
	if err != nil {
		t.Fatal(err)
	}
	rows.Close()
	err = db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil { // 1
			return err
		}
		if err := tx.AuditInsert(ctx, Event(time.Now(), "counted")); err != nil { // 1, at the flush
			return err
		}
		_ = tx.SQL() // 1: a library's statement
		failed := errors.New("step fails")
		// SAVEPOINT, ROLLBACK TO, RELEASE; PostgreSQL: the SAVEPOINT, queued
		// and never sent, as nothing of the step was.
		if err := tx.Nested(ctx, func() error { return failed }); !errors.Is(err, failed) {
			return fmt.Errorf("nested: %v", err)
		}
		return tx.Nested(ctx, func() error { // SAVEPOINT, 1, RELEASE
			_, err := tx.Exec(ctx, `UPDATE audit_event SET actor = actor WHERE 1 = 0`)
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	want := int64(9)
	if db.Engine() == store.Postgres {
		want = 7
	}
	if in, pool, txs := c.InTx.Load(), c.Pool.Load(), c.Txs.Load(); in != want || pool != 2 || txs != 1 {
		t.Errorf("counted %d in %d transactions and %d on the pool, want %d in 1 and 2", in, txs, pool, want)
	}
	// Nothing counts where nobody asked.
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE audit_event SET actor = actor WHERE 1 = 0`)
		return err
	})
	if in := c.InTx.Load(); in != want {
		t.Errorf("a transaction without the counting context counted: %d", in)
	}
}

// Event is a factory for audit events; zero fields get defaults.
func Event(at time.Time, action string) audit.Event {
	return audit.Event{ID: id.NewAt(at), At: at, Actor: "system", Action: action, SubjectType: "test", SubjectID: "1", Data: `{}`}
}

func mustTx(t testing.TB, db *store.DB, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	mustTxCtx(t, context.Background(), db, fn)
}

// mustTxCtx is mustTx under ctx (a statement count's, say).
func mustTxCtx(t testing.TB, ctx context.Context, db *store.DB, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	if err := db.InTx(ctx, fn); err != nil {
		t.Fatalf("InTx: %v", err)
	}
}

func countEvents(t testing.TB, db *store.DB, action string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_event WHERE action = $1`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func testInTx(t *testing.T, db *store.DB) {
	now := time.Now()
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AuditInsert(ctx, Event(now, "kept")) })
	boom := errors.New("boom")
	err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		if err := tx.AuditInsert(ctx, Event(now, "rolled_back")); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx error = %v, want boom", err)
	}
	if got := countEvents(t, db, "kept"); got != 1 {
		t.Errorf("committed events = %d, want 1", got)
	}
	if got := countEvents(t, db, "rolled_back"); got != 0 {
		t.Errorf("rolled-back events = %d, want 0", got)
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("panic inside InTx was swallowed")
			}
		}()
		_ = db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
			_ = tx.AuditInsert(ctx, Event(now, "panicked"))
			panic("inside fn")
		})
	}()
	if got := countEvents(t, db, "panicked"); got != 0 {
		t.Errorf("events after panic = %d, want 0", got)
	}
}

type fixedClock time.Time

func (f fixedClock) Now() time.Time { return time.Time(f) }

func testTxNow(t *testing.T, db *store.DB) {
	at := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	db.SetClock(fixedClock(at))
	var seen time.Time
	afterRan := false
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		seen = tx.Now
		tx.AfterCommit(func() { afterRan = true })
		return nil
	})
	if !seen.Equal(at) {
		t.Errorf("tx.Now = %v, want %v", seen, at)
	}
	if !afterRan {
		t.Error("AfterCommit hook did not run after commit")
	}
	ranOnRollback := false
	_ = db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		tx.AfterCommit(func() { ranOnRollback = true })
		return errors.New("no")
	})
	if ranOnRollback {
		t.Error("AfterCommit hook ran on rollback")
	}
}

func testDuplicate(t *testing.T, db *store.DB) {
	e := Event(time.Now(), "dup")
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AuditInsert(ctx, e) })
	err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error { return tx.AuditInsert(ctx, e) })
	if !errors.Is(err, errs.ErrDuplicate) {
		t.Fatalf("duplicate insert error = %v, want ErrDuplicate", err)
	}
	if errs.KindOf(err) != errs.Conflict {
		t.Errorf("kind = %v, want conflict", errs.KindOf(err))
	}
}

func testNotFound(t *testing.T, db *store.DB) {
	var x string
	err := db.QueryRow(context.Background(), `SELECT id FROM audit_event WHERE id = $1`, "none").Scan(&x)
	if !errors.Is(err, errs.ErrNotFound) || !store.IsNotFound(err) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func testConcurrentWriters(t *testing.T, db *store.DB) {
	const n = 16
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errc <- db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
				return tx.AuditInsert(ctx, Event(time.Now(), "concurrent"))
			})
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Errorf("concurrent InTx: %v", err)
		}
	}
	if got := countEvents(t, db, "concurrent"); got != n {
		t.Errorf("events = %d, want %d", got, n)
	}
}

func seal(t testing.TB, db *store.DB) (audit.Batch, bool) {
	t.Helper()
	var b audit.Batch
	var ok bool
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		b, ok, err = tx.AuditSeal(ctx, 1000)
		return err
	})
	return b, ok
}

// testAuditSealLong: a batch of 250 events (the sealer claims them 100 to
// a statement, the last statement short) seals every event exactly once,
// and a later batch of 3 chains to it.
func testAuditSealLong(t *testing.T, db *store.DB) {
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		for i := range 250 {
			if err := tx.AuditInsert(ctx, Event(base.Add(time.Duration(i)*time.Second), "long")); err != nil {
				return err
			}
		}
		return nil
	})
	b1, ok := seal(t, db)
	if !ok || b1.Seq != 1 || b1.EventCount != 250 {
		t.Fatalf("batch = %+v ok=%v, want seq 1 with 250 events", b1, ok)
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		for i := range 3 {
			if err := tx.AuditInsert(ctx, Event(base.Add(time.Hour+time.Duration(i)*time.Second), "after")); err != nil {
				return err
			}
		}
		return nil
	})
	if b2, ok := seal(t, db); !ok || b2.Seq != 2 || b2.EventCount != 3 || b2.PrevHash != b1.Hash {
		t.Fatalf("second batch = %+v ok=%v, want seq 2 with 3 events chained to batch 1", b2, ok)
	}
	r, err := db.AuditVerify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Break != nil || r.Batches != 2 || r.Sealed != 253 || r.Unsealed != 0 {
		t.Fatalf("verify = %+v, want 2 intact batches, 253 sealed, none unsealed", r)
	}
}

func testAuditLateEvent(t *testing.T, db *store.DB) {
	base := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			return tx.AuditInsert(ctx, Event(base.Add(time.Duration(i)*time.Minute), "early"))
		})
	}
	b1, ok := seal(t, db)
	if !ok || b1.Seq != 1 || b1.EventCount != 3 {
		t.Fatalf("first batch = %+v ok=%v, want seq 1 with 3 events", b1, ok)
	}
	if _, ok := seal(t, db); ok {
		t.Fatal("sealing with nothing unsealed made a batch")
	}
	// A transaction that began earlier commits after the seal: its event id
	// is older than every sealed one.
	late := Event(base.Add(-time.Hour), "late")
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AuditInsert(ctx, late) })
	b2, ok := seal(t, db)
	if !ok || b2.Seq != 2 || b2.EventCount != 1 || b2.FirstID != late.ID || b2.PrevHash != b1.Hash {
		t.Fatalf("second batch = %+v, want seq 2 holding only the late event chained to batch 1", b2)
	}
	r, err := db.AuditVerify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Break != nil || r.Batches != 2 || r.Sealed != 4 || r.Unsealed != 0 {
		t.Fatalf("verify = %+v, want 2 intact batches, 4 sealed", r)
	}
}

func testAuditTamper(t *testing.T, db *store.DB) {
	now := time.Now()
	e := Event(now, "original")
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AuditInsert(ctx, e) })
	seal(t, db)
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error { return tx.AuditInsert(ctx, Event(now, "unsealed")) })
	r, err := db.AuditVerify(context.Background())
	if err != nil || r.Break != nil || r.Unsealed != 1 {
		t.Fatalf("before tampering: %+v, %v", r, err)
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE audit_event SET action = 'forged' WHERE id = $1`, e.ID)
		return err
	})
	r, err = db.AuditVerify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r.Break == nil || r.Break.Seq != 1 {
		t.Fatalf("after tampering: %+v, want a break at batch 1", r)
	}
}

func testSandboxClock(t *testing.T, db *store.DB) {
	wall := time.Now()
	var got time.Duration
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if got, err = tx.SandboxClockInit(ctx, 10*time.Hour, wall); err != nil {
			return err
		}
		// A second init (another instance, a restart) keeps the first.
		got, err = tx.SandboxClockInit(ctx, time.Hour, wall)
		return err
	})
	if got != 10*time.Hour {
		t.Fatalf("offset after init = %v, want 10h", got)
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		got, err = tx.SandboxClockRaise(ctx, 5*time.Hour, wall)
		return err
	})
	if got != 10*time.Hour {
		t.Fatalf("offset after lowering attempt = %v, want 10h (never back)", got)
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		got, err = tx.SandboxClockRaise(ctx, 35*time.Hour, wall)
		return err
	})
	off, ok, err := db.SandboxClockGet(context.Background())
	if err != nil || !ok || off != 35*time.Hour || got != off {
		t.Fatalf("offset = %v ok=%v err=%v, want 35h", off, ok, err)
	}
}

func testRateLimit(t *testing.T, db *store.DB) {
	wall := time.Date(2026, 6, 1, 12, 0, 30, 0, time.UTC)
	for i := int64(1); i <= 3; i++ {
		n, err := db.RateLimitHit(context.Background(), "login:abc", time.Minute, wall)
		if err != nil || n != i {
			t.Fatalf("hit %d = %d, %v", i, n, err)
		}
	}
	n, err := db.RateLimitHit(context.Background(), "login:abc", time.Minute, wall.Add(time.Minute))
	if err != nil || n != 1 {
		t.Fatalf("next window hit = %d, %v; want 1", n, err)
	}
	var pruned int64
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		pruned, err = tx.RateLimitPrune(ctx, wall.Add(90*time.Second))
		return err
	})
	if pruned != 1 {
		t.Errorf("pruned = %d, want 1 (the first window)", pruned)
	}
}

func testMigrateTwice(t *testing.T, db *store.DB) {
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if err := db.CheckMigrations(context.Background()); err != nil {
		t.Fatalf("CheckMigrations: %v", err)
	}
}

// testAuditBuffered: the events of one transaction are written together
// when it commits (every size of the multi-row statements, fields intact),
// are visible to AuditOf inside the transaction, and a failing
// transaction writes none of them.
func testAuditBuffered(t *testing.T, db *store.DB) {
	ctx := context.Background()
	now := time.Now().Truncate(time.Millisecond)
	const n = 127 // 64+32+16+8+4+2+1: every statement size
	var want []audit.Event
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		for i := 0; i < n; i++ {
			e := Event(now.Add(time.Duration(i)*time.Millisecond), "buffered")
			e.SubjectType, e.SubjectID, e.Data = "order", "o-1", fmt.Sprintf(`{"i":%d}`, i)
			e.ClientIP, e.RequestID = "203.0.113.9", fmt.Sprintf("req-%d", i)
			if err := tx.AuditInsert(ctx, e); err != nil {
				return err
			}
			want = append(want, e)
		}
		seen, err := store.AuditOf(ctx, tx, "order", "o-1", 1000)
		if err != nil {
			return err
		}
		if len(seen) != n {
			t.Errorf("inside the transaction AuditOf sees %d events, want %d", len(seen), n)
		}
		return nil
	})
	got, err := store.AuditOf(ctx, db, "order", "o-1", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("committed %d events, want %d", len(got), n)
	}
	for i := range want {
		w, g := want[i], got[i]
		if g.ID != w.ID || !g.At.Equal(w.At) || g.Data != w.Data || g.RequestID != w.RequestID || g.ClientIP != w.ClientIP || g.Action != w.Action {
			t.Fatalf("event %d = %+v, want %+v", i, g, w)
		}
	}
	err = db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		for i := 0; i < 5; i++ {
			if err := tx.AuditInsert(ctx, Event(now, "never")); err != nil {
				return err
			}
		}
		return errors.New("business rule says no")
	})
	if err == nil {
		t.Fatal("the failing transaction succeeded")
	}
	if c := countEvents(t, db, "never"); c != 0 {
		t.Errorf("a failed transaction wrote %d audit events", c)
	}
}
