package account_test

import (
	"bytes"
	"encoding/base32"
	"net/url"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

// rfc6238Secret is the SHA-1 seed of RFC 6238 Appendix B, "12345678901234567890".
var rfc6238Secret = base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))

// TestVerifyTOTPVectors: RFC 6238 Appendix B (SHA-1), last six of the
// eight digits.
func TestVerifyTOTPVectors(t *testing.T) {
	t.Parallel()
	vectors := []struct {
		unix int64
		code string
	}{
		{59, "287082"}, {1111111109, "081804"}, {1111111111, "050471"},
		{1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
	}
	for _, v := range vectors {
		now := time.Unix(v.unix, 0)
		step, err := account.VerifyTOTP(rfc6238Secret, v.code, now, 0)
		if err != nil || step != v.unix/30 {
			t.Errorf("t=%d: step %d, %v", v.unix, step, err)
		}
	}
}

func TestVerifyTOTP(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 18, 10, 0, 15, 0, time.UTC)
	step := account.TOTPStep(now)
	code := func(d time.Duration) string {
		c, err := totp.GenerateCode(rfc6238Secret, now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	tests := []struct {
		name     string
		code     string
		lastUsed int64
		want     int64
		err      string
	}{
		{"Now", code(0), 0, step, ""},
		{"Spaced", code(0)[:3] + " " + code(0)[3:], 0, step, ""},
		{"FullWidth", toFullWidth(code(0)), 0, step, ""},
		{"PreviousStep", code(-30 * time.Second), 0, step - 1, ""},
		{"NextStep", code(30 * time.Second), 0, step + 1, ""},
		{"TwoStepsBack", code(-60 * time.Second), 0, 0, account.CodeTOTPInvalid},
		{"TwoStepsAhead", code(60 * time.Second), 0, 0, account.CodeTOTPInvalid},
		{"ReplaySameStep", code(0), step, 0, account.CodeTOTPReused},
		{"ReplayOlderStep", code(-30 * time.Second), step - 1, 0, account.CodeTOTPReused},
		{"AfterPreviousUse", code(0), step - 1, step, ""},
		{"NextAfterUse", code(30 * time.Second), step, step + 1, ""},
		{"Short", "12345", 0, 0, account.CodeTOTPInvalid},
		{"Letters", "12a456", 0, 0, account.CodeTOTPInvalid},
		{"Empty", "", 0, 0, account.CodeTOTPInvalid},
		{"Seven", "1234567", 0, 0, account.CodeTOTPInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := account.VerifyTOTP(rfc6238Secret, tt.code, now, tt.lastUsed)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Fatalf("= %d, %v; want %d", got, err, tt.want)
				}
				return
			}
			var e *errs.Error
			if !asErr(err, &e) || e.Code != tt.err || e.Kind != errs.Invalid || e.Fields[0].Field != "body.code" {
				t.Fatalf("= %d, %#v; want %s", got, err, tt.err)
			}
		})
	}
	if _, err := account.VerifyTOTP("not base32!", "123456", now, 0); errs.KindOf(err) != errs.Internal {
		t.Errorf("bad secret: %v", err)
	}
	if _, err := account.VerifyTOTP("", "123456", now, 0); errs.KindOf(err) != errs.Internal {
		t.Errorf("empty secret: %v", err)
	}
}

func toFullWidth(s string) string {
	r := []rune(s)
	for i, c := range r {
		if c >= '0' && c <= '9' {
			r[i] = '０' + (c - '0')
		}
	}
	return string(r)
}

func TestGenerateTOTP(t *testing.T) {
	t.Parallel()
	k, err := account.GenerateTOTP("z***@example.com", bytes.NewReader(bytes.Repeat([]byte{7}, 64)))
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Secret) != 32 { // 20 bytes in unpadded base32
		t.Errorf("secret %q", k.Secret)
	}
	u, err := url.Parse(k.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || q.Get("issuer") != "yuanxu" || q.Get("secret") != k.Secret ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" || u.Path != "/yuanxu:z***@example.com" {
		t.Errorf("URL = %s", k.URL)
	}
	now := time.Now()
	c, _ := totp.GenerateCode(k.Secret, now)
	if _, err := account.VerifyTOTP(k.Secret, c, now, 0); err != nil {
		t.Errorf("own code refused: %v", err)
	}
	k2, _ := account.GenerateTOTP("", nil)
	if k2.Secret == k.Secret || k2.URL == "" {
		t.Error("random secret")
	}
}

func TestTOTPStep(t *testing.T) {
	t.Parallel()
	for unix, want := range map[int64]int64{0: 0, 29: 0, 30: 1, 59: 1, -1: -1, -30: -1, -31: -2} {
		if got := account.TOTPStep(time.Unix(unix, 0)); got != want {
			t.Errorf("TOTPStep(%d) = %d, want %d", unix, got, want)
		}
	}
}
