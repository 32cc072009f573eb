package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/provider/payment/sandboxgw"
	"yuanxu/internal/web"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// The gateway payments through the API (issue 10), against the sandbox
// gateway the sandbox test server runs (webtest.Server.Gateway): an order
// paid by Alipay's page and by WeChat Pay's QR code, a top-up of cash, a
// forged notification that credits nothing and leaves a flag for finance,
// an approved withdrawal paid back to its route by gateway refunds, the
// reconciliation of a day with an entry only the gateway has, refused
// roles and problems in both languages. Payments are known only from the
// gateway's notifications: every test waits for them through the API.
// The ledger verifies after each (newCommerceServer).

// eventually polls cond every 25 ms for up to 10 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// staffIn is a demo staff member's client whose problems come in l.
func staffIn(t *testing.T, s *webtest.Server, r account.Role, l lang) *webtest.Client {
	t.Helper()
	c := staffClient(t, s, r)
	c.Header.Set("Accept-Language", l.accept)
	c.SetCookie(i18n.CookieName, l.name)
	return c
}

// payOrder pays an order through a gateway by the API and returns the
// order with its pending attempt.
func payOrder(t *testing.T, c *webtest.Client, orderID string, body map[string]any) app.OrderView {
	t.Helper()
	o := webtest.Decode[app.OrderView](t, c.Do(t, "POST", "/api/v1/orders/"+orderID+"/pay", body), http.StatusOK)
	if o.State != "created" || o.PendingAttempt == nil || o.PendingAttempt.State != "pending" || len(o.PendingAttempt.Ref) != 32 {
		t.Fatalf("after paying by %v: %+v (attempt %+v)", body, o, o.PendingAttempt)
	}
	return o
}

// waitPaid waits until the order has been paid (it may have moved on to
// delivery since) and returns it.
func waitPaid(t *testing.T, c *webtest.Client, orderID string) app.OrderView {
	t.Helper()
	var o app.OrderView
	eventually(t, "order "+orderID+" paid", func() bool {
		o = webtest.Decode[app.OrderView](t, c.Do(t, "GET", "/api/v1/orders/"+orderID, nil), http.StatusOK)
		return !o.PaidAt.IsZero()
	})
	if o.State == "created" || o.PaidFen != o.TotalFen || o.DueFen != 0 || o.PendingAttempt != nil || o.DeliverBy.IsZero() {
		t.Fatalf("paid order %+v", o)
	}
	return o
}

// captures counts the ledger's capture transactions of an order (gateway
// clearing → revenue), through finance's ledger.
func captures(t *testing.T, fin *webtest.Client, orderID string) int {
	t.Helper()
	l := webtest.Decode[page[app.LedgerEntryView]](t, fin.Do(t, "GET", "/api/v1/staff/ledger?account=revenue&limit=100", nil), http.StatusOK)
	n := 0
	for _, e := range l.Items {
		if e.Reason == "capture" && e.Links["order"] == orderID {
			n++
		}
	}
	return n
}

func openCashier(t *testing.T, url string) {
	t.Helper()
	res, err := http.Get(url) // follows the gateway's redirect to its cashier page
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(b), `id="pay"`) {
		t.Fatalf("cashier page %s: %d %s", url, res.StatusCode, b)
	}
}

