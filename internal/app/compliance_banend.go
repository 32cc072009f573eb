package app

import (
	"context"
	"errors"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
	"yuanxu/internal/notify"
	"yuanxu/internal/store"
)

// The end of an account after a final decision upholding a ban (issue 16
// item 5; clauses 3.2.4, 4.3 and 6.2; DESIGN.md §3 "when an account
// ends"). A ban in force is final when the appeal against it was upheld,
// or when its appeal window (appeal.window_working_days from the first
// delivery of its notice by email or SMS) closed with no appeal filed; an
// appeal still open or under review, or a notice that reached no channel
// yet, keeps it from being final. Then the account is closed (its
// sessions end, retention of its KYC data starts) and its cash and refund
// credit — frozen by the ban — become closure pay-backs to their original
// routes (closeWallet), and the gateway payouts the ban kept back go out
// (releaseHeldPayouts): nothing is forfeited. While an authority order
// holds the account (refuseIfHeld) nothing is paid: the balance stays
// frozen, the hold is audited and shown on the measure (PaybackHeld), and
// the sweep compliance.ban_end pays it back once the hold is lifted.

// Why a ban is final.
const (
	banFinalUpheld = "upheld"
	banFinalLapsed = "window_lapsed"
)

// banFinal says whether the ban m (in force) is final at now, and why; ""
// while it is not.
func (a *App) banFinal(ctx context.Context, m store.ComplianceMeasureRow, now time.Time) (string, error) {
	if m.Kind != string(compliance.MeasureBan) || m.State != string(compliance.MeasureInForce) {
		return "", nil
	}
	aps, err := store.Appeals(ctx, a.db, store.AppealFilter{MeasureID: m.ID})
	if err != nil {
		return "", err
	}
	for _, ap := range aps {
		if ap.State == string(compliance.AppealUpheld) {
			return banFinalUpheld, nil
		}
	}
	if len(aps) > 0 { // open or under review: the customer is owed a decision
		return "", nil
	}
	_, dl, started, err := a.appealDeadline(ctx, m)
	if err != nil || !started || !dl.Passed(now) {
		return "", err
	}
	return banFinalLapsed, nil
}

// endAccountAfterBan ends the account of the final ban m in tx (why from
// banFinal) and pays its balance back unless an authority order holds it.
// It is idempotent: an account closed already only has a balance left to
// pay back once its hold is lifted. changed reports whether anything
// moved. The closure is audited account.closed (by "ban_final"), a held
// pay-back compliance.payback_held, the customer notified once, at the
// closure.
func (a *App) endAccountAfterBan(ctx context.Context, tx *store.Tx, m store.ComplianceMeasureRow, why string) (changed bool, err error) {
	l, err := loadAccount(ctx, tx, m.AccountID)
	if err != nil {
		return false, err
	}
	var held *errs.Error // the authority order refuseIfHeld names, if one
	if err := refuseIfHeld(ctx, tx, m.AccountID); err != nil && (!errors.As(err, &held) || held.Code != compliance.CodeHeld) {
		return false, err
	}
	if l.row.State != string(account.StateClosed) {
		n, err := endAccount(ctx, tx, l.row)
		if err != nil {
			return false, err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "account.closed", SubjectType: "account", SubjectID: m.AccountID,
			Data: map[string]any{"by": "ban_final", "measure": m.ID, "case": m.CaseID, "why": why, "sessions_ended": n, "clause": "6.2"}}); err != nil {
			return false, err
		}
		payback := "paid_back"
		if held != nil {
			payback = "held"
			if err := a.Audit(ctx, tx, AuditEntry{Action: "compliance.payback_held", SubjectType: "account", SubjectID: m.AccountID,
				Data: map[string]any{"measure": m.ID, "hold": held.Params, "clause": "4.2"}}); err != nil {
				return false, err
			}
		}
		if err := a.notifyAccountEnded(ctx, tx, m, why, payback); err != nil {
			return false, err
		}
		changed = true
	}
	if held != nil {
		return changed, nil // nothing is paid while the order holds it
	}
	// Payouts the ban kept back (refunds and withdrawals approved before
	// it) go out with the rest of what the account is owed: at once when
	// the account ends now. The sweep runs this again for every final ban
	// in force, so later runs leave them to the payout sweep, which no
	// longer holds a closed account's payouts (holdPayout): within the
	// hour of a lifted authority hold, without scanning every held payout
	// each time.
	released := 0
	if changed {
		if released, err = releaseHeldPayouts(ctx, tx, m.AccountID, payoutHeldMark); err != nil {
			return changed, err
		}
	}
	if released > 0 {
		changed = true
		if err := a.Audit(ctx, tx, AuditEntry{Action: "payment.payouts_released", SubjectType: "account", SubjectID: m.AccountID,
			Data: map[string]any{"by": "ban_final", "measure": m.ID, "why": why, "payouts_released": released, "clause": "6.2"}}); err != nil {
			return changed, err
		}
	}
	b, err := balancesOf(ctx, tx, m.AccountID)
	if err != nil {
		return changed, err
	}
	if b.Cash == 0 && b.RefundCredit == 0 && b.FrozenCash == 0 && b.FrozenRefundCredit == 0 {
		return changed, nil
	}
	return true, a.closeWallet(ctx, tx, m.AccountID)
}

