package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"
)

// Measures of violation cases and their appeals (issue 16, migration
// 00022).

// ComplianceMeasureRow is one measure imposed on a confirmed case.
type ComplianceMeasureRow struct {
	ID, CaseID, AccountID, ServiceID, Kind, State string
	Emergency                                     bool
	Reason, ImposedBy, StandingID                 string
	Services                                      []string // the service ids it suspended
	Frozen                                        bool
	NotificationID                                string
	EscalatedAt, ConfirmBy                        time.Time
	ConfirmedBy                                   string
	ConfirmedAt, CreatedAt, UpdatedAt, EndedAt    time.Time
	EndedBy, EndReason                            string
}

const cmCols = `id, case_id, account_id, service_id, kind, state, emergency, reason, imposed_by, standing_id, services, frozen,
 notification_id, escalated_at_ms, confirm_by_ms, confirmed_by, confirmed_at_ms, created_at_ms, updated_at_ms, ended_at_ms, ended_by, end_reason`

func scanComplianceMeasure(s scanner) (ComplianceMeasureRow, error) {
	var r ComplianceMeasureRow
	var emergency, frozen, created, updated int64
	var services string
	var escalated, confirmBy, confirmedAt, ended sql.NullInt64
	if err := s.Scan(&r.ID, &r.CaseID, &r.AccountID, &r.ServiceID, &r.Kind, &r.State, &emergency, &r.Reason, &r.ImposedBy, &r.StandingID,
		&services, &frozen, &r.NotificationID, &escalated, &confirmBy, &r.ConfirmedBy, &confirmedAt, &created, &updated, &ended,
		&r.EndedBy, &r.EndReason); err != nil {
		return r, err
	}
	r.Emergency, r.Frozen = emergency == 1, frozen == 1
	_ = json.Unmarshal([]byte(services), &r.Services)
	r.EscalatedAt, r.ConfirmBy, r.ConfirmedAt, r.EndedAt = FromNullMs(escalated), FromNullMs(confirmBy), FromNullMs(confirmedAt), FromNullMs(ended)
	r.CreatedAt, r.UpdatedAt = FromMs(created), FromMs(updated)
	return r, nil
}

func cmArgs(r ComplianceMeasureRow) []any {
	if r.Services == nil {
		r.Services = []string{}
	}
	services, _ := json.Marshal(r.Services)
	return []any{r.ID, r.CaseID, r.AccountID, r.ServiceID, r.Kind, r.State, b2i(r.Emergency), r.Reason, r.ImposedBy, r.StandingID,
		string(services), b2i(r.Frozen), r.NotificationID, NullMs(r.EscalatedAt), NullMs(r.ConfirmBy), r.ConfirmedBy, NullMs(r.ConfirmedAt),
		Ms(r.CreatedAt), Ms(r.UpdatedAt), NullMs(r.EndedAt), r.EndedBy, r.EndReason}
}

// ComplianceMeasureInsert stores a new measure.
func (tx *Tx) ComplianceMeasureInsert(ctx context.Context, r ComplianceMeasureRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO compliance_measure (`+cmCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
 $14, $15, $16, $17, $18, $19, $20, $21, $22)`, cmArgs(r)...)
	return err
}

// ComplianceMeasureUpdate writes r if the stored measure is still in
// state from and unchanged since prevUpdated (ok=false otherwise).
func (tx *Tx) ComplianceMeasureUpdate(ctx context.Context, r ComplianceMeasureRow, from string, prevUpdated time.Time) (bool, error) {
	args := append(cmArgs(r), from, Ms(prevUpdated))
	n, err := tx.Exec(ctx, `UPDATE compliance_measure SET case_id = $2, account_id = $3, service_id = $4, kind = $5, state = $6,
 emergency = $7, reason = $8, imposed_by = $9, standing_id = $10, services = $11, frozen = $12, notification_id = $13,
 escalated_at_ms = $14, confirm_by_ms = $15, confirmed_by = $16, confirmed_at_ms = $17, created_at_ms = $18, updated_at_ms = $19,
 ended_at_ms = $20, ended_by = $21, end_reason = $22 WHERE id = $1 AND state = $23 AND updated_at_ms = $24`, args...)
	return n == 1, err
}

