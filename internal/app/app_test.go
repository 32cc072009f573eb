package app_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"yuanxu/internal/app"
	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// onceArgs is a test job whose worker records an audit event per run.
type onceArgs struct{ Key string }

func (onceArgs) Kind() string { return "test.once" }

type onceWorker struct {
	river.WorkerDefaults[onceArgs]
	a    func() *app.App
	runs *atomic.Int64
}

func (w *onceWorker) Work(ctx context.Context, j *river.Job[onceArgs]) error {
	w.runs.Add(1)
	return w.a().DB().InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return w.a().Audit(ctx, tx, app.AuditEntry{Action: "test.once_ran", SubjectType: "test", SubjectID: j.Args.Key})
	})
}

type bundle struct {
	runs *atomic.Int64
}

// newApp builds and starts an App on db with the test worker registered.
func newApp(t *testing.T, db *store.DB, c app.Config) (*app.App, *bundle) {
	t.Helper()
	b := &bundle{runs: &atomic.Int64{}}
	sec, err := app.NewSecrets()
	if err != nil {
		t.Fatal(err)
	}
	var a *app.App
	c.DB = db
	c.Secrets = sec
	c.Jobs.PollInterval = 50 * time.Millisecond
	c.RegisterWorkers = func(w *river.Workers) {
		river.AddWorker(w, &onceWorker{a: func() *app.App { return a }, runs: b.runs})
	}
	a, err = app.New(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

func start(t *testing.T, a *app.App) {
	t.Helper()
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Stop(ctx)
	})
}

func jobCount(t *testing.T, db *store.DB, kind string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM river_job WHERE kind = $1`, kind).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestEnqueueInRolledBackTxLeavesNoJob(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	a, _ := newApp(t, db, app.Config{})
	ctx := context.Background()
	_ = db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := a.Jobs().Enqueue(ctx, tx.SQL(), onceArgs{Key: "rolled"}, nil); err != nil {
			t.Fatal(err)
		}
		return context.Canceled // any error rolls back
	})
	if n := jobCount(t, db, "test.once"); n != 0 {
		t.Fatalf("jobs after rollback = %d, want 0", n)
	}
	if err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.Jobs().Enqueue(ctx, tx.SQL(), onceArgs{Key: "kept"}, nil)
	}); err != nil {
		t.Fatal(err)
	}
	if n := jobCount(t, db, "test.once"); n != 1 {
		t.Fatalf("jobs after commit = %d, want 1", n)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func auditCount(t *testing.T, db *store.DB, action string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_event WHERE action = $1`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUniqueJobRunsOnceAcrossInstances: two app instances on one PostgreSQL
// database each enqueue the same unique job; it runs exactly once.
func TestUniqueJobRunsOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	url := storetest.NewPostgresDatabase(t)
	var apps []*app.App
	var bundles []*bundle
	for i := 0; i < 2; i++ {
		db := openPostgres(t, url)
		a, b := newApp(t, db, app.Config{})
		start(t, a)
		apps = append(apps, a)
		bundles = append(bundles, b)
	}
	var wg sync.WaitGroup
	for _, a := range apps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := a.DB().InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
				return a.Jobs().Enqueue(ctx, tx.SQL(), onceArgs{Key: "shared"}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}})
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	db := apps[0].DB()
	waitFor(t, "the job to run", func() bool { return auditCount(t, db, "test.once_ran") >= 1 })
	time.Sleep(300 * time.Millisecond) // several poll intervals: a second run would show
	if n := auditCount(t, db, "test.once_ran"); n != 1 {
		t.Fatalf("job ran %d times, want exactly 1", n)
	}
	if got := bundles[0].runs.Load() + bundles[1].runs.Load(); got != 1 {
		t.Fatalf("workers ran %d times in total, want 1", got)
	}
}

