package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"yuanxu/internal/store"
)

// SweepFunc finds and handles whatever became due at business instant now
// (deadlines, reminders, expiries) and reports how many things it changed.
// It must be idempotent and safe to run concurrently with itself on another
// instance: it selects by due instant and changes state with conditional
// updates inside store.InTx.
type SweepFunc func(ctx context.Context, now time.Time) (affected int64, err error)

// Sweeps is the registry of business-time sweeps (DESIGN.md §6).
type Sweeps struct {
	mu    sync.Mutex
	named map[string]SweepFunc
	run   sync.Mutex // one RunSweeps at a time per instance
}

func newSweeps() *Sweeps { return &Sweeps{named: map[string]SweepFunc{}} }

// RegisterSweep adds a sweep under a unique name ("refund.review_deadline").
// Registering a name twice panics: it is a wiring bug.
func (a *App) RegisterSweep(name string, fn SweepFunc) {
	a.sweeps.mu.Lock()
	defer a.sweeps.mu.Unlock()
	if _, dup := a.sweeps.named[name]; dup {
		panic("app: sweep registered twice: " + name)
	}
	a.sweeps.named[name] = fn
}

// SweepNames lists the registered sweeps, sorted.
func (a *App) SweepNames() []string {
	a.sweeps.mu.Lock()
	defer a.sweeps.mu.Unlock()
	names := make([]string, 0, len(a.sweeps.named))
	for n := range a.sweeps.named {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RunSweeps runs every registered sweep at the current business instant, in
// name order, and returns when all have finished. A failing sweep does not
// stop the others; the errors are joined.
func (a *App) RunSweeps(ctx context.Context) error {
	a.sweeps.run.Lock()
	defer a.sweeps.run.Unlock()
	now := a.clock.Now()
	var all []error
	for _, name := range a.SweepNames() {
		a.sweeps.mu.Lock()
		fn := a.sweeps.named[name]
		a.sweeps.mu.Unlock()
		n, err := fn(ctx, now)
		msg := ""
		if err != nil {
			msg = err.Error()
			all = append(all, fmt.Errorf("sweep %s: %w", name, err))
			a.log.LogAttrs(ctx, slog.LevelError, "sweep failed", slog.String("sweep", name), slog.String("err", msg))
		}
		if rerr := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			return tx.SweepRecord(ctx, name, now, time.Now(), n, msg)
		}); rerr != nil {
			all = append(all, rerr)
		}
	}
	return errors.Join(all...)
}

func (a *App) registerBuiltinSweeps() {
	a.registerTicketSweeps()
	a.RegisterSweep("kyc.retention_purge", a.KYCPurgeSweep)
	a.RegisterSweep("order.expire", a.orderExpirySweep)
	a.RegisterSweep("idempotency.prune", a.idemPruneSweep)
	a.RegisterSweep("ledger.rollup", a.ledgerRollupSweep)
	a.registerServiceSweeps() // service_sweep.go
	a.RegisterSweep("payment.query_pending", a.paymentQuerySweep)
	a.RegisterSweep("payment.refunds", a.gatewayRefundSweep)
	a.RegisterSweep("payment.reconcile", a.reconcileSweep)
	a.RegisterSweep("refund.deadlines", a.refundDeadlineSweep)
	a.RegisterSweep("usage.quota", a.quotaSweep)
	a.RegisterSweep("webhook.deliver", a.webhookSweep)
	a.RegisterSweep("compliance.traffic_detector", a.detectorSweep)
	a.RegisterSweep("compliance.measures", a.measureSweep)                   // compliance_emergency.go
	a.RegisterSweep("compliance.ban_end", a.banEndSweep)                     // compliance_banend.go
	a.registerDeliverySweeps()                                               // delivery_sweep.go
	a.RegisterSweep("announce.maintenance_reminders", a.windowReminderSweep) // announce_window.go
}
