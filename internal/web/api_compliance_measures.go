package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
)

// Measures, notices and appeals (issue 16, clauses 4.2 and 6.2): compliance
// staff impose a measure on a confirmed case; the customer sees it with the
// reasons and the appeal deadline (counted from the first delivery of the
// notice by email or SMS) and appeals it with attachments; a reviewer who
// is not the officer who imposed it decides.

var measuresTag = &huma.Tag{Name: "measures", Description: "Measures on confirmed violation cases (restrict, suspend, ban; clause 4.2), " +
	"their notice, and appeals (clause 6.2): filed within appeal.window_working_days working days of the notice's first delivery by email " +
	"or SMS, decided within appeal.review_working_days by someone other than the officer who imposed the measure."}

type measureOutput struct{ Body app.MeasureView }

type measuresOutput struct {
	Body struct {
		Items []app.MeasureView `json:"items"`
	}
}

type measureIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The measure id."`
}

type imposeInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The confirmed case id."`
	Body app.MeasureInput
}

type staffMeasuresInput struct {
	AccountID string   `query:"account_id" maxLength:"64" doc:"Only this account's."`
	State     []string `query:"state" enum:"in_force,overturned,lapsed" doc:"Only these states; default all."`
}

type appealFile struct {
	Filename string `json:"filename" maxLength:"255" example:"optin.png"`
	Content  []byte `json:"content" doc:"The file, base64 (PNG, JPEG, GIF, PDF, plain text; 5 MiB)." example:"aGVsbG8="`
}

type appealInput struct {
	Body struct {
		MeasureID   string       `json:"measure_id" maxLength:"64" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fd0"`
		Statement   string       `json:"statement" maxLength:"8000" example:"The mails were a newsletter our users asked for."`
		Attachments []appealFile `json:"attachments,omitempty" maxItems:"5" doc:"Files for the appeal's ticket thread."`
	}
}

type appealOutput struct{ Body app.AppealView }

type appealsOutput struct {
	Body struct {
		Items []app.AppealView `json:"items"`
	}
}

type appealIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The appeal id."`
}

type appealsInput struct {
	State []string `query:"state" enum:"open,under_review,upheld,overturned" doc:"Staff: only these states; default the open ones."`
}

type decideAppealInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The appeal id."`
	Body app.AppealDecision
}

func measureOut(v app.MeasureView) app.MeasureView {
	v.CreatedAt, v.EndedAt, v.NoticeAt, v.AppealDue, v.ConfirmBy = inCST(v.CreatedAt), inCST(v.EndedAt), inCST(v.NoticeAt), inCST(v.AppealDue),
		inCST(v.ConfirmBy)
	return v
}

func appealOut(v app.AppealView) app.AppealView {
	v.CreatedAt, v.DecidedAt, v.AppealDue, v.ReviewDue = inCST(v.CreatedAt), inCST(v.DecidedAt), inCST(v.AppealDue), inCST(v.ReviewDue)
	v.Measure = measureOut(v.Measure)
	return v
}

func oneMeasure(v app.MeasureView, err error) (*measureOutput, error) {
	if err != nil {
		return nil, err
	}
	return &measureOutput{Body: measureOut(v)}, nil
}

func manyMeasures(vs []app.MeasureView, err error) (*measuresOutput, error) {
	if err != nil {
		return nil, err
	}
	out := &measuresOutput{}
	out.Body.Items = make([]app.MeasureView, 0, len(vs))
	for _, v := range vs {
		out.Body.Items = append(out.Body.Items, measureOut(v))
	}
	return out, nil
}

func oneAppeal(v app.AppealView, err error) (*appealOutput, error) {
	if err != nil {
		return nil, err
	}
	return &appealOutput{Body: appealOut(v)}, nil
}

