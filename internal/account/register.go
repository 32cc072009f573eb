package account

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"yuanxu/internal/errs"
	"yuanxu/internal/pii"
)

// Field limits of registration input, in runes.
const (
	MaxDisplayNameLength    = 32
	MinEnterpriseNameLength = 2
	MaxEnterpriseNameLength = 100
	USCCLength              = 18
)

// usccCharset is the GB 32100-2015 character set: digits and upper-case
// letters without I, O, Z, S and V. The checksum is the KYC issue's.
const usccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// Registration is a self-registration form as received.
type Registration struct {
	Kind           string
	DisplayName    string
	Email          string
	Phone          string
	Password       string
	EnterpriseName string // enterprise only
	USCC           string // enterprise only: unified social credit code
}

// ValidRegistration is a checked and normalised Registration. The password
// is not carried: the app hashes Registration.Password after validation.
type ValidRegistration struct {
	Kind           Kind
	DisplayName    string
	Email          string // pii.NormalizeEmail form
	Phone          string // pii.NormalizePhone form: 11 digits
	EnterpriseName string
	USCC           string // 18 characters of the GB 32100 set, upper case
}

// ValidateRegistration checks every field of r and reports every problem
// in one *errs.Error (Invalid, code account.registration_invalid), each
// with its field (body.kind, body.display_name, body.email, body.phone,
// body.password, body.enterprise_name, body.uscc) and rule. Individuals,
// enterprises and reseller applicants register themselves; all need an
// email and a mainland mobile number (each verified by code before the
// account is active); an enterprise or reseller also needs its name and
// USCC, which individuals must not send. Uniqueness of email and phone is the store's (a
// duplicate is errs.ErrDuplicate there).
func ValidateRegistration(r Registration) (ValidRegistration, error) {
	var fe fieldErrors
	var v ValidRegistration

	k := Kind(r.Kind)
	switch {
	case r.Kind == "":
		fe.add("body.kind", "required", nil)
	case !k.SelfRegistrable():
		fe.add("body.kind", "one_of", map[string]any{"allowed": []string{string(KindIndividual), string(KindEnterprise), string(KindReseller)}})
	default:
		v.Kind = k
	}

	var err error
	if v.DisplayName, err = ValidateDisplayName(r.DisplayName, "body.display_name"); err != nil {
		fe.addFrom("body.display_name", err)
	}
	emailOK, phoneOK := true, true
	if v.Email, err = ValidateEmail(r.Email, "body.email"); err != nil {
		fe.addFrom("body.email", err)
		emailOK = false
	}
	if v.Phone, err = ValidatePhone(r.Phone, "body.phone"); err != nil {
		fe.addFrom("body.phone", err)
		phoneOK = false
	}
	pc := PasswordContext{Field: "body.password"}
	if emailOK {
		pc.Email = v.Email
	}
	if phoneOK {
		pc.Phone = v.Phone
	}
	if err := CheckPassword(r.Password, pc); err != nil {
		fe.addFrom("body.password", err)
	}

	if v.Kind == KindEnterprise || v.Kind == KindReseller {
		if v.EnterpriseName, err = ValidateEnterpriseName(r.EnterpriseName, "body.enterprise_name"); err != nil {
			fe.addFrom("body.enterprise_name", err)
		}
		if v.USCC, err = NormalizeUSCC(r.USCC, "body.uscc"); err != nil {
			fe.addFrom("body.uscc", err)
		}
	} else if v.Kind == KindIndividual {
		if strings.TrimSpace(r.EnterpriseName) != "" {
			fe.add("body.enterprise_name", "not_allowed", map[string]any{"kind": string(KindIndividual)})
		}
		if strings.TrimSpace(r.USCC) != "" {
			fe.add("body.uscc", "not_allowed", map[string]any{"kind": string(KindIndividual)})
		}
	}
	if err := fe.err(CodeRegistration, "registration has invalid fields"); err != nil {
		return ValidRegistration{}, err
	}
	return v, nil
}

// SubUserInput is an enterprise owner's form for a new sub-user. The
// sub-user sets a password through a reset_password code sent to the
// email; the owner never knows it.
type SubUserInput struct {
	DisplayName string
	Email       string
	Phone       string
	Scopes      []string
}

// ValidSubUser is a checked SubUserInput.
type ValidSubUser struct {
	DisplayName string
	Email       string
	Phone       string
	Scopes      []Scope
}

