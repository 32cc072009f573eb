package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
)

// Delivery (issue 13): a service's delivery (status, deadline and breach
// of clause 2.2, the inspection window of clause 2.3, the sandbox label,
// addresses), its credentials after re-authentication, reporting a
// delivery problem inside the window; for operations staff the
// provisioning queue, fulfilment by hand, certificate CA states, delivery
// breaches, the address history and nodes. Instants are in +08:00;
// errors are problem+json with field and rule.

var deliveryTag = &huma.Tag{Name: "delivery", Description: "Delivery within the agreed time (clause 2.2) and the inspection window " +
	"(clause 2.3): each paid service is provisioned by its product's driver (sandbox: test addresses at once, labelled sandbox; manual: " +
	"operations staff fulfil it by hand); a missed deadline is recorded as a breach and gives the right to a full refund whatever the " +
	"class; credentials are encrypted at rest and shown only to a session re-authenticated within 5 minutes (POST /me/reauthenticate)."}

type deliveryOutput struct{ Body app.ServiceDeliveryView }

// CredentialsBody is a delivered service's credentials.
type CredentialsBody struct {
	Credentials map[string]string `json:"credentials"`
}

type credentialsOutput struct{ Body CredentialsBody }

type deliveryProblemInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The service id."`
	Body app.DeliveryProblem
}

type fulfilInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The service id."`
	Body app.FulfilInput
}

type certStateInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The service id."`
	Body app.CertStateInput
}

// QueueBody is the provisioning queue.
type QueueBody struct {
	Items []app.QueueItem `json:"items"`
}

type queueOutput struct{ Body QueueBody }

// BreachesBody lists orders past their delivery deadline.
type BreachesBody struct {
	Items []app.BreachView `json:"items"`
}

type breachesOutput struct{ Body BreachesBody }

// NodesBody lists nodes.
type NodesBody struct {
	Items []app.NodeView `json:"items"`
}

type nodesOutput struct{ Body NodesBody }

type nodeCreateInput struct{ Body app.NodeInput }

type nodeCreatedOutput struct{ Body app.NodeCreated }

type nodeIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The node id."`
}

type nodeOutput struct{ Body app.NodeView }

type holderInput struct {
	Address   string    `path:"address" maxLength:"64" doc:"An IP address (or WireGuard peer key)." example:"198.18.0.1"`
	At        time.Time `query:"at" doc:"The instant asked about (RFC 3339; default now)." example:"2026-06-01T10:00:00+08:00"`
	Purpose   string    `query:"purpose" maxLength:"40" doc:"Why the address is looked up (required): authority_request, abuse_investigation or fraud_investigation." example:"abuse_investigation"`
	Reference string    `query:"reference" maxLength:"200" doc:"The case, disclosure or document the lookup serves." example:"case 01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fb0"`
}

// HolderBody answers who held an address at an instant.
type HolderBody struct {
	Held      bool      `json:"held" example:"true"`
	ServiceID string    `json:"service_id,omitempty" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70"`
	AccountID string    `json:"account_id,omitempty" example:"01936a9e-0000-7000-8000-000000000001"`
	From      time.Time `json:"from,omitzero" example:"2026-06-01T09:00:00+08:00"`
	Until     time.Time `json:"until,omitzero" example:""`
}

type holderOutput struct{ Body HolderBody }

func deliveryOut(v app.ServiceDeliveryView) app.ServiceDeliveryView {
	v.DeliverBy, v.DeliveredAt, v.BreachedAt = inCST(v.DeliverBy), inCST(v.DeliveredAt), inCST(v.BreachedAt)
	v.InspectionUntil, v.AcceptedAt = inCST(v.InspectionUntil), inCST(v.AcceptedAt)
	for i := range v.CertStates {
		v.CertStates[i].At = inCST(v.CertStates[i].At)
	}
	return v
}

func oneDelivery(v app.ServiceDeliveryView, err error) (*deliveryOutput, error) {
	if err != nil {
		return nil, err
	}
	return &deliveryOutput{Body: deliveryOut(v)}, nil
}

func nodeOut(v app.NodeView) app.NodeView {
	v.CreatedAt, v.RevokedAt = inCST(v.CreatedAt), inCST(v.RevokedAt)
	return v
}

