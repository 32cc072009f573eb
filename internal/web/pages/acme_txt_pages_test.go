package pages_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/pebbletest"
)

// TestCertificateTXTRenewalPage: a DV certificate the customer proves by
// their own TXT record is issued by Pebble; once the sandbox clock is
// within DefaultTXTNoticeDays of its end the service page says when it
// expires and offers "Renew"; renewing opens a new order that waits for
// the customer's confirmation, after which a new certificate is issued.
func TestCertificateTXTRenewalPage(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	pb := pebbletest.Start(t, pebbletest.Options{})
	if err := e.s.App.ConfigureACME(e.ctx, app.ACMEConfig{DirectoryURL: pb.DirectoryURL, HTTPClient: pb.HTTPClient(), Email: "ops@yuanxu.test",
		PollInterval: 50 * time.Millisecond, StepTimeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.App.DB().Writer().ExecContext(e.ctx, `UPDATE product SET driver = 'acme' WHERE id = 'cert-dv'`); err != nil {
		t.Fatal(err)
	}
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
	// waitFor polls the page until the certificate is in state, publishing
	// the TXT records it lists meanwhile.
	waitFor := func(state string) *node {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute) // a hang guard: a failed provisioning attempt is retried by River with growing backoff (1 s, 16 s, 81 s)
		for {
			_, doc := htmlOf(t, cl, "GET", path, nil, http.StatusOK)
			st := mustID(t, doc, "cert-state").attrs["data-state"]
			if st == state {
				return doc
			}
			if st == "rejected" || time.Now().After(deadline) {
				t.Fatalf("state %s, want %s: %s", st, state, doc.textContent())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	confirm := func() {
		t.Helper()
		c, err := e.s.App.Certificate(e.ctx, p, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range c.Records {
			pb.AddTXT(t, r.Name, r.Value)
		}
		htmlOf(t, cl, "POST", path+"/certificate/confirm", url.Values{}, http.StatusSeeOther)
	}
	htmlOf(t, cl, "POST", path+"/certificate", url.Values{"domains": {"txt-page.example.test"}, "challenge": {"dns-01"}, "dns_mode": {"txt"}},
		http.StatusSeeOther)
	waitFor("awaiting_customer")
	confirm()
	doc := waitFor("issued")
	if doc.byID("cert-renewal-due") != nil {
		t.Fatal("renewal offered long before the end")
	}
	first, err := e.s.App.Certificate(e.ctx, p, id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.App.SandboxAdvance(e.ctx, first.NotAfter.Add(-app.DefaultTXTNoticeDays*24*time.Hour).Sub(e.s.App.Now())+time.Second); err != nil {
		t.Fatal(err)
	}
	cl = shopClient(t, e.s, demoIndividual, "en") // the session ended meanwhile
	_, doc = htmlOf(t, cl, "GET", path, nil, http.StatusOK)
	due := mustID(t, doc, "cert-renewal-due").textContent()
	if !strings.Contains(due, "expires on "+first.NotAfter.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")) || !strings.Contains(due, "renew it") {
		t.Fatalf("renewal notice %q", due)
	}
	res, _ := htmlOf(t, cl, "POST", path+"/certificate/renew", url.Values{}, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); !strings.Contains(loc, "notice=cert_renewal") {
		t.Fatalf("redirect %q", loc)
	}
	doc = waitFor("awaiting_customer")
	mustID(t, doc, "cert-confirm-form")
	mustID(t, doc, "cert-download") // the old certificate until the new one
	confirm()
	waitFor("issued")
	if c, err := e.s.App.Certificate(e.ctx, p, id); err != nil || c.CertificatePEM == first.CertificatePEM {
		t.Fatalf("renewed certificate %+v, %v", c, err)
	}
}
