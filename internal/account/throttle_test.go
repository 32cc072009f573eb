package account_test

import (
	"fmt"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

func TestBackoff(t *testing.T) {
	t.Parallel()
	b := account.Backoff{Free: 5, Base: time.Second, Max: 15 * time.Minute, ResetAfter: time.Hour}
	for n, want := range map[int]time.Duration{0: 0, 5: 0, 6: time.Second, 7: 2 * time.Second, 10: 16 * time.Second,
		15: 512 * time.Second, 16: 15 * time.Minute, 100: 15 * time.Minute, 1 << 30: 15 * time.Minute} {
		if got := b.Delay(n); got != want {
			t.Errorf("Delay(%d) = %v, want %v", n, got, want)
		}
	}
	now := time.Date(2026, 6, 18, 9, 0, 0, 0, time.UTC)
	c := account.Counter{Failures: 7, Last: now}
	if got := b.RetryAfter(c, now.Add(500*time.Millisecond)); got != 1500*time.Millisecond {
		t.Errorf("RetryAfter = %v", got)
	}
	if b.RetryAfter(c, now.Add(2*time.Second)) != 0 || b.RetryAfter(c, now.Add(time.Hour)) != 0 {
		t.Error("RetryAfter after the wait")
	}
	if c.Current(now.Add(time.Hour), time.Hour) != 0 || c.Current(now.Add(time.Hour-1), time.Hour) != 7 {
		t.Error("Current")
	}
	if got := c.Fail(now.Add(time.Hour), time.Hour); got.Failures != 1 || !got.Last.Equal(now.Add(time.Hour)) {
		t.Errorf("Fail after reset = %+v", got)
	}
	if got := c.Fail(now.Add(time.Minute), time.Hour); got.Failures != 8 {
		t.Errorf("Fail = %+v", got)
	}
}

func TestThrottleDecide(t *testing.T) {
	t.Parallel()
	tp := account.DefaultThrottlePolicy
	now := time.Date(2026, 6, 18, 9, 0, 0, 0, time.UTC)
	hot := func(n int) account.Counter { return account.Counter{Failures: n, Last: now.Add(-time.Millisecond)} }
	tests := []struct {
		name    string
		st      account.ThrottleState
		verdict account.Verdict
		limiter string
	}{
		{"Quiet", account.ThrottleState{}, account.VerdictAllow, ""},
		{"KnownDeviceIgnoresAttack", account.ThrottleState{KnownDevice: true, Account: hot(1e6), IP: hot(1e6)}, account.VerdictAllow, ""},
		{"KnownDeviceOwnTypos", account.ThrottleState{KnownDevice: true, Source: hot(6)}, account.VerdictDelay, "source"},
		{"IPStuffing", account.ThrottleState{IP: hot(51)}, account.VerdictDelay, "ip"},
		{"IPUnderLimit", account.ThrottleState{IP: hot(50)}, account.VerdictAllow, ""},
		{"AccountFromIP", account.ThrottleState{Source: hot(6)}, account.VerdictDelay, "source"},
		{"AccountUnderAttack", account.ThrottleState{Account: hot(10)}, account.VerdictChallenge, "account"},
		{"AccountUnderAttackKnownIP", account.ThrottleState{KnownIP: true, Account: hot(1e6)}, account.VerdictAllow, ""},
		{"AttackForgotten", account.ThrottleState{Account: account.Counter{Failures: 1e6, Last: now.Add(-25 * time.Hour)}}, account.VerdictAllow, ""},
		{"KnownIPSharedWithStuffer", account.ThrottleState{KnownIP: true, IP: hot(1000)}, account.VerdictDelay, "ip"},
	}
	for _, tt := range tests {
		d := tp.Decide(tt.st, now)
		if d.Verdict != tt.verdict || d.Limiter != tt.limiter {
			t.Errorf("%s: %v %q %v, want %v %q", tt.name, d.Verdict, d.Limiter, d.RetryAfter, tt.verdict, tt.limiter)
		}
		if (d.Verdict == account.VerdictDelay) != (d.RetryAfter > 0) {
			t.Errorf("%s: RetryAfter %v with %v", tt.name, d.RetryAfter, d.Verdict)
		}
	}
	strict := tp
	strict.ChallengeUnknownSources = true
	if d := strict.Decide(account.ThrottleState{}, now); d.Verdict != account.VerdictChallenge {
		t.Errorf("new-device verification: %v", d.Verdict)
	}
	if d := strict.Decide(account.ThrottleState{KnownIP: true}, now); d.Verdict != account.VerdictAllow {
		t.Errorf("new-device verification, known IP: %v", d.Verdict)
	}
}

func TestThrottleErrors(t *testing.T) {
	t.Parallel()
	d := account.ThrottleDecision{Verdict: account.VerdictDelay, RetryAfter: 1500 * time.Millisecond}
	var e *errs.Error
	if !asErr(d.Err(), &e) || e.Kind != errs.RateLimited || e.Code != account.CodeLoginThrottled || e.Params["retry_after_seconds"] != int64(2) {
		t.Errorf("delay: %#v", d.Err())
	}
	c := account.ThrottleDecision{Verdict: account.VerdictChallenge}
	if errs.CodeOf(c.Err()) != account.CodeLoginChallenge || errs.KindOf(c.Err()) != errs.Unauthenticated {
		t.Errorf("challenge: %v", c.Err())
	}
	if (account.ThrottleDecision{Verdict: account.VerdictAllow}).Err() != nil {
		t.Error("allow has an error")
	}
	if (account.ThrottleDecision{}).Err() == nil {
		t.Error("the zero decision fails open")
	}
	if account.VerdictChallenge.String() != "challenge" || account.Verdict(0).String() != "unknown" {
		t.Error("Verdict strings")
	}
	if errs.CodeOf(account.ErrInvalidCredentials) != account.CodeLoginInvalid {
		t.Error("ErrInvalidCredentials")
	}
}

// world simulates the store's counters for the credential-stuffing test.
type world struct {
	tp       account.ThrottlePolicy
	source   map[string]account.Counter // account|source
	acct     map[string]account.Counter
	ip       map[string]account.Counter
	knownIP  map[string]bool // account|ip
	password map[string]string
}

func (w *world) state(acct, ip string, device bool) account.ThrottleState {
	src := ip
	if device {
		src = "device"
	}
	return account.ThrottleState{KnownDevice: device, KnownIP: w.knownIP[acct+"|"+ip],
		Source: w.source[acct+"|"+src], Account: w.acct[acct], IP: w.ip[ip]}
}

// login runs one attempt as the app would: decide, check the password only
// if not delayed, require the challenge code when challenged, then record.
func (w *world) login(acct, ip, pw string, device, hasChallengeCode bool, now time.Time) account.Verdict {
	st := w.state(acct, ip, device)
	d := w.tp.Decide(st, now)
	if d.Verdict == account.VerdictDelay {
		return account.VerdictDelay
	}
	src := ip
	if device {
		src = "device"
	}
	if w.password[acct] != pw {
		st = w.tp.AfterFailure(st, now)
		w.source[acct+"|"+src], w.acct[acct], w.ip[ip] = st.Source, st.Account, st.IP
		return 0 // failed
	}
	if d.Verdict == account.VerdictChallenge && !hasChallengeCode {
		return account.VerdictChallenge
	}
	st = w.tp.AfterSuccess(st)
	w.source[acct+"|"+src] = st.Source
	w.knownIP[acct+"|"+ip] = true
	return account.VerdictAllow
}

// TestCredentialStuffing: many wrong passwords from many addresses neither
// succeed nor lock the real owner out (issue 5, "Done when").
func TestCredentialStuffing(t *testing.T) {
	t.Parallel()
	w := &world{tp: account.DefaultThrottlePolicy, source: map[string]account.Counter{}, acct: map[string]account.Counter{},
		ip: map[string]account.Counter{}, knownIP: map[string]bool{}, password: map[string]string{"victim": "owner's real passphrase"}}
	now := time.Date(2026, 6, 18, 9, 0, 0, 0, time.UTC)
	if w.login("victim", "10.0.0.1", "owner's real passphrase", false, false, now) != account.VerdictAllow {
		t.Fatal("owner's first login")
	}
	successes := 0
	for i := range 20000 {
		now = now.Add(50 * time.Millisecond)
		ip := fmt.Sprintf("203.0.%d.%d", i/250%250, i%250)
		if w.login("victim", ip, fmt.Sprintf("guess-%d", i), false, false, now) == account.VerdictAllow {
			successes++
		}
		// One stuffing address also sprays other accounts.
		w.login(fmt.Sprintf("other-%d", i), "198.51.100.7", "guess", false, false, now)
	}
	if successes != 0 {
		t.Fatalf("%d guesses succeeded", successes)
	}
	if d := w.tp.Decide(w.state("x", "198.51.100.7", false), now); d.Verdict != account.VerdictDelay {
		t.Errorf("the spraying address is not slowed: %v", d.Verdict)
	}
	// The owner from their known browser gets straight in.
	if v := w.login("victim", "10.9.9.9", "owner's real passphrase", true, false, now); v != account.VerdictAllow {
		t.Errorf("owner on a known device: %v", v)
	}
	// From their known IP, too.
	if v := w.login("victim", "10.0.0.1", "owner's real passphrase", false, false, now); v != account.VerdictAllow {
		t.Errorf("owner from a known IP: %v", v)
	}
	// From a new phone on a new network: challenged, never delayed, and in
	// with the code sent to them.
	if v := w.login("victim", "100.64.1.1", "owner's real passphrase", false, false, now); v != account.VerdictChallenge {
		t.Errorf("owner on a new device: %v", v)
	}
	if v := w.login("victim", "100.64.1.1", "owner's real passphrase", false, true, now); v != account.VerdictAllow {
		t.Errorf("owner with the challenge code: %v", v)
	}
	// An attacker holding the leaked password is stopped by the challenge.
	if v := w.login("victim", "203.0.99.99", "owner's real passphrase", false, false, now); v != account.VerdictChallenge {
		t.Errorf("attacker with the password: %v", v)
	}
	// No delay the attacker caused ever exceeds the cap.
	for k, c := range w.source {
		if d := w.tp.Source.RetryAfter(c, now); d > w.tp.Source.Max {
			t.Errorf("%s waits %v", k, d)
		}
	}
}

func TestThrottleFailureCounting(t *testing.T) {
	t.Parallel()
	tp := account.DefaultThrottlePolicy
	now := time.Now()
	for _, tt := range []struct {
		st   account.ThrottleState
		want account.FailureCounts
	}{
		{account.ThrottleState{}, account.FailureCounts{Source: true, Account: true, IP: true}},
		{account.ThrottleState{KnownIP: true}, account.FailureCounts{Source: true, IP: true}},
		{account.ThrottleState{KnownDevice: true}, account.FailureCounts{Source: true}},
	} {
		if got := tp.Failed(tt.st); got != tt.want {
			t.Errorf("Failed(%+v) = %+v", tt.st, got)
		}
		after := tp.AfterFailure(tt.st, now)
		if (after.Account.Failures == 1) != tt.want.Account || (after.IP.Failures == 1) != tt.want.IP || after.Source.Failures != 1 {
			t.Errorf("AfterFailure(%+v) = %+v", tt.st, after)
		}
		if tp.AfterSuccess(after).Source != (account.Counter{}) {
			t.Error("AfterSuccess keeps the source counter")
		}
	}
}