func TestPaymentsOrderByAlipayPage(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[1])
	fin := staffClient(t, s, account.RoleFinance)
	o := checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1))
	o = payOrder(t, c, o.ID, map[string]any{"method": "alipay", "kind": "page"})
	at := *o.PendingAttempt
	if at.Gateway != "alipay" || at.Kind != "page" || at.PayURL == "" || at.QRCode != "" || at.AmountFen != o.TotalFen || at.Purpose != "order" ||
		!strings.HasSuffix(at.ExpiresAt.Format(time.RFC3339), "+08:00") {
		t.Fatalf("attempt %+v", at)
	}
	if len(o.Payments) != 1 || o.Payments[0].Method != "alipay" || o.Payments[0].State != "pending" {
		t.Fatalf("payments %+v", o.Payments)
	}
	// Choosing another way to pay closes the pending attempt (a payment
	// arriving for it later would go to the customer's cash, flagged).
	if o2 := payOrder(t, c, o.ID, map[string]any{"method": "wechatpay"}); o2.PendingAttempt == nil || o2.PendingAttempt.Gateway != "wechatpay" ||
		o2.PendingAttempt.Ref == at.Ref {
		t.Fatalf("switched to WeChat Pay: %+v", o2.PendingAttempt)
	}
	o = payOrder(t, c, o.ID, map[string]any{"method": "alipay", "kind": "page"})
	at = *o.PendingAttempt

	// The customer opens Alipay's page and pays there; the verified
	// notification pays the order.
	openCashier(t, at.PayURL)
	if err := s.Gateway.Pay("alipay", at.Ref); err != nil {
		t.Fatal(err)
	}
	paid := waitPaid(t, c, o.ID)
	if len(paid.Payments) != 3 || paid.Payments[2].State != "succeeded" || paid.Payments[2].AmountFen != o.TotalFen ||
		paid.Payments[0].State != "cancelled" || paid.Payments[1].State != "cancelled" {
		t.Fatalf("payments %+v", paid.Payments)
	}
	mine := webtest.Decode[page[app.AttemptView]](t, c.Do(t, "GET", "/api/v1/payments?order="+o.ID+"&state=succeeded", nil), http.StatusOK)
	if len(mine.Items) != 1 || mine.Items[0].ID != at.ID || mine.Items[0].State != "succeeded" || mine.Items[0].GatewayTradeNo == "" ||
		mine.Items[0].SettledAt.IsZero() {
		t.Fatalf("my attempts %+v", mine.Items)
	}
	one := webtest.Decode[app.AttemptView](t, c.Do(t, "GET", "/api/v1/payments/"+at.ID, nil), http.StatusOK)
	if one.State != "succeeded" || one.OrderID != o.ID {
		t.Fatalf("attempt %+v", one)
	}
	// The same notification again, three times at once: still one capture.
	if err := s.Gateway.Replay("alipay", at.Ref, 3); err != nil {
		t.Fatal(err)
	}
	if n := captures(t, fin, o.ID); n != 1 {
		t.Fatalf("%d captures, want 1", n)
	}
	wantProblem(t, c.Do(t, "POST", "/api/v1/orders/"+o.ID+"/pay", map[string]any{"method": "alipay"}), http.StatusConflict, "order.not_payable", "", "")

	// Another customer sees none of it; staff read attempts on /staff/.
	other, _ := verifiedCustomer(t, s, langs[1])
	wantProblem(t, other.Do(t, "GET", "/api/v1/payments/"+at.ID, nil), http.StatusNotFound, "payment_attempt.not_found", "", "")
	if l := webtest.Decode[page[app.AttemptView]](t, other.Do(t, "GET", "/api/v1/payments", nil), http.StatusOK); len(l.Items) != 0 {
		t.Fatalf("another customer's attempts %+v", l.Items)
	}
	wantProblem(t, fin.Do(t, "GET", "/api/v1/payments/"+at.ID, nil), http.StatusNotFound, "payment_attempt.not_found", "", "")
	all := webtest.Decode[page[app.AttemptView]](t, fin.Do(t, "GET", "/api/v1/staff/payments?gateway=alipay&state=succeeded", nil), http.StatusOK)
	if len(all.Items) != 1 || all.Items[0].ID != at.ID {
		t.Fatalf("staff attempts %+v", all.Items)
	}
	if l := webtest.Decode[page[app.AttemptView]](t, fin.Do(t, "GET", "/api/v1/staff/payments?gateway=wechatpay", nil), http.StatusOK); len(l.Items) != 1 ||
		l.Items[0].State != "closed" { // the attempt the customer switched away from
		t.Fatalf("staff WeChat Pay attempts %+v", l.Items)
	}
}

