package app

import (
	"context"
	"slices"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
	"yuanxu/internal/store"
)

// KYCQueue lists the submissions waiting for a reviewer, oldest first,
// masked (kyc.review).
func (a *App) KYCQueue(ctx context.Context, p account.Principal, limit int) ([]KYCSubmissionView, error) {
	if err := a.Authorize(ctx, p, "kyc.review", account.Object{}); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	rows, err := store.KYCSubmissionsByStatus(ctx, a.db, string(kyc.StatePending), limit)
	if err != nil {
		return nil, err
	}
	out := make([]KYCSubmissionView, 0, len(rows))
	for _, r := range rows {
		v := submissionView(r)
		if acc, err := store.AccountGet(ctx, a.db, r.AccountID); err == nil {
			v.AccountName = acc.DisplayName
		}
		out = append(out, v)
	}
	return out, nil
}

// KYCSubmission reads one submission, masked (kyc.review).
func (a *App) KYCSubmission(ctx context.Context, p account.Principal, submissionID string) (KYCSubmissionView, error) {
	if err := a.Authorize(ctx, p, "kyc.review", account.Object{}); err != nil {
		return KYCSubmissionView{}, err
	}
	r, err := store.KYCSubmissionGet(ctx, a.db, submissionID)
	if store.IsNotFound(err) {
		return KYCSubmissionView{}, errNotFound("kyc_submission")
	}
	if err != nil {
		return KYCSubmissionView{}, err
	}
	v := submissionView(r)
	if acc, err := store.AccountGet(ctx, a.db, r.AccountID); err == nil {
		v.AccountName = acc.DisplayName
	}
	return v, nil
}

// KYCDecisionKind is a reviewer's decision.
type KYCDecisionKind string

// Reviewer decisions.
const (
	KYCApprove     KYCDecisionKind = "approve"
	KYCReject      KYCDecisionKind = "reject"
	KYCRequestInfo KYCDecisionKind = "request_info"
)

// KYCDecision is what a reviewer decides on a pending submission: a
// rejection and a request for more name a catalog reason (kyc.Reasons); the
// note is free text the customer sees too.
type KYCDecision struct {
	Decision KYCDecisionKind
	Reason   kyc.ReasonCode
	Note     string
}

// KYCDecide records a reviewer's decision on a pending submission
// (kyc.review). Approval makes the customer the holder of the identity
// (Conflict kyc.identity_taken if another customer holds it and was not
// linked); the decision is taken once (Conflict kyc.state_transition for a
// submission no longer pending). One audit event, kyc.decided.
func (a *App) KYCDecide(ctx context.Context, p account.Principal, submissionID string, d KYCDecision) (KYCView, error) {
	if err := a.Authorize(ctx, p, "kyc.review", account.Object{}); err != nil {
		return KYCView{}, err
	}
	var to kyc.State
	switch d.Decision {
	case KYCApprove:
		to = kyc.StateApproved
	case KYCReject:
		to = kyc.StateRejected
	case KYCRequestInfo:
		to = kyc.StateInfoRequested
	default:
		return KYCView{}, errs.Invalidf(kyc.CodeReasonInvalid, "body.decision", "enum", map[string]any{"values": "approve, reject, request_info"})
	}
	if err := kyc.CheckReason(to, d.Reason); err != nil {
		return KYCView{}, err
	}
	d.Note = strings.TrimSpace(d.Note)
	if len([]rune(d.Note)) > 500 {
		return KYCView{}, errs.Invalidf("kyc.note_too_long", "body.note", "max_length", map[string]any{"max": 500})
	}
	return a.kycDecide(ctx, p.AccountID, submissionID, to, d)
}

