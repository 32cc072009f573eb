package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/errs"
)

// OrderRow is one row of the orders table with its lines.
type OrderRow struct {
	ID, AccountID, PlacedBy, ResellerID, Channel, State string
	AgreementVersionID, AgreementSHA256, AcceptanceID   string
	Acknowledged                                        []string
	SubtotalFen, DiscountFen, TotalFen                  int64
	CouponCode                                          string
	PaidFen                                             int64
	CreatedAt, UpdatedAt, ExpiresAt                     time.Time
	PaidAt, DeliverBy, DeliveredAt, ClosedAt            time.Time // zero: NULL
	// Purpose is new, renewal or upgrade; ServiceID the service a renewal
	// or upgrade is for, TargetPlanID an upgrade's new plan.
	Purpose, ServiceID, TargetPlanID string
	// SwappedFrom is the order a refund swap replaced with this one.
	SwappedFrom string
	// ResellerMode is how a reseller's order is paid: "wholesale" (by the
	// reseller, at the wholesale price) or "commission" (by the customer);
	// "" for other orders.
	ResellerMode string
	// ResellerAuthID is the authorisation the reseller sold under.
	ResellerAuthID string
	Lines          []OrderLineRow
}

// OrderLineRow is one frozen line of an order.
type OrderLineRow struct {
	Idx                                            int
	ProductID, PlanID, ProductName, PlanName, Kind string
	Cycle                                          string
	Quantity, UnitPriceFen, TotalFen               int64
	RefundClass, RefundClause                      string
	DeliverySLA                                    time.Duration
	AttachTo                                       string
}

const orderCols = `id, account_id, placed_by, reseller_id, channel, state, agreement_version_id, agreement_sha256, acceptance_id,
 acknowledged, subtotal_fen, discount_fen, total_fen, coupon_code, paid_fen, created_at_ms, updated_at_ms, expires_at_ms,
 paid_at_ms, deliver_by_ms, delivered_at_ms, closed_at_ms, purpose, service_id, target_plan_id, swapped_from, reseller_mode, reseller_auth_id`

const orderLineCols = `order_id, idx, product_id, plan_id, product_name, plan_name, kind, cycle, quantity, unit_price_fen, total_fen,
 refund_class, refund_clause, delivery_sla_ms, attach_to`

func scanOrder(s scanner) (OrderRow, error) {
	var r OrderRow
	var ack string
	var created, updated, expires int64
	var paid, deliverBy, delivered, closed sql.NullInt64
	if err := s.Scan(&r.ID, &r.AccountID, &r.PlacedBy, &r.ResellerID, &r.Channel, &r.State, &r.AgreementVersionID, &r.AgreementSHA256,
		&r.AcceptanceID, &ack, &r.SubtotalFen, &r.DiscountFen, &r.TotalFen, &r.CouponCode, &r.PaidFen, &created, &updated, &expires,
		&paid, &deliverBy, &delivered, &closed, &r.Purpose, &r.ServiceID, &r.TargetPlanID, &r.SwappedFrom, &r.ResellerMode, &r.ResellerAuthID); err != nil {
		return r, err
	}
	r.Acknowledged = splitIDs(ack)
	r.CreatedAt, r.UpdatedAt, r.ExpiresAt = FromMs(created), FromMs(updated), FromMs(expires)
	r.PaidAt, r.DeliverBy, r.DeliveredAt, r.ClosedAt = FromNullMs(paid), FromNullMs(deliverBy), FromNullMs(delivered), FromNullMs(closed)
	return r, nil
}

// OrderInsert stores a new order and its lines; the transaction then
// remembers it as OrderGet would read it back, and its payments as it
// writes them (fresh.go).
func (tx *Tx) OrderInsert(ctx context.Context, r OrderRow) error {
	// Queued under the order's key: an update of the order before the
	// insert is sent amends it instead (OrderUpdate).
	if err := tx.writeKeyed(ctx, "orders:"+r.ID, `INSERT INTO orders (`+orderCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
 $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)`, orderInsertArgs(r)...); err != nil {
		return err
	}
	for _, l := range r.Lines {
		if err := tx.Write(ctx, `INSERT INTO order_line (`+orderLineCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
 $12, $13, $14, $15)`, r.ID, l.Idx, l.ProductID, l.PlanID, l.ProductName, l.PlanName, l.Kind, l.Cycle, l.Quantity, l.UnitPriceFen,
			l.TotalFen, l.RefundClass, l.RefundClause, l.DeliverySLA.Milliseconds(), l.AttachTo); err != nil {
			return err
		}
	}
	if tx.orders == nil {
		tx.orders = map[string]OrderRow{}
	}
	tx.orders[r.ID] = orderAsStored(r)
	tx.rememberFreshOrder(r.ID)
	return nil
}