func TestPaymentsOrderByWeChatPayQR(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[0])
	fin := staffClient(t, s, account.RoleFinance)
	topUp(t, c, 1000)
	o := checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1))

	// WeChat Pay has no page: refused, and the order stays payable.
	p := wantProblem(t, c.Do(t, "POST", "/api/v1/orders/"+o.ID+"/pay", map[string]any{"method": "wechatpay", "kind": "page"}),
		http.StatusUnprocessableEntity, "payment.kind_unsupported", "该支付网关不支持这种付款方式：微信支付仅支持扫码支付。", "body.kind")
	if p.Errors[0].Rule != "unsupported" {
		t.Errorf("errors %+v", p.Errors)
	}
	// A split: ¥10 from the balance now, the rest by a WeChat Pay QR code.
	o = payOrder(t, c, o.ID, map[string]any{"method": "split", "balance_fen": 1000, "gateway": "wechatpay"})
	at := *o.PendingAttempt
	if at.Gateway != "wechatpay" || at.Kind != "qr" || at.QRCode == "" || at.PayURL != "" || at.AmountFen != o.TotalFen-1000 || o.PaidFen != 1000 {
		t.Fatalf("order %+v, attempt %+v", o, at)
	}
	if err := s.Gateway.Pay("wechatpay", at.Ref); err != nil {
		t.Fatal(err)
	}
	paid := waitPaid(t, c, o.ID)
	states := map[string]int64{}
	for _, py := range paid.Payments {
		states[py.Method+" "+py.State] += py.AmountFen
	}
	if len(paid.Payments) != 3 || states["wechatpay failed"] != o.TotalFen || states["balance succeeded"] != 1000 ||
		states["wechatpay succeeded"] != o.TotalFen-1000 {
		t.Fatalf("payments %+v", paid.Payments)
	}
	if n := captures(t, fin, o.ID); n != 1 {
		t.Fatalf("%d captures, want 1", n)
	}
	if w := walletOf(t, c); w.Balance.CashFen != 0 {
		t.Errorf("cash after the split %d", w.Balance.CashFen)
	}
}

func TestPaymentsTopUpCreditsCash(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[1])
	at := webtest.Decode[app.AttemptView](t, c.Do(t, "POST", "/api/v1/topups", map[string]any{"amount_fen": 20000, "gateway": "alipay", "kind": "qr"}),
		http.StatusCreated)
	if at.State != "pending" || at.Purpose != "topup" || at.QRCode == "" || at.OrderID != "" || at.AmountFen != 20000 {
		t.Fatalf("top-up %+v", at)
	}
	if w := walletOf(t, c); w.Balance.CashFen != 0 {
		t.Fatalf("credited before the notification: %+v", w.Balance)
	}
	if err := s.Gateway.Pay("alipay", at.Ref); err != nil {
		t.Fatal(err)
	}
	eventually(t, "top-up succeeded", func() bool {
		return webtest.Decode[app.AttemptView](t, c.Do(t, "GET", "/api/v1/payments/"+at.ID, nil), http.StatusOK).State == "succeeded"
	})
	w := walletOf(t, c)
	if w.Balance.CashFen != 20000 || w.Balance.WithdrawableFen != 20000 || len(w.History) != 1 || w.History[0].Reason != "top_up" ||
		w.History[0].Changes["cash"] != 20000 {
		t.Fatalf("wallet %+v", w)
	}
	// Out of bounds, unknown gateway, WeChat Pay by page.
	wantProblem(t, c.Do(t, "POST", "/api/v1/topups", map[string]any{"amount_fen": 99, "gateway": "alipay", "kind": "qr"}),
		http.StatusUnprocessableEntity, "request.invalid", "", "body.amount_fen")
	wantProblem(t, c.Do(t, "POST", "/api/v1/topups", map[string]any{"amount_fen": 5000001, "gateway": "alipay", "kind": "qr"}),
		http.StatusUnprocessableEntity, "request.invalid", "", "body.amount_fen")
	wantProblem(t, c.Do(t, "POST", "/api/v1/topups", map[string]any{"amount_fen": 1000, "gateway": "paypal", "kind": "qr"}),
		http.StatusUnprocessableEntity, "request.invalid", "", "body.gateway")
	wantProblem(t, c.Do(t, "POST", "/api/v1/topups", map[string]any{"amount_fen": 1000, "gateway": "wechatpay", "kind": "page"}),
		http.StatusUnprocessableEntity, "payment.kind_unsupported", "", "body.kind")
	wantProblem(t, c.Do(t, "POST", "/api/v1/topups", map[string]any{"amount_fen": 1000, "gateway": "alipay", "kind": "qr", "credited": true}),
		http.StatusBadRequest, "request.unknown_field", "", "")
	// Staff top up nothing; anonymous callers sign in first.
	wantProblem(t, staffClient(t, s, account.RoleFinanceApprover).Do(t, "POST", "/api/v1/topups",
		map[string]any{"amount_fen": 1000, "gateway": "alipay", "kind": "qr"}), http.StatusForbidden, "authz.permission_denied", "", "")
	wantProblem(t, client(s, langs[1]).Do(t, "POST", "/api/v1/topups", map[string]any{"amount_fen": 1000, "gateway": "alipay", "kind": "qr"}),
		http.StatusUnauthorized, "unauthenticated", "", "")
	if w := walletOf(t, c); w.Balance.CashFen != 20000 {
		t.Fatalf("cash after refused top-ups %d", w.Balance.CashFen)
	}
}

