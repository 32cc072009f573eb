package pages_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/browsertest"
	"yuanxu/internal/provider/payment/sandboxgw"
)

// TestBrowserPaymentsPayOrderWithAlipayPage: the demo individual puts a
// cloud server in the cart, ticks each key clause, places the order and
// chooses Alipay (page). The order page then shows the pending payment
// with a button to Alipay's cashier; the customer follows it to the
// sandbox gateway's cashier page, clicks 支付, and Alipay sends the browser
// back to the return page, which says the payment is being confirmed and
// links to the order. The notification is held back a few seconds (as a
// real one may be), so the order page first shows the payment pending and
// then, reloading itself without any script, paid. Through the app the
// test checks that the order is paid by one Alipay payment with exactly
// one capture on the ledger. Then a top-up by WeChat Pay shows its QR
// code and reloads itself until the cash arrived. Screenshots of the
// pending and the paid order page in Chinese and in English, of the
// cashier, the return page and the top-up (paths logged;
// YUANXU_SCREENSHOTS keeps them). Never skipped under CI (browsertest
// fails without Chromium).
func TestBrowserPaymentsPayOrderWithAlipayPage(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	p := principalOf(t, s, demoIndividual)
	cur, err := s.App.AgreementCurrent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := app.KeyClauseIDs(cur)

	b := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	b.Navigate(s.URL + "/login")
	b.SetValue("#identifier", demoIndividual.Email)
	b.SetValue("#password", demoIndividual.Password)
	if st := b.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("sign-in: %d", st)
	}
	switchLang := func(lang string) {
		t.Helper()
		if st := b.ClickNavigate(`.lang-switch button[value="` + lang + `"]`); st != http.StatusOK {
			t.Fatalf("switch to %s: %d", lang, st)
		}
	}

	// The cart and checkout, each key clause ticked by the customer.
	b.Navigate(s.URL + "/products/cs-nc-bw")
	if st := b.ClickNavigate("#add-to-cart"); st != http.StatusOK || !strings.Contains(b.Location(), "/cart") {
		t.Fatalf("add to cart: %d at %s", st, b.Location())
	}
	for _, id := range keys {
		b.Click(`#key-clauses input[name="ack"][value="` + id + `"]`)
	}
	if st := b.ClickNavigate("#checkout-submit"); st != http.StatusOK || !strings.Contains(b.Location(), "/orders/") {
		t.Fatalf("place order: %d at %s (%s)", st, b.Location(), b.Text("main"))
	}
	loc := b.Location()
	orderID := strings.SplitN(loc[strings.Index(loc, "/orders/")+len("/orders/"):], "?", 2)[0]
	orderURL := s.URL + "/orders/" + orderID

	// Alipay, by its cashier page.
	if !b.Exists("#pay-alipay-qr") || !b.Exists("#pay-wechatpay-qr") {
		t.Errorf("gateway choices: %v", b.Texts("#pay-gateways button"))
	}
	b.Screenshot("order-unpaid-zh-CN")
	if st := b.ClickNavigate("#pay-alipay-page"); st != http.StatusOK {
		t.Fatalf("pay with Alipay: %d", st)
	}
	if got, _ := b.Attr("#order-state", "data-state"); got != "created" || !b.Exists("#gateway-pending #pay-go") || b.Exists("#pay-form") {
		t.Fatalf("after choosing Alipay: state %q (%s)", got, b.Text("main"))
	}
	o, err := s.App.Order(ctx, p, orderID)
	if err != nil || o.PendingAttempt == nil || o.PendingAttempt.Gateway != "alipay" || o.PendingAttempt.Kind != "page" {
		t.Fatalf("order %+v, %v", o, err)
	}
	ref := o.PendingAttempt.Ref
	if href, _ := b.Attr("#pay-go", "href"); href != o.PendingAttempt.PayURL || !strings.HasPrefix(href, s.Gateway.URL()) {
		t.Fatalf("link to Alipay %q", href)
	}
	b.Screenshot("order-pending-zh-CN")
	switchLang("en")
	if got := b.Text("#gateway-pending-heading"); got != "Waiting for your payment" {
		t.Errorf("pending heading in English %q", got)
	}
	b.Screenshot("order-pending-en")

	// Follow the link to the sandbox cashier (the page reloads itself every
	// few seconds meanwhile: a click the reload swallowed is repeated).
	for i := 0; !strings.HasPrefix(b.Location(), s.Gateway.URL()); i++ {
		if i == 3 {
			t.Fatalf("never reached the cashier: at %s", b.Location())
		}
		b.ClickNavigate("#pay-go")
	}
	if got := b.Text("#ref"); got != ref {
		t.Fatalf("cashier for %q, want %q", got, ref)
	}
	b.Screenshot("sandbox-cashier")
	// The notification arrives a few seconds after the payment.
	s.Gateway.Misbehave(ref, sandboxgw.Behaviour{Delay: 3 * time.Second})
	if st := b.ClickNavigate("#pay"); st != http.StatusOK || !strings.HasPrefix(b.Location(), s.URL+"/payments/return?") {
		t.Fatalf("after paying: %d at %s", st, b.Location())
	}
	if href, _ := b.Attr("#return-continue", "href"); href != "/orders/"+orderID || b.Text("#return-heading") != "We are confirming your payment" {
		t.Fatalf("return page: %q links to %q", b.Text("main"), href)
	}
	b.Screenshot("return-en")
	if st := b.ClickNavigate("#return-continue"); st != http.StatusOK || b.Location() != orderURL {
		t.Fatalf("back to the order: %d at %s", st, b.Location())
	}

	// The order page reloads itself until the notification has paid it.
	pending := docID(t, b)
	state := waitOrderState(t, b, 30*time.Second)
	if docID(t, b) == pending {
		t.Errorf("paid without the page reloading")
	}
	if state == "created" || b.Location() != orderURL || !b.Exists("#order-paid-at") || b.Exists("#gateway-pending") {
		t.Fatalf("after the notification: state %q at %s (%s)", state, b.Location(), b.Text("main"))
	}
	b.Screenshot("order-paid-en")
	switchLang("zh-CN")
	if b.Exists("#gateway-pending") || !b.Exists("#order-deliver-by") {
		t.Errorf("paid page in Chinese: %s", b.Text("main"))
	}
	b.Screenshot("order-paid-zh-CN")

	// Through the app: paid by one Alipay payment, captured once.
	o, err = s.App.Order(ctx, p, orderID)
	if err != nil {
		t.Fatal(err)
	}
	if o.PaidAt.IsZero() || o.State == "created" || o.PaidFen != o.TotalFen || len(o.Payments) != 1 || o.Payments[0].Method != "alipay" ||
		o.Payments[0].State != "succeeded" || o.Payments[0].AmountFen != o.TotalFen {
		t.Fatalf("order %+v", o)
	}
	fin, _, err := s.App.Authenticate(ctx, s.SessionFor(t, string(account.RoleFinance)+"@staff.demo.yuanxu.test",
		"yuanxu-demo-staff-"+string(account.RoleFinance), true, "203.0.113.9"))
	if err != nil {
		t.Fatal(err)
	}
	txns, err := s.App.LedgerTxns(ctx, fin, app.LedgerFilter{Account: "revenue", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	captures := 0
	for _, e := range txns {
		if e.Reason == "capture" && e.Links["order"] == orderID {
			captures++
		}
	}
	if captures != 1 {
		t.Fatalf("%d captures of the order, want 1", captures)
	}

	// A top-up by WeChat Pay: the QR code is drawn (a data: image the CSP
	// allows) and the page reloads itself until the cash arrived.
	b.Navigate(s.URL + "/wallet")
	b.SetValue("#gateway-topup-amount", "100")
	b.SetValue("#gateway-topup-gateway", "wechatpay")
	if st := b.ClickNavigate("#gateway-topup-submit"); st != http.StatusOK || !strings.Contains(b.Location(), "/payments/") {
		t.Fatalf("top-up: %d at %s (%s)", st, b.Location(), b.Text("main"))
	}
	if w := browsertest.Eval[int](b, `document.querySelector("#pay-qr").naturalWidth`); w != 240 {
		t.Fatalf("QR code image %d px wide", w)
	}
	b.Screenshot("topup-qr-zh-CN")
	id, _ := b.Attr("#pay-attempt", "data-attempt")
	at, err := s.App.Attempt(ctx, p, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Gateway.Pay("wechatpay", at.Ref); err != nil {
		t.Fatal(err)
	}
	waitFor(t, b, `document.querySelector("#attempt-paid") !== null`, 30*time.Second)
	b.Screenshot("topup-paid-zh-CN")
}

// docID is an identity of the current document: a page reloaded by its
// Refresh header gets a new one.
func docID(t *testing.T, b *browsertest.Browser) float64 {
	t.Helper()
	return browsertest.Eval[float64](b, `performance.timeOrigin`)
}

// waitFor waits, without navigating, until the page makes cond true; the
// page may be reloading itself meanwhile.
func waitFor(t *testing.T, b *browsertest.Browser, cond string, d time.Duration) {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(b.Context(), 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && (`+cond+`)`))
		cancel()
		if err == nil && ok {
			return
		}
	}
	t.Fatalf("the page never showed %s", cond)
}

// waitOrderState waits, without navigating, until the order page shows a
// state other than created, and returns it. The page may be reloading
// itself at any moment: a read that meets a page being replaced is
// repeated.
func waitOrderState(t *testing.T, b *browsertest.Browser, d time.Duration) string {
	t.Helper()
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(b.Context(), 2*time.Second)
		state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.readyState === "complete" && document.querySelector("#order-state")) ? `+
			`document.querySelector("#order-state").dataset.state : ""`))
		cancel()
		if err == nil && state != "" && state != "created" {
			return state
		}
	}
	t.Fatalf("the order page never showed the order paid")
	return ""
}
