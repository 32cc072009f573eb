package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
)

// Announcements, maintenance windows, incidents and the status page (issue
// 17; clauses 6.2, 7 and 9.3). Public: published announcements and the
// status page (no personal data). Customers: the current and upcoming
// windows and the incidents touching their own services (another
// customer's list is 404). Staff with announce.manage (/staff/…): the
// editors, the reach table of a window, incident resolution.

var announceTag = &huma.Tag{Name: "announcements", Description: "Announcements, maintenance windows and incidents (clauses 6.2, 7 and 9.3). " +
	"A window counts as notified for a customer only when its notice was delivered by email or SMS at least maintenance.notice_hours before " +
	"its start; emergency work (less notice, flagged) never does. On resolution an incident's cause tag — and, for maintenance, the notice " +
	"record — decides clause 7 per affected service; non-exempt downtime extends the service's term."}

type announcementsOutput struct {
	Body struct {
		Items []app.AnnouncementView `json:"items"`
	}
}

type announcementOutput struct{ Body app.AnnouncementView }

type announcementSaveInput struct{ Body app.AnnouncementInput }

type announcementUpdateInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The announcement id."`
	Body app.AnnouncementInput
}

type statusOutput struct{ Body app.StatusView }

type customerWindowsOutput struct {
	Body struct {
		Items []app.CustomerWindow `json:"items"`
	}
}

type customerIncidentsOutput struct {
	Body struct {
		Items []app.IncidentView `json:"items"`
	}
}

type accountIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The customer's account id (your own)."`
}

type windowCreateInput struct{ Body app.WindowInput }

type windowOutput struct{ Body app.WindowView }

type windowsOutput struct {
	Body struct {
		Items []app.WindowView `json:"items"`
	}
}

type windowDetailOutput struct{ Body app.WindowDetail }

type windowIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The window id."`
}

type windowActInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The window id."`
	Body app.WindowAction
}

type incidentCreateInput struct{ Body app.IncidentInput }

type incidentOutput struct{ Body app.IncidentView }

type incidentsOutput struct {
	Body struct {
		Items []app.IncidentView `json:"items"`
	}
}

type incidentIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The incident id."`
}

type incidentResolveInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The incident id."`
	Body app.ResolveInput
}

func listOf[T any, O any](vs []T, err error, wrap func([]T) *O) (*O, error) {
	if err != nil {
		return nil, err
	}
	if vs == nil {
		vs = []T{}
	}
	return wrap(vs), nil
}

// one adapts an app call's (value, error) to an output through wrap.
func one[T any, O any](wrap func(T) *O) func(T, error) (*O, error) {
	return func(v T, err error) (*O, error) {
		if err != nil {
			return nil, err
		}
		return wrap(v), nil
	}
}