// A notification posted straight to the callback, not signed by the
// gateway: answered with each gateway's failure, nothing credited, and a
// flag for finance, who resolve it with a note.
func TestPaymentsForgedNotificationCreditsNothing(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[1])
	fin := staffClient(t, s, account.RoleFinance)
	o := checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1))
	o = payOrder(t, c, o.ID, map[string]any{"method": "alipay", "kind": "qr"})
	ref := o.PendingAttempt.Ref
	keys := s.Gateway.Keys()
	forged := url.Values{"notify_type": {"trade_status_sync"}, "notify_id": {"forged-1"}, "app_id": {keys.AlipayAppID},
		"seller_id": {keys.AlipaySellerID}, "charset": {"utf-8"}, "version": {"1.0"}, "sign_type": {"RSA2"}, "sign": {"Zm9yZ2Vk"},
		"out_trade_no": {ref}, "trade_no": {"2026112622001234567890123456"}, "trade_status": {"TRADE_SUCCESS"}, "total_amount": {"39.00"},
		"notify_time": {"2026-11-26 16:00:00"}, "gmt_payment": {"2026-11-26 16:00:00"}}
	res := s.Do(t, "POST", "/callbacks/alipay", forged.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != http.StatusOK || string(res.Body) != "fail" {
		t.Fatalf("forged Alipay notification: %d %q", res.Status, res.Body)
	}
	res = s.Do(t, "POST", "/callbacks/wechatpay", `{"id":"forged","event_type":"TRANSACTION.SUCCESS","resource_type":"encrypt-resource","resource":{}}`,
		"Content-Type", "application/json")
	if res.Status != http.StatusInternalServerError || !strings.Contains(string(res.Body), `"FAIL"`) {
		t.Fatalf("forged WeChat Pay notification: %d %q", res.Status, res.Body)
	}
	got := webtest.Decode[app.OrderView](t, c.Do(t, "GET", "/api/v1/orders/"+o.ID, nil), http.StatusOK)
	if got.State != "created" || got.PaidFen != 0 || got.PendingAttempt == nil || captures(t, fin, o.ID) != 0 {
		t.Fatalf("credited by a forged notification: %+v", got)
	}
	flags := webtest.Decode[page[web.PaymentFlagBody]](t, fin.Do(t, "GET", "/api/v1/staff/payment-flags", nil), http.StatusOK)
	var flag web.PaymentFlagBody
	kinds := map[string]int{}
	for _, f := range flags.Items {
		kinds[f.Gateway+" "+f.Kind]++
		if f.Gateway == "alipay" {
			flag = f
		}
	}
	if kinds["alipay bad_signature"] != 1 || kinds["wechatpay bad_signature"] != 1 || len(flags.Items) != 2 || !flag.ResolvedAt.IsZero() {
		t.Fatalf("flags %+v", flags.Items)
	}
	// Resolving needs a note; once resolved it leaves the open list.
	path := "/api/v1/staff/payment-flags/" + flag.ID + "/resolve"
	for _, l := range langs {
		fl := staffIn(t, s, account.RoleFinanceApprover, l)
		wantProblem(t, fl.Do(t, "POST", path, map[string]any{"note": ""}), http.StatusUnprocessableEntity, "payment.flag_note_required",
			l.pick("请填写处理说明（不超过 500 字）。", "Say how it was resolved (at most 500 characters)."), "body.note")
	}
	if res := fin.Do(t, "POST", path, map[string]any{"note": "forged test notification; nothing credited"}); res.Status != http.StatusNoContent {
		t.Fatalf("resolve: %d %s", res.Status, res.Body)
	}
	wantProblem(t, fin.Do(t, "POST", path, map[string]any{"note": "again"}), http.StatusNotFound, "payment_flag.not_found", "", "")
	open := webtest.Decode[page[web.PaymentFlagBody]](t, fin.Do(t, "GET", "/api/v1/staff/payment-flags", nil), http.StatusOK)
	all := webtest.Decode[page[web.PaymentFlagBody]](t, fin.Do(t, "GET", "/api/v1/staff/payment-flags?state=all", nil), http.StatusOK)
	if len(open.Items) != len(flags.Items)-1 || len(all.Items) != len(flags.Items) {
		t.Fatalf("open %d, all %d, before %d", len(open.Items), len(all.Items), len(flags.Items))
	}
	for _, f := range all.Items {
		if f.ID == flag.ID && (f.Note != "forged test notification; nothing credited" || f.ResolvedAt.IsZero() || f.ResolvedBy == "") {
			t.Errorf("resolved flag %+v", f)
		}
	}

	// The genuine notification still pays the order.
	if err := s.Gateway.Pay("alipay", ref); err != nil {
		t.Fatal(err)
	}
	waitPaid(t, c, o.ID)
}

