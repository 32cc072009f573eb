package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/order"
)

// Authorised resellers (issue 11, clause 2.1, SEED A22). Public: the
// authorisation check and the invitation a customer accepts themselves.
// Resellers (/reseller/…, a session or an API key holding the permissions):
// invitations, their customers (minimal personal information), orders for
// them, the commission statement and webhooks. Staff (/staff/…):
// authorisations, statements and settlement, the webhook log.

var resellersTag = &huma.Tag{Name: "resellers", Description: "Authorised resellers (clause 2.1): the public authorisation check; " +
	"invitations that customers accept themselves (a reseller never accepts the agreement or submits real-name verification for them); " +
	"orders for onboarded customers within the authorisation's scope and period (wholesale: paid from the reseller's wallet; " +
	"commission: paid by the customer); commission statements; signed webhooks (Yuanxu-Signature: t=<unix>,v1=<hex HMAC-SHA256 of " +
	"\"<t>.<body>\">) retried with a delivery log. The company stays liable to the customer (SEED A22)."}

var resellerCheckRule = app.RateRule{Name: "web.reseller_check", Limit: 60, Window: time.Minute}

type resellerCheckInput struct {
	Code string `query:"code" maxLength:"32" doc:"The authorisation code, YXR-XXXX-XXXX." example:"YXR-7K3M-Q9TB"`
}

type resellerCheckOutput struct{ Body app.PublicResellerCheck }

type invitationTokenInput struct {
	Token string `path:"token" maxLength:"64" doc:"The token of the invitation link."`
}

type invitationPublicOutput struct{ Body app.InvitationPublic }

type acceptInvitationInput struct {
	Token string `path:"token" maxLength:"64" doc:"The token of the invitation link."`
	Body  struct {
		DisplayName         string   `json:"display_name" maxLength:"64" example:"李雷"`
		Phone               string   `json:"phone" maxLength:"20" example:"13800138000"`
		Password            string   `json:"password" maxLength:"256" example:"correct horse battery staple"`
		EnterpriseName      string   `json:"enterprise_name,omitempty" maxLength:"128" doc:"Enterprise invitations only." example:""`
		USCC                string   `json:"uscc,omitempty" maxLength:"18" doc:"Enterprise invitations only." example:""`
		Lang                string   `json:"lang,omitempty" enum:"zh-CN,en" example:"zh-CN"`
		PhoneCodeID         string   `json:"phone_code_id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a70"`
		PhoneCode           string   `json:"phone_code" example:"654321"`
		AcceptAgreement     bool     `json:"accept_agreement" doc:"The invited person accepts the service agreement themselves." example:"true"`
		AcknowledgedClauses []string `json:"acknowledged_clauses,omitempty" required:"false" maxItems:"64" doc:"Every key clause of the agreement in force, ticked one by one." example:"[\"3.2.1\"]"`
		AgreementSHA256     string   `json:"agreement_sha256,omitempty" required:"false" maxLength:"64" example:""`
	}
}

type resellerAuthsOutput struct {
	Body struct {
		Items []app.ResellerAuthView `json:"items"`
	}
}

type resellerAuthOutput struct{ Body app.ResellerAuthView }

type resellerAuthCreateInput struct{ Body app.ResellerAuthInput }

type resellerAuthStateInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The authorisation id."`
	Body app.ResellerAuthAction
}

type staffResellerAuthsInput struct {
	ResellerID string `query:"reseller_id" maxLength:"64" doc:"Only this reseller's."`
}

type invitationCreateInput struct{ Body app.InviteInput }

type invitationOutput struct{ Body app.InvitationView }

type invitationsOutput struct {
	Body struct {
		Items []app.InvitationView `json:"items"`
	}
}

type invitationIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The invitation id."`
}

type resellerCustomersOutput struct {
	Body struct {
		Items []app.ResellerCustomerView `json:"items"`
	}
}

type resellerCustomerOutput struct{ Body app.ResellerCustomerView }

type customerIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The customer's account id."`
}

