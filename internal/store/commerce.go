package store

import (
	"context"
	"database/sql"
	"time"
)

// CouponRow is one coupon. Uses counts the uses in force.
type CouponRow struct {
	Code, Kind                  string
	PercentBP, AmountFen        int64
	ProductIDs                  []string
	FirstPurchaseOnly, Active   bool
	MaxUses, MaxUsesPerCustomer int64
	ValidFrom, ValidUntil       time.Time // zero: NULL
	Uses                        int64
	CreatedBy                   string
	CreatedAt                   time.Time
}

const couponCols = `code, kind, percent_bp, amount_fen, product_ids, first_purchase_only, max_uses, max_uses_per_customer,
 valid_from_ms, valid_until_ms, uses, active, created_by, created_at_ms`

func scanCoupon(s scanner) (CouponRow, error) {
	var c CouponRow
	var pids string
	var first, active, created int64
	var from, until sql.NullInt64
	if err := s.Scan(&c.Code, &c.Kind, &c.PercentBP, &c.AmountFen, &pids, &first, &c.MaxUses, &c.MaxUsesPerCustomer, &from, &until,
		&c.Uses, &active, &c.CreatedBy, &created); err != nil {
		return c, err
	}
	c.ProductIDs, c.FirstPurchaseOnly, c.Active = splitIDs(pids), first == 1, active == 1
	c.ValidFrom, c.ValidUntil, c.CreatedAt = FromNullMs(from), FromNullMs(until), FromMs(created)
	return c, nil
}

// CouponPut inserts a coupon or replaces its definition (never its uses).
func (tx *Tx) CouponPut(ctx context.Context, c CouponRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO coupon (`+couponCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0, $11, $12, $13)
 ON CONFLICT (code) DO UPDATE SET kind = excluded.kind, percent_bp = excluded.percent_bp, amount_fen = excluded.amount_fen,
 product_ids = excluded.product_ids, first_purchase_only = excluded.first_purchase_only, max_uses = excluded.max_uses,
 max_uses_per_customer = excluded.max_uses_per_customer, valid_from_ms = excluded.valid_from_ms, valid_until_ms = excluded.valid_until_ms,
 active = excluded.active`,
		c.Code, c.Kind, c.PercentBP, c.AmountFen, joinIDs(c.ProductIDs), b2i(c.FirstPurchaseOnly), c.MaxUses, c.MaxUsesPerCustomer,
		NullMs(c.ValidFrom), NullMs(c.ValidUntil), b2i(c.Active), c.CreatedBy, Ms(c.CreatedAt))
	return err
}

// CouponGet reads a coupon by code (errs.ErrNotFound when missing).
func CouponGet(ctx context.Context, q Querier, code string) (CouponRow, error) {
	c, err := scanCoupon(q.QueryRow(ctx, `SELECT `+couponCols+` FROM coupon WHERE code = $1`, code))
	if err != nil {
		return c, errorf("store.CouponGet", err)
	}
	return c, nil
}

