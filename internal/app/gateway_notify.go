package app

import (
	"context"
	"errors"
	"net/http"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/money"
	"yuanxu/internal/order"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// Flag kinds raised for finance.
const (
	FlagBadSignature   = "bad_signature"
	FlagMalformed      = "malformed"
	FlagUnknownAttempt = "unknown_attempt"
	FlagWrongMerchant  = "wrong_merchant"
	FlagAmountMismatch = "amount_mismatch"
	FlagLatePayment    = "late_payment"
)

// ServeGatewayNotification handles a notification posted to
// /callbacks/<gateway> and answers in the gateway's own format: success
// once it is processed (or known to need nothing: a duplicate, an unknown
// or mismatched attempt, which are flagged for finance and never
// credited), failure when the signature or the body is bad or our side
// failed, so that the gateway retries.
func (a *App) ServeGatewayNotification(w http.ResponseWriter, r *http.Request, gateway string) {
	acc, _, err := a.gatewayAccount(gateway)
	if err != nil {
		http.NotFound(w, r)
		return
	}
	ctx := WithActor(r.Context(), Actor{ID: "gateway:" + gateway, ClientIP: ActorFrom(r.Context()).ClientIP, RequestID: ActorFrom(r.Context()).RequestID})
	n, err := acc.Client.ParseNotification(r)
	if err != nil {
		kind := FlagMalformed
		if errors.Is(err, payment.ErrBadSignature) {
			kind = FlagBadSignature
		}
		a.log.WarnContext(ctx, "payment: notification refused", "gateway", gateway, "reason", kind, "err", err)
		if ferr := a.flag(ctx, gateway, "", "", kind, err.Error(), 0); ferr != nil {
			a.log.ErrorContext(ctx, "payment: flagging", "err", ferr)
		}
		acc.Client.Ack(w, false)
		return
	}
	if err := a.processNotification(ctx, gateway, acc, n); err != nil {
		a.log.ErrorContext(ctx, "payment: processing a notification", "gateway", gateway, "ref", n.Ref, "err", err)
		acc.Client.Ack(w, false)
		return
	}
	acc.Client.Ack(w, true)
}

// flag raises a finance flag in its own transaction.
func (a *App) flag(ctx context.Context, gateway, ref, attemptID, kind, detail string, amount int64) error {
	if len(detail) > 500 {
		detail = detail[:500]
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.flagTx(ctx, tx, gateway, ref, attemptID, kind, detail, amount)
	})
}

func (a *App) flagTx(ctx context.Context, tx *store.Tx, gateway, ref, attemptID, kind, detail string, amount int64) error {
	f := store.FlagRow{ID: id.NewAt(tx.Now), Gateway: gateway, Ref: ref, AttemptID: attemptID, Kind: kind, Detail: detail, AmountFen: amount, CreatedAt: tx.Now}
	if err := tx.FlagInsert(ctx, f); err != nil {
		return err
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "payment.flagged", SubjectType: "payment_flag", SubjectID: f.ID,
		Data: map[string]any{"gateway": gateway, "ref": ref, "kind": kind, "amount_fen": amount}})
}

