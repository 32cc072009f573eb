// Package app holds yuanxu's use cases: it authorises, opens transactions
// (store.InTx), writes audit events in them and enqueues jobs in them. The web
// layer and the job workers call app; they never reach the store directly,
// and domain packages never reach app.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"yuanxu/internal/compliance"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/riverqueue/river"

	"yuanxu/internal/clock"
	"yuanxu/internal/jobs"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
)

// Config wires an App. DB must be open and migrated.
type Config struct {
	DB      *store.DB
	Logger  *slog.Logger
	Secrets Secrets
	// Sandbox enables the sandbox test clock (and, in later capabilities,
	// sandbox payment and delivery providers).
	Sandbox bool
	// SandboxStart is the test clock's first instant for a new database
	// (zero: wall time). Ignored when the database already has a clock.
	SandboxStart time.Time
	// Clock overrides business time outside sandbox mode (tests). Default:
	// wall time.
	Clock clock.Clock
	// Metrics receives job and database pool metrics (optional).
	Metrics prometheus.Registerer
	// Jobs tunes the background runner; Jobs.Driver and Jobs.Backend are
	// filled in by New.
	Jobs jobs.Config
	// RegisterWorkers adds workers of later capabilities (and tests).
	RegisterWorkers func(*river.Workers)
}

// App is the use-case layer. It is safe for concurrent use.
type App struct {
	db      *store.DB
	log     *slog.Logger
	clock   clock.Clock
	sandbox *clock.Sandbox // nil outside sandbox mode
	jobs    *jobs.Runner
	sweeps  *Sweeps
	secrets Secrets
	policy  *policy.Resolver

	notifyCfg   atomic.Pointer[notifier]                  // set once by ConfigureNotify
	dispatch    atomic.Pointer[notifyDispatch]            // from Start to Stop (notify_dispatch.go)
	accountCfg  atomic.Pointer[accounts]                  // set once by ConfigureAccounts (account.go)
	kycCfg      atomic.Pointer[kycState]                  // set once by ConfigureKYC, or lazily (kyc.go)
	lifecycle   atomic.Pointer[ServiceLifecycle]          // SetServiceLifecycle (service.go)
	gatewayCfg  atomic.Pointer[gateways]                  // ConfigureGateways (gateway.go)
	deliveryCfg atomic.Pointer[deliveryState]             // ConfigureDelivery, or lazily (delivery.go)
	webhookCfg  atomic.Pointer[WebhookConfig]             // ConfigureWebhooks (webhook.go)
	detectorCfg atomic.Pointer[compliance.DetectorConfig] // SetDetector (compliance_detector.go)
	acmeCfg     atomic.Pointer[acmeState]                 // ConfigureACME (acme.go)

	stopRefresh chan struct{}
	refreshDone sync.WaitGroup
	sandboxNode atomic.Bool // the sandbox node's row is known to exist (usage.go)
}

// New builds an App: it initialises the sandbox clock (sandbox mode) and the
// job runner, but starts no background work; call Start.
func New(ctx context.Context, c Config) (*App, error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	a := &App{db: c.DB, log: c.Logger, secrets: c.Secrets, sweeps: newSweeps(), stopRefresh: make(chan struct{})}
	a.policy = &policy.Resolver{Source: agreementSource{a}} // agreement.go: versions and acceptances as stored
	switch {
	case c.Sandbox:
		sb, err := a.initSandboxClock(ctx, c.SandboxStart)
		if err != nil {
			return nil, err
		}
		a.sandbox = sb
		a.clock = sb
	case c.Clock != nil:
		a.clock = c.Clock
	default:
		a.clock = clock.Wall{}
	}
	a.db.SetClock(a.clock)
	a.db.SetLogger(a.log)
	jc := c.Jobs
	jc.Driver = a.db.RiverDriver()
	jc.Backend = a
	jc.Logger = a.log
	jc.Register = c.RegisterWorkers
	jc.Metrics = c.Metrics
	r, err := jobs.New(jc)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	a.jobs = r
	if c.Metrics != nil {
		if err := c.Metrics.Register(collectors.NewDBStatsCollector(a.db.Writer(), "writer")); err != nil {
			return nil, err
		}
		if a.db.Reader() != a.db.Writer() {
			if err := c.Metrics.Register(collectors.NewDBStatsCollector(a.db.Reader(), "reader")); err != nil {
				return nil, err
			}
		}
	}
	a.registerBuiltinSweeps()
	if err := a.initAgreements(ctx); err != nil { // the default agreement in force on first start
		return nil, fmt.Errorf("agreements: %w", err)
	}
	return a, nil
}

// Start starts the job runner and, in sandbox mode, the loop that picks up
// clock advances made by other instances.
func (a *App) Start(ctx context.Context) error {
	if err := a.jobs.Start(ctx); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	if a.sandbox != nil {
		a.refreshDone.Add(1)
		go a.refreshSandboxClock()
	}
	a.dispatch.Store(startNotifyDispatch(a))
	return nil
}

// Stop stops background work, waiting for running jobs until ctx ends.
func (a *App) Stop(ctx context.Context) error {
	select {
	case <-a.stopRefresh:
	default:
		close(a.stopRefresh)
	}
	a.refreshDone.Wait()
	var derr error
	if d := a.dispatch.Swap(nil); d != nil {
		derr = d.stop(ctx)
	}
	return errors.Join(derr, a.jobs.Stop(ctx))
}

// Clock returns business time.
func (a *App) Clock() clock.Clock { return a.clock }

// Now is business time now.
func (a *App) Now() time.Time { return a.clock.Now() }

// IsSandbox reports whether the sandbox test clock is in use.
func (a *App) IsSandbox() bool { return a.sandbox != nil }

// DB exposes the store to app-level tests and the admin commands.
func (a *App) DB() *store.DB { return a.db }

// Jobs exposes the runner (tests, later capabilities).
func (a *App) Jobs() *jobs.Runner { return a.jobs }

// Policy resolves policy sets for orders and customers.
func (a *App) Policy() *policy.Resolver { return a.policy }

// Secrets returns the configured secrets.
func (a *App) Secrets() Secrets { return a.secrets }

// Ready reports whether the instance can serve: the database answers and
// its schema is current.
func (a *App) Ready(ctx context.Context) error {
	if err := a.db.Ping(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	return a.db.CheckMigrations(ctx)
}
