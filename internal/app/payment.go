package app

import (
	"context"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/money"
	"yuanxu/internal/order"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// Payment methods.
const (
	MethodBalance   = "balance"
	MethodAlipay    = payment.Alipay
	MethodWeChatPay = payment.WeChatPay
)

// Payment states.
const (
	PaymentPending   = "pending"
	PaymentSucceeded = "succeeded"
	PaymentFailed    = "failed"
	PaymentCancelled = "cancelled"
)

// PayRequest is how a customer pays an order: by balance; by a gateway
// (alipay, wechatpay) for everything due; or split — BalanceFen from the
// balance and the rest through Gateway (issue 9 item 4). Kind is how the
// gateway is shown: a page to go to, or a QR code to scan (WeChat Pay:
// QR only).
type PayRequest struct {
	Method     string `json:"method" enum:"balance,alipay,wechatpay,split" example:"balance"`
	BalanceFen int64  `json:"balance_fen,omitempty" example:"0" doc:"split only: the part paid from the balance"`
	Gateway    string `json:"gateway,omitempty" enum:"alipay,wechatpay" example:"" doc:"split only: the gateway for the rest"`
	Kind       string `json:"kind,omitempty" enum:"page,qr" example:"" doc:"gateway and split: page (default for Alipay) or qr"`
}

// PayOrder pays an unpaid order of p's tenant (order.pay; clause 2.2).
// By balance the whole amount due is debited, refund credit before cash,
// with one conditional update per sub-balance: a balance that cannot cover
// it is wallet.insufficient_balance (409) and nothing moves. The order is
// then paid and its delivery deadline set. Through a gateway an attempt is
// opened for what is due (its page URL or QR code in the answer's
// pending_attempt); a split debits BalanceFen now and opens an attempt for
// the rest. The order is paid when the gateway's verified notification
// arrives; if it expires or is cancelled first, the balance part goes back
// where it came from. Paying needs approved KYC for anything provisioned
// (kyc.required_before, clause 2.1) and an order that has not expired.
func (a *App) PayOrder(ctx context.Context, p account.Principal, orderID string, in PayRequest) (OrderView, error) {
	const op = "app.PayOrder"
	ctx = ensureRequestMemo(ctx) // the reads before the transaction share one account read (request_memo.go)
	r, err := a.loadOrder(ctx, a.db, p, orderID, "order.pay", "order.pay")
	if err != nil {
		return OrderView{}, err
	}
	gateway := ""
	switch in.Method {
	case MethodBalance:
		if in.BalanceFen != 0 || in.Gateway != "" {
			return OrderView{}, fieldErr(op, CodePaymentInvalid, errs.Invalid, "body.balance_fen", "not_allowed",
				"balance_fen and gateway are for split payments", nil)
		}
	case MethodAlipay, MethodWeChatPay:
		if in.BalanceFen != 0 {
			return OrderView{}, fieldErr(op, CodePaymentInvalid, errs.Invalid, "body.balance_fen", "not_allowed", "balance_fen is for split payments", nil)
		}
		gateway = in.Method
	case "split":
		if in.Gateway != MethodAlipay && in.Gateway != MethodWeChatPay {
			return OrderView{}, fieldErr(op, CodePaymentInvalid, errs.Invalid, "body.gateway", "enum", "choose alipay or wechatpay", nil)
		}
		if in.BalanceFen <= 0 || in.BalanceFen > int64(wallet.MaxAmount) {
			return OrderView{}, fieldErr(op, CodePaymentInvalid, errs.Invalid, "body.balance_fen", "range", "the balance part must be positive",
				map[string]any{"min_fen": 1})
		}
		gateway = in.Gateway
	default:
		return OrderView{}, fieldErr(op, CodePaymentInvalid, errs.Invalid, "body.method", "enum", "choose balance, alipay, wechatpay or split", nil)
	}
	if gateway != "" {
		if _, _, err := a.gatewayAccount(gateway); err != nil {
			return OrderView{}, err
		}
		if in.Kind == "" {
			in.Kind = "page"
			if gateway == MethodWeChatPay {
				in.Kind = "qr"
			}
		}
	}
	if err := a.KYCRequired(ctx, r.AccountID); err != nil {
		return OrderView{}, err
	}
	if err := resellerPayRule(p, r, in.Method); err != nil {
		return OrderView{}, err
	}
	var attempt store.AttemptRow
	var subject string
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		attempt = store.AttemptRow{}
		r, err := store.OrderGet(ctx, tx, orderID)
		if err != nil {
			return err
		}
		o := domainOrder(r)
		if o.State != order.StateCreated {
			return errs.E(errs.Op(op), errs.Conflict, CodeOrderNotPayable, "the order is not awaiting payment", map[string]any{"state": r.State})
		}
		if o.Expired(tx.Now) {
			return errs.E(errs.Op(op), errs.Conflict, CodeOrderExpired, "the order expired unpaid; place it again",
				map[string]any{"expired_at": r.ExpiresAt, "clause": "2.2"})
		}
		pays, err := store.Payments(ctx, tx, orderID)
		if err != nil {
			return err
		}
		for _, py := range pays {
			if py.State == PaymentPending {
				// The customer chose another way to pay: the pending attempt
				// closes; if it is paid at the gateway after all, the money
				// goes to the customer's cash and finance is told
				// (processPaid's late payment).
				if _, err := tx.PaymentSettle(ctx, py.ID, PaymentCancelled, "", tx.Now); err != nil {
					return err
				}
				if err := a.closeAttemptsOf(ctx, tx, r.ID); err != nil {
					return err
				}
			}
		}
		due := r.TotalFen - r.PaidFen
		part := due
		switch in.Method {
		case "split":
			if in.BalanceFen >= due {
				return fieldErr(op, CodePaymentInvalid, errs.Invalid, "body.balance_fen", "below_due",
					"a split leaves something for the gateway; pay by balance instead", map[string]any{"due_fen": due})
			}
			part = in.BalanceFen
		case MethodAlipay, MethodWeChatPay:
			part = 0
		}
		if gateway == "" {
			return a.payDueFromBalance(ctx, tx, r, nil)
		}
		if part > 0 {
			if err := a.payFromBalance(ctx, tx, &r, part); err != nil {
				return err
			}
		}
		if attempt, err = a.payByGateway(ctx, tx, r, gateway, in.Kind, due-part); err != nil {
			return err
		}
		if len(r.Lines) > 0 {
			subject = r.Lines[0].ProductName
		}
		if ok, err := tx.OrderUpdate(ctx, withState(r, domainOrder(r), tx.Now), string(order.StateCreated)); err != nil || !ok {
			return conflictOr(err)
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "order.payment_started", SubjectType: "order", SubjectID: r.ID,
			Data: map[string]any{"gateway": gateway, "amount_fen": attempt.AmountFen, "attempt": attempt.ID, "ref": attempt.Ref, "balance_fen": part}})
	})
	if err != nil {
		return OrderView{}, err
	}
	if attempt.ID != "" {
		if _, err := a.startAttempt(ctx, attempt, subject); err != nil {
			return OrderView{}, err
		}
	}
	return a.Order(ctx, p, orderID)
}

