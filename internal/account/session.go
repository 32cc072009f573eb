package account

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"time"

	"yuanxu/internal/errs"
)

// Session tokens: 32 random bytes, base64url without padding (43
// characters). The browser holds the token (an HttpOnly, Secure,
// SameSite=Lax cookie); the database holds only its SHA-256, so a read of
// the sessions table yields nothing usable. A plain hash suffices because
// the token has 256 bits of entropy.
const (
	SessionTokenBytes = 32
	sessionTokenLen   = 43
	// TouchInterval is how stale LastSeenAt may get before the app writes
	// it again; it bounds writes to one per session per minute.
	TouchInterval = time.Minute
	// ReauthWindow is how long a fresh password (and second factor) entry
	// authorises sensitive changes: email, phone, password, two-factor.
	ReauthWindow = 5 * time.Minute
	// PendingMFATTL is how long a session may wait for its second factor.
	PendingMFATTL = 5 * time.Minute
)

// NewSessionToken returns a fresh token for the cookie and its stored hash.
// rnd nil means crypto/rand.
func NewSessionToken(rnd io.Reader) (token string, hash []byte, err error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var b [SessionTokenBytes]byte
	if _, err := io.ReadFull(rnd, b[:]); err != nil {
		return "", nil, err
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashToken(token), nil
}

// HashSessionToken returns the stored form of a token presented by a
// client. A token of the wrong shape gives errs.Unauthenticated
// (session.invalid) without hashing, so garbage never reaches the store.
func HashSessionToken(token string) ([]byte, error) {
	if len(token) != sessionTokenLen {
		return nil, sessionErr(CodeSessionInvalid)
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, sessionErr(CodeSessionInvalid)
		}
	}
	if _, err := base64.RawURLEncoding.Strict().DecodeString(token); err != nil {
		return nil, sessionErr(CodeSessionInvalid)
	}
	return hashToken(token), nil
}

func hashToken(t string) []byte {
	s := sha256.Sum256([]byte(t))
	return s[:]
}

// SessionPolicy bounds a session's life.
type SessionPolicy struct {
	Idle     time.Duration // ends after this long without a request
	Absolute time.Duration // ends this long after login, whatever happens
}

// Session policies. Staff sessions are shorter: they reach every
// customer's data.
var (
	CustomerSessionPolicy = SessionPolicy{Idle: 30 * time.Minute, Absolute: 12 * time.Hour}
	StaffSessionPolicy    = SessionPolicy{Idle: 15 * time.Minute, Absolute: 8 * time.Hour}
)

// SessionPolicyFor returns the policy for an account of kind k.
func SessionPolicyFor(k Kind) SessionPolicy {
	if k == KindStaff {
		return StaffSessionPolicy
	}
	return CustomerSessionPolicy
}

// EndReason records why a session ended.
type EndReason string

// End reasons. Every session of the account ends (the app does it in the
// same transaction) on EndLogoutAll, EndPasswordChanged, EndMFAChanged and
// EndDisabled; EndLogout ends only the current one.
const (
	EndLogout          EndReason = "logout"
	EndLogoutAll       EndReason = "logout_all"
	EndPasswordChanged EndReason = "password_changed" // including a reset
	EndMFAChanged      EndReason = "mfa_changed"      // two-factor removed or replaced
	EndDisabled        EndReason = "disabled"         // or closed
	EndRevoked         EndReason = "revoked"          // ended from the sessions list, by the holder or the enterprise owner
)

// EndsAll reports whether r ends every session of the account.
func (r EndReason) EndsAll() bool {
	switch r {
	case EndLogoutAll, EndPasswordChanged, EndMFAChanged, EndDisabled:
		return true
	}
	return false
}

// Session is a server-side session. A login always makes a new Session with
// a new id and token (never reusing one that existed before login: no
// session fixation); the app stores it with TokenHash unique.
type Session struct {
	ID         string
	AccountID  string
	TokenHash  []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	IdleAfter  time.Duration // the policy's Idle, frozen at login
	ExpiresAt  time.Time     // CreatedAt + the policy's Absolute
	// PendingMFA: the password was right, the second factor is still due;
	// such a session authorises nothing but completing the login, and
	// expires after PendingMFATTL.
	PendingMFA bool
	ReauthAt   time.Time // last password (and second factor) entry; CreatedAt at login
	EndedAt    time.Time
	EndReason  EndReason
	// For the sessions list, personal information: stored sealed.
	IP        string
	UserAgent string
}

