package web

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/policy"
	"yuanxu/internal/refund"
	"yuanxu/internal/web/i18n"
)

// Refunds (issue 15, clauses 3 and 6.2): the eligibility preview of an
// order, requests and their withdrawal (customers); the review queue by
// deadline and decisions (staff, /staff/…). The conventions are the
// commerce routes' (api_commerce.go): lists of {"items", "next_cursor"},
// instants in +08:00, strict bodies, problem+json errors; customer routes
// are for customers (staff get 403 on the collection and 404 on an
// object).
//
// The eligibility engine's trace carries a sentence in zh-CN and in
// English for every rule: the API answers both (zh, en) and the one of
// the caller's language (sentence), so a client shows it as it is. A
// refusal of an ineligible order (refund.ineligible, 409) lists each
// failed rule in errors: rule "refund.<rule id>", its clause and its
// sentence.

// refundsTag is the OpenAPI tag of the refund operations.
var refundsTag = &huma.Tag{Name: "refunds", Description: "Refunds (issue 15; clauses 3 and 6.2): the eligibility preview with its trace " +
	"rule by rule, requests with the destination the customer chooses, withdrawal; the staff review queue by deadline and decisions " +
	"under dual control."}

// RefundStepBody is one rule of an eligibility trace.
type RefundStepBody struct {
	Rule     string            `json:"rule" enum:"state,delivery_breach,purpose,window,usage,standing,class,assignment_objection" example:"window" doc:"The rule's stable id."`
	Clause   string            `json:"clause" example:"3.1" doc:"The clause of the agreement that makes the rule."`
	Outcome  string            `json:"outcome" enum:"pass,fail,review,not_applicable" example:"pass" doc:"pass, fail, review (a person must check) or not_applicable."`
	Inputs   map[string]string `json:"inputs" example:"{\"requested_at\":\"2026-06-19 23:40:00 +08:00\",\"window_ends\":\"2026-06-20 00:03:10 +08:00\"}" doc:"What the rule read, as shown to people."`
	Sentence string            `json:"sentence" example:"Requested 2026-06-19 23:40:00 +08:00, within the window (24h0m0s from 2026-06-19 00:03:10 +08:00, ending 2026-06-20 00:03:10 +08:00 inclusive)." doc:"The rule's outcome in the caller's language (Accept-Language)."`
	ZH       string            `json:"zh" example:"申请时间 2026-06-19 23:40:00 +08:00 在退款时限内。" doc:"The sentence in zh-CN."`
	EN       string            `json:"en" example:"Requested 2026-06-19 23:40:00 +08:00, within the window." doc:"The sentence in English."`
}

// RefundEvaluation is the eligibility engine's decision with its trace.
type RefundEvaluation struct {
	Outcome        string           `json:"outcome" enum:"eligible,ineligible,needs_review" example:"needs_review" doc:"eligible: every rule passed; ineligible: a rule failed (a request is refused); needs_review: a person checks the rules marked review."`
	DeliveryBreach bool             `json:"delivery_breach" example:"false" doc:"The delivery deadline was missed: a full refund whatever the class (clause 2.2)."`
	AmountFen      int64            `json:"amount_fen" example:"3900" doc:"What would be refunded: everything captured; 0 when ineligible."`
	Summary        string           `json:"summary" example:"A person must review this request: see the rules marked for review." doc:"The decision in one sentence, in the caller's language."`
	Trace          []RefundStepBody `json:"trace" doc:"Every rule in order, each with its clause, inputs and outcome."`
}

// RefundEligibilityBody is the preview of a refund of an order.
type RefundEligibilityBody struct {
	OrderID string `json:"order_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	RefundEvaluation
	Destinations []string `json:"destinations" example:"[\"original_route\",\"balance\",\"swap\"]" doc:"The destinations the order's agreement version offers (refund.destinations), in its order; the customer chooses one, none is the default. balance is refund credit: spendable on any product, never withdrawable (clause 3.1)."`
}

// RefundBody is a refund request with its decision's trace localized.
type RefundBody struct {
	app.RefundView
	Decision RefundEvaluation `json:"decision" doc:"The eligibility decision taken at the request instant, with its trace."`
}

// RefundDecisionBody is a reviewer's decision.
type RefundDecisionBody struct {
	Action     string `json:"action" enum:"approve,reject" example:"reject" doc:"approve: the order is refunded to the destination chosen (above refund.dual_control_fen, after a second approval by someone else); reject: the services run again, extended by the suspension."`
	ReasonCode string `json:"reason_code,omitempty" enum:"window_passed,usage_exceeded,class_excluded,standing,other" example:"usage_exceeded" doc:"Required to reject: why, for the customer and the audit."`
	Text       string `json:"text,omitempty" maxLength:"1000" example:"计费流量超过 1 GB / billed traffic above 1 GB" doc:"Explanation for the customer."`
}

type refundEligibilityOutput struct{ Body RefundEligibilityBody }

type refundOutput struct{ Body RefundBody }

type refundCreatedOutput struct{ Body RefundBody }

type refundsOutput struct{ Body Page[RefundBody] }

type refundCreateInput struct{ Body app.RefundInput }

type refundIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The refund request id."`
}

