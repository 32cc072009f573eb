package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
	"yuanxu/internal/pii"
	"yuanxu/internal/web/i18n"
)

// KYCSubmissionBody is one real-name submission, personal information
// masked.
type KYCSubmissionBody struct {
	ID           string     `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	AccountID    string     `json:"account_id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	AccountName  string     `json:"account_name,omitempty" example:"李雷"`
	Subject      string     `json:"subject" enum:"individual,enterprise" example:"individual"`
	Status       string     `json:"status" example:"pending"`
	Name         string     `json:"name" doc:"Masked." example:"李*"`
	CompanyName  string     `json:"company_name,omitempty" example:"元序示例科技有限公司"`
	Identity     string     `json:"identity" doc:"The ID number or USCC, masked." example:"1101**********1234"`
	Phone        string     `json:"phone" doc:"Masked." example:"138****5678"`
	LicenceType  string     `json:"licence_type,omitempty" example:"image/png"`
	LicenceBytes int64      `json:"licence_bytes,omitempty" example:"48213"`
	Warnings     []string   `json:"warnings" example:"[]"`
	Reason       string     `json:"reason,omitempty" example:"licence_unreadable"`
	Note         string     `json:"note,omitempty" example:"请上传清晰的营业执照"`
	SubmittedAt  time.Time  `json:"submitted_at" example:"2025-06-01T10:00:00+08:00"`
	DecidedAt    *time.Time `json:"decided_at,omitempty" example:"2025-06-01T10:00:00+08:00"`
}

func kycSubmissionBody(v app.KYCSubmissionView) KYCSubmissionBody {
	b := KYCSubmissionBody{ID: v.ID, AccountID: v.AccountID, AccountName: v.AccountName, Subject: string(v.Subject), Status: v.Status,
		Name: v.Name, CompanyName: v.CompanyName, Identity: v.Identity, Phone: v.Phone, LicenceType: v.LicenceMIME, LicenceBytes: v.LicenceBytes,
		Warnings: append([]string{}, v.Warnings...), Reason: string(v.Reason), Note: v.Note, SubmittedAt: v.SubmittedAt}
	if !v.DecidedAt.IsZero() {
		t := v.DecidedAt
		b.DecidedAt = &t
	}
	return b
}

// KYCStatusBody is a customer's verification.
type KYCStatusBody struct {
	AccountID      string             `json:"account_id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	State          string             `json:"state" enum:"unverified,pending,info_requested,approved,rejected,reverify_required" example:"pending"`
	AllowsPurchase bool               `json:"allows_purchase" doc:"Paying for provisioned products is allowed (kyc.required_before, clause 2.1)." example:"false"`
	Reason         string             `json:"reason,omitempty" example:"licence_unreadable"`
	ReasonText     string             `json:"reason_text,omitempty" example:"营业执照图片不清晰或不完整"`
	Note           string             `json:"note,omitempty" example:""`
	Current        *KYCSubmissionBody `json:"current,omitempty"`
}

type kycStatusOutput struct{ Body KYCStatusBody }

func kycStatusBody(ctx context.Context, v app.KYCView) KYCStatusBody {
	b := KYCStatusBody{AccountID: v.AccountID, State: string(v.State), AllowsPurchase: v.AllowsPurchase, Reason: string(v.Reason), Note: v.Note}
	if r, ok := kyc.LookupReason(v.Reason); ok {
		b.ReasonText = r.Text.ZH
		if Lang(ctx) == i18n.EN {
			b.ReasonText = r.Text.EN
		}
	}
	if v.Current != nil {
		c := kycSubmissionBody(*v.Current)
		b.Current = &c
	}
	return b
}

type kycIndividualInput struct {
	Body struct {
		Name     string `json:"name" maxLength:"100" example:"李雷"`
		IDNumber string `json:"id_number" maxLength:"32" doc:"Resident ID number (GB 11643) or a Hong Kong, Macao or Taiwan residence permit number." example:"11010519491231002X"`
		Phone    string `json:"phone" maxLength:"20" example:"13800138000"`
	}
}

type kycEnterpriseInput struct {
	Body struct {
		CompanyName    string `json:"company_name" maxLength:"200" example:"元序示例科技有限公司"`
		USCC           string `json:"uscc" maxLength:"32" doc:"Unified social credit code (GB 32100)." example:"91350100M000100Y43"`
		Representative string `json:"representative" maxLength:"100" example:"韩梅梅"`
		Phone          string `json:"phone" maxLength:"20" example:"13800138000"`
		Licence        []byte `json:"licence" doc:"The business licence: PNG, JPEG or PDF, base64." contentEncoding:"base64" example:"iVBORw0KGgo="`
	}
}

type kycDecisionInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Decision string `json:"decision" enum:"approve,reject,request_info" example:"approve"`
		Reason   string `json:"reason,omitempty" maxLength:"64" example:"licence_unreadable"`
		Note     string `json:"note,omitempty" maxLength:"500" example:""`
	}
}

type kycIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type kycQueueInput struct {
	Limit int `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

type kycQueueOutput struct {
	Body struct {
		Submissions []KYCSubmissionBody `json:"submissions"`
	}
}

type kycSubmissionOutput struct{ Body KYCSubmissionBody }

type kycUnmaskInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Field   string `json:"field" enum:"name,identity,phone" example:"identity"`
		Purpose string `json:"purpose" maxLength:"64" doc:"Purpose code: kyc_review, authority_request, customer_request, fraud_investigation, dispute. Audited." example:"kyc_review"`
	}
}

