package account

import (
	"bufio"
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"yuanxu/internal/errs"
	"yuanxu/internal/pii"
)

// Password length limits, in runes after NFKC normalisation (NIST SP
// 800-63B: at least 8, allow at least 64; we ask 10 and allow 128).
const (
	MinPasswordLength = 10
	MaxPasswordLength = 128
)

// PasswordPolicy is what a new password must satisfy. It asks for length
// and refuses known-bad choices; it imposes no composition rules (NIST SP
// 800-63B §5.1.1.2).
type PasswordPolicy struct {
	MinLength int // runes; MinPasswordLength by default
	MaxLength int // runes; MaxPasswordLength by default
}

// DefaultPasswordPolicy is the policy for every account kind.
var DefaultPasswordPolicy = PasswordPolicy{MinLength: MinPasswordLength, MaxLength: MaxPasswordLength}

// PasswordContext is what a password is checked against besides itself.
type PasswordContext struct {
	// Field is the request field reported in errors; "" means
	// "body.password".
	Field string
	// Email and Phone, raw or normalised, of the account (or the
	// registration); the password may not equal either.
	Email string
	Phone string
}

//go:embed common_passwords.txt
var commonPasswordsText string

// commonPasswords is the embedded list, lower-cased, built at package
// initialisation (not lazily, so a broken list fails at start).
var commonPasswords = func() map[string]struct{} {
	m := make(map[string]struct{}, 5000)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordsText))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m[strings.ToLower(norm.NFKC.String(line))] = struct{}{}
	}
	return m
}()

// IsCommonPassword reports whether pw (after NFKC, case-insensitively) is on
// the shipped list of common passwords.
func IsCommonPassword(pw string) bool {
	_, ok := commonPasswords[strings.ToLower(norm.NFKC.String(pw))]
	return ok
}

// CommonPasswordCount is the number of entries in the shipped list.
func CommonPasswordCount() int { return len(commonPasswords) }

// CheckPassword checks pw against DefaultPasswordPolicy.
func CheckPassword(pw string, pc PasswordContext) error { return DefaultPasswordPolicy.Check(pw, pc) }

// Check returns nil if pw may be set as a password, else an *errs.Error
// (Invalid) with one field error on pc.Field and the code of the first rule
// broken, in this order:
//
//	password.invalid_encoding   not UTF-8, or holds control characters       rule "encoding"
//	password.too_short          fewer than MinLength runes                   rule "min_length" {"min": n}
//	password.too_long           more than MaxLength runes                    rule "max_length" {"max": n}
//	password.common             on the shipped list (case-insensitive)       rule "not_common"
//	password.too_simple         one repeated character or a straight run     rule "not_simple"
//	                            ("aaaaaaaaaa", "0123456789", "9876543210")
//	password.matches_identifier equal to the email, its local part or phone  rule "not_identifier"
//
// Lengths are counted after NFKC normalisation, the form that is hashed.
func (pp PasswordPolicy) Check(pw string, pc PasswordContext) error {
	field := pc.Field
	if field == "" {
		field = "body.password"
	}
	minLen, maxLen := pp.MinLength, pp.MaxLength
	if minLen <= 0 {
		minLen = MinPasswordLength
	}
	if maxLen <= 0 {
		maxLen = MaxPasswordLength
	}
	fail := func(code, rule string, params map[string]any) error {
		return &errs.Error{Kind: errs.Invalid, Code: code, Msg: "password " + rule,
			Fields: []errs.FieldError{{Field: field, Rule: rule, Params: params}}}
	}
	if len(pw) > maxPasswordBytes {
		return tooLong(field)
	}
	if !utf8.ValidString(pw) || strings.ContainsFunc(pw, unicode.IsControl) {
		return fail(CodePasswordEncoding, "encoding", nil)
	}
	n := norm.NFKC.String(pw)
	switch l := utf8.RuneCountInString(n); {
	case l < minLen:
		return fail(CodePasswordTooShort, "min_length", map[string]any{"min": minLen})
	case l > maxLen:
		return fail(CodePasswordTooLong, "max_length", map[string]any{"max": maxLen})
	}
	lower := strings.ToLower(n)
	if _, ok := commonPasswords[lower]; ok {
		return fail(CodePasswordCommon, "not_common", nil)
	}
	if isSimple(lower) {
		return fail(CodePasswordTooSimple, "not_simple", nil)
	}
	if matchesIdentifier(lower, pc) {
		return fail(CodePasswordIdentifier, "not_identifier", nil)
	}
	return nil
}

func tooLong(field string) error {
	return &errs.Error{Kind: errs.Invalid, Code: CodePasswordTooLong, Msg: "password max_length",
		Fields: []errs.FieldError{{Field: field, Rule: "max_length", Params: map[string]any{"max": MaxPasswordLength}}}}
}

// isSimple reports a single repeated rune or a run where every rune is one
// more (or one less) than the one before.
func isSimple(s string) bool {
	r := []rune(s)
	if len(r) < 2 {
		return true
	}
	same, up, down := true, true, true
	for i := 1; i < len(r); i++ {
		d := r[i] - r[i-1]
		same = same && d == 0
		up = up && d == 1
		down = down && d == -1
	}
	return same || up || down
}

func matchesIdentifier(lower string, pc PasswordContext) bool {
	if pc.Email != "" {
		e := strings.ToLower(norm.NFKC.String(strings.TrimSpace(pc.Email)))
		if ne, err := pii.NormalizeEmail(pc.Email); err == nil {
			e = ne
		}
		if lower == e {
			return true
		}
		if local, _, ok := strings.Cut(e, "@"); ok && local != "" && lower == local {
			return true
		}
	}
	if pc.Phone != "" {
		if p, err := pii.NormalizePhone(pc.Phone); err == nil {
			if lower == p || lower == "+86"+p || lower == "86"+p || lower == "0086"+p {
				return true
			}
		}
		if lower == strings.ToLower(strings.TrimSpace(pc.Phone)) {
			return true
		}
	}
	return false
}
