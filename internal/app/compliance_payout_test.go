package app_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/store"
)

// heldByBan is a refund approved to its original route (Alipay) whose
// payout a ban imposed after the approval holds back.
type heldByBan struct {
	gatewaySUT
	p       account.Principal
	accID   string
	order   app.OrderView
	refund  string
	measure string
}

func newHeldByBan(t *testing.T) heldByBan {
	t.Helper()
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
	return heldByBan{gatewaySUT: s, p: p, accID: r.view.ID, order: v, refund: rq.ID, measure: m.ID}
}

// decideAppeal files the customer's appeal against the ban and has a
// reviewer take it and decide it (overturn or uphold).
func (h heldByBan) decideAppeal(t *testing.T, action string) {
	t.Helper()
	ctx := context.Background()
	ap, err := h.a.FileAppeal(ctx, h.p, app.AppealInput{MeasureID: h.measure, Statement: "the payment was mine"})
	if err != nil {
		t.Fatal(err)
	}
	reviewer := h.staff(t, nil, "reviewer", account.RoleAppealReviewer)
	if _, err := h.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: "review"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: action, Text: "decided on the evidence"}); err != nil {
		t.Fatal(err)
	}
}

// paidOut waits (running the sweeps) until the refund is paid, then checks
// that exactly one refund reached the gateway.
func (h heldByBan) paidOut(t *testing.T, what string) {
	t.Helper()
	ctx := context.Background()
	eventually(t, what, func() bool {
		_ = h.a.RunSweeps(ctx)
		got, _ := h.a.Refund(ctx, h.p, h.refund)
		return got.State == app.RefundPaid
	})
	if tr, _ := h.gw.Trade(payment.Alipay, h.order.PendingAttempt.Ref); len(tr.Refunds) != 1 {
		t.Fatalf("gateway refunds %+v, want one", tr.Refunds)
	}
}

// A ban between a refund's approval and its payout stops the payout; an
// overturn on appeal lets it go out.
func TestBanBetweenApprovalAndPayoutHoldsThePayout(t *testing.T) {
	t.Parallel()
	h := newHeldByBan(t)
	h.decideAppeal(t, "overturn")
	h.clock.Advance(time.Hour + time.Minute)
	h.paidOut(t, "the payout after the overturn")
}

// A ban made final (its appeal upheld) ends the account, and the payout it
// held goes out with the rest of what the account is owed (clause 6.2:
// nothing is forfeited) — at once, without waiting for the hour a held
// payout waits between tries; the release is audited.
func TestFinalBanReleasesThePayoutItHeld(t *testing.T) {
	t.Parallel()
	h := newHeldByBan(t)
	h.decideAppeal(t, "uphold")
	h.paidOut(t, "the payout after the final ban")
	if acc, err := store.AccountGet(context.Background(), h.a.DB(), h.accID); err != nil || acc.State != string(account.StateClosed) {
		t.Fatalf("account %+v after the final ban, want closed (%v)", acc, err)
	}
	if n := auditCount(t, h.a.DB(), "payment.payouts_released"); n != 1 {
		t.Fatalf("payouts_released audited %d times", n)
	}
	if n := auditCount(t, h.a.DB(), "payment.payout_held"); n != 1 {
		t.Fatalf("payout_held audited %d times after the release", n)
	}
}

// An authority hold on the account keeps a refund's payout to its original
// route (Alipay, WeChat Pay) back, whether placed before or after the
// approval: no refund call reaches the gateway, the refund stays paying
// and says the payout is held under clause 4.2, the hold is audited once.
// Lifting the hold releases the payout: it is paid out exactly once.
func TestAuthorityHoldHoldsTheRefundPayoutUntilLifted(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, gateway string
		holdFirst     bool // the hold is placed before the approval
	}{
		{"alipay, hold after the approval", payment.Alipay, false},
		{"wechat pay, hold before the approval", payment.WeChatPay, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			s := newGatewayApp(t)
			ctx := context.Background()
			r, p := s.buyer(t, 0)
			v := s.orderByGateway(t, p, c.gateway)
			if err := s.gw.Pay(c.gateway, v.PendingAttempt.Ref); err != nil {
				t.Fatal(err)
			}
			eventually(t, "payment", func() bool { o, _ := s.a.Order(ctx, p, v.ID); return !o.PaidAt.IsZero() })
			rq, err := s.a.RequestRefund(ctx, p, refundIn(v.ID, "original_route"))
			if err != nil {
				t.Fatal(err)
			}
			lead := s.staff(t, nil, "lead", account.RoleComplianceLead)
			support := s.staff(t, nil, "support", account.RoleSupportLead)
			place := func() app.HoldView {
				h, err := s.a.PlaceHold(ctx, lead, app.HoldInput{LegalDocInput: legalDoc("协冻字〔2026〕95号"), AccountID: r.view.ID, Reason: "fraud investigation"})
				if err != nil {
					t.Fatal(err)
				}
				return h
			}
			var h app.HoldView
			if c.holdFirst {
				h = place()
			}
			if got, err := s.a.RefundDecide(ctx, support, rq.ID, app.RefundDecision{Action: "approve"}); err != nil || got.State != app.RefundPaying {
				t.Fatalf("approve = %+v, %v", got, err)
			}
			if !c.holdFirst {
				h = place()
			}
			refunds := func() int {
				tr, _ := s.gw.Trade(c.gateway, v.PendingAttempt.Ref)
				return len(tr.Refunds)
			}
			for i := 0; i < 3; i++ { // the hourly retries find it held again
				if err := s.a.RunSweeps(ctx); err != nil {
					t.Fatal(err)
				}
				s.clock.Advance(time.Hour + time.Minute)
			}
			got, err := s.a.Refund(ctx, p, rq.ID)
			if err != nil || got.State != app.RefundPaying || got.PayoutHeld != app.PayoutHeldAuthority || got.PayoutHeldClause != "4.2" || !got.PaidAt.IsZero() {
				t.Fatalf("refund while held = %+v, %v", got, err)
			}
			if n := refunds(); n != 0 {
				t.Fatalf("%d refund calls reached the gateway while held", n)
			}
			if n := auditCount(t, s.a.DB(), "payment.payout_held"); n != 1 {
				t.Fatalf("payout_held audited %d times", n)
			}

			if _, err := s.a.LiftHold(ctx, lead, h.ID, "released by the bureau"); err != nil {
				t.Fatal(err)
			}
			if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'compliance.hold_lifted' AND data LIKE '%"payouts_released":1%'`); n != 1 {
				t.Fatalf("hold_lifted with one payout released: %d", n)
			}
			eventually(t, "the payout after the lift", func() bool {
				_ = s.a.RunSweeps(ctx) // no clock advance: the lift makes it due at once
				got, _ := s.a.Refund(ctx, p, rq.ID)
				return got.State == app.RefundPaid
			})
			for i := 0; i < 3; i++ {
				s.clock.Advance(time.Hour + time.Minute)
				if err := s.a.RunSweeps(ctx); err != nil {
					t.Fatal(err)
				}
			}
			got, _ = s.a.Refund(ctx, p, rq.ID)
			if n := refunds(); n != 1 || got.State != app.RefundPaid || got.PayoutHeld != "" {
				t.Fatalf("after the lift: %d gateway refunds, refund %+v", n, got)
			}
			if n := auditCount(t, s.a.DB(), "payment.refunded"); n != 1 {
				t.Fatalf("payment.refunded audited %d times", n)
			}
		})
	}
}