// kycDecide applies a checked decision by decidedBy (a staff id, or
// "system" for the demo seed).
func (a *App) kycDecide(ctx context.Context, decidedBy, submissionID string, to kyc.State, d KYCDecision) (KYCView, error) {
	var out KYCView
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.KYCSubmissionGet(ctx, tx, submissionID)
		if store.IsNotFound(err) {
			return errNotFound("kyc_submission")
		}
		if err != nil {
			return err
		}
		prof, err := kycProfile(ctx, tx, r.AccountID)
		if err != nil {
			return err
		}
		if r.Status != string(kyc.StatePending) || prof.CurrentSubmissionID != r.ID {
			return kyc.Move(kyc.State(r.Status), to)
		}
		if err := kyc.Move(kyc.State(prof.State), to); err != nil {
			return err
		}
		ok, err := tx.KYCSubmissionDecide(ctx, r.ID, string(kyc.StatePending), store.KYCSubmissionDecision{Status: string(to), Reason: string(d.Reason),
			Note: d.Note, DecidedBy: decidedBy, VerifierRef: r.VerifierRef, DecidedAt: tx.Now})
		if err != nil {
			return err
		}
		if !ok {
			return kyc.Move(kyc.StateApproved, to) // decided meanwhile
		}
		if to == kyc.StateApproved {
			field := kyc.FieldIDNumber
			if r.Subject == string(kyc.SubjectEnterprise) {
				field = kyc.FieldUSCC
			}
			if err := a.kycClaim(ctx, tx, r.AccountID, r.IdentityIndex, field); err != nil {
				return err
			}
			prof.ApprovedSubmissionID = r.ID
			if err := a.clearReverify(ctx, tx, r.AccountID, r.ID); err != nil { // issue 16: verified again
				return err
			}
		}
		from := prof.State
		prof.State, prof.Reason, prof.Note, prof.UpdatedAt = string(to), string(d.Reason), d.Note, tx.Now
		if err := tx.KYCProfilePut(ctx, prof); err != nil {
			return err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "kyc.decided", SubjectType: "account", SubjectID: r.AccountID,
			Data: map[string]any{"submission": r.ID, "from": from, "to": to, "reason": d.Reason, "note": d.Note}}); err != nil {
			return err
		}
		if err := a.notifyKYCDecided(ctx, tx, r.AccountID, r.ID, to, d); err != nil {
			return err
		}
		out, err = a.kycView(ctx, tx, prof)
		return err
	})
	return out, err
}

// KYCRequireReverification sends an approved customer back to review
// (kyc.review; Anti-Telecom-Fraud Law art. 22, a flagged account), with
// the note shown to the customer as the reason. An unknown account is
// account.not_found; a profile that is not approved (a sub-user has none
// of its own) is refused by the KYC state machine, as before. It sets the
// same open re-verification flag as FlagReverify — one mechanism, not
// two: checkout refuses whatever kyc.required_before says, the next
// submission goes to a person, never approved automatically, and the flag
// clears when one is approved. A flag already open is
// compliance.reverify_exists (Conflict).
func (a *App) KYCRequireReverification(ctx context.Context, p account.Principal, accountID, note string) error {
	if err := a.Authorize(ctx, p, "kyc.review", account.Object{}); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if note == "" || len([]rune(note)) > 500 {
		return errs.Invalidf("kyc.note_required", "body.note", "required", nil)
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := loadAccount(ctx, tx, accountID); err != nil {
			return err
		}
		if err := refuseIfReverifyOpen(ctx, tx, accountID); err != nil {
			return err
		}
		prof, err := kycProfile(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if err := kyc.Move(kyc.State(prof.State), kyc.StateReverifyRequired); err != nil {
			return err
		}
		_, err = a.flagReverifyTx(ctx, tx, p, accountID, ReverifyInput{Reason: note})
		return err
	})
}