// ComplianceMeasureGet reads one measure.
func ComplianceMeasureGet(ctx context.Context, q Querier, id string) (ComplianceMeasureRow, error) {
	r, err := scanComplianceMeasure(q.QueryRow(ctx, `SELECT `+cmCols+` FROM compliance_measure WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.ComplianceMeasureGet", err)
	}
	return r, nil
}

// ComplianceMeasureFilter selects measures; zero fields constrain nothing.
type ComplianceMeasureFilter struct {
	AccountID string
	CaseID    string
	States    []string
	// EmergencyDueBy keeps unconfirmed emergency measures whose
	// confirmation deadline is at or before it.
	EmergencyDueBy time.Time
	// Unescalated keeps measures whose notice was not escalated yet.
	Unescalated bool
	Limit       int // ≤ 0 or > 500: 500
}

// ComplianceMeasures lists measures matching f, newest first.
func ComplianceMeasures(ctx context.Context, q Querier, f ComplianceMeasureFilter) ([]ComplianceMeasureRow, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.AccountID != "" {
		add("account_id = ?", f.AccountID)
	}
	if f.CaseID != "" {
		add("case_id = ?", f.CaseID)
	}
	if len(f.States) > 0 {
		var ph []string
		for _, s := range f.States {
			args = append(args, s)
			ph = append(ph, "$"+itoa(len(args)))
		}
		where = append(where, "state IN ("+strings.Join(ph, ", ")+")")
	}
	if !f.EmergencyDueBy.IsZero() {
		add("emergency = 1 AND confirmed_at_ms IS NULL AND confirm_by_ms <= ?", Ms(f.EmergencyDueBy))
	}
	if f.Unescalated {
		where = append(where, "escalated_at_ms IS NULL AND notification_id <> ''")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	query := `SELECT ` + cmCols + ` FROM compliance_measure`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	rows, err := q.Query(ctx, query+` ORDER BY created_at_ms DESC, id DESC LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ComplianceMeasureRow
	for rows.Next() {
		r, err := scanComplianceMeasure(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AppealRow is one appeal against a measure.
type AppealRow struct {
	ID, MeasureID, AccountID, FiledBy, TicketID, State string
	Statement, ReviewerID, DecisionText                string
	AppealDue, ReviewDue, OverdueAt                    time.Time
	CreatedAt, UpdatedAt, DecidedAt                    time.Time
}

const appealCols = `id, measure_id, account_id, filed_by, ticket_id, state, statement, reviewer_id, decision_text, appeal_due_ms,
 review_due_ms, overdue_at_ms, created_at_ms, updated_at_ms, decided_at_ms`

func scanAppeal(s scanner) (AppealRow, error) {
	var r AppealRow
	var reviewDue, created, updated int64
	var appealDue, overdue, decided sql.NullInt64
	if err := s.Scan(&r.ID, &r.MeasureID, &r.AccountID, &r.FiledBy, &r.TicketID, &r.State, &r.Statement, &r.ReviewerID, &r.DecisionText,
		&appealDue, &reviewDue, &overdue, &created, &updated, &decided); err != nil {
		return r, err
	}
	r.AppealDue, r.ReviewDue, r.OverdueAt, r.DecidedAt = FromNullMs(appealDue), FromMs(reviewDue), FromNullMs(overdue), FromNullMs(decided)
	r.CreatedAt, r.UpdatedAt = FromMs(created), FromMs(updated)
	return r, nil
}

// AppealInsert stores a new appeal; a second open appeal against the same
// measure fails with errs.ErrDuplicate.
func (tx *Tx) AppealInsert(ctx context.Context, r AppealRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO compliance_appeal (`+appealCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.ID, r.MeasureID, r.AccountID, r.FiledBy, r.TicketID, r.State, r.Statement, r.ReviewerID, r.DecisionText, NullMs(r.AppealDue),
		Ms(r.ReviewDue), NullMs(r.OverdueAt), Ms(r.CreatedAt), Ms(r.UpdatedAt), NullMs(r.DecidedAt))
	return err
}

// AppealUpdate writes the mutable columns of r if the stored appeal is
// still in state from and unchanged since prevUpdated.
func (tx *Tx) AppealUpdate(ctx context.Context, r AppealRow, from string, prevUpdated time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE compliance_appeal SET ticket_id = $2, state = $3, reviewer_id = $4, decision_text = $5, updated_at_ms = $6,
 decided_at_ms = $7, overdue_at_ms = $8 WHERE id = $1 AND state = $9 AND updated_at_ms = $10`, r.ID, r.TicketID, r.State, r.ReviewerID,
		r.DecisionText, Ms(r.UpdatedAt), NullMs(r.DecidedAt), NullMs(r.OverdueAt), from, Ms(prevUpdated))
	return n == 1, err
}

// AppealGet reads one appeal.
func AppealGet(ctx context.Context, q Querier, id string) (AppealRow, error) {
	r, err := scanAppeal(q.QueryRow(ctx, `SELECT `+appealCols+` FROM compliance_appeal WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.AppealGet", err)
	}
	return r, nil
}

// AppealFilter selects appeals; zero fields constrain nothing.
type AppealFilter struct {
	AccountID, MeasureID string
	States               []string
	// OverdueBy keeps appeals whose review was due at or before it and
	// that were not flagged overdue yet.
	OverdueBy time.Time
}

// Appeals lists appeals matching f, oldest first (the queue's order).
func Appeals(ctx context.Context, q Querier, f AppealFilter) ([]AppealRow, error) {
	var where []string
	var args []any
	if f.AccountID != "" {
		args = append(args, f.AccountID)
		where = append(where, "account_id = $"+itoa(len(args)))
	}
	if f.MeasureID != "" {
		args = append(args, f.MeasureID)
		where = append(where, "measure_id = $"+itoa(len(args)))
	}
	if len(f.States) > 0 {
		var ph []string
		for _, s := range f.States {
			args = append(args, s)
			ph = append(ph, "$"+itoa(len(args)))
		}
		where = append(where, "state IN ("+strings.Join(ph, ", ")+")")
	}
	if !f.OverdueBy.IsZero() {
		args = append(args, Ms(f.OverdueBy))
		where = append(where, "overdue_at_ms IS NULL AND review_due_ms <= $"+itoa(len(args)))
	}
	query := `SELECT ` + appealCols + ` FROM compliance_appeal`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	rows, err := q.Query(ctx, query+` ORDER BY created_at_ms, id LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AppealRow
	for rows.Next() {
		r, err := scanAppeal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