// registerDelivery adds the delivery operations.
func registerDelivery(s *server) {
	s.api.OpenAPI().Tags = append(s.api.OpenAPI().Tags, deliveryTag)
	registerCustomerDelivery(s)
	registerStaffDelivery(s)
	registerNodes(s)
	registerCertificates(s) // api_acme.go
}

func registerCustomerDelivery(s *server) {
	tag := []string{"delivery"}
	commerceRegister(s, huma.Operation{OperationID: "get-service-delivery", Method: http.MethodGet, Path: "/services/{id}/delivery", Tags: tag,
		Security: secAny, Summary: "Read a service's delivery",
		Description: "Status (queued, pending, delivered, failed, cancelled), the delivery deadline and a recorded breach with the right to a " +
			"full refund whatever the class (clause 2.2), the inspection window (policy inspection.window from delivered_at, its end " +
			"included; clause 2.3) and its acceptance, the sandbox label, addresses, notes and certificate CA states. Credentials are not " +
			"here: GET /services/{id}/credentials. Someone else's service is service.not_found. Needs service.read.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *serviceIDInput) (*deliveryOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			return oneDelivery(s.app.ServiceDelivery(ctx, p.Principal, in.ID))
		})
	commerceRegister(s, huma.Operation{OperationID: "get-service-credentials", Method: http.MethodGet, Path: "/services/{id}/credentials", Tags: tag,
		Security: secSession, Summary: "Read a service's credentials",
		Description: "Decrypted for a browser session re-authenticated within the last 5 minutes (POST /me/reauthenticate; " +
			"session.reauth_required, 403, otherwise); API keys never read credentials. Each reading is audited. Needs service.manage.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *serviceIDInput) (*credentialsOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			c, err := s.app.ServiceCredentials(ctx, p.Principal, p.SessionToken, in.ID)
			if err != nil {
				return nil, err
			}
			return &credentialsOutput{Body: CredentialsBody{Credentials: c}}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "report-delivery-problem", Method: http.MethodPost, Path: "/services/{id}/delivery-problem",
		Tags: tag, Security: secAny, Summary: "Report a delivery problem",
		Description: "While the inspection window is open (clause 2.3: policy inspection.window from delivered_at, its end included), opens " +
			"a delivery_issue ticket linked to the service. Afterwards it is delivery.inspection_closed (409): open an ordinary ticket for a " +
			"defect, which stays possible. Needs ticket.create.",
		Errors: []int{401, 403, 404, 409, 422, 429}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *deliveryProblemInput) (*supportTicketOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			t, err := s.app.ReportDeliveryProblem(ctx, p.Principal, in.ID, in.Body)
			if err != nil {
				return nil, err
			}
			return &supportTicketOutput{Body: supportTicketBody(t)}, nil
		})
}

