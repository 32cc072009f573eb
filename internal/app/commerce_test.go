package app_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
	"yuanxu/internal/money"
	"yuanxu/internal/order"
	"yuanxu/internal/policy"
	"yuanxu/internal/wallet"
)

// commerceSUT is an App with the demo catalog, a sandbox KYC verifier and
// a catalog manager.
type commerceSUT struct {
	kycSUT
	catalog account.Principal
}

func newCommerceApp(t *testing.T) commerceSUT {
	t.Helper()
	s := commerceSUT{kycSUT: newKYCApp(t, kyc.SandboxVerifier{})}
	if err := s.a.SeedDemoCatalog(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.catalog = s.staff(t, nil, "catalog", account.RoleAdmin)
	t.Cleanup(func() { s.verifyLedger(t) })
	return s
}

// verifyLedger fails the test when a ledger invariant is broken.
func (s commerceSUT) verifyLedger(t *testing.T) {
	t.Helper()
	r, err := s.a.LedgerVerify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("ledger invariants broken: %+v", r)
	}
}

// buyer is a verified individual with cash.
func (s commerceSUT) buyer(t *testing.T, cashFen int64) (registered, account.Principal) {
	t.Helper()
	r, p := s.customer(t, "individual")
	if _, err := s.a.KYCSubmit(context.Background(), p, r.view.ID, individualForm("张三", app.DemoResidentID("19900101", int(seq.Add(1)%900)), "13800001111")); err != nil {
		t.Fatal(err)
	}
	if cashFen > 0 {
		if err := s.a.CreditCashForTest(context.Background(), r.view.ID, money.Fen(cashFen)); err != nil {
			t.Fatal(err)
		}
	}
	p, _ = s.login(t, r.email, goodPassword)
	return r, p
}

func ack() app.AgreementAck { return app.AgreementAck{Acknowledged: app.DefaultKeyClauses()} }

func line(product, plan, cycle string) app.LineRequest {
	return app.LineRequest{ProductID: product, PlanID: plan, Cycle: cycle, Quantity: 1}
}

func (s commerceSUT) balance(t *testing.T, p account.Principal) app.BalanceView {
	t.Helper()
	w, err := s.a.Wallet(context.Background(), p, "", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	return w.Balance
}

func TestCheckoutAndPayByBalance(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 10000)
	v, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, Agreement: ack()}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if v.State != "created" || v.TotalFen != 3900 || v.Lines[0].RefundClass != "standard" || v.Lines[0].RefundClause == "" ||
		v.Agreement.AcceptanceID == "" || v.Lines[0].DeliverySLAMinutes != 10 || v.Channel != "web" {
		t.Fatalf("order = %+v", v)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM agreement_acceptance WHERE order_id = $1 AND occasion = 'checkout' AND account_id = $2`, v.ID, r.view.ID); n != 1 {
		t.Fatalf("checkout acceptances = %d", n)
	}
	paid, err := s.a.PayOrder(ctx, p, v.ID, app.PayRequest{Method: app.MethodBalance})
	if err != nil {
		t.Fatal(err)
	}
	// Until the delivery capability lands, activating the service at
	// payment delivers the order.
	if paid.State != "delivered" || paid.DeliveredAt != paid.PaidAt || paid.PaidAt.IsZero() || !paid.DeliverBy.Equal(paid.PaidAt.Add(10*time.Minute)) || len(paid.Payments) != 1 ||
		paid.Payments[0].FromCashFen != 3900 {
		t.Fatalf("paid = %+v", paid)
	}
	if b := s.balance(t, p); b.CashFen != 6100 {
		t.Fatalf("balance = %+v", b)
	}
	// Paying twice moves nothing.
	_, err = s.a.PayOrder(ctx, p, v.ID, app.PayRequest{Method: app.MethodBalance})
	wantCode(t, err, app.CodeOrderNotPayable)
	// Someone else's order does not exist for them.
	_, other := s.buyer(t, 10000)
	_, err = s.a.PayOrder(ctx, other, v.ID, app.PayRequest{Method: app.MethodBalance})
	wantKind(t, err, errs.NotFound)
	_, err = s.a.Order(ctx, other, v.ID)
	wantKind(t, err, errs.NotFound)
	// The order answers policy.For with the version accepted at checkout.
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'order.paid' AND subject_id = $1`, v.ID); n != 1 {
		t.Fatalf("order.paid audited %d times", n)
	}
}