// orderInsertArgs are OrderInsert's arguments for r.
func orderInsertArgs(r OrderRow) []any {
	return []any{r.ID, r.AccountID, r.PlacedBy, r.ResellerID, r.Channel, r.State, r.AgreementVersionID,
		r.AgreementSHA256, r.AcceptanceID, joinIDs(r.Acknowledged), r.SubtotalFen, r.DiscountFen, r.TotalFen, r.CouponCode, r.PaidFen,
		Ms(r.CreatedAt), Ms(r.UpdatedAt), Ms(r.ExpiresAt), NullMs(r.PaidAt), NullMs(r.DeliverBy), NullMs(r.DeliveredAt),
		NullMs(r.ClosedAt), purposeOr(r.Purpose), r.ServiceID, r.TargetPlanID, r.SwappedFrom, r.ResellerMode, r.ResellerAuthID}
}

// orderAsStored is the row OrderGet reads back after OrderInsert wrote r:
// instants in milliseconds, UTC; the acknowledged clauses and the purpose
// as stored; lines in index order, SLAs in milliseconds.
func orderAsStored(r OrderRow) OrderRow {
	r.Acknowledged = splitIDs(joinIDs(r.Acknowledged))
	r.CreatedAt, r.UpdatedAt, r.ExpiresAt = FromMs(Ms(r.CreatedAt)), FromMs(Ms(r.UpdatedAt)), FromMs(Ms(r.ExpiresAt))
	r.PaidAt, r.DeliverBy = FromNullMs(NullMs(r.PaidAt)), FromNullMs(NullMs(r.DeliverBy))
	r.DeliveredAt, r.ClosedAt = FromNullMs(NullMs(r.DeliveredAt)), FromNullMs(NullMs(r.ClosedAt))
	r.Purpose = purposeOr(r.Purpose)
	var lines []OrderLineRow
	for _, l := range r.Lines {
		l.DeliverySLA = l.DeliverySLA.Truncate(time.Millisecond)
		lines = append(lines, l)
	}
	slices.SortStableFunc(lines, func(a, b OrderLineRow) int { return a.Idx - b.Idx })
	r.Lines = lines
	return r
}

func purposeOr(p string) string {
	if p == "" {
		return "new"
	}
	return p
}

// OrderUpdate writes the mutable columns of r (state, coupon, amounts paid
// and the lifecycle instants) if the stored order is still in state
// fromState: ok=false means another transaction moved it first.
func (tx *Tx) OrderUpdate(ctx context.Context, r OrderRow, fromState string) (bool, error) {
	const q = `UPDATE orders SET state = $2, paid_fen = $3, updated_at_ms = $4, paid_at_ms = $5, deliver_by_ms = $6,
 delivered_at_ms = $7, closed_at_ms = $8 WHERE id = $1 AND state = $9`
	args := []any{r.ID, r.State, r.PaidFen, Ms(r.UpdatedAt), NullMs(r.PaidAt), NullMs(r.DeliverBy), NullMs(r.DeliveredAt), NullMs(r.ClosedAt), fromState}
	var n int64
	var err error
	m, known := tx.orders[r.ID]
	// The memo as a read would return it after the update (milliseconds, UTC).
	next := m
	next.State, next.PaidFen, next.UpdatedAt = r.State, r.PaidFen, FromMs(Ms(r.UpdatedAt))
	next.PaidAt, next.DeliverBy = FromNullMs(NullMs(r.PaidAt)), FromNullMs(NullMs(r.DeliverBy))
	next.DeliveredAt, next.ClosedAt = FromNullMs(NullMs(r.DeliveredAt)), FromNullMs(NullMs(r.ClosedAt))
	// Inserted here and in fromState as remembered: nobody else can have
	// moved it, so the update matches.
	matches := known && tx.freshOrder(r.ID) && m.State == fromState
	if matches && tx.amend("orders:"+r.ID, orderInsertArgs(next)) {
		// Its insert not sent yet: the insert writes the row as updated
		// (one statement where there were two).
		n = 1
	} else {
		n, err = tx.execKnown(ctx, matches, q, args...)
	}
	if known {
		if err != nil || n != 1 {
			delete(tx.orders, r.ID) // moved by someone else, or the statement failed: read it again
		} else {
			tx.orders[r.ID] = next
		}
	}
	return n == 1, err
}

// OrderGet reads an order and its lines (errs.ErrNotFound when missing).
// Read through a transaction it is read once: later reads in the same
// transaction answer the row as read and as OrderUpdate wrote it since.
func OrderGet(ctx context.Context, q Querier, id string) (OrderRow, error) {
	tx, _ := q.(*Tx)
	if m, ok := tx.orderMemo(id); ok {
		return m, nil
	}
	r, err := orderWithLines(ctx, q, id)
	if err != nil {
		return r, errorf("store.OrderGet", err)
	}
	if tx != nil {
		if tx.orders == nil {
			tx.orders = map[string]OrderRow{}
		}
		tx.orders[id] = cloneOrder(r)
	}
	return r, nil
}

