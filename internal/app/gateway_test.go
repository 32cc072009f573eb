package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/provider/payment/sandboxgw"
)

// gatewaySUT is a commerce app whose gateways are the sandbox gateway,
// with a real HTTP endpoint for the notifications.
type gatewaySUT struct {
	commerceSUT
	gw *sandboxgw.Server
}

func newGatewayApp(t *testing.T) gatewaySUT {
	t.Helper()
	s := gatewaySUT{commerceSUT: newCommerceApp(t)}
	srv := notifyServer(t, s.a)
	fast := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
	gw, err := sandboxgw.Start(sandboxgw.Options{Now: s.a.Now, AlipayRetry: fast, WeChatRetry: fast})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gw.Close(context.Background()) })
	accs, err := app.GatewayAccountsFor(gw)
	if err != nil {
		t.Fatal(err)
	}
	s.a.ConfigureGateways(app.GatewayConfig{Accounts: accs, NotifyBase: srv.URL, ReturnBase: srv.URL})
	s.gw = gw
	return s
}

// notifyServer serves /callbacks/{gateway} with a's handler.
func notifyServer(t *testing.T, a *app.App) *httptest.Server {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /callbacks/{gw}", func(w http.ResponseWriter, r *http.Request) { a.ServeGatewayNotification(w, r, r.PathValue("gw")) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// eventually polls cond for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func (s gatewaySUT) orderByGateway(t *testing.T, p account.Principal, gw string) app.OrderView {
	t.Helper()
	ctx := context.Background()
	v, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, Agreement: ack()}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	v, err = s.a.PayOrder(ctx, p, v.ID, app.PayRequest{Method: gw})
	if err != nil {
		t.Fatal(err)
	}
	if v.PendingAttempt == nil || len(v.PendingAttempt.Ref) != 32 || v.PendingAttempt.PayURL == "" && v.PendingAttempt.QRCode == "" {
		t.Fatalf("pending attempt = %+v", v.PendingAttempt)
	}
	if v.PendingAttempt.PayURL != "" {
		// An Alipay page trade exists once the customer's browser opens it.
		res, err := http.Get(v.PendingAttempt.PayURL)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	return v
}

func (s gatewaySUT) captures(t *testing.T, orderID string) int {
	return countRows(t, s.a, `SELECT COUNT(*) FROM ledger_txn WHERE reason = 'capture' AND links LIKE $1`, "%"+orderID+"%")
}

func TestGatewayPaymentCreditedOnceUnderReplaysAndRestart(t *testing.T) {
	t.Parallel()
	s := newGatewayApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 0)
	for _, gw := range []string{payment.Alipay, payment.WeChatPay} {
		v := s.orderByGateway(t, p, gw)
		ref := v.PendingAttempt.Ref
		if err := s.gw.Pay(gw, ref); err != nil {
			t.Fatal(err)
		}
		eventually(t, gw+" payment", func() bool { o, _ := s.a.Order(ctx, p, v.ID); return !o.PaidAt.IsZero() })
		// Ten copies at once, then ten more through a second app on the same
		// database (a restarted or another instance).
		if err := s.gw.Replay(gw, ref, 10); err != nil {
			t.Fatal(err)
		}
		other, _ := newApp(t, s.db, app.Config{Clock: s.clock})
		srv2 := notifyServer(t, other)
		accs, _ := app.GatewayAccountsFor(s.gw)
		other.ConfigureGateways(app.GatewayConfig{Accounts: accs, NotifyBase: srv2.URL})
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			go func() { defer wg.Done(); _ = s.gw.Resend(gw, ref) }()
		}
		wg.Wait()
		if err := s.gw.Settle(ctx); err != nil {
			t.Fatal(err)
		}
		if n := s.captures(t, v.ID); n != 1 {
			t.Fatalf("%s: %d captures, want 1", gw, n)
		}
		o, _ := s.a.Order(ctx, p, v.ID)
		if o.PaidFen != o.TotalFen || len(o.Payments) != 1 || o.Payments[0].State != "succeeded" || o.DeliverBy.IsZero() {
			t.Fatalf("%s: order = %+v", gw, o)
		}
	}
}

func TestGatewayRefusesTamperedAndMismatchedNotifications(t *testing.T) {
	t.Parallel()
	s := newGatewayApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 0)
	for _, c := range []struct {
		name string
		b    sandboxgw.Behaviour
		flag string
	}{
		{"tampered amount", sandboxgw.Behaviour{Tamper: "amount"}, app.FlagBadSignature},
		{"forged signature", sandboxgw.Behaviour{Tamper: "forged"}, app.FlagBadSignature},
		{"signed wrong amount", sandboxgw.Behaviour{ReportAmount: 1}, app.FlagAmountMismatch},
	} {
		v := s.orderByGateway(t, p, payment.Alipay)
		ref := v.PendingAttempt.Ref
		s.gw.Misbehave(ref, c.b)
		if err := s.gw.Pay(payment.Alipay, ref); err != nil {
			t.Fatal(err)
		}
		eventually(t, c.name+" flag", func() bool {
			return countRows(t, s.a, `SELECT COUNT(*) FROM payment_flag WHERE kind = $1`, c.flag) > 0
		})
		if err := s.gw.Settle(ctx); err != nil {
			t.Fatal(err)
		}
		if o, _ := s.a.Order(ctx, p, v.ID); o.State != "created" || s.captures(t, v.ID) != 0 {
			t.Fatalf("%s: credited: %+v", c.name, o)
		}
	}
}

