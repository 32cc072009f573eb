package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
)

// Network delivery (issue 13): a VPN service's WireGuard client
// configuration and QR code after re-authentication; staff configure a
// VPN node's interface; the node agent pulls its own configuration and
// reports its key with the node token.

type vpnNodeInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The node id."`
	Body app.VPNNodeInput
}

type vpnNodeOutput struct{ Body app.VPNNodeView }

type agentAuthInput struct {
	Authorization string `header:"Authorization" doc:"Bearer <node token> (POST /api/v1/staff/nodes issues one)."`
}

type agentConfigOutput struct{ Body app.AgentConfig }

// AgentKeyBody is the public key of a VPN node's interface.
type AgentKeyBody struct {
	PublicKey string `json:"public_key" maxLength:"64" example:"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="`
}

type agentKeyInput struct {
	Authorization string `header:"Authorization" doc:"Bearer <node token>."`
	Body          AgentKeyBody
}

type cdnSiteInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The service id."`
	Body app.CDNSiteInput
}

type cdnSiteOutput struct{ Body app.CDNSiteView }

func oneSite(v app.CDNSiteView, err error) (*cdnSiteOutput, error) {
	if err != nil {
		return nil, err
	}
	v.VerifiedAt = inCST(v.VerifiedAt)
	return &cdnSiteOutput{Body: v}, nil
}

type qrInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The service id."`
	Size int    `query:"size" minimum:"128" maximum:"1024" default:"384" doc:"Pixels square."`
}

var agentTag = &huma.Tag{Name: "agent", Description: "The node agent (`yuanxu agent`): a node pulls its own configuration (a VPN node its " +
	"WireGuard peers, a CDN edge its sites) with its node token and applies it; a revoked token is refused (401)."}

