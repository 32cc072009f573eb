package web

import (
	"context"
	"net/http"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
)

// Usage (issue 14): node ingestion with a token, a service's usage for its
// customer, usage and quarantined samples for staff.
//
// A node authenticates with its own token, not an API key: the
// authenticate middleware leaves POST /api/v1/usage alone (nodeRoute), so
// a node token is read by this route only, and this route reads no
// session or API key.

// usageTag is the OpenAPI tag of the usage operations.
var usageTag = &huma.Tag{Name: "usage", Description: "Traffic metering (issue 14): nodes report samples with a node token; customers and " +
	"staff read a service's billed traffic by hour and CST day with its quota and packs (the figures of the 1 GB refund rule, clause 3.1.a, " +
	"and of traffic billing, clause 3.2.3)."}

// UsagePath is where nodes post their batches.
const UsagePath = APIPrefix + "/usage"

// nodeRoute reports whether r is a node's batch, which authenticate skips.
func nodeRoute(r *http.Request) bool {
	return (r.Method == http.MethodPost && r.URL.Path == UsagePath) || agentRoute(r) // agentRoute: api_netdrv.go
}

// UsageSampleBody is one sample of a batch: the bytes of one interval.
type UsageSampleBody struct {
	ServiceID       string `json:"service_id" maxLength:"64" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70"`
	IntervalStart   string `json:"interval_start" format:"date-time" example:"2026-11-26T09:00:00+08:00"`
	IntervalSeconds int64  `json:"interval_seconds" minimum:"1" maximum:"86400" example:"300"`
	RxBytes         uint64 `json:"rx_bytes" example:"1048576" doc:"Bytes received by the service in the interval (a delta)."`
	TxBytes         uint64 `json:"tx_bytes" example:"8388608" doc:"Bytes sent by the service in the interval (a delta)."`
	Class           string `json:"class,omitempty" enum:"customer,provider,mitigated" example:"customer" doc:"Default customer; only customer traffic is billed."`
}

// UsageBatchBody is what a node posts.
type UsageBatchBody struct {
	Samples []UsageSampleBody `json:"samples" minItems:"1" maxItems:"1000"`
}

type ingestInput struct {
	Authorization string `header:"Authorization" doc:"Bearer <node token> (POST /api/v1/staff/nodes/{id}/token issues one)."`
}

type ingestOutput struct{ Body app.IngestResult }

type usageOutput struct{ Body app.UsageView }

type nodeTokenInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The node id (letters, digits, - and _)." example:"nc-edge-01"`
	Body NodeTokenBody
}

// NodeTokenBody names and places a node.
type NodeTokenBody struct {
	Name   string `json:"name,omitempty" maxLength:"100" example:"南昌边缘 01"`
	Region string `json:"region,omitempty" maxLength:"64" example:"cn-jx-nanchang"`
}

// NodeTokenOut is a node's new token, shown once.
type NodeTokenOut struct {
	NodeID string `json:"node_id" example:"nc-edge-01"`
	Token  string `json:"token" example:"ynode_0193…"`
}

type nodeTokenOutput struct{ Body NodeTokenOut }

type quarantineInput struct {
	Limit int `query:"limit" minimum:"1" maximum:"500" default:"100" doc:"How many, newest first."`
}

type quarantineOutput struct {
	Body struct {
		Items []app.QuarantineView `json:"items"`
	}
}

// usageOut is v with its instants in +08:00.
func usageOut(v app.UsageView) app.UsageView {
	v.CycleStart, v.CycleEnd, v.AsOf = inCST(v.CycleStart), inCST(v.CycleEnd), inCST(v.AsOf)
	for i := range v.Packs {
		v.Packs[i].From, v.Packs[i].Until = inCST(v.Packs[i].From), inCST(v.Packs[i].Until)
	}
	for i := range v.Hourly {
		v.Hourly[i].Start = inCST(v.Hourly[i].Start)
	}
	for i := range v.Daily {
		v.Daily[i].Start = inCST(v.Daily[i].Start)
	}
	return v
}

func oneUsage(v app.UsageView, err error) (*usageOutput, error) {
	if err != nil {
		return nil, err
	}
	return &usageOutput{Body: usageOut(v)}, nil
}

// nodeBearer is the token of an Authorization: Bearer header value.
func nodeBearer(h string) string {
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(h[7:])
}

