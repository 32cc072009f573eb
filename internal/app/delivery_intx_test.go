package app_test

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"yuanxu/internal/app"
)

// provisionJobs counts the provisioning jobs River holds (each test's app
// has a database of its own, and only the service named fails in it).
func provisionJobs(t *testing.T, s commerceSUT, _ string) int {
	t.Helper()
	return countRows(t, s.a, `SELECT COUNT(*) FROM river_job WHERE kind = 'delivery.provision'`)
}

// TestSandboxDeliveredInThePaymentTransaction (ADR 11): a sandbox purchase
// is delivered by the payment's own transaction — lease, record, notice
// and order delivered together — and needs no provisioning job.
func TestSandboxDeliveredInThePaymentTransaction(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	_, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cs-nc-bw", "s1", "month")
	if o.State != "delivered" || !o.DeliveredAt.Equal(o.PaidAt) {
		t.Fatalf("order = %s paid %v delivered %v", o.State, o.PaidAt, o.DeliveredAt)
	}
	svc := s.serviceOf(t, p, o.ID)
	for q, want := range map[string]int{
		`SELECT COUNT(*) FROM sandbox_lease WHERE token = $1`:                                                  1,
		`SELECT COUNT(*) FROM provisioning_attempt WHERE service_id = $1 AND outcome = 'delivered'`:            1,
		`SELECT COUNT(*) FROM provisioning_attempt WHERE service_id = $1 AND outcome <> 'delivered'`:           0,
		`SELECT COUNT(*) FROM service_delivery WHERE service_id = $1 AND state = 'delivered' AND attempts = 1`: 1,
		`SELECT COUNT(*) FROM address_assignment WHERE service_id = $1 AND until_ms IS NULL`:                   1,
		`SELECT COUNT(*) FROM notification WHERE event = 'delivery.completed' AND subject_id = $1`:             1,
	} {
		if n := countRows(t, s.a, q, svc.ID); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	if n := provisionJobs(t, s, svc.ID); n != 0 {
		t.Errorf("provisioning jobs = %d, want 0", n)
	}
}

// TestInTxDeliveryFailureFallsBackToTheJob: when delivery in the payment's
// transaction fails (the sandbox pool exhausted; a record step failing),
// only its savepoint is rolled back: the payment stands, the order waits in
// provisioning, the failed attempt is recorded, nothing of the attempt's
// effect remains, and the job takes over and delivers once it can.
func TestInTxDeliveryFailureFallsBackToTheJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	t.Run("pool exhausted", func(t *testing.T) {
		t.Parallel()
		s := newCommerceApp(t)
		if err := s.a.ConfigureDelivery(app.DeliveryConfig{SandboxPool: netip.MustParsePrefix("198.18.0.0/30")}); err != nil { // two addresses
			t.Fatal(err)
		}
		_, p := s.buyer(t, 100000)
		for range 2 {
			if o := s.buy(t, p, "cs-nc-bw", "s1", "month"); o.State != "delivered" {
				t.Fatalf("order = %s", o.State)
			}
		}
		o := s.buy(t, p, "cs-nc-bw", "s1", "month")
		if o.State != "provisioning" || o.PaidFen != o.TotalFen || o.PaidAt.IsZero() {
			t.Fatalf("third order = %s paid %d of %d", o.State, o.PaidFen, o.TotalFen)
		}
		svc := s.serviceOf(t, p, o.ID)
		for q, want := range map[string]int{
			`SELECT COUNT(*) FROM sandbox_lease WHERE token = $1`: 0,
			`SELECT COUNT(*) FROM service_delivery WHERE service_id = $1 AND state = 'queued' AND attempts = 1 AND last_error LIKE '%pool is exhausted%'`: 1,
			`SELECT COUNT(*) FROM provisioning_attempt WHERE service_id = $1 AND outcome = 'error'`:                                                       1,
			`SELECT COUNT(*) FROM payment WHERE order_id = (SELECT order_id FROM service WHERE id = $1) AND state = 'succeeded'`:                          1,
		} {
			if n := countRows(t, s.a, q, svc.ID); n != want {
				t.Errorf("%s = %d, want %d", q, n, want)
			}
		}
		if n := provisionJobs(t, s, svc.ID); n != 1 {
			t.Errorf("provisioning jobs = %d, want 1", n)
		}
		if err := s.a.ConfigureDelivery(app.DeliveryConfig{SandboxPool: netip.MustParsePrefix("198.18.0.0/29")}); err != nil {
			t.Fatal(err)
		}
		if err := s.a.ProvisionService(ctx, svc.ID); err != nil { // the job's run
			t.Fatal(err)
		}
		got, err := s.a.Order(ctx, p, o.ID)
		if err != nil || got.State != "delivered" {
			t.Fatalf("order after the job = %+v, %v", got.State, err)
		}
	})
	t.Run("record fails", func(t *testing.T) {
		t.Parallel()
		s := newCommerceApp(t)
		_, p, o := s.buyWithFailedRecord(t)
		svc := s.serviceOf(t, p, o.ID)
		if n := countRows(t, s.a, `SELECT COUNT(*) FROM sandbox_lease WHERE token = $1`, svc.ID); n != 0 {
			t.Errorf("leases after the rolled-back attempt = %d", n)
		}
		if n := provisionJobs(t, s, svc.ID); n != 1 {
			t.Errorf("provisioning jobs = %d, want 1", n)
		}
		for range 2 { // the job, then a duplicate: the second finds it done
			if err := s.a.ProvisionService(ctx, svc.ID); err != nil {
				t.Fatal(err)
			}
		}
		dv, err := s.a.ServiceDelivery(ctx, p, svc.ID)
		if err != nil || dv.Status != "delivered" || len(dv.Addresses) != 1 || !strings.HasPrefix(dv.Addresses[0], "198.18.0.") {
			t.Fatalf("delivery = %+v, %v", dv, err)
		}
		if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'service.delivered' AND subject_id = $1`, svc.ID); n != 1 {
			t.Errorf("delivered audits = %d", n)
		}
	})
}
