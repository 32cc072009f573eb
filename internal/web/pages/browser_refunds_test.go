package pages_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"yuanxu/internal/app"
	"yuanxu/internal/browsertest"
)

// TestBrowserRefundToBalance: the demo individual buys a cloud server with
// the balance (through the app), opens the order's refund page, reads the
// live preview (eligible, every rule with its clause), chooses the
// balance — the page says plainly it becomes refund credit, never
// withdrawable — confirms the suspension and submits. A support lead opens
// the console's queue, opens the request, reads its trace and approves
// it. Through the app the customer's balance is back where it was before
// the purchase, and the customer's request page shows it paid.
// Screenshots of the request form, the console's decision page and the
// request page, each in Chinese and in English (their paths are logged;
// YUANXU_SCREENSHOTS keeps them).
func TestBrowserRefundToBalance(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	t.Cleanup(func() {
		if r, err := s.App.LedgerVerify(ctx); err != nil || !r.OK() {
			t.Errorf("ledger: %+v, %v", r, err)
		}
	})
	p := principalOf(t, s, demoIndividual)
	w0, err := s.App.Wallet(ctx, p, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	o, _, err := s.App.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: "cs-nc-bw", PlanID: "s1", Cycle: "month", Quantity: 1}},
		Agreement: app.AgreementAck{Acknowledged: app.DefaultKeyClauses()}}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = s.App.PayOrder(ctx, p, o.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}

	cb := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	cb.Navigate(s.URL + "/login")
	cb.SetValue("#identifier", demoIndividual.Email)
	cb.SetValue("#password", demoIndividual.Password)
	if st := cb.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("customer sign-in: %d", st)
	}
	switchLang := func(b *browsertest.Browser, lang string) {
		t.Helper()
		if st := b.ClickNavigate(`.lang-switch button[value="` + lang + `"]`); st != http.StatusOK {
			t.Fatalf("switch to %s: %d", lang, st)
		}
	}

	// The request form with its live preview.
	if st := cb.Navigate(s.URL + "/orders/" + o.ID + "/refund"); st != http.StatusOK {
		t.Fatalf("refund page: %d", st)
	}
	loaded(t, cb)
	if got := cb.Text("#preview-outcome"); got != "符合条件" {
		t.Errorf("outcome %q", got)
	}
	if got, _ := cb.Attr(`#refund-trace tr[data-rule="window"]`, "data-outcome"); got != "pass" {
		t.Errorf("window rule %q", got)
	}
	if got := cb.Text(`#refund-trace tr[data-rule="window"] .refund-clause`); got != "服务协议第 3.1 条" {
		t.Errorf("window clause %q", got)
	}
	if n := len(cb.Texts("#refund-trace tr.refund-step")); n != 7 {
		t.Errorf("%d rules in the trace", n)
	}
	if n := browsertest.Eval[int](cb, `document.querySelectorAll('input[name="destination"]:checked').length`); n != 0 {
		t.Errorf("%d destinations chosen before the customer chose", n)
	}
	cb.Screenshot("request-form-zh-CN")
	switchLang(cb, "en")
	if got := cb.Text("#preview-amount"); got != "Amount refunded: ¥39.00" && got != "Amount refunded: CN¥39.00" {
		t.Errorf("amount %q", got)
	}
	if got := cb.Text("#destination-balance-text"); !strings.Contains(got, "refund credit") || !strings.Contains(got, "never be withdrawn") {
		t.Errorf("balance destination text %q", got)
	}
	cb.Click("#destination-balance")
	cb.SetValue("#refund-reason", "配置不符合需求 / the configuration does not fit")
	cb.SetValue("#refund-statement", "只登录过一次，未部署业务 / logged in once, nothing deployed")
	cb.Click("#confirm-suspension")
	cb.Screenshot("request-form-en")
	if st := cb.ClickNavigate("#refund-submit"); st != http.StatusOK {
		t.Fatalf("submit: %d (%s)", st, cb.Text("main"))
	}
	loc := cb.Location()
	i := strings.Index(loc, "/refunds/")
	if i < 0 || !strings.Contains(loc, "done=refund_requested") {
		t.Fatalf("after submitting: %s (%s)", loc, cb.Text("main"))
	}
	refundID := strings.SplitN(loc[i+len("/refunds/"):], "?", 2)[0]
	if got, _ := cb.Attr("#refund-state", "data-state"); got != "under_review" {
		t.Fatalf("state %q", got)
	}
	if !strings.HasPrefix(cb.Text("#refund-due"), "by ") || !cb.Exists("#withdraw-submit") {
		t.Errorf("deadline %q", cb.Text("#refund-due"))
	}
	cb.Screenshot("request-under-review-en")

	// A support lead approves it in the console.
	sb := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	sb.Navigate(s.URL + "/console/login")
	sb.SetValue("#identifier", "support_lead@staff.demo.yuanxu.test")
	sb.SetValue("#password", "yuanxu-demo-staff-support_lead")
	if st := sb.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("staff sign-in: %d", st)
	}
	if st := sb.ClickNavigate(`.site-nav a[data-nav="refunds"]`); st != http.StatusOK || !strings.HasSuffix(sb.Location(), "/console/refunds") {
		t.Fatalf("queue: %d at %s", st, sb.Location())
	}
	loaded(t, sb)
	if !sb.Exists(`#refunds tr[data-refund="` + refundID + `"]`) {
		t.Fatalf("the request is not in the queue")
	}
	sb.Screenshot("console-queue-zh-CN")
	if st := sb.ClickNavigate(`a[data-open="` + refundID + `"]`); st != http.StatusOK {
		t.Fatalf("decision page: %d", st)
	}
	if got := sb.Text("#decision-outcome"); got != "符合条件" {
		t.Errorf("outcome in the console %q", got)
	}
	if got := sb.Text(`#evidence dd[data-evidence="order"]`); got != o.ID {
		t.Errorf("evidence order %q", got)
	}
	sb.Screenshot("console-decision-zh-CN")
	switchLang(sb, "en")
	if got := sb.Text("#approve-submit"); got != "Approve the refund" {
		t.Errorf("approve button %q", got)
	}
	sb.Screenshot("console-decision-en")
	if st := sb.ClickNavigate("#approve-submit"); st != http.StatusOK {
		t.Fatalf("approve: %d", st)
	}
	if got := sb.Text("#form-notice"); got != "Approved: the money is back." {
		t.Errorf("notice %q", got)
	}
	if got, _ := sb.Attr("#refund-state", "data-state"); got != "paid" {
		t.Fatalf("state after approval %q", got)
	}

	// Through the app: the balance is back; the order refunded.
	w1, err := s.App.Wallet(ctx, p, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if w1.Balance.CashFen != w0.Balance.CashFen || w1.Balance.RefundCreditFen != w0.Balance.RefundCreditFen {
		t.Fatalf("balance %+v, before the purchase %+v", w1.Balance, w0.Balance)
	}
	if v, err := s.App.Order(ctx, p, o.ID); err != nil || v.State != "refunded" {
		t.Fatalf("order %s, %v", v.State, err)
	}

	// The customer's request page says paid, in English then Chinese.
	if st := cb.Navigate(s.URL + "/refunds/" + refundID); st != http.StatusOK {
		t.Fatalf("request page: %d", st)
	}
	if got, _ := cb.Attr("#refund-state", "data-state"); got != "paid" || cb.Text("#refund-state") != "Paid" || cb.Exists("#withdraw-submit") {
		t.Errorf("request page state %q %q", got, cb.Text("#refund-state"))
	}
	cb.Screenshot("request-paid-en")
	switchLang(cb, "zh-CN")
	if got := cb.Text("#refund-state"); got != "已退款" {
		t.Errorf("state in Chinese %q", got)
	}
	cb.Screenshot("request-paid-zh-CN")
}
