package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"io"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"yuanxu/internal/errs"
)

// TOTP parameters (RFC 6238 with the defaults every authenticator app
// supports): HMAC-SHA1, 6 digits, 30-second steps, a 160-bit secret, and
// one step of clock skew accepted either way.
const (
	TOTPIssuer     = "yuanxu"
	TOTPPeriod     = 30 // seconds
	TOTPDigits     = 6
	TOTPSkew       = 1 // steps
	totpSecretSize = 20
)

// TOTPKey is a freshly generated TOTP secret. Secret (base32, unpadded) is
// personal security data: the app stores it sealed by the PII key ring and
// shows it, with URL as a QR code, only while two-factor is being set up.
// Setup completes only after VerifyTOTP accepts a code from it.
type TOTPKey struct {
	Secret string
	URL    string // otpauth://totp/yuanxu:<account>?secret=…&issuer=yuanxu&…
}

// GenerateTOTP makes a TOTP secret for accountName (what the authenticator
// app shows, e.g. the masked email). rnd nil means crypto/rand.
func GenerateTOTP(accountName string, rnd io.Reader) (TOTPKey, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	if strings.TrimSpace(accountName) == "" {
		accountName = "account"
	}
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer: TOTPIssuer, AccountName: accountName, Period: TOTPPeriod,
		SecretSize: totpSecretSize, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1, Rand: rnd,
	})
	if err != nil {
		return TOTPKey{}, err
	}
	return TOTPKey{Secret: k.Secret(), URL: k.URL()}, nil
}

// TOTPStep returns the RFC 6238 time step of t.
func TOTPStep(t time.Time) int64 { return floorDiv(t.Unix(), TOTPPeriod) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// normalizeDigits strips spaces and dashes and maps full-width digits; it
// returns "" unless exactly n ASCII digits remain.
func normalizeDigits(s string, n int) string {
	if len(s) > 64 {
		return ""
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
			b.WriteRune(r)
		case '０' <= r && r <= '９':
			b.WriteRune('0' + (r - '０'))
		case r == ' ' || r == '-' || r == '\u3000' || r == '\t':
		default:
			return ""
		}
	}
	if b.Len() != n {
		return ""
	}
	return b.String()
}

// VerifyTOTP checks code against secret at now (wall time: TOTP is checked
// against the authenticator's clock, never the sandbox clock), accepting
// the steps now-1, now and now+1. lastUsedStep is the step of the last code
// accepted for this account (0 if none); a code whose step is not after it
// is refused as reused, so that an observed code cannot be replayed, not
// even within its own 30 seconds. On success it returns the matched step,
// which the app stores as the new lastUsedStep in the same transaction,
// conditionally on the old value (so two concurrent logins with one code
// cannot both succeed).
//
// Errors (*errs.Error, field body.code): totp.invalid for a wrong or
// malformed code, totp.reused for a correct code of a used step. A
// malformed secret is an internal error.
func VerifyTOTP(secret, code string, now time.Time, lastUsedStep int64) (int64, error) {
	c := normalizeDigits(code, TOTPDigits)
	if c == "" {
		return 0, totpErr(CodeTOTPInvalid)
	}
	if _, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "="))); err != nil || secret == "" {
		return 0, &errs.Error{Kind: errs.Internal, Code: "totp.secret_malformed", Msg: "stored TOTP secret is not base32"}
	}
	now0 := TOTPStep(now)
	var matched, reused bool
	var step int64
	for s := now0 - TOTPSkew; s <= now0+TOTPSkew; s++ {
		if s < 0 {
			continue
		}
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, &errs.Error{Kind: errs.Internal, Code: "totp.secret_malformed", Msg: "stored TOTP secret", Err: err}
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(c)) != 1 {
			continue
		}
		if s <= lastUsedStep {
			reused = true
			continue
		}
		if !matched {
			matched, step = true, s
		}
	}
	switch {
	case matched:
		return step, nil
	case reused:
		return 0, totpErr(CodeTOTPReused)
	}
	return 0, totpErr(CodeTOTPInvalid)
}

func totpErr(code string) error {
	return &errs.Error{Kind: errs.Invalid, Code: code, Msg: "two-factor code not accepted",
		Fields: []errs.FieldError{{Field: "body.code", Rule: strings.TrimPrefix(code, "totp.")}}}
}
