package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/pebbletest"
	"yuanxu/internal/webtest"
)

func csrFor(t *testing.T, bits int, names ...string) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: names[0]}, DNSNames: names}, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// TestCertificateAPI: a paid DV certificate delivered by ACME through the
// API. Bad input is refused before the CA is contacted, as problem+json
// naming field and rule in the caller's language; the CA's HTTP-01
// requests reach the server's /.well-known/acme-challenge/ route (real
// validation at Pebble); the certificate is downloadable, the generated
// key readable by a fresh session only.
func TestCertificateAPI(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	ctx := context.Background()
	pb := pebbletest.Start(t, pebbletest.Options{})
	pb.ServeHTTP01(t, s.Handler) // the CA reaches the whole web server
	if err := s.App.ConfigureACME(ctx, app.ACMEConfig{DirectoryURL: pb.DirectoryURL, HTTPClient: pb.HTTPClient(), Email: "ops@yuanxu.test",
		Resolver: pb.ResolverAddr, PollInterval: 50 * time.Millisecond, StepTimeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.DB().Writer().ExecContext(ctx, `UPDATE product SET driver = 'acme' WHERE id = 'cert-dv'`); err != nil {
		t.Fatal(err)
	}
	pb.AddA(t, "api.example.test", "127.0.0.1")

	for _, l := range langs {
		c := demoIndividual(t, s, l)
		topUp(t, c, 20000)
		o := pay(t, c, checkout(t, c, orderReq("cert-dv", "dv1", "one_off", 1)).ID)
		var id string
		for _, sv := range listServices(t, c, "/api/v1/services?limit=100").Items {
			if sv.OrderID == o.ID {
				id = sv.ID
			}
		}
		path := "/api/v1/services/" + id + "/certificate"
		v := webtest.Decode[app.CertificateView](t, c.Do(t, "GET", path, nil), http.StatusOK)
		if v.State != "awaiting_request" {
			t.Fatalf("before the request %+v", v)
		}
		for _, tc := range []struct {
			body              map[string]any
			code, field, rule string
			zhMsg, enMsg      string
		}{
			{map[string]any{"domains": []string{"api.example.test"}, "challenge": "http-01", "csr": csrFor(t, 1024, "api.example.test")},
				"acme.csr_weak_key", "body.csr", "min_bits", "RSA 密钥至少需要 2048 位。", "An RSA key needs at least 2048 bits."},
			{map[string]any{"domains": []string{"api.example.test"}, "challenge": "http-01", "csr": csrFor(t, 2048, "other.example.test")},
				"acme.csr_names_mismatch", "body.csr", "names", "CSR 必须恰好包含所申请的域名。", "The CSR must name exactly the requested domains."},
			{map[string]any{"domains": []string{"bad_domain!"}, "challenge": "http-01"},
				"acme.domain_invalid", "body.domains[0]", "syntax", "不是有效的域名。", "Not a valid domain name."},
		} {
			p := wantProblem(t, c.Do(t, "POST", path, tc.body), http.StatusUnprocessableEntity, tc.code, "", tc.field)
			f, _ := p.Field(tc.field)
			if f.Rule != tc.rule || f.Message != l.pick(tc.zhMsg, tc.enMsg) {
				t.Errorf("%s: field %+v", tc.code, f)
			}
		}
		if l.name != "en" {
			continue // one certificate is enough
		}
		v = webtest.Decode[app.CertificateView](t, c.Do(t, "POST", path, map[string]any{"domains": []string{"api.example.test"}, "challenge": "http-01"}),
			http.StatusAccepted)
		if v.State != "submitted" {
			t.Fatalf("submitted %+v", v)
		}
		deadline := time.Now().Add(60 * time.Second)
		for v.State != "issued" {
			if time.Now().After(deadline) || v.State == "rejected" {
				t.Fatalf("not issued: %+v", v)
			}
			time.Sleep(100 * time.Millisecond)
			v = webtest.Decode[app.CertificateView](t, c.Do(t, "GET", path, nil), http.StatusOK)
		}
		if !strings.Contains(v.CertificatePEM, "BEGIN CERTIFICATE") || !strings.HasSuffix(v.NotAfter.Format(time.RFC3339), "+08:00") ||
			len(v.CertStates) != 3 || !v.HasPrivateKey || strings.Contains(string(c.Do(t, "GET", path, nil).Body), "PRIVATE KEY") {
			t.Fatalf("issued %+v", v)
		}
		k := webtest.Decode[struct {
			Key string `json:"private_key_pem"`
		}](t, c.Do(t, "GET", path+"/key", nil), http.StatusOK)
		if !strings.Contains(k.Key, "PRIVATE KEY") {
			t.Fatalf("key %q", k.Key)
		}
		wantProblem(t, c.Do(t, "POST", path+"/confirm", nil), http.StatusConflict, "acme.not_awaiting_customer", "", "")
	}
}
