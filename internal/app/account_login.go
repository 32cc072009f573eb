package app

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/pii"
	"yuanxu/internal/store"
)

// LoginInput is a login attempt. Login is an email address or a mainland
// mobile number. DeviceToken is the remembered-device cookie from an
// earlier LoginResult (it exempts the owner's usual browser from what
// attackers do elsewhere). ChallengeCodeID/ChallengeCode answer a
// login_challenge sent by an earlier attempt. Staff is set by the console:
// only staff may log in there, and staff may log in nowhere else.
type LoginInput struct {
	Login, Password, DeviceToken, ChallengeCodeID, ChallengeCode, UserAgent string
	Staff                                                                   bool
}

// LoginResult is a successful password step. NeedsChallenge: the password
// was right but the attempt comes from an unknown source while the account
// is under attack; a code went to the account's verified contact
// (Challenge) and no session was made — log in again with it. NeedsTOTP:
// the session only allows LoginSecondFactor.
type LoginResult struct {
	SessionToken, DeviceToken string
	NeedsTOTP, NeedsChallenge bool
	Challenge                 CodeTicket
	Account                   AccountView
}

// throttleKeys are the login-throttle counters of one attempt, built from
// ids and blind indexes only.
type throttleKeys struct{ source, account, ip string }

// Login checks a password under the login throttle (account.ThrottlePolicy:
// delays per client IP and per (account, source), a challenge code for
// unknown sources once the account is under attack, never a lockout; a
// known device is limited only by its own counter) and starts a new
// session (a new id and token at every login). Every refusal of
// credentials is account.ErrInvalidCredentials, whether the account is
// unknown, disabled, of the wrong side (staff on the portal, customers on
// the console) or the password wrong, and an unknown login costs the same
// hashing time. Errors: login.invalid_credentials, login.throttled
// (RateLimited, retry_after_seconds), code errors for a wrong challenge
// code.
func (a *App) Login(ctx context.Context, in LoginInput) (LoginResult, error) {
	ac := a.acc()
	pol := ac.cfg.Throttle
	act := ActorFrom(ctx)
	now := a.Now()
	var l loaded
	found := false
	subject := "absent:"
	masked := pii.Mask(strings.TrimSpace(in.Login))
	if c, err := a.parseContact(in.Login, "body.login"); err == nil {
		subject += c.Index
		masked = c.Masked
		row, err := store.AccountByIndex(ctx, a.db, c.column(), c.Index)
		switch {
		case err == nil:
			if l, err = loadRow(ctx, a.db, row); err != nil {
				return LoginResult{}, err
			}
			found, subject = true, row.ID
		case !store.IsNotFound(err):
			return LoginResult{}, err
		}
	} else {
		subject += a.blind("login", strings.ToLower(strings.TrimSpace(in.Login)))
	}
	ipIdx := a.ipIndex(act.ClientIP)
	var st account.ThrottleState
	devHash := ""
	if found && in.DeviceToken != "" {
		if h, err := account.HashDeviceToken(in.DeviceToken); err == nil {
			devHash = hex.EncodeToString(h)
			known, err := store.DeviceKnown(ctx, a.db, l.row.ID, devHash, now)
			if err != nil {
				return LoginResult{}, err
			}
			st.KnownDevice = known
		}
	}
	if found && !st.KnownDevice {
		known, err := store.KnownIP(ctx, a.db, l.row.ID, ipIdx, now.Add(-pol.KnownIPTTL))
		if err != nil {
			return LoginResult{}, err
		}
		st.KnownIP = known
	}
	keys := throttleKeys{source: "src:ip:" + subject + ":" + ipIdx, account: "acct:" + subject, ip: "ip:" + ipIdx}
	if st.KnownDevice {
		keys.source = "src:dev:" + subject + ":" + devHash
	}
	for _, k := range []struct {
		key string
		c   *account.Counter
	}{{keys.source, &st.Source}, {keys.account, &st.Account}, {keys.ip, &st.IP}} {
		c, err := store.ThrottleGet(ctx, a.db, k.key)
		if err != nil {
			return LoginResult{}, err
		}
		*k.c = account.Counter{Failures: c.Failures, Last: c.Last}
	}
	d := pol.Decide(st, now)
	if d.Verdict == account.VerdictDelay {
		return LoginResult{}, d.Err()
	}

	var ok bool
	var err error
	if found && l.row.PasswordHash != "" {
		ok, err = ac.hasher.Verify(ctx, in.Password, l.row.PasswordHash)
	} else {
		_, err = ac.hasher.VerifyAbsent(ctx, in.Password)
	}
	if err != nil {
		return LoginResult{}, err
	}
	isStaff := found && l.row.Kind == string(account.KindStaff)
	if !found || !ok || !account.State(l.row.State).CanLogIn() || isStaff != in.Staff {
		return LoginResult{}, a.loginFailed(ctx, pol, st, keys, subject, masked, found)
	}
	rehash := ""
	if ac.hasher.NeedsRehash(l.row.PasswordHash) {
		if rehash, err = ac.hasher.Hash(ctx, in.Password); err != nil {
			return LoginResult{}, err
		}
	}
	totpOn := !l.row.TOTPEnabledAt.IsZero()
	challenge := d.Verdict == account.VerdictChallenge && !totpOn // with TOTP on, the second factor is the challenge
	if challenge && in.ChallengeCodeID == "" {
		c, err := a.accountContact(l.row)
		if err != nil {
			return LoginResult{}, err
		}
		t, err := a.sendCode(ctx, account.PurposeLoginChallenge, c, l.row.ID, l.row.Lang, true)
		if err != nil {
			return LoginResult{}, err
		}
		return LoginResult{NeedsChallenge: true, Challenge: t}, nil
	}

	var res LoginResult
	var userErr error
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		res, userErr = LoginResult{}, nil
		if challenge {
			ue, err := a.checkCode(ctx, tx, in.ChallengeCodeID, in.ChallengeCode, account.PurposeLoginChallenge, "", l.row.ID, "body.challenge_code")
			if err != nil {
				return err
			}
			if ue != nil {
				userErr = ue
				return a.Audit(ctx, tx, AuditEntry{Action: "account.login_challenge_failed", SubjectType: "account", SubjectID: l.row.ID,
					Data: map[string]any{"code": errs.CodeOf(ue)}})
			}
		}
		if err := tx.ThrottleReset(ctx, keys.source); err != nil {
			return err
		}
		if err := tx.KnownIPSet(ctx, l.row.ID, ipIdx); err != nil {
			return err
		}
		if st.KnownDevice {
			if err := tx.DeviceUsed(ctx, devHash, tx.Now.Add(pol.KnownDeviceTTL)); err != nil {
				return err
			}
		} else {
			tok, h, err := account.NewDeviceToken(nil)
			if err != nil {
				return err
			}
			if err := tx.DeviceInsert(ctx, l.row.ID, hex.EncodeToString(h), tx.Now.Add(pol.KnownDeviceTTL)); err != nil {
				return err
			}
			res.DeviceToken = tok
		}
		if rehash != "" {
			row := l.row
			row.PasswordHash, row.UpdatedAt = rehash, tx.Now
			if err := tx.AccountUpdate(ctx, row); err != nil {
				return err
			}
		}
		s, tok, err := a.newSession(ctx, tx, l.row, totpOn, in.UserAgent)
		if err != nil {
			return err
		}
		res.SessionToken, res.NeedsTOTP, res.Account = tok, totpOn, l.view()
		return a.Audit(ctx, tx, AuditEntry{Action: "account.login", SubjectType: "account", SubjectID: l.row.ID,
			Data: map[string]any{"session_id": s.ID, "mfa_pending": totpOn, "known_device": st.KnownDevice, "challenged": challenge, "console": in.Staff}})
	})
	if err != nil {
		return LoginResult{}, err
	}
	if userErr != nil {
		return LoginResult{}, userErr
	}
	return res, nil
}

