package app_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
	"yuanxu/internal/mailpittest"
	"yuanxu/internal/pebbletest"
	"yuanxu/internal/provider/acme"
	"yuanxu/internal/provider/email"
	"yuanxu/internal/store/storetest"
)

const acmeZone = "acme.yuanxu.test"

var errTestCrash = errors.New("crash before the record")

// acmeSUT is a commerce app with the acme driver configured against a
// real Pebble (real validation), our HTTP-01 handler on Pebble's
// validation port and our delegation zone's DNS server.
type acmeSUT struct {
	commerceSUT
	pebble   *pebbletest.Server
	requests *atomic.Int64 // every request to the CA
	orders   *atomic.Int64 // new orders opened at the CA
	mail     *mailpittest.Server
}

type caCounter struct {
	next             http.RoundTripper
	requests, orders *atomic.Int64
}

// RoundTrip counts requests, and orders the CA created (201): Pebble
// refuses 5 % of good nonces, and lego resends such a request.
func (c caCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	c.requests.Add(1)
	res, err := c.next.RoundTrip(r)
	if err == nil && r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/order-plz") && res.StatusCode == http.StatusCreated {
		c.orders.Add(1)
	}
	return res, err
}

// newACMEApp builds the SUT; withMail also wires mailpit and the sandbox
// SMS provider into notifications (before anything is sent).
func newACMEApp(t *testing.T, withMail bool) acmeSUT {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewManual(time.Now().UTC().Truncate(time.Second))
	logs := &lockedBuffer{}
	db := storetest.Open(t)
	a, _ := newApp(t, db, app.Config{Clock: clk, Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	s := acmeSUT{requests: &atomic.Int64{}, orders: &atomic.Int64{}}
	if withMail {
		s.mail = mailpittest.Start(t, mailpittest.Options{})
		sms, err := a.StartSandboxSMS("aliyun")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sms.Close(context.Background()) })
		ep, _ := email.ParseURL(s.mail.SMTPURL("none"))
		sender, err := email.New(email.Config{Endpoint: ep, From: "元序 <noreply@yuanxu.test>", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.ConfigureNotify(app.NotifyConfig{Email: sender, SMS: sms.Sender, SMSCodes: sms.Codes, SMSSignName: "元序",
			MessageIDDomain: "yuanxu.test"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.ConfigureAccounts(app.AccountConfig{Hash: account.TestParams, HashConcurrency: 4}); err != nil {
		t.Fatal(err)
	}
	if err := a.ConfigureKYC(app.KYCConfig{Verifier: kyc.SandboxVerifier{}, MaxLicenceBytes: 64 << 10}); err != nil {
		t.Fatal(err)
	}
	ks := kycSUT{acctSUT: acctSUT{a: a, clock: clk}, logs: logs, db: db, sec: a.Secrets()}
	ks.admin = ks.staff(t, nil, "admin", account.RoleAdmin)
	s.commerceSUT = commerceSUT{kycSUT: ks}
	if err := a.SeedDemoCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	s.catalog = s.staff(t, nil, "catalog", account.RoleAdmin)
	t.Cleanup(func() { s.verifyLedger(t) })

	// Our delegation zone's DNS server, on a loopback UDP port Pebble's
	// resolver delegates the zone to.
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.pebble = pebbletest.Start(t, pebbletest.Options{Delegations: map[string]string{acmeZone: pc.LocalAddr().String()}})
	s.pebble.ServeHTTP01(t, a.ACMEChallengeHandler())
	hc := s.pebble.HTTPClient()
	hc.Transport = caCounter{next: hc.Transport, requests: s.requests, orders: s.orders}
	if err := a.ConfigureACME(ctx, app.ACMEConfig{DirectoryURL: s.pebble.DirectoryURL, HTTPClient: hc, Email: "ops@yuanxu.test", Zone: acmeZone,
		Resolver: s.pebble.ResolverAddr, PollInterval: 50 * time.Millisecond, StepTimeout: 30 * time.Second}); err != nil {
		t.Fatalf("ConfigureACME: %v", err)
	}
	zctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.ACMEZoneServer().ServeConn(zctx, pc, nil) }()
	t.Cleanup(func() { cancel(); <-done })

	// The DV product is delivered by ACME.
	pv, err := a.Product(ctx, nil, "cert-dv")
	if err != nil {
		t.Fatal(err)
	}
	pv.Driver = "acme"
	if _, err := a.ProductSave(ctx, s.catalog, pv); err != nil {
		t.Fatal(err)
	}
	s.requests.Store(0)
	s.orders.Store(0)
	return s
}

func (s acmeSUT) certStates(t *testing.T, p account.Principal, serviceID string) []string {
	t.Helper()
	v, err := s.a.Certificate(context.Background(), p, serviceID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, c := range v.CertStates {
		if i > 0 && c.At.Before(v.CertStates[i-1].At) {
			out = append(out, "time went backwards")
		}
		out = append(out, c.State)
	}
	return out
}

// verifyCert checks the certificate chains to Pebble's root for domain.
func (s acmeSUT) verifyCert(t *testing.T, v app.CertificateView, domain string, wantKey crypto.PublicKey) {
	t.Helper()
	blk, _ := pem.Decode([]byte(v.CertificatePEM))
	if blk == nil {
		t.Fatalf("no certificate PEM in %+v", v)
	}
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	inter := x509.NewCertPool()
	if !inter.AppendCertsFromPEM([]byte(v.ChainPEM)) {
		t.Fatal("no chain PEM")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: s.pebble.Roots(t), Intermediates: inter, DNSName: domain}); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if !leaf.NotAfter.Equal(v.NotAfter) {
		t.Errorf("not_after %v, leaf %v", v.NotAfter, leaf.NotAfter)
	}
	if wantKey != nil && !leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(wantKey) {
		t.Error("certificate is for another key")
	}
}

func acmeCSR(t *testing.T, key crypto.Signer, names ...string) string {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: names[0]}, DNSNames: names}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// TestACMEDeliversDVByHTTP01: a paid DV certificate waits for the
// customer's domain; once submitted, the driver proves control by HTTP-01
// (our handler, real validation at Pebble), records the states in order,
// delivers, emails the certificate and chain (never the key) and sends an
// SMS notice; the generated key is shown only after re-authentication.
func TestACMEDeliversDVByHTTP01(t *testing.T) {
	t.Parallel()
	s := newACMEApp(t, true)
	ctx := context.Background()
	start(t, s.a)
	r, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cert-dv", "dv1", "one_off")
	svc := s.serviceOf(t, p, o.ID)
	waitFor(t, "the delivery to wait for the customer", func() bool {
		dv, err := s.a.ServiceDelivery(ctx, p, svc.ID)
		return err == nil && dv.Status == "pending"
	})
	if n := s.orders.Load(); n != 0 {
		t.Fatalf("orders before the customer's request: %d", n)
	}
	s.pebble.AddA(t, "shop.example.test", "127.0.0.1") // the customer's domain reaches our challenge handler
	v, err := s.a.SubmitCertificateRequest(ctx, p, svc.ID, app.CertificateRequestInput{Domains: []string{"Shop.Example.Test"}, Challenge: "http-01"})
	if err != nil || v.State != "submitted" || !slices.Equal(v.Domains, []string{"shop.example.test"}) {
		t.Fatalf("submit = %+v, %v", v, err)
	}
	_, err = s.a.SubmitCertificateRequest(ctx, p, svc.ID, app.CertificateRequestInput{Domains: []string{"shop.example.test"}, Challenge: "http-01"})
	wantCode(t, err, app.CodeACMERequestExists)
	waitFor(t, "the job's delivery", func() bool {
		got, err := s.a.Order(ctx, p, o.ID)
		return err == nil && got.State == "delivered"
	})
	if got := s.certStates(t, p, svc.ID); !slices.Equal(got, []string{"validating", "submitted_to_ca", "issued"}) {
		t.Fatalf("states = %v", got)
	}
	v, err = s.a.Certificate(ctx, p, svc.ID)
	if err != nil || v.State != "issued" || !v.HasPrivateKey || v.CustomerCSR {
		t.Fatalf("certificate = %+v, %v", v, err)
	}
	_, res := s.login(t, r.email, goodPassword)
	key, err := s.a.CertificateKey(ctx, p, res.SessionToken, svc.ID)
	if err != nil || !strings.Contains(key, "PRIVATE KEY") {
		t.Fatalf("key = %.30q, %v", key, err)
	}
	blk, _ := pem.Decode([]byte(key))
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	s.verifyCert(t, v, "shop.example.test", k.(crypto.Signer).Public())
	_, err = s.a.CertificateKey(ctx, p, "", svc.ID)
	if err == nil {
		t.Fatal("key without a session")
	}
	s.clock.Advance(6 * time.Minute) // past account.ReauthWindow
	_, err = s.a.CertificateKey(ctx, p, res.SessionToken, svc.ID)
	wantCode(t, err, "session.reauth_required")

	// The email: certificate and chain, no key.
	var msg mailpittest.Message
	waitFor(t, "the certificate email", func() bool {
		for _, m := range s.mail.Messages(t) {
			if strings.Contains(m.Subject, "shop.example.test") {
				msg = s.mail.Message(t, m.ID)
				return true
			}
		}
		return false
	})
	body := strings.ReplaceAll(msg.Text, "\r\n", "\n")
	if !strings.Contains(body, strings.TrimSpace(v.CertificatePEM)) || !strings.Contains(body, strings.TrimSpace(v.ChainPEM)) {
		t.Fatalf("the email lacks the certificate or chain:\n%s", body)
	}
	if strings.Contains(body, "PRIVATE KEY") || strings.Contains(body, strings.TrimSpace(key)) {
		t.Fatal("the email carries a private key")
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM notification WHERE event = 'certificate.issued' AND subject_id = $1`, svc.ID); n == 0 {
		t.Fatal("no certificate.issued notification")
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM acme_cert_request WHERE service_id = $1 AND key_pem <> '' AND key_pem NOT LIKE '%PRIVATE%'`, svc.ID); n != 1 {
		t.Fatal("the generated key is not stored sealed")
	}
	if n := s.orders.Load(); n != 1 {
		t.Fatalf("orders at the CA = %d", n)
	}
}

// TestACMEDNS01 covers the customer's TXT record (with their own CSR) and
// the CNAME delegation to our zone.
func TestACMEDNS01(t *testing.T) {
	t.Parallel()
	s := newACMEApp(t, false)
	ctx := context.Background()
	_, p := s.buyer(t, 100000)

	t.Run("CustomerTXTWithCSR", func(t *testing.T) {
		key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		o := s.buy(t, p, "cert-dv", "dv1", "one_off")
		svc := s.serviceOf(t, p, o.ID)
		if _, err := s.a.SubmitCertificateRequest(ctx, p, svc.ID, app.CertificateRequestInput{Domains: []string{"txt.example.test"},
			Challenge: "dns-01", DNSMode: "txt", CSR: acmeCSR(t, key, "txt.example.test")}); err != nil {
			t.Fatal(err)
		}
		if err := s.a.ProvisionService(ctx, svc.ID); err != nil {
			t.Fatal(err)
		}
		v, err := s.a.Certificate(ctx, p, svc.ID)
		if err != nil || v.State != "awaiting_customer" || len(v.Records) != 1 || v.Records[0].Type != "TXT" ||
			v.Records[0].Name != "_acme-challenge.txt.example.test." || v.Records[0].Value == "" {
			t.Fatalf("certificate = %+v, %v", v, err)
		}
		if got := s.certStates(t, p, svc.ID); len(got) != 0 {
			t.Fatalf("states before validation = %v", got)
		}
		s.pebble.AddTXT(t, v.Records[0].Name, v.Records[0].Value)
		if _, err := s.a.ConfirmCertificateChallenge(ctx, p, svc.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.a.ProvisionService(ctx, svc.ID); err != nil {
			t.Fatal(err)
		}
		v, err = s.a.Certificate(ctx, p, svc.ID)
		if err != nil || v.State != "issued" || v.HasPrivateKey || !v.CustomerCSR {
			t.Fatalf("certificate = %+v, %v", v, err)
		}
		s.verifyCert(t, v, "txt.example.test", key.Public())
		if got := s.certStates(t, p, svc.ID); !slices.Equal(got, []string{"validating", "submitted_to_ca", "issued"}) {
			t.Fatalf("states = %v", got)
		}
		_, err = s.a.ConfirmCertificateChallenge(ctx, p, svc.ID)
		wantCode(t, err, app.CodeACMENotAwaiting)
	})

	t.Run("DelegatedByCNAME", func(t *testing.T) {
		o := s.buy(t, p, "cert-dv", "dv1", "one_off")
		svc := s.serviceOf(t, p, o.ID)
		s.pebble.SetCNAME(t, acme.ChallengeName("deleg.example.test"), acme.DelegationTarget("deleg.example.test", acmeZone))
		if _, err := s.a.SubmitCertificateRequest(ctx, p, svc.ID, app.CertificateRequestInput{Domains: []string{"deleg.example.test"},
			Challenge: "dns-01", DNSMode: "cname"}); err != nil {
			t.Fatal(err)
		}
		if err := s.a.ProvisionService(ctx, svc.ID); err != nil {
			t.Fatal(err)
		}
		v, err := s.a.Certificate(ctx, p, svc.ID)
		if err != nil || v.State != "issued" {
			t.Fatalf("certificate = %+v, %v", v, err)
		}
		s.verifyCert(t, v, "deleg.example.test", nil)
		if n := countRows(t, s.a, `SELECT COUNT(*) FROM acme_txt_record`); n != 0 {
			t.Fatalf("%d TXT records left published", n)
		}
	})
}

// TestACMERejectedByCAIsRefundableInFull: a domain the customer does not
// control fails at Pebble's own validation; ca_rejected is recorded with
// the CA's reason, the delivery fails and the refund preview is a full
// refund.
func TestACMERejectedByCAIsRefundableInFull(t *testing.T) {
	t.Parallel()
	s := newACMEApp(t, false)
	ctx := context.Background()
	_, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cert-dv", "dv1", "one_off")
	svc := s.serviceOf(t, p, o.ID)
	s.pebble.AddA(t, "elsewhere.example.test", "127.0.0.2") // nobody there serves our token
	if _, err := s.a.SubmitCertificateRequest(ctx, p, svc.ID, app.CertificateRequestInput{Domains: []string{"elsewhere.example.test"},
		Challenge: "http-01"}); err != nil {
		t.Fatal(err)
	}
	if err := s.a.ProvisionService(ctx, svc.ID); err != nil {
		t.Fatal(err)
	}
	v, err := s.a.Certificate(ctx, p, svc.ID)
	if err != nil || v.State != "rejected" || v.Reason == "" || v.CertificatePEM != "" {
		t.Fatalf("certificate = %+v, %v", v, err)
	}
	if got := s.certStates(t, p, svc.ID); !slices.Equal(got, []string{"validating", "ca_rejected"}) {
		t.Fatalf("states = %v", got)
	}
	if v.CertStates[1].Note == "" {
		t.Error("ca_rejected without the CA's reason")
	}
	dv, err := s.a.ServiceDelivery(ctx, p, svc.ID)
	if err != nil || dv.Status != "failed" {
		t.Fatalf("delivery = %+v, %v", dv, err)
	}
	d, err := s.a.RefundPreview(ctx, p, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := s.a.Order(ctx, p, o.ID)
	if d.Outcome != "eligible" || d.AmountFen != got.TotalFen {
		t.Fatalf("refund preview = %s %d of %d", d.Outcome, d.AmountFen, got.TotalFen)
	}
	if err := s.a.ProvisionService(ctx, svc.ID); err != nil { // a stray retry changes nothing
		t.Fatal(err)
	}
	if n := s.orders.Load(); n != 1 {
		t.Fatalf("orders = %d", n)
	}
}

// TestACMERefusesBadInputBeforeTheCA: a weak key, a CSR for other names,
// a bad domain, a wrong challenge — refused with field and rule, and the
// CA is never contacted.
func TestACMERefusesBadInputBeforeTheCA(t *testing.T) {
	t.Parallel()
	s := newACMEApp(t, false)
	ctx := context.Background()
	_, p := s.buyer(t, 1000000)
	o := s.buy(t, p, "cert-dv", "dv1", "one_off")
	svc := s.serviceOf(t, p, o.ID)
	weak, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	good, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		in         app.CertificateRequestInput
		code, rule string
	}{
		{"WeakKey", app.CertificateRequestInput{Domains: []string{"a.example.test"}, Challenge: "http-01", CSR: acmeCSR(t, weak, "a.example.test")}, "acme.csr_weak_key", "min_bits"},
		{"OtherNames", app.CertificateRequestInput{Domains: []string{"a.example.test"}, Challenge: "http-01", CSR: acmeCSR(t, good, "b.example.test")}, "acme.csr_names_mismatch", "names"},
		{"NotPEM", app.CertificateRequestInput{Domains: []string{"a.example.test"}, Challenge: "http-01", CSR: "hello"}, "acme.csr_invalid", "pem"},
		{"BadDomain", app.CertificateRequestInput{Domains: []string{"not a domain"}, Challenge: "http-01"}, "acme.domain_invalid", "syntax"},
		{"IPAddress", app.CertificateRequestInput{Domains: []string{"192.0.2.1"}, Challenge: "http-01"}, "acme.domain_invalid", "ip"},
		{"WildcardByHTTP", app.CertificateRequestInput{Domains: []string{"*.example.test"}, Challenge: "http-01"}, "acme.domain_invalid", "wildcard"},
		{"TooMany", app.CertificateRequestInput{Domains: []string{"a.example.test", "b.example.test"}, Challenge: "http-01"}, app.CodeACMEDomainsMax, "max_items"},
		{"Challenge", app.CertificateRequestInput{Domains: []string{"a.example.test"}, Challenge: "tls-alpn-01"}, "acme.challenge_invalid", "one_of"},
		{"DNSMode", app.CertificateRequestInput{Domains: []string{"a.example.test"}, Challenge: "dns-01", DNSMode: "ns"}, "acme.dns_mode_invalid", "one_of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.a.SubmitCertificateRequest(ctx, p, svc.ID, tc.in)
			wantCode(t, err, tc.code)
			var e *errs.Error
			if !errorsAs(err, &e) || len(e.Fields) == 0 || e.Fields[0].Rule != tc.rule {
				t.Fatalf("fields of %v, want rule %s", err, tc.rule)
			}
		})
	}
	if n := s.requests.Load(); n != 0 {
		t.Fatalf("%d requests reached the CA", n)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM acme_cert_request`); n != 0 {
		t.Fatalf("%d requests stored", n)
	}
	// Another customer's service, and a product not delivered by ACME.
	_, q := s.buyer(t, 100000)
	_, err = s.a.SubmitCertificateRequest(ctx, q, svc.ID, app.CertificateRequestInput{Domains: []string{"a.example.test"}, Challenge: "http-01"})
	wantKind(t, err, errs.NotFound)
	ov := s.buy(t, p, "cert-ov", "ov1", "one_off")
	_, err = s.a.SubmitCertificateRequest(ctx, p, s.serviceOf(t, p, ov.ID).ID, app.CertificateRequestInput{Domains: []string{"a.example.test"}, Challenge: "http-01"})
	wantCode(t, err, app.CodeACMENotACME)
}

// TestACMEProvisionTwiceOrdersOnce: the driver called twice with the same
// token places one order at the CA; a crash between the issue and the
// record delivers once on the retry, with one email.
func TestACMEProvisionTwiceOrdersOnce(t *testing.T) {
	t.Parallel()
	s := newACMEApp(t, false)
	ctx := context.Background()
	_, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cert-dv", "dv1", "one_off")
	svc := s.serviceOf(t, p, o.ID)
	s.pebble.AddA(t, "twice.example.test", "127.0.0.1")
	if _, err := s.a.SubmitCertificateRequest(ctx, p, svc.ID, app.CertificateRequestInput{Domains: []string{"twice.example.test"},
		Challenge: "http-01"}); err != nil {
		t.Fatal(err)
	}
	drv := s.a.ACMEDriverForTest()
	req := app.ProvisionRequest{Token: svc.ID, ServiceID: svc.ID, OrderID: o.ID, Kind: "certificate"}
	first, err := drv.Provision(ctx, req)
	if err != nil || !first.Complete {
		t.Fatalf("first = %+v, %v", first, err)
	}
	second, err := drv.Provision(ctx, req)
	if err != nil || !second.Complete || second.Notes != first.Notes {
		t.Fatalf("second = %+v, %v", second, err)
	}
	if n := s.orders.Load(); n != 1 {
		t.Fatalf("orders = %d, want 1", n)
	}
	failed := false
	s.a.FailRecordForTest(func() error {
		if !failed {
			failed = true
			return errTestCrash
		}
		return nil
	})
	if err := s.a.ProvisionService(ctx, svc.ID); err == nil || !failed {
		t.Fatalf("the crashed record: %v", err)
	}
	if err := s.a.ProvisionService(ctx, svc.ID); err != nil {
		t.Fatal(err)
	}
	got, err := s.a.Order(ctx, p, o.ID)
	if err != nil || got.State != "delivered" {
		t.Fatalf("order = %+v, %v", got.State, err)
	}
	for q, want := range map[string]int{
		`SELECT COUNT(*) FROM notification WHERE event = 'certificate.issued' AND subject_id = $1`: 1,
		`SELECT COUNT(*) FROM notification WHERE event = 'delivery.completed' AND subject_id = $1`: 1,
		`SELECT COUNT(*) FROM certificate_state WHERE service_id = $1`:                             3,
		`SELECT COUNT(*) FROM audit_event WHERE action = 'service.delivered' AND subject_id = $1`:  1,
	} {
		if n := countRows(t, s.a, q, svc.ID); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	if n := s.orders.Load(); n != 1 {
		t.Fatalf("orders = %d, want 1", n)
	}
}
