package kyc

import (
	"bytes"
	"crypto/sha256"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"yuanxu/internal/errs"
	"yuanxu/internal/pii"
)

// Length limits, in runes after trimming.
const (
	MinPersonNameLength  = 2
	MaxPersonNameLength  = 50
	MinCompanyNameLength = 2
	MaxCompanyNameLength = 100
)

// MiddleDot is the separator of transcribed names (间隔号, "买买提·吐尔逊");
// the look-alikes people type for it are folded to it.
const MiddleDot = '·'

// IndividualInput is an individual's real-name form as received (clause
// 二(1): name, resident ID number, phone).
// The personal fields are pii.Secret, so that a form printed or logged by
// mistake shows them masked; JSON request bodies decode into them as plain
// strings.
type IndividualInput struct {
	Name     string
	IDNumber pii.Secret
	Phone    pii.Secret
}

// ValidIndividual is a checked IndividualInput.
type ValidIndividual struct {
	Name  string     // NormalizePersonName form
	ID    ResidentID // checked; print it masked only
	Phone pii.Secret // pii.NormalizePhone form: 11 digits
}

// EnterpriseInput is an enterprise's real-name form as received (clause
// 二(1): company name, business licence number (the USCC), the responsible
// person, a contact phone, and the licence image).
type EnterpriseInput struct {
	CompanyName    string
	USCC           pii.Secret
	Representative string // the responsible person (负责人 / legal representative)
	Phone          pii.Secret
	Licence        []byte // the uploaded business licence: PNG, JPEG or PDF
}

// ValidEnterprise is a checked EnterpriseInput.
type ValidEnterprise struct {
	CompanyName    string // trimmed, NFC, white space runs folded to one space
	USCC           USCC
	Representative string
	Phone          pii.Secret // pii.NormalizePhone form
	Licence        Licence
}

// Licence is a checked licence upload.
type Licence struct {
	MIME string // MIMEPNG, MIMEJPEG or MIMEPDF, from the content
	Data []byte // the bytes as uploaded (the caller's slice, not a copy)
}

// Validate checks every field and reports every problem in one
// *errs.Error (Kind Invalid, code [CodeSubmissionInvalid]); each field
// error names its field ([FieldName], [FieldIDNumber], [FieldPhone]) and
// rule: "required", "min_length", "max_length", "name_chars", "phone", or
// the rule of the ID parser's code ("id_checksum", "id_underage" with
// params min_age and clause, …; see [ParseResidentID]). now is the business
// time of the submission and minAge the policy's kyc.min_age_years;
// maxLicenceBytes is unused (individuals upload no licence) and is there so
// that both forms validate alike. Individuals have no warnings today; the
// slice is for symmetry and future checks.
func (in IndividualInput) Validate(now time.Time, minAge, maxLicenceBytes int) (ValidIndividual, []Warning, error) {
	var fe fieldErrors
	var v ValidIndividual
	v.Name, _ = checkPersonName(&fe, FieldName, in.Name)
	if strings.TrimSpace(in.IDNumber.Reveal()) == "" {
		fe.add(FieldIDNumber, "required", nil)
	} else if id, err := ParseResidentID(in.IDNumber.Reveal(), now, minAge); err != nil {
		fe.addFrom(FieldIDNumber, err)
	} else {
		v.ID = id
	}
	v.Phone = checkPhone(&fe, FieldPhone, in.Phone)
	if err := fe.err("real-name form has invalid fields"); err != nil {
		return ValidIndividual{}, nil, err
	}
	return v, nil, nil
}

// Validate checks every field and reports every problem in one
// *errs.Error (Kind Invalid, code [CodeSubmissionInvalid]), with fields
// [FieldCompanyName], [FieldUSCC], [FieldRepresentative], [FieldPhone] and
// [FieldLicence]. The company name is 2–100 runes of printable text; the
// representative a person's name as for individuals; the USCC as
// [ParseUSCC] (its warnings are returned); the licence as [SniffLicence]
// with maxLicenceBytes (an oversize file is rule "licence_too_large" here,
// within the Invalid form error). An empty licence is rule "required". A
// maxLicenceBytes of 0 or less is a programming error (Internal).
// now and minAge are unused: the responsible person's identity number is
// not collected, and only the licence proves the company.
func (in EnterpriseInput) Validate(now time.Time, minAge, maxLicenceBytes int) (ValidEnterprise, []Warning, error) {
	if maxLicenceBytes <= 0 {
		return ValidEnterprise{}, nil, errs.E(errs.Internal, errs.Op("kyc.EnterpriseInput.Validate"), "kyc.licence_limit_unset", "maxLicenceBytes must be positive")
	}
	var fe fieldErrors
	var v ValidEnterprise
	var warns []Warning
	v.CompanyName = checkCompanyName(&fe, FieldCompanyName, in.CompanyName)
	if strings.TrimSpace(in.USCC.Reveal()) == "" {
		fe.add(FieldUSCC, "required", nil)
	} else if u, w, err := ParseUSCC(in.USCC.Reveal()); err != nil {
		fe.addFrom(FieldUSCC, err)
	} else {
		v.USCC, warns = u, w
	}
	v.Representative, _ = checkPersonName(&fe, FieldRepresentative, in.Representative)
	v.Phone = checkPhone(&fe, FieldPhone, in.Phone)
	if len(in.Licence) == 0 {
		fe.add(FieldLicence, "required", nil)
	} else if mime, err := SniffLicence(in.Licence, maxLicenceBytes); err != nil {
		fe.addFrom(FieldLicence, err)
	} else {
		v.Licence = Licence{MIME: mime, Data: in.Licence}
	}
	if err := fe.err("real-name form has invalid fields"); err != nil {
		return ValidEnterprise{}, nil, err
	}
	return v, warns, nil
}

