package app

import (
	"context"
	"strconv"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/money"
	"yuanxu/internal/notify"
	"yuanxu/internal/order"
	"yuanxu/internal/reseller"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
	"yuanxu/internal/webhook"
)

// Orders a reseller places for its customers, and the money of them
// (issue 11 items 2–3). Wholesale: the reseller pays from its own wallet
// at its discounted price, and a refund goes back to the reseller's
// wallet. Commission: the customer pays the list price; the commission is
// credited to reseller_commission:<reseller> when the customer pays and
// clawed back when the order is refunded. Either way the order is the
// customer's, the customer is notified, and the company stays liable to
// the customer (SEED A22).

// resellerSale is what a reseller's checkout carries into checkout.
type resellerSale struct {
	auth       store.ResellerAuthRow
	acceptance store.AcceptanceRow // the customer's own acceptance of the version in force
}

// price applies the wholesale discount to every line (commission orders
// keep the list price).
func (s *resellerSale) price(o *order.Order) {
	if reseller.Mode(s.auth.Mode) != reseller.Wholesale {
		return
	}
	var sub int64
	for i := range o.Lines {
		l := &o.Lines[i]
		l.UnitPriceFen = int64(reseller.WholesaleUnit(money.Fen(l.UnitPriceFen), s.auth.RateBP))
		l.TotalFen = l.UnitPriceFen * l.Quantity
		sub += l.TotalFen
	}
	o.SubtotalFen, o.TotalFen = sub, sub-o.DiscountFen
}

// CodeCustomerAcceptance: the customer has not accepted the version in
// force themselves.
const CodeCustomerAcceptance = "reseller.customer_acceptance_required"

func errCustomerAcceptance(version string) error {
	return errs.E(errs.Op("app.ResellerCheckout"), errs.Conflict, CodeCustomerAcceptance,
		"the customer must accept the agreement in force themselves (a reseller cannot accept for them)",
		map[string]any{"clause": "1", "version_id": version})
}

// ResellerCheckout places an order for customerID, a customer p onboarded
// (order.create with the client relation; clause 2.1). Every line must be
// in the scope of one authorisation valid now (reseller.not_authorised,
// reseller.out_of_scope); the customer must have approved real-name
// verification and have accepted the version in force themselves: the
// request may not carry an acceptance (reseller.cannot_accept_for_customer).
// Coupons are for customers' own orders. The idempotency rules are
// Checkout's, keyed by the customer.
func (a *App) ResellerCheckout(ctx context.Context, p account.Principal, customerID string, in CheckoutRequest, idem Idem) (view OrderView, replayed bool, err error) {
	const op = "app.ResellerCheckout"
	obj, err := a.customerObject(ctx, "account", customerID)
	if err != nil {
		return OrderView{}, false, err
	}
	if p.Kind != account.KindReseller || customerID == p.AccountID {
		return OrderView{}, false, errs.E(errs.Op(op), errs.Forbidden, "reseller.only", "only an authorised reseller orders for its customers",
			map[string]any{"clause": reseller.Clause})
	}
	if err := a.Authorize(ctx, p, "order.create", obj); err != nil {
		return OrderView{}, false, err
	}
	if len(in.Agreement.Acknowledged) > 0 || len(in.Agreement.Explained) > 0 || in.Agreement.SHA256 != "" {
		return OrderView{}, false, fieldErr(op, "reseller.cannot_accept_for_customer", errs.Invalid, "body.agreement", "customer_only",
			"a reseller cannot accept the agreement for a customer; the customer accepts it themselves", map[string]any{"clause": "1"})
	}
	if in.CouponCode != "" {
		return OrderView{}, false, fieldErr(op, order.CodeOrderInvalid, errs.Invalid, "body.coupon_code", "not_for_resellers",
			"coupons apply to customers' own orders", nil)
	}
	if len(in.Lines) == 0 {
		return OrderView{}, false, fieldErr(op, order.CodeOrderInvalid, errs.Invalid, "body.lines", "required", "add at least one line", nil)
	}
	var auth store.ResellerAuthRow
	for i, l := range in.Lines {
		pv, err := loadProduct(ctx, a.db, l.ProductID)
		if err != nil {
			if errs.CodeOf(err) == "product.not_found" {
				return OrderView{}, false, fieldErr(op, order.CodeOrderInvalid, errs.Invalid, "body.lines["+strconv.Itoa(i)+"].product_id",
					"unknown", "no such product", nil)
			}
			return OrderView{}, false, err
		}
		r, err := a.resellerPermit(ctx, a.db, p.AccountID, pv.Kind, pv.Region)
		if err != nil {
			if e, ok := err.(*errs.Error); ok && e.Code == reseller.CodeOutOfScope {
				e.Fields = []errs.FieldError{{Field: "body.lines[" + strconv.Itoa(i) + "].product_id", Rule: "in_scope"}}
			}
			return OrderView{}, false, err
		}
		if i == 0 {
			auth = r
		} else if !domainAuth(auth).Covers(pv.Kind, pv.Region) {
			return OrderView{}, false, fieldErr(op, reseller.CodeOutOfScope, errs.Forbidden, "body.lines["+strconv.Itoa(i)+"].product_id",
				"same_authorisation", "every line of one order must fall under one authorisation", map[string]any{"clause": reseller.Clause})
		}
	}
	vr, err := store.AgreementVersionInForce(ctx, a.db, a.Now())
	if err != nil {
		if store.IsNotFound(err) {
			return OrderView{}, false, errVersionNotFound()
		}
		return OrderView{}, false, err
	}
	accs, err := store.Acceptances(ctx, a.db, store.AcceptanceFilter{AccountID: customerID, VersionID: vr.ID, Limit: 1})
	if err != nil {
		return OrderView{}, false, err
	}
	if len(accs) == 0 {
		return OrderView{}, false, errCustomerAcceptance(vr.ID)
	}
	sale := &resellerSale{auth: auth, acceptance: accs[0]}
	if idem.Key != "" {
		if err := order.ValidateIdemKey(idem.Key); err != nil {
			return OrderView{}, false, err
		}
		v, done, berr := a.idemBegin(ctx, customerID, idem)
		if berr != nil || done {
			return v, done, berr
		}
		defer func() {
			if err != nil {
				a.idemRelease(customerID, idem.Key)
			}
		}()
	}
	v, err := a.checkout(ctx, p, customerID, in, idem, checkoutOpts{sale: sale})
	return v, false, err
}