type kycUnmaskOutput struct {
	Body struct {
		Value string `json:"value" doc:"In clear; the access is audited." example:"11010519491231002X"`
	}
}

type kycAccountNoteInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Note string `json:"note" maxLength:"500" example:"ATFL art. 22 flag"`
	}
}

type kycLinkInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		FromAccountID string `json:"from_account_id" maxLength:"64" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
		Reason        string `json:"reason" maxLength:"500" example:"the same person's second account"`
	}
}

type closureInput struct {
	Body struct {
		Confirm bool `json:"confirm" doc:"Must be true: closing is final." example:"true"`
	}
}

type dataExportOutput struct {
	ContentDisposition string `header:"Content-Disposition"`
	Body               app.DataExport
}

// registerKYC adds real-name verification and data-rights operations.
func registerKYC(s *server) {
	me, staff := []string{"me"}, []string{"staff"}
	register(s, huma.Operation{OperationID: "get-my-kyc", Method: http.MethodGet, Path: "/me/kyc", Tags: me, Security: secSession,
		Summary: "Real-name verification status", Description: "What is verified and what is blocked until approval (clause 2.1).", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*kycStatusOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.KYCStatus(ctx, p.Principal, p.AccountID)
			if err != nil {
				return nil, err
			}
			return &kycStatusOutput{Body: kycStatusBody(ctx, v)}, nil
		})
	register(s, huma.Operation{OperationID: "submit-kyc-individual", Method: http.MethodPost, Path: "/me/kyc/individual", Tags: me, Security: secSession,
		Summary: "Submit individual real-name verification", Description: "Name, resident ID number and phone. Every bad field is reported at once.",
		Errors: []int{401, 403, 409, 422}},
		func(ctx context.Context, in *kycIndividualInput) (*kycStatusOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			v, err := s.app.KYCSubmit(ctx, p.Principal, p.AccountID, app.KYCSubmitInput{Subject: kyc.SubjectIndividual, Name: b.Name,
				IDNumber: pii.Secret(b.IDNumber), Phone: pii.Secret(b.Phone)})
			if err != nil {
				return nil, err
			}
			return &kycStatusOutput{Body: kycStatusBody(ctx, v)}, nil
		})
	register(s, huma.Operation{OperationID: "submit-kyc-enterprise", Method: http.MethodPost, Path: "/me/kyc/enterprise", Tags: me, Security: secSession,
		Summary: "Submit enterprise real-name verification", Description: "Company name, USCC, responsible person, phone and the licence file.",
		Errors: []int{401, 403, 409, 413, 422}},
		func(ctx context.Context, in *kycEnterpriseInput) (*kycStatusOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			v, err := s.app.KYCSubmit(ctx, p.Principal, p.AccountID, app.KYCSubmitInput{Subject: kyc.SubjectEnterprise, CompanyName: b.CompanyName,
				USCC: pii.Secret(b.USCC), Representative: b.Representative, Phone: pii.Secret(b.Phone), Licence: b.Licence})
			if err != nil {
				return nil, err
			}
			return &kycStatusOutput{Body: kycStatusBody(ctx, v)}, nil
		})
	register(s, huma.Operation{OperationID: "export-my-data", Method: http.MethodGet, Path: "/me/data-export", Tags: me, Security: secSession,
		Summary: "Download a copy of my personal information", Description: "PIPL art. 45. In clear; audited.", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*dataExportOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			x, err := s.app.DataExportOf(ctx, p.Principal, p.AccountID)
			if err != nil {
				return nil, err
			}
			return &dataExportOutput{ContentDisposition: `attachment; filename="yuanxu-data.json"`, Body: x}, nil
		})
	register(s, huma.Operation{OperationID: "close-my-account", Method: http.MethodPost, Path: "/me/closure", Tags: me, Security: secSession,
		Summary: "Close my account", Description: "Refused with account.closure_held naming each legal hold while one applies.",
		Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *closureInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			if !in.Body.Confirm {
				return nil, errs.Invalidf("account.closure_unconfirmed", "body.confirm", "required", nil)
			}
			return nil, s.app.CloseAccount(ctx, p.Principal, p.AccountID)
		})

	register(s, huma.Operation{OperationID: "kyc-queue", Method: http.MethodGet, Path: "/staff/kyc", Tags: staff, Security: secSession,
		Summary: "Real-name review queue", Description: "Needs kyc.review. Masked.", Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *kycQueueInput) (*kycQueueOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.KYCQueue(ctx, p.Principal, in.Limit)
			if err != nil {
				return nil, err
			}
			out := &kycQueueOutput{}
			out.Body.Submissions = []KYCSubmissionBody{}
			for _, v := range vs {
				out.Body.Submissions = append(out.Body.Submissions, kycSubmissionBody(v))
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "kyc-submission", Method: http.MethodGet, Path: "/staff/kyc/{id}", Tags: staff, Security: secSession,
		Summary: "One real-name submission", Description: "Needs kyc.review. Masked.", Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *kycIDInput) (*kycSubmissionOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.KYCSubmission(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &kycSubmissionOutput{Body: kycSubmissionBody(v)}, nil
		})
	register(s, huma.Operation{OperationID: "kyc-decide", Method: http.MethodPost, Path: "/staff/kyc/{id}/decision", Tags: staff, Security: secSession,
		Summary: "Approve, reject or ask for more", Description: "Needs kyc.review. A rejection or request names a reason from the catalog.",
		Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *kycDecisionInput) (*kycStatusOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.KYCDecide(ctx, p.Principal, in.ID, app.KYCDecision{Decision: app.KYCDecisionKind(in.Body.Decision),
				Reason: kyc.ReasonCode(in.Body.Reason), Note: in.Body.Note})
			if err != nil {
				return nil, err
			}
			return &kycStatusOutput{Body: kycStatusBody(ctx, v)}, nil
		})
	register(s, huma.Operation{OperationID: "kyc-unmask", Method: http.MethodPost, Path: "/staff/kyc/{id}/unmask", Tags: staff, Security: secSession,
		Summary: "Unmask one field with a purpose", Description: "Needs pii.unmask and a purpose code; every unmask is audited.",
		Errors: []int{401, 403, 404, 422}},
		func(ctx context.Context, in *kycUnmaskInput) (*kycUnmaskOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.KYCUnmask(ctx, p.Principal, in.ID, in.Body.Field, in.Body.Purpose)
			if err != nil {
				return nil, err
			}
			out := &kycUnmaskOutput{}
			out.Body.Value = v
			return out, nil
		})
	register(s, huma.Operation{OperationID: "kyc-require-reverification", Method: http.MethodPost, Path: "/staff/accounts/{id}/kyc/reverify", Tags: staff,
		Security: secSession, Summary: "Send a verified customer back to review",
		Description: "Needs kyc.review (Anti-Telecom-Fraud Law art. 22). The customer's profile must be approved (kyc.state_transition, " +
			"409, otherwise); the note is shown to the customer. It opens the same re-verification flag as POST " +
			"/staff/compliance/accounts/{id}/reverify: checkout refuses (compliance.reverify_required) and the next submission goes to a " +
			"person until one is approved; compliance.reverify_exists (409) while a flag is open.",
		Errors: []int{401, 403, 404, 409, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *kycAccountNoteInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.KYCRequireReverification(ctx, p.Principal, in.ID, in.Body.Note)
		})
	register(s, huma.Operation{OperationID: "kyc-link-identity", Method: http.MethodPost, Path: "/staff/accounts/{id}/kyc/link", Tags: staff,
		Security: secSession, Summary: "Link an account to a verified identity on purpose",
		Description: "Needs kyc.review. Lets the same ID number or USCC be verified for this account too.",
		Errors:      []int{401, 403, 404, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *kycLinkInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.KYCLinkIdentity(ctx, p.Principal, in.ID, in.Body.FromAccountID, in.Body.Reason)
		})
}
