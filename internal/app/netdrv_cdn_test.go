package app_test

import (
	"context"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/testutil/dnstest"
)

// TestCDNDriverOnboardsAndVerifies: a paid CDN line waits for its domain;
// onboarding checks the domain and origin and shows the TXT record and
// the CNAME target; the check fails until the TXT record is published
// (through a real DNS server on loopback), then the site is verified, the
// delivery recorded and the edge's agent — only that edge's — gets it.
func TestCDNDriverOnboardsAndVerifies(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	dnsSrv := dnstest.NewTXTZone(t)
	if err := s.a.ConfigureDelivery(app.DeliveryConfig{CDNZone: "cdn.yuanxu.test", CDNResolver: dnsSrv.Addr}); err != nil {
		t.Fatal(err)
	}
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	s.useDriver(t, "cdn-traffic", "nginx")
	_, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cdn-traffic", "c1t", "month")
	if o.State != "provisioning" {
		t.Fatalf("order = %s", o.State)
	}
	svc := s.serviceOf(t, p, o.ID)
	if d, _ := s.a.ServiceDelivery(ctx, p, svc.ID); d.Status != "pending" {
		t.Fatalf("delivery before onboarding = %+v", d)
	}
	_, err := s.a.CDNCheck(ctx, p, svc.ID)
	wantCode(t, err, app.CodeCDNNoSite)
	_, err = s.a.CDNOnboard(ctx, p, svc.ID, app.CDNSiteInput{Domain: "shop.example.test", Origin: "https://origin.example.cn"})
	wantCode(t, err, app.CodeCDNNoEdge)
	edge, err := s.a.NodeCreate(ctx, ops, app.NodeInput{ID: "gz-edge-1", Kind: "cdn", Name: "edge 1"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.a.NodeCreate(ctx, ops, app.NodeInput{ID: "gz-edge-2", Kind: "cdn", Name: "edge 2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		in   app.CDNSiteInput
		code string
	}{
		{app.CDNSiteInput{Domain: "*.example.test", Origin: "https://origin.example.cn"}, "cdn.domain_invalid"},
		{app.CDNSiteInput{Domain: "shop.example.test", Origin: "ftp://origin.example.cn"}, "cdn.origin_invalid"},
		{app.CDNSiteInput{Domain: "shop.example.test", Origin: "http://127.0.0.1:8080"}, "cdn.origin_invalid"}, // private origins are off
	} {
		_, err := s.a.CDNOnboard(ctx, p, svc.ID, bad.in)
		wantCode(t, err, bad.code)
	}
	_, err = s.a.CDNOnboard(ctx, ops, svc.ID, app.CDNSiteInput{Domain: "shop.example.test", Origin: "https://origin.example.cn"})
	if err == nil {
		t.Fatal("staff onboarded a customer's domain")
	}
	v, err := s.a.CDNOnboard(ctx, p, svc.ID, app.CDNSiteInput{Domain: "Shop.Example.Test.", Origin: "https://origin.example.cn"})
	if err != nil {
		t.Fatal(err)
	}
	if v.Verified || len(v.Domains) != 1 || v.Domains[0] != "shop.example.test" || v.TXTName != "_yuanxu-verify.shop.example.test" ||
		!strings.HasPrefix(v.TXTValue, "yuanxu-verify=") || !strings.HasSuffix(v.CNAMETarget, ".cdn.yuanxu.test") {
		t.Fatalf("site = %+v", v)
	}
	cfg, err := s.a.AgentConfigFor(ctx, edge.Token)
	if err != nil || cfg.Kind != "cdn" || len(cfg.Sites) != 0 {
		t.Fatalf("edge before verification = %+v, %v", cfg, err)
	}

	// Not published, then a wrong value, then the right one.
	_, err = s.a.CDNCheck(ctx, p, svc.ID)
	wantCode(t, err, "cdn.ownership_missing")
	dnsSrv.Publish(v.TXTName, "yuanxu-verify=someone-else")
	_, err = s.a.CDNCheck(ctx, p, svc.ID)
	wantCode(t, err, "cdn.ownership_mismatch")
	if d, _ := s.a.ServiceDelivery(ctx, p, svc.ID); d.Status != "pending" {
		t.Fatalf("delivery before verification = %+v", d)
	}
	dnsSrv.Publish(v.TXTName, "v=spf1 -all", v.TXTValue)
	if v, err = s.a.CDNCheck(ctx, p, svc.ID); err != nil || !v.Verified {
		t.Fatalf("check = %+v, %v", v, err)
	}
	d, err := s.a.ServiceDelivery(ctx, p, svc.ID)
	if err != nil || d.Status != "delivered" || d.Sandbox || !d.HasCredentials {
		t.Fatalf("delivery after verification = %+v, %v", d, err)
	}
	if got, _ := s.a.Order(ctx, p, o.ID); got.State != "delivered" {
		t.Fatalf("order = %s", got.State)
	}
	if _, err := s.a.CDNCheck(ctx, p, svc.ID); err != nil { // again: nothing more happens
		t.Fatal(err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'service.delivered' AND subject_id = $1`, svc.ID); n != 1 {
		t.Fatalf("delivered %d times", n)
	}
	cfg, err = s.a.AgentConfigFor(ctx, edge.Token)
	if err != nil || len(cfg.Sites) != 1 || cfg.Sites[0].Domains[0] != "shop.example.test" || cfg.Sites[0].Origin != "https://origin.example.cn" {
		t.Fatalf("edge after verification = %+v, %v", cfg, err)
	}
	if cfg, err := s.a.AgentConfigFor(ctx, other.Token); err != nil || len(cfg.Sites) != 0 {
		t.Fatalf("the other edge = %+v, %v", cfg, err)
	}

	// Changing the origin keeps the verification; the domain is taken for
	// anyone else; a stranger sees nothing.
	if v, err = s.a.CDNOnboard(ctx, p, svc.ID, app.CDNSiteInput{Domain: "shop.example.test", Origin: "https://origin2.example.cn:8443"}); err != nil || !v.Verified {
		t.Fatalf("origin change = %+v, %v", v, err)
	}
	o2 := s.buy(t, p, "cdn-traffic", "c1t", "month")
	svc2 := s.serviceOf(t, p, o2.ID)
	_, err = s.a.CDNOnboard(ctx, p, svc2.ID, app.CDNSiteInput{Domain: "shop.example.test", Origin: "https://origin.example.cn"})
	wantCode(t, err, app.CodeCDNDomainTaken)
	_, stranger := s.buyer(t, 0)
	_, err = s.a.CDNSite(ctx, stranger, svc.ID)
	wantKind(t, err, errs.NotFound)
	// A sweep verifies a site whose record the customer published later.
	v2, err := s.a.CDNOnboard(ctx, p, svc2.ID, app.CDNSiteInput{Domain: "cdn2.example.test", Origin: "https://origin.example.cn"})
	if err != nil {
		t.Fatal(err)
	}
	dnsSrv.Publish(v2.TXTName, v2.TXTValue)
	if n, err := s.a.CDNCheckSweep(ctx, 10); err != nil || n != 1 {
		t.Fatalf("sweep = %d, %v", n, err)
	}
	if d, _ := s.a.ServiceDelivery(ctx, p, svc2.ID); d.Status != "delivered" {
		t.Fatalf("swept delivery = %+v", d)
	}
}