// TestSandboxAdvanceRunsDueSweepsBeforeReturning: a sweep registered for a
// 24-hour deadline sees the advanced instant as soon as Advance returns.
func TestSandboxAdvanceRunsDueSweepsBeforeReturning(t *testing.T) {
	t.Parallel()
	startAt := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	a, _ := newApp(t, storetest.Open(t), app.Config{Sandbox: true, SandboxStart: startAt})
	deadline := startAt.Add(24 * time.Hour)
	var mu sync.Mutex
	var fired []time.Time
	a.RegisterSweep("test.deadline", func(ctx context.Context, now time.Time) (int64, error) {
		if now.Before(deadline) {
			return 0, nil
		}
		mu.Lock()
		defer mu.Unlock()
		fired = append(fired, now)
		return 1, nil
	})
	ctx := context.Background()
	now, err := a.SandboxNow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if now.Before(startAt) || now.After(startAt.Add(time.Minute)) {
		t.Fatalf("new sandbox clock at %v, want about %v", now, startAt)
	}
	after, err := a.SandboxAdvance(ctx, 25*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	n := len(fired)
	mu.Unlock()
	if n != 1 || after.Before(startAt.Add(25*time.Hour)) {
		t.Fatalf("after advancing to %v the sweep fired %d times, want once", after, n)
	}
	if _, err := a.SandboxSet(ctx, now); err == nil {
		t.Fatal("setting the clock back succeeded; it must only move forward")
	}
	if _, err := a.SandboxAdvance(ctx, 0); err == nil {
		t.Fatal("advancing by 0 succeeded")
	}
	// The advance was audited with who did it.
	if got := auditCount(t, a.DB(), "sandbox.clock_advanced"); got != 1 {
		t.Fatalf("audit events = %d, want 1", got)
	}
}

// TestSandboxClockSurvivesRestart: a second App on the same database keeps
// the advanced time and ignores a different --sandbox-start.
func TestSandboxClockSurvivesRestart(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	startAt := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	a1, _ := newApp(t, db, app.Config{Sandbox: true, SandboxStart: startAt})
	if _, err := a1.SandboxAdvance(context.Background(), 48*time.Hour); err != nil {
		t.Fatal(err)
	}
	a2, _ := newApp(t, db, app.Config{Sandbox: true, SandboxStart: startAt.Add(-240 * time.Hour)})
	now, err := a2.SandboxNow(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if now.Before(startAt.Add(48 * time.Hour)) {
		t.Fatalf("restarted clock at %v, want at least %v", now, startAt.Add(48*time.Hour))
	}
}

func TestSandboxRoutesAbsentOutsideSandbox(t *testing.T) {
	t.Parallel()
	a, _ := newApp(t, storetest.Open(t), app.Config{})
	if _, err := a.SandboxAdvance(context.Background(), time.Hour); err == nil {
		t.Fatal("advance outside sandbox mode succeeded")
	}
}

// TestPeriodicSealerSealsAudit: the leader's periodic job seals events and
// the chain verifies.
func TestPeriodicSealerSealsAudit(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	a, _ := newApp(t, db, app.Config{Jobs: jobsFast()})
	if err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		return a.Audit(ctx, tx, app.AuditEntry{Action: "test.sealme", SubjectType: "test", SubjectID: "x"})
	}); err != nil {
		t.Fatal(err)
	}
	start(t, a)
	waitFor(t, "the sealer", func() bool {
		r, err := a.AuditVerify(context.Background())
		return err == nil && r.Unsealed == 0 && r.Sealed >= 1
	})
	r, _ := a.AuditVerify(context.Background())
	if r.Break != nil {
		t.Fatalf("chain broken: %+v", r.Break)
	}
}

func TestRateLimitSharedAcrossApps(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	sec, _ := app.NewSecrets()
	rule := app.RateRule{Name: "test", Limit: 2, Window: time.Hour}
	var as []*app.App
	for i := 0; i < 2; i++ {
		a, err := app.New(context.Background(), app.Config{DB: db, Secrets: sec})
		if err != nil {
			t.Fatal(err)
		}
		as = append(as, a)
	}
	ctx := context.Background()
	if err := as[0].RateLimit(ctx, rule, "13812345678"); err != nil {
		t.Fatal(err)
	}
	if err := as[1].RateLimit(ctx, rule, "13812345678"); err != nil {
		t.Fatal(err)
	}
	if err := as[0].RateLimit(ctx, rule, "13812345678"); err == nil {
		t.Fatal("third hit within the window was allowed")
	}
	var raw int
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM rate_limit WHERE key LIKE '%13812345678%'`).Scan(&raw); err != nil || raw != 0 {
		t.Fatalf("a rate-limit key holds the raw phone number (%d rows, %v)", raw, err)
	}
}