// loginFailed counts a failed attempt on the counters the policy names and
// audits it; it returns the one answer to every refusal.
func (a *App) loginFailed(ctx context.Context, pol account.ThrottlePolicy, st account.ThrottleState, keys throttleKeys, subject, masked string, found bool) error {
	f := pol.Failed(st)
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		for _, c := range []struct {
			on    bool
			key   string
			reset time.Duration
		}{{f.Source, keys.source, pol.Source.ResetAfter}, {f.Account, keys.account, pol.AccountResetAfter}, {f.IP, keys.ip, pol.IP.ResetAfter}} {
			if c.on {
				if err := tx.ThrottleFail(ctx, c.key, tx.Now, c.reset); err != nil {
					return err
				}
			}
		}
		sid := ""
		if found {
			sid = subject
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.login_failed", SubjectType: "account", SubjectID: sid,
			Data: map[string]any{"login": masked, "known_device": st.KnownDevice, "known_ip": st.KnownIP}})
	})
	if err != nil {
		return err
	}
	return account.ErrInvalidCredentials
}

// accountContact is where a code for an existing account goes: its
// verified email, else its verified phone.
func (a *App) accountContact(row store.AccountRow) (contact, error) {
	if row.EmailEnc != "" && !row.EmailVerifiedAt.IsZero() {
		e, err := a.open("account", "email", row.ID, row.EmailEnc)
		if err != nil {
			return contact{}, err
		}
		return a.parseContact(e, "body.login")
	}
	if row.PhoneEnc != "" {
		p, err := a.open("account", "phone", row.ID, row.PhoneEnc)
		if err != nil {
			return contact{}, err
		}
		return a.parseContact(p, "body.login")
	}
	return contact{}, &errs.Error{Kind: errs.Conflict, Code: "account.no_contact", Msg: "the account has no verified contact"}
}

