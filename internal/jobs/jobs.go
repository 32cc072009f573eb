// Package jobs runs background work on River, on either engine (riversqlite
// or riverdatabasesql), with jobs enqueued inside the business transaction so
// a rolled-back change leaves no job and a committed one never loses its job.
//
// River runs work; it never decides business time. Work due in business time
// is found by sweeps (app.Sweeps) that read the injected clock; the periodic
// "sweeps" job below runs them on wall time, and advancing the sandbox clock
// runs them at once. Periodic jobs are enqueued by River's elected leader
// only, so each runs once per cluster however many instances there are.
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
)

// Backend is what the built-in workers call; *app.App implements it. The
// workers hold no business logic of their own.
type Backend interface {
	AuditSeal(ctx context.Context) (int, error)
	RunSweeps(ctx context.Context) error
	PruneRateLimits(ctx context.Context) error
	NotifyDeliver(ctx context.Context, deliveryID string) error
	NotifyRedrive(ctx context.Context) (int, error)
	KYCReencrypt(ctx context.Context) (int, error)
	ProvisionService(ctx context.Context, serviceID string) error
}

// Config configures the runner.
type Config struct {
	Driver  riverdriver.Driver[*sql.Tx]
	Backend Backend
	Logger  *slog.Logger
	// PollInterval is how often idle workers look for new jobs (neither
	// driver has LISTEN/NOTIFY here). Default 500ms.
	PollInterval time.Duration
	// SealInterval, SweepInterval: periodic audit sealing and sweeps.
	// Defaults 10s and 30s.
	SealInterval  time.Duration
	SweepInterval time.Duration
	// MaxWorkers is how many jobs of the default queue run at once
	// (default 50). River fetches at most this many per FetchCooldown
	// (PollInterval/5): with 10, notices were sent at about 100 a second
	// and a burst of checkouts left a backlog of minutes (issue 19).
	MaxWorkers int
	// JobTimeout is the longest one job may run (its context ends then).
	// Default 5m. A job left running by an instance that died is rescued
	// (retried) once it has been running for 1.2 × JobTimeout: River's
	// own default is an hour, which kept a crashed instance's paid orders
	// unprovisioned that long (found by the crash harness, issue 18).
	JobTimeout time.Duration
	// ProvisionTimeout bounds one provisioning job (default 10m: ACME
	// orders take minutes); a provisioning job left running by a dead
	// instance is retried only after it.
	ProvisionTimeout time.Duration
	// Register adds more workers (later capabilities; tests).
	Register func(*river.Workers)
	// Metrics, if set, receives job counters.
	Metrics prometheus.Registerer
}

// Runner owns the River client.
type Runner struct {
	client  *river.Client[*sql.Tx]
	log     *slog.Logger
	metrics *prometheus.CounterVec
	done    chan struct{}
}

// New builds a runner; Start starts working.
func New(c Config) (*Runner, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 500 * time.Millisecond
	}
	if c.SealInterval <= 0 {
		c.SealInterval = 10 * time.Second
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 30 * time.Second
	}
	if c.MaxWorkers <= 0 {
		c.MaxWorkers = 50
	}
	if c.JobTimeout <= 0 {
		c.JobTimeout = 5 * time.Minute
	}
	if c.ProvisionTimeout <= 0 {
		c.ProvisionTimeout = 10 * time.Minute
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &sealWorker{b: c.Backend})
	river.AddWorker(workers, &sweepWorker{b: c.Backend})
	river.AddWorker(workers, &pruneWorker{b: c.Backend})
	addNotifyWorkers(workers, c.Backend)
	addKYCWorkers(workers, c.Backend)
	addDeliveryWorkers(workers, c.Backend, c.ProvisionTimeout)
	if c.Register != nil {
		c.Register(workers)
	}
	uniq := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: time.Second}}
	client, err := river.NewClient(c.Driver, &river.Config{
		Logger:               slog.New(minLevel{slog.LevelWarn, c.Logger.Handler()}).With("component", "river"),
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: c.MaxWorkers}},
		Workers:              workers,
		FetchPollInterval:    c.PollInterval,
		FetchCooldown:        c.PollInterval / 5,
		PollOnly:             true,
		JobTimeout:           c.JobTimeout,
		RescueStuckJobsAfter: c.JobTimeout + c.JobTimeout/5,
		PeriodicJobs: []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(c.SealInterval), func() (river.JobArgs, *river.InsertOpts) { return SealArgs{}, uniq }, &river.PeriodicJobOpts{ID: "audit.seal", RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(c.SweepInterval), func() (river.JobArgs, *river.InsertOpts) { return SweepArgs{}, uniq }, &river.PeriodicJobOpts{ID: "sweeps.run", RunOnStart: true}),
			river.NewPeriodicJob(river.PeriodicInterval(time.Hour), func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, uniq }, &river.PeriodicJobOpts{ID: "ratelimit.prune"}),
			notifyPeriodic(uniq),
		},
	})
	if err != nil {
		return nil, err
	}
	r := &Runner{client: client, log: c.Logger, done: make(chan struct{})}
	if c.Metrics != nil {
		r.metrics = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yuanxu_jobs_total", Help: "Background jobs finished, by kind and outcome.",
		}, []string{"kind", "outcome"})
		if err := c.Metrics.Register(r.metrics); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Start starts fetching and working jobs until Stop.
