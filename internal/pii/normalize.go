package pii

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"yuanxu/internal/errs"
)

// Validation errors of the normalizers. They are user errors (errs.Invalid)
// and never contain the input.
var (
	ErrInvalidPhone = &errs.Error{Kind: errs.Invalid, Code: "phone.invalid", Msg: "not a mainland China mobile number"}
	ErrInvalidEmail = &errs.Error{Kind: errs.Invalid, Code: "email.invalid", Msg: "not an email address"}
)

// maxEmailLen is the longest address SMTP can carry (RFC 5321 path limit).
const maxEmailLen = 254

// NormalizePhone returns the 11-digit form of a mainland China mobile number
// (1[3-9] and nine more digits), the only form that is sealed, indexed and
// masked. It accepts spaces and dashes anywhere, full-width digits, and a
// leading +86 or 0086; anything else gives ErrInvalidPhone. The result is a
// fixed point: normalizing it again returns it unchanged.
func NormalizePhone(s string) (string, error) {
	var d [15]byte // longest accepted: 0086 + 11 digits
	n, plus := 0, false
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
		case '０' <= r && r <= '９':
			r = '0' + (r - '０')
		case unicode.IsSpace(r) || isDash(r):
			continue
		case (r == '+' || r == '＋') && n == 0 && !plus:
			plus = true
			continue
		default:
			return "", ErrInvalidPhone
		}
		if n == len(d) {
			return "", ErrInvalidPhone
		}
		d[n] = byte(r)
		n++
	}
	digits := string(d[:n])
	switch {
	case plus:
		if n != 13 || !strings.HasPrefix(digits, "86") {
			return "", ErrInvalidPhone
		}
		digits = digits[2:]
	case n == 15 && strings.HasPrefix(digits, "0086"):
		digits = digits[4:]
	}
	if len(digits) != 11 || digits[0] != '1' || digits[1] < '3' || digits[1] > '9' {
		return "", ErrInvalidPhone
	}
	return digits, nil
}

func isDash(r rune) bool {
	switch r {
	case '-', '‐', '‑', '‒', '–', '—', '−', '－':
		return true
	}
	return false
}

// NormalizeEmail trims and lower-cases an email address: the form that is
// sealed and indexed. It checks only the shape (valid UTF-8, exactly one '@'
// with text on both sides, no spaces or control characters, at most 254
// bytes) and gives ErrInvalidEmail otherwise; whether the address receives
// mail is for a confirmation message to find out.
func NormalizeEmail(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", ErrInvalidEmail
	}
	e := strings.ToLower(strings.TrimSpace(s))
	at := strings.IndexByte(e, '@')
	if len(e) > maxEmailLen || at <= 0 || at == len(e)-1 || strings.IndexByte(e[at+1:], '@') >= 0 {
		return "", ErrInvalidEmail
	}
	for _, r := range e {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "", ErrInvalidEmail
		}
	}
	return e, nil
}
