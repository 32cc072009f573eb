package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"yuanxu/internal/errs"
)

// RefundContext is what a refund decision reads about an order beyond its
// row and lines: the same rows as BreachGet, Refunds (open requests, limit
// 1), Cases (the account's open cases), ComplianceMeasures (the account's
// measures in the given states) and the order's services' meters, read in
// one statement (issue 19: they were five reads, each a round trip to
// PostgreSQL, of a decision's eleven).
type RefundContext struct {
	// BreachedAt is when the order's delivery deadline was recorded as
	// missed (zero: no breach recorded).
	BreachedAt time.Time
	// OpenRequest tells whether a request of the order is in one of the
	// open states.
	OpenRequest bool
	// Cases are the ids of the account's cases in the case states, oldest
	// first (Cases' order), at most 500.
	Cases []string
	// Measures are the account's measures in the measure states, newest
	// first (ComplianceMeasures' order), at most 500; only ID, Kind,
	// State, CreatedAt and EndedAt are read.
	Measures []ComplianceMeasureRow
	// Services are the order's services, newest first (id order), at most
	// 100.
	Services []OrderServiceMeter
}

// RefundContextFilter names the states RefundContextOf selects.
type RefundContextFilter struct {
	OrderID, AccountID string
	// OpenRequestStates are the states of a request that count as open.
	OpenRequestStates []string
	// CaseStates select the account's cases; MeasureStates its measures.
	CaseStates, MeasureStates []string
}

// RefundContextOf reads f.OrderID's refund context in one statement. An
// empty AccountID reads no cases and no measures; an empty state list
// selects nothing of its kind.
func RefundContextOf(ctx context.Context, q Querier, f RefundContextFilter) (RefundContext, error) {
	account := ""
	if f.AccountID != "" {
		account = "$2"
	}
	query, args := refundContextQuery(f, account)
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return RefundContext{}, errorf("store.RefundContextOf", err)
	}
	defer rows.Close()
	out, err := scanRefundContext(rows)
	if err == nil {
		err = rows.Err()
	}
	if err != nil {
		return out, errorf("store.RefundContextOf", err)
	}
	return out, nil
}

// OrderWithRefundContext reads an order with its lines (OrderGet) and its
// refund context (RefundContextOf, for the order's own account: f's
// AccountID is not read) in one round trip on PostgreSQL
// (DB.ReadTogether). errs.ErrNotFound when there is no such order.
func OrderWithRefundContext(ctx context.Context, db *DB, f RefundContextFilter) (OrderRow, RefundContext, error) {
	var o OrderRow
	var rc RefundContext
	found := false
	query, args := refundContextQuery(f, "(SELECT account_id FROM orders WHERE id = $1)")
	err := db.ReadTogether(ctx, orderWithLinesRead(f.OrderID, &o, &found), Read{SQL: query, Args: args,
		Scan: func(rows RowScanner) (err error) { rc, err = scanRefundContext(rows); return err }})
	if err == nil && !found {
		err = errs.ErrNotFound
	}
	if err != nil {
		return OrderRow{}, RefundContext{}, errorf("store.OrderWithRefundContext", err)
	}
	return o, rc, nil
}

// refundContextQuery is RefundContextOf's statement for f, the account's
// parts reading the account that account names (a placeholder, $2 being
// f.AccountID, or a subquery; "": no cases and no measures).
func refundContextQuery(f RefundContextFilter, account string) (string, []any) {
	args := []any{f.OrderID}
	if account == "$2" {
		args = append(args, f.AccountID)
	}
	in := func(states []string) string {
		if len(states) == 0 {
			return "NULL" // state IN (NULL) selects nothing
		}
		s := inList(len(args), len(states))
		for _, st := range states {
			args = append(args, st)
		}
		return s
	}
	// Each part keeps its own order and limit inside a subquery (SQLite
	// allows neither in a compound's member) and numbers its rows in that
	// order, for the outer ORDER BY: UNION ALL promises no order.
	var b strings.Builder
	b.WriteString(`SELECT 'b', '', '', '', breached_at_ms, CAST(NULL AS BIGINT), 0 FROM order_breach WHERE order_id = $1
UNION ALL SELECT * FROM (SELECT 'r', id, '', '', 0, CAST(NULL AS BIGINT), 0 FROM refund_request WHERE order_id = $1 AND state IN (` + in(f.OpenRequestStates) + `) LIMIT 1) r`)
	if account != "" {
		b.WriteString(`
UNION ALL SELECT * FROM (SELECT 'c', id, '', '', created_at_ms, CAST(NULL AS BIGINT), ROW_NUMBER() OVER (ORDER BY created_at_ms, id) FROM violation_case
 WHERE account_id = ` + account + ` AND state IN (` + in(f.CaseStates) + `) ORDER BY created_at_ms, id LIMIT 500) c
UNION ALL SELECT * FROM (SELECT 'm', id, kind, state, created_at_ms, ended_at_ms, ROW_NUMBER() OVER (ORDER BY created_at_ms DESC, id DESC)
 FROM compliance_measure WHERE account_id = ` + account + ` AND state IN (` + in(f.MeasureStates) + `) ORDER BY created_at_ms DESC, id DESC LIMIT 500) m`)
	}
	b.WriteString(`
UNION ALL SELECT * FROM (SELECT 's', id, kind, node_id, starts_at_ms, CAST(NULL AS BIGINT), ROW_NUMBER() OVER (ORDER BY id DESC) FROM service
 WHERE order_id = $1 ORDER BY id DESC LIMIT 100) s
ORDER BY 1, 7`)
	return b.String(), args
}

// scanRefundContext reads refundContextQuery's rows.
func scanRefundContext(rows RowScanner) (RefundContext, error) {
	var out RefundContext
	for rows.Next() {
		var tag, id, s1, s2 string
		var n1, n2 sql.NullInt64
		var ord int64
		if err := rows.Scan(&tag, &id, &s1, &s2, &n1, &n2, &ord); err != nil {
			return out, err
		}
		switch tag {
		case "b":
			out.BreachedAt = FromNullMs(n1)
		case "r":
			out.OpenRequest = true
		case "c":
			out.Cases = append(out.Cases, id)
		case "m":
			out.Measures = append(out.Measures, ComplianceMeasureRow{ID: id, Kind: s1, State: s2, CreatedAt: FromNullMs(n1), EndedAt: FromNullMs(n2)})
		case "s":
			out.Services = append(out.Services, OrderServiceMeter{ID: id, Kind: s1, NodeID: s2, StartsAt: FromNullMs(n1)})
		}
	}
	return out, nil
}
