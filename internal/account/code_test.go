package account_test

import (
	"bytes"
	"errors"
	"regexp"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

func testCodes(t *testing.T) *account.Codes {
	t.Helper()
	c, err := account.NewCodes(pepper, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCodeIssue(t *testing.T) {
	t.Parallel()
	c := testCodes(t)
	now := time.Date(2026, 6, 18, 10, 0, 0, 0, time.UTC)
	plain, st, err := c.Issue("code-1", account.PurposeRegisterPhone, now)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(plain) {
		t.Errorf("code %q", plain)
	}
	if st.ID != "code-1" || st.Purpose != account.PurposeRegisterPhone || !st.ExpiresAt.Equal(now.Add(10*time.Minute)) ||
		st.Attempts != 0 || !st.UsedAt.IsZero() || len(st.MAC) != 32 || bytes.Contains(st.MAC, []byte(plain)) {
		t.Errorf("stored = %+v", st)
	}
	zeros, _ := account.NewCodes(pepper, bytes.NewReader(make([]byte, 64)))
	if p, _, _ := zeros.Issue("z", account.PurposeResetPassword, now); p != "000000" {
		t.Errorf("leading zeros lost: %q", p)
	}
	if _, _, err := c.Issue("x", "launch_missiles", now); err == nil {
		t.Error("unknown purpose issued")
	}
	if _, _, err := c.Issue("", account.PurposeResetPassword, now); err == nil {
		t.Error("empty id issued")
	}
	if _, err := account.NewCodes(pepper[:31], nil); !errors.Is(err, account.ErrShortKey) {
		t.Errorf("short key: %v", err)
	}
}

func TestCheckCode(t *testing.T) {
	t.Parallel()
	c := testCodes(t)
	now := time.Date(2026, 6, 18, 10, 0, 0, 0, time.UTC)
	plain, fresh, err := c.Issue("code-1", account.PurposeChangeEmail, now)
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000"
	if plain == wrong {
		wrong = "111111"
	}
	used := fresh
	used.UsedAt = now
	dead := fresh
	dead.Attempts = account.CodeMaxAttempts
	moved := fresh
	moved.Purpose = account.PurposeResetPassword
	tests := []struct {
		name         string
		st           account.StoredCode
		input        string
		at           time.Time
		code         string
		kind         errs.Kind
		wantAttempts int
	}{
		{"Right", fresh, plain, now.Add(time.Minute), "", 0, 0},
		{"RightSpaced", fresh, plain[:3] + " " + plain[3:], now, "", 0, 0},
		{"LastInstant", fresh, plain, now.Add(account.CodeTTL - time.Millisecond), "", 0, 0},
		{"Expired", fresh, plain, now.Add(account.CodeTTL), account.CodeCodeExpired, errs.Invalid, 0},
		{"Wrong", fresh, wrong, now, account.CodeCodeMismatch, errs.Invalid, 1},
		{"Used", used, plain, now, account.CodeCodeUsed, errs.Conflict, 0},
		{"TooMany", dead, plain, now, account.CodeCodeTooMany, errs.Invalid, account.CodeMaxAttempts},
		{"Malformed", fresh, "12ab56", now, account.CodeCodeMalformed, errs.Invalid, 0},
		{"OtherPurpose", moved, plain, now, account.CodeCodeMismatch, errs.Invalid, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			next, err := c.CheckCode(tt.st, tt.input, tt.at)
			if tt.code == "" {
				if err != nil || !next.UsedAt.Equal(tt.at) {
					t.Fatalf("= %+v, %v", next, err)
				}
				if _, err := c.CheckCode(next, tt.input, tt.at); errs.CodeOf(err) != account.CodeCodeUsed {
					t.Errorf("second use: %v", err)
				}
				return
			}
			var e *errs.Error
			if !asErr(err, &e) || e.Code != tt.code || e.Kind != tt.kind || e.Fields[0].Field != "body.code" {
				t.Fatalf("= %#v, want %s", err, tt.code)
			}
			if next.Attempts != tt.wantAttempts || !next.UsedAt.Equal(tt.st.UsedAt) {
				t.Errorf("next = %+v", next)
			}
		})
	}
	// Five wrong tries kill the code, even for the right one after.
	st := fresh
	for i := range account.CodeMaxAttempts {
		st, err = c.CheckCode(st, wrong, now)
		var e *errs.Error
		if !asErr(err, &e) || e.Params["remaining"] != account.CodeMaxAttempts-i-1 {
			t.Fatalf("try %d: %#v", i, err)
		}
	}
	if _, err := c.CheckCode(st, plain, now); errs.CodeOf(err) != account.CodeCodeTooMany {
		t.Errorf("after %d wrong: %v", account.CodeMaxAttempts, err)
	}
	// Another key verifies nothing.
	other, _ := account.NewCodes(bytes.Repeat([]byte{1}, 32), nil)
	if _, err := other.CheckCode(fresh, plain, now); errs.CodeOf(err) != account.CodeCodeMismatch {
		t.Errorf("other key: %v", err)
	}
}

func TestCodeResend(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 18, 10, 0, 0, 0, time.UTC)
	st := account.StoredCode{CreatedAt: now}
	if st.CanResend(now.Add(59*time.Second)) || !st.CanResend(now.Add(time.Minute)) {
		t.Error("CanResend")
	}
	err := st.ResendError(now.Add(30*time.Second + time.Millisecond))
	var e *errs.Error
	if !asErr(err, &e) || e.Kind != errs.RateLimited || e.Params["retry_after_seconds"] != int64(30) {
		t.Errorf("ResendError = %#v", err)
	}
	for _, p := range []account.Purpose{account.PurposeRegisterEmail, account.PurposeLogin2FASMS, account.PurposeLoginChallenge} {
		if !p.Valid() {
			t.Errorf("%s invalid", p)
		}
	}
}
