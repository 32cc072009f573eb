package app

import (
	"context"
	"encoding/hex"
	"math"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/store"
)

// RateRule is a named limit: at most Limit hits per Window for one subject.
type RateRule struct {
	Name   string // "login", "code.phone", "abuse_report"
	Limit  int64
	Window time.Duration
}

// RateLimit counts one hit of subject (an IP, a phone, an email) against
// rule and fails with errs.RateLimited (Params["retry_after_seconds"]) once
// the limit is passed. Counters are shared by every instance; subjects are
// stored as keyed blind indexes, never in the clear. Windows follow wall
// time: outside parties see wall time.
func (a *App) RateLimit(ctx context.Context, rule RateRule, subject string) error {
	key := rule.Name + ":" + hex.EncodeToString(a.secrets.Blind.Sum("ratelimit", rule.Name+"\x00"+subject))
	now := time.Now()
	n, err := a.db.RateLimitHit(ctx, key, rule.Window, now)
	if err != nil {
		return err
	}
	if n > rule.Limit {
		retry := now.Truncate(rule.Window).Add(rule.Window).Sub(now)
		return &errs.Error{Kind: errs.RateLimited, Code: "rate_limited", Msg: "too many attempts; retry later",
			Params: map[string]any{"retry_after_seconds": int64(math.Ceil(retry.Seconds())), "rule": rule.Name}}
	}
	return nil
}

// PruneRateLimits deletes expired counters.
func (a *App) PruneRateLimits(ctx context.Context) error {
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.RateLimitPrune(ctx, time.Now())
		return err
	})
}
