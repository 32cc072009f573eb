package app_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"
	"time"

	"yuanxu/internal/app"
)

// TestACMERenewsIssuedCertificate: an issued DV certificate of an active
// service is left alone until DefaultCertRenewBefore before its end, then
// renewed through the driver's path at Pebble (real HTTP-01 validation):
// a new certificate and a new generated key, the certificate.issued notice
// again, the CA states unchanged. A renewal the CA refuses keeps the old
// certificate, records the reason without a ca_rejected state (that would
// make it refundable), leaves the delivery delivered and waits before the
// next attempt.
func TestACMERenewsIssuedCertificate(t *testing.T) {
	t.Parallel()
	s := newACMEApp(t, false)
	ctx := context.Background()
	r, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cert-dv", "dv1", "one_off")
	svc := s.serviceOf(t, p, o.ID)
	s.pebble.AddA(t, "renew.example.test", "127.0.0.1")
	if _, err := s.a.SubmitCertificateRequest(ctx, p, svc.ID, app.CertificateRequestInput{Domains: []string{"renew.example.test"}, Challenge: "http-01"}); err != nil {
		t.Fatal(err)
	}
	if err := s.a.ProvisionService(ctx, svc.ID); err != nil {
		t.Fatal(err)
	}
	v1, err := s.a.Certificate(ctx, p, svc.ID)
	if err != nil || v1.State != "issued" {
		t.Fatalf("first certificate = %+v, %v", v1, err)
	}
	sweep := func(want int64) {
		t.Helper()
		if n, err := s.a.ACMERenewSweep(ctx, s.clock.Now()); err != nil || n != want {
			t.Fatalf("renewal sweep = %d, %v; want %d", n, err, want)
		}
	}
	notices := func() int {
		return countRows(t, s.a, `SELECT COUNT(*) FROM notification WHERE event = 'certificate.issued' AND subject_id = $1`, svc.ID)
	}
	sweep(0)
	s.clock.Advance(v1.NotAfter.Add(-app.DefaultCertRenewBefore).Add(-time.Minute).Sub(s.clock.Now()))
	sweep(0)
	if n := s.orders.Load(); n != 1 {
		t.Fatalf("orders before the renewal = %d", n)
	}
	s.clock.Advance(time.Minute)
	sweep(1)
	v2, err := s.a.Certificate(ctx, p, svc.ID)
	// Pebble dates certificates by its own (real) clock: the new one ends
	// no earlier than the old one.
	if err != nil || v2.State != "issued" || v2.NotAfter.Before(v1.NotAfter) || v2.CertificatePEM == v1.CertificatePEM {
		t.Fatalf("renewed certificate = %+v, %v", v2, err)
	}
	_, res := s.login(t, r.email, goodPassword)
	key, err := s.a.CertificateKey(ctx, p, res.SessionToken, svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode([]byte(key))
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	s.verifyCert(t, v2, "renew.example.test", k.(crypto.Signer).Public())
	if n := s.orders.Load(); n != 2 {
		t.Fatalf("orders after the renewal = %d", n)
	}
	if n := notices(); n != 2 {
		t.Fatalf("certificate.issued notices = %d", n)
	}
	if got := s.certStates(t, p, svc.ID); !slices.Equal(got, []string{"validating", "submitted_to_ca", "issued"}) {
		t.Fatalf("states = %v", got)
	}

	// The domain no longer reaches us: Pebble refuses a renewal once it
	// does not reuse the still valid authorisation (it reuses one half of
	// the time), so attempts are made until one is refused. The test clock
	// is past every new certificate's renewal instant, as Pebble dates by
	// the real clock.
	s.pebble.ClearA(t, "renew.example.test")
	var v3 app.CertificateView
	var sent int
	for i := 0; ; i++ {
		if i == 30 {
			t.Fatal("Pebble never refused the renewal")
		}
		s.clock.Advance(7 * time.Hour) // past acmeRenewRetry
		v3, _ = s.a.Certificate(ctx, p, svc.ID)
		sent = notices()
		if n, err := s.a.ACMERenewSweep(ctx, s.clock.Now()); err != nil {
			t.Fatal(err)
		} else if n == 0 {
			break
		}
	}
	after, err := s.a.Certificate(ctx, p, svc.ID)
	if err != nil || after.State != "issued" || after.CertificatePEM != v3.CertificatePEM || after.Reason == "" {
		t.Fatalf("after a refused renewal = %+v, %v", after, err)
	}
	if got := s.certStates(t, p, svc.ID); slices.Contains(got, "ca_rejected") {
		t.Fatalf("a refused renewal recorded ca_rejected: %v", got)
	}
	if d, err := s.a.ServiceDelivery(ctx, p, svc.ID); err != nil || d.Status != "delivered" {
		t.Fatalf("delivery after a refused renewal = %+v, %v", d, err)
	}
	before := s.orders.Load()
	sweep(0)
	if n := s.orders.Load(); n != before {
		t.Fatal("a refused renewal was retried at once")
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE subject_id = $1 AND action = 'service.cert_renewal_failed'`, svc.ID); n != 1 {
		t.Fatalf("renewal failures audited = %d", n)
	}
	if n := notices(); n != sent {
		t.Fatalf("a refused renewal sent %d notices", n-sent)
	}
}
