package app

import (
	"context"
	"errors"

	"yuanxu/internal/account"
	"yuanxu/internal/agreement"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
	"yuanxu/internal/webhook"
)

// RegisterInput is the portal's registration form. Both codes are required:
// EmailCodeID/EmailCode from SendCode(register_email, Email) and
// PhoneCodeID/PhoneCode from SendCode(register_phone, Phone).
type RegisterInput struct {
	Kind, DisplayName, Email, Phone, Password, EnterpriseName, USCC, Lang string
	EmailCodeID, EmailCode, PhoneCodeID, PhoneCode                        string
	AcceptAgreement                                                       bool
	// AcknowledgedClauses are the key clauses ticked one by one (every key
	// clause of the version in force is required); AgreementSHA256, when
	// set, is the text shown, which must still be in force (agreement_register.go).
	AcknowledgedClauses        []string
	AgreementSHA256, UserAgent string

	acceptChannel agreement.Channel // "" = web; reseller_invitation for an invitation
	resellerID    string            // the inviting reseller
}

// errRollback aborts a transaction whose user error is reported after it.
var errRollback = errors.New("rollback")

// Register creates an individual or enterprise account (resellers are
// authorised by staff and sub-users created by their enterprise:
// account.Kind.SelfRegistrable). It validates every field at once
// (account.ValidateRegistration), requires acceptance of the agreement
// (recording the configured version, the time and the client IP) and both
// verification codes, and refuses an email or phone another account holds
// (account.email_taken / account.phone_taken, Conflict). Nothing is stored
// unless everything passes: a wrong code only counts an attempt on that
// code; a right code is consumed only when the account is created. The new
// account is active with both contacts verified.
func (a *App) Register(ctx context.Context, in RegisterInput) (AccountView, error) {
	return a.register(ctx, in, nil)
}

