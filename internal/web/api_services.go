package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
)

// Services (issue 12): a customer's services, renewals, plan changes and
// automatic renewal; staff service views and actions (suspend and resume
// for compliance, term extensions). The conventions are the commerce
// routes' (api_commerce.go): newest-first lists of {"items",
// "next_cursor"} paged by an opaque cursor, instants in +08:00, strict
// bodies, problem+json errors; customer routes are for customers (staff
// get 403 on the collection and 404 on an object) and staff use /staff/….
//
// A renewal or an upgrade is an order, paid like any order
// (POST /orders/{id}/pay); neither is a new purchase, so neither has the
// no-fault refund (clause 3.1, refund.applies_to). Turning automatic
// renewal off is how a customer cancels at the end of the term: it is not
// a refund.

// servicesTag is the OpenAPI tag of the services operations.
var servicesTag = &huma.Tag{Name: "services", Description: "What an order delivers (issue 12): services with their term, state, " +
	"suspension reasons and history; renewal and upgrade orders (paid like any order, no no-fault refund: clause 3.1); downgrades " +
	"credited to refund credit; automatic renewal on and off (off: cancel at term end, not a refund); staff suspend/resume " +
	"(compliance) and term extensions (goodwill, outage)."}

type serviceListInput struct {
	ListParams
	State []string `query:"state" enum:"pending,active,suspended,terminated" doc:"Only these states (comma-separated)."`
	Kind  string   `query:"kind" enum:"cloud_server,vpn,cdn,certificate,traffic_pack," doc:"Only this kind of product."`
}

type staffServiceListInput struct {
	ListParams
	State     []string `query:"state" enum:"pending,active,suspended,terminated" doc:"Only these states (comma-separated)."`
	Kind      string   `query:"kind" enum:"cloud_server,vpn,cdn,certificate,traffic_pack," doc:"Only this kind of product."`
	AccountID string   `query:"account_id" maxLength:"64" doc:"Only this customer's services." example:"01936a9e-0000-7000-8000-000000000001"`
}

type serviceIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The service id."`
}

type serviceOutput struct{ Body app.ServiceView }

type servicesOutput struct{ Body Page[app.ServiceView] }

type renewInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The service id."`
	Body app.RenewRequest
}

type planChangeInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The service id."`
	Body app.ChangePlanRequest
}

type planChangeOutput struct{ Body app.PlanChange }

// AutoRenewBody switches a service's automatic renewal.
type AutoRenewBody struct {
	On bool `json:"on" example:"false" doc:"true: renew from the balance before the term ends; false: the service runs to the end of its term and stops (the cancellation; not a refund)."`
}

type autoRenewInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The service id."`
	Body AutoRenewBody
}

type staffServiceActionInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The service id."`
	Body app.StaffServiceAction
}

// serviceOut is v with its instants in +08:00.
func serviceOut(v app.ServiceView) app.ServiceView {
	v.StartsAt, v.ExpiresAt, v.GraceUntil = inCST(v.StartsAt), inCST(v.ExpiresAt), inCST(v.GraceUntil)
	v.TerminatedAt, v.DataKeptTill = inCST(v.TerminatedAt), inCST(v.DataKeptTill)
	if v.Suspensions == nil {
		v.Suspensions = []app.SuspensionView{}
	}
	for i := range v.Suspensions {
		v.Suspensions[i].Since = inCST(v.Suspensions[i].Since)
	}
	for i := range v.Events {
		v.Events[i].At = inCST(v.Events[i].At)
	}
	return v
}

func servicePage(vs []app.ServiceView, limit int) *servicesOutput {
	out := &servicesOutput{Body: Page[app.ServiceView]{Items: make([]app.ServiceView, 0, len(vs))}}
	for _, v := range vs {
		out.Body.Items = append(out.Body.Items, serviceOut(v))
	}
	if n := len(vs); n > 0 {
		out.Body.NextCursor = nextCursor(n, limit, vs[n-1].ID)
	}
	return out
}

func oneService(v app.ServiceView, err error) (*serviceOutput, error) {
	if err != nil {
		return nil, err
	}
	return &serviceOutput{Body: serviceOut(v)}, nil
}

// registerServices adds the services operations.
func registerServices(s *server) {
	s.api.OpenAPI().Tags = append(s.api.OpenAPI().Tags, servicesTag)
	registerCustomerServices(s)
	registerStaffServices(s)
}

