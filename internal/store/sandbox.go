package store

import (
	"context"
	"errors"
	"time"

	"yuanxu/internal/errs"
)

// SandboxClockGet returns the stored offset of the sandbox clock, or
// ok=false on a database that has none yet.
func (db *DB) SandboxClockGet(ctx context.Context) (offset time.Duration, ok bool, err error) {
	var ms int64
	err = db.QueryRow(ctx, `SELECT offset_ms FROM sandbox_clock WHERE id = 1`).Scan(&ms)
	if errors.Is(err, errs.ErrNotFound) {
		return 0, false, nil
	}
	return time.Duration(ms) * time.Millisecond, err == nil, err
}

// SandboxClockInit stores the first offset if none is stored yet and
// returns the offset in effect (the stored one wins: restarts keep time).
func (tx *Tx) SandboxClockInit(ctx context.Context, offset time.Duration, wallNow time.Time) (time.Duration, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO sandbox_clock (id, offset_ms, started_at_ms, updated_at_ms) VALUES (1, $1, $2, $2) ON CONFLICT (id) DO NOTHING`,
		offset.Milliseconds(), Ms(wallNow)); err != nil {
		return 0, err
	}
	var ms int64
	err := tx.QueryRow(ctx, `SELECT offset_ms FROM sandbox_clock WHERE id = 1`).Scan(&ms)
	return time.Duration(ms) * time.Millisecond, err
}

// SandboxClockRaise raises the stored offset to offset if that is larger and
// returns the offset in effect. The clock never moves back, whatever order
// concurrent callers commit in.
func (tx *Tx) SandboxClockRaise(ctx context.Context, offset time.Duration, wallNow time.Time) (time.Duration, error) {
	if _, err := tx.Exec(ctx, `UPDATE sandbox_clock SET offset_ms = $1, updated_at_ms = $2 WHERE id = 1 AND offset_ms < $1`,
		offset.Milliseconds(), Ms(wallNow)); err != nil {
		return 0, err
	}
	var ms int64
	err := tx.QueryRow(ctx, `SELECT offset_ms FROM sandbox_clock WHERE id = 1`).Scan(&ms)
	return time.Duration(ms) * time.Millisecond, err
}
