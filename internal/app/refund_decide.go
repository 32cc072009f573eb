package app

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/money"
	"yuanxu/internal/notify"
	"yuanxu/internal/order"
	"yuanxu/internal/policy"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/refund"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
	"yuanxu/internal/webhook"
)

// RefundDecision is a reviewer's decision.
type RefundDecision struct {
	Action string `json:"action" enum:"approve,reject" example:"approve"`
	// ReasonCode is required to reject (e.g. window_passed, usage_exceeded,
	// class_excluded, standing, other); Text explains it to the customer.
	ReasonCode string `json:"reason_code,omitempty" maxLength:"64" example:""`
	Text       string `json:"text,omitempty" maxLength:"1000" example:""`
}

// RefundDecide approves or rejects a request under review (refund.decide).
// Above refund.dual_control_fen an approval needs a second, different
// approver (refund.approve_second); the first approval is recorded and
// the request stays under review. A rejection needs a reason code; the
// services run again, extended by the suspension. An approval refunds the
// order exactly once (executeRefund).
func (a *App) RefundDecide(ctx context.Context, p account.Principal, refundID string, d RefundDecision) (RefundView, error) {
	const op = "app.RefundDecide"
	if p.Kind != account.KindStaff {
		return RefundView{}, a.Authorize(ctx, p, "refund.decide", account.Object{Type: "refund"})
	}
	d.ReasonCode, d.Text = strings.TrimSpace(d.ReasonCode), strings.TrimSpace(d.Text)
	switch {
	case d.Action != "approve" && d.Action != "reject":
		return RefundView{}, fieldErr(op, "refund.invalid", errs.Invalid, "body.action", "enum", "approve or reject", nil)
	case d.Action == "reject" && (d.ReasonCode == "" || len(d.ReasonCode) > 64):
		return RefundView{}, fieldErr(op, CodeRefundReasonCodeRequired, errs.Invalid, "body.reason_code", "required", "a rejection needs a reason code", nil)
	case len(d.Text) > 1000:
		return RefundView{}, fieldErr(op, "refund.invalid", errs.Invalid, "body.text", "max_length", "too long", map[string]any{"max": 1000})
	}
	// Read outside the transaction what needs the reader: on PostgreSQL
	// the reader is the writer's pool, and a transaction waiting for a
	// second connection could starve the pool under load.
	pre, err := store.RefundGet(ctx, a.db, refundID)
	if store.IsNotFound(err) {
		return RefundView{}, errNotFound("refund")
	}
	if err != nil {
		return RefundView{}, err
	}
	dual, err := a.dualControlFen(ctx, pre.AccountID)
	if err != nil {
		return RefundView{}, err
	}
	// The second approval of a request above the limit is
	// refund.approve_second (finance approvers), by someone other than the
	// first approver; every other decision is refund.decide.
	if d.Action == "approve" && pre.FirstApprover != "" && pre.AmountFen > dual {
		if err := a.Authorize(ctx, p, "refund.approve_second", account.Object{Type: "refund", FirstApprover: pre.FirstApprover}); err != nil {
			return RefundView{}, err
		}
	} else if err := a.Authorize(ctx, p, "refund.decide", account.Object{Type: "refund"}); err != nil {
		return RefundView{}, err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.RefundGet(ctx, tx, refundID)
		if err != nil {
			return err
		}
		if r.State != RefundUnderReview {
			return errs.E(errs.Op(op), errs.Conflict, CodeRefundBadState, "the request is "+r.State, map[string]any{"state": r.State})
		}
		if d.Action == "reject" {
			return a.rejectRefund(ctx, tx, r, p.AccountID, d)
		}
		next := r
		next.UpdatedAt = tx.Now
		if r.AmountFen > dual {
			if r.FirstApprover == "" {
				next.FirstApprover, next.DecisionText = p.AccountID, d.Text
				if ok, err := tx.RefundUpdate(ctx, next, r.State, r.UpdatedAt); err != nil || !ok {
					return conflictOr(err)
				}
				return a.Audit(ctx, tx, AuditEntry{Action: "refund.first_approval", SubjectType: "refund", SubjectID: r.ID,
					Data: map[string]any{"amount_fen": r.AmountFen, "dual_control_fen": dual}})
			}
			if err := a.Authorize(ctx, p, "refund.approve_second", account.Object{Type: "refund", FirstApprover: r.FirstApprover}); err != nil {
				return err
			}
			next.SecondApprover = p.AccountID
		} else {
			next.FirstApprover = p.AccountID
		}
		next.DecidedBy, next.DecisionText = p.AccountID, d.Text
		return a.executeRefund(ctx, tx, r, next)
	})
	if err != nil {
		return RefundView{}, err
	}
	r, err := store.RefundGet(ctx, a.db, refundID)
	if err != nil {
		return RefundView{}, err
	}
	return a.refundView(ctx, r), nil
}

