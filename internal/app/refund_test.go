package app_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/notify"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/refund"
)

func refundIn(orderID, dest string) app.RefundInput {
	return app.RefundInput{OrderID: orderID, Reason: "不需要了 / not needed", Statement: "logged in once", Destination: dest, ConfirmSuspension: true}
}

func (s commerceSUT) paidOrder(t *testing.T, p account.Principal, product, plan, cycle string) app.OrderView {
	t.Helper()
	ctx := context.Background()
	v, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line(product, plan, cycle)}, Agreement: ack()}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	v, err = s.a.PayOrder(ctx, p, v.ID, app.PayRequest{Method: app.MethodBalance})
	if err != nil {
		t.Fatal(err)
	}
	if v.State != "delivered" { // a manual product: operations deliver it by hand
		if err := s.a.DeliverOrderForTest(ctx, v.ID); err != nil {
			t.Fatal(err)
		}
		if v, err = s.a.Order(ctx, p, v.ID); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func TestRefundToBalanceWithinTheWindow(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 10000)
	o := s.paidOrder(t, p, "cs-nc-bw", "s1", "month")
	if o.State != "delivered" || o.DeliveredAt.IsZero() {
		t.Fatalf("order = %+v", o)
	}
	d, err := s.a.RefundPreview(ctx, p, o.ID)
	if err != nil || d.Outcome != refund.Eligible || d.AmountFen != 3900 { // on the sandbox node: 0 bytes so far
		t.Fatalf("preview = %+v, %v", d, err)
	}
	_, err = s.a.RequestRefund(ctx, p, app.RefundInput{OrderID: o.ID, Reason: "x", Destination: "balance"})
	wantCode(t, err, app.CodeRefundConfirmSuspension)
	_, err = s.a.RequestRefund(ctx, p, refundIn(o.ID, "bank"))
	wantCode(t, err, app.CodeRefundDestination)
	s.clock.Advance(24 * time.Hour) // the end of the window is included
	rq, err := s.a.RequestRefund(ctx, p, refundIn(o.ID, "balance"))
	if err != nil || rq.State != app.RefundUnderReview || rq.TicketID == "" || rq.ReviewDue.IsZero() {
		t.Fatalf("request = %+v, %v", rq, err)
	}
	_, err = s.a.RequestRefund(ctx, p, refundIn(o.ID, "balance"))
	wantCode(t, err, app.CodeRefundDuplicate)
	svcs, _ := s.a.Services(ctx, p, app.ServiceListFilter{})
	if len(svcs) != 1 || svcs[0].State != "suspended" || svcs[0].Suspensions[0].Reason != "refund_pending" {
		t.Fatalf("services under review = %+v", svcs)
	}
	lead := s.staff(t, nil, "lead", account.RoleSupportLead)
	support := s.staff(t, nil, "support", account.RoleSupport)
	_, err = s.a.RefundDecide(ctx, support, rq.ID, app.RefundDecision{Action: "approve"})
	wantKind(t, err, errs.Forbidden)
	got, err := s.a.RefundDecide(ctx, lead, rq.ID, app.RefundDecision{Action: "approve", Text: "ok"})
	if err != nil || got.State != app.RefundPaid {
		t.Fatalf("approve = %+v, %v", got, err)
	}
	if b := s.balance(t, p); b.CashFen != 10000 || b.RefundCreditFen != 0 {
		t.Fatalf("a balance payment goes back to where it came from: %+v", b)
	}
	ord, _ := s.a.Order(ctx, p, o.ID)
	svcs, _ = s.a.Services(ctx, p, app.ServiceListFilter{})
	if ord.State != "refunded" || svcs[0].State != "terminated" {
		t.Fatalf("after approval: order %s, service %s", ord.State, svcs[0].State)
	}
	if n := s.notices(t, r.view.ID, notify.EventRefundDecided); n != 1 {
		t.Fatalf("decision notices = %d", n)
	}
	_, err = s.a.RefundDecide(ctx, lead, rq.ID, app.RefundDecision{Action: "approve"})
	wantCode(t, err, app.CodeRefundBadState)
}

