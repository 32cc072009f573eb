package account

import (
	"io"
	"time"

	"yuanxu/internal/errs"
)

// Login throttling is pure policy here; the store keeps the counters (one
// row per key, shared by every instance) and the app passes them in. The
// scheme is described in the package documentation ("Login throttling").

// Counter is one failure counter: how many failures, and when the last
// one was. A counter forgets (reads as zero) once ResetAfter has passed
// since its last failure.
type Counter struct {
	Failures int
	Last     time.Time
}

// Current returns the failures that still count at now.
func (c Counter) Current(now time.Time, resetAfter time.Duration) int {
	if c.Failures <= 0 || c.Last.IsZero() || now.Sub(c.Last) >= resetAfter {
		return 0
	}
	return c.Failures
}

// Fail returns c after one more failure at now. In SQL:
// failures = CASE WHEN last <= now - resetAfter THEN 1 ELSE failures + 1 END, last = now.
func (c Counter) Fail(now time.Time, resetAfter time.Duration) Counter {
	return Counter{Failures: c.Current(now, resetAfter) + 1, Last: now}
}

// Backoff is an exponential delay after a number of free failures: never a
// lockout, only a wait that is capped.
type Backoff struct {
	Free       int           // failures allowed without delay
	Base       time.Duration // delay after failure Free+1
	Max        time.Duration // cap on the delay
	ResetAfter time.Duration // quiet time after which the counter forgets
}

// Delay returns the wait required after n failures: 0 up to Free, then
// Base doubling per failure, capped at Max.
func (b Backoff) Delay(n int) time.Duration {
	if n <= b.Free {
		return 0
	}
	shift := n - b.Free - 1
	if shift >= 32 {
		return b.Max
	}
	d := b.Base << shift
	if d <= 0 || d > b.Max {
		return b.Max
	}
	return d
}

// RetryAfter returns how long from now until c allows another attempt (0:
// allowed now).
func (b Backoff) RetryAfter(c Counter, now time.Time) time.Duration {
	n := c.Current(now, b.ResetAfter)
	if n == 0 {
		return 0
	}
	wait := c.Last.Add(b.Delay(n)).Sub(now)
	if wait < 0 {
		return 0
	}
	return wait
}

// ThrottlePolicy are the limits of the login throttle.
type ThrottlePolicy struct {
	// Source limits one source on one account: the known device if the
	// attempt carries a valid device token, else the client IP.
	Source Backoff
	// IP limits one client IP across all accounts (credential stuffing
	// from one address). Known devices are exempt.
	IP Backoff
	// ChallengeAfter failures on the account from unknown sources (neither
	// a known device nor a known IP) put every further login from an
	// unknown source behind a challenge; AccountResetAfter is that
	// counter's quiet time.
	ChallengeAfter    int
	AccountResetAfter time.Duration
	// ChallengeUnknownSources challenges every login from an unknown
	// source, attack or not ("new device verification").
	ChallengeUnknownSources bool
	// KnownDeviceTTL is how long a device token stays valid after the
	// login that issued it; KnownIPTTL how long an IP counts as known
	// after a successful login from it.
	KnownDeviceTTL time.Duration
	KnownIPTTL     time.Duration
}

// DefaultThrottlePolicy is the production policy.
var DefaultThrottlePolicy = ThrottlePolicy{
	Source:            Backoff{Free: 5, Base: time.Second, Max: 15 * time.Minute, ResetAfter: 24 * time.Hour},
	IP:                Backoff{Free: 50, Base: time.Second, Max: time.Hour, ResetAfter: time.Hour},
	ChallengeAfter:    10,
	AccountResetAfter: 24 * time.Hour,
	KnownDeviceTTL:    90 * 24 * time.Hour,
	KnownIPTTL:        30 * 24 * time.Hour,
}

// ThrottleState is what the store knows about one login attempt. For an
// identifier that matches no account, the app uses the same keys built
// from the identifier's blind index, so unknown accounts behave exactly
// like known ones.
type ThrottleState struct {
	KnownDevice bool    // the attempt carries a valid device token of this account
	KnownIP     bool    // the client IP logged into this account within KnownIPTTL
	Source      Counter // (account, device) if KnownDevice, else (account, IP)
	Account     Counter // the account's failures from unknown sources
	IP          Counter // the client IP's failures across accounts
}

// Verdict is the throttle's answer before a login attempt.
type Verdict int

// Verdicts. The zero Verdict is invalid (Decide never returns it, and its
// Err is an internal error, so a forgotten decision fails closed).
const (
	VerdictAllow     Verdict = iota + 1 // check the password
	VerdictDelay                        // refuse without checking the password; retry after RetryAfter
	VerdictChallenge                    // check the password; if right, also require a challenge
)