// registerAnnounce adds the announcement, maintenance, incident and status
// operations.
func registerAnnounce(s *server) {
	s.api.OpenAPI().Tags = append(s.api.OpenAPI().Tags, announceTag)
	tag := []string{"announcements"}
	register(s, huma.Operation{OperationID: "list-announcements", Method: http.MethodGet, Path: "/announcements", Tags: tag, Security: secNone,
		Summary: "Published announcements", Description: "Newest first, in both languages; bodies are plain text. Also as Atom at /announcements.atom.",
		Errors: []int{500}},
		func(ctx context.Context, _ *struct{}) (*announcementsOutput, error) {
			vs, err := s.app.Announcements(ctx, nil, false, 100)
			return listOf(vs, err, func(vs []app.AnnouncementView) *announcementsOutput {
				o := &announcementsOutput{}
				o.Body.Items = vs
				return o
			})
		})
	register(s, huma.Operation{OperationID: "get-status", Method: http.MethodGet, Path: "/status", Tags: tag, Security: secNone,
		Summary: "Service status", Description: "Current and past incidents and maintenance windows: titles, times, states, cause tags. No personal data.",
		Errors: []int{500}},
		func(ctx context.Context, _ *struct{}) (*statusOutput, error) {
			return one(func(v app.StatusView) *statusOutput { return &statusOutput{Body: v} })(s.app.Status(ctx))
		})
	register(s, huma.Operation{OperationID: "list-my-maintenance", Method: http.MethodGet, Path: "/accounts/{id}/maintenance", Tags: tag,
		Security: secAny, Summary: "Maintenance affecting my services",
		Description: "Current and upcoming windows that affect the account's services, with those services and whether the notice reached the " +
			"customer in time (7.3). Only your own account: any other id is maintenance_window.not_found (404). Needs service.read.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *accountIDInput) (*customerWindowsOutput, error) {
			p, err := customerObjectPrincipal(ctx, "maintenance_window")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.AffectedWindows(ctx, p.Principal, in.ID)
			return listOf(vs, err, func(vs []app.CustomerWindow) *customerWindowsOutput {
				o := &customerWindowsOutput{}
				o.Body.Items = vs
				return o
			})
		})
	register(s, huma.Operation{OperationID: "list-my-incidents", Method: http.MethodGet, Path: "/accounts/{id}/incidents", Tags: tag,
		Security: secAny, Summary: "Incidents that touched my services",
		Description: "With the decision of clause 7 per service (exempt, or the term extended by the downtime). Only your own account: any " +
			"other id is incident.not_found (404). Needs service.read.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *accountIDInput) (*customerIncidentsOutput, error) {
			p, err := customerObjectPrincipal(ctx, "incident")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.CustomerIncidents(ctx, p.Principal, in.ID)
			return listOf(vs, err, func(vs []app.IncidentView) *customerIncidentsOutput {
				o := &customerIncidentsOutput{}
				o.Body.Items = vs
				return o
			})
		})
	registerAnnounceStaff(s)
	registerAssignment(s)
	registerAnnounceEdit(s) // api_announce_edit.go
}

type assignmentsOutput struct {
	Body struct {
		Items []app.AssignmentView `json:"items"`
	}
}

type assignmentOutput struct{ Body app.AssignmentView }

type assignmentCreateInput struct{ Body app.AssignmentInput }

type assignmentIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The assignment id."`
}

type objectionOutput struct{ Body app.ObjectionView }