func TestLostNotificationRecoveredByQuery(t *testing.T) {
	t.Parallel()
	s := newGatewayApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 0)
	v := s.orderByGateway(t, p, payment.WeChatPay)
	s.gw.Misbehave(v.PendingAttempt.Ref, sandboxgw.Behaviour{Lost: true})
	if err := s.gw.Pay(payment.WeChatPay, v.PendingAttempt.Ref); err != nil {
		t.Fatal(err)
	}
	if err := s.gw.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	if o, _ := s.a.Order(ctx, p, v.ID); o.State != "created" {
		t.Fatalf("paid without a notification: %+v", o)
	}
	s.sweepTo(t, s.clock.Now().Add(3*time.Minute))
	if o, _ := s.a.Order(ctx, p, v.ID); o.PaidAt.IsZero() || s.captures(t, v.ID) != 1 {
		t.Fatalf("after the query sweep: %+v", o)
	}
}

func TestTopUpWithdrawToRouteAndReconcile(t *testing.T) {
	t.Parallel()
	s := newGatewayApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 0)
	at, err := s.a.TopUp(ctx, p, app.TopUpRequest{AmountFen: 20000, Gateway: payment.WeChatPay, Kind: "qr"})
	if err != nil || at.State != "pending" || at.QRCode == "" {
		t.Fatalf("top-up = %+v, %v", at, err)
	}
	if err := s.gw.Pay(payment.WeChatPay, at.Ref); err != nil {
		t.Fatal(err)
	}
	eventually(t, "top-up credit", func() bool { return s.balance(t, p).CashFen == 20000 })
	// Withdraw to the original route: a WeChat Pay refund of the top-up.
	w, err := s.a.RequestWithdrawal(ctx, p, app.WithdrawalRequest{AmountFen: 15000, Destination: "原路退回 original route"})
	if err != nil {
		t.Fatal(err)
	}
	fin := s.staff(t, nil, "fin", account.RoleFinanceApprover)
	if _, err := s.a.DecideWithdrawal(ctx, fin, w.ID, app.WithdrawalDecision{Action: "approve"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.PayWithdrawalToRoute(ctx, fin, w.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "withdrawal paid", func() bool {
		_ = s.a.RunSweeps(ctx)
		ws, _ := s.a.Withdrawals(ctx, p, nil)
		return len(ws) == 1 && ws[0].State == app.WithdrawalPaid
	})
	if b := s.balance(t, p); b.CashFen != 5000 {
		t.Fatalf("cash after withdrawal = %+v", b)
	}
	// A day later, the bill matches.
	day := s.clock.Now()
	s.clock.Advance(24 * time.Hour)
	diffs, err := s.a.Reconcile(ctx, payment.WeChatPay, day)
	if err != nil || len(diffs) != 0 {
		t.Fatalf("reconciliation of a clean day: %+v, %v", diffs, err)
	}
	// An entry only the gateway has (a payment whose notification was lost
	// and not yet queried) and one only we have (an attempt we marked paid
	// that the gateway never saw).
	lost, err := s.a.TopUp(ctx, p, app.TopUpRequest{AmountFen: 1000, Gateway: payment.WeChatPay, Kind: "qr"})
	if err != nil {
		t.Fatal(err)
	}
	s.gw.Misbehave(lost.Ref, sandboxgw.Behaviour{Lost: true})
	if err := s.gw.Pay(payment.WeChatPay, lost.Ref); err != nil {
		t.Fatal(err)
	}
	ghost, err := s.a.TopUp(ctx, p, app.TopUpRequest{AmountFen: 700, Gateway: payment.WeChatPay, Kind: "qr"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Writer().ExecContext(ctx, `UPDATE gateway_attempt SET state = 'succeeded', settled_at_ms = $2 WHERE ref = $1`,
		ghost.Ref, s.clock.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	diffs, err = s.a.Reconcile(ctx, payment.WeChatPay, s.clock.Now())
	if err != nil || len(diffs) != 2 {
		t.Fatalf("differences = %+v, %v", diffs, err)
	}
	kinds := map[string]string{}
	for _, d := range diffs {
		kinds[d.Ref] = d.Kind
	}
	if kinds[lost.Ref] != "only_gateway" || kinds[ghost.Ref] != "only_ours" {
		t.Fatalf("differences = %+v", diffs)
	}
}

func TestClosedNotificationAfterPaymentChangesNothing(t *testing.T) {
	t.Parallel()
	s := newGatewayApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 0)
	for _, order := range []sandboxgw.Order{sandboxgw.OrderClosedAfterPaid, sandboxgw.OrderClosedBeforePaid} {
		v := s.orderByGateway(t, p, payment.Alipay)
		s.gw.Misbehave(v.PendingAttempt.Ref, sandboxgw.Behaviour{Order: order})
		if err := s.gw.Pay(payment.Alipay, v.PendingAttempt.Ref); err != nil {
			t.Fatal(err)
		}
		if err := s.gw.Settle(ctx); err != nil {
			t.Fatal(err)
		}
		eventually(t, string(order), func() bool {
			o, _ := s.a.Order(ctx, p, v.ID)
			return !o.PaidAt.IsZero() || countRows(t, s.a, `SELECT COUNT(*) FROM payment_flag WHERE kind = 'late_payment' AND ref = $1`, v.PendingAttempt.Ref) == 1
		})
		// Paid exactly once either way: on the order, or (closed first, then
		// paid) as the customer's cash with a finance flag.
		o, _ := s.a.Order(ctx, p, v.ID)
		credits := s.captures(t, v.ID) + countRows(t, s.a, `SELECT COUNT(*) FROM ledger_txn WHERE reason = 'top_up' AND links LIKE $1`, "%"+v.PendingAttempt.ID+"%")
		if credits != 1 {
			t.Fatalf("%s: %d credits (order %s)", order, credits, o.State)
		}
	}
}