// ValidateSubUser checks every field of in and reports every problem in
// one *errs.Error (code account.sub_user_invalid). A sub-user may have no
// scopes (it can then only manage its own profile and security).
func ValidateSubUser(in SubUserInput) (ValidSubUser, error) {
	var fe fieldErrors
	var v ValidSubUser
	var err error
	if v.DisplayName, err = ValidateDisplayName(in.DisplayName, "body.display_name"); err != nil {
		fe.addFrom("body.display_name", err)
	}
	if v.Email, err = ValidateEmail(in.Email, "body.email"); err != nil {
		fe.addFrom("body.email", err)
	}
	if v.Phone, err = ValidatePhone(in.Phone, "body.phone"); err != nil {
		fe.addFrom("body.phone", err)
	}
	if v.Scopes, err = ParseScopes(in.Scopes); err != nil {
		fe.addFrom("body.scopes", err)
	}
	if err := fe.err(CodeSubUserInvalid, "sub-user has invalid fields"); err != nil {
		return ValidSubUser{}, err
	}
	return v, nil
}

// ValidateDisplayName trims s and checks it: 1 to 32 runes of valid UTF-8
// with no control or invisible formatting characters (which could reorder
// or hide text in staff views). NFC-normalised. The error is an
// *errs.Error (code account.registration_invalid) on field.
func ValidateDisplayName(s, field string) (string, error) {
	return checkName(s, field, 1, MaxDisplayNameLength)
}

// ValidateEnterpriseName checks an enterprise's name like a display name,
// 2 to 100 runes. Whether it matches the business licence is for KYC.
func ValidateEnterpriseName(s, field string) (string, error) {
	return checkName(s, field, MinEnterpriseNameLength, MaxEnterpriseNameLength)
}

func checkName(s, field string, minLen, maxLen int) (string, error) {
	if !utf8.ValidString(s) {
		return "", errs.Invalidf(CodeRegistration, field, "format", nil)
	}
	n := norm.NFC.String(strings.TrimSpace(s))
	if n == "" {
		return "", errs.Invalidf(CodeRegistration, field, "required", nil)
	}
	if strings.ContainsFunc(n, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) {
		return "", errs.Invalidf(CodeRegistration, field, "format", nil)
	}
	switch l := utf8.RuneCountInString(n); {
	case l < minLen:
		return "", errs.Invalidf(CodeRegistration, field, "min_length", map[string]any{"min": minLen})
	case l > maxLen:
		return "", errs.Invalidf(CodeRegistration, field, "max_length", map[string]any{"max": maxLen})
	}
	return n, nil
}

// ValidateEmail returns pii.NormalizeEmail(s), or an *errs.Error (code
// email.invalid) on field with rule "required" or "format".
func ValidateEmail(s, field string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", errs.Invalidf(pii.ErrInvalidEmail.Code, field, "required", nil)
	}
	e, err := pii.NormalizeEmail(s)
	if err != nil {
		return "", errs.Invalidf(pii.ErrInvalidEmail.Code, field, "format", nil)
	}
	return e, nil
}

// ValidatePhone returns pii.NormalizePhone(s), or an *errs.Error (code
// phone.invalid) on field with rule "required" or "format" (a mainland
// China mobile number).
func ValidatePhone(s, field string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", errs.Invalidf(pii.ErrInvalidPhone.Code, field, "required", nil)
	}
	p, err := pii.NormalizePhone(s)
	if err != nil {
		return "", errs.Invalidf(pii.ErrInvalidPhone.Code, field, "format", map[string]any{"region": "CN"})
	}
	return p, nil
}

// NormalizeUSCC returns a unified social credit code in upper case with
// spaces removed and full-width forms folded, checking only its shape: 18
// characters of the GB 32100 set. The check digit is verified by the KYC
// issue. Errors: *errs.Error (code account.registration_invalid) on field,
// rule "required", "length" or "charset".
func NormalizeUSCC(s, field string) (string, error) {
	if !utf8.ValidString(s) || len(s) > 4*USCCLength+32 {
		return "", errs.Invalidf(CodeRegistration, field, "charset", nil)
	}
	u := strings.ToUpper(strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, norm.NFKC.String(s)))
	switch {
	case u == "":
		return "", errs.Invalidf(CodeRegistration, field, "required", nil)
	case utf8.RuneCountInString(u) != USCCLength:
		return "", errs.Invalidf(CodeRegistration, field, "length", map[string]any{"length": USCCLength})
	}
	for i := 0; i < len(u); i++ {
		if strings.IndexByte(usccCharset, u[i]) < 0 {
			return "", errs.Invalidf(CodeRegistration, field, "charset", nil)
		}
	}
	return u, nil
}
