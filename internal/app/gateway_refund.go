package app

import (
	"context"
	"errors"
	"sort"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// Gateway refunds (issue 10 item 4): money back to its original route —
// a withdrawal of cash to the top-ups it came from (and, with the refunds
// capability, an order's refund to the payments that paid it). Each part
// is one refund of one trade with its own reference, sent by a sweep,
// retried with back-off, and settled exactly once when the gateway's
// answer, notification or query says it succeeded. Reconciliation against
// the gateways' bills runs daily.

// Gateway refund states.
const (
	RefundRequested  = "requested"
	RefundProcessing = "processing"
	RefundSucceeded  = "succeeded"
	RefundFailed     = "failed"
)

// WithdrawalPaying is a withdrawal whose gateway refunds are on their way.
const WithdrawalPaying = "paying"

// maxRefundTries bounds the retries of one refund before finance is told.
const maxRefundTries = 8

// routeParts allocates amount over the customer's succeeded top-ups with
// something left to refund, the oldest first. ok=false when they cannot
// cover it all.
func routeParts(ctx context.Context, q store.Querier, accountID string, amount int64) ([]store.AttemptRow, []int64, bool, error) {
	ats, err := store.RefundableTopUps(ctx, q, accountID, amount)
	if err != nil {
		return nil, nil, false, err
	}
	var parts []int64
	var used []store.AttemptRow
	left := amount
	for _, at := range ats {
		if left == 0 {
			break
		}
		take := min(at.FreeFen, left)
		used, parts = append(used, at.AttemptRow), append(parts, take)
		left -= take
	}
	return used, parts, left == 0, nil
}

// PayWithdrawalToRoute sends an approved withdrawal back to the gateway
// top-ups its cash came from (finance.payout): one refund per top-up part.
// Cash that no gateway top-up covers (demo credit, adjustments) goes by a
// recorded bank transfer instead (DecideWithdrawal "paid").
func (a *App) PayWithdrawalToRoute(ctx context.Context, p account.Principal, withdrawalID string) (WithdrawalView, error) {
	const op = "app.PayWithdrawalToRoute"
	if err := a.Authorize(ctx, p, "finance.payout", account.Object{Type: "withdrawal"}); err != nil {
		return WithdrawalView{}, err
	}
	var out store.WithdrawalRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		w, err := store.WithdrawalGet(ctx, tx, withdrawalID)
		if store.IsNotFound(err) {
			return errNotFound("withdrawal")
		}
		if err != nil {
			return err
		}
		if w.State != WithdrawalApproved || w.Kind != WithdrawalKindRequest {
			return errs.E(errs.Op(op), errs.Conflict, CodeWithdrawalState, "only an approved withdrawal is paid", map[string]any{"state": w.State})
		}
		if err := refuseIfHeld(ctx, tx, w.AccountID); err != nil { // an authority order stops the payout (issue 16)
			return err
		}
		ats, parts, ok, err := routeParts(ctx, tx, w.AccountID, w.AmountFen)
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Op(op), errs.Conflict, "withdrawal.no_gateway_route",
				"the customer's gateway top-ups do not cover this amount: pay it by bank transfer", map[string]any{"amount_fen": w.AmountFen})
		}
		for i, at := range ats {
			r := store.GatewayRefundRow{ID: id.NewAt(tx.Now), RefundRef: payment.NewRef(), AttemptID: at.ID, Gateway: at.Gateway, AmountFen: parts[i],
				Purpose: "withdrawal", LinkID: w.ID, State: RefundRequested, NextTryAt: tx.Now, CreatedAt: tx.Now}
			if err := tx.GatewayRefundInsert(ctx, r); err != nil {
				return err
			}
		}
		next := w
		next.State, next.Route, next.PaidBy, next.UpdatedAt = WithdrawalPaying, "gateway", p.AccountID, tx.Now
		if ok, err := tx.WithdrawalUpdate(ctx, next, w.State, w.UpdatedAt); err != nil || !ok {
			return conflictOr(err)
		}
		out = next
		return a.Audit(ctx, tx, AuditEntry{Action: "withdrawal.paying", SubjectType: "withdrawal", SubjectID: w.ID,
			Data: map[string]any{"parts": len(ats), "amount_fen": w.AmountFen}})
	})
	if err != nil {
		return WithdrawalView{}, err
	}
	if _, err := a.gatewayRefundSweep(ctx, a.Now()); err != nil {
		a.log.WarnContext(ctx, "payment: sending refunds", "err", err)
	}
	w, err := store.WithdrawalGet(ctx, a.db, withdrawalID)
	if err != nil {
		w = out
	}
	dual, err := a.dualControlFen(ctx, w.AccountID)
	if err != nil {
		return WithdrawalView{}, err
	}
	return a.withdrawalView(w, dual), nil
}