// resellerOrderPlaced tells the customer and the reseller (webhook) that
// a reseller placed an order, in the order's transaction.
func (a *App) resellerOrderPlaced(ctx context.Context, tx *store.Tx, o store.OrderRow) error {
	cust, err := store.AccountGet(ctx, tx, o.AccountID)
	if err != nil {
		return err
	}
	rs, err := store.AccountGet(ctx, tx, o.ResellerID)
	if err != nil {
		return err
	}
	payer := "customer"
	if reseller.Mode(o.ResellerMode) == reseller.Wholesale {
		payer = "reseller"
	}
	product := ""
	if len(o.Lines) > 0 {
		product = o.Lines[0].ProductName + " · " + o.Lines[0].PlanName
	}
	rec := notify.Recipient{AccountID: cust.ID}
	if rec.Email, err = a.open("account", "email", cust.ID, cust.EmailEnc); err != nil {
		return err
	}
	if _, err := a.Notify(ctx, tx, notify.Request{Event: notify.EventResellerOrderPlaced, Recipient: rec, Lang: langOf(cust.Lang),
		Subject: notify.Subject{Type: "order", ID: o.ID}, Vars: map[string]string{"reseller": resellerName(rs), "order_id": o.ID,
			"product": product, "amount": "¥" + money.Fen(o.TotalFen).Yuan(), "payer": payer}}); err != nil {
		return err
	}
	return a.emitWebhook(ctx, tx, o.ResellerID, webhook.OrderCreated, o.ID, orderEventData(o))
}

func orderEventData(o store.OrderRow) map[string]any {
	lines := make([]map[string]any, 0, len(o.Lines))
	for _, l := range o.Lines {
		lines = append(lines, map[string]any{"product_id": l.ProductID, "plan_id": l.PlanID, "cycle": l.Cycle, "quantity": l.Quantity,
			"unit_price_fen": l.UnitPriceFen})
	}
	return map[string]any{"order_id": o.ID, "customer_id": o.AccountID, "state": o.State, "total_fen": o.TotalFen, "mode": o.ResellerMode,
		"lines": lines}
}

// resellerPaid runs when a reseller's order is paid (markPaid): the
// commission of a commission-mode order is credited, and the reseller is
// told (order.paid).
func (a *App) resellerPaid(ctx context.Context, tx *store.Tx, o store.OrderRow) error {
	if o.ResellerID == "" {
		return nil
	}
	if reseller.Mode(o.ResellerMode) == reseller.Commission {
		if err := a.accrueCommission(ctx, tx, o); err != nil {
			return err
		}
	}
	o.State = string(order.StatePaid)
	return a.emitWebhook(ctx, tx, o.ResellerID, webhook.OrderPaid, o.ID, orderEventData(o))
}