// orderLineColsJoined are orderLineCols of the order_line l of a LEFT
// JOIN, a row of zero values where the order has no line (an empty
// order_id).
const orderLineColsJoined = `COALESCE(l.order_id, ''), COALESCE(l.idx, 0), COALESCE(l.product_id, ''), COALESCE(l.plan_id, ''),
 COALESCE(l.product_name, ''), COALESCE(l.plan_name, ''), COALESCE(l.kind, ''), COALESCE(l.cycle, ''), COALESCE(l.quantity, 0),
 COALESCE(l.unit_price_fen, 0), COALESCE(l.total_fen, 0), COALESCE(l.refund_class, ''), COALESCE(l.refund_clause, ''),
 COALESCE(l.delivery_sla_ms, 0), COALESCE(l.attach_to, '')`

// orderWithLines reads an order and its lines in idx order in one
// statement (issue 19: the order and its lines were two round trips on
// every read of an order): one row per line, the order's columns
// repeated (errs.ErrNotFound when there is no such order).
func orderWithLines(ctx context.Context, q Querier, id string) (OrderRow, error) {
	var out OrderRow
	found := false
	r := orderWithLinesRead(id, &out, &found)
	rows, err := q.Query(ctx, r.SQL, r.Args...)
	if err != nil {
		return OrderRow{}, err
	}
	defer rows.Close()
	if err := r.Scan(rows); err != nil {
		return OrderRow{}, err
	}
	if err := rows.Err(); err != nil {
		return OrderRow{}, err
	}
	if !found {
		return OrderRow{}, errs.ErrNotFound
	}
	return out, nil
}

// orderWithLinesRead is orderWithLines' statement as a Read that fills
// out, and sets found when the order exists.
func orderWithLinesRead(id string, out *OrderRow, found *bool) Read {
	return Read{SQL: `SELECT ` + qualified(orderCols, "o") + `, ` + orderLineColsJoined + `
 FROM orders o LEFT JOIN order_line l ON l.order_id = o.id WHERE o.id = $1 ORDER BY l.idx`, Args: []any{id},
		Scan: func(rows RowScanner) error {
			for rows.Next() {
				var lineOrder string
				var line OrderLineRow
				// scanOrder's Scan runs scanOrderLine, whose Scan reads the row.
				r, err := scanOrder(scanFunc(func(orderDest ...any) error {
					var err error
					lineOrder, line, err = scanOrderLine(scanFunc(func(lineDest ...any) error {
						return rows.Scan(append(orderDest, lineDest...)...)
					}))
					return err
				}))
				if err != nil {
					return err
				}
				if !*found {
					*out, *found = r, true
				}
				if lineOrder != "" {
					out.Lines = append(out.Lines, line)
				}
			}
			return nil
		}}
}

// orderMemo is the order as tx last read or updated it, a copy the caller
// may change.
func (tx *Tx) orderMemo(id string) (OrderRow, bool) {
	if tx == nil {
		return OrderRow{}, false
	}
	m, ok := tx.orders[id]
	if !ok {
		return OrderRow{}, false
	}
	return cloneOrder(m), true
}

func cloneOrder(r OrderRow) OrderRow {
	r.Acknowledged, r.Lines = slices.Clone(r.Acknowledged), slices.Clone(r.Lines)
	return r
}

// OrderFilter selects orders, newest first.
type OrderFilter struct {
	AccountID string   // '' = every account (staff)
	States    []string // empty = every state
	Reseller  string   // only orders placed by this reseller
	Before    string   // an order id: only older ones (paging)
	Limit     int      // ≤ 0: 50
	WithLines bool
}