func (a *App) rejectRefund(ctx context.Context, tx *store.Tx, r store.RefundRow, by string, d RefundDecision) error {
	next := r
	next.State, next.DecidedBy, next.ReasonCode, next.DecisionText, next.DecidedAt, next.UpdatedAt = RefundRejected, by, d.ReasonCode, d.Text, tx.Now, tx.Now
	if ok, err := tx.RefundUpdate(ctx, next, r.State, r.UpdatedAt); err != nil || !ok {
		return conflictOr(err)
	}
	if err := a.restoreOrderServices(ctx, tx, r.OrderID, service.ReasonRefundPending, service.ExtendRefundRejected, "refund rejected"); err != nil {
		return err
	}
	if err := a.Audit(ctx, tx, AuditEntry{Action: "refund.rejected", SubjectType: "refund", SubjectID: r.ID,
		Data: map[string]any{"order": r.OrderID, "reason_code": d.ReasonCode}}); err != nil {
		return err
	}
	return a.notifyRefund(ctx, tx, r, "rejected")
}

// executeRefund refunds the order of an approved request once: the order
// moves to refunded (a conditional update: a second approval, a second
// request or a concurrent swap cannot pass), balance parts go back to the
// sub-balances they came from, gateway parts to the destination the
// customer chose (original route by gateway refund, balance as refund
// credit, swap as refund credit for the replacement), the coupon's use is
// restored, the order's services end.
func (a *App) executeRefund(ctx context.Context, tx *store.Tx, r, next store.RefundRow) error {
	if r.Destination == policy.DestinationSwap {
		// Approved as a swap: nothing moves until the customer chooses the
		// replacement (SwapRefund); the services stay suspended.
		next.State, next.DecidedAt, next.UpdatedAt = RefundSwapPending, tx.Now, tx.Now
		if ok, err := tx.RefundUpdate(ctx, next, r.State, r.UpdatedAt); err != nil || !ok {
			return conflictOr(err)
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "refund.swap_approved", SubjectType: "refund", SubjectID: r.ID,
			Data: map[string]any{"order": r.OrderID, "amount_fen": r.AmountFen}}); err != nil {
			return err
		}
		return a.notifyRefund(ctx, tx, r, "approved")
	}
	return a.refundOrder(ctx, tx, r, next, order.StateRefunded)
}

