package kyc

import (
	"errors"
	"maps"
	"slices"
	"strings"

	"yuanxu/internal/errs"
)

// Stable error codes. Each is the key "error.<code>" of a message in the
// web layer's bilingual catalog (see [Messages]); none ever changes meaning.
// The rule of the field error that goes with a parser code is the code
// without its "kyc." prefix ("id_checksum"), so that a form that reports
// several fields at once ([CodeSubmissionInvalid]) still says what was wrong
// with each.
const (
	CodeIDFormat        = "kyc.id_format"           // not 18 characters of 17 digits and a digit or X, or a region code of the wrong shape
	CodeIDLegacy15      = "kyc.id_legacy_15"        // a 15-digit first-generation number (GB 11643-1989): no longer accepted
	CodeIDChecksum      = "kyc.id_checksum"         // the MOD 11-2 check character does not match
	CodeIDBirthDate     = "kyc.id_birth_date"       // not a calendar date, or before 1900-01-01
	CodeIDFutureBirth   = "kyc.id_future_birth"     // a birth date after today (Asia/Shanghai)
	CodeIDUnderage      = "kyc.id_underage"         // younger than kyc.min_age_years (clause 2.1)
	CodeUSCCFormat      = "kyc.uscc_format"         // not 18 characters, or a letter where GB 32100 needs a digit
	CodeUSCCForbidden   = "kyc.uscc_forbidden_char" // a character outside the GB 32100 set (I, O, S, V, Z, punctuation…); params char, position
	CodeUSCCChecksum    = "kyc.uscc_checksum"       // the GB 32100 MOD 31 check character does not match
	CodeUSCCOrgCode     = "kyc.uscc_org_code_check" // a Warning only: the inner GB 11714 check fails
	CodeLicenceEmpty    = "kyc.licence_empty"       // an upload with no bytes
	CodeLicenceType     = "kyc.licence_type"        // not PNG, JPEG or PDF by its leading bytes
	CodeLicenceTooLarge = "kyc.licence_too_large"   // over the size limit; params max_bytes

	CodeSubmissionInvalid = "kyc.submission_invalid" // a form with one or more invalid fields; the fields say which
	CodeStateUnknown      = "kyc.state_unknown"      // not one of the States
	CodeStateTransition   = "kyc.state_transition"   // a move the state machine does not allow
	CodeRequired          = "kyc.required"           // paying for a provisioned product without approved verification
	CodeReasonInvalid     = "kyc.reason_invalid"     // a decision's reason missing, unknown or of the wrong use
)

// Default request fields of the parsers' errors. A caller whose input sits
// elsewhere renames them with [WithField].
const (
	FieldName           = "body.name"
	FieldIDNumber       = "body.id_number"
	FieldPhone          = "body.phone"
	FieldCompanyName    = "body.company_name"
	FieldUSCC           = "body.uscc"
	FieldRepresentative = "body.representative"
	FieldLicence        = "body.licence"
)

// Clause is the agreement clause every rule of this package implements:
// 二(1), true identity before service.
const Clause = "2.1"

// Warning is a finding that does not make the input invalid but that a
// reviewer should see, such as a USCC whose inner GB 11714 check fails
// (codes issued before the standard, or by pilot regions, can). Code is
// stable and keys a catalog message like an error code; Params never hold
// the personal information that was checked.
type Warning struct {
	Code   string         `json:"code"`
	Field  string         `json:"field"`
	Params map[string]any `json:"params,omitempty"`
}

// WithField returns err with the field of each of its field errors set to
// field, for a caller whose input is not at the default field ("form.id",
// "query.uscc"). err is not modified; an err that is not an *errs.Error is
// returned as it is.
func WithField(err error, field string) error {
	var e *errs.Error
	if !errors.As(err, &e) {
		return err
	}
	c := *e
	c.Fields = slices.Clone(e.Fields)
	for i := range c.Fields {
		c.Fields[i].Field = field
	}
	return &c
}

// fieldError builds the single-field error of a parser. The code's rule is
// the code without "kyc."; params go to the field and the error alike (the
// web layer fills the detail from either). msg is English for logs and
// never holds the input.
func fieldError(kind errs.Kind, code, field, msg string, params map[string]any) *errs.Error {
	return &errs.Error{
		Kind: kind, Code: code, Msg: msg, Params: params,
		Fields: []errs.FieldError{{Field: field, Rule: ruleOf(code), Params: maps.Clone(params)}},
	}
}

func ruleOf(code string) string { return strings.TrimPrefix(code, "kyc.") }

// fieldErrors collects the problems of a form so that all are reported at
// once.
type fieldErrors []errs.FieldError

func (fe *fieldErrors) add(field, rule string, params map[string]any) {
	*fe = append(*fe, errs.FieldError{Field: field, Rule: rule, Params: params})
}

// addFrom adds the field errors of err renamed to field; an error without
// fields (which the parsers never return) becomes rule "invalid".
func (fe *fieldErrors) addFrom(field string, err error) {
	var e *errs.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		for _, f := range e.Fields {
			fe.add(field, f.Rule, f.Params)
		}
		return
	}
	fe.add(field, "invalid", nil)
}

func (fe fieldErrors) err(msg string) error {
	if len(fe) == 0 {
		return nil
	}
	return &errs.Error{Kind: errs.Invalid, Code: CodeSubmissionInvalid, Msg: msg, Fields: slices.Clone(fe)}
}
