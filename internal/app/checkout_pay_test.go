package app_test

import (
	"context"
	"errors"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/order"
	"yuanxu/internal/wallet"
)

func payNow() *app.CheckoutPay { return &app.CheckoutPay{Method: app.MethodBalance} }

// TestCheckoutPaysFromBalanceInOneTransaction: checkout with pay places,
// pays and (the sandbox delivering in the transaction) delivers the order
// in one call, with the same records as placing and paying separately.
func TestCheckoutPaysFromBalanceInOneTransaction(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 10000)
	v, replayed, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, Agreement: ack(),
		Pay: payNow()}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if replayed || v.State != "delivered" || v.PaidFen != 3900 || v.DueFen != 0 || v.PaidAt.IsZero() || v.DeliveredAt != v.PaidAt ||
		len(v.Payments) != 1 || v.Payments[0].FromCashFen != 3900 || v.Agreement.AcceptanceID == "" {
		t.Fatalf("order = %+v", v)
	}
	if b := s.balance(t, p); b.CashFen != 6100 {
		t.Fatalf("balance = %+v", b)
	}
	got, err := s.a.Order(ctx, p, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != v.State || got.PaidFen != v.PaidFen || len(got.Payments) != 1 {
		t.Fatalf("the answer %+v differs from the order as read %+v", v, got)
	}
	for _, action := range []string{"order.created", "payment.succeeded", "order.paid", "order.provisioning", "service.delivered", "order.delivered"} {
		if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = $1 AND (subject_id = $2 OR data LIKE '%' || $2 || '%')`, action, v.ID); n != 1 {
			t.Errorf("%s audited %d times, want once", action, n)
		}
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM agreement_acceptance WHERE order_id = $1 AND occasion = 'checkout' AND account_id = $2`, v.ID, r.view.ID); n != 1 {
		t.Fatalf("checkout acceptances = %d", n)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM service WHERE order_id = $1 AND state = 'active'`, v.ID); n != 1 {
		t.Fatalf("active services = %d", n)
	}
	// Paying it again is refused: it is paid.
	_, err = s.a.PayOrder(ctx, p, v.ID, app.PayRequest{Method: app.MethodBalance})
	wantCode(t, err, app.CodeOrderNotPayable)
}

// TestCheckoutPayIsAllOrNothing: a balance that cannot cover the total,
// a method other than the balance, or a caller who may order but not pay
// places nothing — no order, no acceptance, no stock taken, no money moved.
func TestCheckoutPayIsAllOrNothing(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	stockOf := func() int {
		return countRows(t, s.a, `SELECT stock FROM product_plan WHERE id = 'h4' AND product_id = 'cs-gz-home'`)
	}
	stock := stockOf()
	if stock <= 0 {
		t.Fatalf("the demo plan h4 should be stock-counted, stock = %d", stock)
	}
	r, p := s.buyer(t, 1000)
	req := app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, Agreement: ack(), Pay: payNow()}

	_, _, err := s.a.Checkout(ctx, p, req, app.Idem{Key: "pay-1", BodyHash: order.HashBody([]byte("a"))})
	wantCode(t, err, wallet.CodeInsufficientBalance)
	stocked := app.CheckoutRequest{Lines: []app.LineRequest{line("cs-gz-home", "h4", "month")}, Agreement: ack(), Pay: payNow()}
	_, _, err = s.a.Checkout(ctx, p, stocked, app.Idem{})
	wantCode(t, err, wallet.CodeInsufficientBalance)
	gateway := req
	gateway.Pay = &app.CheckoutPay{Method: app.MethodAlipay}
	_, _, err = s.a.Checkout(ctx, p, gateway, app.Idem{})
	wantCode(t, err, app.CodePaymentInvalid)
	if e := (*errs.Error)(nil); !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "body.pay.method" {
		t.Errorf("error = %v, want one field body.pay.method", err)
	}
	for what, q := range map[string]string{
		"orders":      `SELECT COUNT(*) FROM orders WHERE account_id = $1`,
		"acceptances": `SELECT COUNT(*) FROM agreement_acceptance WHERE account_id = $1 AND occasion = 'checkout'`,
		"payments":    `SELECT COUNT(*) FROM payment WHERE account_id = $1`,
	} {
		if n := countRows(t, s.a, q, r.view.ID); n != 0 {
			t.Errorf("%d %s left behind", n, what)
		}
	}
	if got := stockOf(); got != stock {
		t.Errorf("stock %d, was %d", got, stock)
	}
	if b := s.balance(t, p); b.CashFen != 1000 {
		t.Errorf("balance = %+v", b)
	}
	// The key of the failed request is free again: topped up, the same
	// request succeeds under it.
	if err := s.a.CreditCashForTest(ctx, r.view.ID, 5000); err != nil {
		t.Fatal(err)
	}
	v, _, err := s.a.Checkout(ctx, p, req, app.Idem{Key: "pay-1", BodyHash: order.HashBody([]byte("a"))})
	if err != nil || v.State != "delivered" {
		t.Fatalf("after top-up: %+v, %v", v, err)
	}
	again, replayed, err := s.a.Checkout(ctx, p, req, app.Idem{Key: "pay-1", BodyHash: order.HashBody([]byte("a"))})
	if err != nil || !replayed || again.ID != v.ID || again.State != "delivered" {
		t.Fatalf("replay: %+v replayed=%v, %v", again, replayed, err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM payment WHERE account_id = $1`, r.view.ID); n != 1 {
		t.Errorf("payments = %d, want 1", n)
	}

	// A sub-user who may order but not pay.
	ent := s.register(t, "enterprise")
	owner, _ := s.login(t, ent.email, goodPassword)
	email, phone := uniq()
	if _, err := s.a.SubUserCreate(ctx, owner, app.SubUserInput{DisplayName: "Buyer", Email: email, Phone: phone, Password: goodPassword,
		Scopes: []account.Scope{account.ScopeMayOrder}}); err != nil {
		t.Fatal(err)
	}
	sp, _ := s.login(t, email, goodPassword)
	_, _, err = s.a.Checkout(ctx, sp, req, app.Idem{})
	wantKind(t, err, errs.Forbidden)
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM orders WHERE account_id = $1`, ent.view.ID); n != 0 {
		t.Errorf("the sub-user's refused checkout placed %d orders", n)
	}
}
