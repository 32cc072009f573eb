package store

import (
	"context"
	"database/sql"
	"time"
)

// AttemptRow is one gateway payment attempt.
type AttemptRow struct {
	ID, Ref, Gateway, Kind, Purpose, AccountID, OrderID, PaymentID string
	AmountFen                                                      int64
	State, GatewayTradeNo, PayURL, QRCode, Error, LedgerTxnID      string
	RefundedFen                                                    int64
	ExpiresAt, CreatedAt, UpdatedAt, SettledAt, CheckedAt          time.Time
}

const attemptCols = `id, ref, gateway, kind, purpose, account_id, order_id, payment_id, amount_fen, state, gateway_trade_no, pay_url, qr_code,
 error, ledger_txn_id, refunded_fen, expires_at_ms, created_at_ms, updated_at_ms, settled_at_ms, checked_at_ms`

// scanAttempt scans attemptCols, then extra (columns selected after them).
func scanAttempt(s scanner, extra ...any) (AttemptRow, error) {
	var r AttemptRow
	var exp, created, updated int64
	var settled, checked sql.NullInt64
	dest := append([]any{&r.ID, &r.Ref, &r.Gateway, &r.Kind, &r.Purpose, &r.AccountID, &r.OrderID, &r.PaymentID, &r.AmountFen, &r.State,
		&r.GatewayTradeNo, &r.PayURL, &r.QRCode, &r.Error, &r.LedgerTxnID, &r.RefundedFen, &exp, &created, &updated, &settled, &checked}, extra...)
	if err := s.Scan(dest...); err != nil {
		return r, err
	}
	r.ExpiresAt, r.CreatedAt, r.UpdatedAt, r.SettledAt, r.CheckedAt = FromMs(exp), FromMs(created), FromMs(updated), FromNullMs(settled), FromNullMs(checked)
	return r, nil
}

// AttemptInsert stores a new attempt.
func (tx *Tx) AttemptInsert(ctx context.Context, r AttemptRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO gateway_attempt (`+attemptCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
 $15, $16, $17, $18, $19, $20, $21)`, r.ID, r.Ref, r.Gateway, r.Kind, r.Purpose, r.AccountID, r.OrderID, r.PaymentID, r.AmountFen, r.State,
		r.GatewayTradeNo, r.PayURL, r.QRCode, r.Error, r.LedgerTxnID, r.RefundedFen, Ms(r.ExpiresAt), Ms(r.CreatedAt), Ms(r.UpdatedAt),
		NullMs(r.SettledAt), NullMs(r.CheckedAt))
	return err
}

// AttemptUpdate writes r's mutable columns if the stored attempt is still
// in fromState: ok=false otherwise.
func (tx *Tx) AttemptUpdate(ctx context.Context, r AttemptRow, fromState string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE gateway_attempt SET state = $2, gateway_trade_no = $3, pay_url = $4, qr_code = $5, error = $6,
 ledger_txn_id = $7, refunded_fen = $8, updated_at_ms = $9, settled_at_ms = $10, checked_at_ms = $11 WHERE id = $1 AND state = $12`,
		r.ID, r.State, r.GatewayTradeNo, r.PayURL, r.QRCode, r.Error, r.LedgerTxnID, r.RefundedFen, Ms(r.UpdatedAt), NullMs(r.SettledAt),
		NullMs(r.CheckedAt), fromState)
	return n == 1, err
}

// AttemptByRef reads an attempt by its payment reference.
func AttemptByRef(ctx context.Context, q Querier, ref string) (AttemptRow, error) {
	r, err := scanAttempt(q.QueryRow(ctx, `SELECT `+attemptCols+` FROM gateway_attempt WHERE ref = $1`, ref))
	if err != nil {
		return r, errorf("store.AttemptByRef", err)
	}
	return r, nil
}

// AttemptGet reads an attempt by id.
func AttemptGet(ctx context.Context, q Querier, id string) (AttemptRow, error) {
	r, err := scanAttempt(q.QueryRow(ctx, `SELECT `+attemptCols+` FROM gateway_attempt WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.AttemptGet", err)
	}
	return r, nil
}

// AttemptFilter selects attempts, newest first (Oldest: oldest first).
type AttemptFilter struct {
	AccountID, OrderID, State, Gateway, Purpose string
	CreatedBefore, SettledFrom, SettledUntil    time.Time
	Limit                                       int
	Oldest                                      bool
}

