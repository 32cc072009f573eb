package pages_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/browsertest"
	"yuanxu/internal/money"
	"yuanxu/internal/pebbletest"
	"yuanxu/internal/webtest"
)

// browserGet fetches href in the page (same origin, the page's cookies)
// and returns the status and body; the test checks downloads with it.
func browserGet(b *browsertest.Browser, href string) string {
	return browsertest.Eval[string](b, `(() => { const x = new XMLHttpRequest(); x.open("GET", `+jsString(href)+`, false); x.send();
  return x.status + "\n" + x.getResponseHeader("Content-Type") + "\n" + x.responseText; })()`)
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

// buyFor checks out and pays one unit of product/plan by balance for p
// and returns the service id.
func buyFor(t *testing.T, s *webtest.Server, p account.Principal, product, plan, cycle string) string {
	t.Helper()
	ctx := context.Background()
	o, _, err := s.App.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: product, PlanID: plan, Cycle: cycle, Quantity: 1}},
		Agreement: app.AgreementAck{Acknowledged: app.DefaultKeyClauses()}}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = s.App.PayOrder(ctx, p, o.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	svcs, err := s.App.Services(ctx, p, app.ServiceListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range svcs {
		if v.OrderID == o.ID {
			return v.ID
		}
	}
	t.Fatalf("no service of order %s", o.ID)
	return ""
}

// TestBrowserCertificateAndWireGuardSections: in a real browser the demo
// individual asks for a DV certificate on the service page (Pebble issues
// it by HTTP-01 through the server), downloads the certificate and chain
// (no key in the file) and reads the generated key after typing the
// password; on a WireGuard line's page the configuration and its QR code
// appear only after the password, the file is a client configuration and
// the QR code an image. Screenshots of both sections.
func TestBrowserCertificateAndWireGuardSections(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	pb := pebbletest.Start(t, pebbletest.Options{})
	pb.ServeHTTP01(t, s.Handler)
	if err := s.App.ConfigureACME(ctx, app.ACMEConfig{DirectoryURL: pb.DirectoryURL, HTTPClient: pb.HTTPClient(), Email: "ops@yuanxu.test",
		PollInterval: 50 * time.Millisecond, StepTimeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.DB().Writer().ExecContext(ctx, `UPDATE product SET driver = 'acme' WHERE id = 'cert-dv'`); err != nil {
		t.Fatal(err)
	}
	pb.AddA(t, "browser.example.test", "127.0.0.1")
	p := principalOf(t, s, demoIndividual)
	if _, err := s.App.SandboxTopUp(ctx, p, money.Fen(100000)); err != nil {
		t.Fatal(err)
	}
	cert := buyFor(t, s, p, "cert-dv", "dv1", "one_off")
	vpn := buyFor(t, s, p, "vpn-wireguard", "w10", "month")

	b := browsertest.New(t, browsertest.WithAcceptLanguage("en"))
	b.Navigate(s.URL + "/login")
	b.SetValue("#identifier", demoIndividual.Email)
	b.SetValue("#password", demoIndividual.Password)
	if st := b.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("sign-in: %d", st)
	}

	// The certificate: request, issue, download, key.
	if st := b.Navigate(s.URL + "/services/" + cert); st != http.StatusOK {
		t.Fatalf("certificate page: %d", st)
	}
	loaded(t, b)
	if got, _ := b.Attr("#cert-state", "data-state"); got != "awaiting_request" {
		t.Fatalf("certificate state %q", got)
	}
	b.SetValue("#cert-domains-input", "browser.example.test")
	if st := b.ClickNavigate("#cert-submit"); st != http.StatusOK {
		t.Fatalf("request: %d (%s)", st, b.Text("main"))
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		v, err := s.App.Certificate(ctx, p, cert)
		if err == nil && v.State == "issued" {
			break
		}
		if time.Now().After(deadline) || (err == nil && v.State == "rejected") {
			t.Fatalf("certificate %+v, %v", v, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.Navigate(s.URL + "/services/" + cert)
	if got, _ := b.Attr("#cert-state", "data-state"); got != "issued" || !b.Exists("#cert-download") {
		t.Fatalf("issued certificate section: %q %s", got, b.Text("#certificate"))
	}
	href, _ := b.Attr("#cert-download", "href")
	if dl := browserGet(b, href); !strings.HasPrefix(dl, "200\n") || strings.Count(dl, "BEGIN CERTIFICATE") < 2 || strings.Contains(dl, "PRIVATE KEY") {
		t.Fatalf("download %q: %.300s", href, dl)
	}
	if b.Exists("#cert-key-pem") {
		t.Fatal("the key shows before the password")
	}
	b.Screenshot("certificate-issued-en")
	b.SetValue("#cert-key-password", demoIndividual.Password)
	if st := b.ClickNavigate("#cert-key-submit"); st != http.StatusOK {
		t.Fatalf("key: %d (%s)", st, b.Text("main"))
	}
	if got := b.Text("#cert-key-pem"); !strings.Contains(got, "PRIVATE KEY") {
		t.Fatalf("key %.60q", got)
	}

	// The WireGuard line: configuration and QR code after the password.
	if _, err := s.App.SandboxAdvance(ctx, 6*time.Minute); err != nil { // the last password entry is no longer recent
		t.Fatal(err)
	}
	if st := b.Navigate(s.URL + "/services/" + vpn); st != http.StatusOK {
		t.Fatalf("VPN page: %d", st)
	}
	if b.Exists("#wireguard-download") || b.Exists("#wireguard-qr") || !b.Exists("#wireguard-form") {
		t.Fatalf("WireGuard section before the password: %s", b.Text("#wireguard"))
	}
	b.Allow(`status of 403 \(Forbidden\)`) // the refused download below, on purpose
	if dl := browserGet(b, s.URL+"/services/"+vpn+"/wireguard.conf"); strings.HasPrefix(dl, "200\n") {
		t.Fatal("configuration without re-authentication")
	}
	b.SetValue("#wireguard-password", demoIndividual.Password)
	if st := b.ClickNavigate("#wireguard-submit"); st != http.StatusOK {
		t.Fatalf("re-authentication: %d (%s)", st, b.Text("main"))
	}
	if !b.Exists("#wireguard-ready") {
		t.Fatalf("WireGuard section after the password: %s", b.Text("#wireguard"))
	}
	href, _ = b.Attr("#wireguard-download", "href")
	if dl := browserGet(b, href); !strings.HasPrefix(dl, "200\n") || !strings.Contains(dl, "[Interface]") || !strings.Contains(dl, "PrivateKey = ") ||
		!strings.Contains(dl, "Endpoint = vpn.demo.yuanxu.test:51820") {
		t.Fatalf("configuration %q: %.300s", href, dl)
	}
	deadline = time.Now().Add(10 * time.Second)
	for browsertest.Eval[int](b, `document.querySelector("#wireguard-qr").naturalWidth`) < 100 {
		if time.Now().After(deadline) {
			t.Fatal("the QR code image did not load")
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.Screenshot("wireguard-ready-en")
}