// refundOrder moves the order to state to (refunded or swapped) and
// returns its money: see executeRefund.
func (a *App) refundOrder(ctx context.Context, tx *store.Tx, r, next store.RefundRow, to order.State) error {
	o, err := store.OrderGet(ctx, tx, r.OrderID)
	if err != nil {
		return err
	}
	do := domainOrder(o)
	from := do.State
	if err := do.Move(to, tx.Now); err != nil {
		return err
	}
	if ok, err := tx.OrderUpdate(ctx, withState(o, do, tx.Now), string(from)); err != nil || !ok {
		return conflictOr(err)
	}
	pays, err := store.Payments(ctx, tx, o.ID)
	if err != nil {
		return err
	}
	parts, err := refundParts(r, pays)
	if err != nil {
		return err
	}
	pendingRoute := false
	for i, py := range pays {
		if py.State != PaymentSucceeded || parts[i] == 0 {
			continue
		}
		if py.Method == MethodBalance {
			// To whoever paid (a wholesale reseller's order: the reseller's
			// wallet; issue 11, SEED A22).
			t, _, err := wallet.RefundToBalance(wallet.RefundToBalanceParams{Customer: payerOf(py, o), Remaining: wallet.Spent{
				FromRefundCredit: money.Fen(py.FromRefundCreditFen), FromCash: money.Fen(py.FromCashFen)}, Amount: money.Fen(parts[i]),
				RefundID: r.ID, OrderID: o.ID})
			if err != nil {
				return err
			}
			if _, err := a.post(ctx, tx, t); err != nil {
				return err
			}
			continue
		}
		params := wallet.RefundParams{Customer: o.AccountID, Amount: money.Fen(parts[i]), RefundID: r.ID, OrderID: o.ID}
		if r.Destination != policy.DestinationOriginalRoute || to == order.StateSwapped {
			t, err := wallet.RefundAsCredit(params)
			if err != nil {
				return err
			}
			if _, err := a.post(ctx, tx, t); err != nil {
				return err
			}
			continue
		}
		t, err := wallet.RefundToRoute(params)
		if err != nil {
			return err
		}
		if _, err := a.post(ctx, tx, t); err != nil {
			return err
		}
		ats, err := store.Attempts(ctx, tx, store.AttemptFilter{OrderID: o.ID, State: AttemptSucceeded})
		if err != nil {
			return err
		}
		for _, at := range ats {
			if at.PaymentID != py.ID {
				continue
			}
			if err := tx.GatewayRefundInsert(ctx, store.GatewayRefundRow{ID: id.NewAt(tx.Now), RefundRef: payment.NewRef(), AttemptID: at.ID,
				Gateway: at.Gateway, AmountFen: parts[i], Purpose: "refund", LinkID: r.ID, State: RefundRequested, NextTryAt: tx.Now,
				CreatedAt: tx.Now}); err != nil {
				return err
			}
			pendingRoute = true
		}
	}
	if _, err := tx.CouponRestore(ctx, o.ID); err != nil {
		return err
	}
	svcs, err := store.Services(ctx, tx, store.ServiceFilter{OrderID: o.ID, States: liveStates})
	if err != nil {
		return err
	}
	for _, s := range svcs {
		if err := a.terminateService(ctx, tx, s.ID, "refunded"); err != nil {
			return err
		}
	}
	if r.Kind != RefundKindAssignment {
		// An assignment is the company's own act (9.3): the reseller keeps
		// its commission on the term it sold.
		if err := a.clawbackCommission(ctx, tx, o, r.ID); err != nil {
			return err
		}
	}
	if o.ResellerID != "" {
		if err := a.emitWebhook(ctx, tx, o.ResellerID, webhook.RefundDecided, r.ID, map[string]any{"refund_id": r.ID, "order_id": o.ID,
			"customer_id": o.AccountID, "outcome": string(to), "amount_fen": r.AmountFen}); err != nil {
			return err
		}
	}
	if to == order.StateSwapped {
		return nil // SwapRefund pays the replacement and records the request
	}
	next.State, next.DecidedAt, next.UpdatedAt = RefundPaid, tx.Now, tx.Now
	if pendingRoute {
		next.State = RefundPaying
	} else {
		next.PaidAt = tx.Now
	}
	if ok, err := tx.RefundUpdate(ctx, next, r.State, r.UpdatedAt); err != nil || !ok {
		return conflictOr(err)
	}
	if err := a.Audit(ctx, tx, AuditEntry{Action: "refund.approved", SubjectType: "refund", SubjectID: r.ID, Data: map[string]any{
		"order": o.ID, "amount_fen": r.AmountFen, "destination": r.Destination, "first_approver": next.FirstApprover,
		"second_approver": next.SecondApprover, "state": next.State}}); err != nil {
		return err
	}
	return a.notifyRefund(ctx, tx, r, "approved")
}

// refundParts is what refundOrder returns of each payment: all of it,
// except for an assignment refund, whose amount (the pro-rata unused
// term, clause 9.3) is spread over the succeeded payments in proportion
// to what each paid (A17), never more than was captured.
func refundParts(r store.RefundRow, pays []store.PaymentRow) ([]int64, error) {
	parts := make([]int64, len(pays))
	weights := make([]money.Fen, len(pays))
	var captured int64
	for i, py := range pays {
		if py.State == PaymentSucceeded {
			parts[i], weights[i] = py.AmountFen, money.Fen(py.AmountFen)
			captured += py.AmountFen
		}
	}
	if r.Kind != RefundKindAssignment || captured == 0 {
		return parts, nil
	}
	if r.AmountFen > captured {
		return nil, errs.E(errs.Op("app.refundParts"), errs.Conflict, "refund.exceeds_captured", "the refund exceeds what the order captured",
			map[string]any{"amount_fen": r.AmountFen, "captured_fen": captured})
	}
	alloc, err := money.Allocate(money.Fen(r.AmountFen), weights)
	if err != nil {
		return nil, err
	}
	for i := range parts {
		parts[i] = int64(alloc[i])
	}
	return parts, nil
}