// payDueFromBalance pays what is due on r from the payer's balance and
// marks the order paid (clause 2.2). The conditional debit of the balance
// (payFromBalanceLast) is registered with tx.Last: it runs after the rest
// of the transaction, its audit events included, so the balance row's
// lock is held from the debit to the commit and no longer — what
// concurrent payments from one balance wait for on PostgreSQL. A balance
// drained meanwhile fails the debit, and with it the whole transaction,
// as wallet.insufficient_balance. An order with nothing due is only
// marked paid. Callers must not read the payer's balance later in the
// same transaction expecting the debit. seen, when not nil, is the
// payer's balances as tx read them already (payFromBalanceLast).
func (a *App) payDueFromBalance(ctx context.Context, tx *store.Tx, r store.OrderRow, seen *wallet.Balances) error {
	if due := r.TotalFen - r.PaidFen; due > 0 {
		post, err := a.payFromBalanceLast(ctx, tx, &r, due, seen)
		if err != nil {
			return err
		}
		tx.Last(func(context.Context) error { return post() })
	}
	return a.markPaid(ctx, tx, r)
}

// payFromBalance debits amount from the customer's balance for order r,
// records the payment with the parts it took, and raises r.PaidFen.
func (a *App) payFromBalance(ctx context.Context, tx *store.Tx, r *store.OrderRow, amount int64) error {
	post, err := a.payFromBalanceLast(ctx, tx, r, amount, nil)
	if err != nil {
		return err
	}
	return post()
}