// register is Register, or with inv the acceptance of a reseller's
// invitation (issue 11): the kind and email are the invitation's, the
// emailed link stands for the email code, the account records the
// reseller, the acceptance is on the reseller_invitation channel, and the
// invitation is used up in the same transaction.
func (a *App) register(ctx context.Context, in RegisterInput, inv *invitation) (AccountView, error) {
	if inv != nil {
		in.Kind, in.Email = inv.row.Kind, inv.email
		in.acceptChannel, in.resellerID = agreement.ChannelResellerInvitation, inv.row.ResellerID
	}
	v, err := account.ValidateRegistration(account.Registration{Kind: in.Kind, DisplayName: in.DisplayName, Email: in.Email, Phone: in.Phone,
		Password: in.Password, EnterpriseName: in.EnterpriseName, USCC: in.USCC})
	if err != nil {
		return AccountView{}, err
	}
	if !in.AcceptAgreement {
		return AccountView{}, &errs.Error{Kind: errs.Invalid, Code: account.CodeRegistration, Msg: "the agreement must be accepted",
			Fields: []errs.FieldError{{Field: "body.accept_agreement", Rule: "required"}}}
	}
	accepted, err := a.registrationAcceptance(ctx, in)
	if err != nil {
		return AccountView{}, err
	}
	email, err := a.parseContact(v.Email, "body.email")
	if err != nil {
		return AccountView{}, err
	}
	phone, err := a.parseContact(v.Phone, "body.phone")
	if err != nil {
		return AccountView{}, err
	}
	if err := a.checkBlocked(ctx, a.db, BlockPhone, phone.Index, "body.phone"); err != nil {
		return AccountView{}, err
	}
	hash, err := a.acc().hasher.Hash(ctx, in.Password)
	if err != nil {
		return AccountView{}, err
	}
	act := ActorFrom(ctx)
	var out loaded
	var userErr error
	var failed []func(ctx context.Context, tx *store.Tx) error
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		userErr, failed = nil, nil
		if err := contactFree(ctx, tx, email, "body.email"); err != nil {
			return err
		}
		if err := contactFree(ctx, tx, phone, "body.phone"); err != nil {
			return err
		}
		type codeCheck struct {
			id, code, field string
			purpose         account.Purpose
			target          string
		}
		checks := []codeCheck{{in.PhoneCodeID, in.PhoneCode, "body.phone_code", account.PurposeRegisterPhone, phone.Index}}
		if inv == nil { // an invitation's link was sent to the email: it stands for the email code
			checks = append([]codeCheck{{in.EmailCodeID, in.EmailCode, "body.email_code", account.PurposeRegisterEmail, email.Index}}, checks...)
		}
		for _, c := range checks {
			ue, err := a.checkCode(ctx, tx, c.id, c.code, c.purpose, c.target, "", c.field)
			if err != nil {
				return err
			}
			if ue != nil {
				if userErr == nil {
					userErr = ue
				}
				failed = append(failed, func(ctx context.Context, tx *store.Tx) error {
					_, err := a.checkCode(ctx, tx, c.id, c.code, c.purpose, c.target, "", c.field)
					return err
				})
			}
		}
		if userErr != nil {
			return errRollback // neither code is consumed; the failures are counted below
		}
		aid := id.NewAt(tx.Now)
		row := store.AccountRow{ID: aid, Kind: string(v.Kind), State: string(account.StateActive), DisplayName: v.DisplayName,
			EnterpriseName: v.EnterpriseName, EmailIndex: email.Index, EmailMasked: email.Masked, EmailVerifiedAt: tx.Now,
			PhoneIndex: phone.Index, PhoneMasked: phone.Masked, PhoneVerifiedAt: tx.Now, PasswordHash: hash, PasswordChangedAt: tx.Now,
			Lang: string(langOf(in.Lang)), AgreementVersion: accepted.VersionID, AgreementAcceptedAt: tx.Now,
			CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if inv != nil {
			row.ResellerID = inv.row.ResellerID
			ok, err := tx.InvitationSetState(ctx, inv.row.ID, "accepted", aid)
			if err != nil {
				return err
			}
			if !ok {
				return errInvitationUsed()
			}
		}
		var err error
		if row.EmailEnc, err = a.seal("account", "email", aid, email.Norm); err != nil {
			return err
		}
		if row.USCC, err = a.seal("account", "uscc", aid, v.USCC); err != nil { // declared here, verified by KYC
			return err
		}
		if row.PhoneEnc, err = a.seal("account", "phone", aid, phone.Norm); err != nil {
			return err
		}
		if row.AgreementIPEnc, err = a.seal("account", "agreement_ip", aid, act.ClientIP); err != nil {
			return err
		}
		if err := tx.AccountInsert(ctx, row); err != nil {
			if errors.Is(err, errs.ErrDuplicate) {
				return duplicateContact("body.email")
			}
			return err
		}
		accepted.AccountID = aid
		if _, err := a.insertAcceptance(ctx, tx, accepted); err != nil {
			return err
		}
		out = loaded{row: row}
		if inv != nil {
			if err := a.emitWebhook(ctx, tx, row.ResellerID, webhook.CustomerJoined, aid, map[string]any{"customer_id": aid,
				"invitation_id": inv.row.ID, "kind": row.Kind, "note": inv.row.Note}); err != nil {
				return err
			}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.registered", SubjectType: "account", SubjectID: aid,
			Data: map[string]any{"kind": v.Kind, "email": email.Masked, "phone": phone.Masked, "agreement_version": row.AgreementVersion,
				"reseller": row.ResellerID}})
	})
	if errors.Is(err, errRollback) {
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			for _, f := range failed {
				if err := f(ctx, tx); err != nil {
					return err
				}
			}
			return a.Audit(ctx, tx, AuditEntry{Action: "account.registration_code_rejected", SubjectType: "account", SubjectID: "",
				Data: map[string]any{"email": email.Masked, "phone": phone.Masked, "code": errs.CodeOf(userErr)}})
		}); err != nil {
			return AccountView{}, err
		}
		return AccountView{}, userErr
	}
	if err != nil {
		return AccountView{}, err
	}
	return out.view(), nil
}
