package app

import (
	"context"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/order"
	"yuanxu/internal/store"
)

// SwapRequest is the replacement a customer chooses for an approved swap.
type SwapRequest struct {
	ProductID string       `json:"product_id" example:"cs-nc-bw"`
	PlanID    string       `json:"plan_id" example:"s1"`
	Cycle     string       `json:"cycle" enum:"month,quarter,year,one_off" example:"month"`
	Agreement AgreementAck `json:"agreement"`
}

// CodeSwapPriceAbove: the replacement costs more than was paid (A23: "同价位"
// is a price no higher than what was paid).
const CodeSwapPriceAbove = "refund.swap_price_above"

// SwapRefund completes an approved swap (refund.request): the customer's
// replacement, priced at no more than what was paid (A23), is ordered (the
// key clauses acknowledged as at any checkout) and paid in one transaction
// with the swapped order's money — which goes back to the balance first
// (balance parts to their sub-balances, gateway parts as refund credit) —
// then the old order is swapped and its services end, the new services
// start, and any remainder stays in the balance. The replacement keeps the
// old order's refund anchor (orders.swapped_from, A21).
func (a *App) SwapRefund(ctx context.Context, p account.Principal, refundID string, in SwapRequest) (RefundView, error) {
	const op = "app.SwapRefund"
	r, err := a.loadRefund(ctx, a.db, p, refundID, "refund.request", "refund.decide")
	if err != nil {
		return RefundView{}, err
	}
	if r.State != RefundSwapPending {
		return RefundView{}, errs.E(errs.Op(op), errs.Conflict, CodeRefundBadState, "only an approved swap takes a replacement", map[string]any{"state": r.State})
	}
	pv, err := loadProduct(ctx, a.db, in.ProductID)
	if err != nil {
		return RefundView{}, fieldErr(op, order.CodeOrderInvalid, errs.Invalid, "body.product_id", "unknown", "no such product", nil)
	}
	plan, ok := pv.Plan(in.PlanID)
	if !ok {
		return RefundView{}, fieldErr(op, order.CodeOrderInvalid, errs.Invalid, "body.plan_id", "unknown", "no such plan", nil)
	}
	price, ok := priceFor(plan, in.Cycle)
	if !ok {
		return RefundView{}, fieldErr(op, order.CodeOrderInvalid, errs.Invalid, "body.cycle", "not_offered", "not sold in this cycle", nil)
	}
	if price > r.AmountFen {
		return RefundView{}, fieldErr(op, CodeSwapPriceAbove, errs.Invalid, "body.plan_id", "price_above_paid",
			"a swap is to a machine priced at no more than what was paid", map[string]any{"paid_fen": r.AmountFen, "price_fen": price, "clause": "3.1"})
	}
	req := CheckoutRequest{Lines: []LineRequest{{ProductID: in.ProductID, PlanID: in.PlanID, Cycle: in.Cycle, Quantity: 1}}, Agreement: in.Agreement}
	newOrder, err := a.checkout(ctx, p, r.AccountID, req, Idem{}, checkoutOpts{purpose: PurposeNew, swappedFrom: r.OrderID})
	if err != nil {
		return RefundView{}, err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		cur, err := store.RefundGet(ctx, tx, refundID)
		if err != nil {
			return err
		}
		if cur.State != RefundSwapPending {
			return errs.E(errs.Op(op), errs.Conflict, CodeRefundBadState, "the swap was completed meanwhile", map[string]any{"state": cur.State})
		}
		next := cur
		if err := a.refundOrder(ctx, tx, cur, next, order.StateSwapped); err != nil {
			return err
		}
		no, err := store.OrderGet(ctx, tx, newOrder.ID)
		if err != nil {
			return err
		}
		if no.TotalFen > 0 {
			if err := a.payFromBalance(ctx, tx, &no, no.TotalFen); err != nil {
				return err
			}
		}
		if err := a.markPaid(ctx, tx, no); err != nil {
			return err
		}
		next.State, next.PaidAt, next.UpdatedAt = RefundSwapped, tx.Now, tx.Now
		if ok, err := tx.RefundUpdate(ctx, next, cur.State, cur.UpdatedAt); err != nil || !ok {
			return conflictOr(err)
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "refund.swapped", SubjectType: "refund", SubjectID: cur.ID, Data: map[string]any{
			"order": cur.OrderID, "replacement": no.ID, "paid_fen": cur.AmountFen, "price_fen": no.TotalFen, "remainder_fen": cur.AmountFen - no.TotalFen}})
	})
	if err != nil {
		return RefundView{}, err
	}
	return a.Refund(ctx, p, refundID)
}
