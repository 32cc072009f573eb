package app

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/store"
)

func domainSession(r store.SessionRow) account.Session {
	h, _ := hex.DecodeString(r.TokenHash)
	return account.Session{ID: r.ID, AccountID: r.AccountID, TokenHash: h, CreatedAt: r.CreatedAt, LastSeenAt: r.LastSeenAt,
		IdleAfter: r.Idle, ExpiresAt: r.ExpiresAt, PendingMFA: r.MFACompletedAt.IsZero(), ReauthAt: r.ReauthAt,
		EndedAt: r.EndedAt, EndReason: account.EndReason(r.EndReason), UserAgent: r.UserAgent}
}

var errSessionInvalid = &errs.Error{Kind: errs.Unauthenticated, Code: account.CodeSessionInvalid, Msg: "log in again"}

// sessionOf reads the session of a presented token (session.invalid when
// there is none).
func sessionOf(ctx context.Context, q store.Querier, token string) (store.SessionRow, error) {
	h, err := account.HashSessionToken(token)
	if err != nil {
		return store.SessionRow{}, err
	}
	r, err := store.SessionByTokenHash(ctx, q, hex.EncodeToString(h))
	if store.IsNotFound(err) {
		return r, errSessionInvalid
	}
	return r, err
}

// Authenticate resolves a session token to its principal (loaded fresh:
// roles, scopes and standing changes apply at once) and the session. It
// enforces the idle and absolute timeouts (account.SessionPolicyFor, read
// on business time) and refuses sessions whose second factor is pending
// (session.mfa_pending) and accounts that may not log in. It writes only
// when LastSeenAt is older than account.TouchInterval (a conditional
// touch, not audited: it is bookkeeping, not a state change), so a request
// is not a write. Errors: Unauthenticated session.*.
func (a *App) Authenticate(ctx context.Context, sessionToken string) (account.Principal, SessionView, error) {
	h, err := account.HashSessionToken(sessionToken)
	if err != nil {
		return account.Principal{}, SessionView{}, err
	}
	// The session, its account and the account's roles, scopes and
	// measures in one round trip; an account that is gone ends the session
	// as a missing session does.
	sr, row, az, err := store.SessionAuthz(ctx, a.db, hex.EncodeToString(h))
	if store.IsNotFound(err) {
		return account.Principal{}, SessionView{}, errSessionInvalid
	}
	if err != nil {
		return account.Principal{}, SessionView{}, err
	}
	now := a.Now()
	s := domainSession(sr)
	if err := s.Check(now); err != nil {
		return account.Principal{}, SessionView{}, err
	}
	// Memoized for a safe request: the checks after authentication share
	// it, as readAccount's.
	l, err := memoized(ctx, "account:"+sr.AccountID, func() (loaded, error) { return loadedFrom(row, az), nil })
	if err != nil {
		return account.Principal{}, SessionView{}, err
	}
	if !account.State(l.row.State).CanLogIn() {
		return account.Principal{}, SessionView{}, &errs.Error{Kind: errs.Unauthenticated, Code: account.CodeSessionEnded, Msg: "log in again"}
	}
	if s.NeedsTouch(now) {
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			_, err := tx.SessionTouch(ctx, sr.TokenHash, sr.LastSeenAt, tx.Now)
			return err
		})
		if err != nil {
			return account.Principal{}, SessionView{}, err
		}
		sr.LastSeenAt = now
	}
	v := a.sessionView(sr)
	v.Current = true
	return l.principal(), v, nil
}

func (a *App) sessionView(sr store.SessionRow) SessionView {
	ip, err := a.open("account_session", "client_ip", sr.ID, sr.ClientIPEnc)
	if err != nil {
		ip = ""
	}
	return SessionView{ID: sr.ID, CreatedAt: sr.CreatedAt, LastSeenAt: sr.LastSeenAt, ExpiresAt: sr.ExpiresAt,
		ClientIP: ip, UserAgent: sr.UserAgent, MFAComplete: !sr.MFACompletedAt.IsZero()}
}

// Logout ends the session of token (a pending one too). Logging out of a
// session that ended already is not an error.
func (a *App) Logout(ctx context.Context, sessionToken string) error {
	sr, err := sessionOf(ctx, a.db, sessionToken)
	if err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.SessionEnd(ctx, sr.TokenHash, string(account.EndLogout))
		if err != nil || !ok {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.logout", SubjectType: "account", SubjectID: sr.AccountID,
			Data: map[string]any{"session_id": sr.ID}})
	})
}

// LogoutEverywhere ends every session of p's account, this one included.
func (a *App) LogoutEverywhere(ctx context.Context, p account.Principal) error {
	if err := a.Authorize(ctx, p, "session.manage_own", p.SelfObject()); err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		n, err := tx.SessionEndAll(ctx, p.AccountID, string(account.EndLogoutAll), "")
		if err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.logout_everywhere", SubjectType: "account", SubjectID: p.AccountID,
			Data: map[string]any{"ended": n}})
	})
}