// A tampered notification from the gateway (the amount changed after
// signing) is refused the same way, however often it is retried.
func TestPaymentsTamperedNotificationFlagged(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[1])
	fin := staffClient(t, s, account.RoleFinance)
	o := checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1))
	o = payOrder(t, c, o.ID, map[string]any{"method": "wechatpay"})
	s.Gateway.Misbehave(o.PendingAttempt.Ref, sandboxgw.Behaviour{Tamper: sandboxgw.TamperAmount})
	if err := s.Gateway.Pay("wechatpay", o.PendingAttempt.Ref); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a flag", func() bool {
		return len(webtest.Decode[page[web.PaymentFlagBody]](t, fin.Do(t, "GET", "/api/v1/staff/payment-flags", nil), http.StatusOK).Items) > 0
	})
	if err := s.Gateway.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := webtest.Decode[app.OrderView](t, c.Do(t, "GET", "/api/v1/orders/"+o.ID, nil), http.StatusOK); got.State != "created" || captures(t, fin, o.ID) != 0 {
		t.Fatalf("credited by a tampered notification: %+v", got)
	}
}

func TestPaymentsWithdrawalPaidToRoute(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[1])
	fin := staffIn(t, s, account.RoleFinance, langs[1])
	finA := staffClient(t, s, account.RoleFinanceApprover)
	dest := "原路退回 original route"

	// ¥200 by a WeChat Pay top-up, ¥500 by the sandbox top-up (no route).
	at := webtest.Decode[app.AttemptView](t, c.Do(t, "POST", "/api/v1/topups", map[string]any{"amount_fen": 20000, "gateway": "wechatpay", "kind": "qr"}),
		http.StatusCreated)
	if err := s.Gateway.Pay("wechatpay", at.Ref); err != nil {
		t.Fatal(err)
	}
	eventually(t, "top-up credited", func() bool { return walletOf(t, c).Balance.CashFen == 20000 })
	topUp(t, c, 50000)

	request := func(fen int64) app.WithdrawalView {
		t.Helper()
		w := webtest.Decode[app.WithdrawalView](t, c.Do(t, "POST", "/api/v1/withdrawals", map[string]any{"amount_fen": fen, "destination": dest}),
			http.StatusCreated)
		return w
	}
	approve := func(id string) {
		t.Helper()
		if v := webtest.Decode[app.WithdrawalView](t, finA.Do(t, "POST", "/api/v1/staff/withdrawals/"+id+"/decision", map[string]any{"action": "approve"}),
			http.StatusOK); v.State != "approved" {
			t.Fatalf("approved %+v", v)
		}
	}
	w := request(15000)
	// Not yet approved: refused; support may not pay.
	wantProblem(t, fin.Do(t, "POST", "/api/v1/staff/withdrawals/"+w.ID+"/pay-to-route", nil), http.StatusConflict, "withdrawal.bad_state", "", "")
	approve(w.ID)
	wantProblem(t, staffClient(t, s, account.RoleSupport).Do(t, "POST", "/api/v1/staff/withdrawals/"+w.ID+"/pay-to-route", nil),
		http.StatusForbidden, "authz.permission_denied", "", "")
	wantProblem(t, c.Do(t, "POST", "/api/v1/staff/withdrawals/"+w.ID+"/pay-to-route", nil), http.StatusForbidden, "authz.staff_only", "", "")
	v := webtest.Decode[app.WithdrawalView](t, fin.Do(t, "POST", "/api/v1/staff/withdrawals/"+w.ID+"/pay-to-route", nil), http.StatusOK)
	if v.State != "paying" && v.State != "paid" {
		t.Fatalf("paying %+v", v)
	}
	eventually(t, "withdrawal paid by refund", func() bool {
		for _, x := range webtest.Decode[page[app.WithdrawalView]](t, c.Do(t, "GET", "/api/v1/withdrawals", nil), http.StatusOK).Items {
			if x.ID == w.ID {
				return x.State == "paid" && x.TransferRef == "gateway refunds"
			}
		}
		return false
	})
	if tr, _ := s.Gateway.Trade("wechatpay", at.Ref); tr.Refunded() != 15000 {
		t.Fatalf("refunded at the gateway %d", tr.Refunded())
	}
	if got := webtest.Decode[app.AttemptView](t, c.Do(t, "GET", "/api/v1/payments/"+at.ID, nil), http.StatusOK); got.RefundedFen != 15000 {
		t.Fatalf("attempt %+v", got)
	}

	// ¥300 more than the ¥50 left on the route: paid by bank instead.
	big := request(30000)
	approve(big.ID)
	wantProblem(t, fin.Do(t, "POST", "/api/v1/staff/withdrawals/"+big.ID+"/pay-to-route", nil), http.StatusConflict, "withdrawal.no_gateway_route",
		"The customer's gateway top-ups do not cover this withdrawal: pay it by bank transfer instead.", "")
	if v := webtest.Decode[app.WithdrawalView](t, fin.Do(t, "POST", "/api/v1/staff/withdrawals/"+big.ID+"/decision",
		map[string]any{"action": "paid", "transfer_ref": "CMB-1"}), http.StatusOK); v.State != "paid" {
		t.Fatalf("paid by bank %+v", v)
	}
	if b := walletOf(t, c); b.Balance.CashFen != 20000+50000-15000-30000 {
		t.Fatalf("cash at the end %d", b.Balance.CashFen)
	}
}