// processNotification acts on a verified notification (or a query's
// answer): a payment, a closed trade, or a refund. A conditional update
// that lost a race (another instance processing a copy of the same
// notification, or its "closed" twin, at the same moment) is retried from
// a fresh read a few times here rather than answered with a 5xx that the
// gateway would only retry minutes later (found by the multi-instance
// harness, issue 18).
func (a *App) processNotification(ctx context.Context, gateway string, acc GatewayAccount, n payment.Notification) error {
	var err error
	for range 4 {
		if err = a.processNotificationOnce(ctx, gateway, acc, n); !errors.Is(err, errs.ErrConflict) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (a *App) processNotificationOnce(ctx context.Context, gateway string, acc GatewayAccount, n payment.Notification) error {
	if n.Kind == payment.NotifyRefund {
		return a.processRefundNotice(ctx, gateway, n)
	}
	switch {
	case n.Status.WasPaid() || n.Status == payment.StatusPaid:
		return a.processPaid(ctx, gateway, acc, n.Payment)
	case n.Status == payment.StatusClosed || n.Status == payment.StatusFailed:
		return a.processClosed(ctx, gateway, n.Payment)
	}
	return nil // pending: nothing yet
}

// processPaid credits a paid attempt exactly once.
func (a *App) processPaid(ctx context.Context, gateway string, acc GatewayAccount, pm payment.Payment) error {
	at, err := store.AttemptByRef(ctx, a.db, pm.Ref)
	if store.IsNotFound(err) || err == nil && at.Gateway != gateway {
		return a.flag(ctx, gateway, pm.Ref, "", FlagUnknownAttempt, "a paid notification for no attempt of ours", int64(pm.Amount))
	}
	if err != nil {
		return err
	}
	switch {
	case acc.AppID != "" && pm.AppID != "" && pm.AppID != acc.AppID, acc.MerchantID != "" && pm.MerchantID != "" && pm.MerchantID != acc.MerchantID:
		return a.flag(ctx, gateway, pm.Ref, at.ID, FlagWrongMerchant, "app "+pm.AppID+", merchant "+pm.MerchantID, int64(pm.Amount))
	case int64(pm.Amount) != at.AmountFen || pm.Currency != "" && pm.Currency != "CNY":
		return a.flag(ctx, gateway, pm.Ref, at.ID, FlagAmountMismatch,
			"notified "+money.Fen(pm.Amount).Yuan()+" "+pm.Currency+", attempt "+money.Fen(at.AmountFen).Yuan()+" CNY", int64(pm.Amount))
	}
	tradeNo := pm.GatewayTradeNo
	if tradeNo == "" {
		tradeNo = pm.Ref
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		first, err := tx.GatewayEventClaim(ctx, gateway, tradeNo, "paid", at.ID)
		if err != nil || !first {
			return err // processed before: by a replay, another instance or the query sweep
		}
		cur, err := store.AttemptGet(ctx, tx, at.ID)
		if err != nil {
			return err
		}
		if cur.State == AttemptSucceeded {
			return nil
		}
		next := cur
		next.State, next.GatewayTradeNo, next.SettledAt, next.UpdatedAt = AttemptSucceeded, pm.GatewayTradeNo, tx.Now, tx.Now
		late := cur.State != AttemptPending && cur.State != AttemptCreating
		var ord store.OrderRow
		if cur.Purpose == "order" && !late {
			if ord, err = store.OrderGet(ctx, tx, cur.OrderID); err != nil {
				return err
			}
			late = order.State(ord.State) != order.StateCreated
		}
		switch {
		case cur.Purpose == "topup" || late:
			t, err := wallet.TopUp(wallet.TopUpParams{Customer: cur.AccountID, Provider: gateway, Amount: money.Fen(cur.AmountFen), PaymentID: cur.ID})
			if err != nil {
				return err
			}
			if next.LedgerTxnID, err = a.post(ctx, tx, t); err != nil {
				return err
			}
			if late {
				// Paid after the order expired or was cancelled: the money is
				// the customer's, as withdrawable cash; finance is told.
				if err := a.flagTx(ctx, tx, gateway, cur.Ref, cur.ID, FlagLatePayment, "paid after its order ended; credited to cash", cur.AmountFen); err != nil {
					return err
				}
				if cur.PaymentID != "" {
					if _, err := tx.PaymentSettle(ctx, cur.PaymentID, PaymentCancelled, "", tx.Now); err != nil {
						return err
					}
				}
			}
		default:
			t, err := wallet.Capture(gateway, money.Fen(cur.AmountFen), cur.PaymentID, ord.ID)
			if err != nil {
				return err
			}
			if next.LedgerTxnID, err = a.post(ctx, tx, t); err != nil {
				return err
			}
			if _, err := tx.PaymentSettle(ctx, cur.PaymentID, PaymentSucceeded, next.LedgerTxnID, tx.Now); err != nil {
				return err
			}
			ord.PaidFen += cur.AmountFen
			if ord.PaidFen == ord.TotalFen {
				if err := a.markPaid(ctx, tx, ord); err != nil {
					return err
				}
			} else if ok, err := tx.OrderUpdate(ctx, withState(ord, domainOrder(ord), tx.Now), string(order.StateCreated)); err != nil || !ok {
				return conflictOr(err)
			}
		}
		if ok, err := tx.AttemptUpdate(ctx, next, cur.State); err != nil || !ok {
			return conflictOr(err)
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "payment.succeeded", SubjectType: "gateway_attempt", SubjectID: cur.ID, Data: map[string]any{
			"gateway": gateway, "ref": cur.Ref, "trade_no": pm.GatewayTradeNo, "amount_fen": cur.AmountFen, "purpose": cur.Purpose,
			"order": cur.OrderID, "late": late, "txn": next.LedgerTxnID}})
	})
}