func registerUsage(s *server) {
	s.api.OpenAPI().Tags = append(s.api.OpenAPI().Tags, usageTag)
	batchSchema := s.api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[UsageBatchBody](), true, "UsageBatch")
	register(s, huma.Operation{OperationID: "ingest-usage", Method: http.MethodPost, Path: "/usage", Tags: []string{"usage"}, Security: secNone,
		Summary: "Report traffic samples (nodes)",
		Description: "A node posts {\"samples\": [...]} (1–1000) with Authorization: Bearer <node token> — a node token, not an API key " +
			"or a session. Byte counts are deltas of the interval; class defaults to customer. A sample is immutable: an identical resend " +
			"counts as a duplicate; a different one for the same (service, interval_start) is quarantined (reason conflict), as is one for " +
			"a service not on this node (not_on_node); invalid samples and unknown services are rejected. Answers 200 with what became of " +
			"each, even when some were refused. A batch that cannot be read is usage.batch_invalid (422) and nothing in it is stored; a " +
			"missing or unknown token is usage.node_unauthorized (401).",
		Errors:      []int{401, 413, 422},
		Middlewares: huma.Middlewares{captureBody}},
		func(ctx context.Context, in *ingestInput) (*ingestOutput, error) {
			res, err := s.app.IngestUsage(ctx, nodeBearer(in.Authorization), rawBody(ctx))
			if err != nil {
				return nil, err
			}
			return &ingestOutput{Body: res}, nil
		})
	// The body is documented only: huma must not validate it, because the
	// app reads the raw batch and answers for each sample.
	if pi := s.api.OpenAPI().Paths["/usage"]; pi != nil && pi.Post != nil {
		pi.Post.RequestBody = &huma.RequestBody{Required: true, Content: map[string]*huma.MediaType{"application/json": {Schema: batchSchema}}}
	}
	commerceRegister(s, huma.Operation{OperationID: "get-service-usage", Method: http.MethodGet, Path: "/services/{id}/usage", Tags: []string{"usage"},
		Security: secAny, Summary: "Read a service's traffic",
		Description: "Billed customer bytes (in the product's billed direction) this billing cycle and since the service started, " +
			"hourly for the last 48 hours and daily for the last 30 CST days; for a traffic-billed server also its quota, the packs " +
			"counted, the allowance and the alert level reached (0, 80, 100). Someone else's service is service.not_found. Needs service.read.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *serviceIDInput) (*usageOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			return oneUsage(s.app.ServiceUsage(ctx, p.Principal, in.ID))
		})
	staffTag := []string{"usage", "staff"}
	commerceRegister(s, huma.Operation{OperationID: "staff-get-service-usage", Method: http.MethodGet, Path: "/staff/services/{id}/usage", Tags: staffTag,
		Security: secSession, Summary: "Read a service's traffic", Description: "As GET /services/{id}/usage, for any service. Needs account.read_any.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *serviceIDInput) (*usageOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return oneUsage(s.app.ServiceUsage(ctx, p.Principal, in.ID))
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-node-token", Method: http.MethodPost, Path: "/staff/nodes/{id}/token", Tags: staffTag,
		Security: secSession, Summary: "Issue a node's token",
		Description: "Creates the node if new and sets (rotates) the token it reports usage with; the token is shown in this answer only " +
			"(the server keeps its hash) and the old one stops working. Audited. Needs provisioning.manage.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *nodeTokenInput) (*nodeTokenOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			name := in.Body.Name
			if name == "" {
				name = in.ID
			}
			tok, err := s.app.NodeToken(ctx, p.Principal, in.ID, name, in.Body.Region)
			if err != nil {
				return nil, err
			}
			return &nodeTokenOutput{Body: NodeTokenOut{NodeID: in.ID, Token: tok}}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-usage-quarantine", Method: http.MethodGet, Path: "/staff/usage/quarantine", Tags: staffTag,
		Security: secSession, Summary: "List quarantined samples",
		Description: "The latest samples kept aside (conflicting resends, services not on the reporting node), newest first, with the " +
			"payload as received. Needs account.read_any.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *quarantineInput) (*quarantineOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.UsageQuarantine(ctx, p.Principal, in.Limit)
			if err != nil {
				return nil, err
			}
			out := &quarantineOutput{}
			out.Body.Items = vs
			for i := range out.Body.Items {
				out.Body.Items[i].Start, out.Body.Items[i].ReceivedAt = inCST(vs[i].Start), inCST(vs[i].ReceivedAt)
			}
			return out, nil
		})
}