// Orders lists orders matching f, newest first.
func Orders(ctx context.Context, q Querier, f OrderFilter) ([]OrderRow, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.AccountID != "" {
		add("account_id = ?", f.AccountID)
	}
	if f.Reseller != "" {
		// orders_reseller holds only orders placed through a reseller, and
		// says so in its predicate, spelled here for a generic plan.
		add("reseller_id = ? AND reseller_id <> ''", f.Reseller)
	}
	if f.Before != "" {
		add("id < ?", f.Before)
	}
	if len(f.States) > 0 {
		var ph []string
		for _, s := range f.States {
			args = append(args, s)
			ph = append(ph, "$"+itoa(len(args)))
		}
		where = append(where, "state IN ("+strings.Join(ph, ", ")+")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	query := `SELECT ` + orderCols + ` FROM orders`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	rows, err := q.Query(ctx, query+` ORDER BY id DESC LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	var out []OrderRow
	for rows.Next() {
		r, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	err = rows.Err()
	rows.Close()
	if err != nil || !f.WithLines {
		return out, err
	}
	ids := make([]string, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	lines, err := orderLinesOf(ctx, q, ids) // one statement for the page (batch_read.go)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Lines = lines[out[i].ID]
	}
	return out, nil
}

// OrdersExpiring lists ids of unpaid orders whose expiry is at or before
// now, oldest first.
func OrdersExpiring(ctx context.Context, q Querier, now time.Time, limit int) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT id FROM orders WHERE state = 'created' AND expires_at_ms <= $1 ORDER BY expires_at_ms LIMIT $2`,
		Ms(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// OrderPaidCount counts an account's orders that were ever paid (a first
// purchase has none).
func OrderPaidCount(ctx context.Context, q Querier, accountID string) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE account_id = $1 AND paid_at_ms IS NOT NULL`, accountID).Scan(&n)
	return n, err
}

// OrderCountInStates counts an account's orders in the given states.
func OrderCountInStates(ctx context.Context, q Querier, accountID string, states ...string) (int, error) {
	args := []any{accountID}
	var ph []string
	for _, s := range states {
		args = append(args, s)
		ph = append(ph, "$"+itoa(len(args)))
	}
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM orders WHERE account_id = $1 AND state IN (`+strings.Join(ph, ", ")+`)`, args...).Scan(&n)
	return n, err
}

// PaymentRow is one payment of an order.
type PaymentRow struct {
	ID, OrderID, AccountID, Method, State string
	AmountFen, FromRefundCreditFen        int64
	FromCashFen                           int64
	LedgerTxnID                           string
	CreatedAt, SettledAt                  time.Time
}

const paymentCols = `id, order_id, account_id, method, state, amount_fen, from_refund_credit_fen, from_cash_fen, ledger_txn_id,
 created_at_ms, settled_at_ms`

// PaymentInsert stores a payment.
func (tx *Tx) PaymentInsert(ctx context.Context, p PaymentRow) error {
	err := tx.Write(ctx, `INSERT INTO payment (`+paymentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		p.ID, p.OrderID, p.AccountID, p.Method, p.State, p.AmountFen, p.FromRefundCreditFen, p.FromCashFen, p.LedgerTxnID,
		Ms(p.CreatedAt), NullMs(p.SettledAt))
	if err == nil {
		tx.rememberPayment(p)
	}
	return err
}

// PaymentSettle moves a pending payment to state (succeeded, failed,
// cancelled) at at with its ledger transaction: ok=false when it was not
// pending.
func (tx *Tx) PaymentSettle(ctx context.Context, id, state, ledgerTxnID string, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE payment SET state = $2, ledger_txn_id = $3, settled_at_ms = $4 WHERE id = $1 AND state = 'pending'`,
		id, state, ledgerTxnID, Ms(at))
	tx.settlePayment(id, state, ledgerTxnID, at, err == nil && n == 1)
	return n == 1, err
}

// Payments lists an order's payments, oldest first. Through the
// transaction that inserted the order they are the ones it wrote,
// answered from memory (fresh.go).
func Payments(ctx context.Context, q Querier, orderID string) ([]PaymentRow, error) {
	if tx, _ := q.(*Tx); tx != nil {
		if ps, ok := tx.freshPayments(orderID); ok {
			return ps, nil
		}
	}
	rows, err := q.Query(ctx, `SELECT `+paymentCols+` FROM payment WHERE order_id = $1 ORDER BY id`, orderID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PaymentRow
	for rows.Next() {
		var p PaymentRow
		var created int64
		var settled sql.NullInt64
		if err := rows.Scan(&p.ID, &p.OrderID, &p.AccountID, &p.Method, &p.State, &p.AmountFen, &p.FromRefundCreditFen, &p.FromCashFen,
			&p.LedgerTxnID, &created, &settled); err != nil {
			return nil, err
		}
		p.CreatedAt, p.SettledAt = FromMs(created), FromNullMs(settled)
		out = append(out, p)
	}
	return out, rows.Err()
}

// scanOrderLine reads one row of orderLineCols: the order id and the line.
func scanOrderLine(s scanner) (string, OrderLineRow, error) {
	var l OrderLineRow
	var oid string
	var sla int64
	if err := s.Scan(&oid, &l.Idx, &l.ProductID, &l.PlanID, &l.ProductName, &l.PlanName, &l.Kind, &l.Cycle, &l.Quantity,
		&l.UnitPriceFen, &l.TotalFen, &l.RefundClass, &l.RefundClause, &sla, &l.AttachTo); err != nil {
		return "", l, err
	}
	l.DeliverySLA = time.Duration(sla) * time.Millisecond
	return oid, l, nil
}