// notifyAccountEnded tells the customer its account ended after the ban
// m (email, SMS and inbox), and whether the balance is paid back or held.
func (a *App) notifyAccountEnded(ctx context.Context, tx *store.Tx, m store.ComplianceMeasureRow, why, payback string) error {
	acc, err := store.AccountGet(ctx, tx, m.AccountID)
	if err != nil {
		return err
	}
	rec := notify.Recipient{AccountID: acc.ID}
	if rec.Email, err = a.open("account", "email", acc.ID, acc.EmailEnc); err != nil {
		return err
	}
	if rec.Phone, err = a.open("account", "phone", acc.ID, acc.PhoneEnc); err != nil {
		return err
	}
	_, err = a.Notify(ctx, tx, notify.Request{Event: notify.EventAccountEnded, Recipient: rec, Lang: langOf(acc.Lang),
		Vars: map[string]string{"measure_id": m.ID, "why": why, "payback": payback}, Subject: notify.Subject{Type: "compliance_measure", ID: m.ID}})
	return err
}

// banEndSweep ends the accounts of bans that became final (an upheld
// appeal, or an appeal window closed with none) and pays back what an
// authority hold no longer holds. Registered as compliance.ban_end.
func (a *App) banEndSweep(ctx context.Context, now time.Time) (int64, error) {
	ms, err := store.ComplianceMeasures(ctx, a.db, store.ComplianceMeasureFilter{States: []string{string(compliance.MeasureInForce)}})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, m := range ms {
		if m.Kind != string(compliance.MeasureBan) {
			continue
		}
		why, err := a.banFinal(ctx, m, now)
		if err != nil || why == "" {
			if err != nil {
				return n, err
			}
			continue
		}
		var changed bool
		err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			cur, err := store.ComplianceMeasureGet(ctx, tx, m.ID)
			if err != nil || cur.State != string(compliance.MeasureInForce) {
				return err
			}
			changed, err = a.endAccountAfterBan(ctx, tx, cur, why)
			return err
		})
		if err != nil {
			return n, err
		}
		if changed {
			n++
		}
	}
	return n, nil
}

// banEndView fills what a ban's view shows of the account's end: whether
// the account ended, and the authority order holding its pay-back.
func (a *App) banEndView(ctx context.Context, v *MeasureView) error {
	if v.Kind != string(compliance.MeasureBan) || v.State != string(compliance.MeasureInForce) {
		return nil
	}
	acc, err := store.AccountGet(ctx, a.db, v.AccountID)
	if err != nil || acc.State != string(account.StateClosed) {
		return err
	}
	v.AccountEnded = true
	hs, err := store.Holds(ctx, a.db, v.AccountID, true)
	if err != nil || len(hs) == 0 {
		return err
	}
	v.PaybackHeld = hs[0].Authority + " " + hs[0].DocNumber
	return nil
}