// Coupons lists every coupon by code.
func Coupons(ctx context.Context, q Querier) ([]CouponRow, error) {
	rows, err := q.Query(ctx, `SELECT `+couponCols+` FROM coupon ORDER BY code`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CouponRow
	for rows.Next() {
		c, err := scanCoupon(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CouponCustomerUses returns the uses in force of code by accountID.
func CouponCustomerUses(ctx context.Context, q Querier, code, accountID string) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT uses FROM coupon_customer WHERE code = $1 AND account_id = $2`, code, accountID).Scan(&n)
	if IsNotFound(err) {
		return 0, nil
	}
	return n, err
}

// CouponTake counts one use of code by accountID for orderID with
// conditional updates, so that concurrent checkouts never exceed a limit
// (0 = unlimited): scope "" on success, "total" or "customer" for the
// limit that was reached, in which case nothing was counted.
func (tx *Tx) CouponTake(ctx context.Context, code, accountID, orderID string, maxTotal, maxPerCustomer, discountFen int64) (string, error) {
	n, err := tx.Exec(ctx, `UPDATE coupon SET uses = uses + 1 WHERE code = $1 AND ($2 = 0 OR uses < $2)`, code, maxTotal)
	if err != nil {
		return "", err
	}
	if n != 1 {
		return "total", nil
	}
	n, err = tx.Exec(ctx, `INSERT INTO coupon_customer (code, account_id, uses) VALUES ($1, $2, 1)
 ON CONFLICT (code, account_id) DO UPDATE SET uses = coupon_customer.uses + 1 WHERE $3 = 0 OR coupon_customer.uses < $3`,
		code, accountID, maxPerCustomer)
	if err != nil {
		return "", err
	}
	if n != 1 {
		// Give the total back, so that a refusal changes nothing even if
		// the caller commits.
		_, err = tx.Exec(ctx, `UPDATE coupon SET uses = uses - 1 WHERE code = $1`, code)
		return "customer", err
	}
	_, err = tx.Exec(ctx, `INSERT INTO coupon_use (order_id, code, account_id, discount_fen, used_at_ms, restored_at_ms)
 VALUES ($1, $2, $3, $4, $5, NULL)`, orderID, code, accountID, discountFen, Ms(tx.Now))
	return "", err
}

// CouponRestore gives back the use orderID took, once: restored=false when
// the order took none or it was given back already.
func (tx *Tx) CouponRestore(ctx context.Context, orderID string) (bool, error) {
	var code, accountID string
	err := tx.QueryRow(ctx, `SELECT code, account_id FROM coupon_use WHERE order_id = $1 AND restored_at_ms IS NULL`, orderID).Scan(&code, &accountID)
	if IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	n, err := tx.Exec(ctx, `UPDATE coupon_use SET restored_at_ms = $2 WHERE order_id = $1 AND restored_at_ms IS NULL`, orderID, Ms(tx.Now))
	if err != nil || n != 1 {
		return false, err
	}
	if _, err := tx.Exec(ctx, `UPDATE coupon SET uses = uses - 1 WHERE code = $1 AND uses > 0`, code); err != nil {
		return false, err
	}
	_, err = tx.Exec(ctx, `UPDATE coupon_customer SET uses = uses - 1 WHERE code = $1 AND account_id = $2 AND uses > 0`, code, accountID)
	return err == nil, err
}

// IdemRow is a stored Idempotency-Key record (order.IdemRecord).
type IdemRow struct {
	AccountID, Key, Operation, BodyHash, State string
	Status                                     int
	Response                                   string
	CreatedAt, LockedUntil                     time.Time
}

// IdemGet reads the record of (accountID, key) (errs.ErrNotFound if none).
func IdemGet(ctx context.Context, q Querier, accountID, key string) (IdemRow, error) {
	var r IdemRow
	var created, locked int64
	err := q.QueryRow(ctx, `SELECT account_id, idem_key, operation, body_hash, state, status, response, created_at_ms, locked_until_ms
 FROM idempotency_key WHERE account_id = $1 AND idem_key = $2`, accountID, key).Scan(&r.AccountID, &r.Key, &r.Operation, &r.BodyHash,
		&r.State, &r.Status, &r.Response, &created, &locked)
	r.CreatedAt, r.LockedUntil = FromMs(created), FromMs(locked)
	return r, err
}

// IdemClaim stores r as the in-flight record of its key (r.Response
// holds the claim's random token until the response replaces it), replacing a
// stored record only if it is still the one the caller read (prevCreated,
// zero when there was none): ok=false when another request claimed it
// first.
func (tx *Tx) IdemClaim(ctx context.Context, r IdemRow, prevCreated time.Time) (bool, error) {
	if prevCreated.IsZero() {
		_, err := tx.Exec(ctx, `INSERT INTO idempotency_key (account_id, idem_key, operation, body_hash, state, status, response,
 created_at_ms, locked_until_ms) VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8) ON CONFLICT (account_id, idem_key) DO NOTHING`,
			r.AccountID, r.Key, r.Operation, r.BodyHash, r.State, r.Response, Ms(r.CreatedAt), Ms(r.LockedUntil))
		if err != nil {
			return false, err
		}
		var got int64
		err = tx.QueryRow(ctx, `SELECT created_at_ms FROM idempotency_key WHERE account_id = $1 AND idem_key = $2 AND state <> 'done'
 AND response = $3`, r.AccountID, r.Key, r.Response).Scan(&got)
		if IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	}
	n, err := tx.Exec(ctx, `UPDATE idempotency_key SET operation = $3, body_hash = $4, state = $5, status = 0, response = $6,
 created_at_ms = $7, locked_until_ms = $8 WHERE account_id = $1 AND idem_key = $2 AND created_at_ms = $9`,
		r.AccountID, r.Key, r.Operation, r.BodyHash, r.State, r.Response, Ms(r.CreatedAt), Ms(r.LockedUntil), Ms(prevCreated))
	return n == 1, err
}

// IdemComplete stores the response of a claimed key (state done).
func (tx *Tx) IdemComplete(ctx context.Context, accountID, key string, status int, response string) error {
	_, err := tx.Exec(ctx, `UPDATE idempotency_key SET state = 'done', status = $3, response = $4 WHERE account_id = $1 AND idem_key = $2`,
		accountID, key, status, response)
	return err
}

// IdemRelease forgets an in-flight claim whose request failed without
// effect, so that the client may retry with the same key.
func (tx *Tx) IdemRelease(ctx context.Context, accountID, key string) error {
	_, err := tx.Exec(ctx, `DELETE FROM idempotency_key WHERE account_id = $1 AND idem_key = $2 AND state <> 'done'`, accountID, key)
	return err
}

// IdemPrune deletes records created before cutoff.
func (tx *Tx) IdemPrune(ctx context.Context, cutoff time.Time) (int64, error) {
	return tx.Exec(ctx, `DELETE FROM idempotency_key WHERE created_at_ms < $1`, Ms(cutoff))
}

// WithdrawalRow is one withdrawal or closure pay-back.
type WithdrawalRow struct {
	ID, AccountID, Kind, Source     string
	AmountFen                       int64
	State, Route                    string
	DestinationEnc, DestinationMask string
	Note                            string
	RequestedAt                     time.Time
	FirstApprover                   string
	FirstApprovedAt                 time.Time
	SecondApprover                  string
	SecondApprovedAt                time.Time
	DecidedBy, RejectReason, PaidBy string
	PaidAt                          time.Time
	TransferRef                     string
	UpdatedAt                       time.Time
}

const withdrawalCols = `id, account_id, kind, source, amount_fen, state, route, destination_enc, destination_masked, note, requested_at_ms,
 first_approver, first_approved_at_ms, second_approver, second_approved_at_ms, decided_by, reject_reason, paid_by, paid_at_ms, transfer_ref,
 updated_at_ms`

func scanWithdrawal(s scanner) (WithdrawalRow, error) {
	var w WithdrawalRow
	var req, upd int64
	var first, second, paid sql.NullInt64
	if err := s.Scan(&w.ID, &w.AccountID, &w.Kind, &w.Source, &w.AmountFen, &w.State, &w.Route, &w.DestinationEnc, &w.DestinationMask,
		&w.Note, &req, &w.FirstApprover, &first, &w.SecondApprover, &second, &w.DecidedBy, &w.RejectReason, &w.PaidBy, &paid,
		&w.TransferRef, &upd); err != nil {
		return w, err
	}
	w.RequestedAt, w.UpdatedAt = FromMs(req), FromMs(upd)
	w.FirstApprovedAt, w.SecondApprovedAt, w.PaidAt = FromNullMs(first), FromNullMs(second), FromNullMs(paid)
	return w, nil
}

// WithdrawalInsert stores a new withdrawal.
func (tx *Tx) WithdrawalInsert(ctx context.Context, w WithdrawalRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO withdrawal (`+withdrawalCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
 $14, $15, $16, $17, $18, $19, $20, $21)`, w.ID, w.AccountID, w.Kind, w.Source, w.AmountFen, w.State, w.Route, w.DestinationEnc,
		w.DestinationMask, w.Note, Ms(w.RequestedAt), w.FirstApprover, NullMs(w.FirstApprovedAt), w.SecondApprover,
		NullMs(w.SecondApprovedAt), w.DecidedBy, w.RejectReason, w.PaidBy, NullMs(w.PaidAt), w.TransferRef, Ms(w.UpdatedAt))
	return err
}

// WithdrawalUpdate writes w's decision columns if the stored row is still
// in fromState and unchanged since prevUpdated: ok=false otherwise.
func (tx *Tx) WithdrawalUpdate(ctx context.Context, w WithdrawalRow, fromState string, prevUpdated time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE withdrawal SET state = $2, first_approver = $3, first_approved_at_ms = $4, second_approver = $5,
 second_approved_at_ms = $6, decided_by = $7, reject_reason = $8, paid_by = $9, paid_at_ms = $10, transfer_ref = $11, updated_at_ms = $12,
 route = $15 WHERE id = $1 AND state = $13 AND updated_at_ms = $14`, w.ID, w.State, w.FirstApprover, NullMs(w.FirstApprovedAt), w.SecondApprover,
		NullMs(w.SecondApprovedAt), w.DecidedBy, w.RejectReason, w.PaidBy, NullMs(w.PaidAt), w.TransferRef, Ms(w.UpdatedAt), fromState,
		Ms(prevUpdated), w.Route)
	return n == 1, err
}