// newSession stores a new session for row in tx and returns it with its
// token.
func (a *App) newSession(ctx context.Context, tx *store.Tx, row store.AccountRow, pendingMFA bool, userAgent string) (account.Session, string, error) {
	ip := ActorFrom(ctx).ClientIP
	s, tok, err := account.NewSession(account.NewSessionParams{ID: id.NewAt(tx.Now), AccountID: row.ID, Kind: account.Kind(row.Kind),
		Now: tx.Now, PendingMFA: pendingMFA, IP: ip, UserAgent: truncate(userAgent, 512)})
	if err != nil {
		return s, "", err
	}
	ipEnc, err := a.seal("account_session", "client_ip", s.ID, ip)
	if err != nil {
		return s, "", err
	}
	r := store.SessionRow{TokenHash: hex.EncodeToString(s.TokenHash), ID: s.ID, AccountID: row.ID, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt,
		Idle: s.IdleAfter, ExpiresAt: s.ExpiresAt, ReauthAt: s.ReauthAt, ClientIPEnc: ipEnc, UserAgent: s.UserAgent}
	if !pendingMFA {
		r.MFACompletedAt = tx.Now
	}
	return s, tok, tx.SessionInsert(ctx, r)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// RateSecondFactor bounds second-factor guesses per session (and per
// account for re-authentication), across instances.
var RateSecondFactor = RateRule{Name: "login.second_factor", Limit: 10, Window: 5 * time.Minute}

// LoginSecondFactor completes a login whose session awaits its second
// factor: code is a TOTP code (replay-protected: a step is accepted once)
// or an unused recovery code (consumed). On success the session's token is
// rotated (the privilege changed) and the new token is returned; the old
// one stops working. Errors: session.* (Unauthenticated) for a session that
// is not pending, ended or expired; totp.invalid, totp.reused,
// recovery_code.invalid; rate_limited.
func (a *App) LoginSecondFactor(ctx context.Context, sessionToken, code string) (string, error) {
	h, err := account.HashSessionToken(sessionToken)
	if err != nil {
		return "", err
	}
	hexHash := hex.EncodeToString(h)
	sr, err := store.SessionByTokenHash(ctx, a.db, hexHash)
	if store.IsNotFound(err) {
		return "", &errs.Error{Kind: errs.Unauthenticated, Code: account.CodeSessionInvalid, Msg: "log in again"}
	}
	if err != nil {
		return "", err
	}
	s := domainSession(sr)
	if err := s.Check(a.Now()); err != nil && errs.CodeOf(err) != account.CodeSessionMFAPending {
		return "", err
	}
	if !s.PendingMFA {
		return "", &errs.Error{Kind: errs.Conflict, Code: "session.mfa_not_pending", Msg: "the second factor is not due"}
	}
	if err := a.RateLimit(ctx, RateSecondFactor, "session:"+sr.ID); err != nil {
		return "", err
	}
	var newTok string
	var userErr error
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		newTok, userErr = "", nil
		l, err := loadAccount(ctx, tx, sr.AccountID)
		if err != nil {
			return err
		}
		method, ue, err := a.secondFactor(ctx, tx, l.row, code)
		if err != nil {
			return err
		}
		if ue != nil {
			userErr = ue
			return a.Audit(ctx, tx, AuditEntry{Action: "account.second_factor_failed", SubjectType: "account", SubjectID: l.row.ID,
				Data: map[string]any{"session_id": sr.ID, "code": errs.CodeOf(ue)}})
		}
		tok, nh, err := account.NewSessionToken(nil)
		if err != nil {
			return err
		}
		done := s.CompleteMFA(tx.Now, account.Kind(l.row.Kind))
		next := sr
		next.MFACompletedAt, next.ReauthAt, next.LastSeenAt, next.ExpiresAt = tx.Now, done.ReauthAt, done.LastSeenAt, done.ExpiresAt
		ok, err := tx.SessionCompleteMFA(ctx, hexHash, hex.EncodeToString(nh), next)
		if err != nil {
			return err
		}
		if !ok {
			userErr = &errs.Error{Kind: errs.Unauthenticated, Code: account.CodeSessionInvalid, Msg: "log in again"}
			return errRollback
		}
		newTok = tok
		return a.Audit(ctx, tx, AuditEntry{Action: "account.login_completed", SubjectType: "account", SubjectID: l.row.ID,
			Data: map[string]any{"session_id": sr.ID, "method": method}})
	})
	if errors.Is(err, errRollback) {
		return "", userErr
	}
	if err != nil {
		return "", err
	}
	return newTok, userErr
}