func registerStaffDelivery(s *server) {
	tag := []string{"delivery", "staff"}
	commerceRegister(s, huma.Operation{OperationID: "staff-provisioning-queue", Method: http.MethodGet, Path: "/staff/provisioning", Tags: tag,
		Security: secSession, Summary: "List the provisioning queue",
		Description: "Services waiting for delivery (queued, pending for staff, failed), earliest deadline first, with the seconds left " +
			"(negative: late). Needs provisioning.manage.",
		Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*queueOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			q, err := s.app.ProvisioningQueue(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			for i := range q {
				q[i].ServiceDeliveryView = deliveryOut(q[i].ServiceDeliveryView)
			}
			return &queueOutput{Body: QueueBody{Items: q}}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-fulfil-service", Method: http.MethodPost, Path: "/staff/services/{id}/fulfil", Tags: tag,
		Security: secSession, Summary: "Record a delivery made by hand",
		Description: "Addresses (IP addresses; at least one for servers and VPN lines), credentials (stored encrypted) and notes " +
			"(required for CDN and certificates). Everything is checked before anything is written (delivery.invalid, 422, naming the " +
			"field and rule); a service not waiting is delivery.not_pending (409); a certificate must be recorded issued first " +
			"(delivery.cert_not_issued, 409). The customer is told; the inspection window starts. Needs provisioning.manage.",
		Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *fulfilInput) (*deliveryOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return oneDelivery(s.app.Fulfil(ctx, p.Principal, in.ID, in.Body))
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-record-cert-state", Method: http.MethodPost, Path: "/staff/services/{id}/cert-states",
		Tags: tag, Security: secSession, Summary: "Record a certificate's CA state",
		Description: "validating → submitted_to_ca → issued, or ca_rejected from any of them (delivery.cert_bad_transition, 409, " +
			"otherwise), at the instant given (default now, never in the future). The refund rules read them (clause 3.2.2: no no-fault " +
			"refund once submitted to the CA; a CA rejection refunds in full). Needs provisioning.manage.",
		Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *certStateInput) (*deliveryOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return oneDelivery(s.app.RecordCertState(ctx, p.Principal, in.ID, in.Body))
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-delivery-breaches", Method: http.MethodGet, Path: "/staff/delivery-breaches", Tags: tag,
		Security: secSession, Summary: "List orders past their delivery deadline",
		Description: "Orders whose breach the deadline sweep recorded and that are still not delivered, most recent first (clause 2.2). " +
			"Needs provisioning.manage.",
		Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*breachesOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			bs, err := s.app.DeliveryBreaches(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			for i := range bs {
				bs[i].DeliverBy, bs[i].BreachedAt = inCST(bs[i].DeliverBy), inCST(bs[i].BreachedAt)
			}
			return &breachesOutput{Body: BreachesBody{Items: bs}}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-address-holder", Method: http.MethodGet, Path: "/staff/addresses/{address}/holder",
		Tags: tag, Security: secSession, Summary: "Who held an address at an instant",
		Description: "From the address history (every assignment with its interval, kept for retention.network_logs_days). Who used " +
			"an address is personal information: a purpose is required (compliance.lookup_invalid, 422, naming query.purpose) and every " +
			"lookup, answered or not, is audited compliance.address_lookup with the staff member, the address, the instant, the purpose " +
			"and reference, and the service and account ids found (as POST /staff/compliance/address-lookups). Needs account.read_any.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *holderInput) (*holderOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			at := in.At
			if at.IsZero() {
				at = s.app.Now()
			}
			h, ok, err := s.app.AddressHolder(ctx, p.Principal, app.LookupInput{Address: in.Address, At: at, Purpose: in.Purpose, Reference: in.Reference})
			if err != nil {
				return nil, err
			}
			if !ok {
				return &holderOutput{}, nil
			}
			return &holderOutput{Body: HolderBody{Held: true, ServiceID: h.ServiceID, AccountID: h.AccountID, From: inCST(h.From), Until: inCST(h.Until)}}, nil
		})
}

func registerNodes(s *server) {
	tag := []string{"delivery", "staff"}
	commerceRegister(s, huma.Operation{OperationID: "staff-list-nodes", Method: http.MethodGet, Path: "/staff/nodes", Tags: tag, Security: secSession,
		Summary: "List nodes", Description: "Servers, VPN and CDN edge nodes with their kind and revocation; never their tokens. Needs provisioning.manage.",
		Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*nodesOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			ns, err := s.app.Nodes(ctx, p.Principal)
			if err != nil {
				return nil, err
			}
			for i := range ns {
				ns[i] = nodeOut(ns[i])
			}
			return &nodesOutput{Body: NodesBody{Items: ns}}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-create-node", Method: http.MethodPost, Path: "/staff/nodes", Tags: tag, Security: secSession,
		Summary: "Create a node", Description: "With a fresh token, shown in this answer only (the server keeps its hash); the agent and the " +
			"usage reports authenticate with it. An id in use is node.exists (409). Audited. Needs provisioning.manage.",
		Errors: []int{401, 403, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *nodeCreateInput) (*nodeCreatedOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			nc, err := s.app.NodeCreate(ctx, p.Principal, in.Body)
			if err != nil {
				return nil, err
			}
			nc.Node = nodeOut(nc.Node)
			return &nodeCreatedOutput{Body: nc}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-revoke-node", Method: http.MethodPost, Path: "/staff/nodes/{id}/revoke", Tags: tag,
		Security: secSession, Summary: "Revoke a node's token",
		Description: "Its agent and usage reports are refused from now on (usage.node_unauthorized). Revoking twice is node.revoked (409). " +
			"Audited. Needs provisioning.manage.",
		Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *nodeIDInput) (*nodeOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			n, err := s.app.NodeRevoke(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &nodeOutput{Body: nodeOut(n)}, nil
		})
}