// NewSessionParams are the inputs of NewSession.
type NewSessionParams struct {
	ID         string // id.New()
	AccountID  string
	Kind       Kind // picks the policy
	Now        time.Time
	PendingMFA bool
	IP         string
	UserAgent  string
	Rand       io.Reader // nil: crypto/rand
}

// NewSession starts a session and returns it with the token to set in the
// cookie (shown to nobody else, never stored).
func NewSession(p NewSessionParams) (Session, string, error) {
	tok, hash, err := NewSessionToken(p.Rand)
	if err != nil {
		return Session{}, "", err
	}
	pol := SessionPolicyFor(p.Kind)
	exp := p.Now.Add(pol.Absolute)
	if p.PendingMFA {
		exp = p.Now.Add(PendingMFATTL)
	}
	return Session{
		ID: p.ID, AccountID: p.AccountID, TokenHash: hash,
		CreatedAt: p.Now, LastSeenAt: p.Now, IdleAfter: pol.Idle, ExpiresAt: exp,
		PendingMFA: p.PendingMFA, ReauthAt: p.Now, IP: p.IP, UserAgent: p.UserAgent,
	}, tok, nil
}

// Check returns nil if s authorises requests at now, else an
// errs.Unauthenticated *errs.Error: session.ended, session.expired
// (absolute timeout), session.idle_timeout, session.mfa_pending.
func (s Session) Check(now time.Time) error {
	switch {
	case !s.EndedAt.IsZero():
		return sessionErr(CodeSessionEnded)
	case !now.Before(s.ExpiresAt):
		return sessionErr(CodeSessionExpired)
	case s.IdleAfter > 0 && !now.Before(s.LastSeenAt.Add(s.IdleAfter)):
		return sessionErr(CodeSessionIdle)
	case s.PendingMFA:
		return sessionErr(CodeSessionMFAPending)
	}
	return nil
}

// Valid reports whether Check(now) passes.
func (s Session) Valid(now time.Time) bool { return s.Check(now) == nil }

// NeedsTouch reports whether the app should write LastSeenAt = now.
func (s Session) NeedsTouch(now time.Time) bool { return now.Sub(s.LastSeenAt) >= TouchInterval }

// Touch returns s seen at now.
func (s Session) Touch(now time.Time) Session {
	if now.After(s.LastSeenAt) {
		s.LastSeenAt = now
	}
	return s
}

// CompleteMFA returns s after its second factor passed at now: the full
// policy's absolute expiry from the original login, re-authenticated now.
// The app rotates the token as well (NewSessionToken) since the
// privilege changed.
func (s Session) CompleteMFA(now time.Time, k Kind) Session {
	s.PendingMFA = false
	s.ExpiresAt = s.CreatedAt.Add(SessionPolicyFor(k).Absolute)
	s.ReauthAt, s.LastSeenAt = now, now
	return s
}

// Reauthenticated returns s after the holder entered their password (and
// second factor) again at now.
func (s Session) Reauthenticated(now time.Time) Session {
	s.ReauthAt = now
	return s.Touch(now)
}

// RequireRecentAuth returns nil if the holder authenticated within
// ReauthWindow of now, else errs.Forbidden session.reauth_required: the
// gate before changing email, phone, password or two-factor.
func (s Session) RequireRecentAuth(now time.Time) error {
	if !s.ReauthAt.IsZero() && now.Sub(s.ReauthAt) < ReauthWindow && !now.Before(s.ReauthAt) {
		return nil
	}
	return &errs.Error{Kind: errs.Forbidden, Code: CodeReauthRequired, Msg: "enter your password again",
		Params: map[string]any{"window_minutes": int(ReauthWindow / time.Minute)}}
}

// End returns s ended at now for reason (unchanged if it already ended).
func (s Session) End(now time.Time, reason EndReason) Session {
	if s.EndedAt.IsZero() {
		s.EndedAt, s.EndReason = now, reason
	}
	return s
}

func sessionErr(code string) error {
	return &errs.Error{Kind: errs.Unauthenticated, Code: code, Msg: "log in again"}
}
