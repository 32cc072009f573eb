package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/catalog"
	"yuanxu/internal/order"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// More commerce portal flows: the wallet, split payments and
// cancellation, traffic packs, and the catalog keys the pages build.

// The wallet: a sandbox top-up, the history by sub-balance with its
// reasons translated, a withdrawal of cash (masked account) and its
// cancellation, which gives the cash back.
func TestCommercePortalWallet(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	p := principalOf(t, s, demoIndividual)
	cl := shopClient(t, s, demoIndividual, "en")
	cash := func() int64 { return cashOf(t, s, p) }
	c0 := cash()
	htmlOf(t, cl, "POST", "/wallet/sandbox-top-up", url.Values{"amount": {"50.5"}}, http.StatusSeeOther)
	if got := cash(); got != c0+5050 {
		t.Fatalf("cash after a ¥50.50 top-up: %d, want %d", got, c0+5050)
	}
	_, doc := htmlOf(t, cl, "GET", "/wallet?done=topped_up", nil, http.StatusOK)
	entries := doc.all(func(n *node) bool { return n.attrs["class"] == "ledger-entry" })
	if len(entries) < 2 || entries[0].attrs["data-reason"] != "top_up" || !strings.Contains(entries[0].textContent(), "Top-up") ||
		!strings.Contains(entries[0].textContent(), "+CN¥50.50") {
		t.Errorf("history %q", mustID(t, doc, "history").textContent())
	}
	_, doc = htmlOf(t, cl, "GET", "/wallet?kind=refund_credit", nil, http.StatusOK)
	mustID(t, doc, "history-empty")

	htmlOf(t, cl, "POST", "/wallet/withdrawals", url.Values{"amount": {"100"}, "destination": {"招商银行 6225 8801 2345 6789 张三"}}, http.StatusSeeOther)
	if got := cash(); got != c0+5050-10000 {
		t.Fatalf("cash after withdrawing ¥100: %d", got)
	}
	_, doc = htmlOf(t, cl, "GET", "/wallet", nil, http.StatusOK)
	ws := doc.all(func(n *node) bool { return n.attrs["class"] == "withdrawal" })
	if len(ws) != 1 || ws[0].attrs["data-state"] != "requested" || !strings.Contains(ws[0].textContent(), "****6789") ||
		strings.Contains(ws[0].textContent(), "8801") {
		t.Fatalf("withdrawals %d", len(ws))
	}
	id := ws[0].attrs["data-withdrawal"]
	htmlOf(t, cl, "POST", "/wallet/withdrawals/"+id+"/cancel", url.Values{}, http.StatusSeeOther)
	if got := cash(); got != c0+5050 {
		t.Fatalf("cash after cancelling: %d", got)
	}
	// Cancelling twice: refused on the page, not a 500.
	_, doc = htmlOf(t, cl, "POST", "/wallet/withdrawals/"+id+"/cancel", url.Values{}, http.StatusConflict)
	if msg := formError(t, doc); !strings.Contains(msg, "cannot be cancelled") {
		t.Errorf("second cancel %q", msg)
	}
	// Someone else's withdrawal does not exist for them.
	other := shopClient(t, s, demoEnterprise, "en")
	htmlOf(t, other, "POST", "/wallet/withdrawals/"+id+"/cancel", url.Values{}, http.StatusNotFound)
}

// A split payment takes the balance part now and leaves the gateway part
// pending (said on the page); cancelling gives the balance part back. A
// balance part not below the amount due is refused with the amount kept.
func TestCommercePortalSplitAndCancel(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	p := principalOf(t, s, demoIndividual)
	cl := shopClient(t, s, demoIndividual, "zh-CN")
	addToCart(t, cl, "cs-gz-home", "h4", "month")
	res, _ := checkoutAll(t, cl, "", http.StatusSeeOther)
	path := strings.TrimSuffix(res.Header.Get("Location"), "?done=order_placed")
	w0, _ := s.App.Wallet(ctx, p, "", "", 1)

	_, doc := htmlOf(t, cl, "POST", path+"/pay", url.Values{"method": {"split"}, "balance_amount": {"500"}, "gateway": {"wechatpay"}},
		http.StatusUnprocessableEntity)
	if mustID(t, doc, "balance_amount").attrs["value"] != "500" || !strings.Contains(mustID(t, doc, "split").textContent(), "须小于待付金额") {
		t.Errorf("split error %q", mustID(t, doc, "split").textContent())
	}
	if _, open := mustID(t, doc, "split").attrs["open"]; !open {
		t.Error("the split form is folded away with its error")
	}
	htmlOf(t, cl, "POST", path+"/pay", url.Values{"method": {"split"}, "balance_amount": {"50"}, "gateway": {"wechatpay"}}, http.StatusSeeOther)
	_, doc = htmlOf(t, cl, "GET", path, nil, http.StatusOK)
	if doc.byID("gateway-pending") == nil || doc.byID("pay-form") != nil || mustID(t, doc, "order-paid").textContent() != "¥50.00" {
		t.Error("split: no pending notice, or still payable")
	}
	if pend := doc.all(func(n *node) bool { return n.attrs["class"] == "payment" && n.attrs["data-state"] == "pending" }); len(pend) != 1 {
		t.Errorf("pending gateway payments %d", len(pend))
	}
	htmlOf(t, cl, "POST", path+"/cancel", url.Values{}, http.StatusSeeOther)
	_, doc = htmlOf(t, cl, "GET", path+"?done=order_cancelled", nil, http.StatusOK)
	if mustID(t, doc, "order-state").attrs["data-state"] != "cancelled" {
		t.Errorf("after cancelling: %s", mustID(t, doc, "order-state").attrs["data-state"])
	}
	if w1, _ := s.App.Wallet(ctx, p, "", "", 1); w1.Balance.CashFen != w0.Balance.CashFen {
		t.Errorf("cash %d after the cancelled split, want %d back", w1.Balance.CashFen, w0.Balance.CashFen)
	}
}