// payFromBalanceLast is payFromBalance with the ledger posting itself —
// the conditional debit of the payer's cash — returned as post, for the
// caller to run as the last write of its transaction. That debit locks
// the payer's balance row until commit, and it is the one row concurrent
// payments from one balance wait for (PostgreSQL); everything else the
// payment does (the order paid, its services delivered) runs before it
// takes the lock. The decision is the same either way: the posting is
// conditional, so a balance drained meanwhile is insufficient_balance and
// the whole transaction rolls back. The caller must call post before
// committing. seen, when it is the payer's, is the balances tx read
// earlier (a checkout reads them with the plans' stock, in one round
// trip): the split between refund credit and cash is decided on them, and
// the conditional debit still fails a balance drained since.
func (a *App) payFromBalanceLast(ctx context.Context, tx *store.Tx, r *store.OrderRow, amount int64, seen *wallet.Balances) (post func() error, err error) {
	payer := orderPayer(*r)
	var b wallet.Balances
	if seen != nil && seen.Customer == payer {
		b = *seen
	} else if b, err = balancesOf(ctx, tx, payer); err != nil {
		return nil, err
	}
	t, spent, err := wallet.Spend(b, money.Fen(amount), r.ID)
	if err != nil {
		return nil, err
	}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	txnID := id.NewAt(tx.Now)
	pay := store.PaymentRow{ID: id.NewAt(tx.Now), OrderID: r.ID, AccountID: payer, Method: MethodBalance, State: PaymentSucceeded,
		AmountFen: amount, FromRefundCreditFen: int64(spent.FromRefundCredit), FromCashFen: int64(spent.FromCash), LedgerTxnID: txnID,
		CreatedAt: tx.Now, SettledAt: tx.Now}
	if err := tx.PaymentInsert(ctx, pay); err != nil {
		return nil, err
	}
	r.PaidFen += amount
	if err := a.Audit(ctx, tx, AuditEntry{Action: "payment.succeeded", SubjectType: "order", SubjectID: r.ID, Data: map[string]any{
		"payment": pay.ID, "method": MethodBalance, "amount_fen": amount, "from_refund_credit_fen": pay.FromRefundCreditFen,
		"from_cash_fen": pay.FromCashFen, "txn": txnID}}); err != nil {
		return nil, err
	}
	return func() error {
		_, err := a.postAs(ctx, tx, t, txnID)
		return err
	}, nil
}

// orderPayer is whose balance pays order r: its account's, or for a
// wholesale order the reseller's own wallet (issue 11).
func orderPayer(r store.OrderRow) string {
	if r.ResellerMode == "wholesale" {
		return r.ResellerID
	}
	return r.AccountID
}

// markPaid moves a fully paid order to paid and sets its delivery
// deadline from the SLA frozen at checkout (clause 2.2). The gateways
// capability calls it when a verified notification completes the order.
func (a *App) markPaid(ctx context.Context, tx *store.Tx, r store.OrderRow) error {
	if r.PaidFen != r.TotalFen {
		return errs.E(errs.Op("app.markPaid"), errs.Internal, "order "+r.ID+" is not fully paid")
	}
	o := domainOrder(r)
	if err := o.Move(order.StatePaid, tx.Now); err != nil {
		return err
	}
	ok, err := tx.OrderUpdate(ctx, withState(r, o, tx.Now), string(order.StateCreated))
	if err != nil || !ok {
		return conflictOr(err)
	}
	if err := a.Audit(ctx, tx, AuditEntry{Action: "order.paid", SubjectType: "order", SubjectID: r.ID, Data: map[string]any{
		"total_fen": r.TotalFen, "deliver_by": o.DeliverBy, "clause": string(order.DeliveryClause), "purpose": r.Purpose}}); err != nil {
		return err
	}
	if err := a.resellerPaid(ctx, tx, withState(r, o, tx.Now)); err != nil {
		return err
	}
	switch r.Purpose {
	case PurposeRenewal:
		return a.applyRenewal(ctx, tx, r, o)
	case PurposeUpgrade:
		return a.applyPlanChange(ctx, tx, r, o)
	}
	svcs, err := a.createServices(ctx, tx, r)
	if err != nil {
		return err
	}
	// The order moves to provisioning and each service's driver delivers
	// it (delivery.go); the last delivery delivers the order, which starts
	// the inspection window and anchors the refund window (clauses 2.3,
	// 3.1). An order of traffic packs only is delivered now. r is the row
	// as OrderUpdate wrote it (nothing since writes the order).
	r = withState(r, o, tx.Now)
	return a.startDelivery(ctx, tx, r, domainOrder(r), svcs)
}

