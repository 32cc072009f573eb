package app

import (
	"context"
	"fmt"
	"time"

	"yuanxu/internal/compliance"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// The traffic detector (issue 16 item 2): for each complete hour, every
// service's outbound customer-class bytes are judged against the largest
// value of the same hour of day over the previous week
// (compliance.DetectorConfig.Evaluate); a surge opens or joins a
// network_attack case about the service, attributed to its customer. It
// is a signal, never a measure — except at the extreme level, where it
// also suspends that one service as an emergency measure that lapses
// unless a person confirms it (compliance_emergency.go). Each service-hour is judged once, whichever
// instance runs the sweep.

// SetDetector sets the detector's parameters (serve flags, tests); zero
// fields keep compliance.DefaultDetector's.
func (a *App) SetDetector(c compliance.DetectorConfig) {
	d := compliance.DefaultDetector
	if c.Ratio > 0 {
		d.Ratio = c.Ratio
	}
	if c.Floor > 0 {
		d.Floor = c.Floor
	}
	if c.ExtremeRatio > 0 {
		d.ExtremeRatio = c.ExtremeRatio
	}
	if c.ExtremeFloor > 0 {
		d.ExtremeFloor = c.ExtremeFloor
	}
	if c.History > 0 {
		d.History = c.History
	}
	if c.MinHistory > 0 {
		d.MinHistory = c.MinHistory
	}
	a.detectorCfg.Store(&d)
}

func (a *App) detector() compliance.DetectorConfig {
	if d := a.detectorCfg.Load(); d != nil {
		return *d
	}
	return compliance.DefaultDetector
}

// detectorLookback is how many complete hours back the sweep judges, so
// that samples that arrive late are still judged.
const detectorLookback = 3

// detectorSweep judges the last complete hours at business instant now.
func (a *App) detectorSweep(ctx context.Context, now time.Time) (int64, error) {
	cfg := a.detector()
	var fired int64
	last := now.Truncate(time.Hour).Add(-time.Hour)
	for h := last.Add(-(detectorLookback - 1) * time.Hour); !h.After(last); h = h.Add(time.Hour) {
		ids, err := store.ServicesOutAt(ctx, a.db, h, 1000)
		if err != nil {
			return fired, err
		}
		for _, sid := range ids {
			n, err := a.judgeHour(ctx, cfg, sid, h)
			if err != nil {
				return fired, err
			}
			fired += n
		}
	}
	return fired, nil
}

// judgeHour evaluates one service-hour and records a signal when it fires.
func (a *App) judgeHour(ctx context.Context, cfg compliance.DetectorConfig, serviceID string, hour time.Time) (int64, error) {
	hist, err := store.HoursOut(ctx, a.db, serviceID, hour.Add(-cfg.History), hour.Add(time.Hour))
	if err != nil {
		return 0, err
	}
	var hours []compliance.Hour
	var bytes uint64
	for h, b := range hist {
		if h.Equal(hour) {
			bytes = uint64(b)
			continue
		}
		hours = append(hours, compliance.Hour{Start: h, Bytes: uint64(b)})
	}
	// The history begins at the service's first metered hour, which may
	// be older than the lookback: a quiet week after it counts as zeros.
	first, err := store.FirstHourOut(ctx, a.db, serviceID)
	if err != nil {
		return 0, err
	}
	if !first.IsZero() && first.Before(hour.Add(-cfg.History)) {
		hours = append(hours, compliance.Hour{Start: first})
	}
	f := cfg.Evaluate(hours, hour, bytes)
	svc, err := store.ServiceGet(ctx, a.db, serviceID)
	if err != nil {
		return 0, err
	}
	var n int64
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.DetectorMark(ctx, serviceID, hour, f.Fired)
		if err != nil || !ok || !f.Fired {
			return err
		}
		n = 1
		sig := store.SignalRow{ID: id.NewAt(tx.Now), Source: compliance.SourceTrafficDetector, Rule: string(compliance.RuleNetworkAttack),
			Target: "service:" + serviceID, ObservedAt: hour, CreatedBy: "detector", CreatedAt: tx.Now,
			Detail: fmt.Sprintf("outbound %d bytes in the hour from %s; baseline %d (same hour, previous %s); thresholds %.0f× and %d bytes; extreme %v",
				f.Bytes, hour.Format(time.RFC3339), f.Baseline, cfg.History, cfg.Ratio, cfg.Floor, f.Extreme)}
		caseID, err := a.addSignal(ctx, tx, sig, svc.AccountID, serviceID)
		if err != nil || !f.Extreme {
			return err
		}
		return a.emergencySuspend(ctx, tx, caseID, svc, sig.Detail) // compliance_emergency.go
	})
	return n, err
}
