package app_test

import (
	"context"
	"testing"

	"yuanxu/internal/app"
)

// gateDriver answers pending until ready is closed, then delivers; each
// call first reports on entered and waits for release.
type gateDriver struct {
	entered chan struct{}
	release chan struct{}
	ready   chan struct{}
}

func (d *gateDriver) Local() bool { return false }

func (d *gateDriver) Provision(ctx context.Context, req app.ProvisionRequest) (app.ProvisionResult, error) {
	d.entered <- struct{}{}
	<-d.release
	select {
	case <-d.ready:
		return app.ProvisionResult{Complete: true, Addresses: []string{"198.18.9.9"}, Notes: "delivered"}, nil
	default:
		return app.ProvisionResult{Notes: "awaiting the customer"}, nil
	}
}

// TestRequeueWhileTheDriverRunsIsNotLost: a delivery requeued (the
// customer's certificate request arrives) while its first job is still
// calling the driver — which answers pending for the state before the
// request — stays queued, and the job enqueued with the requeue delivers
// it. Recording the first job's stale pending answer over the requeue
// stranded the service (seen as a certificate stuck in "submitted").
func TestRequeueWhileTheDriverRunsIsNotLost(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	d := &gateDriver{entered: make(chan struct{}, 2), release: make(chan struct{}), ready: make(chan struct{})}
	s.a.SetDriverForTest("sandbox", d)
	_, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cs-nc-bw", "s1", "month")
	svc := s.serviceOf(t, p, o.ID)
	first := make(chan error, 1)
	go func() { first <- s.a.ProvisionService(ctx, svc.ID) }() // the payment's job
	<-d.entered                                                // the driver is running, about to answer pending
	if err := s.a.RequeueDeliveryForTest(ctx, svc.ID, "certificate request submitted"); err != nil {
		t.Fatal(err)
	}
	d.release <- struct{}{} // the driver answers pending, for the state before the requeue
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	close(d.ready)
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM service_delivery WHERE service_id = $1 AND state = 'queued'`, svc.ID); n != 1 {
		t.Fatalf("after the first job's stale answer the delivery is not queued")
	}
	go func() { <-d.entered; d.release <- struct{}{} }()
	if err := s.a.ProvisionService(ctx, svc.ID); err != nil { // the requeue's job
		t.Fatal(err)
	}
	got, err := s.a.Order(ctx, p, o.ID)
	if err != nil || got.State != "delivered" {
		t.Fatalf("order after the requeue's job = %v, %v", got.State, err)
	}
}