// registerAssignment adds the assignment operations (clause 9.3).
func registerAssignment(s *server) {
	tag := []string{"announcements"}
	register(s, huma.Operation{OperationID: "list-assignments", Method: http.MethodGet, Path: "/assignments", Tags: tag, Security: secAny,
		Summary: "Assignments of the agreement", Description: "With your own objection, if any (clause 9.3). Needs service.read.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, _ *struct{}) (*assignmentsOutput, error) {
			p, err := customerPrincipal(ctx, "service.read")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Assignments(ctx, p.Principal)
			return listOf(vs, err, func(vs []app.AssignmentView) *assignmentsOutput {
				o := &assignmentsOutput{}
				o.Body.Items = vs
				return o
			})
		})
	register(s, huma.Operation{OperationID: "object-to-assignment", Method: http.MethodPost, Path: "/assignments/{id}/objection", Tags: tag,
		Security: secAny, Summary: "Object to an assignment and leave",
		Description: "Before it takes effect (announce.objection_closed, 409, after; announce.already_objected, 409, twice). You leave at once: " +
			"per live service the pro-rata refund of the unused term is paid to the original route by one refund of kind assignment per order " +
			"(the balance part at once, a gateway part by a gateway refund: state paying until it settles) and the services end. An order " +
			"with a refund request still open is refund.duplicate (409): withdraw it first. Needs refund.request.",
		Errors: []int{401, 403, 404, 409}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *assignmentIDInput) (*objectionOutput, error) {
			p, err := customerPrincipal(ctx, "refund.request")
			if err != nil {
				return nil, err
			}
			return one(func(v app.ObjectionView) *objectionOutput { return &objectionOutput{Body: v} })(s.app.ObjectToAssignment(ctx, p.Principal, in.ID))
		})
	register(s, huma.Operation{OperationID: "staff-list-assignments", Method: http.MethodGet, Path: "/staff/assignments", Tags: []string{"announcements", "staff"},
		Security: secAny, Summary: "Assignments and objections", Description: "Every objection with its pro-rata amounts and the state of the refunds that pay them. Needs announce.manage.",
		Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*assignmentsOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Assignments(ctx, p.Principal)
			return listOf(vs, err, func(vs []app.AssignmentView) *assignmentsOutput {
				o := &assignmentsOutput{}
				o.Body.Items = vs
				return o
			})
		})
	register(s, huma.Operation{OperationID: "staff-create-assignment", Method: http.MethodPost, Path: "/staff/assignments", Tags: []string{"announcements", "staff"},
		Security: secAny, Summary: "Notice an assignment of the agreement",
		Description: "At least assignment.notice_days ahead (announce.invalid, body.effective_at notice_days_too_short, 422); every active " +
			"customer is told by email, SMS and inbox. Needs announce.manage.",
		Errors: []int{401, 403, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *assignmentCreateInput) (*assignmentOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			return one(func(v app.AssignmentView) *assignmentOutput { return &assignmentOutput{Body: v} })(s.app.CreateAssignment(ctx, p.Principal, in.Body))
		})
}

func registerAnnounceStaff(s *server) {
	tag := []string{"announcements", "staff"}
	wrapAnn := func(v app.AnnouncementView) *announcementOutput { return &announcementOutput{Body: v} }
	wrapWin := func(v app.WindowView) *windowOutput { return &windowOutput{Body: v} }
	wrapInc := func(v app.IncidentView) *incidentOutput { return &incidentOutput{Body: v} }
	register(s, huma.Operation{OperationID: "staff-list-announcements", Method: http.MethodGet, Path: "/staff/announcements", Tags: tag,
		Security: secAny, Summary: "All announcements, drafts included", Description: "Needs announce.manage.", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*announcementsOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Announcements(ctx, &p.Principal, true, 200)
			return listOf(vs, err, func(vs []app.AnnouncementView) *announcementsOutput {
				o := &announcementsOutput{}
				o.Body.Items = vs
				return o
			})
		})
	register(s, huma.Operation{OperationID: "staff-create-announcement", Method: http.MethodPost, Path: "/staff/announcements", Tags: tag,
		Security: secAny, Summary: "Write an announcement", Description: "Both titles required (announce.invalid, 422). publish: public now. Needs announce.manage.",
		Errors: []int{401, 403, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *announcementSaveInput) (*announcementOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			return one(wrapAnn)(s.app.SaveAnnouncement(ctx, p.Principal, "", in.Body))
		})
	register(s, huma.Operation{OperationID: "staff-update-announcement", Method: http.MethodPut, Path: "/staff/announcements/{id}", Tags: tag,
		Security: secAny, Summary: "Rewrite an announcement", Description: "publish=false withdraws it to a draft. Needs announce.manage.",
		Errors: []int{401, 403, 404, 422}},
		func(ctx context.Context, in *announcementUpdateInput) (*announcementOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			return one(wrapAnn)(s.app.SaveAnnouncement(ctx, p.Principal, in.ID, in.Body))
		})
	register(s, huma.Operation{OperationID: "staff-list-maintenance", Method: http.MethodGet, Path: "/staff/maintenance-windows", Tags: tag,
		Security: secAny, Summary: "Maintenance windows", Description: "Latest start first. Needs announce.manage.", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*windowsOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.MaintenanceWindows(ctx, p.Principal)
			return listOf(vs, err, func(vs []app.WindowView) *windowsOutput {
				o := &windowsOutput{}
				o.Body.Items = vs
				return o
			})
		})
	register(s, huma.Operation{OperationID: "staff-schedule-maintenance", Method: http.MethodPost, Path: "/staff/maintenance-windows", Tags: tag,
		Security: secAny, Summary: "Publish a maintenance window",
		Description: "Resolves the affected services from products and regions and queues one notice per affected customer (email, SMS, inbox). " +
			"Refused with announce.window_invalid (422): an end before the start (body.end after_start), a start in the past (body.start in_future), " +
			"less notice than maintenance.notice_hours without emergency (body.start notice_too_short). Needs announce.manage.",
		Errors: []int{401, 403, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *windowCreateInput) (*windowOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			return one(wrapWin)(s.app.ScheduleWindow(ctx, p.Principal, in.Body))
		})
	register(s, huma.Operation{OperationID: "staff-get-maintenance", Method: http.MethodGet, Path: "/staff/maintenance-windows/{id}", Tags: tag,
		Security: secAny, Summary: "A window and who was reached",
		Description: "Per affected customer: the first email and SMS deliveries, the latest instant that counts, and whether notified. Needs announce.manage.",
		Errors:      []int{401, 403, 404}},
		func(ctx context.Context, in *windowIDInput) (*windowDetailOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			return one(func(v app.WindowDetail) *windowDetailOutput { return &windowDetailOutput{Body: v} })(s.app.MaintenanceWindow(ctx, p.Principal, in.ID))
		})
	register(s, huma.Operation{OperationID: "staff-act-maintenance", Method: http.MethodPost, Path: "/staff/maintenance-windows/{id}/actions", Tags: tag,
		Security: secAny, Summary: "Start, extend, complete or cancel a window",
		Description: "Every affected customer is told (maintenance.update). A move the state does not allow is announce.bad_transition (409). Needs announce.manage.",
		Errors:      []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *windowActInput) (*windowOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			return one(wrapWin)(s.app.ActOnWindow(ctx, p.Principal, in.ID, in.Body))
		})
	register(s, huma.Operation{OperationID: "staff-list-incidents", Method: http.MethodGet, Path: "/staff/incidents", Tags: tag,
		Security: secAny, Summary: "Incidents", Description: "Latest first, with the decisions. Needs announce.manage.", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*incidentsOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Incidents(ctx, p.Principal)
			return listOf(vs, err, func(vs []app.IncidentView) *incidentsOutput {
				o := &incidentsOutput{}
				o.Body.Items = vs
				return o
			})
		})
	register(s, huma.Operation{OperationID: "staff-open-incident", Method: http.MethodPost, Path: "/staff/incidents", Tags: tag,
		Security: secAny, Summary: "Record an incident",
		Description: "With its cause tag and affected services (for maintenance: its window, whose services are taken when none are listed). " +
			"Every problem at once (announce.invalid, 422). Needs announce.manage.",
		Errors: []int{401, 403, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *incidentCreateInput) (*incidentOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			return one(wrapInc)(s.app.OpenIncident(ctx, p.Principal, in.Body))
		})
	register(s, huma.Operation{OperationID: "staff-get-incident", Method: http.MethodGet, Path: "/staff/incidents/{id}", Tags: tag,
		Security: secAny, Summary: "An incident", Description: "With the decision of clause 7 per affected service. Needs announce.manage.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *incidentIDInput) (*incidentOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			return one(wrapInc)(s.app.Incident(ctx, p.Principal, in.ID))
		})
	register(s, huma.Operation{OperationID: "staff-resolve-incident", Method: http.MethodPost, Path: "/staff/incidents/{id}/resolve", Tags: tag,
		Security: secAny, Summary: "Resolve an incident and apply clause 7",
		Description: "Per affected service: force majeure (7.1), the customer's cause (7.2), third parties (7.4) and maintenance whose notice " +
			"reached the customer in time (7.3) are exempt; anything else extends the term by the downtime (reason outage). The customer is " +
			"told either way. Needs announce.manage.",
		Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *incidentResolveInput) (*incidentOutput, error) {
			p, err := staffCaller(ctx, "announce.manage")
			if err != nil {
				return nil, err
			}
			return one(wrapInc)(s.app.ResolveIncident(ctx, p.Principal, in.ID, in.Body))
		})
}