func TestRefundRefusedAfterTheWindowAndForRenewals(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 100000)
	o := s.paidOrder(t, p, "cs-nc-bw", "s1", "month")
	s.clock.Advance(24*time.Hour + time.Millisecond)
	_, err := s.a.RequestRefund(ctx, p, refundIn(o.ID, "balance"))
	wantCode(t, err, app.CodeRefundIneligible)
	var e *errs.Error
	if !errors.As(err, &e) || e.Params["rules"] == nil {
		t.Fatalf("refusal = %+v", e)
	}
	// A home-broadband line once opened, a certificate once issued, a pack.
	for _, c := range []struct{ product, plan, cycle string }{{"cs-gz-home", "h4", "month"}, {"cert-dv", "dv1", "one_off"}} {
		o := s.paidOrder(t, p, c.product, c.plan, c.cycle)
		_, err := s.a.RequestRefund(ctx, p, refundIn(o.ID, "balance"))
		wantCode(t, err, app.CodeRefundIneligible)
	}
	// A renewal is not a new purchase.
	svcs, _ := s.a.Services(ctx, p, app.ServiceListFilter{})
	var server app.ServiceView
	for _, sv := range svcs {
		if sv.ProductID == "cs-nc-bw" && sv.OrderID == o.ID {
			server = sv
		}
	}
	ren, err := s.a.RenewService(ctx, p, server.ID, app.RenewRequest{Cycles: 1, Agreement: ack()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.PayOrder(ctx, p, ren.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.RequestRefund(ctx, p, refundIn(ren.ID, "balance"))
	wantCode(t, err, app.CodeRefundIneligible)
	// Someone else's order does not exist for them.
	_, other := s.buyer(t, 0)
	_, err = s.a.RequestRefund(ctx, other, refundIn(o.ID, "balance"))
	wantKind(t, err, errs.NotFound)
}

func TestRefundRejectedRestoresAndExtends(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 10000)
	o := s.paidOrder(t, p, "cs-nc-bw", "s1", "month")
	before, _ := s.a.Services(ctx, p, app.ServiceListFilter{})
	rq, err := s.a.RequestRefund(ctx, p, refundIn(o.ID, "original_route"))
	if err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(5 * time.Hour)
	lead := s.staff(t, nil, "lead", account.RoleSupportLead)
	_, err = s.a.RefundDecide(ctx, lead, rq.ID, app.RefundDecision{Action: "reject"})
	wantCode(t, err, app.CodeRefundReasonCodeRequired)
	got, err := s.a.RefundDecide(ctx, lead, rq.ID, app.RefundDecision{Action: "reject", ReasonCode: "usage_exceeded", Text: "heavy traffic"})
	if err != nil || got.State != app.RefundRejected {
		t.Fatalf("reject = %+v, %v", got, err)
	}
	after, _ := s.a.Services(ctx, p, app.ServiceListFilter{})
	if after[0].State != "active" || !after[0].ExpiresAt.Equal(before[0].ExpiresAt.Add(5*time.Hour)) {
		t.Fatalf("after rejection: %+v (before %s)", after[0], before[0].ExpiresAt)
	}
}

func TestRefundReviewDeadlineOnTheCalendarAndAutoApproval(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 10000)
	// Paid at 2026-06-18 23:59 +08:00, the eve of 端午: three working days
	// not counting the day of receipt end with 2026-06-24.
	s.clock.Advance(time.Date(2026, 6, 18, 23, 59, 0, 0, time.FixedZone("CST", 8*3600)).Sub(s.clock.Now()))
	o := s.paidOrder(t, p, "cdn-traffic", "c1t", "month")
	rq, err := s.a.RequestRefund(ctx, p, refundIn(o.ID, "balance"))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 6, 25, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if !rq.ReviewDue.Equal(want) {
		t.Fatalf("review due %s, want %s", rq.ReviewDue, want)
	}
	// At the deadline: escalated and, every automated check having passed,
	// approved (refund.on_review_breach).
	s.sweepTo(t, want.Add(-time.Millisecond))
	if got, _ := s.a.Refund(ctx, p, rq.ID); got.State != app.RefundUnderReview {
		t.Fatalf("decided before the deadline: %+v", got)
	}
	s.sweepTo(t, want)
	got, _ := s.a.Refund(ctx, p, rq.ID)
	if got.State != app.RefundPaid || countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'refund.review_breached' AND subject_id = $1`, rq.ID) != 1 {
		t.Fatalf("after the deadline: %+v", got)
	}

}

func TestConcurrentRequestsAndApprovalsRefundOnce(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 10000)
	o := s.paidOrder(t, p, "cs-nc-bw", "s1", "month")
	var reqs, ok atomic.Int64
	var ids sync.Map
	var wg sync.WaitGroup
	for range 25 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rq, err := s.a.RequestRefund(ctx, p, refundIn(o.ID, "balance"))
			if err == nil {
				reqs.Add(1)
				ids.Store(rq.ID, true)
			}
		}()
	}
	wg.Wait()
	if reqs.Load() != 1 {
		t.Fatalf("%d requests accepted, want 1", reqs.Load())
	}
	var rid string
	ids.Range(func(k, _ any) bool { rid = k.(string); return false })
	leads := make([]account.Principal, 5)
	for i := range leads {
		leads[i] = s.staff(t, nil, "lead", account.RoleSupportLead)
	}
	for i := range 25 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.a.RefundDecide(ctx, leads[i%len(leads)], rid, app.RefundDecision{Action: "approve"}); err == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d approvals went through, want 1", ok.Load())
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM ledger_txn WHERE reason = 'refund_to_balance' AND links LIKE $1`, "%"+o.ID+"%"); n != 1 {
		t.Fatalf("refund transactions = %d", n)
	}
	if b := s.balance(t, p); b.CashFen != 10000 {
		t.Fatalf("balance = %+v", b)
	}
}

