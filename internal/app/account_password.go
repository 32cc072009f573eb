package app

import (
	"context"
	"errors"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/store"
)

// contactsOf opens an account's email and phone for the password policy
// (a password may not equal either).
func (a *App) contactsOf(row store.AccountRow) (account.PasswordContext, error) {
	e, err := a.open("account", "email", row.ID, row.EmailEnc)
	if err != nil {
		return account.PasswordContext{}, err
	}
	p, err := a.open("account", "phone", row.ID, row.PhoneEnc)
	return account.PasswordContext{Email: e, Phone: p}, err
}

// ChangePassword sets p's password from a session re-authenticated within
// account.ReauthWindow (session.reauth_required otherwise). The new
// password must pass account.DefaultPasswordPolicy (password.* errors on
// body.new_password). Every other session of the account ends
// (password_changed); the current one stays.
func (a *App) ChangePassword(ctx context.Context, p account.Principal, sessionToken, newPassword string) error {
	if err := a.Authorize(ctx, p, "profile.manage", p.SelfObject()); err != nil {
		return err
	}
	sr, err := a.recentSession(ctx, a.db, p, sessionToken, a.Now())
	if err != nil {
		return err
	}
	l, err := loadAccount(ctx, a.db, p.AccountID)
	if err != nil {
		return err
	}
	pc, err := a.contactsOf(l.row)
	if err != nil {
		return err
	}
	pc.Field = "body.new_password"
	if err := account.CheckPassword(newPassword, pc); err != nil {
		return err
	}
	hash, err := a.acc().hasher.Hash(ctx, newPassword)
	if err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		row, err := store.AccountGet(ctx, tx, p.AccountID)
		if err != nil {
			return err
		}
		row.PasswordHash, row.PasswordChangedAt, row.UpdatedAt = hash, tx.Now, tx.Now
		if err := tx.AccountUpdate(ctx, row); err != nil {
			return err
		}
		n, err := tx.SessionEndAll(ctx, row.ID, string(account.EndPasswordChanged), sr.TokenHash)
		if err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.password_changed", SubjectType: "account", SubjectID: row.ID,
			Data: map[string]any{"sessions_ended": n}})
	})
}

// StartPasswordReset sends a reset_password code to login (an email or a
// mainland mobile number) if an account that may log in has it as its
// contact. The answer is the same whether or not it does: a ticket masked
// from the input, the same rate limits and the same database work (a code
// row bound to no account, which ResetPassword never accepts).
func (a *App) StartPasswordReset(ctx context.Context, login, lang string) (CodeTicket, error) {
	c, err := a.parseContact(login, "body.login")
	if err != nil {
		return CodeTicket{}, err
	}
	row, err := store.AccountByIndex(ctx, a.db, c.column(), c.Index)
	switch {
	case err == nil && account.State(row.State).CanLogIn():
		if lang == "" {
			lang = row.Lang
		}
		return a.sendCode(ctx, account.PurposeResetPassword, c, row.ID, lang, true)
	case err == nil || store.IsNotFound(err):
		return a.sendCode(ctx, account.PurposeResetPassword, c, "", lang, false)
	default:
		return CodeTicket{}, err
	}
}

// ResetInput is the second step of a password reset. TOTP is the TOTP code
// or a recovery code; it is required when the account has two-factor on.
type ResetInput struct{ Login, CodeID, Code, NewPassword, TOTP string }

// ResetPassword sets a new password with a reset_password code. It never
// bypasses two-factor: an account with TOTP on also needs a TOTP or
// recovery code (totp.required when missing; a wrong one counts as an
// attempt on the reset code). A login without an account answers like a
// wrong code. On success every session ends (password_changed).
func (a *App) ResetPassword(ctx context.Context, in ResetInput) error {
	c, err := a.parseContact(in.Login, "body.login")
	if err != nil {
		return err
	}
	row, err := store.AccountByIndex(ctx, a.db, c.column(), c.Index)
	if store.IsNotFound(err) {
		return errCodeMismatch("body.code")
	}
	if err != nil {
		return err
	}
	pc, err := a.contactsOf(row)
	if err != nil {
		return err
	}
	pc.Field = "body.new_password"
	if err := account.CheckPassword(in.NewPassword, pc); err != nil {
		return err
	}
	if !row.TOTPEnabledAt.IsZero() && in.TOTP == "" {
		return &errs.Error{Kind: errs.Invalid, Code: "totp.required", Msg: "enter the code from your authenticator app or a recovery code",
			Fields: []errs.FieldError{{Field: "body.totp", Rule: "required"}}}
	}
	hash, err := a.acc().hasher.Hash(ctx, in.NewPassword)
	if err != nil {
		return err
	}
	var userErr error
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		userErr = nil
		ue, err := a.checkCode(ctx, tx, in.CodeID, in.Code, account.PurposeResetPassword, c.Index, row.ID, "body.code")
		if err != nil {
			return err
		}
		if ue != nil {
			userErr = ue
			return a.Audit(ctx, tx, AuditEntry{Action: "account.password_reset_failed", SubjectType: "account", SubjectID: row.ID,
				Data: map[string]any{"code": errs.CodeOf(ue)}})
		}
		cur, err := store.AccountGet(ctx, tx, row.ID)
		if err != nil {
			return err
		}
		if !cur.TOTPEnabledAt.IsZero() {
			_, ue, err := a.secondFactor(ctx, tx, cur, in.TOTP)
			if err != nil {
				return err
			}
			if ue != nil {
				userErr = ue
				return errRollback // the reset code stays usable; the miss is counted below
			}
			if cur, err = store.AccountGet(ctx, tx, row.ID); err != nil {
				return err
			}
		}
		cur.PasswordHash, cur.PasswordChangedAt, cur.UpdatedAt = hash, tx.Now, tx.Now
		if err := tx.AccountUpdate(ctx, cur); err != nil {
			return err
		}
		n, err := tx.SessionEndAll(ctx, cur.ID, string(account.EndPasswordChanged), "")
		if err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.password_reset", SubjectType: "account", SubjectID: cur.ID,
			Data: map[string]any{"via": c.Channel, "sessions_ended": n, "second_factor": !cur.TOTPEnabledAt.IsZero()}})
	})
	if errors.Is(err, errRollback) {
		// Count the failed second factor as a wrong try on the reset code, so
		// that guessing TOTP codes is bounded by account.CodeMaxAttempts.
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			r, err := store.CodeGet(ctx, tx, in.CodeID)
			if err != nil {
				return err
			}
			next := r
			next.Attempts++
			if _, err := tx.CodeUpdate(ctx, r.ID, r.Attempts, next); err != nil {
				return err
			}
			return a.Audit(ctx, tx, AuditEntry{Action: "account.password_reset_failed", SubjectType: "account", SubjectID: row.ID,
				Data: map[string]any{"code": errs.CodeOf(userErr)}})
		}); err != nil {
			return err
		}
		return userErr
	}
	if err != nil {
		return err
	}
	return userErr
}
