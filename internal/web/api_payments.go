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
)

// Payments (issue 10): top-ups and payment attempts through the gateways;
// finance's attempts, flags, reconciliation and pay-to-route.
//
// An order is paid through a gateway by POST /orders/{id}/pay (method
// alipay, wechatpay or split; api_commerce.go): its pending_attempt
// carries the Alipay page's URL or the QR code's text. A payment is known
// only from the gateway's verified notification (POST /callbacks/<gateway>,
// outside this API) or the query sweep, never from a client: these
// routes start attempts and read them, and nothing here marks one paid.
// Lists are newest first, at most 200, in one page (no next_cursor), as
// the withdrawal and fapiao queues are.

// paymentsTag is the OpenAPI tag of the gateway operations.
var paymentsTag = &huma.Tag{Name: "payments", Description: "Gateway payments (issue 10): Alipay and WeChat Pay attempts, top-ups of cash; " +
	"finance's attempts, flagged notifications, reconciliation against the gateways' bills and withdrawals paid back to their route."}

type attemptOutput struct{ Body app.AttemptView }

type attemptsOutput struct{ Body Page[app.AttemptView] }

type topUpGatewayInput struct{ Body app.TopUpRequest }

type attemptListInput struct {
	Order string `query:"order" maxLength:"64" doc:"Only this order's attempts." example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	State string `query:"state" enum:"creating,pending,succeeded,closed,failed," doc:"Only this state."`
}

type attemptIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The attempt id."`
}

type staffAttemptListInput struct {
	State   string `query:"state" enum:"creating,pending,succeeded,closed,failed," doc:"Only this state."`
	Gateway string `query:"gateway" enum:"alipay,wechatpay," doc:"Only this gateway's."`
	Purpose string `query:"purpose" enum:"order,topup," doc:"Only order payments, or only top-ups."`
}

// PaymentFlagBody is a notification or reconciliation difference raised
// for finance: never credited, kept until someone resolves it with a note.
type PaymentFlagBody struct {
	ID         string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f90"`
	Gateway    string    `json:"gateway" enum:"alipay,wechatpay" example:"alipay"`
	Ref        string    `json:"ref" example:"01936a9e4c1f7c399f1e1b2c3d4e5f80" doc:"Our payment (or refund) reference, when the gateway named one."`
	AttemptID  string    `json:"attempt_id,omitempty" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f80"`
	Kind       string    `json:"kind" enum:"bad_signature,malformed,unknown_attempt,wrong_merchant,amount_mismatch,late_payment,refund_failed,recon_only_ours,recon_only_gateway,recon_amount_differs" example:"amount_mismatch"`
	Detail     string    `json:"detail" example:"notified 0.01 CNY, attempt 39.00 CNY"`
	AmountFen  int64     `json:"amount_fen" example:"1"`
	CreatedAt  time.Time `json:"created_at" example:"2026-11-26T16:00:00+08:00"`
	ResolvedAt time.Time `json:"resolved_at,omitzero" example:"2026-11-26T17:00:00+08:00"`
	ResolvedBy string    `json:"resolved_by,omitempty" example:"01936a9e-0000-7000-8000-0000000000f1"`
	Note       string    `json:"note,omitempty" example:"tampered test notification; no money moved"`
}

type flagsOutput struct{ Body Page[PaymentFlagBody] }

type flagListInput struct {
	State string `query:"state" enum:"open,all" default:"open" doc:"open (default): flags no one resolved yet; all: resolved ones too."`
}

// FlagResolutionBody closes a flag.
type FlagResolutionBody struct {
	Note string `json:"note" maxLength:"500" example:"amount mismatch: the customer paid 0.01 by mistake; refunded by hand, ticket T-2031" doc:"How it was resolved: required, audited."`
}

type flagResolveInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The flag id."`
	Body FlagResolutionBody
}