func TestPaymentsReconciliation(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[1])
	fin := staffClient(t, s, account.RoleFinance)
	today := s.App.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	run := func(gateway, day string) web.ReconRunBody {
		t.Helper()
		return webtest.Decode[web.ReconRunBody](t, fin.Do(t, "POST", "/api/v1/staff/reconciliation", map[string]any{"gateway": gateway, "day": day}),
			http.StatusOK)
	}
	topUpBy := func(fen int64, b *sandboxgw.Behaviour) app.AttemptView {
		t.Helper()
		at := webtest.Decode[app.AttemptView](t, c.Do(t, "POST", "/api/v1/topups", map[string]any{"amount_fen": fen, "gateway": "wechatpay", "kind": "qr"}),
			http.StatusCreated)
		if b != nil {
			s.Gateway.Misbehave(at.Ref, *b)
		}
		if err := s.Gateway.Pay("wechatpay", at.Ref); err != nil {
			t.Fatal(err)
		}
		return at
	}

	// A clean day: a paid top-up on both sides.
	topUpBy(10000, nil)
	eventually(t, "top-up credited", func() bool { return walletOf(t, c).Balance.CashFen == 10000 })
	if r := run("wechatpay", today); r.Day != today || r.Gateway != "wechatpay" || len(r.Differences) != 0 {
		t.Fatalf("clean day %+v", r)
	}
	// A payment whose notification was lost (and not yet queried): only
	// the gateway has it.
	lost := topUpBy(700, &sandboxgw.Behaviour{Lost: true})
	if err := s.Gateway.Settle(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := run("wechatpay", today)
	if len(r.Differences) != 1 || r.Differences[0].Kind != "only_gateway" || r.Differences[0].Ref != lost.Ref || r.Differences[0].TheirsFen != 700 ||
		r.Differences[0].Entry != "payment" {
		t.Fatalf("differences %+v", r.Differences)
	}
	list := webtest.Decode[page[web.ReconDiffBody]](t, fin.Do(t, "GET", "/api/v1/staff/reconciliation", nil), http.StatusOK)
	if len(list.Items) != 1 || list.Items[0].Ref != lost.Ref || list.Items[0].Day != today || list.Items[0].CreatedAt.IsZero() {
		t.Fatalf("listed %+v", list.Items)
	}
	flags := webtest.Decode[page[web.PaymentFlagBody]](t, fin.Do(t, "GET", "/api/v1/staff/payment-flags", nil), http.StatusOK)
	if len(flags.Items) == 0 || flags.Items[0].Kind != "recon_only_gateway" || flags.Items[0].Ref != lost.Ref {
		t.Fatalf("flags %+v", flags.Items)
	}

	// Refused: a future day, no date, an unknown gateway, customers and
	// other staff.
	tomorrow := s.App.Now().In(time.FixedZone("CST", 8*3600)).AddDate(0, 0, 1).Format(time.DateOnly)
	for _, l := range langs {
		fl := staffIn(t, s, account.RoleFinance, l)
		p := wantProblem(t, fl.Do(t, "POST", "/api/v1/staff/reconciliation", map[string]any{"gateway": "wechatpay", "day": tomorrow}),
			http.StatusUnprocessableEntity, "payment.recon_day_invalid", l.pick("对账日期无效：请填写今天或更早的日期（YYYY-MM-DD，北京时间）。",
				"Not a day to reconcile: give today or an earlier day (YYYY-MM-DD, China time)."), "body.day")
		if want := l.pick("不能晚于今天（"+today+"）。", "Must not be after today ("+today+")."); p.Errors[0].Message != want {
			t.Errorf("field message %q, want %q", p.Errors[0].Message, want)
		}
	}
	wantProblem(t, fin.Do(t, "POST", "/api/v1/staff/reconciliation", map[string]any{"gateway": "wechatpay", "day": "2026-02-30"}),
		http.StatusUnprocessableEntity, "payment.recon_day_invalid", "", "body.day")
	wantProblem(t, fin.Do(t, "POST", "/api/v1/staff/reconciliation", map[string]any{"gateway": "paypal", "day": today}),
		http.StatusUnprocessableEntity, "request.invalid", "", "body.gateway")
	wantProblem(t, c.Do(t, "GET", "/api/v1/staff/reconciliation", nil), http.StatusForbidden, "authz.staff_only", "", "")
	support := staffClient(t, s, account.RoleSupport)
	for _, path := range []string{"/api/v1/staff/reconciliation", "/api/v1/staff/payment-flags", "/api/v1/staff/payments"} {
		wantProblem(t, support.Do(t, "GET", path, nil), http.StatusForbidden, "authz.permission_denied", "", "")
		wantProblem(t, client(s, langs[0]).Do(t, "GET", path, nil), http.StatusUnauthorized, "unauthenticated", "", "")
	}
	wantProblem(t, support.Do(t, "POST", "/api/v1/staff/reconciliation", map[string]any{"gateway": "wechatpay", "day": today}), http.StatusForbidden,
		"authz.permission_denied", "", "")
}