// secondFactor checks code as the account's TOTP code or, if it does not
// look like one, as a recovery code, and records its use in tx (the TOTP
// step conditionally on the last one read; the recovery code by a
// conditional consume). method is "totp" or "recovery_code".
func (a *App) secondFactor(ctx context.Context, tx *store.Tx, row store.AccountRow, code string) (method string, userErr, err error) {
	if row.TOTPEnabledAt.IsZero() {
		return "", &errs.Error{Kind: errs.Conflict, Code: "totp.not_enabled", Msg: "two-factor authentication is not on"}, nil
	}
	if norm := account.NormalizeRecoveryCode(code); norm != "" && len(strings.TrimSpace(code)) > account.TOTPDigits {
		h, err := account.HashRecoveryCode(a.acc().recKey, row.ID, code)
		if err != nil {
			return "recovery_code", err, nil
		}
		ok, err := tx.RecoveryConsume(ctx, row.ID, hex.EncodeToString(h))
		if err != nil {
			return "", nil, err
		}
		if !ok {
			return "recovery_code", &errs.Error{Kind: errs.Invalid, Code: account.CodeRecoveryInvalid, Msg: "recovery code not accepted",
				Fields: []errs.FieldError{{Field: "body.code", Rule: "mismatch"}}}, nil
		}
		return "recovery_code", nil, nil
	}
	secret, err := a.open("account", "totp_secret", row.ID, row.TOTPSecretEnc)
	if err != nil {
		return "", nil, err
	}
	step, ue := account.VerifyTOTP(secret, code, time.Now(), row.TOTPLastStep) // wall time: the authenticator's clock
	if ue != nil {
		if errs.KindOf(ue) == errs.Internal {
			return "", nil, ue
		}
		return "totp", ue, nil
	}
	ok, err := tx.AccountTOTPAdvance(ctx, row.ID, row.TOTPLastStep, step)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "totp", &errs.Error{Kind: errs.Invalid, Code: account.CodeTOTPReused, Msg: "code already used",
			Fields: []errs.FieldError{{Field: "body.code", Rule: "reused"}}}, nil
	}
	return "totp", nil, nil
}