// ReconDiffBody is one difference between a day's gateway bill and our
// records.
type ReconDiffBody struct {
	ID        string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fa0"`
	Day       string    `json:"day" example:"2026-11-25" doc:"The bill's day, China time."`
	Gateway   string    `json:"gateway" enum:"alipay,wechatpay" example:"wechatpay"`
	Kind      string    `json:"kind" enum:"only_ours,only_gateway,amount_differs" example:"only_gateway"`
	Entry     string    `json:"entry" enum:"payment,refund" example:"payment"`
	Ref       string    `json:"ref" example:"01936a9e4c1f7c399f1e1b2c3d4e5f80" doc:"Our payment or refund reference."`
	OursFen   int64     `json:"ours_fen" example:"0"`
	TheirsFen int64     `json:"theirs_fen" example:"1000"`
	CreatedAt time.Time `json:"created_at,omitzero" example:"2026-11-26T02:10:00+08:00"`
}

type reconDiffsOutput struct{ Body Page[ReconDiffBody] }

// ReconRunRequestBody asks for one day's reconciliation now.
type ReconRunRequestBody struct {
	Gateway string `json:"gateway" enum:"alipay,wechatpay" example:"alipay"`
	Day     string `json:"day" pattern:"^[0-9]{4}-[0-9]{2}-[0-9]{2}$" example:"2026-11-25" doc:"The day, China time (YYYY-MM-DD); today's bill so far, or an earlier day's."`
}

type reconRunInput struct{ Body ReconRunRequestBody }

// ReconRunBody is the outcome of one reconciliation run: the differences
// it stored (each also raised as a flag).
type ReconRunBody struct {
	Gateway     string          `json:"gateway" example:"alipay"`
	Day         string          `json:"day" example:"2026-11-25"`
	Differences []ReconDiffBody `json:"differences" doc:"Empty when the bill and our records agree."`
}

type reconRunOutput struct{ Body ReconRunBody }

// gatewayErr completes a payment.gateway_unavailable error with the
// gateways that are configured (the app names only the one asked for), so
// that its rule "enum" says the values (a copy: app errors may be shared).
func (s *server) gatewayErr(err error) error {
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != app.CodeGatewayUnavailable {
		return err
	}
	values := strings.Join(s.app.Gateways(), ", ")
	if values == "" {
		values = "—"
	}
	c := *e
	c.Fields = slices.Clone(e.Fields)
	for i, f := range c.Fields {
		if f.Rule == "enum" {
			c.Fields[i].Params = maps.Clone(f.Params)
			if c.Fields[i].Params == nil {
				c.Fields[i].Params = map[string]any{}
			}
			c.Fields[i].Params["values"] = values
		}
	}
	return &c
}

func attemptOut(v app.AttemptView) app.AttemptView {
	v.ExpiresAt, v.CreatedAt, v.SettledAt = inCST(v.ExpiresAt), inCST(v.CreatedAt), inCST(v.SettledAt)
	return v
}

func attemptPage(vs []app.AttemptView) *attemptsOutput {
	out := &attemptsOutput{Body: Page[app.AttemptView]{Items: make([]app.AttemptView, 0, len(vs))}}
	for _, v := range vs {
		out.Body.Items = append(out.Body.Items, attemptOut(v))
	}
	return out
}

func reconDiffOut(d app.ReconDiffView) ReconDiffBody {
	return ReconDiffBody{ID: d.ID, Day: d.Day, Gateway: d.Gateway, Kind: d.Kind, Entry: d.Entry, Ref: d.Ref, OursFen: d.OursFen,
		TheirsFen: d.TheirsFen, CreatedAt: inCST(d.CreatedAt)}
}