// Reauthenticate records a fresh password (and, with two-factor on, TOTP
// or recovery code) entry on the session, opening account.ReauthWindow for
// changing email, phone, password or two-factor. Wrong entries are rate
// limited per session; they never end the session. Errors:
// login.invalid_credentials, totp.*, rate_limited, session.*.
func (a *App) Reauthenticate(ctx context.Context, sessionToken, password, totp string) error {
	sr, err := sessionOf(ctx, a.db, sessionToken)
	if err != nil {
		return err
	}
	if err := domainSession(sr).Check(a.Now()); err != nil {
		return err
	}
	if err := a.RateLimit(ctx, RateSecondFactor, "reauth:"+sr.ID); err != nil {
		return err
	}
	l, err := loadAccount(ctx, a.db, sr.AccountID)
	if err != nil {
		return err
	}
	ok, err := a.acc().hasher.Verify(ctx, password, l.row.PasswordHash)
	if err != nil {
		return err
	}
	var userErr error
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		userErr = nil
		if !ok {
			userErr = account.ErrInvalidCredentials
		} else if !l.row.TOTPEnabledAt.IsZero() {
			row, err := store.AccountGet(ctx, tx, l.row.ID)
			if err != nil {
				return err
			}
			_, ue, err := a.secondFactor(ctx, tx, row, totp)
			if err != nil {
				return err
			}
			userErr = ue
		}
		if userErr != nil {
			return a.Audit(ctx, tx, AuditEntry{Action: "account.reauth_failed", SubjectType: "account", SubjectID: sr.AccountID,
				Data: map[string]any{"session_id": sr.ID, "code": errs.CodeOf(userErr)}})
		}
		done, err := tx.SessionReauth(ctx, sr.TokenHash, tx.Now)
		if err != nil {
			return err
		}
		if !done {
			userErr = errSessionInvalid
			return errRollback
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.reauthenticated", SubjectType: "account", SubjectID: sr.AccountID,
			Data: map[string]any{"session_id": sr.ID}})
	})
	if err != nil && !errors.Is(err, errRollback) {
		return err
	}
	return userErr
}

// recentSession returns the session of token, which must belong to p and
// have been re-authenticated within account.ReauthWindow
// (session.reauth_required, Forbidden, otherwise).
func (a *App) recentSession(ctx context.Context, q store.Querier, p account.Principal, token string, now time.Time) (store.SessionRow, error) {
	sr, err := sessionOf(ctx, q, token)
	if err != nil {
		return sr, err
	}
	s := domainSession(sr)
	if sr.AccountID != p.AccountID {
		return sr, errSessionInvalid
	}
	if err := s.Check(now); err != nil {
		return sr, err
	}
	return sr, s.RequireRecentAuth(now)
}

// Sessions lists p's live sessions, newest first; Current marks the one of
// currentToken.
func (a *App) Sessions(ctx context.Context, p account.Principal, currentToken string) ([]SessionView, error) {
	if err := a.Authorize(ctx, p, "session.manage_own", p.SelfObject()); err != nil {
		return nil, err
	}
	rows, err := store.SessionsOf(ctx, a.db, p.AccountID, a.Now())
	if err != nil {
		return nil, err
	}
	cur := ""
	if h, err := account.HashSessionToken(currentToken); err == nil {
		cur = hex.EncodeToString(h)
	}
	now := a.Now()
	out := []SessionView{}
	for _, r := range rows {
		if !domainSession(r).Valid(now) && !domainSession(r).PendingMFA {
			continue
		}
		v := a.sessionView(r)
		v.Current = r.TokenHash == cur
		out = append(out, v)
	}
	return out, nil
}

// EndSession ends one session by its public id: one's own, or (an
// enterprise owner) a sub-user's. Another account's session is
// session.not_found.
func (a *App) EndSession(ctx context.Context, p account.Principal, sessionID string) error {
	sr, err := store.SessionByID(ctx, a.db, sessionID)
	if store.IsNotFound(err) {
		return errNotFound("session")
	}
	if err != nil {
		return err
	}
	owner, err := loadAccount(ctx, a.db, sr.AccountID)
	if err != nil {
		return err
	}
	obj := owner.object()
	obj.Type = "session"
	if err := a.Authorize(ctx, p, "session.manage_own", obj); err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.SessionEnd(ctx, sr.TokenHash, string(account.EndRevoked))
		if err != nil || !ok {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.session_ended", SubjectType: "account", SubjectID: sr.AccountID,
			Data: map[string]any{"session_id": sr.ID}})
	})
}