func TestCheckoutBlockersNameTheirClauses(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 0)
	// Key clauses not acknowledged.
	_, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}}, app.Idem{})
	wantCode(t, err, order.CodeKeyClauseNotAcknowledged)
	// No licence covers cross-border VPN lines.
	_, _, err = s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("vpn-cross-border", "x10", "month")}, Agreement: ack()}, app.Idem{})
	wantCode(t, err, order.CodeLicenceNotCovered)
	// Without KYC, and a pack for nothing the customer owns: both at once.
	_, unverified := s.customer(t, "individual")
	pack := app.LineRequest{ProductID: "pack-100g", PlanID: "p100", Cycle: "one_off", Quantity: 1, AttachTo: "no-such-order"}
	_, _, err = s.a.Checkout(ctx, unverified, app.CheckoutRequest{Lines: []app.LineRequest{pack}, Agreement: ack()}, app.Idem{})
	wantCode(t, err, order.CodeCheckoutBlocked)
	var e *errs.Error
	if !errors.As(err, &e) || len(e.Fields) != 2 || e.Fields[0].Field != "kyc" || e.Fields[1].Field != "body.lines[0].attach_to" {
		t.Fatalf("blockers = %+v", e)
	}
	// A price sent by the client cannot exist: the request has no such
	// field; a bad quantity is a field error; an unknown product too.
	bad := line("cs-nc-bw", "s1", "month")
	bad.Quantity = 0
	_, _, err = s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{bad}, Agreement: ack()}, app.Idem{})
	wantCode(t, err, order.CodeOrderInvalid)
	_, _, err = s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("nope", "s1", "month")}, Agreement: ack()}, app.Idem{})
	wantCode(t, err, order.CodeOrderInvalid)
	// An expired coupon.
	_, _, err = s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, CouponCode: "EXPIRED5", Agreement: ack()}, app.Idem{})
	wantCode(t, err, order.CodeCouponExpired)
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM orders`); n != 0 {
		t.Fatalf("orders after refused checkouts = %d", n)
	}
}

func TestConcurrentCheckoutsNeverOverdrawTheBalance(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	ten := app.ProductView{ID: "ten-yuan", Name: "¥10 server", Kind: "cloud_server", Active: true, DeliverySLAMinutes: 10, Driver: "sandbox",
		Spec:  app.ProductSpec{Server: &app.ServerSpec{CPU: 1, MemoryMiB: 512, DiskGiB: 10, Region: "cn-jx-nanchang", Line: "standard", Billing: "bandwidth", BandwidthMbps: 1}},
		Plans: []app.PlanView{{ID: "t1", Name: "tiny", Prices: []app.PriceView{{Cycle: "month", AmountFen: 1000}}, Stock: -1}}}
	if _, err := s.a.ProductSave(ctx, s.catalog, ten); err != nil {
		var e *errs.Error
		errors.As(err, &e)
		t.Fatal(err, e.Fields)
	}
	_, p := s.buyer(t, 10000)
	var wg sync.WaitGroup
	var mu sync.Mutex
	okPaid, refused := 0, 0
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("ten-yuan", "t1", "month")}, Agreement: ack()}, app.Idem{})
			if err != nil {
				t.Error(err)
				return
			}
			_, err = s.a.PayOrder(ctx, p, v.ID, app.PayRequest{Method: app.MethodBalance})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				okPaid++
			case errs.CodeOf(err) == wallet.CodeInsufficientBalance:
				refused++
			default:
				t.Errorf("pay: %v", err)
			}
		}()
	}
	wg.Wait()
	if okPaid != 10 || refused != 10 {
		t.Fatalf("paid %d, refused %d; want 10 and 10", okPaid, refused)
	}
	if b := s.balance(t, p); b.CashFen != 0 {
		t.Fatalf("balance after = %+v", b)
	}
}

func TestCheckoutIdempotencyKey(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 0)
	req := app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, Agreement: ack()}
	idem := app.Idem{Key: "k-1", BodyHash: order.HashBody([]byte("body-1"))}
	first, replayed, err := s.a.Checkout(ctx, p, req, idem)
	if err != nil || replayed {
		t.Fatal(err, replayed)
	}
	again, replayed, err := s.a.Checkout(ctx, p, req, idem)
	if err != nil || !replayed || again.ID != first.ID {
		t.Fatalf("replay: %v %v %s vs %s", err, replayed, again.ID, first.ID)
	}
	_, _, err = s.a.Checkout(ctx, p, req, app.Idem{Key: "k-1", BodyHash: order.HashBody([]byte("body-2"))})
	wantCode(t, err, order.CodeIdemBodyMismatch)
	// Another account may use the same key for itself.
	_, p2 := s.buyer(t, 0)
	other, replayed, err := s.a.Checkout(ctx, p2, req, idem)
	if err != nil || replayed || other.ID == first.ID {
		t.Fatalf("other account: %v %v", err, replayed)
	}
	// In flight: a claimed key answers 409 until its lease runs out.
	if _, err := s.a.DB().Writer().ExecContext(ctx, `INSERT INTO idempotency_key (account_id, idem_key, operation, body_hash, state, status, response,
 created_at_ms, locked_until_ms) VALUES ($1, 'k-2', 'checkout', $2, 'in_flight', 0, 'tok', $3, $4)`, p.AccountID,
		hexOf(order.HashBody([]byte("body-1"))), s.a.Now().UnixMilli(), s.a.Now().Add(time.Minute).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.a.Checkout(ctx, p, req, app.Idem{Key: "k-2", BodyHash: order.HashBody([]byte("body-1"))})
	wantCode(t, err, order.CodeIdemInFlight)
	s.clock.Advance(2 * time.Minute)
	if _, replayed, err := s.a.Checkout(ctx, p, req, app.Idem{Key: "k-2", BodyHash: order.HashBody([]byte("body-1"))}); err != nil || replayed {
		t.Fatalf("after the lease: %v %v", err, replayed)
	}
	// A failed request leaves its key free: the corrected body goes through.
	bad := app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}}
	_, _, err = s.a.Checkout(ctx, p, bad, app.Idem{Key: "k-3", BodyHash: order.HashBody([]byte("bad"))})
	wantCode(t, err, order.CodeKeyClauseNotAcknowledged)
	if _, _, err := s.a.Checkout(ctx, p, req, app.Idem{Key: "k-3", BodyHash: order.HashBody([]byte("good"))}); err != nil {
		t.Fatal(err)
	}
	// Kept 24 h, then forgotten.
	s.clock.Advance(order.IdemRetention)
	if _, replayed, err := s.a.Checkout(ctx, p, req, idem); err != nil || replayed {
		t.Fatalf("after retention: %v %v", err, replayed)
	}
}

func TestUnpaidOrderExpiresAndGivesBackStockAndCoupon(t *testing.T) {
	t.Parallel()
	s := newGatewayApp(t) // the split's gateway part needs a gateway
	ctx := context.Background()
	_, p := s.buyer(t, 100000)
	v, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-gz-home", "h4", "month")}, CouponCode: "server20", Agreement: ack()}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if v.DiscountFen != 2000 || v.TotalFen != 12900-2000 {
		t.Fatalf("discount = %+v", v)
	}
	stock := func() int64 {
		pv, err := s.a.Product(ctx, nil, "cs-gz-home")
		if err != nil {
			t.Fatal(err)
		}
		return pv.Plans[0].Stock
	}
	if got := stock(); got != 19 {
		t.Fatalf("stock after checkout = %d", got)
	}
	// A split: part balance, the rest pending at a gateway.
	sp, err := s.a.PayOrder(ctx, p, v.ID, app.PayRequest{Method: "split", BalanceFen: 5000, Gateway: app.MethodAlipay})
	if err != nil || sp.State != "created" || sp.PaidFen != 5000 || len(sp.Payments) != 2 {
		t.Fatalf("split = %+v, %v", sp, err)
	}
	if b := s.balance(t, p); b.CashFen != 95000 {
		t.Fatalf("balance after split = %+v", b)
	}
	s.clock.Advance(30 * time.Minute)
	if err := s.a.RunSweeps(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.a.Order(ctx, p, v.ID)
	if err != nil || got.State != "expired" {
		t.Fatalf("after expiry: %+v, %v", got, err)
	}
	if n := stock(); n != 20 {
		t.Fatalf("stock after expiry = %d", n)
	}
	if b := s.balance(t, p); b.CashFen != 100000 {
		t.Fatalf("balance after expiry = %+v", b)
	}
	// The coupon's use came back: the same customer may use it twice again.
	for range 2 {
		if _, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, CouponCode: "SERVER20", Agreement: ack()}, app.Idem{}); err != nil {
			t.Fatal(err)
		}
	}
	_, _, err = s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, CouponCode: "SERVER20", Agreement: ack()}, app.Idem{})
	wantCode(t, err, order.CodeCouponExhausted)
}

func TestWithdrawalsCashOnlyWithDualControl(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 300000)
	fin1 := s.staff(t, nil, "fin1", account.RoleFinanceApprover)
	fin2 := s.staff(t, nil, "fin2", account.RoleFinanceApprover)
	// Refund credit is never withdrawable.
	if _, err := s.a.LedgerAdjust(ctx, fin1, "", app.AdjustInput{AccountID: r.view.ID, Kind: "refund_credit", AmountFen: 500, Memo: "t"}); err == nil {
		t.Fatal("adjust without a re-authenticated session passed")
	}
	_, err := s.a.RequestWithdrawal(ctx, p, app.WithdrawalRequest{AmountFen: 300001, Destination: "招商银行 6225880123456789 张三"})
	wantCode(t, err, wallet.CodeInsufficientBalance)
	w, err := s.a.RequestWithdrawal(ctx, p, app.WithdrawalRequest{AmountFen: 200000, Destination: "招商银行 6225880123456789 张三"})
	if err != nil || w.State != app.WithdrawalRequested || !w.NeedsSecond || w.DestinationMasked != "招商银行 ****6789" {
		t.Fatalf("withdrawal = %+v, %v", w, err)
	}
	if b := s.balance(t, p); b.CashFen != 100000 {
		t.Fatalf("cash after request = %+v", b)
	}
	w, err = s.a.DecideWithdrawal(ctx, fin1, w.ID, app.WithdrawalDecision{Action: "approve"})
	if err != nil || w.State != app.WithdrawalAwaitingSecond {
		t.Fatalf("first approval: %+v, %v", w, err)
	}
	_, err = s.a.DecideWithdrawal(ctx, fin1, w.ID, app.WithdrawalDecision{Action: "approve"})
	wantKind(t, err, errs.Forbidden)
	_, err = s.a.DecideWithdrawal(ctx, fin2, w.ID, app.WithdrawalDecision{Action: "paid", TransferRef: "T1"})
	wantCode(t, err, app.CodeWithdrawalState)
	if w, err = s.a.DecideWithdrawal(ctx, fin2, w.ID, app.WithdrawalDecision{Action: "approve"}); err != nil || w.State != app.WithdrawalApproved {
		t.Fatalf("second approval: %+v, %v", w, err)
	}
	// Closure is refused while the payout is in flight.
	wantCode(t, s.a.CloseAccount(ctx, p, r.view.ID), app.CodeClosureHeld)
	if w, err = s.a.DecideWithdrawal(ctx, fin2, w.ID, app.WithdrawalDecision{Action: "paid", TransferRef: "CMB-20261126-01"}); err != nil || w.State != app.WithdrawalPaid {
		t.Fatalf("paid: %+v, %v", w, err)
	}
	// A small one needs one approver; a rejection returns the cash.
	small, err := s.a.RequestWithdrawal(ctx, p, app.WithdrawalRequest{AmountFen: 1000, Destination: "招商银行 6225880123456789 张三"})
	if err != nil || small.NeedsSecond {
		t.Fatalf("small = %+v, %v", small, err)
	}
	if _, err := s.a.DecideWithdrawal(ctx, fin1, small.ID, app.WithdrawalDecision{Action: "reject", Reason: "account name mismatch"}); err != nil {
		t.Fatal(err)
	}
	if b := s.balance(t, p); b.CashFen != 100000 {
		t.Fatalf("cash after rejection = %+v", b)
	}
}

func TestClosureRefusedWhileUnpaidThenPaysBalancesBack(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 5000)
	v, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, Agreement: ack()}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	err = s.a.CloseAccount(ctx, p, r.view.ID)
	wantCode(t, err, app.CodeClosureHeld)
	if _, err := s.a.CancelOrder(ctx, p, v.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.a.CloseAccount(ctx, p, r.view.ID); err != nil {
		t.Fatal(err)
	}
	fin := s.staff(t, nil, "fin", account.RoleFinance)
	ws, err := s.a.Withdrawals(ctx, fin, []string{app.WithdrawalApproved})
	if err != nil {
		t.Fatal(err)
	}
	var back int64
	for _, w := range ws {
		if w.AccountID == r.view.ID && w.Kind == app.WithdrawalKindClosure {
			back += w.AmountFen
		}
	}
	if back != 5000 {
		t.Fatalf("closure pay-backs = %d, want 5000 (%+v)", back, ws)
	}
}

func hexOf(b [32]byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 64)
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

func TestOrderBeforeAMaterialRevisionKeepsItsParameters(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := ipCtx("203.0.113.9")
	_, p := s.buyer(t, 100000)
	v1, err := s.a.AgreementCurrent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, Agreement: ack()}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.PayOrder(ctx, p, before.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	drafter, signer := staffP(account.RoleLegal), staffP(account.RoleLegal)
	d, err := s.a.AgreementDraftCreate(ctx, drafter, app.DraftInput{Source: revisedSource(t, "48h"), Note: "longer refund window"})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := s.a.AgreementSchedule(ctx, signer, d.ID, app.ScheduleInput{EffectiveAt: s.clock.Now().Add(8 * 24 * time.Hour), Material: true})
	if err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(8*24*time.Hour + time.Second)
	if err := s.a.RunSweeps(ctx); err != nil {
		t.Fatal(err)
	}
	// A checkout that still shows the old version is refused: the customer
	// must read and accept the one in force.
	stale := ack()
	stale.VersionID = v1.ID
	_, _, err = s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, Agreement: stale}, app.Idem{})
	wantCode(t, err, "agreement.version_not_in_force")
	after, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")},
		Agreement: app.AgreementAck{VersionID: v2.ID, Acknowledged: app.KeyClauseIDs(v2)}}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		order, version string
		window         time.Duration
	}{{before.ID, v1.ID, 24 * time.Hour}, {after.ID, v2.ID, 48 * time.Hour}} {
		set, tr, err := s.a.Policy().For(ctx, c.order)
		if err != nil || tr.VersionID != c.version || set.Duration(policy.RefundWindow) != c.window {
			t.Fatalf("policy.For(%s) = %+v, %v; want %s with a %s window", c.order, tr, err, c.version, c.window)
		}
	}
	if _, _, err := s.a.Policy().For(ctx, "no-such-order"); !errs.Is(errs.NotFound, err) {
		t.Fatalf("policy of a missing order: %v", err)
	}
}
