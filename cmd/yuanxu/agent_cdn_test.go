package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/testutil/dnstest"
	"yuanxu/internal/testutil/nginxtest"
	"yuanxu/internal/webtest"
)

// cdnEdge is what setupCDNEdge made.
type cdnEdge struct {
	svc       string // the CDN service, its domain onboarded, not verified
	site      app.CDNSiteView
	tokenFile string // the edge's token
}

// setupCDNEdge configures the CDN delivery against zone (private
// origins allowed), puts the demo CDN product on the nginx driver,
// creates edge gz-edge-1 (its token in a file) and a loopback origin
// answering "origin saw host <Host>", and has cust buy a CDN service and
// onboard shop.example.test onto it.
func setupCDNEdge(t *testing.T, s *webtest.Server, cust, ops, admin account.Principal, zone *dnstest.TXTZone) cdnEdge {
	t.Helper()
	ctx := context.Background()
	if err := s.App.ConfigureDelivery(app.DeliveryConfig{CDNZone: "cdn.yuanxu.test", CDNResolver: zone.Addr, CDNAllowPrivateOrigins: true}); err != nil {
		t.Fatal(err)
	}
	useDriver(t, s.App, admin, "cdn-traffic", "nginx")
	edge, err := s.App.NodeCreate(ctx, ops, app.NodeInput{ID: "gz-edge-1", Kind: "cdn", Name: "edge 1"})
	if err != nil {
		t.Fatal(err)
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "origin saw host %s", r.Host)
	}))
	t.Cleanup(origin.Close)
	e := cdnEdge{svc: buyOne(t, s.App, cust, "cdn-traffic", "c1t"), tokenFile: filepath.Join(t.TempDir(), "token")}
	if e.site, err = s.App.CDNOnboard(ctx, cust, e.svc, app.CDNSiteInput{Domain: "shop.example.test", Origin: origin.URL}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.tokenFile, []byte(edge.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// privateNginx starts nginx (nginxtest.Start) with a sites file holding
// a default server only, and returns it with the agent flags that drive
// it.
func privateNginx(t *testing.T) (*nginxtest.Nginx, []string) {
	t.Helper()
	n := nginxtest.Start(t, "yuanxu-sites.conf", func(listen string) ([]byte, error) {
		return []byte("server {\n    listen " + listen + " default_server;\n    return 404;\n}\n"), nil
	})
	return n, []string{"--nginx-sites", n.Sites, "--nginx-binary", n.Bin, "--nginx-prefix", n.Dir + "/",
		"--nginx-config", n.Conf, "--nginx-error-log", n.ErrorLog, "--http-listen", n.Listen(), "--default-status", "404", "--allow-private-origins"}
}

// TestAgentServesVerifiedSiteThroughNginx: a CDN service onboards a
// domain with a loopback origin; before the TXT record is verified the
// edge's agent renders no site (unknown host: 404); after the check
// (through a DNS server on loopback) the agent renders and reloads a
// private nginx, and a request with the customer's Host reaches the
// origin through the edge (that an edge gets only its own sites is
// internal/app's TestCDNDriverOnboardsAndVerifies).
func TestAgentServesVerifiedSiteThroughNginx(t *testing.T) {
	t.Parallel()
	edge, nginxFlags := privateNginx(t)
	zone := dnstest.NewTXTZone(t)
	s, cust, _, ops, admin := agentServer(t)
	ctx := context.Background()
	e := setupCDNEdge(t, s, cust, ops, admin, zone)
	svc, site, tok := e.svc, e.site, e.tokenFile
	args := append([]string{"--server", s.URL, "--token-file", tok, "--once"}, nginxFlags...)
	if out, err := runAgent(t, args...); err != nil {
		t.Fatalf("agent: %v\n%s", err, out)
	}
	edge.WaitFor(t, "shop.example.test", http.StatusNotFound) // not verified: not served

	zone.Publish(site.TXTName, site.TXTValue)
	if v, err := s.App.CDNCheck(ctx, cust, svc); err != nil || !v.Verified {
		t.Fatalf("check = %+v, %v", v, err)
	}
	if out, err := runAgent(t, args...); err != nil {
		t.Fatalf("agent: %v\n%s", err, out)
	}
	if body := edge.WaitFor(t, "shop.example.test", http.StatusOK); body != "origin saw host shop.example.test" {
		t.Fatalf("through the edge: %q", body)
	}
	edge.WaitFor(t, "other.example.test", http.StatusNotFound)
	if d, err := s.App.ServiceDelivery(ctx, cust, svc); err != nil || d.Status != "delivered" {
		t.Fatalf("delivery = %+v, %v", d, err)
	}

	// A revoked edge token: the agent fails clearly and the edge keeps
	// serving what it had.
	if _, err := s.App.NodeRevoke(ctx, ops, "gz-edge-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := runAgent(t, args...); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("agent with a revoked token = %v", err)
	}
	edge.WaitFor(t, "shop.example.test", http.StatusOK)
}
