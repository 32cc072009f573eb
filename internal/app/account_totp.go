package app

import (
	"context"
	"encoding/hex"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/store"
)

// TOTPBegin makes a new TOTP secret for p (kept sealed as pending; the
// one in force, if any, still applies) and returns it to show as a QR code.
// It needs a session re-authenticated within account.ReauthWindow.
func (a *App) TOTPBegin(ctx context.Context, p account.Principal, sessionToken string) (account.TOTPKey, error) {
	if err := a.Authorize(ctx, p, "mfa.manage_own", p.SelfObject()); err != nil {
		return account.TOTPKey{}, err
	}
	if _, err := a.recentSession(ctx, a.db, p, sessionToken, a.Now()); err != nil {
		return account.TOTPKey{}, err
	}
	var key account.TOTPKey
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		row, err := store.AccountGet(ctx, tx, p.AccountID)
		if err != nil {
			return err
		}
		name := row.EmailMasked
		if name == "" {
			name = row.PhoneMasked
		}
		if key, err = account.GenerateTOTP(name, nil); err != nil {
			return err
		}
		if row.TOTPPendingEnc, err = a.seal("account", "totp_pending", row.ID, key.Secret); err != nil {
			return err
		}
		row.UpdatedAt = tx.Now
		if err := tx.AccountUpdate(ctx, row); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.totp_setup_started", SubjectType: "account", SubjectID: row.ID})
	})
	return key, err
}

// TOTPEnable confirms the pending secret with a code from it, turns
// two-factor on (replacing a secret in force), issues
// account.RecoveryCodeCount recovery codes (returned once; older ones are
// void) and ends every other session of the account (mfa_changed). Errors:
// session.reauth_required, totp.not_started, totp.invalid.
func (a *App) TOTPEnable(ctx context.Context, p account.Principal, sessionToken, code string) ([]string, error) {
	if err := a.Authorize(ctx, p, "mfa.manage_own", p.SelfObject()); err != nil {
		return nil, err
	}
	sr, err := a.recentSession(ctx, a.db, p, sessionToken, a.Now())
	if err != nil {
		return nil, err
	}
	var plain []string
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		row, err := store.AccountGet(ctx, tx, p.AccountID)
		if err != nil {
			return err
		}
		if row.TOTPPendingEnc == "" {
			return &errs.Error{Kind: errs.Conflict, Code: "totp.not_started", Msg: "start two-factor setup first"}
		}
		secret, err := a.open("account", "totp_pending", row.ID, row.TOTPPendingEnc)
		if err != nil {
			return err
		}
		step, err := account.VerifyTOTP(secret, code, time.Now(), 0)
		if err != nil {
			return err
		}
		if row.TOTPSecretEnc, err = a.seal("account", "totp_secret", row.ID, secret); err != nil {
			return err
		}
		row.TOTPPendingEnc, row.TOTPLastStep, row.TOTPEnabledAt, row.UpdatedAt = "", step, tx.Now, tx.Now
		if err := tx.AccountUpdate(ctx, row); err != nil {
			return err
		}
		codes, stored, err := account.GenerateRecoveryCodes(a.acc().recKey, row.ID, nil)
		if err != nil {
			return err
		}
		hashes := make([]string, len(stored))
		for i, s := range stored {
			hashes[i] = hex.EncodeToString(s.Hash)
		}
		if err := tx.RecoveryReplace(ctx, row.ID, hashes); err != nil {
			return err
		}
		n, err := tx.SessionEndAll(ctx, row.ID, string(account.EndMFAChanged), sr.TokenHash)
		if err != nil {
			return err
		}
		plain = codes
		return a.Audit(ctx, tx, AuditEntry{Action: "account.totp_enabled", SubjectType: "account", SubjectID: row.ID,
			Data: map[string]any{"recovery_codes": len(codes), "sessions_ended": n}})
	})
	return plain, err
}

// TOTPDisable turns two-factor off after a re-authenticated session and a
// current TOTP or recovery code; recovery codes are voided and every other
// session ends (mfa_changed).
func (a *App) TOTPDisable(ctx context.Context, p account.Principal, sessionToken, code string) error {
	if err := a.Authorize(ctx, p, "mfa.manage_own", p.SelfObject()); err != nil {
		return err
	}
	sr, err := a.recentSession(ctx, a.db, p, sessionToken, a.Now())
	if err != nil {
		return err
	}
	var userErr error
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		userErr = nil
		row, err := store.AccountGet(ctx, tx, p.AccountID)
		if err != nil {
			return err
		}
		_, ue, err := a.secondFactor(ctx, tx, row, code)
		if err != nil {
			return err
		}
		if ue != nil {
			userErr = ue
			return a.Audit(ctx, tx, AuditEntry{Action: "account.second_factor_failed", SubjectType: "account", SubjectID: row.ID,
				Data: map[string]any{"code": errs.CodeOf(ue), "for": "totp_disable"}})
		}
		if row, err = store.AccountGet(ctx, tx, p.AccountID); err != nil {
			return err
		}
		row.TOTPSecretEnc, row.TOTPPendingEnc, row.TOTPEnabledAt, row.UpdatedAt = "", "", time.Time{}, tx.Now
		if err := tx.AccountUpdate(ctx, row); err != nil {
			return err
		}
		if err := tx.RecoveryReplace(ctx, row.ID, nil); err != nil {
			return err
		}
		n, err := tx.SessionEndAll(ctx, row.ID, string(account.EndMFAChanged), sr.TokenHash)
		if err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.totp_disabled", SubjectType: "account", SubjectID: row.ID,
			Data: map[string]any{"sessions_ended": n}})
	})
	if err != nil {
		return err
	}
	return userErr
}
