package app

import (
	"context"
	"errors"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/notify"
	"yuanxu/internal/pii"
	"yuanxu/internal/store"
)

// Me returns p's own account.
func (a *App) Me(ctx context.Context, p account.Principal) (AccountView, error) {
	if err := a.Authorize(ctx, p, "profile.manage", p.SelfObject()); err != nil {
		return AccountView{}, err
	}
	l, err := a.readAccount(ctx, p.AccountID)
	if err != nil {
		return AccountView{}, err
	}
	return l.view(), nil
}

// ProfileUpdate changes the fields that are set.
type ProfileUpdate struct {
	DisplayName, Lang *string
	MarketingOptOut   *bool
}

// UpdateProfile changes p's display name, language ("zh-CN" or "en") and
// marketing opt-out (which also opts out of marketing on every channel of
// the notification preferences).
func (a *App) UpdateProfile(ctx context.Context, p account.Principal, u ProfileUpdate) (AccountView, error) {
	if err := a.Authorize(ctx, p, "profile.manage", p.SelfObject()); err != nil {
		return AccountView{}, err
	}
	var name string
	if u.DisplayName != nil {
		var err error
		if name, err = account.ValidateDisplayName(*u.DisplayName, "body.display_name"); err != nil {
			return AccountView{}, err
		}
	}
	if u.Lang != nil && *u.Lang != string(notify.ZhCN) && *u.Lang != string(notify.En) {
		return AccountView{}, errs.Invalidf("account.lang_invalid", "body.lang", "one_of", map[string]any{"allowed": []string{"zh-CN", "en"}})
	}
	var out loaded
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		row, err := store.AccountGet(ctx, tx, p.AccountID)
		if err != nil {
			return err
		}
		changed := map[string]any{}
		if u.DisplayName != nil && name != row.DisplayName {
			row.DisplayName, changed["display_name"] = name, true
		}
		if u.Lang != nil && *u.Lang != row.Lang {
			row.Lang, changed["lang"] = *u.Lang, *u.Lang
		}
		if u.MarketingOptOut != nil && *u.MarketingOptOut != row.MarketingOptOut {
			row.MarketingOptOut, changed["marketing_opt_out"] = *u.MarketingOptOut, *u.MarketingOptOut
			for _, ch := range []notify.Channel{notify.Email, notify.SMS, notify.InApp} {
				if notify.CheckOptOut(notify.Marketing, ch) != nil {
					continue
				}
				if _, err := tx.OptOutSet(ctx, row.ID, string(notify.Marketing), string(ch), row.MarketingOptOut); err != nil {
					return err
				}
			}
		}
		if len(changed) > 0 {
			row.UpdatedAt = tx.Now
			if err := tx.AccountUpdate(ctx, row); err != nil {
				return err
			}
			if err := a.Audit(ctx, tx, AuditEntry{Action: "account.profile_updated", SubjectType: "account", SubjectID: row.ID, Data: changed}); err != nil {
				return err
			}
		}
		out, err = loadRow(ctx, tx, row)
		return err
	})
	return out.view(), err
}

// ChangeEmail replaces p's email after re-authentication with a
// change_email code sent to the new address (SendCode). The address must
// be free (account.email_taken).
func (a *App) ChangeEmail(ctx context.Context, p account.Principal, sessionToken, newEmail, codeID, code string) error {
	return a.changeContact(ctx, p, sessionToken, newEmail, codeID, code, pii.KindEmail)
}

// ChangePhone replaces p's mobile number likewise (change_phone).
func (a *App) ChangePhone(ctx context.Context, p account.Principal, sessionToken, newPhone, codeID, code string) error {
	return a.changeContact(ctx, p, sessionToken, newPhone, codeID, code, pii.KindPhone)
}

func (a *App) changeContact(ctx context.Context, p account.Principal, sessionToken, raw, codeID, code, kind string) error {
	if err := a.Authorize(ctx, p, "profile.manage", p.SelfObject()); err != nil {
		return err
	}
	if _, err := a.recentSession(ctx, a.db, p, sessionToken, a.Now()); err != nil {
		return err
	}
	field, purpose := "body.email", account.PurposeChangeEmail
	if kind == pii.KindPhone {
		field, purpose = "body.phone", account.PurposeChangePhone
	}
	c, err := a.parseContact(raw, field)
	if err != nil {
		return err
	}
	if c.Kind != kind {
		return errs.Invalidf("account.contact_invalid", field, "format", nil)
	}
	var userErr error
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		userErr = nil
		if err := contactFree(ctx, tx, c, field); err != nil {
			return err
		}
		ue, err := a.checkCode(ctx, tx, codeID, code, purpose, c.Index, "", "body.code")
		if err != nil {
			return err
		}
		if ue != nil {
			userErr = ue
			return a.Audit(ctx, tx, AuditEntry{Action: "account.contact_change_failed", SubjectType: "account", SubjectID: p.AccountID,
				Data: map[string]any{"kind": kind, "code": errs.CodeOf(ue)}})
		}
		row, err := store.AccountGet(ctx, tx, p.AccountID)
		if err != nil {
			return err
		}
		old := row.EmailMasked
		enc, err := a.seal("account", kind, row.ID, c.Norm)
		if err != nil {
			return err
		}
		if kind == pii.KindEmail {
			row.EmailEnc, row.EmailIndex, row.EmailMasked, row.EmailVerifiedAt = enc, c.Index, c.Masked, tx.Now
		} else {
			old = row.PhoneMasked
			row.PhoneEnc, row.PhoneIndex, row.PhoneMasked, row.PhoneVerifiedAt = enc, c.Index, c.Masked, tx.Now
		}
		row.UpdatedAt = tx.Now
		if err := tx.AccountUpdate(ctx, row); err != nil {
			if errors.Is(err, errs.ErrDuplicate) {
				return duplicateContact(field)
			}
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account." + kind + "_changed", SubjectType: "account", SubjectID: row.ID,
			Data: map[string]any{"from": old, "to": c.Masked}})
	})
	if err != nil {
		return err
	}
	return userErr
}
