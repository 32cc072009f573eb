package app

import (
	"context"
	"errors"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// SubUserInput is an enterprise owner's form for a new sub-user. Password
// is optional: without it the sub-user sets one through a password reset
// (the owner then never knows it).
type SubUserInput struct {
	DisplayName, Email, Phone, Password string
	Scopes                              []account.Scope
}

// SubUserCreate creates a sub-user of p's enterprise with delegated scopes
// (subuser.manage). Email and phone must be free; they count as verified
// once the sub-user receives a reset code (not before).
func (a *App) SubUserCreate(ctx context.Context, p account.Principal, in SubUserInput) (AccountView, error) {
	if err := a.Authorize(ctx, p, "subuser.manage", p.SelfObject()); err != nil {
		return AccountView{}, err
	}
	v, err := account.ValidateSubUser(account.SubUserInput{DisplayName: in.DisplayName, Email: in.Email, Phone: in.Phone, Scopes: scopeStrings(in.Scopes)})
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
	hash := ""
	if in.Password != "" {
		if err := account.CheckPassword(in.Password, account.PasswordContext{Email: v.Email, Phone: v.Phone}); err != nil {
			return AccountView{}, err
		}
		if hash, err = a.acc().hasher.Hash(ctx, in.Password); err != nil {
			return AccountView{}, err
		}
	}
	var out loaded
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := contactFree(ctx, tx, email, "body.email"); err != nil {
			return err
		}
		if err := contactFree(ctx, tx, phone, "body.phone"); err != nil {
			return err
		}
		owner, err := store.AccountGet(ctx, tx, p.AccountID)
		if err != nil {
			return err
		}
		aid := id.NewAt(tx.Now)
		row := store.AccountRow{ID: aid, Kind: string(account.KindSubUser), State: string(account.StateActive), OwnerID: p.AccountID,
			DisplayName: v.DisplayName, EmailIndex: email.Index, EmailMasked: email.Masked, PhoneIndex: phone.Index, PhoneMasked: phone.Masked,
			PasswordHash: hash, Lang: owner.Lang, AgreementVersion: owner.AgreementVersion, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if hash != "" {
			row.PasswordChangedAt = tx.Now
		}
		if row.EmailEnc, err = a.seal("account", "email", aid, email.Norm); err != nil {
			return err
		}
		if row.PhoneEnc, err = a.seal("account", "phone", aid, phone.Norm); err != nil {
			return err
		}
		if err := tx.AccountInsert(ctx, row); err != nil {
			if errors.Is(err, errs.ErrDuplicate) {
				return duplicateContact("body.email")
			}
			return err
		}
		if err := tx.AccountScopesSet(ctx, aid, scopeStrings(v.Scopes)); err != nil {
			return err
		}
		out = loaded{row: row, scopes: v.Scopes}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.sub_user_created", SubjectType: "account", SubjectID: aid,
			Data: map[string]any{"enterprise_id": p.AccountID, "email": email.Masked, "phone": phone.Masked, "scopes": scopeStrings(v.Scopes)}})
	})
	return out.view(), err
}

// SubUsers lists the sub-users of p's enterprise.
func (a *App) SubUsers(ctx context.Context, p account.Principal) ([]AccountView, error) {
	if err := a.Authorize(ctx, p, "subuser.manage", p.SelfObject()); err != nil {
		return nil, err
	}
	return a.listViews(ctx, store.AccountFilter{Kinds: []string{string(account.KindSubUser)}, OwnerID: p.AccountID})
}

// SubUserSetScopes replaces a sub-user's scopes. Another enterprise's
// sub-user is account.not_found.
func (a *App) SubUserSetScopes(ctx context.Context, p account.Principal, subUserID string, scopes []account.Scope) error {
	parsed, err := account.ParseScopes(scopeStrings(scopes))
	if err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		l, err := loadAccount(ctx, tx, subUserID)
		if err != nil {
			return err
		}
		if err := a.Authorize(ctx, p, "subuser.manage", l.object()); err != nil {
			return err
		}
		if l.row.Kind != string(account.KindSubUser) {
			return errNotFound("account")
		}
		if err := tx.AccountScopesSet(ctx, subUserID, scopeStrings(parsed)); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.sub_user_scopes_set", SubjectType: "account", SubjectID: subUserID,
			Data: map[string]any{"from": scopeStrings(l.scopes), "to": scopeStrings(parsed)}})
	})
}