// accrueCommission credits the commission of a paid order under the
// authorisation that covered it (its rate at payment). One per order.
func (a *App) accrueCommission(ctx context.Context, tx *store.Tx, o store.OrderRow) error {
	r, err := store.ResellerAuthGet(ctx, tx, o.ResellerAuthID)
	if store.IsNotFound(err) {
		return nil // no commission terms on record: nothing is owed
	}
	if err != nil {
		return err
	}
	auth := &r
	amount := reseller.CommissionOf(money.Fen(o.PaidFen), auth.RateBP)
	if amount <= 0 {
		return nil
	}
	t, err := wallet.Commission(o.ResellerID, amount, o.ID)
	if err != nil {
		return err
	}
	txn, err := a.post(ctx, tx, t)
	if err != nil {
		return err
	}
	if err := tx.CommissionInsert(ctx, store.CommissionRow{OrderID: o.ID, ResellerID: o.ResellerID, CustomerID: o.AccountID,
		AuthorisationID: auth.ID, BaseFen: o.PaidFen, RateBP: auth.RateBP, AmountFen: int64(amount), AccruedTxn: txn, AccruedAt: tx.Now}); err != nil {
		return err
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "reseller.commission_accrued", SubjectType: "order", SubjectID: o.ID, Data: map[string]any{
		"reseller": o.ResellerID, "amount_fen": int64(amount), "rate_bp": auth.RateBP, "txn": txn, "clause": reseller.Clause}})
}

// clawbackCommission takes back a refunded order's commission (SEED A22):
// from the unsettled commission, then the reseller's cash; what neither
// covers is recorded as a shortfall for finance. Once per order; nothing
// for an order without commission.
func (a *App) clawbackCommission(ctx context.Context, tx *store.Tx, o store.OrderRow, refundID string) error {
	c, err := store.CommissionGet(ctx, tx, o.ID)
	if store.IsNotFound(err) {
		return nil
	}
	if err != nil || !c.ClawedBackAt.IsZero() {
		return err
	}
	bal, err := store.LedgerBalances(ctx, tx, wallet.Account{Kind: wallet.ResellerCommission, Ref: c.ResellerID}.String(),
		wallet.Customer(c.ResellerID, wallet.Cash).String())
	if err != nil {
		return err
	}
	t, short, err := wallet.CommissionClawback(wallet.ClawbackParams{Reseller: c.ResellerID, Amount: money.Fen(c.AmountFen),
		Unsettled: money.Fen(bal[wallet.Account{Kind: wallet.ResellerCommission, Ref: c.ResellerID}.String()]),
		Cash:      money.Fen(bal[wallet.Customer(c.ResellerID, wallet.Cash).String()]), OrderID: o.ID, RefundID: refundID})
	if err != nil {
		return err
	}
	txn := ""
	if len(t.Postings) > 0 {
		if txn, err = a.post(ctx, tx, t); err != nil {
			return err
		}
	}
	ok, err := tx.CommissionClawedBack(ctx, o.ID, c.AmountFen-int64(short), int64(short), txn)
	if err != nil || !ok {
		return conflictOr(err)
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "reseller.commission_clawed_back", SubjectType: "order", SubjectID: o.ID, Data: map[string]any{
		"reseller": c.ResellerID, "amount_fen": c.AmountFen, "shortfall_fen": int64(short), "refund": refundID, "txn": txn}})
}

// payerOf is the account whose wallet a balance payment came from.
func payerOf(py store.PaymentRow, o store.OrderRow) string {
	if py.AccountID != "" {
		return py.AccountID
	}
	return o.AccountID
}