// The problems of the gateway routes, in both languages.
func TestPaymentsProblemsInBothLanguages(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	for _, l := range langs {
		c, _ := verifiedCustomer(t, s, l)
		o := checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1))
		wantProblem(t, c.Do(t, "POST", "/api/v1/orders/"+o.ID+"/pay", map[string]any{"method": "wechatpay", "kind": "page"}), http.StatusUnprocessableEntity,
			"payment.kind_unsupported", l.pick("该支付网关不支持这种付款方式：微信支付仅支持扫码支付。", "This gateway does not offer that way of paying: WeChat Pay is by QR code only."),
			"body.kind")
		wantProblem(t, c.Do(t, "GET", "/api/v1/payments/01936a9e-4c1f-7c39-9f1e-000000000000", nil), http.StatusNotFound, "payment_attempt.not_found",
			l.pick("未找到该支付记录。", "No such payment attempt."), "")
		p := wantProblem(t, c.Do(t, "POST", "/api/v1/orders/"+o.ID+"/pay", map[string]any{"method": "paypal"}), http.StatusUnprocessableEntity,
			"request.invalid", "", "body.method")
		if !strings.Contains(p.Errors[0].Message, "wechatpay") {
			t.Errorf("method enum message %q", p.Errors[0].Message)
		}
	}
}

