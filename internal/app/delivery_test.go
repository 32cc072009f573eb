package app_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/store"
)

// countingDriver wraps a driver and counts calls and effects per token:
// the first call with a token makes the effect, later ones answer it (the
// Driver contract).
type countingDriver struct {
	inner   app.Driver
	local   bool
	mu      sync.Mutex
	calls   map[string]int
	effects map[string]int
	answers map[string]app.ProvisionResult
}

func newCounting(inner app.Driver, local bool) *countingDriver {
	return &countingDriver{inner: inner, local: local, calls: map[string]int{}, effects: map[string]int{}, answers: map[string]app.ProvisionResult{}}
}

func (d *countingDriver) Local() bool { return d.local }

func (d *countingDriver) Provision(ctx context.Context, req app.ProvisionRequest) (app.ProvisionResult, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls[req.Token]++
	if r, ok := d.answers[req.Token]; ok {
		return r, nil
	}
	d.effects[req.Token]++
	r := app.ProvisionResult{Complete: true, Sandbox: true, Addresses: []string{"198.18.9." + string(rune('1'+len(d.answers)))},
		Credentials: map[string]string{"password": "pw-" + req.Token}}
	if d.inner != nil {
		var err error
		if r, err = d.inner.Provision(ctx, req); err != nil {
			return r, err
		}
	}
	d.answers[req.Token] = r
	return r, nil
}

func (d *countingDriver) counts(token string) (calls, effects int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[token], d.effects[token]
}

// buy checks out and pays one line by balance.
func (s commerceSUT) buy(t *testing.T, p account.Principal, product, plan, cycle string) app.OrderView {
	t.Helper()
	ctx := context.Background()
	v, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line(product, plan, cycle)}, Agreement: ack()}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err = s.a.PayOrder(ctx, p, v.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	return v
}