// A traffic pack's page offers the customer's traffic-billed server
// services to attach it to (none: no add button), and the pack goes
// through checkout onto the service chosen.
func TestCommercePortalTrafficPackAttach(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	_, doc := htmlOf(t, shopClient(t, s, demoEnterprise, "zh-CN"), "GET", "/products/pack-100g", nil, http.StatusOK)
	if doc.byID("attach-none") == nil || doc.byID("add-to-cart") != nil {
		t.Fatal("a pack is offered without a server to attach it to")
	}

	p := principalOf(t, s, demoIndividual)
	cl := shopClient(t, s, demoIndividual, "zh-CN")
	srv, _, err := s.App.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: "cs-nc-traffic", PlanID: "t2", Cycle: "month", Quantity: 1}},
		Agreement: app.AgreementAck{Acknowledged: app.DefaultKeyClauses()}}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.PayOrder(ctx, p, srv.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	svcs, err := s.App.Services(ctx, p, app.ServiceListFilter{Kind: "cloud_server", States: []string{"pending", "active", "suspended"}})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	newID := ""
	for _, sv := range svcs {
		if sv.ProductID == "cs-nc-traffic" {
			want = append(want, sv.ID)
		}
		if sv.OrderID == srv.ID {
			newID = sv.ID
		}
	}
	_, doc = htmlOf(t, cl, "GET", "/products/pack-100g", nil, http.StatusOK)
	var got []string
	for _, o := range mustID(t, doc, "attach_to").all(func(n *node) bool { return n.tag == "option" }) {
		got = append(got, o.attrs["value"])
	}
	slices.Sort(got)
	slices.Sort(want)
	if newID == "" || !slices.Equal(got, want) || !slices.Contains(got, newID) {
		t.Fatalf("attach choices %v, want the traffic-billed servers %v (new %s)", got, want, newID)
	}
	htmlOf(t, cl, "POST", "/cart", url.Values{"product_id": {"pack-100g"}, "plan_id": {"p100"}, "cycle": {"one_off"}, "attach_to": {newID}}, http.StatusSeeOther)
	res, _ := checkoutAll(t, cl, "", http.StatusSeeOther)
	id := strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Location"), "/orders/"), "?done=order_placed")
	o, err := s.App.Order(ctx, p, id)
	if err != nil || len(o.Lines) != 1 || o.Lines[0].AttachTo != newID || o.Lines[0].RefundClass != "traffic_pack" {
		t.Fatalf("pack order %+v, %v", o, err)
	}
}

// Every catalog key the commerce pages build at run time exists.
func TestCommercePortalDynamicKeys(t *testing.T) {
	t.Parallel()
	var keys []string
	add := func(prefix string, vs ...string) {
		for _, v := range vs {
			keys = append(keys, prefix+v)
		}
	}
	for _, k := range catalog.Kinds {
		add("page.shop.kind.", string(k))
		add("page.shop.kinds.", string(k))
	}
	for _, st := range order.States {
		add("page.shop.state.", string(st))
	}
	add("page.shop.cycle.", "month", "quarter", "year", "one_off")
	add("page.shop.refund_class.", "standard", "home_broadband", "certificate", "traffic_pack")
	add("page.shop.refund.", "standard", "home_broadband", "certificate", "traffic_pack")
	add("page.shop.line.", "standard", "home_broadband")
	add("page.shop.direction.", "tx", "rx", "larger", "sum")
	add("page.shop.method.", app.MethodBalance, app.MethodAlipay, app.MethodWeChatPay)
	add("page.shop.payment.", app.PaymentPending, app.PaymentSucceeded, app.PaymentFailed, app.PaymentCancelled)
	add("page.shop.withdrawal.", app.WithdrawalRequested, app.WithdrawalAwaitingSecond, app.WithdrawalApproved, app.WithdrawalPaid,
		app.WithdrawalRejected, app.WithdrawalCancelled)
	add("page.shop.invoice.type.", app.InvoiceNormal, app.InvoiceSpecial)
	add("page.shop.invoice.state.", "requested", "issued", "rejected")
	add("page.shop.channel.", string(order.ChannelWeb), string(order.ChannelAPI), "reseller")
	add("page.shop.reason.", "top_up", "spend", "refund_to_balance", "refund_as_credit", "refund_to_route", "freeze", "unfreeze", "withdraw",
		"account_closure", "payout", "adjust", "spend_reverse", "withdraw_reverse", "downgrade_credit")
	add("page.shop.purpose.", app.PurposeNew, app.PurposeRenewal, app.PurposeUpgrade)
	add("page.shop.balance.", "cash", "refund_credit", "frozen_cash", "frozen_refund_credit")
	add("layout.nav.", "cart", "wallet")
	for _, k := range keys {
		if m, ok := i18n.Lookup(k); !ok || m.ZH == "" || m.EN == "" {
			t.Errorf("missing catalog key %s", k)
		}
	}
}

// Outside sandbox mode the wallet offers no top-up and the route answers
// 404.
func TestCommercePortalNoTopUpOutsideSandbox(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, nil)
	cl := shopClient(t, s, s.NewCustomer(t, account.KindIndividual), "zh-CN")
	_, doc := htmlOf(t, cl, "GET", "/wallet", nil, http.StatusOK)
	if doc.byID("sandbox-topup") != nil {
		t.Error("a sandbox top-up form outside sandbox mode")
	}
	htmlOf(t, cl, "POST", "/wallet/sandbox-top-up", url.Values{"amount": {"100"}}, http.StatusNotFound)
}