// WithdrawalGet reads a withdrawal (errs.ErrNotFound when missing).
func WithdrawalGet(ctx context.Context, q Querier, id string) (WithdrawalRow, error) {
	w, err := scanWithdrawal(q.QueryRow(ctx, `SELECT `+withdrawalCols+` FROM withdrawal WHERE id = $1`, id))
	if err != nil {
		return w, errorf("store.WithdrawalGet", err)
	}
	return w, nil
}

// Withdrawals lists withdrawals, newest first: of one account, or in the
// given states (” and nil: all).
func Withdrawals(ctx context.Context, q Querier, accountID string, states []string, limit int) ([]WithdrawalRow, error) {
	query, args := `SELECT `+withdrawalCols+` FROM withdrawal WHERE 1 = 1`, []any{}
	if accountID != "" {
		args = append(args, accountID)
		query += ` AND account_id = $` + itoa(len(args))
	}
	if len(states) > 0 {
		query += ` AND state IN (`
		for i, s := range states {
			args = append(args, s)
			if i > 0 {
				query += `, `
			}
			query += `$` + itoa(len(args))
		}
		query += `)`
	}
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	rows, err := q.Query(ctx, query+` ORDER BY id DESC LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WithdrawalRow
	for rows.Next() {
		w, err := scanWithdrawal(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// InvoiceRow is one fapiao request.
type InvoiceRow struct {
	ID, AccountID, OrderID, Type, Title, TaxID, Email string
	AmountFen                                         int64
	State, Note, InvoiceNo, HandledBy                 string
	CreatedAt, HandledAt                              time.Time
}

const invoiceCols = `id, account_id, order_id, invoice_type, title, tax_id, email, amount_fen, state, note, invoice_no, handled_by,
 created_at_ms, handled_at_ms`

// InvoiceInsert stores a fapiao request; a second open request for the
// same order is errs.ErrDuplicate.
func (tx *Tx) InvoiceInsert(ctx context.Context, r InvoiceRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO invoice_request (`+invoiceCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.ID, r.AccountID, r.OrderID, r.Type, r.Title, r.TaxID, r.Email, r.AmountFen, r.State, r.Note, r.InvoiceNo, r.HandledBy,
		Ms(r.CreatedAt), NullMs(r.HandledAt))
	return err
}

