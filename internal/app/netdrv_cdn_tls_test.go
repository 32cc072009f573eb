package app_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/testutil/dnstest"
)

// cdnSite buys a CDN line, onboards domain and verifies it through dns;
// it returns the service id.
func (s acmeSUT) cdnSite(t *testing.T, p account.Principal, dnsSrv *dnstest.TXTZone, domain string) string {
	t.Helper()
	ctx := context.Background()
	svc := s.serviceOf(t, p, s.buy(t, p, "cdn-traffic", "c1t", "month").ID)
	site, err := s.a.CDNOnboard(ctx, p, svc.ID, app.CDNSiteInput{Domain: domain, Origin: "http://127.0.0.1:9"})
	if err != nil {
		t.Fatal(err)
	}
	dnsSrv.Publish(site.TXTName, site.TXTValue)
	if v, err := s.a.CDNCheck(ctx, p, svc.ID); err != nil || !v.Verified {
		t.Fatalf("check = %+v, %v", v, err)
	}
	return svc.ID
}

// edgeTLS is the certificate the edge's agent is given for the site with
// domain (nil: none), checked against Pebble's root and its key.
func (s acmeSUT) edgeTLS(t *testing.T, token, domain string) (*app.AgentTLS, *x509.Certificate) {
	t.Helper()
	cfg, err := s.a.AgentConfigFor(context.Background(), token)
	if err != nil {
		t.Fatal(err)
	}
	for _, site := range cfg.Sites {
		if site.Domains[0] != domain || site.TLS == nil {
			continue
		}
		pair, err := tls.X509KeyPair([]byte(site.TLS.CertificatePEM), []byte(site.TLS.KeyPEM))
		if err != nil {
			t.Fatalf("certificate and key: %v", err)
		}
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		inter := x509.NewCertPool()
		for _, der := range pair.Certificate[1:] {
			c, err := x509.ParseCertificate(der)
			if err != nil {
				t.Fatal(err)
			}
			inter.AddCert(c)
		}
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: s.pebble.Roots(t), Intermediates: inter, DNSName: domain, CurrentTime: leaf.NotBefore.Add(time.Minute)}); err != nil {
			t.Fatalf("verify: %v", err)
		}
		return site.TLS, leaf
	}
	return nil, nil
}

// TestCDNSiteCertificateIssuedAndRenewed: a verified CDN site, once its
// edge's agent has pulled it, gets a certificate from Pebble by HTTP-01
// (real validation) with a key we
// generate and keep sealed; only its edge's agent receives certificate and
// key; the sweep leaves it until DefaultCertRenewBefore its end, then
// renews it through the same path and tells the customer. A domain the
// CA cannot validate gets no certificate, a recorded reason and a
// back-off (the CA is not asked again at once).
func TestCDNSiteCertificateIssuedAndRenewed(t *testing.T) {
	t.Parallel()
	s := newACMEApp(t, false)
	ctx := context.Background()
	dnsSrv := dnstest.NewTXTZone(t)
	if err := s.a.ConfigureDelivery(app.DeliveryConfig{CDNZone: "cdn.yuanxu.test", CDNResolver: dnsSrv.Addr, CDNAllowPrivateOrigins: true}); err != nil {
		t.Fatal(err)
	}
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	s.useDriver(t, "cdn-traffic", "nginx")
	edge, err := s.a.NodeCreate(ctx, ops, app.NodeInput{ID: "gz-edge-1", Kind: "cdn", Name: "edge 1"})
	if err != nil {
		t.Fatal(err)
	}
	_, p := s.buyer(t, 100000)
	sweep := func(want int64) {
		t.Helper()
		if n, err := s.a.CDNCertSweep(ctx, s.clock.Now()); err != nil || n != want {
			t.Fatalf("sweep = %d, %v; want %d", n, err, want)
		}
	}
	sweep(0)
	svc := s.cdnSite(t, p, dnsSrv, "shop.example.test")
	s.pebble.AddA(t, "shop.example.test", "127.0.0.1") // the domain reaches our challenge handler
	sweep(0)                                           // verified, but its edge has not pulled it yet
	if _, err := s.a.AgentConfigFor(ctx, edge.Token); err != nil {
		t.Fatal(err)
	}
	sweep(1)
	first, leaf := s.edgeTLS(t, edge.Token, "shop.example.test")
	if first == nil {
		t.Fatal("the edge got no certificate")
	}
	if v, err := s.a.CDNSite(ctx, p, svc); err != nil || v.HTTPS != "active" || !v.HTTPSNotAfter.Equal(first.NotAfter) || v.HTTPSError != "" {
		t.Fatalf("the customer's view of HTTPS = %+v, %v", v, err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM cdn_site_cert WHERE service_id = $1 AND key_pem <> '' AND key_pem NOT LIKE '%PRIVATE%'`, svc); n != 1 {
		t.Fatal("the key is not stored sealed")
	}
	other, err := s.a.NodeCreate(ctx, ops, app.NodeInput{ID: "gz-edge-2", Kind: "cdn", Name: "edge 2"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg, err := s.a.AgentConfigFor(ctx, other.Token); err != nil || len(cfg.Sites) != 0 {
		t.Fatalf("another edge sees %+v, %v", cfg, err)
	}
	sweep(0) // not due
	if n := s.orders.Load(); n != 1 {
		t.Fatalf("orders at the CA = %d", n)
	}

	// A domain the CA cannot reach: refused by Pebble's validation.
	bad := s.cdnSite(t, p, dnsSrv, "elsewhere.example.test")
	if _, err := s.a.AgentConfigFor(ctx, edge.Token); err != nil {
		t.Fatal(err)
	}
	sweep(0)
	if tl, _ := s.edgeTLS(t, edge.Token, "elsewhere.example.test"); tl != nil {
		t.Fatal("a certificate for a domain that failed validation")
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM cdn_site_cert WHERE service_id = $1 AND attempts = 1 AND reason <> '' AND cert_pem = ''`, bad); n != 1 {
		t.Fatal("the failure is not recorded")
	}
	if v, err := s.a.CDNSite(ctx, p, bad); err != nil || v.HTTPS != "pending" || v.HTTPSError == "" {
		t.Fatalf("the customer's view of a failing certificate = %+v, %v", v, err)
	}
	before := s.orders.Load()
	sweep(0) // backing off
	if n := s.orders.Load(); n != before {
		t.Fatalf("the CA was asked again at once (%d orders)", n-before)
	}

	// Renewal, DefaultCertRenewBefore before the end.
	s.clock.Advance(first.NotAfter.Add(-app.DefaultCertRenewBefore).Add(-time.Minute).Sub(s.clock.Now()))
	sweep(0)
	s.clock.Advance(time.Minute)
	sweep(1) // the failing site is tried again too, and fails again
	second, leaf2 := s.edgeTLS(t, edge.Token, "shop.example.test")
	if second == nil || leaf2.SerialNumber.Cmp(leaf.SerialNumber) == 0 || second.KeyPEM == first.KeyPEM {
		t.Fatal("not renewed")
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM notification WHERE event = 'certificate.renewed' AND subject_id = $1`, svc); n != 1 {
		t.Fatalf("renewal notices = %d", n)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE subject_id = $1 AND action = 'cdn.certificate_issued'`, svc); n != 2 {
		t.Fatalf("issues audited = %d", n)
	}
	blk, _ := pem.Decode([]byte(second.KeyPEM))
	if blk == nil || blk.Type != "PRIVATE KEY" {
		t.Fatal("the edge's key is not a PKCS#8 PEM")
	}
}