// notifyRefund tells the customer the decision (a legal notice: email,
// SMS and inbox per the matrix).
func (a *App) notifyRefund(ctx context.Context, tx *store.Tx, r store.RefundRow, outcome string) error {
	acc, err := store.AccountGet(ctx, tx, r.AccountID)
	if err != nil {
		return err
	}
	rec := notify.Recipient{AccountID: acc.ID}
	if rec.Email, err = a.open("account", "email", acc.ID, acc.EmailEnc); err != nil {
		return err
	}
	if acc.PhoneEnc != "" {
		if rec.Phone, err = a.open("account", "phone", acc.ID, acc.PhoneEnc); err != nil {
			return err
		}
	}
	_, err = a.Notify(ctx, tx, notify.Request{Event: notify.EventRefundDecided, Recipient: rec, Lang: langOf(acc.Lang),
		Vars:    map[string]string{"refund_id": "RF-" + strings.ToUpper(r.ID[len(r.ID)-8:]), "outcome": outcome, "amount": money.Fen(r.AmountFen).Format(acc.Lang)},
		Subject: notify.Subject{Type: "refund", ID: r.ID}})
	return err
}

// completeRefundIfPaid marks a refund paid once its gateway refunds all
// succeeded (settleGatewayRefund).
func (a *App) completeRefundIfPaid(ctx context.Context, tx *store.Tx, refundID string) error {
	var open int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM gateway_refund WHERE purpose = 'refund' AND link_id = $1 AND state <> 'succeeded'`,
		refundID).Scan(&open); err != nil || open > 0 {
		return err
	}
	r, err := store.RefundGet(ctx, tx, refundID)
	if err != nil || r.State != RefundPaying {
		return err
	}
	next := r
	next.State, next.PaidAt, next.UpdatedAt = RefundPaid, tx.Now, tx.Now
	if ok, err := tx.RefundUpdate(ctx, next, r.State, r.UpdatedAt); err != nil || !ok {
		return conflictOr(err)
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "refund.paid", SubjectType: "refund", SubjectID: r.ID, Data: map[string]any{"route": "gateway"}})
}

// refundDeadlineSweep reminds before a review deadline (a day ahead) and,
// when it passes, escalates and — as refund.on_review_breach says —
// approves the requests whose automated checks all passed (A9).
func (a *App) refundDeadlineSweep(ctx context.Context, now time.Time) (int64, error) {
	rows, err := store.Refunds(ctx, a.db, store.RefundFilter{States: []string{RefundUnderReview}, DueBefore: now.Add(24 * time.Hour), ByDeadline: true, Limit: 200})
	if err != nil {
		return 0, err
	}
	var n int64
	sys := WithActor(ctx, Actor{ID: "system"})
	for _, r := range rows {
		set, _, err := a.policy.For(ctx, r.OrderID) // before the transaction (see RefundDecide)
		if err != nil {
			return n, err
		}
		err = a.db.InTx(sys, func(ctx context.Context, tx *store.Tx) error {
			cur, err := store.RefundGet(ctx, tx, r.ID)
			if err != nil || cur.State != RefundUnderReview {
				return err
			}
			next := cur
			next.UpdatedAt = tx.Now
			switch {
			case tx.Now.Before(cur.ReviewDue) && cur.RemindedAt.IsZero():
				next.RemindedAt = tx.Now
				if ok, err := tx.RefundUpdate(ctx, next, cur.State, cur.UpdatedAt); err != nil || !ok {
					return conflictOr(err)
				}
				n++
				return a.Audit(ctx, tx, AuditEntry{Action: "refund.review_reminder", SubjectType: "refund", SubjectID: cur.ID,
					Data: map[string]any{"review_due": cur.ReviewDue}})
			case !tx.Now.Before(cur.ReviewDue) && cur.EscalatedAt.IsZero():
				var d refund.Decision
				_ = json.Unmarshal([]byte(cur.Decision), &d)
				next.EscalatedAt = tx.Now
				n++
				if set.String(policy.RefundOnReviewBreach) == policy.BreachEscalateThenApproveIfPass && d.Outcome == refund.Eligible && cur.FirstApprover == "" {
					next.FirstApprover, next.DecidedBy, next.DecisionText = "system", "system", "approved at the review deadline: every automated check passed (3.1)"
					if err := a.Audit(ctx, tx, AuditEntry{Action: "refund.review_breached", SubjectType: "refund", SubjectID: cur.ID,
						Data: map[string]any{"review_due": cur.ReviewDue, "auto_approved": true}}); err != nil {
						return err
					}
					return a.executeRefund(ctx, tx, cur, next)
				}
				if ok, err := tx.RefundUpdate(ctx, next, cur.State, cur.UpdatedAt); err != nil || !ok {
					return conflictOr(err)
				}
				return a.Audit(ctx, tx, AuditEntry{Action: "refund.review_breached", SubjectType: "refund", SubjectID: cur.ID,
					Data: map[string]any{"review_due": cur.ReviewDue, "auto_approved": false, "outcome": string(d.Outcome)}})
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
