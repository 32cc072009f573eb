package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
)

// enableTOTP turns two-factor on for the holder of token and returns the
// secret and the recovery codes.
func (s acctSUT) enableTOTP(t *testing.T, p account.Principal, token string) (string, []string) {
	t.Helper()
	ctx := context.Background()
	key, err := s.a.TOTPBegin(ctx, p, token)
	if err != nil {
		t.Fatal(err)
	}
	codes, err := s.a.TOTPEnable(ctx, p, token, totpNow(t, key.Secret, time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return key.Secret, codes
}

func TestTOTPLoginRefusesReplayAndRecoveryCodesWorkOnce(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	r := s.register(t, "individual")
	p, res := s.login(t, r.email, goodPassword)
	secret, recovery := s.enableTOTP(t, p, res.SessionToken)
	if len(recovery) != account.RecoveryCodeCount {
		t.Fatalf("recovery codes = %d", len(recovery))
	}

	_, pending := s.login(t, r.email, goodPassword)
	if !pending.NeedsTOTP {
		t.Fatal("second factor not asked for")
	}
	_, _, err := s.a.Authenticate(context.Background(), pending.SessionToken)
	wantCode(t, err, account.CodeSessionMFAPending)
	// The enabling code used the current step: the same step is a replay.
	_, err = s.a.LoginSecondFactor(context.Background(), pending.SessionToken, totpNow(t, secret, time.Now()))
	if errs.CodeOf(err) != account.CodeTOTPReused {
		// The step may have moved on since enabling; then this code is fresh
		// and must work, and a second use of it must not.
		if err != nil {
			t.Fatalf("fresh step: %v", err)
		}
		_, again := s.login(t, r.email, goodPassword)
		_, err = s.a.LoginSecondFactor(context.Background(), again.SessionToken, totpNow(t, secret, time.Now()))
		wantCode(t, err, account.CodeTOTPReused)
	}
	_, pending = s.login(t, r.email, goodPassword)
	tok, err := s.a.LoginSecondFactor(context.Background(), pending.SessionToken, recovery[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.a.Authenticate(context.Background(), pending.SessionToken); err == nil {
		t.Fatal("the pre-MFA token still works after rotation")
	}
	if _, _, err := s.a.Authenticate(context.Background(), tok); err != nil {
		t.Fatalf("rotated token: %v", err)
	}
	_, pending = s.login(t, r.email, goodPassword)
	_, err = s.a.LoginSecondFactor(context.Background(), pending.SessionToken, recovery[0])
	wantCode(t, err, account.CodeRecoveryInvalid)
	if _, err := s.a.LoginSecondFactor(context.Background(), pending.SessionToken, recovery[1]); err != nil {
		t.Fatal(err)
	}
}

func TestPasswordResetNeverBypassesTwoFactor(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	r := s.register(t, "individual")
	p, res := s.login(t, r.email, goodPassword)
	_, recovery := s.enableTOTP(t, p, res.SessionToken)
	ctx := ipCtx("203.0.113.5")

	// Same answer for an unknown login.
	absent, err := s.a.StartPasswordReset(ctx, "nobody@example.com", "")
	if err != nil || absent.ID == "" || absent.Channel != "email" {
		t.Fatalf("absent = %+v, %v", absent, err)
	}
	wantCode(t, s.a.ResetPassword(ctx, app.ResetInput{Login: "nobody@example.com", CodeID: absent.ID, Code: "123456", NewPassword: "whatever passphrase 1"}),
		account.CodeCodeMismatch)

	tk, err := s.a.StartPasswordReset(ctx, r.email, "")
	if err != nil {
		t.Fatal(err)
	}
	in := app.ResetInput{Login: r.email, CodeID: tk.ID, Code: codeFor(t, s.a, tk), NewPassword: "brand new passphrase 9"}
	wantCode(t, s.a.ResetPassword(ctx, in), "totp.required")
	in.TOTP = "000000"
	if err := s.a.ResetPassword(ctx, in); errs.CodeOf(err) != account.CodeTOTPInvalid && errs.CodeOf(err) != account.CodeTOTPReused {
		t.Fatalf("wrong TOTP: %v", err)
	}
	in.TOTP = recovery[3]
	if err := s.a.ResetPassword(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.a.Authenticate(context.Background(), res.SessionToken); errs.CodeOf(err) != account.CodeSessionEnded {
		t.Fatalf("old session after reset: %v", err)
	}
	_, err = s.a.Login(ctx, app.LoginInput{Login: r.email, Password: goodPassword})
	wantCode(t, err, account.CodeLoginInvalid)
	if _, res := s.login(t, r.email, in.NewPassword); !res.NeedsTOTP {
		t.Fatal("two-factor was dropped by the reset")
	}
}

func TestSensitiveChangesNeedRecentReauthentication(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	r := s.register(t, "individual")
	p, res := s.login(t, r.email, goodPassword)
	_, other := s.login(t, r.phone, goodPassword)
	ctx := context.Background()
	s.clock.Advance(account.ReauthWindow + time.Second)
	// Keep both sessions alive (idle timeout) while the window passes.
	wantCode(t, s.a.ChangePassword(ctx, p, res.SessionToken, "a brand new passphrase"), account.CodeReauthRequired)
	_, err := s.a.TOTPBegin(ctx, p, res.SessionToken)
	wantCode(t, err, account.CodeReauthRequired)
	wantCode(t, s.a.Reauthenticate(ctx, res.SessionToken, "wrong password here", ""), account.CodeLoginInvalid)
	if err := s.a.Reauthenticate(ctx, res.SessionToken, goodPassword, ""); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.a.ChangePassword(ctx, p, res.SessionToken, "password123"), account.CodePasswordCommon)
	if err := s.a.ChangePassword(ctx, p, res.SessionToken, "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.a.Authenticate(ctx, res.SessionToken); err != nil {
		t.Fatalf("current session ended: %v", err)
	}
	if _, _, err := s.a.Authenticate(ctx, other.SessionToken); errs.CodeOf(err) != account.CodeSessionEnded {
		t.Fatalf("other session: %v", err)
	}
	// Contact change: a code to the new address, after re-authentication.
	newEmail, _ := uniq()
	tk, err := s.a.SendCode(ipCtx("198.51.100.3"), account.PurposeChangeEmail, newEmail, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.a.ChangeEmail(ctx, p, res.SessionToken, newEmail, tk.ID, codeFor(t, s.a, tk)); err != nil {
		t.Fatal(err)
	}
	s.login(t, newEmail, "a brand new passphrase")
}

func TestSessionTimeoutsAndLogout(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	r := s.register(t, "individual")
	ctx := context.Background()
	pol := account.SessionPolicyFor(account.KindIndividual)
	tests := []struct {
		name string
		run  func(t *testing.T, token string) error
		code string
	}{
		{"idle", func(t *testing.T, tok string) error {
			s.clock.Advance(pol.Idle)
			_, _, err := s.a.Authenticate(ctx, tok)
			return err
		}, account.CodeSessionIdle},
		{"logout", func(t *testing.T, tok string) error {
			if err := s.a.Logout(ctx, tok); err != nil {
				t.Fatal(err)
			}
			_, _, err := s.a.Authenticate(ctx, tok)
			return err
		}, account.CodeSessionEnded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, res := s.login(t, r.email, goodPassword)
			wantCode(t, tt.run(t, res.SessionToken), tt.code)
		})
	}
	t.Run("absolute", func(t *testing.T) {
		_, res := s.login(t, r.email, goodPassword)
		total := time.Duration(0)
		for total+pol.Idle/2 < pol.Absolute {
			s.clock.Advance(pol.Idle / 2)
			total += pol.Idle / 2
			if _, _, err := s.a.Authenticate(ctx, res.SessionToken); err != nil {
				t.Fatalf("after %v: %v", total, err)
			}
		}
		s.clock.Advance(pol.Absolute - total)
		_, _, err := s.a.Authenticate(ctx, res.SessionToken)
		wantCode(t, err, account.CodeSessionExpired)
	})
	t.Run("everywhere", func(t *testing.T) {
		p, a1 := s.login(t, r.email, goodPassword)
		_, a2 := s.login(t, r.phone, goodPassword)
		list, err := s.a.Sessions(ctx, p, a1.SessionToken)
		if err != nil || len(list) < 2 {
			t.Fatalf("sessions = %+v, %v", list, err)
		}
		if err := s.a.LogoutEverywhere(ctx, p); err != nil {
			t.Fatal(err)
		}
		for _, tok := range []string{a1.SessionToken, a2.SessionToken} {
			_, _, err := s.a.Authenticate(ctx, tok)
			wantCode(t, err, account.CodeSessionEnded)
		}
	})
}

// TestCredentialStuffingNeitherSucceedsNorLocksOutTheOwner: thousands of
// wrong passwords from many addresses; the owner still gets in from their
// known device, and from a new device with the challenge code.
func TestCredentialStuffingNeitherSucceedsNorLocksOutTheOwner(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	r := s.register(t, "individual")
	home := ipCtx("192.0.2.10")
	first, err := s.a.Login(home, app.LoginInput{Login: r.email, Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]int{}
	for i := range 300 {
		ctx := ipCtx(fmt.Sprintf("10.%d.%d.%d", i/250, i%250, i%7))
		for _, pw := range []string{"123456789a", "qwerty12345", "Password!1"} {
			res, err := s.a.Login(ctx, app.LoginInput{Login: r.email, Password: pw})
			if err == nil && res.SessionToken != "" {
				t.Fatalf("attack %d succeeded", i)
			}
			outcomes[errs.CodeOf(err)]++
		}
		s.clock.Advance(time.Second)
	}
	// One address hammering: delayed, not locked.
	hammer := ipCtx("10.200.0.1")
	for range 10 {
		_, err := s.a.Login(hammer, app.LoginInput{Login: r.email, Password: "not the password"})
		outcomes[errs.CodeOf(err)]++
	}
	if outcomes[account.CodeLoginThrottled] == 0 || outcomes[account.CodeLoginInvalid] == 0 || len(outcomes) != 2 {
		t.Fatalf("outcomes: %v", outcomes)
	}
	// Known device: in at once.
	res, err := s.a.Login(ipCtx("198.18.0.1"), app.LoginInput{Login: r.email, Password: goodPassword, DeviceToken: first.DeviceToken})
	if err != nil || res.SessionToken == "" {
		t.Fatalf("owner on known device: %+v, %v", res, err)
	}
	// New device and address: a challenge code to the verified email.
	fresh := ipCtx("198.18.0.2")
	res, err = s.a.Login(fresh, app.LoginInput{Login: r.email, Password: goodPassword})
	if err != nil || !res.NeedsChallenge || res.SessionToken != "" {
		t.Fatalf("owner on new device: %+v, %v", res, err)
	}
	res, err = s.a.Login(fresh, app.LoginInput{Login: r.email, Password: goodPassword, ChallengeCodeID: res.Challenge.ID, ChallengeCode: codeFor(t, s.a, res.Challenge)})
	if err != nil || res.SessionToken == "" {
		t.Fatalf("owner with challenge code: %+v, %v", res, err)
	}
	// An attacker with the right password but without the code gets nothing.
	res, err = s.a.Login(ipCtx("10.9.9.9"), app.LoginInput{Login: r.email, Password: goodPassword})
	if err == nil && res.SessionToken != "" {
		t.Fatal("attacker with leaked password logged in")
	}
}