type resellerCheckoutInput struct {
	ID             string `path:"id" maxLength:"64" doc:"The customer's account id."`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"As for POST /orders; keys are per customer."`
	Body           struct {
		Lines      []app.LineRequest `json:"lines" minItems:"1" maxItems:"50"`
		CouponCode string            `json:"coupon_code,omitempty" maxLength:"64" doc:"Refused: coupons are for customers' own orders." example:""`
		Agreement  *app.AgreementAck `json:"agreement,omitempty" doc:"Refused: the customer accepts the agreement themselves (reseller.cannot_accept_for_customer)."`
	}
}

type resellerTicketsInput struct {
	ID string `path:"id" maxLength:"64" doc:"The customer's account id."`
	ticketListInput
}

type resellerOrdersOfInput struct {
	ID    string `path:"id" maxLength:"64" doc:"The customer's account id."`
	Limit int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type resellerOrdersInput struct {
	CustomerID string `query:"customer_id" maxLength:"64" doc:"Only this customer's."`
	Limit      int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
}

type statementInput struct {
	Month string `query:"month" maxLength:"7" doc:"2006-01 (Asia/Shanghai); default: this month." example:"2026-11"`
}

type staffStatementInput struct {
	ID    string `path:"id" maxLength:"64" doc:"The reseller's account id."`
	Month string `query:"month" maxLength:"7" doc:"2006-01 (Asia/Shanghai); default: this month." example:"2026-11"`
}

type statementOutput struct{ Body app.StatementView }

type settlementOutput struct{ Body app.SettlementView }

type webhookCreateInput struct{ Body app.WebhookEndpointInput }

type webhookOutput struct{ Body app.WebhookEndpointView }

type webhooksOutput struct {
	Body struct {
		Items []app.WebhookEndpointView `json:"items"`
	}
}

type webhookActiveInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The endpoint id."`
	Body struct {
		Active bool `json:"active" example:"false"`
	}
}

type hookDeliveriesInput struct {
	Limit int `query:"limit" minimum:"1" maximum:"500" default:"100"`
}

type hookDeliveriesOutput struct {
	Body struct {
		Items []app.WebhookDeliveryView `json:"items"`
	}
}

type hookDeliveryOutput struct{ Body app.WebhookDeliveryView }

type hookDeliveryIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The delivery id."`
}

type delegationInput struct {
	Body struct {
		Tickets bool `json:"tickets" example:"true" doc:"Let the reseller that onboarded you read and answer your tickets."`
	}
}

func authOut(v app.ResellerAuthView) app.ResellerAuthView {
	v.ValidFrom, v.ValidUntil, v.CreatedAt = inCST(v.ValidFrom), inCST(v.ValidUntil), inCST(v.CreatedAt)
	return v
}

func invitationOut(v app.InvitationView) app.InvitationView {
	v.ExpiresAt, v.AcceptedAt, v.CreatedAt = inCST(v.ExpiresAt), inCST(v.AcceptedAt), inCST(v.CreatedAt)
	return v
}

func hookDeliveryOut(v app.WebhookDeliveryView) app.WebhookDeliveryView {
	v.NextAttemptAt, v.CreatedAt, v.DeliveredAt = inCST(v.NextAttemptAt), inCST(v.CreatedAt), inCST(v.DeliveredAt)
	return v
}

func authsOut(vs []app.ResellerAuthView, err error) (*resellerAuthsOutput, error) {
	if err != nil {
		return nil, err
	}
	out := &resellerAuthsOutput{}
	out.Body.Items = make([]app.ResellerAuthView, 0, len(vs))
	for _, v := range vs {
		out.Body.Items = append(out.Body.Items, authOut(v))
	}
	return out, nil
}

func oneAuth(v app.ResellerAuthView, err error) (*resellerAuthOutput, error) {
	if err != nil {
		return nil, err
	}
	return &resellerAuthOutput{Body: authOut(v)}, nil
}

func statementOut(v app.StatementView, err error) (*statementOutput, error) {
	if err != nil {
		return nil, err
	}
	for i := range v.Lines {
		v.Lines[i].AccruedAt, v.Lines[i].ClawedBackAt = inCST(v.Lines[i].AccruedAt), inCST(v.Lines[i].ClawedBackAt)
	}
	for i := range v.Settlements {
		v.Settlements[i].CreatedAt = inCST(v.Settlements[i].CreatedAt)
	}
	return &statementOutput{Body: v}, nil
}