// SameIdentity reports whether o carries the same verified data as v: the
// name and the ID number. A change of either sends an approved customer to
// reverify_required ([StateReverifyRequired]); a new phone number does not
// (it is verified by a code, not by review).
func (v ValidIndividual) SameIdentity(o ValidIndividual) bool {
	return v.Name == o.Name && v.ID.Number() == o.ID.Number()
}

// SameIdentity reports whether o carries the same verified data as v: the
// company name, the USCC, the responsible person and the licence file. A
// change of any sends an approved customer to reverify_required; a new
// phone number does not.
func (v ValidEnterprise) SameIdentity(o ValidEnterprise) bool {
	return v.CompanyName == o.CompanyName && v.USCC.Code() == o.USCC.Code() &&
		v.Representative == o.Representative && v.Licence.MIME == o.Licence.MIME &&
		bytes.Equal(v.Licence.Data, o.Licence.Data)
}

// String describes the file without its bytes ("image/png, 48213 bytes"),
// so that a printed form stays short.
func (l Licence) String() string { return l.MIME + ", " + strconv.Itoa(len(l.Data)) + " bytes" }

// Digest returns the SHA-256 of the licence bytes, for the audit trail and
// for telling two uploads apart without keeping both.
func (l Licence) Digest() [32]byte { return sha256.Sum256(l.Data) }

// NormalizePersonName trims s, NFC-normalises it, folds each run of white
// space to one space and the look-alikes of the middle dot (• ・ ･ ‧ ∙ ⋅)
// to [MiddleDot]. It does not validate.
func NormalizePersonName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '•', '・', '･', '‧', '∙', '⋅':
			return MiddleDot
		}
		return r
	}, normalizeText(s))
}

// normalizeText trims s, NFC-normalises it and folds each run of white
// space (ideographic spaces included) to one ASCII space.
func normalizeText(s string) string {
	return strings.Join(strings.FieldsFunc(norm.NFC.String(s), unicode.IsSpace), " ")
}

// checkPersonName validates a person's name: 2–50 runes of letters (any
// script) and combining marks, with single middle dots or single spaces
// between letters. It records the problem in fe and reports whether the
// name is valid.
func checkPersonName(fe *fieldErrors, field, s string) (string, bool) {
	if !utf8.ValidString(s) {
		fe.add(field, "name_chars", nil)
		return "", false
	}
	n := NormalizePersonName(s)
	if n == "" {
		fe.add(field, "required", nil)
		return "", false
	}
	if !lengthOK(fe, field, n, MinPersonNameLength, MaxPersonNameLength) {
		return "", false
	}
	prevSep := true // a separator may neither start the name nor follow one
	for _, r := range n {
		switch {
		case unicode.IsLetter(r):
			prevSep = false
		case unicode.In(r, unicode.Mn, unicode.Mc):
			if prevSep {
				fe.add(field, "name_chars", nil)
				return "", false
			}
		case r == MiddleDot || r == ' ':
			if prevSep {
				fe.add(field, "name_chars", nil)
				return "", false
			}
			prevSep = true
		default:
			fe.add(field, "name_chars", nil)
			return "", false
		}
	}
	if prevSep { // ends with a middle dot (white space was trimmed)
		fe.add(field, "name_chars", nil)
		return "", false
	}
	return n, true
}

// checkCompanyName validates a company name: 2–100 runes of printable text
// (letters, digits, punctuation such as （）·&, and spaces); no control,
// format (bidi overrides, zero-width), private-use or unassigned
// characters, which could hide or reorder text in the reviewer's view.
func checkCompanyName(fe *fieldErrors, field, s string) string {
	if !utf8.ValidString(s) {
		fe.add(field, "name_chars", nil)
		return ""
	}
	n := normalizeText(s)
	if n == "" {
		fe.add(field, "required", nil)
		return ""
	}
	if !lengthOK(fe, field, n, MinCompanyNameLength, MaxCompanyNameLength) {
		return ""
	}
	for _, r := range n {
		if r != ' ' && !unicode.IsPrint(r) {
			fe.add(field, "name_chars", nil)
			return ""
		}
	}
	return n
}

func lengthOK(fe *fieldErrors, field, s string, minLen, maxLen int) bool {
	switch l := utf8.RuneCountInString(s); {
	case l < minLen:
		fe.add(field, "min_length", map[string]any{"min": minLen})
		return false
	case l > maxLen:
		fe.add(field, "max_length", map[string]any{"max": maxLen})
		return false
	}
	return true
}

// checkPhone normalises a mainland mobile number with pii.NormalizePhone;
// rule "required" or "phone".
func checkPhone(fe *fieldErrors, field string, s pii.Secret) pii.Secret {
	if strings.TrimSpace(s.Reveal()) == "" {
		fe.add(field, "required", nil)
		return ""
	}
	p, err := pii.NormalizePhone(s.Reveal())
	if err != nil {
		fe.add(field, "phone", map[string]any{"region": "CN"})
		return ""
	}
	return pii.Secret(p)
}
