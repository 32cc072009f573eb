package notify

import (
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
	"yuanxu/internal/pii"
)

// ErrInvalidPhone: not a mainland mobile number and not an E.164 number.
var ErrInvalidPhone = &errs.Error{Kind: errs.Invalid, Code: "phone.invalid", Msg: "not a mainland China mobile number or an E.164 number"}

// Phone is a parsed phone number.
type Phone struct {
	// Normalized is the form that is sealed, indexed and sent: 11 digits
	// for a mainland mobile ("13812345678", pii.NormalizePhone's form, so
	// accounts and the outbox index alike), "+" and digits otherwise.
	Normalized string
	Mainland   bool
}

// E164 returns the number with its country code ("+8613812345678").
func (p Phone) E164() string {
	if p.Mainland {
		return "+86" + p.Normalized
	}
	return p.Normalized
}

// ParsePhone accepts what pii.NormalizePhone accepts (a mainland mobile
// number in any common spelling) and, for other countries, an E.164 number:
// "+", a country code that is not 86, and 8 to 15 digits in all, with
// spaces or dashes between them. Errors wrap ErrInvalidPhone and never
// contain the input.
func ParsePhone(s string) (Phone, error) {
	if p, err := pii.NormalizePhone(s); err == nil {
		return Phone{Normalized: p, Mainland: true}, nil
	}
	t := strings.TrimSpace(s)
	if !strings.HasPrefix(t, "+") {
		return Phone{}, ErrInvalidPhone
	}
	var d strings.Builder
	for _, r := range t[1:] {
		switch {
		case r >= '0' && r <= '9':
			d.WriteRune(r)
		case r == ' ' || r == '-':
		default:
			return Phone{}, ErrInvalidPhone
		}
		if d.Len() > 15 {
			return Phone{}, ErrInvalidPhone
		}
	}
	digits := d.String()
	if len(digits) < 8 || digits[0] == '0' || strings.HasPrefix(digits, "86") {
		// +86 numbers are mainland numbers; NormalizePhone refused this one.
		return Phone{}, ErrInvalidPhone
	}
	return Phone{Normalized: "+" + digits}, nil
}

// ErrInvalidEmail: the address does not parse.
var ErrInvalidEmail = &errs.Error{Kind: errs.Invalid, Code: "email.invalid", Msg: "not an email address"}

// ParseEmail returns the normalized address (pii.NormalizeEmail's form:
// trimmed, lower-cased) if it is a bare RFC 5322 address that net/mail
// parses to itself and whose domain has a dot; display names, comments and
// angle brackets are refused. Errors wrap ErrInvalidEmail and never
// contain the input.
func ParseEmail(s string) (string, error) {
	e, err := pii.NormalizeEmail(s)
	if err != nil {
		return "", ErrInvalidEmail
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Name != "" || a.Address != e {
		return "", ErrInvalidEmail
	}
	at := strings.LastIndexByte(e, '@')
	domain := e[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return "", ErrInvalidEmail
	}
	return e, nil
}

// FormatTime formats an instant for a template variable in lang, in
// Beijing time (templates say so): "2006-01-02 15:04".
func FormatTime(t time.Time, _ Lang) string {
	return t.In(clock.Shanghai).Format("2006-01-02 15:04")
}

// MessageID returns the stable RFC 5322 Message-ID (without angle
// brackets) of a delivery: the same on every attempt, so a resend after a
// crash carries the same one and receivers can tell the duplicate.
func MessageID(deliveryID, domain string) string {
	if domain == "" {
		domain = "yuanxu.invalid"
	}
	return fmt.Sprintf("%s@%s", deliveryID, domain)
}

// IdempotencyKey returns the provider idempotency key of a delivery (sent
// as Aliyun's OutId and Tencent's SessionContext): stable across attempts.
func IdempotencyKey(deliveryID string) string {
	return "yx-" + strings.ReplaceAll(deliveryID, "-", "")
}

// Reason trims a failure reason for the delivery log: one line, at most
// 500 bytes of valid UTF-8.
func Reason(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= 500 {
		return s
	}
	s = s[:500]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