func (v Verdict) String() string {
	switch v {
	case VerdictAllow:
		return "allow"
	case VerdictDelay:
		return "delay"
	case VerdictChallenge:
		return "challenge"
	}
	return "unknown"
}

// ThrottleDecision is Decide's answer.
type ThrottleDecision struct {
	Verdict    Verdict
	RetryAfter time.Duration // for VerdictDelay
	// Limiter names the counter behind a Delay or Challenge: "source",
	// "ip" or "account".
	Limiter string
}

// Decide applies the policy to an attempt at now, before the password is
// checked.
func (tp ThrottlePolicy) Decide(st ThrottleState, now time.Time) ThrottleDecision {
	if st.KnownDevice {
		if w := tp.Source.RetryAfter(st.Source, now); w > 0 {
			return ThrottleDecision{Verdict: VerdictDelay, RetryAfter: w, Limiter: "source"}
		}
		return ThrottleDecision{Verdict: VerdictAllow}
	}
	if w := tp.IP.RetryAfter(st.IP, now); w > 0 {
		return ThrottleDecision{Verdict: VerdictDelay, RetryAfter: w, Limiter: "ip"}
	}
	if w := tp.Source.RetryAfter(st.Source, now); w > 0 {
		return ThrottleDecision{Verdict: VerdictDelay, RetryAfter: w, Limiter: "source"}
	}
	if st.KnownIP {
		return ThrottleDecision{Verdict: VerdictAllow}
	}
	if tp.ChallengeUnknownSources || st.Account.Current(now, tp.AccountResetAfter) >= tp.ChallengeAfter {
		return ThrottleDecision{Verdict: VerdictChallenge, Limiter: "account"}
	}
	return ThrottleDecision{Verdict: VerdictAllow}
}

// Err is the error for a Delay (errs.RateLimited login.throttled with
// retry_after_seconds) or, to be returned only once the password was found
// right, for a Challenge (errs.Unauthenticated login.challenge_required:
// the app has sent a login_challenge code to a verified address, or asks
// for the TOTP). Allow gives nil; the zero decision an internal error.
func (d ThrottleDecision) Err() error {
	switch d.Verdict {
	case VerdictDelay:
		secs := int64((d.RetryAfter + time.Second - 1) / time.Second)
		return &errs.Error{Kind: errs.RateLimited, Code: CodeLoginThrottled, Msg: "too many failed logins; retry later",
			Params: map[string]any{"retry_after_seconds": max(secs, 1)}}
	case VerdictChallenge:
		return &errs.Error{Kind: errs.Unauthenticated, Code: CodeLoginChallenge, Msg: "enter the code we sent you"}
	case VerdictAllow:
		return nil
	}
	return &errs.Error{Kind: errs.Internal, Code: "internal", Msg: "login throttle: no decision"}
}

// FailureCounts says which counters one failed attempt increments.
type FailureCounts struct {
	Source  bool // always
	Account bool // unless the source is a known device or IP
	IP      bool // unless the source is a known device
}

// Failed reports which counters a failed attempt (a wrong password, a
// wrong second factor or challenge code) increments. Failures from known
// sources never raise the account-wide counter, so the owner's own typos
// never put the account behind a challenge.
func (tp ThrottlePolicy) Failed(st ThrottleState) FailureCounts {
	return FailureCounts{Source: true, Account: !st.KnownDevice && !st.KnownIP, IP: !st.KnownDevice}
}

// AfterFailure returns st with the counters that Failed names incremented
// at now.
func (tp ThrottlePolicy) AfterFailure(st ThrottleState, now time.Time) ThrottleState {
	f := tp.Failed(st)
	if f.Source {
		st.Source = st.Source.Fail(now, tp.Source.ResetAfter)
	}
	if f.Account {
		st.Account = st.Account.Fail(now, tp.AccountResetAfter)
	}
	if f.IP {
		st.IP = st.IP.Fail(now, tp.IP.ResetAfter)
	}
	return st
}

// AfterSuccess returns st after a complete login (password, and second
// factor or challenge where due): the source counter is cleared. The
// account and IP counters are left alone, since an attack on them may be
// going on; the app records the IP as known and issues a device token.
func (tp ThrottlePolicy) AfterSuccess(st ThrottleState) ThrottleState {
	st.Source = Counter{}
	return st
}

// NewDeviceToken returns a device token for the login cookie that marks a
// known device, and its stored hash (bound by the app to the account, valid
// KnownDeviceTTL). Same construction as session tokens; rnd nil means
// crypto/rand.
func NewDeviceToken(rnd io.Reader) (token string, hash []byte, err error) {
	return NewSessionToken(rnd)
}

// HashDeviceToken returns the stored form of a presented device token, or
// errs.Unauthenticated for a malformed one (treat it as absent).
func HashDeviceToken(token string) ([]byte, error) { return HashSessionToken(token) }
