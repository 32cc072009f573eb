package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// The gateway payment pages (issue 10) without a browser: the order page's
// gateway buttons, its pending attempt (QR code image, cashier link) with
// the Refresh header until the notification pays it, the return page (no
// leak to anyone but the payer), the wallet's gateway top-up and its
// attempt page, and the console's attempts, flags, reconciliation and
// "pay to original route" button.

// payEventually polls cond every 25 ms for up to 10 s.
func payEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(25 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// payOrderPath places an order of a cloud server through the portal and
// returns its page's path.
func payOrderPath(t *testing.T, cl *webtest.Client) string {
	t.Helper()
	addToCart(t, cl, "cs-nc-bw", "s1", "month")
	res, _ := checkoutAll(t, cl, "", http.StatusSeeOther)
	return strings.TrimSuffix(res.Header.Get("Location"), "?done=order_placed")
}

func TestPaymentPagesOrderByGateway(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	p := principalOf(t, s, demoIndividual)
	cl := shopClient(t, s, demoIndividual, "zh-CN")
	path := payOrderPath(t, cl)
	orderID := strings.TrimPrefix(path, "/orders/")

	res, doc := htmlOf(t, cl, "GET", path, nil, http.StatusOK)
	if res.Header.Get("Refresh") != "" {
		t.Errorf("an unpaid order without a gateway payment refreshes itself")
	}
	for _, id := range []string{"pay-alipay-page", "pay-alipay-qr", "pay-wechatpay-qr"} {
		mustID(t, doc, id)
	}
	if doc.byID("pay-wechatpay-page") != nil || doc.byID("split-kind") == nil {
		t.Error("WeChat Pay offered by page, or no kind on the split form")
	}
	// WeChat Pay by page (a forged form): refused on the gateway form, the
	// order still payable.
	_, doc = htmlOf(t, cl, "POST", path+"/pay", url.Values{"method": {"wechatpay"}, "kind": {"page"}}, http.StatusUnprocessableEntity)
	if got := mustID(t, doc, "pay-gateways").textContent(); !strings.Contains(got, "微信支付仅支持扫码支付") {
		t.Errorf("gateway form error %q", got)
	}
	// Alipay by QR code: the page shows the code and refreshes itself.
	res, _ = htmlOf(t, cl, "POST", path+"/pay", url.Values{"method": {"alipay"}, "kind": {"qr"}}, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != path+"?done=payment_started" {
		t.Fatalf("after paying: %s", loc)
	}
	res, doc = htmlOf(t, cl, "GET", path+"?done=payment_started", nil, http.StatusOK)
	if res.Header.Get("Refresh") != "5" {
		t.Errorf("Refresh %q while pending", res.Header.Get("Refresh"))
	}
	o, err := s.App.Order(ctx, p, orderID)
	if err != nil || o.PendingAttempt == nil {
		t.Fatalf("order %+v, %v", o, err)
	}
	ref := o.PendingAttempt.Ref
	at := mustID(t, doc, "pay-attempt")
	if at.attrs["data-gateway"] != "alipay" || at.attrs["data-kind"] != "qr" || at.attrs["data-state"] != "pending" ||
		!strings.HasPrefix(mustID(t, doc, "pay-qr").attrs["src"], "data:image/png;base64,") ||
		mustID(t, doc, "pay-qr-link").attrs["href"] != o.PendingAttempt.QRCode || doc.byID("pay-go") != nil {
		t.Fatalf("pending attempt %q", at.textContent())
	}
	if doc.byID("pay-form") != nil || doc.byID("pay-gateways") != nil || !strings.Contains(mustID(t, doc, "form-notice").textContent(), "已创建支付") {
		t.Error("payable while a payment is pending, or no notice")
	}
	// The browser's return before the notification says the payment is
	// being confirmed, linking to the order; nobody else learns which order
	// it was.
	_, doc = htmlOf(t, cl, "GET", "/payments/return?out_trade_no="+ref, nil, http.StatusOK)
	if mustID(t, doc, "return-continue").attrs["href"] != path || doc.byID("return-confirming") == nil {
		t.Errorf("return page: %q", mustID(t, doc, "pay-return").textContent())
	}
	other := shopClient(t, s, demoEnterprise, "en")
	for _, c := range []*webtest.Client{other, s.NewClient()} {
		_, doc = htmlOf(t, c, "GET", "/payments/return?out_trade_no="+ref, nil, http.StatusOK)
		if mustID(t, doc, "return-continue").attrs["href"] != "/orders" || strings.Contains(doc.textContent(), orderID) {
			t.Errorf("return page for someone else: %q", mustID(t, doc, "pay-return").textContent())
		}
	}

	// The gateway's notification pays it; the page stops refreshing.
	if err := s.Gateway.Pay("alipay", ref); err != nil {
		t.Fatal(err)
	}
	payEventually(t, "the order page paid", func() bool {
		res, doc = htmlOf(t, cl, "GET", path, nil, http.StatusOK)
		return mustID(t, doc, "order-state").attrs["data-state"] != "created"
	})
	if res.Header.Get("Refresh") != "" || doc.byID("gateway-pending") != nil || doc.byID("order-paid-at") == nil {
		t.Errorf("paid page: Refresh %q", res.Header.Get("Refresh"))
	}
	_, doc = htmlOf(t, cl, "GET", "/payments/return?out_trade_no="+ref, nil, http.StatusOK)
	if doc.byID("return-paid") == nil {
		t.Errorf("return page after payment: %q", mustID(t, doc, "pay-return").textContent())
	}
}

func TestPaymentPagesWalletTopUp(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	cl := shopClient(t, s, demoIndividual, "en")
	_, doc := htmlOf(t, cl, "GET", "/wallet", nil, http.StatusOK)
	mustID(t, doc, "gateway-topup-form")
	mustID(t, doc, "sandbox-topup") // the sandbox top-up stays
	cash := mustID(t, doc, "balance-cash").textContent()

	_, doc = htmlOf(t, cl, "POST", "/wallet/top-up", url.Values{"amount": {"0.50"}, "gateway": {"wechatpay"}}, http.StatusUnprocessableEntity)
	if mustID(t, doc, "gateway-topup-amount").attrs["value"] != "0.50" || !strings.Contains(mustID(t, doc, "gateway-topup").textContent(), "¥1") {
		t.Errorf("refused top-up: %q", mustID(t, doc, "gateway-topup").textContent())
	}
	res, _ := htmlOf(t, cl, "POST", "/wallet/top-up", url.Values{"amount": {"100"}, "gateway": {"wechatpay"}, "kind": {""}}, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/payments/") || !strings.HasSuffix(loc, "?done=topup_started") {
		t.Fatalf("after the top-up: %s", loc)
	}
	attemptPath := strings.TrimSuffix(loc, "?done=topup_started")
	res, doc = htmlOf(t, cl, "GET", loc, nil, http.StatusOK)
	if res.Header.Get("Refresh") != "5" || mustID(t, doc, "attempt-state").attrs["data-state"] != "pending" || doc.byID("pay-qr") == nil ||
		!strings.Contains(mustID(t, doc, "attempt-amount").textContent(), "100.00") {
		t.Fatalf("top-up page: Refresh %q, %q", res.Header.Get("Refresh"), mustID(t, doc, "attempt-facts").textContent())
	}
	ref := mustID(t, doc, "pay-attempt").attrs["data-attempt"]
	a, err := s.App.Attempt(context.Background(), principalOf(t, s, demoIndividual), ref)
	if err != nil {
		t.Fatal(err)
	}
	// Someone else's attempt is not found.
	htmlOf(t, shopClient(t, s, demoEnterprise, "en"), "GET", attemptPath, nil, http.StatusNotFound)

	if err := s.Gateway.Pay("wechatpay", a.Ref); err != nil {
		t.Fatal(err)
	}
	payEventually(t, "the top-up paid", func() bool {
		res, doc = htmlOf(t, cl, "GET", attemptPath, nil, http.StatusOK)
		return doc.byID("attempt-paid") != nil
	})
	if res.Header.Get("Refresh") != "" || !strings.Contains(mustID(t, doc, "attempt-paid").textContent(), "100.00") {
		t.Errorf("paid top-up: Refresh %q, %q", res.Header.Get("Refresh"), mustID(t, doc, "attempt-paid").textContent())
	}
	_, doc = htmlOf(t, cl, "GET", "/wallet", nil, http.StatusOK)
	if rows := doc.all(func(n *node) bool { return n.attrs["data-attempt"] == a.ID && n.attrs["data-state"] == "succeeded" }); len(rows) != 1 {
		t.Errorf("wallet's top-ups %q", mustID(t, doc, "gateway-topups").textContent())
	}
	if got := mustID(t, doc, "balance-cash").textContent(); got == cash {
		t.Errorf("cash unchanged after the top-up: %q", got)
	}
}

func TestPaymentPagesConsole(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	a := e.s.App
	cust := e.s.NewCustomer(t, account.KindIndividual)
	cp := e.principal(t, cust.Email, cust.Password, false)
	fin := e.console(t, ccDemoStaff(account.RoleFinance), i18n.ZH)
	finEN := e.console(t, ccDemoStaff(account.RoleFinanceApprover), i18n.EN)
	support := e.console(t, ccDemoStaff(account.RoleSupport), i18n.ZH)

	// A top-up paid through WeChat Pay, and a forged Alipay notification.
	at, err := a.TopUp(e.ctx, cp, app.TopUpRequest{AmountFen: 20000, Gateway: "wechatpay", Kind: "qr"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.s.Gateway.Pay("wechatpay", at.Ref); err != nil {
		t.Fatal(err)
	}
	payEventually(t, "the top-up", func() bool { v, _ := a.Attempt(e.ctx, cp, at.ID); return v.State == "succeeded" })
	if res := e.s.Do(t, "POST", "/callbacks/alipay", "out_trade_no=x&sign=eA", "Content-Type", "application/x-www-form-urlencoded"); string(res.Body) != "fail" {
		t.Fatalf("forged notification: %d %s", res.Status, res.Body)
	}

	for _, path := range []string{"/console/finance/payments", "/console/finance/flags", "/console/finance/reconciliation"} {
		htmlOf(t, support, "GET", path, nil, http.StatusForbidden)
		htmlOf(t, shopClient(t, e.s, demoIndividual, "zh-CN"), "GET", path, nil, http.StatusForbidden)
		_, doc := htmlOf(t, finEN, "GET", path, nil, http.StatusOK)
		if htmlLang(t, doc) != "en" {
			t.Errorf("%s in %s", path, htmlLang(t, doc))
		}
	}
	// Attempts, filtered.
	_, doc := htmlOf(t, fin, "GET", "/console/finance/payments?gateway=wechatpay&state=succeeded", nil, http.StatusOK)
	rows := doc.all(func(n *node) bool { return n.attrs["class"] == "attempt" })
	if len(rows) != 1 || rows[0].attrs["data-attempt"] != at.ID || !strings.Contains(rows[0].textContent(), "微信支付") {
		t.Fatalf("attempts %q", mustID(t, doc, "payments").textContent())
	}
	_, doc = htmlOf(t, fin, "GET", "/console/finance/payments?gateway=alipay", nil, http.StatusOK)
	mustID(t, doc, "payments-empty")

	// The flag, resolved with a note (none: refused on its row).
	_, doc = htmlOf(t, fin, "GET", "/console/finance/flags", nil, http.StatusOK)
	flags := doc.all(func(n *node) bool { return n.attrs["class"] == "flag" })
	if len(flags) != 1 || flags[0].attrs["data-kind"] != "bad_signature" || !strings.Contains(flags[0].textContent(), "签名无效") {
		t.Fatalf("flags %q", mustID(t, doc, "flags").textContent())
	}
	id := flags[0].attrs["data-flag"]
	_, doc = htmlOf(t, fin, "POST", "/console/finance/flags/"+id, url.Values{"note": {""}}, http.StatusUnprocessableEntity)
	if !strings.Contains(doc.textContent(), "请填写处理说明") {
		t.Errorf("no note: %q", mustID(t, doc, "flags").textContent())
	}
	res, _ := htmlOf(t, fin, "POST", "/console/finance/flags/"+id, url.Values{"note": {"test notification"}, "view": {"open"}}, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/console/finance/flags?done=flag_resolved&view=open" {
		t.Fatalf("after resolving: %s", loc)
	}
	_, doc = htmlOf(t, fin, "GET", "/console/finance/flags?view=all", nil, http.StatusOK)
	if r := doc.all(func(n *node) bool { return n.attrs["data-flag"] == id }); len(r) != 1 || !strings.Contains(r[0].textContent(), "test notification") {
		t.Errorf("resolved flag %q", mustID(t, doc, "flags").textContent())
	}
	htmlOf(t, fin, "POST", "/console/finance/flags/"+id, url.Values{"note": {"again"}}, http.StatusNotFound)

	// Reconciliation of today: clean; a bad day is refused.
	today := a.Now().In(time.FixedZone("CST", 8*3600)).Format(time.DateOnly)
	_, doc = htmlOf(t, finEN, "POST", "/console/finance/reconciliation", url.Values{"gateway": {"wechatpay"}, "day": {today}}, http.StatusOK)
	if got := mustID(t, doc, "form-notice").textContent(); got != "WeChat Pay, "+today+" reconciled: 0 differences." {
		t.Errorf("notice %q", got)
	}
	mustID(t, doc, "recon-empty")
	htmlOf(t, finEN, "POST", "/console/finance/reconciliation", url.Values{"gateway": {"wechatpay"}, "day": {"soon"}}, http.StatusUnprocessableEntity)
	htmlOf(t, support, "POST", "/console/finance/reconciliation", url.Values{"gateway": {"wechatpay"}, "day": {today}}, http.StatusForbidden)

	// A withdrawal paid back to the top-up's route from the queue.
	w, err := a.RequestWithdrawal(e.ctx, cp, app.WithdrawalRequest{AmountFen: 5000, Destination: "原路退回 original route"})
	if err != nil {
		t.Fatal(err)
	}
	_, doc = htmlOf(t, fin, "GET", "/console/finance/withdrawals", nil, http.StatusOK)
	if len(ccWithdrawalRow(t, doc, w.ID).all(func(n *node) bool { return n.attrs["data-route"] != "" })) != 0 {
		t.Error("pay to route offered before approval")
	}
	htmlOf(t, finEN, "POST", "/console/finance/withdrawals/"+w.ID, url.Values{"action": {"approve"}}, http.StatusSeeOther)
	_, doc = htmlOf(t, fin, "GET", "/console/finance/withdrawals", nil, http.StatusOK)
	if len(ccWithdrawalRow(t, doc, w.ID).all(func(n *node) bool { return n.attrs["data-route"] == w.ID })) != 1 {
		t.Fatalf("no pay-to-route button: %q", ccWithdrawalRow(t, doc, w.ID).textContent())
	}
	res, _ = htmlOf(t, fin, "POST", "/console/finance/withdrawals/"+w.ID, url.Values{"action": {"route"}, "view": {"open"}}, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/console/finance/withdrawals?done=withdrawal_route&state=open" {
		t.Fatalf("after paying to route: %s", loc)
	}
	payEventually(t, "the withdrawal paid", func() bool {
		ws, _ := a.Withdrawals(e.ctx, cp, nil)
		return len(ws) == 1 && ws[0].State == app.WithdrawalPaid
	})
}