func registerCustomerServices(s *server) {
	tag := []string{"services"}
	commerceRegister(s, huma.Operation{OperationID: "list-services", Method: http.MethodGet, Path: "/services", Tags: tag, Security: secAny,
		Summary: "List my services", Description: "The services of the caller's account (an enterprise's, for its sub-users), newest first, " +
			"with their state, term, phase (in_term, grace, terminate, destroy_data), suspension reasons and automatic renewal; the history " +
			"is in GET /services/{id}. Needs service.read.",
		Errors: []int{400, 401, 403, 422}},
		func(ctx context.Context, in *serviceListInput) (*servicesOutput, error) {
			p, err := customerPrincipal(ctx, "service.read")
			if err != nil {
				return nil, err
			}
			b, err := before(in.Cursor)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Services(ctx, p.Principal, app.ServiceListFilter{Kind: in.Kind, States: in.State, Before: b, Limit: in.Limit})
			if err != nil {
				return nil, err
			}
			return servicePage(vs, in.Limit), nil
		})
	commerceRegister(s, huma.Operation{OperationID: "get-service", Method: http.MethodGet, Path: "/services/{id}", Tags: tag, Security: secAny,
		Summary: "Read a service and its history", Description: "With every change (activated, suspended, resumed, renewed, plan_changed, " +
			"extended, terminated…) and its reason. Someone else's service is service.not_found. Needs service.read.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *serviceIDInput) (*serviceOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			return oneService(s.app.Service(ctx, p.Principal, in.ID))
		})
	commerceRegister(s, huma.Operation{OperationID: "renew-service", Method: http.MethodPost, Path: "/services/{id}/renew", Tags: tag, Security: secAny,
		Summary: "Place a renewal order",
		Description: "An order for 1–36 cycles of the service's plan at today's catalog price, with the agreement's key clauses acknowledged " +
			"(clause 1); pay it with POST /orders/{id}/pay. On payment the term grows from its end (or from the payment, if it had lapsed) " +
			"and an overdue suspension ends. A renewal is not a new purchase: no no-fault refund (clause 3.1). A terminated or one-off " +
			"service (certificate, traffic pack) is service.not_renewable (409). Needs order.renew.",
		Errors: []int{401, 403, 404, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *renewInput) (*orderOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			v, err := s.app.RenewService(ctx, p.Principal, in.ID, in.Body)
			if err != nil {
				return nil, err
			}
			return &orderOutput{Body: orderOut(v)}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "change-service-plan", Method: http.MethodPost, Path: "/services/{id}/plan", Tags: tag, Security: secAny,
		Summary: "Upgrade or downgrade a running service",
		Description: "To another plan of the same product and cycle, prorated to the day over the rest of the term (rounded in the " +
			"customer's favour). A dearer plan answers an upgrade order for the difference (order set): pay it with POST /orders/{id}/pay " +
			"and the plan changes on payment; an upgrade has no no-fault refund (clause 3.1). A cheaper plan changes at once and credits " +
			"the difference to refund credit (credit_fen; never withdrawable, clause 3.1). Another product's plan, or a plan not sold in " +
			"the service's cycle, is service.plan_change_invalid (422); a terminated or lapsed service, 409. Needs order.renew.",
		Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *planChangeInput) (*planChangeOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			ch, err := s.app.ChangePlan(ctx, p.Principal, in.ID, in.Body)
			if err != nil {
				return nil, err
			}
			if ch.Order != nil {
				o := orderOut(*ch.Order)
				ch.Order = &o
			}
			ch.Service = serviceOut(ch.Service)
			return &planChangeOutput{Body: ch}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "set-service-auto-renew", Method: http.MethodPut, Path: "/services/{id}/auto-renew", Tags: tag,
		Security: secAny, Summary: "Turn automatic renewal on or off",
		Description: "On: the service is renewed for one cycle from the balance before its term ends, under the agreement version last " +
			"accepted (paused, with notice, while a material revision awaits re-acceptance or the balance is too low). Off: the service runs " +
			"to the end of its term and stops — the way to cancel; it is not a refund. A terminated service is service.terminated (409). " +
			"Needs service.manage.",
		Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *autoRenewInput) (*serviceOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			return oneService(s.app.SetAutoRenew(ctx, p.Principal, in.ID, in.Body.On))
		})
}

func registerStaffServices(s *server) {
	tag := []string{"services", "staff"}
	commerceRegister(s, huma.Operation{OperationID: "staff-list-services", Method: http.MethodGet, Path: "/staff/services", Tags: tag, Security: secSession,
		Summary: "List services", Description: "Any customer's, newest first, by account, state and kind. Needs account.read_any.",
		Errors: []int{400, 401, 403, 422}},
		func(ctx context.Context, in *staffServiceListInput) (*servicesOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			b, err := before(in.Cursor)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Services(ctx, p.Principal, app.ServiceListFilter{AccountID: in.AccountID, Kind: in.Kind, States: in.State, Before: b, Limit: in.Limit})
			if err != nil {
				return nil, err
			}
			return servicePage(vs, in.Limit), nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-get-service", Method: http.MethodGet, Path: "/staff/services/{id}", Tags: tag, Security: secSession,
		Summary: "Read a service and its history", Description: "Needs account.read_any.", Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *serviceIDInput) (*serviceOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return oneService(s.app.Service(ctx, p.Principal, in.ID))
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-service-action", Method: http.MethodPost, Path: "/staff/services/{id}/action", Tags: tag,
		Security: secSession, Summary: "Suspend, resume or extend a service",
		Description: "suspend / resume with reason compliance (compliance.measure.impose; a measure of a violation case, clause 4.2): the " +
			"platform's own reasons (overdue, quota, refund_pending) are service.reason_system_only; a service a compliance measure suspended " +
			"resumes when that measure ends (an appeal overturning it), not here: service.held_by_measure (409). extend by 1–8784 hours with reason " +
			"goodwill or outage (service.operate; clause 6.1). A note saying why is required; every action is audited with it and goes " +
			"into the service's history. Answers the service.",
		Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *staffServiceActionInput) (*serviceOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return oneService(s.app.StaffServiceAct(ctx, p.Principal, in.ID, in.Body))
		})
}
