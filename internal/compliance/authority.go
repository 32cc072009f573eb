package compliance

import (
	"slices"
	"strings"
	"unicode/utf8"

	"yuanxu/internal/errs"
)

// Authorities (issue 16 item 6; clause 4.2 移送公安; Cybersecurity Law
// art. 28: network operators give technical support and assistance to
// public security and state security organs; art. 21: logs kept at least
// six months). Every request is answered on a legal document, recorded in
// the disclosure register; an order may hold an account.

// DocType is the kind of legal document a request or hold rests on.
type DocType string

// Legal document types.
const (
	DocEvidenceNotice DocType = "evidence_notice"  // 调取证据通知书 (Criminal Procedure Law art. 54)
	DocAssistNotice   DocType = "assist_notice"    // 协助查询/冻结通知书
	DocCourtOrder     DocType = "court_order"      // 法院裁定/协助执行通知书
	DocRegulatorOrder DocType = "regulator_letter" // 通信管理局/网信办 函件
	DocOther          DocType = "other"
)

// DocTypes lists every legal document type.
var DocTypes = []DocType{DocEvidenceNotice, DocAssistNotice, DocCourtOrder, DocRegulatorOrder, DocOther}

// DisclosureField is a category of data handed to an authority.
type DisclosureField string

// What a disclosure can contain.
const (
	FieldIdentity   DisclosureField = "identity"    // real-name data (KYC)
	FieldContact    DisclosureField = "contact"     // email, phone
	FieldServices   DisclosureField = "services"    // services, their terms and addresses
	FieldAddressLog DisclosureField = "address_log" // who held an address when
	FieldNetworkLog DisclosureField = "network_log" // traffic and access logs
	FieldPayments   DisclosureField = "payments"    // orders, payments, the ledger
	FieldLoginLog   DisclosureField = "login_log"   // sessions and sign-ins
	FieldCaseFile   DisclosureField = "case_file"   // a violation case export
)

// DisclosureFields lists every category.
var DisclosureFields = []DisclosureField{FieldIdentity, FieldContact, FieldServices, FieldAddressLog, FieldNetworkLog, FieldPayments,
	FieldLoginLog, FieldCaseFile}

// LookupPurposes are the purposes an address lookup may give (PIPL art. 6:
// the least needed for a stated purpose); each lookup is audited with it.
var LookupPurposes = []string{"authority_request", "abuse_investigation", "fraud_investigation"}

// Authority codes.
const (
	CodeAuthorityInvalid = "compliance.authority_invalid" // bad input, with fields
	CodeHeld             = "compliance.authority_hold"    // an authority hold refuses the step
	CodeReverify         = "compliance.reverify_required" // purchases refused until verified again
	CodeLookupInvalid    = "compliance.lookup_invalid"
)

// LegalDoc is the legal document a request or hold rests on.
type LegalDoc struct {
	Authority string // the requesting body
	Type      string
	Number    string // the document's number (文号)
}

// CheckLegalDoc validates a legal document, adding problems to fs under
// body.<name>.
func CheckLegalDoc(d LegalDoc, fs []errs.FieldError) (LegalDoc, []errs.FieldError) {
	d.Authority, d.Number = strings.TrimSpace(d.Authority), strings.TrimSpace(d.Number)
	fs = checkText("body.authority", d.Authority, 200, fs)
	fs = checkText("body.doc_number", d.Number, 100, fs)
	if !slices.Contains(DocTypes, DocType(d.Type)) {
		fs = append(fs, errs.FieldError{Field: "body.doc_type", Rule: "enum", Params: map[string]any{"values": joinDocTypes()}})
	}
	return d, fs
}

// Disclosure is a register entry as recorded.
type Disclosure struct {
	Doc        LegalDoc
	Officer    string // the authority's officer: name and contact (personal information)
	AccountIDs []string
	ServiceIDs []string
	Fields     []string
	Note       string
}

// CheckDisclosure validates an entry: the legal document, the officer,
// at least one account and one category, known categories. It returns
// the entry trimmed and de-duplicated, or every problem at once
// (compliance.authority_invalid).
func CheckDisclosure(d Disclosure) (Disclosure, error) {
	var fs []errs.FieldError
	d.Doc, fs = CheckLegalDoc(d.Doc, fs)
	d.Officer, d.Note = strings.TrimSpace(d.Officer), strings.TrimSpace(d.Note)
	fs = checkText("body.officer", d.Officer, 200, fs)
	if utf8.RuneCountInString(d.Note) > 2000 {
		fs = append(fs, errs.FieldError{Field: "body.note", Rule: "max_length", Params: map[string]any{"max": 2000}})
	}
	d.AccountIDs, d.ServiceIDs, d.Fields = uniq(d.AccountIDs), uniq(d.ServiceIDs), uniq(d.Fields)
	if len(d.AccountIDs) == 0 || len(d.AccountIDs) > 50 {
		fs = append(fs, errs.FieldError{Field: "body.account_ids", Rule: "count", Params: map[string]any{"min": 1, "max": 50}})
	}
	if len(d.ServiceIDs) > 200 {
		fs = append(fs, errs.FieldError{Field: "body.service_ids", Rule: "count", Params: map[string]any{"min": 0, "max": 200}})
	}
	if len(d.Fields) == 0 {
		fs = append(fs, errs.FieldError{Field: "body.fields", Rule: "required"})
	}
	for _, f := range d.Fields {
		if !slices.Contains(DisclosureFields, DisclosureField(f)) {
			fs = append(fs, errs.FieldError{Field: "body.fields", Rule: "enum", Params: map[string]any{"value": f}})
		}
	}
	if len(fs) > 0 {
		return d, errs.E(errs.Op("compliance.CheckDisclosure"), errs.Invalid, CodeAuthorityInvalid, "the disclosure is incomplete", fs)
	}
	return d, nil
}

func checkText(field, v string, max int, fs []errs.FieldError) []errs.FieldError {
	switch n := utf8.RuneCountInString(v); {
	case n == 0:
		return append(fs, errs.FieldError{Field: field, Rule: "required"})
	case n > max:
		return append(fs, errs.FieldError{Field: field, Rule: "max_length", Params: map[string]any{"max": max}})
	}
	return fs
}

func uniq(xs []string) []string {
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func joinDocTypes() string {
	s := make([]string, len(DocTypes))
	for i, t := range DocTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}