// A gateway that is not configured is refused, naming the ones that are;
// a server outside sandbox mode has no sandbox gateway.
func TestPaymentsGatewayUnavailable(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	accs, err := app.GatewayAccountsFor(s.Gateway)
	if err != nil {
		t.Fatal(err)
	}
	delete(accs, "wechatpay")
	s.App.ConfigureGateways(app.GatewayConfig{Accounts: accs, NotifyBase: s.URL, ReturnBase: s.URL})
	for _, l := range langs {
		c, _ := verifiedCustomer(t, s, l)
		o := checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1))
		p := wantProblem(t, c.Do(t, "POST", "/api/v1/orders/"+o.ID+"/pay", map[string]any{"method": "wechatpay"}), http.StatusUnprocessableEntity,
			"payment.gateway_unavailable", l.pick("该支付网关未开通，请选择其他付款方式。", "This payment gateway is not available; choose another way to pay."),
			"body.gateway")
		if want := l.pick("必须是以下值之一：alipay。", "Must be one of: alipay."); p.Errors[0].Message != want {
			t.Errorf("field message %q, want %q", p.Errors[0].Message, want)
		}
		wantProblem(t, c.Do(t, "POST", "/api/v1/topups", map[string]any{"amount_fen": 1000, "gateway": "wechatpay", "kind": "qr"}),
			http.StatusUnprocessableEntity, "payment.gateway_unavailable", "", "body.gateway")
		if got := webtest.Decode[app.OrderView](t, c.Do(t, "GET", "/api/v1/orders/"+o.ID, nil), http.StatusOK); len(got.Payments) != 0 {
			t.Errorf("a refused gateway left payments %+v", got.Payments)
		}
	}
	plain := webtest.NewServer(t, &webtest.Options{TrustedProxies: loopback})
	if plain.Gateway != nil || len(plain.App.Gateways()) != 0 {
		t.Fatal("a server outside sandbox mode has gateways")
	}
	if res := plain.Do(t, "POST", "/callbacks/alipay", "x", "Content-Type", "application/x-www-form-urlencoded"); res.Status != http.StatusNotFound {
		t.Fatalf("callback without gateways: %d", res.Status)
	}
}
