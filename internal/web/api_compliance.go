package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
)

// Compliance (issue 16, clause 4.2): abuse reports from anyone (the
// public form's API, and other operators), and the violation-case queue of
// compliance staff: cases opened or joined by signals, their evidence, and
// the reviewer's steps. Measures, notices and appeals build on these.

var complianceTag = &huma.Tag{Name: "compliance", Description: "Abuse reports (anyone; rate limited) and violation cases (clause 4.2): " +
	"a signal opens or joins one case per target and rule and never imposes a measure by itself; compliance officers attribute, " +
	"collect evidence (stored by SHA-256), review and confirm or dismiss. An open case blocks the account's refunds (clause 3.1.b)."}

var abuseReportRule = app.RateRule{Name: "web.abuse_report", Limit: 30, Window: time.Hour}

type abuseReportInput struct{ Body app.AbuseReportInput }

type abuseReceiptOutput struct{ Body app.AbuseReceipt }

type findingInput struct{ Body app.FindingInput }

type caseOutput struct{ Body app.CaseView }

type casesInput struct {
	State []string `query:"state" enum:"detected,under_review,confirmed,dismissed" doc:"Only these states; default: the open ones."`
}

type casesOutput struct {
	Body struct {
		Items []app.CaseView `json:"items"`
	}
}

type caseIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The case id."`
}

type caseActionInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The case id."`
	Body app.CaseAction
}

type evidenceUploadInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The case id."`
	Body struct {
		Filename string `json:"filename" maxLength:"255" example:"netflow.png"`
		Content  []byte `json:"content" doc:"The file, base64. Allowed: PNG, JPEG, GIF, PDF, plain text; no executables or archives." example:"aGVsbG8="`
		Note     string `json:"note,omitempty" maxLength:"500" example:"netflow export 09:00–09:20"`
	}
}

type evidenceOutput struct{ Body app.EvidenceView }

type blockInput struct{ Body app.BlockInput }

type blockOutput struct{ Body app.BlockView }

type blocksOutput struct {
	Body struct {
		Items []app.BlockView `json:"items"`
	}
}

type blockIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The entry id."`
}

type evidenceIDInput struct {
	ID         string `path:"id" maxLength:"64" doc:"The case id."`
	EvidenceID string `path:"evidence" maxLength:"64" doc:"The evidence id."`
}

func caseOut(v app.CaseView) app.CaseView {
	v.CreatedAt, v.DecidedAt, v.RetainUntil = inCST(v.CreatedAt), inCST(v.DecidedAt), inCST(v.RetainUntil)
	for i := range v.Signals {
		v.Signals[i].ObservedAt, v.Signals[i].CreatedAt = inCST(v.Signals[i].ObservedAt), inCST(v.Signals[i].CreatedAt)
	}
	for i := range v.Evidence {
		v.Evidence[i].CreatedAt = inCST(v.Evidence[i].CreatedAt)
	}
	if v.Signals == nil {
		v.Signals = []app.SignalView{}
	}
	if v.Evidence == nil {
		v.Evidence = []app.EvidenceView{}
	}
	return v
}

func oneCase(v app.CaseView, err error) (*caseOutput, error) {
	if err != nil {
		return nil, err
	}
	return &caseOutput{Body: caseOut(v)}, nil
}