// registerMeasures adds the measure and appeal operations.
func registerMeasures(s *server) {
	s.api.OpenAPI().Tags = append(s.api.OpenAPI().Tags, measuresTag)
	tag := []string{"measures"}
	register(s, huma.Operation{OperationID: "list-my-measures", Method: http.MethodGet, Path: "/measures", Tags: tag, Security: secAny,
		Summary: "Measures on my account", Description: "Newest first, with the use rule, the evidence summary, the reason, whether the notice " +
			"reached me, and the appeal deadline (exclusive; absent until the notice was delivered by email or SMS).",
		Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*measuresOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return manyMeasures(s.app.MyMeasures(ctx, p.Principal))
		})
	register(s, huma.Operation{OperationID: "get-measure", Method: http.MethodGet, Path: "/measures/{id}", Tags: tag, Security: secAny,
		Summary: "A measure", Description: "Its customer, or staff with compliance.case.read; anyone else gets compliance_measure.not_found.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *measureIDInput) (*measureOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return oneMeasure(s.app.ComplianceMeasure(ctx, p.Principal, in.ID))
		})
	register(s, huma.Operation{OperationID: "file-appeal", Method: http.MethodPost, Path: "/appeals", Tags: tag, Security: secAny,
		Summary: "Appeal a measure", Description: "By the customer the measure is about (appeal.not_yours, 403, otherwise), before the deadline " +
			"(appeal.late, 409, with clause 6.2 and the deadline), one open appeal per measure (appeal.already_open, 409). Opens a ticket " +
			"thread (category appeal) with the statement and attachments.",
		Errors: []int{401, 403, 404, 409, 413, 422, 429}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *appealInput) (*appealOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			ai := app.AppealInput{MeasureID: in.Body.MeasureID, Statement: in.Body.Statement}
			for _, f := range in.Body.Attachments {
				ai.Attachments = append(ai.Attachments, app.AttachmentInput{Name: f.Filename, Data: f.Content})
			}
			return oneAppeal(s.app.FileAppeal(ctx, p.Principal, ai))
		})
	register(s, huma.Operation{OperationID: "list-appeals", Method: http.MethodGet, Path: "/appeals", Tags: tag, Security: secAny,
		Summary: "Appeals", Description: "A customer's own; for staff with compliance.case.read the queue (open ones unless states are given).",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *appealsInput) (*appealsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Appeals(ctx, p.Principal, in.State)
			if err != nil {
				return nil, err
			}
			out := &appealsOutput{}
			out.Body.Items = make([]app.AppealView, 0, len(vs))
			for _, v := range vs {
				out.Body.Items = append(out.Body.Items, appealOut(v))
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "get-appeal", Method: http.MethodGet, Path: "/appeals/{id}", Tags: tag, Security: secAny,
		Summary: "An appeal", Description: "Its customer, or staff with compliance.case.read. The thread (and attachments) is the ticket ticket_id.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *appealIDInput) (*appealOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return oneAppeal(s.app.Appeal(ctx, p.Principal, in.ID))
		})

	stag := []string{"measures", "staff"}
	register(s, huma.Operation{OperationID: "staff-impose-measure", Method: http.MethodPost, Path: "/staff/compliance/cases/{id}/measures", Tags: stag,
		Security: secAny, Summary: "Impose a measure on a confirmed case",
		Description: "restrict (no new purchases), suspend (one service, or every service) — compliance.measure.impose; ban (every service " +
			"suspended, refunds blocked, the balance frozen, nothing forfeited) — compliance.ban.confirm. The case must be confirmed " +
			"(measure.case_not_confirmed, 409). The customer's notice goes out by email and SMS in the same transaction.",
		Errors: []int{401, 403, 404, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *imposeInput) (*measureOutput, error) {
			p, err := staffCaller(ctx, "compliance.measure.impose")
			if err != nil {
				return nil, err
			}
			return oneMeasure(s.app.ImposeMeasure(ctx, p.Principal, in.ID, in.Body))
		})
	register(s, huma.Operation{OperationID: "staff-list-measures", Method: http.MethodGet, Path: "/staff/compliance/measures", Tags: stag,
		Security: secAny, Summary: "Measures", Description: "Newest first; notice \"unreached\" marks a notice no channel delivered (escalated). " +
			"Needs compliance.case.read.", Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *staffMeasuresInput) (*measuresOutput, error) {
			p, err := staffCaller(ctx, "compliance.case.read")
			if err != nil {
				return nil, err
			}
			return manyMeasures(s.app.ComplianceMeasures(ctx, p.Principal, in.AccountID, in.State))
		})
	register(s, huma.Operation{OperationID: "staff-confirm-emergency", Method: http.MethodPost, Path: "/staff/compliance/measures/{id}/confirm",
		Tags: stag, Security: secAny, Summary: "Confirm an emergency suspension",
		Description: "Before compliance.emergency_confirm_hours pass, or it lapses. Queues the customer's notice. Needs compliance.measure.impose.",
		Errors:      []int{401, 403, 404, 409}},
		func(ctx context.Context, in *measureIDInput) (*measureOutput, error) {
			p, err := staffCaller(ctx, "compliance.measure.impose")
			if err != nil {
				return nil, err
			}
			return oneMeasure(s.app.ConfirmEmergency(ctx, p.Principal, in.ID))
		})
	register(s, huma.Operation{OperationID: "staff-decide-appeal", Method: http.MethodPost, Path: "/staff/compliance/appeals/{id}/decide",
		Tags: stag, Security: secAny, Summary: "Review, uphold or overturn an appeal",
		Description: "review: the reviewer takes it. uphold (with the reason) or overturn, by that reviewer. The officer who imposed or " +
			"confirmed the measure never decides (compliance.separation_of_duties, 403). Overturning restores the services with their terms " +
			"extended by the downtime and unfreezes the balance. Needs appeal.decide.",
		Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *decideAppealInput) (*appealOutput, error) {
			p, err := staffCaller(ctx, "appeal.decide")
			if err != nil {
				return nil, err
			}
			return oneAppeal(s.app.DecideAppeal(ctx, p.Principal, in.ID, in.Body))
		})
}
