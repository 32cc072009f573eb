package account

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"time"

	"yuanxu/internal/errs"
)

// Verification codes sent by email or SMS.
const (
	CodeTTL            = 10 * time.Minute // a code expires 10 minutes after it is issued
	CodeMaxAttempts    = 5                // wrong tries before a code is dead
	CodeDigits         = 6
	CodeResendInterval = 60 * time.Second // the least time between two codes for one purpose and target
	codeDomain         = "yuanxu/account/verification-code/v1"
)

// Purpose is what a verification code proves. A code verifies only for the
// purpose it was issued for.
type Purpose string

// Purposes.
const (
	PurposeRegisterEmail  Purpose = "register_email"
	PurposeRegisterPhone  Purpose = "register_phone"
	PurposeResetPassword  Purpose = "reset_password"  // by email or SMS; it never bypasses two-factor
	PurposeChangeEmail    Purpose = "change_email"    // sent to the new address, after re-authentication
	PurposeChangePhone    Purpose = "change_phone"    // sent to the new number, after re-authentication
	PurposeLoginChallenge Purpose = "login_challenge" // an unknown device under attack: see the throttle
	PurposeLogin2FASMS    Purpose = "login_2fa_sms"   // an SMS second factor, for accounts without TOTP
)

var purposes = []Purpose{PurposeRegisterEmail, PurposeRegisterPhone, PurposeResetPassword,
	PurposeChangeEmail, PurposeChangePhone, PurposeLoginChallenge, PurposeLogin2FASMS}

// Valid reports whether p is a Purpose constant.
func (p Purpose) Valid() bool { return slices.Contains(purposes, p) }

// StoredCode is the stored form of a verification code. The code itself is
// not stored: MAC is an HMAC under the server's key of the code id, the
// purpose and the code, so a read of the table does not reveal codes and a
// row moved to another purpose verifies nothing. The target address is
// personal information and is stored by the app, sealed and blind-indexed,
// beside this.
type StoredCode struct {
	ID        string
	Purpose   Purpose
	MAC       []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	Attempts  int       // wrong tries so far
	UsedAt    time.Time // zero until the code is accepted
}

// Codes issues and checks verification codes under one HMAC key. Safe for
// concurrent use.
type Codes struct {
	key  []byte
	rand io.Reader
}

// NewCodes returns Codes keyed with key (at least MinKeyLen bytes, copied).
// rnd nil means crypto/rand.
func NewCodes(key []byte, rnd io.Reader) (*Codes, error) {
	if len(key) < MinKeyLen {
		return nil, ErrShortKey
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	return &Codes{key: slices.Clone(key), rand: rnd}, nil
}

// Issue makes a code with id (a fresh id.New) for purpose at now. It
// returns the six digits to send, once, and the row to store. Throttling
// who may ask for codes (per phone, email and IP, across instances) is the
// app's, with CanResend for the per-target interval.
func (c *Codes) Issue(id string, purpose Purpose, now time.Time) (string, StoredCode, error) {
	if !purpose.Valid() || id == "" {
		return "", StoredCode{}, fmt.Errorf("account: issue code: purpose %q, id %q", purpose, id)
	}
	plain, err := randomDigits(c.rand, CodeDigits)
	if err != nil {
		return "", StoredCode{}, err
	}
	return plain, StoredCode{
		ID: id, Purpose: purpose, MAC: c.mac(id, purpose, plain),
		CreatedAt: now, ExpiresAt: now.Add(CodeTTL),
	}, nil
}

func (c *Codes) mac(id string, p Purpose, digits string) []byte {
	return keyedSum(c.key, codeDomain, id, string(p), digits)
}

// randomDigits returns n uniformly random decimal digits.
func randomDigits(rnd io.Reader, n int) (string, error) {
	var max uint64 = 1
	for range n {
		max *= 10
	}
	limit := (^uint64(0) / max) * max
	var b [8]byte
	for {
		if _, err := io.ReadFull(rnd, b[:]); err != nil {
			return "", err
		}
		if v := binary.BigEndian.Uint64(b[:]); v < limit {
			return fmt.Sprintf("%0*d", n, v%max), nil
		}
	}
}

// CheckCode checks input against stored at now and returns the row's next
// state, which the app must write back whatever the outcome, conditionally
// on the state it read (WHERE id = ? AND attempts = ? AND used_at IS NULL),
// so that concurrent guesses cannot exceed CodeMaxAttempts and a code is
// accepted once. Checks, in order, each an *errs.Error on field body.code:
//
//	code.used               accepted before                 (Conflict)
//	code.too_many_attempts  CodeMaxAttempts wrong tries     (Invalid; ask for a new code)
//	code.expired            now is not before ExpiresAt     (Invalid)
//	code.malformed          not six digits; not counted     (Invalid)
//	code.mismatch           wrong; Attempts+1, and Params   (Invalid)
//	                        {"remaining": n}
//
// On success UsedAt is set to now.
func (c *Codes) CheckCode(stored StoredCode, input string, now time.Time) (StoredCode, error) {
	switch {
	case !stored.UsedAt.IsZero():
		return stored, codeErr(errs.Conflict, CodeCodeUsed, "used", nil)
	case stored.Attempts >= CodeMaxAttempts:
		return stored, codeErr(errs.Invalid, CodeCodeTooMany, "too_many_attempts", map[string]any{"max": CodeMaxAttempts})
	case !now.Before(stored.ExpiresAt):
		return stored, codeErr(errs.Invalid, CodeCodeExpired, "expired", map[string]any{"ttl_minutes": int(CodeTTL / time.Minute)})
	}
	digits := normalizeDigits(input, CodeDigits)
	if digits == "" {
		return stored, codeErr(errs.Invalid, CodeCodeMalformed, "format", map[string]any{"digits": CodeDigits})
	}
	if subtle.ConstantTimeCompare(c.mac(stored.ID, stored.Purpose, digits), stored.MAC) != 1 {
		stored.Attempts++
		return stored, codeErr(errs.Invalid, CodeCodeMismatch, "mismatch", map[string]any{"remaining": CodeMaxAttempts - stored.Attempts})
	}
	stored.UsedAt = now
	return stored, nil
}

// CanResend reports whether a new code for the same purpose and target may
// be issued at now, given the latest one issued.
func (s StoredCode) CanResend(now time.Time) bool {
	return !now.Before(s.CreatedAt.Add(CodeResendInterval))
}

// ResendError is the error for a request that comes before CanResend
// allows: errs.RateLimited with retry_after_seconds.
func (s StoredCode) ResendError(now time.Time) error {
	wait := s.CreatedAt.Add(CodeResendInterval).Sub(now)
	secs := int64((wait + time.Second - 1) / time.Second)
	return &errs.Error{Kind: errs.RateLimited, Code: CodeCodeResendTooSoon, Msg: "wait before asking for another code",
		Params: map[string]any{"retry_after_seconds": max(secs, 1)}}
}

func codeErr(k errs.Kind, code, rule string, params map[string]any) error {
	return &errs.Error{Kind: k, Code: code, Msg: "verification code not accepted", Params: params,
		Fields: []errs.FieldError{{Field: "body.code", Rule: rule, Params: params}}}
}