// processClosed closes a pending attempt the gateway closed unpaid; the
// order stays open to be paid another way. A closed trade that was paid
// before (out of order) changes nothing.
func (a *App) processClosed(ctx context.Context, gateway string, pm payment.Payment) error {
	at, err := store.AttemptByRef(ctx, a.db, pm.Ref)
	if store.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		cur, err := store.AttemptGet(ctx, tx, at.ID)
		if err != nil || (cur.State != AttemptPending && cur.State != AttemptCreating) {
			return err
		}
		next := cur
		next.State, next.UpdatedAt = AttemptClosed, tx.Now
		if ok, err := tx.AttemptUpdate(ctx, next, cur.State); err != nil || !ok {
			return conflictOr(err)
		}
		if cur.PaymentID != "" {
			if _, err := tx.PaymentSettle(ctx, cur.PaymentID, PaymentCancelled, "", tx.Now); err != nil {
				return err
			}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "payment.attempt_closed", SubjectType: "gateway_attempt", SubjectID: cur.ID,
			Data: map[string]any{"gateway": gateway, "ref": cur.Ref}})
	})
}

// paymentQuerySweep asks the gateways about attempts still pending after
// two minutes (a lost notification must not lose a payment), at most once
// a minute each; attempts long past their expiry are closed.
func (a *App) paymentQuerySweep(ctx context.Context, now time.Time) (int64, error) {
	if len(a.Gateways()) == 0 {
		return 0, nil
	}
	rows, err := store.Attempts(ctx, a.db, store.AttemptFilter{State: AttemptPending, CreatedBefore: now.Add(-2 * time.Minute), Limit: 100, Oldest: true})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, at := range rows {
		if !at.CheckedAt.IsZero() && now.Sub(at.CheckedAt) < time.Minute {
			continue
		}
		acc, _, err := a.gatewayAccount(at.Gateway)
		if err != nil {
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		pm, qerr := acc.Client.QueryPayment(qctx, at.Ref)
		cancel()
		switch {
		case qerr == nil && pm.Status.WasPaid():
			if err := a.processPaid(ctx, at.Gateway, acc, pm); err != nil {
				return n, err
			}
			n++
			continue
		case qerr == nil && (pm.Status == payment.StatusClosed || pm.Status == payment.StatusFailed),
			errors.Is(qerr, payment.ErrNotFound) && now.After(at.ExpiresAt.Add(10*time.Minute)):
			if err := a.processClosed(ctx, at.Gateway, payment.Payment{Ref: at.Ref}); err != nil {
				return n, err
			}
			n++
			continue
		case qerr != nil:
			a.log.WarnContext(ctx, "payment: querying an attempt", "gateway", at.Gateway, "ref", at.Ref, "err", qerr)
		}
		_ = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			next := at
			next.CheckedAt = now
			_, err := tx.AttemptUpdate(ctx, next, at.State)
			return err
		})
	}
	return n, nil
}

var _ = errs.ErrNotFound
