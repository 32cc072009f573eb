package app_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
)

// issueTXT issues a DV certificate for domain proved by a TXT record the
// customer adds, through Pebble (real DNS-01 validation), and returns the
// service id and the certificate.
func (s acmeSUT) issueTXT(t *testing.T, p account.Principal, domain string) (string, app.CertificateView) {
	t.Helper()
	ctx := context.Background()
	o := s.buy(t, p, "cert-dv", "dv1", "one_off")
	svc := s.serviceOf(t, p, o.ID)
	if _, err := s.a.SubmitCertificateRequest(ctx, p, svc.ID, app.CertificateRequestInput{Domains: []string{domain}, Challenge: "dns-01",
		DNSMode: "txt"}); err != nil {
		t.Fatal(err)
	}
	if err := s.a.ProvisionService(ctx, svc.ID); err != nil {
		t.Fatal(err)
	}
	v, err := s.a.Certificate(ctx, p, svc.ID)
	if err != nil || len(v.Records) != 1 {
		t.Fatalf("certificate = %+v, %v", v, err)
	}
	s.pebble.AddTXT(t, v.Records[0].Name, v.Records[0].Value)
	if _, err := s.a.ConfirmCertificateChallenge(ctx, p, svc.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.a.ProvisionService(ctx, svc.ID); err != nil {
		t.Fatal(err)
	}
	if v, err = s.a.Certificate(ctx, p, svc.ID); err != nil || v.State != "issued" {
		t.Fatalf("certificate = %+v, %v", v, err)
	}
	return svc.ID, v
}

// TestACMETXTRenewalNotice: a certificate proved by the customer's TXT
// record is not renewed by the acme.renew sweep; DefaultTXTNoticeDays
// before it ends (not a minute earlier, by the sandbox clock) its customer
// gets one certificate.renewal_due notice by email and SMS — once, not
// again on the next sweeps — audited; the certificate view says when it
// ends and that renewal is due, and a certificate proved by HTTP-01 gets
// no such notice. The customer then renews: a new order waits for the new
// TXT record, and once it is confirmed a new certificate is issued (the
// delivery stays delivered), which gets a notice of its own in its turn.
// A certificate that is not due by the customer's hand is not renewable.
func TestACMETXTRenewalNotice(t *testing.T) {
	t.Parallel()
	s := newACMEApp(t, false)
	ctx := context.Background()
	_, p := s.buyer(t, 100000)
	svcID, v := s.issueTXT(t, p, "notice.example.test")
	s.pebble.AddA(t, "auto.example.test", "127.0.0.1")
	o := s.buy(t, p, "cert-dv", "dv1", "one_off")
	auto := s.serviceOf(t, p, o.ID)
	if _, err := s.a.SubmitCertificateRequest(ctx, p, auto.ID, app.CertificateRequestInput{Domains: []string{"auto.example.test"}, Challenge: "http-01"}); err != nil {
		t.Fatal(err)
	}
	if err := s.a.ProvisionService(ctx, auto.ID); err != nil {
		t.Fatal(err)
	}
	notices := func(serviceID string) int {
		return countRows(t, s.a, `SELECT COUNT(*) FROM notification WHERE event = 'certificate.renewal_due' AND subject_id = $1`, serviceID)
	}
	sweep := func(want int64) {
		t.Helper()
		if n, err := s.a.ACMETXTNoticeSweep(ctx, s.clock.Now()); err != nil || n != want {
			t.Fatalf("notice sweep = %d, %v; want %d", n, err, want)
		}
	}
	lead := app.DefaultTXTNoticeDays * 24 * time.Hour
	sweep(0)
	s.clock.Advance(v.NotAfter.Add(-lead).Add(-time.Minute).Sub(s.clock.Now()))
	sweep(0)
	if c, _ := s.a.Certificate(ctx, p, svcID); c.RenewalDue {
		t.Fatalf("renewal due before the notice: %+v", c)
	}
	s.clock.Advance(time.Minute)
	sweep(1)
	s.clock.Advance(24 * time.Hour)
	sweep(0)
	if err := s.a.RunSweeps(ctx); err != nil { // acme.renew renews the HTTP-01 one
		t.Fatal(err)
	}
	if n := notices(svcID); n != 1 {
		t.Fatalf("%d renewal notices, want 1", n)
	}
	if n := notices(auto.ID); n != 0 {
		t.Fatalf("an automatically renewed certificate got %d renewal notices", n)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM notify_delivery d JOIN notification n ON n.id = d.notification_id
 WHERE n.event = 'certificate.renewal_due' AND d.channel IN ('email', 'sms')`); n != 2 {
		t.Fatalf("%d email and SMS deliveries", n)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE subject_id = $1 AND action = 'service.cert_renewal_noticed'`, svcID); n != 1 {
		t.Fatalf("notices audited = %d", n)
	}
	c, err := s.a.Certificate(ctx, p, svcID)
	if err != nil || !c.RenewalDue || !c.NotAfter.Equal(v.NotAfter) || c.State != "issued" {
		t.Fatalf("certificate after the notice = %+v, %v", c, err)
	}

	_, err = s.a.RenewCertificate(ctx, p, auto.ID)
	wantCode(t, err, app.CodeACMENotRenewable)
	// Pebble dates certificates by wall time, in whole seconds, and a
	// notice is keyed by the certificate's end: a renewal issued within the
	// same wall-clock second as the first certificate would end at the same
	// instant and read as "told already". Real renewals come weeks apart.
	time.Sleep(1100 * time.Millisecond)
	r, err := s.a.RenewCertificate(ctx, p, svcID)
	if err != nil {
		t.Fatal(err)
	}
	// Pebble reuses a still valid authorisation half of the time: then
	// there is no new record to publish, the customer confirms all the same.
	if r.State != "awaiting_customer" || len(r.Records) > 1 || r.CertificatePEM != c.CertificatePEM {
		t.Fatalf("renewal awaiting the record = %+v", r)
	}
	for _, rec := range r.Records {
		s.pebble.AddTXT(t, rec.Name, rec.Value)
	}
	if r, err = s.a.ConfirmCertificateChallenge(ctx, p, svcID); err != nil {
		t.Fatal(err)
	}
	if r.State != "issued" || r.CertificatePEM == c.CertificatePEM || r.NotAfter.Before(c.NotAfter) {
		t.Fatalf("renewed certificate = %+v", r)
	}
	if d, err := s.a.ServiceDelivery(ctx, p, svcID); err != nil || d.Status != "delivered" {
		t.Fatalf("delivery after the renewal = %+v, %v", d, err)
	}
	if due := r.NotAfter.Add(-lead); due.After(s.clock.Now()) {
		s.clock.Advance(due.Sub(s.clock.Now()))
	}
	sweep(1)
	sweep(0)
	if n := notices(svcID); n != 2 {
		t.Fatalf("%d renewal notices after the renewal, want 2", n)
	}
}
