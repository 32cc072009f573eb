package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
)

type windowTextsInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The window id."`
	Body app.TextsInput
}

type incidentTextsInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The incident id."`
	Body app.TextsInput
}

// registerAnnounceEdit adds the staff operations that correct the texts of
// a maintenance window or an incident (issue 17; app.EditWindowTexts).
func registerAnnounceEdit(s *server) {
	tag := []string{"announcements", "staff"}
	register(s, huma.Operation{OperationID: "staff-edit-maintenance-texts", Method: http.MethodPut, Path: "/staff/maintenance-windows/{id}/texts",
		Tags: tag, Security: secAny, Summary: "Correct a window's titles and bodies",
		Description: "zh-CN and English texts only, in any state: the schedule, scope and state stay, no notice is sent again and whether a customer " +
			"counts as notified never changes. Both titles required (announce.invalid, 422). Audited. Needs announce.manage.",
		Errors: []int{401, 403, 404, 422}},
		func(ctx context.Context, in *windowTextsInput) (*windowOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			return one(func(v app.WindowView) *windowOutput { return &windowOutput{Body: v} })(s.app.EditWindowTexts(ctx, p.Principal, in.ID, in.Body))
		})
	register(s, huma.Operation{OperationID: "staff-edit-incident-texts", Method: http.MethodPut, Path: "/staff/incidents/{id}/texts",
		Tags: tag, Security: secAny, Summary: "Correct an incident's titles and bodies",
		Description: "zh-CN and English texts only, open or resolved: the cause tag, window, times and clause-7 decisions stay. " +
			"Both titles required (announce.invalid, 422). Audited. Needs announce.manage.",
		Errors: []int{401, 403, 404, 422}},
		func(ctx context.Context, in *incidentTextsInput) (*incidentOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			return one(func(v app.IncidentView) *incidentOutput { return &incidentOutput{Body: v} })(s.app.EditIncidentTexts(ctx, p.Principal, in.ID, in.Body))
		})
}
