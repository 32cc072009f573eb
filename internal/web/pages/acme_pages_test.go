package pages_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/pebbletest"
)

// TestCertificatePages: on a paid DV certificate's service page the
// customer names the domain; a weak-key CSR is refused on the form with
// its rule's message, nothing sent to the CA; then the certificate is
// issued by Pebble (HTTP-01 through the server's challenge route),
// downloadable as PEM (no key in it), and the generated key shows after
// the password is typed again.
func TestCertificatePages(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	pb := pebbletest.Start(t, pebbletest.Options{})
	pb.ServeHTTP01(t, e.s.Handler)
	if err := e.s.App.ConfigureACME(e.ctx, app.ACMEConfig{DirectoryURL: pb.DirectoryURL, HTTPClient: pb.HTTPClient(), Email: "ops@yuanxu.test",
		PollInterval: 50 * time.Millisecond, StepTimeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.App.DB().Writer().ExecContext(e.ctx, `UPDATE product SET driver = 'acme' WHERE id = 'cert-dv'`); err != nil {
		t.Fatal(err)
	}
	pb.AddA(t, "page.example.test", "127.0.0.1")
	p := e.principal(t, demoIndividual.Email, demoIndividual.Password, false)
	o, _, err := e.s.App.Checkout(e.ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: "cert-dv", PlanID: "dv1", Cycle: "one_off", Quantity: 1}},
		Agreement: app.AgreementAck{Acknowledged: app.DefaultKeyClauses()}}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = e.s.App.PayOrder(e.ctx, p, o.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	svcs, err := e.s.App.Services(e.ctx, p, app.ServiceListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, sv := range svcs {
		if sv.OrderID == o.ID {
			id = sv.ID
		}
	}
	cl := shopClient(t, e.s, demoIndividual, "en")
	path := "/services/" + id
	_, doc := htmlOf(t, cl, "GET", path, nil, http.StatusOK)
	if st := mustID(t, doc, "cert-state").attrs["data-state"]; st != "awaiting_request" {
		t.Fatalf("state %q", st)
	}
	mustID(t, doc, "cert-form")

	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "page.example.test"},
		DNSNames: []string{"page.example.test"}}, k)
	if err != nil {
		t.Fatal(err)
	}
	weak := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	_, doc = htmlOf(t, cl, "POST", path+"/certificate", url.Values{"domains": {"page.example.test"}, "challenge": {"http-01"}, "csr": {weak}},
		http.StatusUnprocessableEntity)
	if msg := ccText(t, doc, "form-error"); !strings.Contains(msg, "2048") {
		t.Errorf("CSR error %q", msg)
	}
	if got := mustID(t, doc, "cert-domains-input").textContent(); got != "page.example.test" {
		t.Errorf("domains as typed %q", got)
	}

	res, _ := htmlOf(t, cl, "POST", path+"/certificate", url.Values{"domains": {"page.example.test"}, "challenge": {"http-01"}}, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); !strings.Contains(loc, "notice=cert_requested") {
		t.Fatalf("redirect %q", loc)
	}
	deadline := time.Now().Add(3 * time.Minute) // a hang guard: a failed provisioning attempt is retried by River with growing backoff (1 s, 16 s, 81 s)
	for {
		_, doc = htmlOf(t, cl, "GET", path, nil, http.StatusOK)
		st := mustID(t, doc, "cert-state").attrs["data-state"]
		if st == "issued" {
			break
		}
		if st == "rejected" || time.Now().After(deadline) {
			t.Fatalf("state %s: %s", st, doc.textContent())
		}
		time.Sleep(100 * time.Millisecond)
	}
	dl := cl.Do(t, "GET", path+"/certificate.pem", nil)
	if dl.Status != http.StatusOK || strings.Count(string(dl.Body), "BEGIN CERTIFICATE") < 2 || strings.Contains(string(dl.Body), "PRIVATE KEY") ||
		!strings.Contains(dl.Header.Get("Content-Disposition"), "page.example.test.fullchain.pem") {
		t.Fatalf("download %d %v %.200s", dl.Status, dl.Header, dl.Body)
	}
	if doc.byID("cert-key-pem") != nil {
		t.Fatal("the key shows without the password")
	}
	_, doc = htmlOf(t, cl, "POST", path+"/certificate/key", url.Values{"password": {"not the password"}}, http.StatusUnauthorized)
	if doc.byID("cert-key-pem") != nil {
		t.Fatal("the key shows after a wrong password")
	}
	res, doc = htmlOf(t, cl, "POST", path+"/certificate/key", url.Values{"password": {demoIndividual.Password}}, http.StatusOK)
	if !strings.Contains(mustID(t, doc, "cert-key-pem").textContent(), "PRIVATE KEY") || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatal("no key after re-authentication")
	}
}