func (s commerceSUT) serviceOf(t *testing.T, p account.Principal, orderID string) app.ServiceView {
	t.Helper()
	svcs, err := s.a.Services(context.Background(), p, app.ServiceListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range svcs {
		if v.OrderID == orderID {
			return v
		}
	}
	t.Fatalf("no service of order %s", orderID)
	return app.ServiceView{}
}

// TestCrashBetweenEffectAndRecordProvisionsOnce: the record step fails
// once after the driver's effect (as a crash would); running the step
// again hands the driver the same token, which repeats no effect, and the
// delivery is recorded once.
func TestCrashBetweenEffectAndRecordProvisionsOnce(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	d := newCounting(nil, true)
	s.a.SetDriverForTest("sandbox", d)
	_, p, o := s.buyWithFailedRecord(t)
	svc := s.serviceOf(t, p, o.ID)
	if svc.State != "pending" {
		t.Fatalf("service before delivery = %s", svc.State)
	}
	for range 2 { // the job's retry, then a duplicate job: the second finds it done
		if err := s.a.ProvisionService(ctx, svc.ID); err != nil {
			t.Fatal(err)
		}
	}
	calls, effects := d.counts(svc.ID)
	if calls != 2 || effects != 1 {
		t.Fatalf("driver calls %d effects %d; want 2 calls, 1 effect", calls, effects)
	}
	got, err := s.a.Order(ctx, p, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != "delivered" || got.DeliveredAt.IsZero() {
		t.Fatalf("order = %s delivered %v", got.State, got.DeliveredAt)
	}
	for q, want := range map[string]int{
		`SELECT COUNT(*) FROM audit_event WHERE action = 'service.delivered' AND subject_id = $1`:                            1,
		`SELECT COUNT(*) FROM address_assignment WHERE service_id = $1`:                                                      1,
		`SELECT COUNT(*) FROM notification WHERE event = 'delivery.completed' AND subject_id = $1`:                           1,
		`SELECT COUNT(*) FROM service_delivery WHERE service_id = $1 AND credentials <> '' AND credentials NOT LIKE '%pw-%'`: 1,
	} {
		if n := countRows(t, s.a, q, svc.ID); n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
}

// TestSandboxDeliversAtOnceLabelledSandbox: a sandbox product is delivered
// right after payment from the configured pool, labelled sandbox, its
// credentials readable only by a re-authenticated session.
func TestSandboxDeliversAtOnceLabelledSandbox(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cs-nc-bw", "s1", "month")
	if o.State != "delivered" || !o.DeliveredAt.Equal(o.PaidAt) {
		t.Fatalf("order = %s paid %v delivered %v", o.State, o.PaidAt, o.DeliveredAt)
	}
	svc := s.serviceOf(t, p, o.ID)
	dv, err := s.a.ServiceDelivery(ctx, p, svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !dv.Sandbox || dv.Status != "delivered" || len(dv.Addresses) != 1 || !strings.HasPrefix(dv.Addresses[0], "198.18.0.") || !dv.HasCredentials ||
		!dv.InspectionOpen || !dv.InspectionUntil.Equal(dv.DeliveredAt.Add(24*time.Hour)) {
		t.Fatalf("delivery = %+v", dv)
	}
	_, res := s.login(t, r.email, goodPassword)
	creds, err := s.a.ServiceCredentials(ctx, p, res.SessionToken, svc.ID)
	if err != nil || creds["username"] != "root" || creds["password"] == "" {
		t.Fatalf("credentials = %v, %v", creds, err)
	}
	_, err = s.a.ServiceCredentials(ctx, p, "", svc.ID)
	if err == nil {
		t.Fatal("credentials without a session")
	}
	s.clock.Advance(6 * time.Minute) // past account.ReauthWindow
	_, err = s.a.ServiceCredentials(ctx, p, res.SessionToken, svc.ID)
	wantCode(t, err, "session.reauth_required")
	_, other := s.buyer(t, 0)
	_, err = s.a.ServiceDelivery(ctx, other, svc.ID)
	wantKind(t, err, errs.NotFound)
}

// TestManualFulfilmentChecksEverythingFirst: a manual product waits in
// the queue with its deadline; a fulfilment missing required fields is
// refused naming the field and records nothing; a good one delivers the
// service and the order.
func TestManualFulfilmentChecksEverythingFirst(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	_, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cs-gz-home", "h4", "month")
	if o.State != "provisioning" {
		t.Fatalf("order = %s", o.State)
	}
	svc := s.serviceOf(t, p, o.ID)
	s.clock.Advance(time.Hour)
	q, err := s.a.ProvisioningQueue(ctx, ops)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].ServiceID != svc.ID || q[0].Status != "pending" || q[0].RemainingSeconds != 23*3600 {
		t.Fatalf("queue = %+v", q)
	}
	_, err = s.a.ProvisioningQueue(ctx, p)
	wantKind(t, err, errs.Forbidden)
	for _, c := range []struct {
		name  string
		in    app.FulfilInput
		field string
	}{
		{"no address", app.FulfilInput{Notes: "x"}, "body.addresses"},
		{"bad address", app.FulfilInput{Addresses: []string{"203.0.113.5", "nope"}}, "body.addresses[1]"},
		{"unnamed credential", app.FulfilInput{Addresses: []string{"203.0.113.5"}, Credentials: []app.Credential{{Value: "x"}}}, "body.credentials[0].name"},
		{"empty credential", app.FulfilInput{Addresses: []string{"203.0.113.5"}, Credentials: []app.Credential{{Name: "root"}}}, "body.credentials[0].value"},
	} {
		_, err := s.a.Fulfil(ctx, ops, svc.ID, c.in)
		var e *errs.Error
		if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != c.field {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM address_assignment WHERE service_id = $1`, svc.ID); n != 0 {
		t.Fatalf("refused fulfilments left %d assignments", n)
	}
	dv, err := s.a.Fulfil(ctx, ops, svc.ID, app.FulfilInput{Addresses: []string{"203.0.113.5"}, Notes: "SSH on 22",
		Credentials: []app.Credential{{Name: "root_password", Value: "s3cret"}}})
	if err != nil {
		t.Fatal(err)
	}
	if dv.Status != "delivered" || dv.Sandbox || dv.Addresses[0] != "203.0.113.5" {
		t.Fatalf("delivery = %+v", dv)
	}
	got, _ := s.a.Order(ctx, p, o.ID)
	if got.State != "delivered" || !got.DeliveredAt.Equal(dv.DeliveredAt) {
		t.Fatalf("order = %s %v", got.State, got.DeliveredAt)
	}
	_, err = s.a.Fulfil(ctx, ops, svc.ID, app.FulfilInput{Addresses: []string{"203.0.113.6"}})
	wantCode(t, err, app.CodeDeliveryNotPending)
}

// TestDeliveryDeadlineSweep: before the SLA nothing; at deliver_by
// (exclusive deadline) and after it the breach is recorded once, the
// customer told, and the refund engine grants a full refund whatever the
// class (clause 2.2).
func TestDeliveryDeadlineSweep(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		offset time.Duration
		breach bool
	}{{"before", -time.Millisecond, false}, {"at", 0, true}, {"after", time.Hour, true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newCommerceApp(t)
			ctx := context.Background()
			_, p := s.buyer(t, 100000)
			o := s.buy(t, p, "cs-gz-home", "h4", "month") // manual, home broadband, SLA 24 h
			s.clock.Advance(o.DeliverBy.Add(c.offset).Sub(s.clock.Now()))
			if err := s.a.RunSweeps(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.a.RunSweeps(ctx); err != nil {
				t.Fatal(err)
			}
			svc := s.serviceOf(t, p, o.ID)
			dv, err := s.a.ServiceDelivery(ctx, p, svc.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if c.breach {
				want = 1
			}
			if dv.Breached != c.breach || dv.FullRefundRight != c.breach ||
				countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'order.delivery_breached' AND subject_id = $1`, o.ID) != want ||
				countRows(t, s.a, `SELECT COUNT(*) FROM notification WHERE event = 'delivery.breached' AND subject_id = $1`, o.ID) != want {
				t.Fatalf("delivery = %+v", dv)
			}
			if !c.breach {
				return
			}
			// Delivered late, the breach stands and the home-broadband
			// class does not remove the full refund.
			if err := s.a.DeliverOrderForTest(ctx, o.ID); err != nil {
				t.Fatal(err)
			}
			d, err := s.a.RefundPreview(ctx, p, o.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !d.Breach || d.Outcome != "eligible" || d.AmountFen != o.TotalFen {
				t.Fatalf("refund preview = %+v", d)
			}
		})
	}
}

// TestInspectionWindowEndIncluded: a problem can be reported at exactly
// delivered_at + inspection.window, not one second later; the acceptance
// sweep then records the delivery accepted at the window's end.
func TestInspectionWindowEndIncluded(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cs-nc-bw", "s1", "month")
	svc := s.serviceOf(t, p, o.ID)
	end := o.DeliveredAt.Add(24 * time.Hour) // the demo agreement's inspection.window
	s.clock.Advance(end.Sub(s.clock.Now()))
	if err := s.a.RunSweeps(ctx); err != nil {
		t.Fatal(err)
	}
	tk, err := s.a.ReportDeliveryProblem(ctx, p, svc.ID, app.DeliveryProblem{Problem: "wrong_specification", Detail: "2 GiB, not 4"})
	if err != nil {
		t.Fatal(err)
	}
	if string(tk.Category) != "delivery_issue" || tk.LinkType != "service" || tk.LinkID != svc.ID {
		t.Fatalf("ticket = %+v", tk)
	}
	s.clock.Advance(time.Second)
	_, err = s.a.ReportDeliveryProblem(ctx, p, svc.ID, app.DeliveryProblem{Problem: "other", Detail: "late"})
	wantCode(t, err, app.CodeInspectionClosed)
	if err := s.a.RunSweeps(ctx); err != nil {
		t.Fatal(err)
	}
	dv, err := s.a.ServiceDelivery(ctx, p, svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if dv.InspectionOpen || !dv.AcceptedAt.Equal(end) || dv.IssueTicketID != tk.ID {
		t.Fatalf("delivery = %+v", dv)
	}
	// A defect ticket stays possible.
	if _, err := s.a.TicketCreate(ctx, p, app.TicketInput{Subject: "defect", Category: "complaint", Priority: "normal", Body: "disk errors",
		LinkType: "service", LinkID: svc.ID}); err != nil {
		t.Fatal(err)
	}
}

// TestAcceptSweepBackfillsOlderDeliveries: a delivery recorded before
// migration 00026 has no window end; the acceptance sweep computes it from
// the order's policy (the demo agreement's 24 h inspection.window), then
// accepts the delivery once that end has passed, at that end (ADR 20).
func TestAcceptSweepBackfillsOlderDeliveries(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cs-nc-bw", "s1", "month")
	svc := s.serviceOf(t, p, o.ID)
	rec, err := store.ProvisionGet(ctx, s.a.DB(), svc.ID)
	if err != nil {
		t.Fatal(err)
	}
	end := rec.DeliveredAt.Add(24 * time.Hour)
	if !rec.AcceptDue.Equal(end) {
		t.Fatalf("window end recorded at delivery = %v, want %v", rec.AcceptDue, end)
	}
	if err := s.a.DB().InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE service_delivery SET accept_due_ms = NULL WHERE service_id = $1`, svc.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name     string
		at       time.Time
		accepted int64
	}{
		{"inside the window: only the end is recorded", end.Add(-time.Hour), 0},
		{"at the window's end, which is included", end, 0},
		{"after it", end.Add(time.Second), 1},
		{"again: nothing left", end.Add(time.Hour), 0},
	} {
		n, err := s.a.RunSweepForTest(ctx, "delivery.accept", step.at)
		if err != nil || n != step.accepted {
			t.Fatalf("%s: %d accepted, %v; want %d", step.name, n, err, step.accepted)
		}
		rec, err := store.ProvisionGet(ctx, s.a.DB(), svc.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !rec.AcceptDue.Equal(end) {
			t.Fatalf("%s: window end = %v, want %v", step.name, rec.AcceptDue, end)
		}
		if accepted := !rec.AcceptedAt.IsZero(); accepted != step.at.After(end) || (accepted && !rec.AcceptedAt.Equal(end)) {
			t.Fatalf("%s: accepted at %v", step.name, rec.AcceptedAt)
		}
	}
}

// TestAddressHistoryAfterReassignment: an address handed to a second
// service ends the first one's holding; who held it at T is answered for
// each instant.
func TestAddressHistoryAfterReassignment(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	_, p1 := s.buyer(t, 100000)
	_, p2 := s.buyer(t, 100000)
	o1 := s.buy(t, p1, "cs-gz-home", "h4", "month")
	o2 := s.buy(t, p2, "cs-gz-home", "h4", "month")
	a1, a2 := s.serviceOf(t, p1, o1.ID), s.serviceOf(t, p2, o2.ID)
	t1 := s.clock.Now()
	if _, err := s.a.Fulfil(ctx, ops, a1.ID, app.FulfilInput{Addresses: []string{"203.0.113.77"}}); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(2 * time.Hour)
	t2 := s.clock.Now()
	if _, err := s.a.Fulfil(ctx, ops, a2.ID, app.FulfilInput{Addresses: []string{"203.0.113.77"}}); err != nil {
		t.Fatal(err)
	}
	s.wantHolders(t, ops, "203.0.113.77", []holderCase{
		{"before anyone", t1.Add(-time.Millisecond), ""},
		{"first holder", t1, a1.ID},
		{"first holder's last instant", t2.Add(-time.Millisecond), a1.ID},
		{"second holder", t2, a2.ID},
		{"later", t2.Add(30 * 24 * time.Hour), a2.ID},
	})
}

// holderCase: who (a service id, "" for nobody) held an address at.
type holderCase struct {
	name string
	at   time.Time
	want string
}

// wantHolders checks the address history's answer for address in each case.
func (s commerceSUT) wantHolders(t *testing.T, staff account.Principal, address string, cases []holderCase) {
	t.Helper()
	for _, c := range cases {
		h, ok, err := s.a.AddressHolder(context.Background(), staff, app.LookupInput{Address: address, At: c.at, Purpose: "abuse_investigation"})
		if err != nil {
			t.Fatal(err)
		}
		if (c.want == "") == ok || h.ServiceID != c.want {
			t.Errorf("%s: holder %+v ok %v, want %q", c.name, h, ok, c.want)
		}
	}
}

// TestCertificateStatesFeedTheRefundRules: an OV certificate delivered by
// hand is refundable until submitted to the CA (clause 3.2.2), not after;
// a CA rejection refunds in full.
func TestCertificateStatesFeedTheRefundRules(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	_, p := s.buyer(t, 1000000)
	outcome := func(orderID string) string {
		d, err := s.a.RefundPreview(ctx, p, orderID)
		if err != nil {
			t.Fatal(err)
		}
		return string(d.Outcome)
	}
	o := s.buy(t, p, "cert-ov", "ov1", "one_off")
	svc := s.serviceOf(t, p, o.ID)
	_, err := s.a.Fulfil(ctx, ops, svc.ID, app.FulfilInput{Notes: "issued"})
	wantCode(t, err, app.CodeCertNotIssued)
	_, err = s.a.RecordCertState(ctx, ops, svc.ID, app.CertStateInput{State: "issued"})
	wantCode(t, err, "delivery.cert_bad_transition")
	if _, err := s.a.RecordCertState(ctx, ops, svc.ID, app.CertStateInput{State: "validating"}); err != nil {
		t.Fatal(err)
	}
	if got := outcome(o.ID); got != "eligible" {
		t.Fatalf("validating: %s", got)
	}
	if _, err := s.a.RecordCertState(ctx, ops, svc.ID, app.CertStateInput{State: "submitted_to_ca", Note: "CA #1"}); err != nil {
		t.Fatal(err)
	}
	if got := outcome(o.ID); got != "ineligible" {
		t.Fatalf("submitted: %s", got)
	}
	if _, err := s.a.RecordCertState(ctx, ops, svc.ID, app.CertStateInput{State: "issued"}); err != nil {
		t.Fatal(err)
	}
	dv, err := s.a.Fulfil(ctx, ops, svc.ID, app.FulfilInput{Notes: "certificate and chain emailed"})
	if err != nil || dv.Status != "delivered" || len(dv.CertStates) != 3 {
		t.Fatalf("delivery = %+v, %v", dv, err)
	}
	o2 := s.buy(t, p, "cert-ov", "ov1", "one_off")
	svc2 := s.serviceOf(t, p, o2.ID)
	for _, st := range []string{"validating", "submitted_to_ca", "ca_rejected"} {
		if _, err := s.a.RecordCertState(ctx, ops, svc2.ID, app.CertStateInput{State: st}); err != nil {
			t.Fatal(err)
		}
	}
	if got := outcome(o2.ID); got != "eligible" {
		t.Fatalf("rejected by the CA: %s", got)
	}
}

// TestNodeTokensAreRevocable: a node's token is shown once, authenticates
// its agent and usage reports, and is refused once revoked.
func TestNodeTokensAreRevocable(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	nc, err := s.a.NodeCreate(ctx, ops, app.NodeInput{ID: "nc-vpn-1", Kind: "vpn", Name: "南昌 VPN 1", Region: "cn-jx-nanchang"})
	if err != nil {
		t.Fatal(err)
	}
	n, err := s.a.AuthenticateNode(ctx, nc.Token)
	if err != nil || n.ID != "nc-vpn-1" || n.Kind != "vpn" {
		t.Fatalf("authenticate = %+v, %v", n, err)
	}
	_, err = s.a.NodeCreate(ctx, ops, app.NodeInput{ID: "nc-vpn-1", Kind: "vpn", Name: "again"})
	wantCode(t, err, "node.exists")
	_, err = s.a.NodeCreate(ctx, ops, app.NodeInput{ID: "x1", Kind: "router", Name: "r"})
	wantCode(t, err, "node.invalid")
	if _, err := s.a.NodeRevoke(ctx, ops, "nc-vpn-1"); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.AuthenticateNode(ctx, nc.Token)
	wantCode(t, err, app.CodeNodeUnauthorized)
	_, err = s.a.IngestUsage(ctx, nc.Token, []byte(`{"samples":[]}`))
	wantCode(t, err, app.CodeNodeUnauthorized)
	_, p := s.buyer(t, 0)
	_, err = s.a.Nodes(ctx, p)
	wantKind(t, err, errs.Forbidden)
}

// TestProvisioningJobDeliversAsynchronousDrivers: a driver that is not
// local runs only in the job, which the runner picks up.
func TestProvisioningJobDeliversAsynchronousDrivers(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	d := newCounting(nil, false)
	s.a.SetDriverForTest("sandbox", d)
	_, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cs-nc-bw", "s1", "month")
	if o.State != "provisioning" {
		t.Fatalf("order = %s", o.State)
	}
	start(t, s.a)
	waitFor(t, "the job's delivery", func() bool {
		v, err := s.a.Order(ctx, p, o.ID)
		return err == nil && v.State == "delivered"
	})
	svc := s.serviceOf(t, p, o.ID)
	if _, effects := d.counts(svc.ID); effects != 1 {
		t.Fatalf("effects = %d", effects)
	}
}

// buyWithFailedRecord makes the first record step fail (a crash between
// the driver's effect and the record), then has a new buyer buy a sandbox
// server: the order is paid and waits in provisioning.
func (s commerceSUT) buyWithFailedRecord(t *testing.T) (registered, account.Principal, app.OrderView) {
	t.Helper()
	failed := false
	s.a.FailRecordForTest(func() error {
		if !failed {
			failed = true
			return errors.New("crash before the record")
		}
		return nil
	})
	r, p := s.buyer(t, 100000)
	o := s.buy(t, p, "cs-nc-bw", "s1", "month")
	if o.State != "provisioning" || !failed {
		t.Fatalf("order after a failed record = %s (failed %v)", o.State, failed)
	}
	return r, p, o
}