func (r *Runner) Start(ctx context.Context) error {
	if r.metrics != nil {
		events, cancel := r.client.Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
		go func() {
			defer cancel()
			for {
				select {
				case e, ok := <-events:
					if !ok {
						return
					}
					if e.Job != nil {
						r.metrics.WithLabelValues(e.Job.Kind, string(e.Kind)).Inc()
					}
				case <-r.done:
					return
				}
			}
		}()
	}
	return r.client.Start(ctx)
}

// Stop stops fetching, waits for running jobs to finish until ctx ends,
// then cancels what is left.
func (r *Runner) Stop(ctx context.Context) error {
	defer close(r.done)
	err := r.client.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return r.client.StopAndCancel(context.Background())
	}
	return err
}

// Enqueue inserts a job inside the business transaction tx.
func (r *Runner) Enqueue(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := r.client.InsertTx(ctx, tx, args, opts)
	return err
}

// EnqueueMany inserts jobs inside the business transaction tx with one
// statement (none: nothing happens).
func (r *Runner) EnqueueMany(ctx context.Context, tx *sql.Tx, args ...river.JobArgs) error {
	if len(args) == 0 {
		return nil
	}
	ps := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		ps[i] = river.InsertManyParams{Args: a}
	}
	// The fast insert returns no rows (nothing here reads them back); it
	// refuses unique options, which these jobs do not use.
	_, err := r.client.InsertManyFastTx(ctx, tx, ps)
	return err
}

// Client exposes River for tests and later capabilities.
func (r *Runner) Client() *river.Client[*sql.Tx] { return r.client }

// SealArgs: seal unsealed audit events into the hash chain.
type SealArgs struct{}

func (SealArgs) Kind() string { return "audit.seal" }

type sealWorker struct {
	river.WorkerDefaults[SealArgs]
	b Backend
}

func (w *sealWorker) Work(ctx context.Context, _ *river.Job[SealArgs]) error {
	_, err := w.b.AuditSeal(ctx)
	return err
}

// SweepArgs: run every registered sweep against business time.
type SweepArgs struct{}

func (SweepArgs) Kind() string { return "sweeps.run" }

type sweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	b Backend
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	return w.b.RunSweeps(ctx)
}

// PruneArgs: delete expired rate-limit counters.
type PruneArgs struct{}

func (PruneArgs) Kind() string { return "ratelimit.prune" }

type pruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	b Backend
}

func (w *pruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	return w.b.PruneRateLimits(ctx)
}

// minLevel drops records below a level: River reports routine progress at
// info, which would drown the access log.
type minLevel struct {
	level slog.Level
	slog.Handler
}

func (m minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= m.level && m.Handler.Enabled(ctx, l)
}

func (m minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{m.level, m.Handler.WithAttrs(as)}
}

func (m minLevel) WithGroup(name string) slog.Handler {
	return minLevel{m.level, m.Handler.WithGroup(name)}
}