// CommissionLineView is one order's commission.
type CommissionLineView struct {
	OrderID       string    `json:"order_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	CustomerID    string    `json:"customer_id" example:"01936a9e-0000-7000-8000-000000000010"`
	BaseFen       int64     `json:"base_fen" example:"7900"`
	RateBP        int64     `json:"rate_bp" example:"1000"`
	AmountFen     int64     `json:"amount_fen" example:"790"`
	ClawedBackFen int64     `json:"clawed_back_fen" example:"0"`
	ShortfallFen  int64     `json:"shortfall_fen" example:"0"`
	AccruedAt     time.Time `json:"accrued_at" example:"2026-11-26T09:00:00+08:00"`
	ClawedBackAt  time.Time `json:"clawed_back_at,omitzero" example:""`
}

// StatementView is a reseller's statement for a month (Asia/Shanghai).
type StatementView struct {
	ResellerID    string               `json:"reseller_id" example:"01936a9e-0000-7000-8000-000000000004"`
	Month         string               `json:"month" example:"2026-11"`
	AccruedFen    int64                `json:"accrued_fen" example:"790"`
	ClawedBackFen int64                `json:"clawed_back_fen" example:"0"`
	ShortfallFen  int64                `json:"shortfall_fen" example:"0"`
	NetFen        int64                `json:"net_fen" example:"790"`
	UnsettledFen  int64                `json:"unsettled_fen" example:"790" doc:"The reseller_commission balance now, all months."`
	Lines         []CommissionLineView `json:"lines"`
	Settlements   []SettlementView     `json:"settlements"`
}

// SettlementView is one settlement.
type SettlementView struct {
	ID        string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f90"`
	AmountFen int64     `json:"amount_fen" example:"790"`
	TxnID     string    `json:"txn_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f91"`
	CreatedAt time.Time `json:"created_at" example:"2026-12-01T09:00:00+08:00"`
}

// ResellerStatement is the statement of resellerID for month ("2006-01";
// "" for the current month): staff with account.read_any or
// finance.payout any reseller's, a reseller its own
// (reseller.commission.read).
func (a *App) ResellerStatement(ctx context.Context, p account.Principal, resellerID, month string) (StatementView, error) {
	if p.Kind == account.KindStaff {
		if !account.Can(p, "account.read_any", account.Object{}).Allowed {
			if err := a.Authorize(ctx, p, "finance.payout", account.Object{Type: "reseller_statement"}); err != nil {
				return StatementView{}, err
			}
		}
	} else {
		if err := a.Authorize(ctx, p, "reseller.commission.read", p.SelfObject()); err != nil {
			return StatementView{}, err
		}
		resellerID = p.AccountID
	}
	now := a.Now().In(service.CST)
	if month == "" {
		month = now.Format("2006-01")
	}
	from, err := time.ParseInLocation("2006-01", month, service.CST)
	if err != nil {
		return StatementView{}, fieldErr("app.ResellerStatement", "reseller.statement_invalid", errs.Invalid, "query.month", "format",
			"a month looks like 2026-11", nil)
	}
	rows, err := store.Commissions(ctx, a.db, resellerID, from, from.AddDate(0, 1, 0), 1000)
	if err != nil {
		return StatementView{}, err
	}
	v := StatementView{ResellerID: resellerID, Month: month, Lines: []CommissionLineView{}, Settlements: []SettlementView{}}
	for _, r := range rows {
		v.AccruedFen += r.AmountFen
		v.ClawedBackFen += r.ClawedBackFen
		v.ShortfallFen += r.ShortfallFen
		v.Lines = append(v.Lines, CommissionLineView{OrderID: r.OrderID, CustomerID: r.CustomerID, BaseFen: r.BaseFen, RateBP: r.RateBP,
			AmountFen: r.AmountFen, ClawedBackFen: r.ClawedBackFen, ShortfallFen: r.ShortfallFen, AccruedAt: r.AccruedAt, ClawedBackAt: r.ClawedBackAt})
	}
	v.NetFen = v.AccruedFen - v.ClawedBackFen - v.ShortfallFen
	acct := wallet.Account{Kind: wallet.ResellerCommission, Ref: resellerID}.String()
	bal, err := store.LedgerBalances(ctx, a.db, acct)
	if err != nil {
		return StatementView{}, err
	}
	v.UnsettledFen = bal[acct]
	ss, err := store.Settlements(ctx, a.db, resellerID)
	if err != nil {
		return StatementView{}, err
	}
	for _, s := range ss {
		v.Settlements = append(v.Settlements, SettlementView{ID: s.ID, AmountFen: s.AmountFen, TxnID: s.TxnID, CreatedAt: s.CreatedAt})
	}
	return v, nil
}