type refundListInput struct {
	State []string `query:"state" enum:"under_review,approved,paying,paid,rejected,withdrawn,swap_pending,swapped" doc:"Only these states (comma-separated)."`
}

type refundDecisionInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The refund request id."`
	Body RefundDecisionBody
}

// refundEvaluation localizes d for lang.
func refundEvaluation(d refund.Decision, lang i18n.Lang) RefundEvaluation {
	out := RefundEvaluation{Outcome: string(d.Outcome), DeliveryBreach: d.Breach, AmountFen: d.AmountFen, Summary: d.Sentence(string(lang)),
		Trace: make([]RefundStepBody, 0, len(d.Trace))}
	for _, s := range d.Trace {
		st := RefundStepBody{Rule: s.Rule, Clause: string(s.Clause), Outcome: string(s.Outcome), Inputs: s.Inputs, Sentence: s.ZH, ZH: s.ZH, EN: s.EN}
		if lang == i18n.EN {
			st.Sentence = s.EN
		}
		if st.Inputs == nil {
			st.Inputs = map[string]string{}
		}
		out.Trace = append(out.Trace, st)
	}
	return out
}

// refundOut is v with its instants in +08:00 (the evidence's too) and
// its decision localized.
func refundOut(ctx context.Context, v app.RefundView) RefundBody {
	v.ReviewDue, v.CreatedAt, v.DecidedAt, v.PaidAt = inCST(v.ReviewDue), inCST(v.CreatedAt), inCST(v.DecidedAt), inCST(v.PaidAt)
	ev := make(map[string]any, len(v.Evidence))
	for k, x := range v.Evidence {
		if s, ok := x.(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil && !t.IsZero() {
				x = inCST(t).Format(time.RFC3339Nano)
			}
		}
		ev[k] = x
	}
	v.Evidence = ev
	return RefundBody{RefundView: v, Decision: refundEvaluation(v.Decision, Lang(ctx))}
}

// oneRefund answers an app call's request, localized for ctx.
func oneRefund(ctx context.Context) func(app.RefundView, error) (*refundOutput, error) {
	return func(v app.RefundView, err error) (*refundOutput, error) {
		if err != nil {
			return nil, err
		}
		return &refundOutput{Body: refundOut(ctx, v)}, nil
	}
}

func refundPage(ctx context.Context, vs []app.RefundView) *refundsOutput {
	out := &refundsOutput{Body: Page[RefundBody]{Items: make([]RefundBody, 0, len(vs))}}
	for _, v := range vs {
		out.Body.Items = append(out.Body.Items, refundOut(ctx, v))
	}
	return out
}

// refundRegister is commerceRegister for the refund operations: the
// handler's errors go through refundErr first.
func refundRegister[I, O any](s *server, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	commerceRegister(s, op, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		return out, refundErr(ctx, err)
	})
}

// refundErr completes the refusals the app states in params (a copy:
// app errors may be shared values): refund.ineligible gets one field error
// per failed rule (rule "refund.<id>", its clause, its sentence in the
// caller's language) and the failed rules named in the detail;
// refund.destination_not_offered names the destinations offered.
func refundErr(ctx context.Context, err error) error {
	var e *errs.Error
	if err == nil || !errors.As(err, &e) {
		return err
	}
	lang := Lang(ctx)
	switch e.Code {
	case app.CodeRefundIneligible:
		trace, _ := e.Params["trace"].([]refund.Step)
		c := *e
		c.Params = maps.Clone(e.Params)
		c.Fields = nil
		var names []string
		for _, s := range trace {
			if s.Outcome != refund.Fail {
				continue
			}
			sentence := s.ZH
			if lang == i18n.EN {
				sentence = s.EN
			}
			c.Fields = append(c.Fields, errs.FieldError{Field: "body.order_id", Rule: "refund." + s.Rule,
				Params: map[string]any{"clause": string(s.Clause), "sentence": sentence, "inputs": s.Inputs}})
			names = append(names, refundRuleName(lang, s.Rule, string(s.Clause)))
		}
		c.Params["failed"] = strings.Join(names, i18n.T(lang, "layout.list_sep", nil))
		return &c
	case app.CodeRefundDestination:
		c := *e
		c.Fields = slices.Clone(e.Fields)
		for i, f := range c.Fields {
			offered, _ := f.Params["offered"].([]string)
			c.Fields[i].Params = maps.Clone(f.Params)
			if c.Fields[i].Params == nil {
				c.Fields[i].Params = map[string]any{}
			}
			c.Fields[i].Params["values"] = strings.Join(offered, ", ")
		}
		return &c
	}
	return err
}