func TestRefundToTheOriginalGatewayRoute(t *testing.T) {
	t.Parallel()
	s := newGatewayApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 0)
	v := s.orderByGateway(t, p, payment.Alipay)
	if err := s.gw.Pay(payment.Alipay, v.PendingAttempt.Ref); err != nil {
		t.Fatal(err)
	}
	eventually(t, "payment", func() bool { o, _ := s.a.Order(ctx, p, v.ID); return o.PaidAt.IsZero() == false })
	rq, err := s.a.RequestRefund(ctx, p, refundIn(v.ID, "original_route"))
	if err != nil {
		t.Fatal(err)
	}
	lead := s.staff(t, nil, "lead", account.RoleSupportLead)
	got, err := s.a.RefundDecide(ctx, lead, rq.ID, app.RefundDecision{Action: "approve"})
	if err != nil || got.State != app.RefundPaying {
		t.Fatalf("approve = %+v, %v", got, err)
	}
	eventually(t, "gateway refund", func() bool {
		_ = s.a.RunSweeps(ctx)
		r, _ := s.a.Refund(ctx, p, rq.ID)
		return r.State == app.RefundPaid
	})
	tr, ok := s.gw.Trade(payment.Alipay, v.PendingAttempt.Ref)
	var refunded int64
	for _, rf := range tr.Refunds {
		refunded += int64(rf.Amount)
	}
	if !ok || refunded != 3900 {
		t.Fatalf("at the gateway: %+v", tr)
	}
}

func TestRefundSwapToACheaperMachineKeepsTheAnchor(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 10000)
	o := s.paidOrder(t, p, "cs-nc-bw", "s2", "month") // ¥79
	rq, err := s.a.RequestRefund(ctx, p, refundIn(o.ID, "swap"))
	if err != nil {
		t.Fatal(err)
	}
	lead := s.staff(t, nil, "lead", account.RoleSupportLead)
	got, err := s.a.RefundDecide(ctx, lead, rq.ID, app.RefundDecision{Action: "approve"})
	if err != nil || got.State != app.RefundSwapPending {
		t.Fatalf("approve = %+v, %v", got, err)
	}
	if b := s.balance(t, p); b.CashFen != 10000-7900 {
		t.Fatalf("money moved before the swap: %+v", b)
	}
	// A dearer machine is not "the same price level".
	_, err = s.a.SwapRefund(ctx, p, rq.ID, app.SwapRequest{ProductID: "cs-gz-home", PlanID: "h4", Cycle: "month", Agreement: ack()})
	wantCode(t, err, app.CodeSwapPriceAbove)
	s.clock.Advance(3 * time.Hour)
	got, err = s.a.SwapRefund(ctx, p, rq.ID, app.SwapRequest{ProductID: "cs-nc-bw", PlanID: "s1", Cycle: "month", Agreement: ack()})
	if err != nil || got.State != app.RefundSwapped {
		t.Fatalf("swap = %+v, %v", got, err)
	}
	old, _ := s.a.Order(ctx, p, o.ID)
	if old.State != "swapped" {
		t.Fatalf("old order %s", old.State)
	}
	// The ¥40 difference stays in the balance; the new server runs.
	if b := s.balance(t, p); b.CashFen+b.RefundCreditFen != 10000-3900 {
		t.Fatalf("balance after the swap: %+v", b)
	}
	orders, _ := s.a.Orders(ctx, p, app.OrderListFilter{})
	repl := orders[0]
	if repl.State != "delivered" || repl.TotalFen != 3900 {
		t.Fatalf("replacement = %+v", repl)
	}
	// The replacement keeps the old anchor: 24 h from the old payment.
	s.clock.Advance(21*time.Hour + time.Minute)
	d, err := s.a.RefundPreview(ctx, p, repl.ID)
	if err != nil || d.Outcome != refund.Ineligible {
		t.Fatalf("the replacement's window should have ended with the original's: %+v, %v", d, err)
	}
}