// registerPayments adds the gateway operations.
func registerPayments(s *server) {
	s.api.OpenAPI().Tags = append(s.api.OpenAPI().Tags, paymentsTag)
	tag := []string{"payments"}
	commerceRegister(s, huma.Operation{OperationID: "top-up", Method: http.MethodPost, Path: "/topups", Tags: tag, Security: secSession,
		Summary: "Top up my cash through a gateway",
		Description: "Opens a payment attempt of ¥1 to ¥50,000 (amount_fen 100–5,000,000) at Alipay (page or qr) or WeChat Pay (qr only: " +
			"page is payment.kind_unsupported): pay at pay_url or scan qr_code. The cash is credited when the gateway's verified " +
			"notification (or the query sweep) says it was paid, never on this answer; follow it with GET /payments/{id}. Cash topped " +
			"up so is withdrawable back to the same route. A gateway not configured is payment.gateway_unavailable (422); one that does " +
			"not answer, payment.gateway_failed (503). The account holder only (wallet.topup), never by API key.",
		Errors: []int{401, 403, 422, 503}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *topUpGatewayInput) (*attemptOutput, error) {
			p, err := customerPrincipal(ctx, "wallet.topup")
			if err != nil {
				return nil, err
			}
			v, err := s.app.TopUp(ctx, p.Principal, in.Body)
			if err != nil {
				return nil, s.gatewayErr(err)
			}
			return &attemptOutput{Body: attemptOut(v)}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "list-payments", Method: http.MethodGet, Path: "/payments", Tags: tag, Security: secAny,
		Summary: "List my gateway payment attempts", Description: "Orders' and top-ups', newest first, at most 200. Needs wallet.read.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *attemptListInput) (*attemptsOutput, error) {
			p, err := customerPrincipal(ctx, "wallet.read")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Attempts(ctx, p.Principal, in.Order, in.State)
			if err != nil {
				return nil, err
			}
			return attemptPage(vs), nil
		})
	commerceRegister(s, huma.Operation{OperationID: "get-payment", Method: http.MethodGet, Path: "/payments/{id}", Tags: tag, Security: secAny,
		Summary: "Read one of my payment attempts",
		Description: "Poll it after paying: state becomes succeeded once the gateway's verified notification arrived. Another account's " +
			"is payment_attempt.not_found. Needs wallet.read.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *attemptIDInput) (*attemptOutput, error) {
			p, err := customerObjectPrincipal(ctx, "payment_attempt")
			if err != nil {
				return nil, err
			}
			v, err := s.app.Attempt(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &attemptOutput{Body: attemptOut(v)}, nil
		})
	registerPaymentsStaff(s)
}

func registerPaymentsStaff(s *server) {
	tag := []string{"payments", "staff"}
	commerceRegister(s, huma.Operation{OperationID: "staff-list-payments", Method: http.MethodGet, Path: "/staff/payments", Tags: tag,
		Security: secSession, Summary: "Every customer's gateway payment attempts",
		Description: "Newest first, at most 200. Needs finance.reconcile.", Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *staffAttemptListInput) (*attemptsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.FinanceAttempts(ctx, p.Principal, app.AttemptQuery{State: in.State, Gateway: in.Gateway, Purpose: in.Purpose})
			if err != nil {
				return nil, err
			}
			return attemptPage(vs), nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-list-payment-flags", Method: http.MethodGet, Path: "/staff/payment-flags", Tags: tag,
		Security: secSession, Summary: "Flagged notifications and differences",
		Description: "What finance must look at: notifications refused (bad signature, malformed, for no attempt of ours, another " +
			"merchant's, a wrong amount), late payments credited to cash, refunds that failed for good and reconciliation differences. " +
			"Open ones by default; newest first, at most 200. Needs finance.reconcile.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *flagListInput) (*flagsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			fs, err := s.app.PaymentFlags(ctx, p.Principal, in.State != "all")
			if err != nil {
				return nil, err
			}
			out := &flagsOutput{Body: Page[PaymentFlagBody]{Items: make([]PaymentFlagBody, 0, len(fs))}}
			for _, f := range fs {
				out.Body.Items = append(out.Body.Items, PaymentFlagBody{ID: f.ID, Gateway: f.Gateway, Ref: f.Ref, AttemptID: f.AttemptID,
					Kind: f.Kind, Detail: f.Detail, AmountFen: f.AmountFen, CreatedAt: inCST(f.CreatedAt), ResolvedAt: inCST(f.ResolvedAt),
					ResolvedBy: f.ResolvedBy, Note: f.Note})
			}
			return out, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-resolve-payment-flag", Method: http.MethodPost, Path: "/staff/payment-flags/{id}/resolve",
		Tags: tag, Security: secSession, Summary: "Resolve a flag with a note",
		Description: "The note says what was done (payment.flag_note_required without one); audited. A flag already resolved, or none, " +
			"is payment_flag.not_found. Needs finance.reconcile.",
		Errors: []int{401, 403, 404, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *flagResolveInput) (*struct{}, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return nil, s.app.ResolveFlag(ctx, p.Principal, in.ID, in.Body.Note)
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-list-reconciliation", Method: http.MethodGet, Path: "/staff/reconciliation", Tags: tag,
		Security: secSession, Summary: "Reconciliation differences",
		Description: "Each day's bill of each gateway is compared with our succeeded payments and refunds the next morning: entries only the " +
			"gateway has, only we have, or with different amounts. Latest days first, at most 200. Needs finance.reconcile.",
		Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*reconDiffsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			ds, err := s.app.ReconDiffs(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			out := &reconDiffsOutput{Body: Page[ReconDiffBody]{Items: make([]ReconDiffBody, 0, len(ds))}}
			for _, d := range ds {
				out.Body.Items = append(out.Body.Items, reconDiffOut(d))
			}
			return out, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-run-reconciliation", Method: http.MethodPost, Path: "/staff/reconciliation", Tags: tag,
		Security: secSession, Summary: "Reconcile one day of one gateway now",
		Description: "Downloads the day's bill and compares it, as the daily sweep does; the day's earlier differences are replaced, and each " +
			"difference is also raised as a flag. A future day is payment.recon_day_invalid; a bill the gateway will not serve, " +
			"payment.gateway_failed (503). Needs finance.reconcile.",
		Errors: []int{401, 403, 422, 503}},
		func(ctx context.Context, in *reconRunInput) (*reconRunOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			day, err := time.ParseInLocation(time.DateOnly, in.Body.Day, shanghai)
			if err != nil {
				return nil, errs.E(errs.Op("web.Reconcile"), errs.Invalid, app.CodeReconDayInvalid, "not a date",
					errs.FieldError{Field: "body.day", Rule: "format", Params: map[string]any{"format": "YYYY-MM-DD"}})
			}
			ds, err := s.app.ReconcileAs(ctx, p.Principal, in.Body.Gateway, day)
			if err != nil {
				return nil, s.gatewayErr(err)
			}
			out := &reconRunOutput{Body: ReconRunBody{Gateway: in.Body.Gateway, Day: in.Body.Day, Differences: make([]ReconDiffBody, 0, len(ds))}}
			for _, d := range ds {
				out.Body.Differences = append(out.Body.Differences, reconDiffOut(d))
			}
			return out, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-pay-withdrawal-to-route", Method: http.MethodPost, Path: "/staff/withdrawals/{id}/pay-to-route",
		Tags: tag, Security: secSession, Summary: "Pay an approved withdrawal back to its original route",
		Description: "Refunds the customer's gateway top-ups that the cash came from, oldest first (clauses 3 and 6.2: back to the " +
			"original payment account): the withdrawal is paying until every refund succeeded, then paid; a refund that fails for good " +
			"puts it back to approved and raises a flag. Cash no top-up covers (an adjustment, the sandbox top-up) is " +
			"withdrawal.no_gateway_route (409): pay it by bank transfer (POST /staff/withdrawals/{id}/decision, paid). Only an " +
			"approved withdrawal: withdrawal.bad_state (409) otherwise. Needs finance.payout.",
		Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *withdrawalIDInput) (*withdrawalOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.PayWithdrawalToRoute(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &withdrawalOutput{Body: withdrawalOut(v)}, nil
		})
}