// refundRuleName names an eligibility rule with its clause in lang
// ("the refund window (clause 3.1)"), for messages listing failed rules.
func refundRuleName(lang i18n.Lang, rule, clause string) string {
	name := rule
	if k := "refund.rule." + rule; i18n.Has(k) {
		name = i18n.T(lang, k, nil)
	}
	return i18n.T(lang, "refund.rule_with_clause", map[string]any{"rule": name, "clause": clause})
}

// registerRefunds adds the refund operations.
func registerRefunds(s *server) {
	s.api.OpenAPI().Tags = append(s.api.OpenAPI().Tags, refundsTag)
	registerCustomerRefunds(s)
	registerStaffRefunds(s)
}

func registerCustomerRefunds(s *server) {
	tag := []string{"refunds"}
	refundRegister(s, huma.Operation{OperationID: "get-refund-eligibility", Method: http.MethodGet, Path: "/orders/{id}/refund-eligibility", Tags: tag,
		Security: secAny, Summary: "Preview a refund of an order",
		Description: "The decision a request filed now would get, without filing it: eligible, ineligible or needs_review (a person " +
			"checks, e.g. while no traffic figures exist for a server, VPN or CDN order), the amount, and every rule with its clause, the " +
			"inputs it read and a sentence in zh-CN, English and the caller's language. Rules: the order's state, a missed delivery " +
			"deadline (a full refund whatever the class, clause 2.2), new purchases only, the window (refund.window from its anchor, end " +
			"included), billed traffic up to the threshold (3.1.a), standing, each line's refund class (3.2). Also the destinations the " +
			"order's agreement version offers. Someone else's order is order.not_found. Needs refund.request.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *orderIDInput) (*refundEligibilityOutput, error) {
			p, err := customerObjectPrincipal(ctx, "order")
			if err != nil {
				return nil, err
			}
			d, err := s.app.RefundPreview(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			set, _, err := s.app.Policy().For(ctx, in.ID)
			if err != nil {
				return nil, err
			}
			dests := set.Strings(policy.RefundDestinations)
			if dests == nil {
				dests = []string{}
			}
			return &refundEligibilityOutput{Body: RefundEligibilityBody{OrderID: in.ID, RefundEvaluation: refundEvaluation(d, Lang(ctx)),
				Destinations: dests}}, nil
		})
	refundRegister(s, huma.Operation{OperationID: "request-refund", Method: http.MethodPost, Path: "/refunds", Tags: tag, Security: secAny,
		Summary: "Request a refund of an order",
		Description: "The order, a reason, the customer's own statement of use (clause 3.1.c), the destination chosen among those the " +
			"order's agreement version offers (refund.destinations; none is assumed: original_route, balance — refund credit, spendable " +
			"on any product and never withdrawable, clause 3.1 — or swap) and the confirmation that the order's services are suspended " +
			"while the request is reviewed (refund.suspension_not_confirmed otherwise). The request is evaluated as the preview is: an " +
			"ineligible order is refund.ineligible (409) with each failed rule, its clause and its sentence in errors, and nothing " +
			"changes; a second open request of the order is refund.duplicate (409); a destination not offered is " +
			"refund.destination_not_offered (422). Otherwise the request waits for review with its deadline (refund.review_working_days " +
			"working days, stored now; review_due_provisional while the calendar of that year is not confirmed), the services are " +
			"suspended (refund_pending) and a refund ticket carries the conversation. A part paid from the balance always goes back to " +
			"the sub-balance it came from. Needs refund.request.",
		Errors: []int{401, 403, 404, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *refundCreateInput) (*refundCreatedOutput, error) {
			p, err := customerPrincipal(ctx, "refund.request")
			if err != nil {
				return nil, err
			}
			v, err := s.app.RequestRefund(ctx, p.Principal, in.Body)
			if err != nil {
				return nil, err
			}
			return &refundCreatedOutput{Body: refundOut(ctx, v)}, nil
		})
	refundRegister(s, huma.Operation{OperationID: "list-refunds", Method: http.MethodGet, Path: "/refunds", Tags: tag, Security: secAny,
		Summary: "List my refund requests", Description: "The requests of the caller's account, newest first, at most 200, each with its " +
			"decision's trace. Needs refund.read.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *refundListInput) (*refundsOutput, error) {
			p, err := customerPrincipal(ctx, "refund.read")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Refunds(ctx, p.Principal, in.State)
			if err != nil {
				return nil, err
			}
			return refundPage(ctx, vs), nil
		})
	refundRegister(s, huma.Operation{OperationID: "get-refund", Method: http.MethodGet, Path: "/refunds/{id}", Tags: tag, Security: secAny,
		Summary: "Read a refund request", Description: "Its state, review deadline, decision and trace. Someone else's request is " +
			"refund.not_found. Needs refund.read.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *refundIDInput) (*refundOutput, error) {
			p, err := customerObjectPrincipal(ctx, "refund")
			if err != nil {
				return nil, err
			}
			return oneRefund(ctx)(s.app.Refund(ctx, p.Principal, in.ID))
		})
	refundRegister(s, huma.Operation{OperationID: "withdraw-refund", Method: http.MethodPost, Path: "/refunds/{id}/withdraw", Tags: tag,
		Security: secAny, Summary: "Withdraw a refund request",
		Description: "Only while under review (refund.bad_state, 409, otherwise): the order's services run again, their term extended by " +
			"the suspension. Needs refund.request.",
		Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *refundIDInput) (*refundOutput, error) {
			p, err := customerObjectPrincipal(ctx, "refund")
			if err != nil {
				return nil, err
			}
			return oneRefund(ctx)(s.app.WithdrawRefund(ctx, p.Principal, in.ID))
		})
	refundRegister(s, huma.Operation{OperationID: "swap-refund", Method: http.MethodPost, Path: "/refunds/{id}/swap", Tags: tag,
		Security: secAny, Summary: "Choose the replacement of an approved swap",
		Description: "Only for a request approved as a swap (state swap_pending; refund.bad_state, 409, otherwise). The replacement, " +
			"priced at no more than what was paid (refund.swap_price_above, 422; A23), is ordered with the key clauses acknowledged " +
			"and paid with the swapped order's money in one step: the old order is swapped and its services end, the new ones start, " +
			"any remainder stays in the balance, and the replacement keeps the old order's refund window. Needs refund.request.",
		Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *refundSwapInput) (*refundOutput, error) {
			p, err := customerObjectPrincipal(ctx, "refund")
			if err != nil {
				return nil, err
			}
			return oneRefund(ctx)(s.app.SwapRefund(ctx, p.Principal, in.ID, in.Body))
		})
}

type refundSwapInput struct {
	ID   string `path:"id" maxLength:"64" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f90"`
	Body app.SwapRequest
}

func registerStaffRefunds(s *server) {
	tag := []string{"refunds", "staff"}
	refundRegister(s, huma.Operation{OperationID: "staff-list-refunds", Method: http.MethodGet, Path: "/staff/refunds", Tags: tag, Security: secSession,
		Summary: "The refund review queue", Description: "Any customer's requests by review deadline, soonest first, at most 200; " +
			"?state=under_review is the queue. Needs refund.review.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *refundListInput) (*refundsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Refunds(ctx, p.Principal, in.State)
			if err != nil {
				return nil, err
			}
			return refundPage(ctx, vs), nil
		})
	refundRegister(s, huma.Operation{OperationID: "staff-get-refund", Method: http.MethodGet, Path: "/staff/refunds/{id}", Tags: tag, Security: secSession,
		Summary: "Read a refund request", Description: "With its evidence snapshot (order, payment and delivery times, standing, refund " +
			"classes, agreement version at the request), the trace and the dual-control state (first_approver, needs_second_approval). " +
			"Needs refund.review.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *refundIDInput) (*refundOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return oneRefund(ctx)(s.app.Refund(ctx, p.Principal, in.ID))
		})
	refundRegister(s, huma.Operation{OperationID: "staff-decide-refund", Method: http.MethodPost, Path: "/staff/refunds/{id}/decision", Tags: tag,
		Security: secSession, Summary: "Approve or reject a refund request",
		Description: "Needs refund.decide. approve: at or below refund.dual_control_fen the order is refunded at once (state paid, or " +
			"paying while a gateway refund is under way): balance parts back to the sub-balances they came from, the rest to the " +
			"destination chosen, the coupon's use restored, the services ended. Above it the first approval is recorded " +
			"(first_approver) and the request stays under review until a second, different approver holding refund.approve_second " +
			"approves (the first approver again is authz.separation_of_duties). reject, with a reason_code " +
			"(refund.reason_code_required otherwise): the services run again, extended by the suspension. A request not under review " +
			"is refund.bad_state (409). The order is refunded at most once whatever the concurrency.",
		Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *refundDecisionInput) (*refundOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			return oneRefund(ctx)(s.app.RefundDecide(ctx, p.Principal, in.ID, app.RefundDecision{Action: b.Action, ReasonCode: b.ReasonCode, Text: b.Text}))
		})
}
