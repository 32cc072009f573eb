package web_test

import (
	"net/http"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/webtest"
)

// TestNetDeliveryAPI: the demo's WireGuard line is delivered on the
// sandbox VPN node; its configuration and QR code answer the owner's
// fresh session; the demo VPN node's agent pulls exactly that peer with
// its token, and once the token is revoked gets 401 with a problem body;
// the CDN product takes a domain and shows what to publish.
func TestNetDeliveryAPI(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := demoIndividual(t, s, langs[1])
	ops := staffClient(t, s, account.RoleOperations)
	sv := buyService(t, c, "vpn-wireguard", "w10")
	d := webtest.Decode[app.ServiceDeliveryView](t, c.Do(t, "GET", "/api/v1/services/"+sv.ID+"/delivery", nil), http.StatusOK)
	if d.Status != "delivered" || d.Driver != "wireguard" || len(d.Addresses) != 1 || !strings.HasPrefix(d.Addresses[0], "10.66.0.") {
		t.Fatalf("delivery %+v", d)
	}
	res := c.Do(t, "GET", "/api/v1/services/"+sv.ID+"/wireguard.conf", nil)
	if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(string(res.Body), "Address = "+d.Addresses[0]+"/32") {
		t.Fatalf("conf: %d %s %s", res.Status, res.Header.Get("Content-Type"), res.Body)
	}
	if res := c.Do(t, "GET", "/api/v1/services/"+sv.ID+"/wireguard.png?size=256", nil); res.Status != http.StatusOK ||
		res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("png: %d", res.Status)
	}

	agent := s.NewClient("Authorization", "Bearer "+app.DemoVPNToken)
	cfg := webtest.Decode[app.AgentConfig](t, agent.Do(t, "GET", "/api/v1/agent/config", nil), http.StatusOK)
	if cfg.NodeID != app.DemoVPNNode || cfg.Kind != "vpn" || cfg.WireGuard == nil || len(cfg.WireGuard.Peers) != 1 ||
		cfg.WireGuard.Peers[0].AllowedIPs[0] != d.Addresses[0]+"/32" {
		t.Fatalf("agent config %+v", cfg)
	}
	wantProblem(t, agent.Do(t, "POST", "/api/v1/agent/wireguard-key", map[string]string{"public_key": "nope"}), http.StatusUnprocessableEntity,
		app.CodeVPNNodeInvalid, "", "body.public_key")
	edge := s.NewClient("Authorization", "Bearer "+app.DemoEdgeToken)
	if cfg := webtest.Decode[app.AgentConfig](t, edge.Do(t, "GET", "/api/v1/agent/config", nil), http.StatusOK); cfg.Kind != "cdn" || len(cfg.Sites) != 0 {
		t.Fatalf("edge config %+v", cfg)
	}
	wantProblem(t, edge.Do(t, "POST", "/api/v1/agent/wireguard-key", map[string]string{"public_key": cfg.WireGuard.PublicKey}), http.StatusConflict,
		app.CodeAgentKind, "", "")
	if res := ops.Do(t, "POST", "/api/v1/staff/nodes/"+app.DemoVPNNode+"/revoke", nil); res.Status != http.StatusOK {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	wantProblem(t, agent.Do(t, "GET", "/api/v1/agent/config", nil), http.StatusUnauthorized, app.CodeNodeUnauthorized, "", "")
	wantProblem(t, s.NewClient().Do(t, "GET", "/api/v1/agent/config", nil), http.StatusUnauthorized, app.CodeNodeUnauthorized, "", "")

	v := webtest.Decode[app.VPNNodeView](t, ops.Do(t, "GET", "/api/v1/staff/nodes/"+app.DemoVPNNode+"/wireguard", nil), http.StatusOK)
	if v.PoolV4 != "10.66.0.0/24" || v.PublicKey == "" {
		t.Fatalf("vpn node %+v", v)
	}
	wantProblem(t, ops.Do(t, "PUT", "/api/v1/staff/nodes/"+app.DemoEdgeNode+"/wireguard", map[string]any{"endpoint": "e.example.cn:51820",
		"listen_port": 51820, "pool_v4": "10.98.0.0/24"}), http.StatusUnprocessableEntity, "node.invalid", "", "path.id")

	cdnSvc := buyService(t, c, "cdn-edge", "e100")
	site := webtest.Decode[app.CDNSiteView](t, c.Do(t, "PUT", "/api/v1/services/"+cdnSvc.ID+"/cdn-site", map[string]string{"domain": "api.example.cn",
		"origin": "https://origin.example.cn"}), http.StatusOK)
	if site.Verified || site.TXTName != "_yuanxu-verify.api.example.cn" || !strings.HasSuffix(site.CNAMETarget, ".cdn.yuanxu.invalid") {
		t.Fatalf("site %+v", site)
	}
	wantProblem(t, c.Do(t, "PUT", "/api/v1/services/"+cdnSvc.ID+"/cdn-site", map[string]string{"domain": "api.example.cn", "origin": "http://127.0.0.1"}),
		http.StatusUnprocessableEntity, "cdn.origin_invalid", "", "body.origin")
	wantProblem(t, c.Do(t, "PUT", "/api/v1/services/"+sv.ID+"/cdn-site", map[string]string{"domain": "x.example.cn", "origin": "https://origin.example.cn"}),
		http.StatusConflict, app.CodeCDNNotCDN, "", "")
}