// Attempts lists attempts matching f.
func Attempts(ctx context.Context, q Querier, f AttemptFilter) ([]AttemptRow, error) {
	query := `SELECT ` + attemptCols + ` FROM gateway_attempt WHERE 1 = 1`
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
	if f.State != "" {
		add("state =", f.State)
	}
	if f.Gateway != "" {
		add("gateway =", f.Gateway)
	}
	if f.Purpose != "" {
		add("purpose =", f.Purpose)
	}
	if !f.CreatedBefore.IsZero() {
		add("created_at_ms <", Ms(f.CreatedBefore))
	}
	if !f.SettledFrom.IsZero() {
		add("settled_at_ms >=", Ms(f.SettledFrom))
	}
	if !f.SettledUntil.IsZero() {
		add("settled_at_ms <", Ms(f.SettledUntil))
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	order := " ORDER BY id DESC"
	if f.Oldest {
		order = " ORDER BY created_at_ms, id"
	}
	args = append(args, f.Limit)
	rows, err := q.Query(ctx, query+order+" LIMIT $"+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AttemptRow
	for rows.Next() {
		r, err := scanAttempt(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RefundableTopUp is a succeeded gateway top-up with money left to send
// back: its amount less what was refunded and what refunds still on their
// way (requested or processing) hold.
type RefundableTopUp struct {
	AttemptRow
	FreeFen int64
}

// RefundableTopUps returns the account's succeeded top-ups with money left
// to refund, in the order money goes back (the oldest first), until their
// free amounts cover need (need <= 0: all of them). Top-ups fully refunded
// or spoken for are skipped by the query, however many the account has, so
// that a customer who topped up a thousand times is routed like one who
// topped up once; the rows come in the order of the index on the account's
// top-ups, and reading stops once need is covered.
func RefundableTopUps(ctx context.Context, q Querier, accountID string, need int64) ([]RefundableTopUp, error) {
	rows, err := q.Query(ctx, `SELECT `+attemptCols+`, free_fen FROM (SELECT `+attemptCols+`, amount_fen - refunded_fen
 - (SELECT COALESCE(SUM(r.amount_fen), 0) FROM gateway_refund r WHERE r.attempt_id = gateway_attempt.id AND r.state IN ('requested', 'processing')) AS free_fen
 FROM gateway_attempt WHERE account_id = $1 AND purpose = 'topup' AND state = 'succeeded') t
 WHERE free_fen > 0 ORDER BY created_at_ms, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RefundableTopUp
	var got int64
	for (need <= 0 || got < need) && rows.Next() {
		var r RefundableTopUp
		a, err := scanAttempt(rows, &r.FreeFen)
		if err != nil {
			return nil, err
		}
		r.AttemptRow = a
		out = append(out, r)
		got += r.FreeFen
	}
	return out, rows.Err()
}

// GatewayEventClaim records that the gateway's event (trade number and
// kind) is being processed in tx: first=false when it was processed
// before, by this or another instance (the caller then does nothing).
func (tx *Tx) GatewayEventClaim(ctx context.Context, gateway, tradeNo, kind, attemptID string) (first bool, err error) {
	n, err := tx.Exec(ctx, `INSERT INTO gateway_event (gateway, trade_no, kind, attempt_id, received_at_ms) VALUES ($1, $2, $3, $4, $5)
 ON CONFLICT (gateway, trade_no, kind) DO NOTHING`, gateway, tradeNo, kind, attemptID, Ms(tx.Now))
	return n == 1, err
}

// FlagRow is a finance flag on a payment.
type FlagRow struct {
	ID, Gateway, Ref, AttemptID, Kind, Detail string
	AmountFen                                 int64
	CreatedAt, ResolvedAt                     time.Time
	ResolvedBy, Note                          string
}

// FlagInsert raises a finance flag.
func (tx *Tx) FlagInsert(ctx context.Context, f FlagRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO payment_flag (id, gateway, ref, attempt_id, kind, detail, amount_fen, created_at_ms, resolved_at_ms,
 resolved_by, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, '', '')`, f.ID, f.Gateway, f.Ref, f.AttemptID, f.Kind, f.Detail, f.AmountFen,
		Ms(f.CreatedAt))
	return err
}

// FlagResolve closes an open flag with a note: ok=false when it was not
// open.
func (tx *Tx) FlagResolve(ctx context.Context, id, by, note string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE payment_flag SET resolved_at_ms = $2, resolved_by = $3, note = $4 WHERE id = $1 AND resolved_at_ms IS NULL`,
		id, Ms(tx.Now), by, note)
	return n == 1, err
}

// Flags lists flags newest first (open only when openOnly).
func Flags(ctx context.Context, q Querier, openOnly bool, limit int) ([]FlagRow, error) {
	query := `SELECT id, gateway, ref, attempt_id, kind, detail, amount_fen, created_at_ms, resolved_at_ms, resolved_by, note FROM payment_flag`
	if openOnly {
		query += ` WHERE resolved_at_ms IS NULL`
	}
	if limit <= 0 {
		limit = 100
	}
	rows, err := q.Query(ctx, query+` ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FlagRow
	for rows.Next() {
		var f FlagRow
		var created int64
		var resolved sql.NullInt64
		if err := rows.Scan(&f.ID, &f.Gateway, &f.Ref, &f.AttemptID, &f.Kind, &f.Detail, &f.AmountFen, &created, &resolved, &f.ResolvedBy, &f.Note); err != nil {
			return nil, err
		}
		f.CreatedAt, f.ResolvedAt = FromMs(created), FromNullMs(resolved)
		out = append(out, f)
	}
	return out, rows.Err()
}

// GatewayRefundRow is one refund through a gateway.
type GatewayRefundRow struct {
	ID, RefundRef, AttemptID, Gateway string
	AmountFen                         int64
	Purpose, LinkID, State            string
	Tries                             int
	NextTryAt                         time.Time
	LastError, GatewayRefundNo        string
	CreatedAt, SettledAt              time.Time
}

const gwRefundCols = `id, refund_ref, attempt_id, gateway, amount_fen, purpose, link_id, state, tries, next_try_at_ms, last_error, gateway_refund_no,
 created_at_ms, settled_at_ms`

func scanGWRefund(s scanner) (GatewayRefundRow, error) {
	var r GatewayRefundRow
	var next, created int64
	var settled sql.NullInt64
	if err := s.Scan(&r.ID, &r.RefundRef, &r.AttemptID, &r.Gateway, &r.AmountFen, &r.Purpose, &r.LinkID, &r.State, &r.Tries, &next, &r.LastError,
		&r.GatewayRefundNo, &created, &settled); err != nil {
		return r, err
	}
	r.NextTryAt, r.CreatedAt, r.SettledAt = FromMs(next), FromMs(created), FromNullMs(settled)
	return r, nil
}

// GatewayRefundInsert stores a refund to send.
func (tx *Tx) GatewayRefundInsert(ctx context.Context, r GatewayRefundRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO gateway_refund (`+gwRefundCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.ID, r.RefundRef, r.AttemptID, r.Gateway, r.AmountFen, r.Purpose, r.LinkID, r.State, r.Tries, Ms(r.NextTryAt), r.LastError,
		r.GatewayRefundNo, Ms(r.CreatedAt), NullMs(r.SettledAt))
	return err
}

// GatewayRefundUpdate writes r's progress if it is still in fromState and
// at tries fromTries: ok=false otherwise.
func (tx *Tx) GatewayRefundUpdate(ctx context.Context, r GatewayRefundRow, fromState string, fromTries int) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE gateway_refund SET state = $2, tries = $3, next_try_at_ms = $4, last_error = $5, gateway_refund_no = $6,
 settled_at_ms = $7 WHERE id = $1 AND state = $8 AND tries = $9`, r.ID, r.State, r.Tries, Ms(r.NextTryAt), r.LastError, r.GatewayRefundNo,
		NullMs(r.SettledAt), fromState, fromTries)
	return n == 1, err
}

// GatewayRefundHold puts the gateway refund id off until next with the
// hold mark as its last_error, if it is still exactly as the caller read
// it: in state fromState, after fromTries tries, with last_error
// fromError (ok=false otherwise: sent, or released meanwhile — a release
// clears the mark, and the condition sits in the UPDATE itself, ADR 17).
func (tx *Tx) GatewayRefundHold(ctx context.Context, id, fromState string, fromTries int, fromError string, next time.Time, mark string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE gateway_refund SET next_try_at_ms = $2, last_error = $3 WHERE id = $1 AND state = $4 AND tries = $5
 AND last_error = $6`, id, Ms(next), mark, fromState, fromTries, fromError)
	return n == 1, err
}

// GatewayRefundByRef reads a refund by its reference.
func GatewayRefundByRef(ctx context.Context, q Querier, ref string) (GatewayRefundRow, error) {
	r, err := scanGWRefund(q.QueryRow(ctx, `SELECT `+gwRefundCols+` FROM gateway_refund WHERE refund_ref = $1`, ref))
	if err != nil {
		return r, errorf("store.GatewayRefundByRef", err)
	}
	return r, nil
}

// GatewayRefunds lists refunds: due ones (state requested or processing,
// next try at or before due; zero: every one), oldest first.
func GatewayRefunds(ctx context.Context, q Querier, due time.Time, limit int) ([]GatewayRefundRow, error) {
	query, args := `SELECT `+gwRefundCols+` FROM gateway_refund`, []any{}
	if !due.IsZero() {
		query += ` WHERE state IN ('requested', 'processing') AND next_try_at_ms <= $1`
		args = append(args, Ms(due))
	}
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	return collect(ctx, q, query+` ORDER BY created_at_ms, id LIMIT $`+itoa(len(args)), args, scanGWRefund)
}

// HeldRefundFilter selects the gateway refunds a hold keeps back: still
// requested, last_error one of Marks; of one link when Purpose and LinkID
// are set.
type HeldRefundFilter struct {
	Marks           []string
	Purpose, LinkID string
}

// HeldGatewayRefunds lists the refunds f selects, oldest first (none when
// f names no mark).
func HeldGatewayRefunds(ctx context.Context, q Querier, f HeldRefundFilter) ([]GatewayRefundRow, error) {
	if len(f.Marks) == 0 {
		return nil, nil
	}
	query := `SELECT ` + gwRefundCols + ` FROM gateway_refund WHERE state = 'requested' AND last_error IN (` + inList(0, len(f.Marks)) + `)`
	args := make([]any, 0, len(f.Marks)+2)
	for _, m := range f.Marks {
		args = append(args, m)
	}
	if f.Purpose != "" || f.LinkID != "" {
		args = append(args, f.Purpose, f.LinkID)
		query += ` AND purpose = $` + itoa(len(args)-1) + ` AND link_id = $` + itoa(len(args))
	}
	return collect(ctx, q, query+` ORDER BY created_at_ms, id`, args, scanGWRefund)
}

// ReconDiffRow is one difference between our records and a gateway's bill.
type ReconDiffRow struct {
	ID, Day, Gateway, Kind, Ref, Entry string
	OursFen, TheirsFen                 int64
	CreatedAt                          time.Time
}

// ReconRecord stores a reconciliation run's differences (replacing an
// earlier run of the same day and gateway).
func (tx *Tx) ReconRecord(ctx context.Context, day, gateway string, entries int, diffs []ReconDiffRow) error {
	if _, err := tx.Exec(ctx, `DELETE FROM recon_diff WHERE day = $1 AND gateway = $2`, day, gateway); err != nil {
		return err
	}
	for _, d := range diffs {
		if _, err := tx.Exec(ctx, `INSERT INTO recon_diff (id, day, gateway, kind, ref, entry, ours_fen, theirs_fen, created_at_ms)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, d.ID, day, gateway, d.Kind, d.Ref, d.Entry, d.OursFen, d.TheirsFen, Ms(tx.Now)); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO recon_run (day, gateway, entries, differences, ran_at_ms) VALUES ($1, $2, $3, $4, $5)
 ON CONFLICT (day, gateway) DO UPDATE SET entries = excluded.entries, differences = excluded.differences, ran_at_ms = excluded.ran_at_ms`,
		day, gateway, entries, len(diffs), Ms(tx.Now))
	return err
}

// ReconRan reports whether the day's bill of gateway was reconciled.
func ReconRan(ctx context.Context, q Querier, day, gateway string) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM recon_run WHERE day = $1 AND gateway = $2`, day, gateway).Scan(&n)
	return n > 0, err
}

// ReconDiffs lists differences, newest day first.
func ReconDiffs(ctx context.Context, q Querier, limit int) ([]ReconDiffRow, error) {
	if limit <= 0 {
		limit = 200
	}
	rows, err := q.Query(ctx, `SELECT id, day, gateway, kind, ref, entry, ours_fen, theirs_fen, created_at_ms FROM recon_diff ORDER BY day DESC, id LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReconDiffRow
	for rows.Next() {
		var d ReconDiffRow
		var at int64
		if err := rows.Scan(&d.ID, &d.Day, &d.Gateway, &d.Kind, &d.Ref, &d.Entry, &d.OursFen, &d.TheirsFen, &at); err != nil {
			return nil, err
		}
		d.CreatedAt = FromMs(at)
		out = append(out, d)
	}
	return out, rows.Err()
}