// KYCLinkIdentity links accountID on purpose to the identity fromAccountID
// holds (kyc.review), so that the same ID number or USCC may be verified
// for both (one person's two accounts, a group's subsidiaries sharing a
// responsible person's data). The reason is required and audited.
func (a *App) KYCLinkIdentity(ctx context.Context, p account.Principal, accountID, fromAccountID, reason string) error {
	if err := a.Authorize(ctx, p, "kyc.review", account.Object{}); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	if reason == "" || len([]rune(reason)) > 500 {
		return errs.Invalidf("kyc.link_reason_required", "body.reason", "required", nil)
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if _, err := loadAccount(ctx, tx, accountID); err != nil {
			return err
		}
		from, err := kycProfile(ctx, tx, fromAccountID)
		if err != nil {
			return err
		}
		if from.ApprovedSubmissionID == "" || accountID == fromAccountID {
			return errs.Invalidf("kyc.link_source_unverified", "body.from_account_id", "verified", nil)
		}
		r, err := store.KYCSubmissionGet(ctx, tx, from.ApprovedSubmissionID)
		if err != nil {
			return err
		}
		if err := tx.KYCIdentityClaim(ctx, store.KYCIdentityRow{Index: r.IdentityIndex, AccountID: accountID, LinkedBy: p.AccountID,
			LinkReason: reason, CreatedAt: tx.Now}); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "kyc.identity_linked", SubjectType: "account", SubjectID: accountID,
			Data: map[string]any{"from_account": fromAccountID, "identity": r.IdentityMasked, "reason": reason}})
	})
}

// UnmaskPurposes are the purpose codes an unmask may give (PIPL art. 6:
// processing limited to a stated purpose); each unmask is audited with it.
var UnmaskPurposes = []string{"kyc_review", "authority_request", "customer_request", "fraud_investigation", "dispute"}

// Unmaskable fields of a submission.
var kycUnmaskFields = []string{"name", "identity", "phone"}

// KYCUnmask returns one field of a submission in clear (pii.unmask, which
// needs a purpose code from UnmaskPurposes). Every unmask writes an audit
// event, pii.unmasked, naming the field and the purpose but not the value;
// the value is never logged.
func (a *App) KYCUnmask(ctx context.Context, p account.Principal, submissionID, field, purpose string) (string, error) {
	if !slices.Contains(kycUnmaskFields, field) {
		return "", errs.Invalidf("pii.field_invalid", "body.field", "enum", map[string]any{"values": strings.Join(kycUnmaskFields, ", ")})
	}
	b, err := a.kycReveal(ctx, p, submissionID, field, purpose)
	return string(b), err
}

// KYCLicence returns a submission's licence file and its media type, under
// the same rule and audit as KYCUnmask (field "licence"). Whoever serves it
// sends the type with X-Content-Type-Options: nosniff.
func (a *App) KYCLicence(ctx context.Context, p account.Principal, submissionID, purpose string) (string, []byte, error) {
	b, err := a.kycReveal(ctx, p, submissionID, "licence", purpose)
	if err != nil {
		return "", nil, err
	}
	r, err := store.KYCSubmissionGet(ctx, a.db, submissionID)
	return r.LicenceMIME, b, err
}

func (a *App) kycReveal(ctx context.Context, p account.Principal, submissionID, field, purpose string) ([]byte, error) {
	purpose = strings.TrimSpace(purpose)
	if err := a.Authorize(ctx, p, "pii.unmask", account.Object{Purpose: purpose}); err != nil {
		return nil, err
	}
	if !slices.Contains(UnmaskPurposes, purpose) {
		return nil, errs.Invalidf("pii.purpose_invalid", "body.purpose", "enum", map[string]any{"values": strings.Join(UnmaskPurposes, ", ")})
	}
	var out []byte
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.KYCSubmissionGet(ctx, tx, submissionID)
		if store.IsNotFound(err) {
			return errNotFound("kyc_submission")
		}
		if err != nil {
			return err
		}
		var env []byte
		switch field {
		case "name":
			env = r.NameEnc
		case "identity":
			env = r.IdentityEnc
		case "phone":
			env = r.PhoneEnc
		case "licence":
			env = r.LicenceEnc
		}
		if env == nil {
			return errNotFound("kyc_licence")
		}
		if out, err = a.openKYC(field, r.ID, env); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "pii.unmasked", SubjectType: "account", SubjectID: r.AccountID,
			Data: map[string]any{"submission": r.ID, "field": field, "purpose": purpose}})
	})
	return out, err
}