// gatewayRefundSweep sends due refunds and checks those processing.
func (a *App) gatewayRefundSweep(ctx context.Context, now time.Time) (int64, error) {
	rows, err := store.GatewayRefunds(ctx, a.db, now, 50)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, r := range rows {
		at, err := store.AttemptGet(ctx, a.db, r.AttemptID)
		if err != nil {
			return n, err
		}
		acc, cfg, err := a.gatewayAccount(r.Gateway)
		if err != nil {
			continue
		}
		if r.State == RefundRequested {
			// An authority hold (clause 4.2) or a ban (clauses 3.2.4, 4.3)
			// after the approval keeps the payout back (compliance_payout.go).
			if held, err := a.holdPayout(ctx, r, now); err != nil || held {
				if err != nil {
					return n, err
				}
				continue
			}
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		var res payment.Refund
		var rerr error
		if r.State == RefundRequested {
			res, rerr = acc.Client.Refund(rctx, payment.RefundRequest{Ref: at.Ref, RefundRef: r.RefundRef, Amount: money.Fen(r.AmountFen),
				Total: money.Fen(at.AmountFen), Reason: "退款 / refund", NotifyURL: cfg.NotifyBase + "/callbacks/" + r.Gateway})
		} else {
			res, rerr = acc.Client.QueryRefund(rctx, at.Ref, r.RefundRef)
		}
		cancel()
		switch {
		case rerr == nil && res.Status == payment.RefundSucceeded:
			if err := a.settleGatewayRefund(ctx, r.RefundRef, res.GatewayRefundNo); err != nil {
				return n, err
			}
			n++
			continue
		case rerr == nil && res.Status == payment.RefundFailed:
			rerr = errors.New("the gateway refused the refund")
		}
		next := r
		next.Tries++
		switch {
		case rerr == nil: // processing
			next.State, next.NextTryAt, next.GatewayRefundNo = RefundProcessing, now.Add(time.Minute), res.GatewayRefundNo
		case next.Tries >= maxRefundTries:
			next.State, next.LastError = RefundFailed, rerr.Error()
		default:
			next.LastError, next.NextTryAt = rerr.Error(), now.Add(time.Duration(1<<min(next.Tries, 10))*time.Minute)
			var ge *payment.GatewayError
			if r.State == RefundRequested && errors.As(rerr, &ge) && ge.Temporary {
				// The refund may have happened: ask before sending again (the
				// reference makes a resend idempotent at the gateway anyway).
				next.State = RefundProcessing
			}
		}
		err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			ok, err := tx.GatewayRefundUpdate(ctx, next, r.State, r.Tries)
			if err != nil || !ok {
				return err
			}
			if next.State == RefundFailed {
				if err := a.flagTx(ctx, tx, r.Gateway, at.Ref, at.ID, "refund_failed", next.LastError, r.AmountFen); err != nil {
					return err
				}
				return a.failWithdrawalPayment(ctx, tx, r)
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// failWithdrawalPayment puts a withdrawal whose gateway refund failed for
// good back to approved, for finance to pay otherwise.
func (a *App) failWithdrawalPayment(ctx context.Context, tx *store.Tx, r store.GatewayRefundRow) error {
	if r.Purpose != "withdrawal" {
		return nil
	}
	w, err := store.WithdrawalGet(ctx, tx, r.LinkID)
	if err != nil || w.State != WithdrawalPaying {
		return err
	}
	next := w
	next.State, next.UpdatedAt = WithdrawalApproved, tx.Now
	_, err = tx.WithdrawalUpdate(ctx, next, w.State, w.UpdatedAt)
	return err
}

// settleGatewayRefund records a refund's success exactly once: the payout
// on the ledger, the attempt's refunded amount, and the withdrawal paid
// when its last part succeeds.
func (a *App) settleGatewayRefund(ctx context.Context, refundRef, gatewayRefundNo string) error {
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.GatewayRefundByRef(ctx, tx, refundRef)
		if err != nil {
			return err
		}
		if r.State == RefundSucceeded {
			return nil
		}
		at, err := store.AttemptGet(ctx, tx, r.AttemptID)
		if err != nil {
			return err
		}
		first, err := tx.GatewayEventClaim(ctx, r.Gateway, at.GatewayTradeNo+"/"+at.Ref, "refund:"+refundRef, at.ID)
		if err != nil || !first {
			return err
		}
		next := r
		next.State, next.SettledAt, next.GatewayRefundNo = RefundSucceeded, tx.Now, gatewayRefundNo
		if ok, err := tx.GatewayRefundUpdate(ctx, next, r.State, r.Tries); err != nil || !ok {
			return conflictOr(err)
		}
		nat := at
		nat.RefundedFen += r.AmountFen
		nat.UpdatedAt = tx.Now
		if ok, err := tx.AttemptUpdate(ctx, nat, at.State); err != nil || !ok {
			return conflictOr(err)
		}
		from := wallet.WithdrawalsPayable
		if r.Purpose == "refund" {
			from = wallet.RefundsPayable
		}
		t, err := wallet.Payout(wallet.PayoutParams{From: from, Provider: r.Gateway, Amount: money.Fen(r.AmountFen),
			Links: map[string]string{r.Purpose: r.LinkID, wallet.LinkPayment: at.ID}})
		if err != nil {
			return err
		}
		txnID, err := a.post(ctx, tx, t)
		if err != nil {
			return err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "payment.refunded", SubjectType: "gateway_attempt", SubjectID: at.ID, Data: map[string]any{
			"refund_ref": refundRef, "amount_fen": r.AmountFen, "purpose": r.Purpose, "link": r.LinkID, "txn": txnID}}); err != nil {
			return err
		}
		if r.Purpose == "withdrawal" {
			return a.completeWithdrawalIfPaid(ctx, tx, r.LinkID)
		}
		return a.completeRefundIfPaid(ctx, tx, r.LinkID)
	})
}

func (a *App) completeWithdrawalIfPaid(ctx context.Context, tx *store.Tx, withdrawalID string) error {
	var open int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM gateway_refund WHERE purpose = 'withdrawal' AND link_id = $1 AND state <> 'succeeded'`,
		withdrawalID).Scan(&open); err != nil || open > 0 {
		return err
	}
	w, err := store.WithdrawalGet(ctx, tx, withdrawalID)
	if err != nil || w.State != WithdrawalPaying {
		return err
	}
	next := w
	next.State, next.PaidAt, next.TransferRef, next.UpdatedAt = WithdrawalPaid, tx.Now, "gateway refunds", tx.Now
	if ok, err := tx.WithdrawalUpdate(ctx, next, w.State, w.UpdatedAt); err != nil || !ok {
		return conflictOr(err)
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "withdrawal.paid", SubjectType: "withdrawal", SubjectID: w.ID,
		Data: map[string]any{"route": "gateway", "amount_fen": w.AmountFen}})
}

// processRefundNotice settles a refund a gateway notified as succeeded.
func (a *App) processRefundNotice(ctx context.Context, gateway string, n payment.Notification) error {
	if n.RefundRef == "" {
		return nil // Alipay reports refunds on the trade; the sweep asks for each refund
	}
	r, err := store.GatewayRefundByRef(ctx, a.db, n.RefundRef)
	if store.IsNotFound(err) {
		return a.flag(ctx, gateway, n.Ref, "", FlagUnknownAttempt, "a refund notification for no refund of ours: "+n.RefundRef, int64(n.Refunded))
	}
	if err != nil || n.RefundStatus != payment.RefundSucceeded {
		return err
	}
	return a.settleGatewayRefund(ctx, r.RefundRef, n.GatewayRefundNo)
}

// reconcileSweep compares, for each gateway, yesterday's bill (China
// time) with our succeeded attempts and refunds of that day, once a day,
// and lists the differences for finance (each also a flag).
func (a *App) reconcileSweep(ctx context.Context, now time.Time) (int64, error) {
	day := now.In(payment.China).AddDate(0, 0, -1)
	var n int64
	for _, gw := range a.Gateways() {
		done, err := store.ReconRan(ctx, a.db, payment.BillDate(day), gw)
		if err != nil || done {
			if err != nil {
				return n, err
			}
			continue
		}
		diffs, err := a.Reconcile(ctx, gw, day)
		if err != nil {
			a.log.WarnContext(ctx, "payment: reconciliation", "gateway", gw, "day", payment.BillDate(day), "err", err)
			continue
		}
		n += int64(len(diffs))
	}
	return n, nil
}

// ReconDiffView is one reconciliation difference.
type ReconDiffView = store.ReconDiffRow

// Reconcile compares one day's bill of gateway with our records and stores
// the differences (replacing an earlier run of that day).
func (a *App) Reconcile(ctx context.Context, gateway string, day time.Time) ([]ReconDiffView, error) {
	acc, _, err := a.gatewayAccount(gateway)
	if err != nil {
		return nil, err
	}
	bill, err := acc.Client.Bill(ctx, day)
	if err != nil {
		return nil, err
	}
	d0 := time.Date(day.In(payment.China).Year(), day.In(payment.China).Month(), day.In(payment.China).Day(), 0, 0, 0, 0, payment.China)
	ours, err := store.Attempts(ctx, a.db, store.AttemptFilter{Gateway: gateway, State: AttemptSucceeded, SettledFrom: d0, SettledUntil: d0.AddDate(0, 0, 1), Limit: 100000})
	if err != nil {
		return nil, err
	}
	type key struct{ entry, ref string }
	mine := map[key]int64{}
	for _, at := range ours {
		mine[key{"payment", at.Ref}] = at.AmountFen
	}
	refunds, err := store.GatewayRefunds(ctx, a.db, time.Time{}, 100000)
	if err != nil {
		return nil, err
	}
	for _, r := range refunds {
		if r.Gateway == gateway && r.State == RefundSucceeded && !r.SettledAt.Before(d0) && r.SettledAt.Before(d0.AddDate(0, 0, 1)) {
			mine[key{"refund", r.RefundRef}] = r.AmountFen
		}
	}
	theirs := map[key]int64{}
	for _, e := range bill {
		if e.Kind == payment.BillRefund {
			theirs[key{"refund", e.RefundRef}] += int64(e.Amount)
		} else {
			theirs[key{"payment", e.Ref}] += int64(e.Amount)
		}
	}
	var diffs []store.ReconDiffRow
	now := a.Now()
	for k, v := range theirs {
		ov, ok := mine[k]
		switch {
		case !ok:
			diffs = append(diffs, store.ReconDiffRow{ID: id.NewAt(now), Kind: "only_gateway", Ref: k.ref, Entry: k.entry, TheirsFen: v})
		case ov != v:
			diffs = append(diffs, store.ReconDiffRow{ID: id.NewAt(now), Kind: "amount_differs", Ref: k.ref, Entry: k.entry, OursFen: ov, TheirsFen: v})
		}
	}
	for k, v := range mine {
		if _, ok := theirs[k]; !ok {
			diffs = append(diffs, store.ReconDiffRow{ID: id.NewAt(now), Kind: "only_ours", Ref: k.ref, Entry: k.entry, OursFen: v})
		}
	}
	sort.Slice(diffs, func(i, j int) bool { return diffs[i].Ref < diffs[j].Ref })
	dayS := payment.BillDate(day)
	// A run again for the same day flags only differences not seen before.
	seen := map[string]bool{}
	if prev, err := store.ReconDiffs(ctx, a.db, 100000); err == nil {
		for _, d := range prev {
			if d.Day == dayS && d.Gateway == gateway {
				seen[d.Kind+"/"+d.Entry+"/"+d.Ref] = true
			}
		}
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.ReconRecord(ctx, dayS, gateway, len(bill), diffs); err != nil {
			return err
		}
		for _, d := range diffs {
			if seen[d.Kind+"/"+d.Entry+"/"+d.Ref] {
				continue
			}
			if err := a.flagTx(ctx, tx, gateway, d.Ref, "", "recon_"+d.Kind, dayS+" "+d.Entry, max(d.OursFen, d.TheirsFen)); err != nil {
				return err
			}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "payment.reconciled", SubjectType: "gateway", SubjectID: gateway,
			Data: map[string]any{"day": dayS, "entries": len(bill), "differences": len(diffs)}})
	})
	for i := range diffs {
		diffs[i].Day, diffs[i].Gateway = dayS, gateway
	}
	return diffs, err
}

// PaymentFlags lists finance flags (open only when openOnly), for
// finance.reconcile.
func (a *App) PaymentFlags(ctx context.Context, p account.Principal, openOnly bool) ([]store.FlagRow, error) {
	if err := a.Authorize(ctx, p, "finance.reconcile", account.Object{Type: "payment_flag"}); err != nil {
		return nil, err
	}
	return store.Flags(ctx, a.db, openOnly, 200)
}

// ResolveFlag closes a finance flag with a note (finance.reconcile).
func (a *App) ResolveFlag(ctx context.Context, p account.Principal, flagID, note string) error {
	if err := a.Authorize(ctx, p, "finance.reconcile", account.Object{Type: "payment_flag"}); err != nil {
		return err
	}
	if note == "" || len(note) > 500 {
		return fieldErr("app.ResolveFlag", "payment.flag_note_required", errs.Invalid, "body.note", "required", "say how it was resolved", nil)
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.FlagResolve(ctx, flagID, p.AccountID, note)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound("payment_flag")
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "payment.flag_resolved", SubjectType: "payment_flag", SubjectID: flagID, Data: map[string]any{"note": note}})
	})
}

// ReconDiffs lists reconciliation differences (finance.reconcile).
func (a *App) ReconDiffs(ctx context.Context, p account.Principal) ([]ReconDiffView, error) {
	if err := a.Authorize(ctx, p, "finance.reconcile", account.Object{Type: "recon"}); err != nil {
		return nil, err
	}
	return store.ReconDiffs(ctx, a.db, 200)
}