// InvoiceHandle records finance's answer to a requested fapiao: ok=false
// when it was no longer requested.
func (tx *Tx) InvoiceHandle(ctx context.Context, id, state, invoiceNo, note, by string, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE invoice_request SET state = $2, invoice_no = $3, note = $4, handled_by = $5, handled_at_ms = $6
 WHERE id = $1 AND state = 'requested'`, id, state, invoiceNo, note, by, Ms(at))
	return n == 1, err
}

// Invoices lists fapiao requests, newest first: of one account, or in a
// state (” = all).
func Invoices(ctx context.Context, q Querier, accountID, state string, limit int) ([]InvoiceRow, error) {
	if limit <= 0 {
		limit = 100
	}
	// Only the filters that are set, each a plain term an index can serve
	// (invoice_request_account, invoice_request_state).
	query, args := `SELECT `+invoiceCols+` FROM invoice_request WHERE 1 = 1`, []any{}
	if accountID != "" {
		args = append(args, accountID)
		query += ` AND account_id = $` + itoa(len(args))
	}
	if state != "" {
		args = append(args, state)
		query += ` AND state = $` + itoa(len(args))
	}
	args = append(args, limit)
	rows, err := q.Query(ctx, query+` ORDER BY id DESC LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []InvoiceRow
	for rows.Next() {
		var r InvoiceRow
		var created int64
		var handled sql.NullInt64
		if err := rows.Scan(&r.ID, &r.AccountID, &r.OrderID, &r.Type, &r.Title, &r.TaxID, &r.Email, &r.AmountFen, &r.State, &r.Note,
			&r.InvoiceNo, &r.HandledBy, &created, &handled); err != nil {
			return nil, err
		}
		r.CreatedAt, r.HandledAt = FromMs(created), FromNullMs(handled)
		out = append(out, r)
	}
	return out, rows.Err()
}