func deliveriesOut(vs []app.WebhookDeliveryView, err error) (*hookDeliveriesOutput, error) {
	if err != nil {
		return nil, err
	}
	out := &hookDeliveriesOutput{}
	out.Body.Items = make([]app.WebhookDeliveryView, 0, len(vs))
	for _, v := range vs {
		out.Body.Items = append(out.Body.Items, hookDeliveryOut(v))
	}
	return out, nil
}

// staffCaller is the principal of a /staff/ route whose permission check
// the app makes (it may accept one of several): a customer is refused here
// with authz.staff_only naming perm.
func staffCaller(ctx context.Context, perm account.Permission) (Principal, error) {
	p, err := principal(ctx)
	if err == nil && !p.Staff() {
		err = &errs.Error{Kind: errs.Forbidden, Code: account.ReasonStaffOnly, Msg: "staff only", Params: map[string]any{"permission": string(perm)}}
	}
	return p, err
}

// registerResellers adds the reseller operations.
func registerResellers(s *server) {
	s.api.OpenAPI().Tags = append(s.api.OpenAPI().Tags, resellersTag)
	registerResellerPublic(s)
	registerResellerOwn(s)
	registerResellerWebhooks(s)
	registerResellerStaff(s)
}

func registerResellerPublic(s *server) {
	tag := []string{"resellers"}
	commerceRegister(s, huma.Operation{OperationID: "check-reseller", Method: http.MethodGet, Path: "/resellers/check", Tags: tag, Security: secNone,
		Summary: "Check a reseller's authorisation code",
		Description: "Anyone may check a code (clause 2.1: buy through the official site or authorised resellers): the company, the product " +
			"kinds and regions, the period and whether it is valid now (valid, not_yet_valid, expired, suspended, revoked). A malformed code is " +
			"reseller.code_invalid (422); an unknown one reseller.code_unknown (404). Rate limited per address.",
		Errors: []int{404, 422, 429}, Middlewares: rateLimited(s, resellerCheckRule)},
		func(ctx context.Context, in *resellerCheckInput) (*resellerCheckOutput, error) {
			v, err := s.app.CheckResellerCode(ctx, in.Code)
			if err != nil {
				return nil, err
			}
			v.ValidFrom, v.ValidUntil, v.CheckedAt = inCST(v.ValidFrom), inCST(v.ValidUntil), inCST(v.CheckedAt)
			return &resellerCheckOutput{Body: v}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "get-invitation", Method: http.MethodGet, Path: "/invitations/{token}", Tags: tag, Security: secNone,
		Summary: "Read an invitation", Description: "Who invites, which kind of account, the masked email it was sent to, until when. A used, " +
			"expired or revoked link — or one from a reseller that may no longer sell — is reseller.invitation_invalid (404).",
		Errors: []int{404, 429}, Middlewares: rateLimited(s, codesRule)},
		func(ctx context.Context, in *invitationTokenInput) (*invitationPublicOutput, error) {
			v, err := s.app.InvitationInfo(ctx, in.Token)
			if err != nil {
				return nil, err
			}
			v.ExpiresAt = inCST(v.ExpiresAt)
			return &invitationPublicOutput{Body: v}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "accept-invitation", Method: http.MethodPost, Path: "/invitations/{token}/accept", Tags: tag,
		Security: secNone, Summary: "Accept an invitation: register and accept the agreement oneself",
		Description: "Registration (POST /accounts) with the invitation's kind and email; the link stands for the email code, the phone code " +
			"is required (POST /auth/codes, purpose register_phone), and every key clause is acknowledged by the invited person. The account " +
			"records its reseller; the acceptance is recorded on the reseller_invitation channel. Real-name verification follows in the " +
			"portal, by the customer.",
		Errors: []int{404, 409, 422, 429}, Middlewares: rateLimited(s, codesRule), DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *acceptInvitationInput) (*accountOutput, error) {
			b := in.Body
			v, err := s.app.AcceptInvitation(ctx, in.Token, app.RegisterInput{DisplayName: b.DisplayName, Phone: b.Phone, Password: b.Password,
				EnterpriseName: b.EnterpriseName, USCC: b.USCC, Lang: langOr(ctx, b.Lang), PhoneCodeID: b.PhoneCodeID, PhoneCode: b.PhoneCode,
				AcceptAgreement: b.AcceptAgreement, AcknowledgedClauses: b.AcknowledgedClauses, AgreementSHA256: b.AgreementSHA256, UserAgent: userAgent(ctx)})
			if err != nil {
				return nil, err
			}
			return &accountOutput{Body: accountBody(v)}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "set-reseller-delegation", Method: http.MethodPut, Path: "/me/reseller-delegation", Tags: tag,
		Security: secAny, Summary: "Let my reseller handle my tickets",
		Description: "A customer opened through a reseller may let it read and answer the customer's tickets (clause 3.1.c: a reseller acts " +
			"only where delegated); off by default. Without a reseller: reseller.none (409).",
		Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *delegationInput) (*struct{}, error) {
			p, err := customerPrincipal(ctx, "ticket.manage_own")
			if err != nil {
				return nil, err
			}
			return nil, s.app.SetTicketDelegation(ctx, p.Principal, in.Body.Tickets)
		})
}

