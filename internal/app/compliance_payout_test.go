package app_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/provider/payment"
)

// A ban between a refund's approval and its payout stops the payout; an
// overturn on appeal lets it go out.
func TestBanBetweenApprovalAndPayoutHoldsThePayout(t *testing.T) {
	t.Parallel()
	s := newGatewayApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 0)
	v := s.orderByGateway(t, p, payment.Alipay)
	if err := s.gw.Pay(payment.Alipay, v.PendingAttempt.Ref); err != nil {
		t.Fatal(err)
	}
	eventually(t, "payment", func() bool { o, _ := s.a.Order(ctx, p, v.ID); return !o.PaidAt.IsZero() })
	rq, err := s.a.RequestRefund(ctx, p, refundIn(v.ID, "original_route"))
	if err != nil {
		t.Fatal(err)
	}
	support := s.staff(t, nil, "support", account.RoleSupportLead)
	if got, err := s.a.RefundDecide(ctx, support, rq.ID, app.RefundDecision{Action: "approve"}); err != nil || got.State != app.RefundPaying {
		t.Fatalf("approve = %+v, %v", got, err)
	}
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	lead := s.staff(t, nil, "lead", account.RoleComplianceLead)
	m, err := s.a.ImposeMeasure(ctx, lead, s.confirmedCase(t, officer, r.view.ID, ""), app.MeasureInput{Kind: "ban", Reason: "fraud"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := s.a.RunSweeps(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := s.a.Refund(ctx, p, rq.ID); got.State != app.RefundPaying {
		t.Fatalf("refund while banned = %s", got.State)
	}
	if tr, _ := s.gw.Trade(payment.Alipay, v.PendingAttempt.Ref); len(tr.Refunds) != 0 {
		t.Fatalf("paid out while banned: %+v", tr.Refunds)
	}
	if n := auditCount(t, s.a.DB(), "payment.payout_held"); n != 1 {
		t.Fatalf("payout_held audited %d times", n)
	}
	ap, err := s.a.FileAppeal(ctx, p, app.AppealInput{MeasureID: m.ID, Statement: "the payment was mine"})
	if err != nil {
		t.Fatal(err)
	}
	reviewer := s.staff(t, nil, "reviewer", account.RoleAppealReviewer)
	if _, err := s.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: "review"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: "overturn", Text: "the payment was the customer's"}); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(time.Hour + time.Minute)
	eventually(t, "the payout after the overturn", func() bool {
		_ = s.a.RunSweeps(ctx)
		got, _ := s.a.Refund(ctx, p, rq.ID)
		return got.State == app.RefundPaid
	})
}
