package store

import (
	"context"
	"database/sql"
	"time"
)

// RefundRow is one refund request.
type RefundRow struct {
	ID, OrderID, AccountID, RequestedBy, Kind, State, Destination string
	Reason, Statement, Evidence, Decision                         string
	AmountFen                                                     int64
	ReviewDue                                                     time.Time
	ReviewProvisional                                             bool
	RemindedAt, EscalatedAt                                       time.Time
	FirstApprover, SecondApprover, DecidedBy                      string
	ReasonCode, DecisionText, TicketID                            string
	CreatedAt, UpdatedAt, DecidedAt, PaidAt                       time.Time
}

const refundCols = `id, order_id, account_id, requested_by, kind, state, destination, reason, statement, evidence, decision, amount_fen,
 review_due_ms, review_provisional, reminded_at_ms, escalated_at_ms, first_approver, second_approver, decided_by, reason_code, decision_text,
 ticket_id, created_at_ms, updated_at_ms, decided_at_ms, paid_at_ms`

func scanRefund(s scanner) (RefundRow, error) {
	var r RefundRow
	var due, prov, created, updated int64
	var reminded, escalated, decided, paid sql.NullInt64
	if err := s.Scan(&r.ID, &r.OrderID, &r.AccountID, &r.RequestedBy, &r.Kind, &r.State, &r.Destination, &r.Reason, &r.Statement, &r.Evidence,
		&r.Decision, &r.AmountFen, &due, &prov, &reminded, &escalated, &r.FirstApprover, &r.SecondApprover, &r.DecidedBy, &r.ReasonCode,
		&r.DecisionText, &r.TicketID, &created, &updated, &decided, &paid); err != nil {
		return r, err
	}
	r.ReviewDue, r.ReviewProvisional = FromMs(due), prov == 1
	r.RemindedAt, r.EscalatedAt, r.DecidedAt, r.PaidAt = FromNullMs(reminded), FromNullMs(escalated), FromNullMs(decided), FromNullMs(paid)
	r.CreatedAt, r.UpdatedAt = FromMs(created), FromMs(updated)
	return r, nil
}

// RefundInsert stores a new request; a second open request of the same
// order is errs.ErrDuplicate (the unique index holds it whatever the
// concurrency).
func (tx *Tx) RefundInsert(ctx context.Context, r RefundRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO refund_request (`+refundCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
 $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)`, r.ID, r.OrderID, r.AccountID, r.RequestedBy, r.Kind, r.State, r.Destination,
		r.Reason, r.Statement, r.Evidence, r.Decision, r.AmountFen, Ms(r.ReviewDue), b2i(r.ReviewProvisional), NullMs(r.RemindedAt),
		NullMs(r.EscalatedAt), r.FirstApprover, r.SecondApprover, r.DecidedBy, r.ReasonCode, r.DecisionText, r.TicketID, Ms(r.CreatedAt),
		Ms(r.UpdatedAt), NullMs(r.DecidedAt), NullMs(r.PaidAt))
	return err
}

// RefundUpdate writes r's mutable columns if the stored request is still
// in fromState and unchanged since prevUpdated: ok=false otherwise.
func (tx *Tx) RefundUpdate(ctx context.Context, r RefundRow, fromState string, prevUpdated time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE refund_request SET state = $2, decision = $3, amount_fen = $4, reminded_at_ms = $5, escalated_at_ms = $6,
 first_approver = $7, second_approver = $8, decided_by = $9, reason_code = $10, decision_text = $11, updated_at_ms = $12, decided_at_ms = $13,
 paid_at_ms = $14, ticket_id = $15 WHERE id = $1 AND state = $16 AND updated_at_ms = $17`, r.ID, r.State, r.Decision, r.AmountFen,
		NullMs(r.RemindedAt), NullMs(r.EscalatedAt), r.FirstApprover, r.SecondApprover, r.DecidedBy, r.ReasonCode, r.DecisionText, Ms(r.UpdatedAt),
		NullMs(r.DecidedAt), NullMs(r.PaidAt), r.TicketID, fromState, Ms(prevUpdated))
	return n == 1, err
}

// RefundGet reads one request (errs.ErrNotFound when missing).
func RefundGet(ctx context.Context, q Querier, id string) (RefundRow, error) {
	r, err := scanRefund(q.QueryRow(ctx, `SELECT `+refundCols+` FROM refund_request WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.RefundGet", err)
	}
	return r, nil
}

// RefundFilter selects requests.
type RefundFilter struct {
	AccountID, OrderID string
	States             []string
	DueBefore          time.Time // review deadline before (sweeps)
	ByDeadline         bool      // oldest deadline first (the review queue); else newest first
	Limit              int
}

// Refunds lists requests matching f.
func Refunds(ctx context.Context, q Querier, f RefundFilter) ([]RefundRow, error) {
	query := `SELECT ` + refundCols + ` FROM refund_request WHERE 1 = 1`
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		query += " AND " + cond + " $" + itoa(len(args))
	}
	if f.AccountID != "" {
		add("account_id =", f.AccountID)
	}
	if f.OrderID != "" {
		add("order_id =", f.OrderID)
	}
	if !f.DueBefore.IsZero() {
		add("review_due_ms <", Ms(f.DueBefore))
	}
	if len(f.States) > 0 {
		query += " AND state IN ("
		for i, s := range f.States {
			args = append(args, s)
			if i > 0 {
				query += ", "
			}
			query += "$" + itoa(len(args))
		}
		query += ")"
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	order := " ORDER BY id DESC"
	if f.ByDeadline {
		order = " ORDER BY review_due_ms, id"
	}
	args = append(args, f.Limit)
	rows, err := q.Query(ctx, query+order+" LIMIT $"+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RefundRow
	for rows.Next() {
		r, err := scanRefund(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
