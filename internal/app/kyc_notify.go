package app

import (
	"context"

	"yuanxu/internal/kyc"
	"yuanxu/internal/notify"
	"yuanxu/internal/store"
)

// notifyKYCDecided tells the customer of a decided submission the outcome
// (email and inbox), inside the decision's transaction: the reason in the
// customer's language and the reviewer's note, never the personal data
// submitted.
func (a *App) notifyKYCDecided(ctx context.Context, tx *store.Tx, accountID, submissionID string, to kyc.State, d KYCDecision) error {
	acc, err := store.AccountGet(ctx, tx, accountID)
	if err != nil {
		return err
	}
	lang := langOf(acc.Lang)
	rec := notify.Recipient{AccountID: acc.ID}
	if rec.Email, err = a.open("account", "email", acc.ID, acc.EmailEnc); err != nil {
		return err
	}
	reason := ""
	if to != kyc.StateApproved {
		if r, ok := kyc.LookupReason(d.Reason); ok {
			reason = r.Text.ZH
			if lang == notify.En {
				reason = r.Text.EN
			}
		}
	}
	vars := map[string]string{"outcome": string(to), "reason": reason, "note": d.Note}
	_, err = a.Notify(ctx, tx, notify.Request{Event: notify.EventKYCDecided, Recipient: rec, Vars: vars, Lang: lang,
		Subject: notify.Subject{Type: "kyc_submission", ID: submissionID}})
	return err
}

// KYCPendingCount counts the submissions waiting for a reviewer (the
// console home's queue card).
func (a *App) KYCPendingCount(ctx context.Context) (int, error) {
	var n int
	err := a.db.QueryRow(ctx, `SELECT COUNT(*) FROM kyc_submission WHERE status = $1`, string(kyc.StatePending)).Scan(&n)
	return n, err
}
