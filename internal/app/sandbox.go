package app

import (
	"context"
	"time"

	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
	"yuanxu/internal/store"
)

// errNotSandbox: the sandbox clock routes do not exist outside sandbox mode.
var errNotSandbox = &errs.Error{Kind: errs.NotFound, Code: "not_found", Msg: "not found"}

// maxSandboxAdvance bounds one advance, so a typo cannot push the test clock
// decades ahead irreversibly.
const maxSandboxAdvance = 5 * 366 * 24 * time.Hour

// maxSandboxOffset bounds the total offset far below time.Duration's range.
const maxSandboxOffset = 100 * 366 * 24 * time.Hour

func (a *App) initSandboxClock(ctx context.Context, start time.Time) (*clock.Sandbox, error) {
	sb := clock.NewSandbox(0, nil)
	var want time.Duration
	if !start.IsZero() {
		want = sb.OffsetFor(start)
	}
	var got time.Duration
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		got, err = tx.SandboxClockInit(ctx, want, time.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	// The stored offset wins (restarts keep time). A clock that started at
	// wall time may have a negative offset only if --sandbox-start was in
	// the past; Raise keeps it as stored.
	return clock.NewSandbox(got, nil), nil
}

// refreshSandboxClock picks up advances made through other instances.
func (a *App) refreshSandboxClock() {
	defer a.refreshDone.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-a.stopRefresh:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			off, ok, err := a.db.SandboxClockGet(ctx)
			cancel()
			if err == nil && ok {
				a.sandbox.Raise(off)
			}
		}
	}
}

// SandboxNow returns the sandbox test clock's instant. Outside sandbox mode
// it fails with a not_found error (the route does not exist).
func (a *App) SandboxNow(ctx context.Context) (time.Time, error) {
	if a.sandbox == nil {
		return time.Time{}, errNotSandbox
	}
	if off, ok, err := a.db.SandboxClockGet(ctx); err != nil {
		return time.Time{}, err
	} else if ok {
		a.sandbox.Raise(off)
	}
	return a.sandbox.Now(), nil
}

// SandboxAdvance moves the sandbox clock forward by d (> 0), records who did
// it, and runs every sweep that became due before it returns.
func (a *App) SandboxAdvance(ctx context.Context, d time.Duration) (time.Time, error) {
	if a.sandbox == nil {
		return time.Time{}, errNotSandbox
	}
	if d <= 0 {
		return time.Time{}, errInvalid("sandbox.advance_not_positive", "body.advance", "positive", nil, "advance must be a positive duration")
	}
	if d > maxSandboxAdvance {
		return time.Time{}, errInvalid("sandbox.advance_too_large", "body.advance", "max", map[string]any{"max": "43920h"}, "advance may be at most 43920h (5 years)")
	}
	if _, err := a.SandboxNow(ctx); err != nil {
		return time.Time{}, err
	}
	if a.sandbox.Offset() > maxSandboxOffset-d {
		return time.Time{}, errInvalid("sandbox.advance_too_large", "body.advance", "max", map[string]any{"max": "43920h"}, "the sandbox clock cannot move further ahead")
	}
	return a.moveSandbox(ctx, a.sandbox.Offset()+d)
}

// SandboxSet moves the sandbox clock to t, which must be later than now.
func (a *App) SandboxSet(ctx context.Context, t time.Time) (time.Time, error) {
	if a.sandbox == nil {
		return time.Time{}, errNotSandbox
	}
	now, err := a.SandboxNow(ctx)
	if err != nil {
		return time.Time{}, err
	}
	if !t.After(now) {
		return time.Time{}, errInvalid("sandbox.set_not_later", "body.set", "after_now", map[string]any{"now": now.In(clock.Shanghai).Format(time.RFC3339)}, "the clock only moves forward: set must be later than now")
	}
	if t.Sub(now) > maxSandboxAdvance || a.sandbox.OffsetFor(t) > maxSandboxOffset {
		return time.Time{}, errInvalid("sandbox.advance_too_large", "body.set", "max", map[string]any{"max": "43920h"}, "set may be at most 5 years ahead")
	}
	return a.moveSandbox(ctx, a.sandbox.OffsetFor(t))
}

func (a *App) moveSandbox(ctx context.Context, offset time.Duration) (time.Time, error) {
	before := a.sandbox.Now()
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		got, err := tx.SandboxClockRaise(ctx, offset, time.Now())
		if err != nil {
			return err
		}
		after := before.Add(got - a.sandbox.Offset())
		tx.AfterCommit(func() { a.sandbox.Raise(got) })
		return a.Audit(ctx, tx, AuditEntry{
			Action: "sandbox.clock_advanced", SubjectType: "sandbox_clock", SubjectID: "1",
			Data: map[string]any{"from": before.Format(time.RFC3339Nano), "to": after.Format(time.RFC3339Nano)},
		})
	})
	if err != nil {
		return time.Time{}, err
	}
	if err := a.RunSweeps(ctx); err != nil {
		return time.Time{}, err
	}
	return a.sandbox.Now(), nil
}
