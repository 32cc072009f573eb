package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/money"
)

// TestServicePageWireGuardAndCDN: the demo's WireGuard line (on the
// sandbox VPN node) offers its configuration and QR code only after the
// password is typed again; the demo's CDN product takes a domain and
// shows the TXT record and CNAME target to publish.
func TestServicePageWireGuardAndCDN(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	p := principalOf(t, s, demoIndividual)
	if _, err := s.App.SandboxTopUp(ctx, p, money.Fen(100000)); err != nil {
		t.Fatal(err)
	}
	vpn, cdnSvc := buyFor(t, s, p, "vpn-wireguard", "w10", "month"), buyFor(t, s, p, "cdn-edge", "e100", "month")

	cl := shopClient(t, s, demoIndividual, "en")
	if _, err := s.App.SandboxAdvance(ctx, 6*time.Minute); err != nil { // the sign-in is no longer recent
		t.Fatal(err)
	}
	_, doc := htmlOf(t, cl, "GET", "/services/"+vpn, nil, http.StatusOK)
	if doc.byID("wireguard-form") == nil || doc.byID("wireguard-download") != nil ||
		!strings.HasPrefix(mustID(t, doc, "delivery-addresses").textContent(), "10.66.0.") {
		t.Fatalf("WireGuard section %q", mustID(t, doc, "delivery").textContent())
	}
	if res := cl.Do(t, "GET", "/services/"+vpn+"/wireguard.conf", nil); res.Status == http.StatusOK {
		t.Fatal("configuration without re-authentication")
	}
	htmlOf(t, cl, "POST", "/services/"+vpn+"/wireguard", url.Values{"password": {"wrong password 1"}}, http.StatusUnauthorized)
	_, doc = htmlOf(t, cl, "POST", "/services/"+vpn+"/wireguard", url.Values{"password": {demoIndividual.Password}}, http.StatusOK)
	if doc.byID("wireguard-download") == nil || doc.byID("wireguard-qr") == nil {
		t.Fatalf("after re-authentication %q", mustID(t, doc, "wireguard").textContent())
	}
	res := cl.Do(t, "GET", "/services/"+vpn+"/wireguard.conf", nil)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), "Endpoint = vpn.demo.yuanxu.test:51820") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), ".conf") {
		t.Fatalf("configuration: %d %s", res.Status, res.Body)
	}
	if res := cl.Do(t, "GET", "/services/"+vpn+"/wireguard.png", nil); res.Status != http.StatusOK || res.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("QR code: %d %s", res.Status, res.Header.Get("Content-Type"))
	}

	_, doc = htmlOf(t, cl, "GET", "/services/"+cdnSvc, nil, http.StatusOK)
	if doc.byID("cdn-form") == nil || doc.byID("cdn-site") != nil || mustID(t, doc, "delivery-status").attrs["data-status"] != "pending" {
		t.Fatalf("CDN section %q", mustID(t, doc, "delivery").textContent())
	}
	res = cl.Do(t, "POST", "/services/"+cdnSvc+"/cdn", url.Values{"domain": {"shop.example.cn"}, "origin": {"https://origin.example.cn"}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
	if res.Status != http.StatusSeeOther {
		t.Fatalf("onboard: %d %s", res.Status, res.Body)
	}
	_, doc = htmlOf(t, cl, "GET", "/services/"+cdnSvc+"?done=cdn_saved", nil, http.StatusOK)
	if mustID(t, doc, "cdn-site").attrs["data-verified"] != "no" || !strings.Contains(mustID(t, doc, "cdn-txt").textContent(), "_yuanxu-verify.shop.example.cn") ||
		!strings.Contains(mustID(t, doc, "cdn-cname").textContent(), ".cdn.yuanxu.invalid") || doc.byID("cdn-check-form") == nil {
		t.Fatalf("CDN site %q", mustID(t, doc, "cdn").textContent())
	}
	_, doc = htmlOf(t, cl, "POST", "/services/"+cdnSvc+"/cdn", url.Values{"domain": {"*.example.cn"}, "origin": {"https://origin.example.cn"}},
		http.StatusUnprocessableEntity)
	if !strings.Contains(doc.textContent(), "domain") {
		t.Errorf("refused domain page %q", doc.textContent())
	}
}
