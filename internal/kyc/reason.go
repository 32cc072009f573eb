package kyc

import (
	"slices"

	"yuanxu/internal/errs"
	"yuanxu/internal/policy"
)

// ReasonCode names why a submission was rejected or why more information
// was asked for. Codes are stored and shown to the customer with their
// text; never rename one.
type ReasonCode string

// Use says which decision a reason may explain.
type Use uint8

const (
	UseReject      Use = 1 << iota // a rejection (→ rejected)
	UseInfoRequest                 // a request for more (→ info_requested)
)

// Reason is one entry of the reason catalog: a code, the decisions it may
// explain, and the text the customer sees in both languages. Clause names
// the agreement clause or law the reason rests on.
type Reason struct {
	Code   ReasonCode
	Use    Use
	Clause string
	Text   policy.Text
}

// The reasons. A reviewer picks one and may add a free-text note; the note
// never replaces the code.
const (
	ReasonDataInvalid        ReasonCode = "data_invalid"
	ReasonIdentityMismatch   ReasonCode = "identity_mismatch"
	ReasonUnderage           ReasonCode = "underage"
	ReasonDuplicateIdentity  ReasonCode = "duplicate_identity"
	ReasonLicenceMismatch    ReasonCode = "licence_mismatch"
	ReasonLicenceInvalid     ReasonCode = "licence_invalid"
	ReasonRiskFlagged        ReasonCode = "risk_flagged"
	ReasonLicenceUnreadable  ReasonCode = "licence_unreadable"
	ReasonAuthorisationProof ReasonCode = "authorisation_proof"
	ReasonOrgCodeCheck       ReasonCode = "org_code_check"
	ReasonOther              ReasonCode = "other"
)

var reasons = []Reason{
	{ReasonDataInvalid, UseReject | UseInfoRequest, Clause, policy.Text{
		ZH: "提交的信息格式不正确，请核对后重新提交。",
		EN: "The information submitted is not in a valid form; please check it and submit again."}},
	{ReasonIdentityMismatch, UseReject, Clause, policy.Text{
		ZH: "姓名与证件号码经核验不一致。",
		EN: "The name and the identity number do not match on verification."}},
	{ReasonUnderage, UseReject, Clause, policy.Text{
		ZH: "证件持有人未达到实名认证的最低年龄。",
		EN: "The holder is below the minimum age for real-name verification."}},
	{ReasonDuplicateIdentity, UseReject, Clause, policy.Text{
		ZH: "该证件号码或统一社会信用代码已用于另一已认证账户；如需关联账户，请联系客服。",
		EN: "This identity number or credit code is already verified for another account; contact support to link accounts."}},
	{ReasonLicenceMismatch, UseReject | UseInfoRequest, Clause, policy.Text{
		ZH: "营业执照上的名称、统一社会信用代码或负责人与所填信息不一致。",
		EN: "The name, credit code or responsible person on the business licence differs from the form."}},
	{ReasonLicenceInvalid, UseReject, Clause, policy.Text{
		ZH: "营业执照已被吊销、注销或已过营业期限。",
		EN: "The business licence has been revoked, cancelled or has expired."}},
	{ReasonRiskFlagged, UseReject, "Anti-Telecom-Fraud Law art. 22", policy.Text{
		ZH: "根据《反电信网络诈骗法》的要求，该账户暂不能通过认证；您可以通过工单申诉。",
		EN: "Under the Anti-Telecom-Fraud Law this account cannot be verified now; you may appeal through a ticket."}},
	{ReasonLicenceUnreadable, UseInfoRequest, Clause, policy.Text{
		ZH: "营业执照图片不清晰或不完整，请上传清晰完整的图片或 PDF。",
		EN: "The licence image is unclear or incomplete; please upload a clear, complete image or PDF."}},
	{ReasonAuthorisationProof, UseInfoRequest, Clause, policy.Text{
		ZH: "提交人不是负责人本人，请上传加盖公章的授权书。",
		EN: "The submitter is not the responsible person; please upload a letter of authorisation bearing the company seal."}},
	{ReasonOrgCodeCheck, UseInfoRequest, Clause, policy.Text{
		ZH: "统一社会信用代码中的组织机构代码校验未通过，请核对营业执照上的代码。",
		EN: "The organisation code inside the credit code fails its check; please compare it with the licence."}},
	{ReasonOther, UseReject | UseInfoRequest, Clause, policy.Text{
		ZH: "其他原因，详见审核说明。",
		EN: "Another reason: see the reviewer's note."}},
}

// Reasons returns the catalog, in display order.
func Reasons() []Reason { return slices.Clone(reasons) }

// LookupReason returns the catalog entry of code.
func LookupReason(code ReasonCode) (Reason, bool) {
	for _, r := range reasons {
		if r.Code == code {
			return r, true
		}
	}
	return Reason{}, false
}

// CheckReason checks the reason of a reviewer's decision that moves a
// submission to state to. A rejection and a request for more need a reason
// of the matching [Use]; an approval takes none. The error is Invalid with
// code [CodeReasonInvalid] on field "body.reason" (rule "required",
// "enum" or "not_allowed").
func CheckReason(to State, code ReasonCode) error {
	var use Use
	switch to {
	case StateRejected:
		use = UseReject
	case StateInfoRequested:
		use = UseInfoRequest
	default:
		if code == "" {
			return nil
		}
		return reasonErr("not_allowed", map[string]any{"state": string(to)})
	}
	if code == "" {
		return reasonErr("required", nil)
	}
	r, ok := LookupReason(code)
	if !ok || r.Use&use == 0 {
		return reasonErr("enum", map[string]any{"state": string(to)})
	}
	return nil
}

func reasonErr(rule string, params map[string]any) error {
	return &errs.Error{Kind: errs.Invalid, Code: CodeReasonInvalid, Msg: "the decision's reason is missing or not allowed",
		Fields: []errs.FieldError{{Field: "body.reason", Rule: rule, Params: params}}}
}