func registerNetDelivery(s *server) {
	s.api.OpenAPI().Tags = append(s.api.OpenAPI().Tags, agentTag)
	tag := []string{"delivery"}
	commerceRegister(s, huma.Operation{OperationID: "get-service-wireguard-config", Method: http.MethodGet, Path: "/services/{id}/wireguard.conf",
		Tags: tag, Security: secSession, Summary: "Download a VPN service's WireGuard configuration",
		Description: "The client configuration (its private key, the node as its peer with a preshared key) as a .conf file a WireGuard app " +
			"imports. For the owner's browser session re-authenticated within the last 5 minutes (POST /me/reauthenticate; " +
			"session.reauth_required, 403, otherwise); API keys and staff never read it. A service without a peer is wireguard.no_peer " +
			"(404); a node that has not reported its key yet is wireguard.node_key_pending (409). Audited. Needs service.manage.",
		Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *serviceIDInput) (*attachmentOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			b, err := s.app.WireGuardConfig(ctx, p.Principal, p.SessionToken, in.ID)
			if err != nil {
				return nil, err
			}
			return &attachmentOutput{ContentType: "text/plain; charset=utf-8", Options: "nosniff", Body: b,
				ContentDisposition: `attachment; filename="yuanxu-` + urlPathEscape(in.ID) + `.conf"`}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "get-service-wireguard-qr", Method: http.MethodGet, Path: "/services/{id}/wireguard.png",
		Tags: tag, Security: secSession, Summary: "The WireGuard configuration as a QR code",
		Description: "The same configuration as GET /services/{id}/wireguard.conf as a PNG QR code for the mobile apps, under the same rules.",
		Errors:      []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *qrInput) (*attachmentOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			b, err := s.app.WireGuardQR(ctx, p.Principal, p.SessionToken, in.ID, in.Size)
			if err != nil {
				return nil, err
			}
			return &attachmentOutput{ContentType: "image/png", Options: "nosniff", Body: b, ContentDisposition: "inline"}, nil
		})

	commerceRegister(s, huma.Operation{OperationID: "get-service-cdn-site", Method: http.MethodGet, Path: "/services/{id}/cdn-site", Tags: tag,
		Security: secAny, Summary: "Read a CDN service's site",
		Description: "The domain, origin, the TXT record that proves control (_yuanxu-verify.<domain>), the CNAME target to point the " +
			"domain at, and whether it is verified. Before a domain is added: cdn.no_site (404). Needs service.read.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *serviceIDInput) (*cdnSiteOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			return oneSite(s.app.CDNSite(ctx, p.Principal, in.ID))
		})
	commerceRegister(s, huma.Operation{OperationID: "put-service-cdn-site", Method: http.MethodPut, Path: "/services/{id}/cdn-site", Tags: tag,
		Security: secAny, Summary: "Add or change a CDN service's domain and origin",
		Description: "A new domain gets a new ownership token and must be verified again (POST /services/{id}/cdn-site/check); changing " +
			"only the origin keeps the verification. The domain must be valid (cdn.domain_invalid) and new to the platform " +
			"(cdn.domain_taken, 409); the origin an http(s) URL of a public host (cdn.origin_invalid). Without an edge node: cdn.no_edge " +
			"(503). A service that is not a CDN service on our edges is cdn.not_cdn (409). Audited. Needs service.manage.",
		Errors: []int{401, 403, 404, 409, 422, 503}},
		func(ctx context.Context, in *cdnSiteInput) (*cdnSiteOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			return oneSite(s.app.CDNOnboard(ctx, p.Principal, in.ID, in.Body))
		})
	commerceRegister(s, huma.Operation{OperationID: "check-service-cdn-site", Method: http.MethodPost, Path: "/services/{id}/cdn-site/check", Tags: tag,
		Security: secAny, Summary: "Check a CDN site's ownership record",
		Description: "Asks the configured DNS server for the TXT record. When it is there the site is verified, its edge serves it from " +
			"the agent's next pull and the delivery is recorded (the inspection window starts). Otherwise cdn.ownership_missing or " +
			"cdn.ownership_mismatch (409, naming the record expected) or cdn.dns_unavailable (503), and nothing changes. Needs service.manage.",
		Errors: []int{401, 403, 404, 409, 503}},
		func(ctx context.Context, in *serviceIDInput) (*cdnSiteOutput, error) {
			p, err := customerObjectPrincipal(ctx, "service")
			if err != nil {
				return nil, err
			}
			return oneSite(s.app.CDNCheck(ctx, p.Principal, in.ID))
		})

	stag := []string{"delivery", "staff"}
	commerceRegister(s, huma.Operation{OperationID: "staff-get-vpn-node", Method: http.MethodGet, Path: "/staff/nodes/{id}/wireguard", Tags: stag,
		Security: secSession, Summary: "Read a VPN node's interface",
		Description: "Endpoint, listen port, address pool, resolvers and the public key its agent reported. Needs provisioning.manage.",
		Errors:      []int{401, 403, 404}},
		func(ctx context.Context, in *nodeIDInput) (*vpnNodeOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.VPNNode(ctx, p.Principal, in.ID)
			if err != nil {
				return nil, err
			}
			return &vpnNodeOutput{Body: v}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "staff-configure-vpn-node", Method: http.MethodPut, Path: "/staff/nodes/{id}/wireguard", Tags: stag,
		Security: secSession, Summary: "Configure a VPN node's interface",
		Description: "The endpoint clients dial, the listen port, the address pool peers are allocated from (its first host is the node's " +
			"own; pools of nodes must not overlap, so the address history names one holder) and resolvers. The node's private key stays " +
			"on the node: its agent reports the public key. A node that is not of kind vpn is node.invalid; bad values are " +
			"wireguard.node_invalid (422) naming the field. Audited. Needs provisioning.manage.",
		Errors: []int{401, 403, 404, 422}},
		func(ctx context.Context, in *vpnNodeInput) (*vpnNodeOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			v, err := s.app.VPNNodeConfigure(ctx, p.Principal, in.ID, in.Body)
			if err != nil {
				return nil, err
			}
			return &vpnNodeOutput{Body: v}, nil
		})

	atag := []string{"agent"}
	register(s, huma.Operation{OperationID: "agent-config", Method: http.MethodGet, Path: "/agent/config", Tags: atag, Security: secNone,
		Summary: "A node's configuration (node agent)",
		Description: "With Authorization: Bearer <node token> — a node token, not an API key or a session: a VPN node's interface and " +
			"exactly its own peers of active services (preshared keys included: serve this over HTTPS only); a CDN edge's own verified " +
			"sites of active services. A missing, unknown or revoked token is usage.node_unauthorized (401); a VPN node whose interface " +
			"staff have not configured is wireguard.node_invalid (409).",
		Errors: []int{401, 409}},
		func(ctx context.Context, in *agentAuthInput) (*agentConfigOutput, error) {
			c, err := s.app.AgentConfigFor(ctx, nodeBearer(in.Authorization))
			if err != nil {
				return nil, err
			}
			return &agentConfigOutput{Body: c}, nil
		})
	register(s, huma.Operation{OperationID: "agent-report-key", Method: http.MethodPost, Path: "/agent/wireguard-key", Tags: atag, Security: secNone,
		Summary: "Report a VPN node's public key (node agent)",
		Description: "The agent keeps the interface's private key on the node and reports its public half, which client configurations " +
			"name as their peer. Node token as for GET /agent/config; a node not of kind vpn is agent.wrong_kind (409); a bad key " +
			"wireguard.node_invalid (422). Audited when it changes.",
		Errors: []int{401, 409, 422}, DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *agentKeyInput) (*struct{}, error) {
			if err := s.app.AgentReportKey(ctx, nodeBearer(in.Authorization), in.Body.PublicKey); err != nil {
				return nil, err
			}
			return &struct{}{}, nil
		})
}

// agentRoute reports a request to the node agent's routes, whose bearer
// token is a node token read by the route itself (like POST /usage).
func agentRoute(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/api/v1/agent/") }