// conflictOr returns err, or a retryable conflict when a conditional
// update found the row changed.
func conflictOr(err error) error {
	if err != nil {
		return err
	}
	return errs.E(errs.Conflict, "order.changed", "the order changed meanwhile; retry", errs.ErrConflict)
}

// CancelOrder cancels an unpaid order of p's tenant (order.cancel): stock,
// the coupon's use and any balance part of a split go back.
func (a *App) CancelOrder(ctx context.Context, p account.Principal, orderID string) (OrderView, error) {
	if _, err := a.loadOrder(ctx, a.db, p, orderID, "order.cancel", "order.cancel"); err != nil {
		return OrderView{}, err
	}
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.OrderGet(ctx, tx, orderID)
		if err != nil {
			return err
		}
		if order.State(r.State) != order.StateCreated {
			return errs.E(errs.Op("app.CancelOrder"), errs.Conflict, order.CodeBadTransition,
				"only an unpaid order can be cancelled here; a paid one goes through a refund", map[string]any{"state": r.State})
		}
		return a.closeUnpaid(ctx, tx, r, order.StateCancelled)
	})
	if err != nil {
		return OrderView{}, err
	}
	return a.Order(ctx, p, orderID)
}

// closeUnpaid ends an unpaid order (expired or cancelled): stock back, the
// coupon's use restored, balance parts reversed to their sub-balances,
// pending gateway payments cancelled.
func (a *App) closeUnpaid(ctx context.Context, tx *store.Tx, r store.OrderRow, to order.State) error {
	o := domainOrder(r)
	if err := o.Move(to, tx.Now); err != nil {
		return err
	}
	pays, err := store.Payments(ctx, tx, r.ID)
	if err != nil {
		return err
	}
	var returned int64
	for _, py := range pays {
		switch {
		case py.State == PaymentPending:
			if _, err := tx.PaymentSettle(ctx, py.ID, PaymentCancelled, "", tx.Now); err != nil {
				return err
			}
			if err := a.closeAttemptsOf(ctx, tx, r.ID); err != nil {
				return err
			}
		case py.State == PaymentSucceeded && py.Method == MethodBalance:
			t, err := wallet.SpendReverse(payerOf(py, r), wallet.Spent{FromRefundCredit: money.Fen(py.FromRefundCreditFen),
				FromCash: money.Fen(py.FromCashFen)}, r.ID)
			if err != nil {
				return err
			}
			if _, err := a.post(ctx, tx, t); err != nil {
				return err
			}
			returned += py.AmountFen
		}
	}
	r.PaidFen = 0
	ok, err := tx.OrderUpdate(ctx, withState(r, o, tx.Now), string(order.StateCreated))
	if err != nil || !ok {
		return conflictOr(err)
	}
	for _, l := range r.Lines {
		if r.Purpose != PurposeNew && r.Purpose != "" {
			break // renewals and upgrades took no stock
		}
		if err := tx.PlanReturnStock(ctx, l.PlanID, l.Quantity); err != nil {
			return err
		}
	}
	restored, err := tx.CouponRestore(ctx, r.ID)
	if err != nil {
		return err
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "order." + string(to), SubjectType: "order", SubjectID: r.ID, Data: map[string]any{
		"coupon_restored": restored, "balance_returned_fen": returned, "clause": "2.2"}})
}

// orderExpirySweep expires unpaid orders past their expiry (the sweep
// order.expire; order.unpaid_expiry of the version each was placed under).
func (a *App) orderExpirySweep(ctx context.Context, now time.Time) (int64, error) {
	ids, err := store.OrdersExpiring(ctx, a.db, now, 200)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, oid := range ids {
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			r, err := store.OrderGet(ctx, tx, oid)
			if err != nil {
				return err
			}
			if !domainOrder(r).Expired(tx.Now) {
				return nil // paid or cancelled meanwhile
			}
			if err := a.closeUnpaid(ctx, tx, r, order.StateExpired); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