// CartItemRow is one item of a customer's cart.
type CartItemRow struct {
	ID, AccountID, ProductID, PlanID, Cycle string
	Quantity                                int64
	AttachTo                                string
	CreatedAt                               time.Time
}

// CartAdd stores an item.
func (tx *Tx) CartAdd(ctx context.Context, r CartItemRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO cart_item (id, account_id, product_id, plan_id, cycle, quantity, attach_to, created_at_ms)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.ID, r.AccountID, r.ProductID, r.PlanID, r.Cycle, r.Quantity, r.AttachTo, Ms(r.CreatedAt))
	return err
}

// CartRemove removes an item of accountID's cart (” itemID: all of it).
func (tx *Tx) CartRemove(ctx context.Context, accountID, itemID string) (int64, error) {
	return tx.Exec(ctx, `DELETE FROM cart_item WHERE account_id = $1 AND ($2 = '' OR id = $2)`, accountID, itemID)
}

// Cart lists accountID's cart, oldest first.
func Cart(ctx context.Context, q Querier, accountID string) ([]CartItemRow, error) {
	rows, err := q.Query(ctx, `SELECT id, account_id, product_id, plan_id, cycle, quantity, attach_to, created_at_ms FROM cart_item
 WHERE account_id = $1 ORDER BY id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CartItemRow
	for rows.Next() {
		var r CartItemRow
		var at int64
		if err := rows.Scan(&r.ID, &r.AccountID, &r.ProductID, &r.PlanID, &r.Cycle, &r.Quantity, &r.AttachTo, &at); err != nil {
			return nil, err
		}
		r.CreatedAt = FromMs(at)
		out = append(out, r)
	}
	return out, rows.Err()
}