// registerCompliance adds the compliance operations.
func registerCompliance(s *server) {
	s.api.OpenAPI().Tags = append(s.api.OpenAPI().Tags, complianceTag)
	tag := []string{"compliance"}
	register(s, huma.Operation{OperationID: "report-abuse", Method: http.MethodPost, Path: "/abuse-reports", Tags: tag, Security: secNone,
		Summary: "Report abuse", Description: "Anyone — a victim, another operator — reports activity from an IP address or domain: the use rule " +
			"(clause 4.1), when, and what happened. The report opens a case or joins the open case about the same target and rule; it imposes " +
			"nothing by itself. The answer is a receipt only. Every problem at once (compliance.report_invalid, 422); rate limited per address " +
			"and per target (429).",
		Errors: []int{422, 429}, DefaultStatus: http.StatusCreated, Middlewares: rateLimited(s, abuseReportRule)},
		func(ctx context.Context, in *abuseReportInput) (*abuseReceiptOutput, error) {
			v, err := s.app.ReportAbuse(ctx, in.Body)
			if err != nil {
				return nil, err
			}
			v.Received = inCST(v.Received)
			return &abuseReceiptOutput{Body: v}, nil
		})

	stag := []string{"compliance", "staff"}
	register(s, huma.Operation{OperationID: "staff-raise-finding", Method: http.MethodPost, Path: "/staff/compliance/findings", Tags: stag,
		Security: secAny, Summary: "Raise an inspection finding", Description: "Against an account or one of its services: opens or joins a " +
			"case attributed to it. Needs compliance.report.",
		Errors: []int{401, 403, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *findingInput) (*caseOutput, error) {
			p, err := staffCaller(ctx, "compliance.report")
			if err != nil {
				return nil, err
			}
			return oneCase(s.app.RaiseFinding(ctx, p.Principal, in.Body))
		})
	register(s, huma.Operation{OperationID: "staff-list-cases", Method: http.MethodGet, Path: "/staff/compliance/cases", Tags: stag, Security: secAny,
		Summary: "The case queue", Description: "Oldest first; the open ones unless states are given. Needs compliance.case.read.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *casesInput) (*casesOutput, error) {
			p, err := staffCaller(ctx, "compliance.case.read")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Cases(ctx, p.Principal, in.State)
			if err != nil {
				return nil, err
			}
			out := &casesOutput{}
			out.Body.Items = make([]app.CaseView, 0, len(vs))
			for _, v := range vs {
				out.Body.Items = append(out.Body.Items, caseOut(v))
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "staff-get-case", Method: http.MethodGet, Path: "/staff/compliance/cases/{id}", Tags: stag, Security: secAny,
		Summary: "A case with its signals and evidence", Description: "Reporters' contacts masked. Needs compliance.case.read.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *caseIDInput) (*caseOutput, error) {
			p, err := staffCaller(ctx, "compliance.case.read")
			if err != nil {
				return nil, err
			}
			return oneCase(s.app.Case(ctx, p.Principal, in.ID))
		})
	register(s, huma.Operation{OperationID: "staff-act-on-case", Method: http.MethodPost, Path: "/staff/compliance/cases/{id}/actions", Tags: stag,
		Security: secAny, Summary: "Review, attribute, confirm or dismiss a case",
		Description: "review: the officer takes the case (detected → under_review). attribute: the account (and service) behind the target. " +
			"confirm / dismiss: by the reviewing officer, with the reason; a confirmed case must be attributed. The evidence is then kept " +
			"retention.network_logs_days. Needs compliance.case.review.",
		Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *caseActionInput) (*caseOutput, error) {
			p, err := staffCaller(ctx, "compliance.case.review")
			if err != nil {
				return nil, err
			}
			return oneCase(s.app.ActOnCase(ctx, p.Principal, in.ID, in.Body))
		})
	register(s, huma.Operation{OperationID: "staff-add-evidence", Method: http.MethodPost, Path: "/staff/compliance/cases/{id}/evidence", Tags: stag,
		Security: secAny, Summary: "Add evidence to an open case",
		Description: "Stored once by SHA-256, with who added it and when. Type and size rules are the tickets' (5 MiB; PNG, JPEG, GIF, PDF, " +
			"plain text). Needs compliance.case.review.",
		Errors: []int{401, 403, 404, 409, 413, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *evidenceUploadInput) (*evidenceOutput, error) {
			p, err := staffCaller(ctx, "compliance.case.review")
			if err != nil {
				return nil, err
			}
			v, err := s.app.AddEvidence(ctx, p.Principal, in.ID, in.Body.Filename, in.Body.Content, in.Body.Note)
			if err != nil {
				return nil, err
			}
			v.CreatedAt = inCST(v.CreatedAt)
			return &evidenceOutput{Body: v}, nil
		})
	register(s, huma.Operation{OperationID: "staff-get-evidence", Method: http.MethodGet, Path: "/staff/compliance/cases/{id}/evidence/{evidence}",
		Tags: stag, Security: secAny, Summary: "Download a piece of evidence", Description: "Checked against its SHA-256. Needs compliance.case.read.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *evidenceIDInput) (*attachmentOutput, error) {
			p, err := staffCaller(ctx, "compliance.case.read")
			if err != nil {
				return nil, err
			}
			v, b, err := s.app.EvidenceContent(ctx, p.Principal, in.ID, in.EvidenceID)
			if err != nil {
				return nil, err
			}
			return &attachmentOutput{ContentType: v.ContentType, Options: "nosniff", Body: b,
				ContentDisposition: "attachment; filename*=UTF-8''" + urlPathEscape(v.Filename)}, nil
		})
	register(s, huma.Operation{OperationID: "staff-list-blocklist", Method: http.MethodGet, Path: "/staff/compliance/blocklist", Tags: stag,
		Security: secAny, Summary: "The re-registration blocklist", Description: "ID numbers, USCCs and phones barred after an authority-ordered " +
			"ban, masked (kept only as keyed blind indexes). Needs compliance.blocklist.manage.", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*blocksOutput, error) {
			p, err := staffCaller(ctx, "compliance.blocklist.manage")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Blocklist(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			out := &blocksOutput{}
			out.Body.Items = make([]app.BlockView, 0, len(vs))
			for _, v := range vs {
				v.CreatedAt, v.LiftedAt = inCST(v.CreatedAt), inCST(v.LiftedAt)
				out.Body.Items = append(out.Body.Items, v)
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "staff-add-blocklist", Method: http.MethodPost, Path: "/staff/compliance/blocklist", Tags: stag,
		Security: secAny, Summary: "Bar an identity from re-registering",
		Description: "With the authority's order. Registration refuses a barred phone and real-name verification a barred ID number, USCC or " +
			"phone (compliance.blocked, 403), without saying why. Needs compliance.blocklist.manage.",
		Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *blockInput) (*blockOutput, error) {
			p, err := staffCaller(ctx, "compliance.blocklist.manage")
			if err != nil {
				return nil, err
			}
			v, err := s.app.BlockAdd(ctx, p.Principal, in.Body)
			if err != nil {
				return nil, err
			}
			v.CreatedAt = inCST(v.CreatedAt)
			return &blockOutput{Body: v}, nil
		})
	register(s, huma.Operation{OperationID: "staff-lift-blocklist", Method: http.MethodPost, Path: "/staff/compliance/blocklist/{id}/lift", Tags: stag,
		Security: secAny, Summary: "Lift a blocklist entry", Description: "Needs compliance.blocklist.manage.", Errors: []int{401, 403, 404},
		DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *blockIDInput) (*struct{}, error) {
			p, err := staffCaller(ctx, "compliance.blocklist.manage")
			if err != nil {
				return nil, err
			}
			return nil, s.app.BlockLift(ctx, p.Principal, in.ID)
		})
}