func registerResellerOwn(s *server) {
	tag := []string{"resellers"}
	commerceRegister(s, huma.Operation{OperationID: "list-own-reseller-authorisations", Method: http.MethodGet, Path: "/reseller/authorisations",
		Tags: tag, Security: secAny, Summary: "My authorisations", Description: "With their scope, mode, rate, period and status now. Needs reseller.client.manage.",
		Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*resellerAuthsOutput, error) {
			p, err := customerPrincipal(ctx, "reseller.client.manage")
			if err != nil {
				return nil, err
			}
			return authsOut(s.app.ResellerAuthorisations(ctx, p.Principal, ""))
		})
	commerceRegister(s, huma.Operation{OperationID: "create-invitation", Method: http.MethodPost, Path: "/reseller/invitations", Tags: tag,
		Security: secAny, Summary: "Invite a customer",
		Description: "Emails a link to open an account (individual or enterprise); the invited person registers, accepts the agreement and " +
			"completes real-name verification themselves. Needs an authorisation valid now (reseller.not_authorised, 403). The answer holds " +
			"the link once. Needs reseller.client.manage.",
		Errors: []int{401, 403, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *invitationCreateInput) (*invitationOutput, error) {
			p, err := customerPrincipal(ctx, "reseller.client.manage")
			if err != nil {
				return nil, err
			}
			v, err := s.app.InviteCustomer(ctx, p.Principal, in.Body)
			if err != nil {
				return nil, err
			}
			return &invitationOutput{Body: invitationOut(v)}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "list-invitations", Method: http.MethodGet, Path: "/reseller/invitations", Tags: tag,
		Security: secAny, Summary: "My invitations", Description: "Newest first, with their state (pending, accepted, revoked, expired). Needs reseller.client.manage.",
		Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*invitationsOutput, error) {
			p, err := customerPrincipal(ctx, "reseller.client.manage")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Invitations(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			out := &invitationsOutput{}
			out.Body.Items = make([]app.InvitationView, 0, len(vs))
			for _, v := range vs {
				out.Body.Items = append(out.Body.Items, invitationOut(v))
			}
			return out, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "revoke-invitation", Method: http.MethodPost, Path: "/reseller/invitations/{id}/revoke", Tags: tag,
		Security: secAny, Summary: "Revoke a pending invitation", Description: "Another reseller's is invitation.not_found. Needs reseller.client.manage.",
		Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *invitationIDInput) (*invitationOutput, error) {
			p, err := customerPrincipal(ctx, "reseller.client.manage")
			if err != nil {
				return nil, err
			}
			v, err := s.app.RevokeInvitation(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &invitationOutput{Body: invitationOut(v)}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "list-reseller-customers", Method: http.MethodGet, Path: "/reseller/customers", Tags: tag,
		Security: secAny, Summary: "My customers", Description: "The customers I onboarded, with masked contacts, whether their real-name " +
			"verification is approved and the agreement version they accepted. Needs reseller.client.manage.",
		Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*resellerCustomersOutput, error) {
			p, err := customerPrincipal(ctx, "reseller.client.manage")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.ResellerCustomers(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			out := &resellerCustomersOutput{}
			out.Body.Items = vs
			for i := range out.Body.Items {
				out.Body.Items[i].CreatedAt = inCST(out.Body.Items[i].CreatedAt)
			}
			return out, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "get-reseller-customer", Method: http.MethodGet, Path: "/reseller/customers/{id}", Tags: tag,
		Security: secAny, Summary: "One of my customers", Description: "Another reseller's customer, or any other account, is account.not_found. Needs reseller.client.manage.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *customerIDInput) (*resellerCustomerOutput, error) {
			p, err := customerObjectPrincipal(ctx, "account")
			if err != nil {
				return nil, err
			}
			v, err := s.app.ResellerCustomer(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			v.CreatedAt = inCST(v.CreatedAt)
			return &resellerCustomerOutput{Body: v}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "reseller-checkout", Method: http.MethodPost, Path: "/reseller/customers/{id}/orders", Tags: tag,
		Security: secAny, Summary: "Order for one of my customers",
		Description: "Checkout (POST /orders) for a customer I onboarded, on channel reseller:<me>. Every line must be within one authorisation " +
			"valid now (reseller.not_authorised, reseller.out_of_scope: 403; clause 2.1). The customer must have approved real-name verification " +
			"and have accepted the agreement in force themselves (reseller.customer_acceptance_required, 409); the body may not carry an " +
			"acceptance (reseller.cannot_accept_for_customer, 422) nor a coupon. Wholesale: I pay it from my balance (POST /orders/{id}/pay); " +
			"commission: the customer pays. The customer is told. Needs order.create.",
		Errors: []int{400, 401, 403, 404, 409, 413, 422}, DefaultStatus: http.StatusCreated, Middlewares: huma.Middlewares{captureBody}},
		func(ctx context.Context, in *resellerCheckoutInput) (*orderCreatedOutput, error) {
			p, err := customerObjectPrincipal(ctx, "account")
			if err != nil {
				return nil, err
			}
			idem := app.Idem{Key: in.IdempotencyKey}
			if idem.Key != "" {
				idem.BodyHash = order.HashBody(rawBody(ctx))
			}
			req := app.CheckoutRequest{Lines: in.Body.Lines, CouponCode: in.Body.CouponCode}
			if in.Body.Agreement != nil {
				req.Agreement = *in.Body.Agreement
			}
			v, replayed, err := s.app.ResellerCheckout(ctx, p.Principal, in.ID, req, idem)
			if err != nil {
				return nil, err
			}
			out := &orderCreatedOutput{Body: orderOut(v)}
			if replayed {
				out.Replayed = "true"
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "list-reseller-customer-tickets", Method: http.MethodGet, Path: "/reseller/customers/{id}/tickets",
		Tags: tag, Security: secAny, Summary: "A customer's tickets, where delegated",
		Description: "The tickets of a customer I onboarded who delegated them (PUT /me/reseller-delegation; clause 3.1.c), newest first; " +
			"read, reply and close them through /tickets/{id}. Not delegated: reseller.tickets_not_delegated (403). Needs ticket.manage_own.",
		Errors: []int{401, 403, 404, 422}},
		func(ctx context.Context, in *resellerTicketsInput) (*ticketsOutput, error) {
			p, err := customerObjectPrincipal(ctx, "account")
			if err != nil {
				return nil, err
			}
			vs, next, err := s.app.ResellerTickets(ctx, p.Principal, in.ID, app.TicketListQuery{State: in.State, Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, err
			}
			return ticketsOut(vs, next), nil
		})
	commerceRegister(s, huma.Operation{OperationID: "list-reseller-customer-services", Method: http.MethodGet, Path: "/reseller/customers/{id}/services",
		Tags: tag, Security: secAny, Summary: "A customer's services",
		Description: "The services of a customer I onboarded, newest first; each one in full (with its history) is GET /services/{id}. " +
			"Another account is account.not_found. Needs service.read.",
		Errors: []int{401, 403, 404, 422}},
		func(ctx context.Context, in *resellerOrdersOfInput) (*servicesOutput, error) {
			p, err := customerObjectPrincipal(ctx, "account")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.ResellerServices(ctx, p.Principal, in.ID, in.Limit)
			if err != nil {
				return nil, err
			}
			return servicePage(vs, in.Limit), nil
		})
	commerceRegister(s, huma.Operation{OperationID: "list-reseller-orders", Method: http.MethodGet, Path: "/reseller/orders", Tags: tag,
		Security: secAny, Summary: "Orders I placed", Description: "For all my customers or one, newest first; each order in full is GET /orders/{id}. Needs reseller.client.manage.",
		Errors: []int{401, 403, 404, 422}},
		func(ctx context.Context, in *resellerOrdersInput) (*ordersOutput, error) {
			p, err := customerPrincipal(ctx, "reseller.client.manage")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.ResellerOrders(ctx, p.Principal, in.CustomerID, in.Limit)
			if err != nil {
				return nil, err
			}
			out := &ordersOutput{Body: Page[app.OrderView]{Items: make([]app.OrderView, 0, len(vs))}}
			for _, v := range vs {
				out.Body.Items = append(out.Body.Items, orderOut(v))
			}
			return out, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "get-reseller-statement", Method: http.MethodGet, Path: "/reseller/statement", Tags: tag,
		Security: secAny, Summary: "My commission statement", Description: "For a month: each order's commission, clawbacks and shortfalls, " +
			"settlements, and the unsettled balance. Needs reseller.commission.read.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *statementInput) (*statementOutput, error) {
			p, err := customerPrincipal(ctx, "reseller.commission.read")
			if err != nil {
				return nil, err
			}
			return statementOut(s.app.ResellerStatement(ctx, p.Principal, "", in.Month))
		})
}

func registerResellerWebhooks(s *server) {
	tag := []string{"resellers"}
	commerceRegister(s, huma.Operation{OperationID: "create-webhook", Method: http.MethodPost, Path: "/reseller/webhooks", Tags: tag, Security: secAny,
		Summary: "Add a webhook endpoint", Description: "An https URL on a public address (webhook.endpoint_invalid otherwise) and the event " +
			"types to send (customer.joined, order.created, order.paid, refund.decided; none: all). The answer holds the signing secret once. " +
			"Needs reseller.client.manage.",
		Errors: []int{401, 403, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *webhookCreateInput) (*webhookOutput, error) {
			p, err := customerPrincipal(ctx, "reseller.client.manage")
			if err != nil {
				return nil, err
			}
			v, err := s.app.CreateWebhookEndpoint(ctx, p.Principal, in.Body)
			if err != nil {
				return nil, err
			}
			v.CreatedAt = inCST(v.CreatedAt)
			return &webhookOutput{Body: v}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "list-webhooks", Method: http.MethodGet, Path: "/reseller/webhooks", Tags: tag, Security: secAny,
		Summary: "My webhook endpoints", Description: "Without their secrets. Needs reseller.client.manage.", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*webhooksOutput, error) {
			p, err := customerPrincipal(ctx, "reseller.client.manage")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.WebhookEndpoints(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			out := &webhooksOutput{}
			out.Body.Items = vs
			for i := range out.Body.Items {
				out.Body.Items[i].CreatedAt = inCST(out.Body.Items[i].CreatedAt)
			}
			return out, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "set-webhook-active", Method: http.MethodPut, Path: "/reseller/webhooks/{id}/active", Tags: tag,
		Security: secAny, Summary: "Switch a webhook endpoint on or off", Description: "Another reseller's is webhook_endpoint.not_found. Needs reseller.client.manage.",
		Errors: []int{401, 403, 404, 422}},
		func(ctx context.Context, in *webhookActiveInput) (*webhookOutput, error) {
			p, err := customerPrincipal(ctx, "reseller.client.manage")
			if err != nil {
				return nil, err
			}
			v, err := s.app.SetWebhookEndpointActive(ctx, p.Principal, in.ID, in.Body.Active)
			if err != nil {
				return nil, err
			}
			v.CreatedAt = inCST(v.CreatedAt)
			return &webhookOutput{Body: v}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "list-webhook-deliveries", Method: http.MethodGet, Path: "/reseller/webhook-deliveries", Tags: tag,
		Security: secAny, Summary: "My webhook delivery log", Description: "Newest first: each event, its attempts, the last status and error. Needs reseller.client.manage.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *hookDeliveriesInput) (*hookDeliveriesOutput, error) {
			p, err := customerPrincipal(ctx, "reseller.client.manage")
			if err != nil {
				return nil, err
			}
			return deliveriesOut(s.app.WebhookDeliveries(ctx, p.Principal, in.Limit))
		})
	commerceRegister(s, huma.Operation{OperationID: "retry-webhook-delivery", Method: http.MethodPost, Path: "/reseller/webhook-deliveries/{id}/retry",
		Tags: tag, Security: secAny, Summary: "Retry a failed delivery", Description: "Only a failed one (webhook.not_failed, 409). Needs reseller.client.manage.",
		Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *hookDeliveryIDInput) (*hookDeliveryOutput, error) {
			p, err := customerPrincipal(ctx, "reseller.client.manage")
			if err != nil {
				return nil, err
			}
			v, err := s.app.RetryWebhookDelivery(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &hookDeliveryOutput{Body: hookDeliveryOut(v)}, nil
		})
}

func registerResellerStaff(s *server) {
	tag := []string{"resellers", "staff"}
	commerceRegister(s, huma.Operation{OperationID: "staff-authorise-reseller", Method: http.MethodPost, Path: "/staff/reseller-authorisations", Tags: tag,
		Security: secAny, Summary: "Authorise a reseller",
		Description: "For a reseller account whose enterprise verification is approved (reseller.kyc_required, 409): product kinds, regions " +
			"(none: all), mode (wholesale or commission), rate in basis points, validity. Every problem at once (reseller.invalid, 422). " +
			"Answers the public check code. Needs reseller.authorise.",
		Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *resellerAuthCreateInput) (*resellerAuthOutput, error) {
			p, err := staffCaller(ctx, "reseller.authorise")
			if err != nil {
				return nil, err
			}
			return oneAuth(s.app.AuthoriseReseller(ctx, p.Principal, in.Body))
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-list-reseller-authorisations", Method: http.MethodGet, Path: "/staff/reseller-authorisations",
		Tags: tag, Security: secAny, Summary: "List reseller authorisations", Description: "Newest first. Needs reseller.authorise or account.read_any.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *staffResellerAuthsInput) (*resellerAuthsOutput, error) {
			p, err := staffCaller(ctx, "reseller.authorise")
			if err != nil {
				return nil, err
			}
			return authsOut(s.app.ResellerAuthorisations(ctx, p.Principal, in.ResellerID))
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-set-reseller-authorisation", Method: http.MethodPost, Path: "/staff/reseller-authorisations/{id}/state",
		Tags: tag, Security: secAny, Summary: "Suspend, reinstate or revoke an authorisation",
		Description: "With a reason (suspend, revoke). From then on the reseller cannot sell or invite under it. Revocation is final. Needs reseller.authorise.",
		Errors:      []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *resellerAuthStateInput) (*resellerAuthOutput, error) {
			p, err := staffCaller(ctx, "reseller.authorise")
			if err != nil {
				return nil, err
			}
			return oneAuth(s.app.SetResellerAuthState(ctx, p.Principal, in.ID, in.Body))
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-reseller-statement", Method: http.MethodGet, Path: "/staff/resellers/{id}/statement",
		Tags: tag, Security: secAny, Summary: "A reseller's commission statement", Description: "Needs finance.payout or account.read_any.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *staffStatementInput) (*statementOutput, error) {
			p, err := staffCaller(ctx, "finance.payout")
			if err != nil {
				return nil, err
			}
			return statementOut(s.app.ResellerStatement(ctx, p.Principal, in.ID, in.Month))
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-settle-commission", Method: http.MethodPost, Path: "/staff/resellers/{id}/settle",
		Tags: tag, Security: secAny, Summary: "Settle a reseller's commission",
		Description: "Moves the whole unsettled commission into the reseller's cash (withdrawable under the usual rules); nothing to settle is " +
			"reseller.nothing_to_settle (409). Needs finance.payout.",
		Errors: []int{401, 403, 409}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *customerIDInput) (*settlementOutput, error) {
			p, err := staffCaller(ctx, "finance.payout")
			if err != nil {
				return nil, err
			}
			v, err := s.app.SettleCommission(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			v.CreatedAt = inCST(v.CreatedAt)
			return &settlementOutput{Body: v}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-webhook-deliveries", Method: http.MethodGet, Path: "/staff/webhook-deliveries",
		Tags: tag, Security: secAny, Summary: "The webhook delivery log", Description: "Every reseller's, newest first. Needs account.read_any.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *hookDeliveriesInput) (*hookDeliveriesOutput, error) {
			p, err := staffCaller(ctx, "account.read_any")
			if err != nil {
				return nil, err
			}
			return deliveriesOut(s.app.WebhookDeliveries(ctx, p.Principal, in.Limit))
		})
}
