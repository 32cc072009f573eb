package app

import (
	"context"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/store"
)

// What the web pages and API of the gateways (issue 10) need beyond the
// gateway use cases themselves: finance's filtered list of attempts, a
// reconciliation run on behalf of a staff member, and the attempt a
// gateway's browser return names.

// CodeReconDayInvalid refuses a reconciliation of a day whose bill cannot
// exist yet.
const CodeReconDayInvalid = "payment.recon_day_invalid"

// AttemptQuery filters finance's list of attempts; empty fields match all.
type AttemptQuery struct {
	State, Gateway, Purpose string
}

// FinanceAttempts lists every customer's gateway attempts, newest first,
// at most 200 (finance.reconcile).
func (a *App) FinanceAttempts(ctx context.Context, p account.Principal, q AttemptQuery) ([]AttemptView, error) {
	if err := a.Authorize(ctx, p, "finance.reconcile", account.Object{Type: "gateway_attempt"}); err != nil {
		return nil, err
	}
	rows, err := store.Attempts(ctx, a.db, store.AttemptFilter{State: q.State, Gateway: q.Gateway, Purpose: q.Purpose, Limit: 200})
	if err != nil {
		return nil, err
	}
	out := make([]AttemptView, 0, len(rows))
	for _, r := range rows {
		out = append(out, attemptView(r))
	}
	return out, nil
}

// ReconcileAs runs Reconcile for one China day on behalf of p
// (finance.reconcile): the scheduled sweep does the same for yesterday. A
// day after today (China time) is payment.recon_day_invalid; the gateway
// failing to serve its bill is payment.gateway_failed (503).
func (a *App) ReconcileAs(ctx context.Context, p account.Principal, gateway string, day time.Time) ([]ReconDiffView, error) {
	const op = "app.ReconcileAs"
	if err := a.Authorize(ctx, p, "finance.reconcile", account.Object{Type: "recon"}); err != nil {
		return nil, err
	}
	if _, _, err := a.gatewayAccount(gateway); err != nil {
		return nil, err
	}
	if payment.BillDate(day) > payment.BillDate(a.Now()) {
		return nil, fieldErr(op, CodeReconDayInvalid, errs.Invalid, "body.day", "not_future", "there is no bill of a future day",
			map[string]any{"today": payment.BillDate(a.Now())})
	}
	diffs, err := a.Reconcile(ctx, gateway, day)
	if err != nil && errs.KindOf(err) == errs.Internal {
		return nil, errs.E(errs.Op(op), errs.Unavailable, CodeGatewayFailed, "the gateway's bill could not be reconciled; try again", err)
	}
	return diffs, err
}

// AttemptByRef reads the attempt with payment reference ref for p: its
// customer (wallet.read, or the order's order.read for an order's
// attempt), or finance. Another tenant's, or none, is
// payment_attempt.not_found.
func (a *App) AttemptByRef(ctx context.Context, p account.Principal, ref string) (AttemptView, error) {
	r, err := store.AttemptByRef(ctx, a.db, ref)
	if store.IsNotFound(err) {
		return AttemptView{}, errNotFound("payment_attempt")
	}
	if err != nil {
		return AttemptView{}, err
	}
	if r.OrderID != "" && p.Kind != account.KindStaff {
		if _, err := a.loadOrder(ctx, a.db, p, r.OrderID, "order.read", "account.read_any"); err == nil {
			return attemptView(r), nil
		}
	}
	if err := a.authorizeCustomerObject(ctx, p, "wallet.read", "finance.reconcile", "payment_attempt", r.AccountID); err != nil {
		return AttemptView{}, err
	}
	return attemptView(r), nil
}
