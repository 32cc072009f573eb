package store

import (
	"context"
	"database/sql"
	"time"
)

// CalendarOverrideRow is an admin override of one date: effective once a
// second admin approved it (the table's CHECK refuses the proposer).
type CalendarOverrideRow struct {
	ID, Day     string // Day is YYYY-MM-DD
	Working     bool
	Reason      string
	ProposedBy  string
	ProposedAt  time.Time
	ApprovedBy  string // "" until approved
	ApprovedAt  time.Time
	WithdrawnAt time.Time
}

// CalendarConfirmationRow records that two admins compared a year's data
// with its State Council notice.
type CalendarConfirmationRow struct {
	ID          string
	Year        int
	Notice      string
	ProposedBy  string
	ProposedAt  time.Time
	ApprovedBy  string
	ApprovedAt  time.Time
	WithdrawnAt time.Time
}

// CalendarOverrideInsert proposes an override; a live (not withdrawn)
// override of the same day fails with errs.ErrDuplicate.
func (tx *Tx) CalendarOverrideInsert(ctx context.Context, r CalendarOverrideRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO calendar_override (id, day, working, reason, proposed_by, proposed_at_ms, approved_by, approved_at_ms, withdrawn_at_ms)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.ID, r.Day, boolInt(r.Working), r.Reason, r.ProposedBy, Ms(r.ProposedAt), r.ApprovedBy,
		NullMs(r.ApprovedAt), NullMs(r.WithdrawnAt))
	return err
}

// CalendarOverrideApprove approves a pending override by someone other than
// its proposer. ok is false when no pending override with that id exists
// or the approver proposed it.
func (tx *Tx) CalendarOverrideApprove(ctx context.Context, id, by string, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE calendar_override SET approved_by = $2, approved_at_ms = $3
 WHERE id = $1 AND approved_by = '' AND withdrawn_at_ms IS NULL AND proposed_by <> $2`, id, by, Ms(at))
	return n == 1, err
}

// CalendarOverrideWithdraw withdraws a live override (ok false: none).
func (tx *Tx) CalendarOverrideWithdraw(ctx context.Context, id string, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE calendar_override SET withdrawn_at_ms = $2 WHERE id = $1 AND withdrawn_at_ms IS NULL`, id, Ms(at))
	return n == 1, err
}

// CalendarOverrides lists the live overrides (pending and approved), by day.
func CalendarOverrides(ctx context.Context, q Querier) ([]CalendarOverrideRow, error) {
	rows, err := q.Query(ctx, `SELECT id, day, working, reason, proposed_by, proposed_at_ms, approved_by, approved_at_ms, withdrawn_at_ms
 FROM calendar_override WHERE withdrawn_at_ms IS NULL ORDER BY day LIMIT 2000`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CalendarOverrideRow
	for rows.Next() {
		var r CalendarOverrideRow
		var working, proposed int64
		var approved, withdrawn sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Day, &working, &r.Reason, &r.ProposedBy, &proposed, &r.ApprovedBy, &approved, &withdrawn); err != nil {
			return nil, err
		}
		r.Working, r.ProposedAt, r.ApprovedAt, r.WithdrawnAt = working != 0, FromMs(proposed), FromNullMs(approved), FromNullMs(withdrawn)
		out = append(out, r)
	}
	return out, rows.Err()
}

// CalendarConfirmationInsert proposes a confirmation of a year; a live one
// of the same year fails with errs.ErrDuplicate.
func (tx *Tx) CalendarConfirmationInsert(ctx context.Context, r CalendarConfirmationRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO calendar_confirmation (id, year, notice, proposed_by, proposed_at_ms, approved_by, approved_at_ms, withdrawn_at_ms)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.ID, int64(r.Year), r.Notice, r.ProposedBy, Ms(r.ProposedAt), r.ApprovedBy,
		NullMs(r.ApprovedAt), NullMs(r.WithdrawnAt))
	return err
}

// CalendarConfirmationApprove approves a pending confirmation by someone
// other than its proposer (ok false otherwise).
func (tx *Tx) CalendarConfirmationApprove(ctx context.Context, id, by string, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE calendar_confirmation SET approved_by = $2, approved_at_ms = $3
 WHERE id = $1 AND approved_by = '' AND withdrawn_at_ms IS NULL AND proposed_by <> $2`, id, by, Ms(at))
	return n == 1, err
}

// CalendarConfirmations lists the live confirmations, by year.
func CalendarConfirmations(ctx context.Context, q Querier) ([]CalendarConfirmationRow, error) {
	rows, err := q.Query(ctx, `SELECT id, year, notice, proposed_by, proposed_at_ms, approved_by, approved_at_ms, withdrawn_at_ms
 FROM calendar_confirmation WHERE withdrawn_at_ms IS NULL ORDER BY year LIMIT 500`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CalendarConfirmationRow
	for rows.Next() {
		var r CalendarConfirmationRow
		var year, proposed int64
		var approved, withdrawn sql.NullInt64
		if err := rows.Scan(&r.ID, &year, &r.Notice, &r.ProposedBy, &proposed, &r.ApprovedBy, &approved, &withdrawn); err != nil {
			return nil, err
		}
		r.Year, r.ProposedAt, r.ApprovedAt, r.WithdrawnAt = int(year), FromMs(proposed), FromNullMs(approved), FromNullMs(withdrawn)
		out = append(out, r)
	}
	return out, rows.Err()
}
