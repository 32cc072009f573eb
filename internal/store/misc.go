package store

import (
	"context"
	"errors"
	"time"

	"yuanxu/internal/errs"
)

// SecretGetOrCreate returns the secret stored under name, storing value
// first if there is none. Used only for demo and single-instance installs.
func (tx *Tx) SecretGetOrCreate(ctx context.Context, name, value string) (string, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO secret (name, value, created_at_ms) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`, name, value, Ms(tx.Now)); err != nil {
		return "", err
	}
	var v string
	err := tx.QueryRow(ctx, `SELECT value FROM secret WHERE name = $1`, name).Scan(&v)
	return v, err
}

// RateLimitHit counts one hit against key in the fixed window containing
// wallNow and returns the count including this hit. Counters live in the
// database, so every instance sees the same numbers. It is its own short
// transaction on the writer pool: a limiter must count even when the request
// it guards later fails.
func (db *DB) RateLimitHit(ctx context.Context, key string, window time.Duration, wallNow time.Time) (int64, error) {
	start := wallNow.Truncate(window)
	var n int64
	err := db.InTx(ctx, func(ctx context.Context, tx *Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO rate_limit (key, window_start_ms, count, expires_at_ms) VALUES ($1, $2, 1, $3)
ON CONFLICT (key, window_start_ms) DO UPDATE SET count = rate_limit.count + 1 RETURNING count`,
			key, Ms(start), Ms(start.Add(window))).Scan(&n)
	})
	return n, err
}

// RateLimitPrune deletes counters whose window ended before wallNow.
func (tx *Tx) RateLimitPrune(ctx context.Context, wallNow time.Time) (int64, error) {
	return tx.Exec(ctx, `DELETE FROM rate_limit WHERE expires_at_ms < $1`, Ms(wallNow))
}

// SweepRecord notes the last run of a sweep.
func (tx *Tx) SweepRecord(ctx context.Context, name string, businessAt, wallAt time.Time, affected int64, lastErr string) error {
	_, err := tx.Exec(ctx, `INSERT INTO sweep_run (name, business_at_ms, wall_at_ms, affected, last_error) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (name) DO UPDATE SET business_at_ms = excluded.business_at_ms, wall_at_ms = excluded.wall_at_ms, affected = excluded.affected, last_error = excluded.last_error`,
		name, Ms(businessAt), Ms(wallAt), affected, lastErr)
	return err
}

// IsNotFound reports whether err means "no such row".
func IsNotFound(err error) bool { return errors.Is(err, errs.ErrNotFound) }
