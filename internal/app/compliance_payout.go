package app

import (
	"context"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/store"
)

// Payout holds: a gateway payout not yet sent — a refund paid back to its
// original route (Alipay, WeChat Pay) or a withdrawal to the top-ups it
// came from — waits while an authority order holds its account (clause
// 4.2; the same rule refuseIfHeld applies to withdrawals and pay-backs)
// or while the account is banned (clauses 3.2.4, 4.3). A held payout is
// neither failed nor lost: the gateway refund stays requested (its refund
// or withdrawal stays paying), its last_error says why, the first hold of
// each kind is audited payment.payout_held with the clause, and the sweep
// sends it once the hold ends — at once when the authority hold is lifted
// or a final ban ends the account (releaseHeldPayouts), within the hour
// when a ban is overturned. A
// payout already sent to the gateway (processing) cannot be called back
// and settles as usual.

// The last_error of a gateway refund a hold keeps back.
const (
	payoutHeldMark          = "held: the account is banned (clauses 3.2.4, 4.3)"
	payoutHeldAuthorityMark = "held: an authority order holds the account (clause 4.2)"
)

// Why a payout is held (RefundView.PayoutHeld).
const (
	PayoutHeldAuthority = "authority_hold"
	PayoutHeldBan       = "ban"
)

// payoutHeldWhy maps a hold mark to its reason and clause.
var payoutHeldWhy = map[string][2]string{
	payoutHeldAuthorityMark: {PayoutHeldAuthority, "4.2"},
	payoutHeldMark:          {PayoutHeldBan, "3.2.4, 4.3"},
}

// payoutAccount is the account a gateway payout pays back: its refund's or
// its withdrawal's; "" for any other purpose.
func payoutAccount(ctx context.Context, q store.Querier, r store.GatewayRefundRow) (string, error) {
	switch r.Purpose {
	case "refund":
		rf, err := store.RefundGet(ctx, q, r.LinkID)
		return rf.AccountID, err
	case "withdrawal":
		w, err := store.WithdrawalGet(ctx, q, r.LinkID)
		return w.AccountID, err
	}
	return "", nil
}

// holdPayout holds the gateway payout r (requested, not yet sent) while an
// authority hold is in force on its account or the account is banned:
// held=true means do not send it now. It is tried again in an hour (or at
// once when the authority hold is lifted); the first hold of each kind is
// audited payment.payout_held.
func (a *App) holdPayout(ctx context.Context, r store.GatewayRefundRow, now time.Time) (held bool, err error) {
	accountID, err := payoutAccount(ctx, a.db, r)
	if err != nil || accountID == "" {
		return false, err
	}
	mark, data := "", map[string]any{"gateway_refund": r.ID, "account": accountID, "amount_fen": r.AmountFen}
	hs, err := store.Holds(ctx, a.db, accountID, true)
	if err != nil {
		return false, err
	}
	if len(hs) > 0 {
		mark, data["clause"], data["hold"], data["by"] = payoutHeldAuthorityMark, "4.2", hs[0].ID, PayoutHeldAuthority
	} else {
		l, err := a.readAccount(ctx, accountID)
		if err != nil || l.effective.Banned == nil || l.row.State == string(account.StateClosed) {
			// A ban holds a payout until it is final: the account then ends
			// and what it is owed is paid back (endAccountAfterBan).
			return false, err
		}
		mark, data["clause"], data["by"] = payoutHeldMark, "4.3", PayoutHeldBan
	}
	return true, a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		// Only over the row as read: a release (a lifted authority hold, a
		// final ban) committed since clears the mark, and is not undone.
		if ok, err := tx.GatewayRefundHold(ctx, r.ID, r.State, r.Tries, r.LastError, now.Add(time.Hour), mark); err != nil || !ok {
			return err
		}
		if r.LastError == mark {
			return nil
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "payment.payout_held", SubjectType: r.Purpose, SubjectID: r.LinkID, Data: data})
	})
}

// releaseHeldPayouts makes the payouts of accountID held back under mark
// due now (their mark cleared, so that a later hold is audited again),
// unless an authority hold on the account is still in force; it returns
// how many it released. It runs in LiftHold's transaction (the authority
// mark) and in endAccountAfterBan's (the ban mark: a final ban pays back
// what the account is owed, and nothing is forfeited). The next gateway
// refund sweep sends them, each exactly once (the refund's state and
// reference guard the send and the settlement).
func releaseHeldPayouts(ctx context.Context, tx *store.Tx, accountID, mark string) (int, error) {
	if hs, err := store.Holds(ctx, tx, accountID, true); err != nil || len(hs) > 0 {
		return 0, err
	}
	rs, err := store.HeldGatewayRefunds(ctx, tx, store.HeldRefundFilter{Marks: []string{mark}})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rs {
		if acc, err := payoutAccount(ctx, tx, r); err != nil || acc != accountID {
			if err != nil {
				return n, err
			}
			continue
		}
		next := r
		next.NextTryAt, next.LastError = tx.Now, ""
		ok, err := tx.GatewayRefundUpdate(ctx, next, r.State, r.Tries)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// payoutHeld says why a paying refund's payout to the original route is
// held ("" when it is not) and the clause.
func payoutHeld(ctx context.Context, q store.Querier, refundID string) (why, clause string, err error) {
	rs, err := store.HeldGatewayRefunds(ctx, q, store.HeldRefundFilter{Marks: []string{payoutHeldAuthorityMark, payoutHeldMark},
		Purpose: "refund", LinkID: refundID})
	if err != nil || len(rs) == 0 {
		return "", "", err
	}
	w := payoutHeldWhy[rs[0].LastError]
	return w[0], w[1], nil
}