// SettleCommission moves resellerID's whole unsettled commission into its
// cash (finance.payout), withdrawable under the usual rules. Nothing to
// settle is reseller.nothing_to_settle (409).
func (a *App) SettleCommission(ctx context.Context, p account.Principal, resellerID string) (SettlementView, error) {
	if err := a.Authorize(ctx, p, "finance.payout", account.Object{Type: "reseller_statement"}); err != nil {
		return SettlementView{}, err
	}
	var out store.SettlementRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		acct := wallet.Account{Kind: wallet.ResellerCommission, Ref: resellerID}.String()
		bal, err := store.LedgerBalances(ctx, tx, acct)
		if err != nil {
			return err
		}
		amount := money.Fen(bal[acct])
		if amount <= 0 {
			return errs.E(errs.Conflict, "reseller.nothing_to_settle", "no unsettled commission", map[string]any{"reseller": resellerID})
		}
		sid := id.NewAt(tx.Now)
		t, err := wallet.CommissionSettle(resellerID, amount, amount, sid)
		if err != nil {
			return err
		}
		txn, err := a.post(ctx, tx, t)
		if err != nil {
			return err
		}
		out = store.SettlementRow{ID: sid, ResellerID: resellerID, AmountFen: int64(amount), TxnID: txn, SettledBy: p.AccountID, CreatedAt: tx.Now}
		if err := tx.SettlementInsert(ctx, out); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "reseller.commission_settled", SubjectType: "account", SubjectID: resellerID,
			Data: map[string]any{"settlement": sid, "amount_fen": int64(amount), "txn": txn}})
	})
	if err != nil {
		return SettlementView{}, err
	}
	return SettlementView{ID: out.ID, AmountFen: out.AmountFen, TxnID: out.TxnID, CreatedAt: out.CreatedAt}, nil
}

// ResellerOrders lists the orders p placed for its customers, newest
// first (order.read with the client relation).
func (a *App) ResellerOrders(ctx context.Context, p account.Principal, customerID string, limit int) ([]OrderView, error) {
	if err := a.Authorize(ctx, p, "reseller.client.manage", p.SelfObject()); err != nil {
		return nil, err
	}
	if customerID != "" {
		obj, err := a.customerObject(ctx, "account", customerID)
		if err != nil {
			return nil, err
		}
		if err := a.Authorize(ctx, p, "order.read", obj); err != nil {
			return nil, err
		}
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := store.Orders(ctx, a.db, store.OrderFilter{AccountID: customerID, Reseller: p.AccountID, Limit: limit, WithLines: true})
	if err != nil {
		return nil, err
	}
	out := make([]OrderView, 0, len(rows))
	for _, r := range rows {
		out = append(out, orderView(r, nil))
	}
	return out, nil
}

// resellerPayRule says who may pay a reseller's order, and how: a
// wholesale order only its reseller, from its balance; a commission order
// only the customer (a reseller never spends a customer's money).
func resellerPayRule(p account.Principal, r store.OrderRow, method string) error {
	switch reseller.Mode(r.ResellerMode) {
	case reseller.Wholesale:
		if p.AccountID != r.ResellerID {
			return errs.E(errs.Op("app.PayOrder"), errs.Conflict, "reseller.paid_by_reseller",
				"your reseller pays this order (wholesale); nothing is due from you", map[string]any{"clause": reseller.Clause})
		}
		if method != MethodBalance {
			return fieldErr("app.PayOrder", CodePaymentInvalid, errs.Invalid, "body.method", "reseller_balance",
				"a wholesale order is paid from the reseller's balance", nil)
		}
	default:
		if p.Kind == account.KindReseller && p.AccountID != r.AccountID {
			return errs.E(errs.Op("app.PayOrder"), errs.Forbidden, "reseller.customer_pays",
				"the customer pays this order; a reseller cannot spend a customer's money", map[string]any{"clause": reseller.Clause})
		}
	}
	return nil
}

// ResellerServices lists the services of customerID, a customer p
// onboarded (service.read with the client relation; the services issue's
// views opened to resellers), newest first. Another account is
// account.not_found.
func (a *App) ResellerServices(ctx context.Context, p account.Principal, customerID string, limit int) ([]ServiceView, error) {
	obj, err := a.customerObject(ctx, "account", customerID)
	if err != nil {
		return nil, err
	}
	if p.Kind != account.KindReseller || account.Relate(p, obj) != account.RelClient {
		return nil, errNotFound("account")
	}
	if err := a.Authorize(ctx, p, "service.read", obj); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := store.Services(ctx, a.db, store.ServiceFilter{AccountID: customerID, Limit: limit})
	if err != nil {
		return nil, err
	}
	now := a.Now()
	out := make([]ServiceView, 0, len(rows))
	for _, r := range rows {
		out = append(out, a.serviceView(r, now))
	}
	return out, nil
}
