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

// The demo customers of SeedDemo: the individual is verified and, like
// the enterprise, starts with ¥1,000 of cash.
var (
	demoIndividual = webtest.Customer{Email: "individual@demo.yuanxu.test", Password: "yuanxu-demo-individual", Kind: account.KindIndividual}
	demoEnterprise = webtest.Customer{Email: "enterprise@demo.yuanxu.test", Password: "yuanxu-demo-enterprise", Kind: account.KindEnterprise}
)

// newShopServer is a sandbox server with the demo data (catalogue,
// coupons, customers with cash).
func newShopServer(t *testing.T) *webtest.Server {
	t.Helper()
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true})
	if _, err := s.App.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

// shopClient signs c in and makes lang the pages' language.
func shopClient(t *testing.T, s *webtest.Server, c webtest.Customer, lang string) *webtest.Client {
	t.Helper()
	cl := signIn(t, s, c)
	cl.SetCookie(i18n.CookieName, lang)
	return cl
}

// principalOf is c's principal, through a session of its own.
func principalOf(t *testing.T, s *webtest.Server, c webtest.Customer) account.Principal {
	t.Helper()
	p, _, err := s.App.Authenticate(context.Background(), s.SessionFor(t, c.Email, c.Password, false, webtest.UniqueIP()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// inputs returns the values of the inputs named name inside n.
func inputs(n *node, name string) []string {
	var out []string
	for _, in := range n.all(func(m *node) bool { return m.tag == "input" && m.attrs["name"] == name }) {
		out = append(out, in.attrs["value"])
	}
	return out
}

// checkoutForm reads the checkout form of a cart page: its hidden fields,
// and the key clauses offered (none may be ticked).
func checkoutForm(t *testing.T, doc *node) (url.Values, []string) {
	t.Helper()
	f := mustID(t, doc, "checkout-form")
	v := url.Values{}
	for _, name := range []string{"idem_key", "version_id", "sha256", "item"} {
		v[name] = inputs(f, name)
	}
	if len(v["idem_key"]) != 1 || v.Get("idem_key") == "" || len(v["item"]) == 0 {
		t.Fatalf("checkout form fields %v", v)
	}
	boxes := f.all(func(m *node) bool { return m.tag == "input" && m.attrs["name"] == "ack" })
	var clauses []string
	for _, b := range boxes {
		if _, on := b.attrs["checked"]; on {
			t.Errorf("key clause %s is ticked before the customer ticked it", b.attrs["value"])
		}
		clauses = append(clauses, b.attrs["value"])
	}
	return v, clauses
}

// addToCart posts the add-to-cart form and expects the cart.
func addToCart(t *testing.T, c *webtest.Client, product, plan, cycle string) {
	t.Helper()
	res, _ := htmlOf(t, c, "POST", "/cart", url.Values{"product_id": {product}, "plan_id": {plan}, "cycle": {cycle}, "quantity": {"1"}}, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/cart?done=cart_added" {
		t.Fatalf("after adding: %s", loc)
	}
}

func formError(t *testing.T, doc *node) string {
	t.Helper()
	return mustID(t, doc, "form-error").textContent()
}

// Every commerce page renders for a customer in both languages, with the
// refund class of each product and the clause that makes it so shown
// before checkout; staff get 403 and visitors are sent to sign in.
func TestCommercePortalPagesInBothLanguages(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	for _, c := range []struct {
		lang, heading, homeBroadband, refundCredit, cart string
	}{
		{"zh-CN", "产品与价格", "家宽线路：开通后不适用无理由退款（第 3.2.1 条）", "永远不可提现（第 3.1 条）", "购物车是空的。"},
		{"en", "Products and prices", "Home-broadband line: no no-fault refund once opened (clause 3.2.1)", "never withdrawable (clause 3.1)", "Your cart is empty."},
	} {
		t.Run(c.lang, func(t *testing.T) {
			cl := shopClient(t, s, demoIndividual, c.lang)
			_, doc := htmlOf(t, cl, "GET", "/products", nil, http.StatusOK)
			if htmlLang(t, doc) != c.lang || mustID(t, doc, "products-heading").textContent() != c.heading {
				t.Fatalf("products page in %s: lang %s, heading %q", c.lang, htmlLang(t, doc), mustID(t, doc, "products-heading").textContent())
			}
			for _, k := range catalog.Kinds {
				if doc.byID("kind-"+string(k)) == nil {
					t.Errorf("no group for %s", k)
				}
			}
			home := mustID(t, doc, "product-cs-gz-home")
			if got := home.all(func(n *node) bool { return n.attrs["data-refund-class"] == "home_broadband" }); len(got) != 1 ||
				!strings.Contains(got[0].textContent(), c.homeBroadband) || got[0].attrs["data-clause"] != "3.2.1" {
				t.Errorf("home-broadband refund class: %q", home.textContent())
			}
			for id, class := range map[string]string{"product-cs-nc-bw": "standard", "product-cert-dv": "certificate", "product-pack-100g": "traffic_pack"} {
				if n := mustID(t, doc, id); len(n.all(func(m *node) bool { return m.attrs["data-refund-class"] == class })) != 1 {
					t.Errorf("%s: no %s refund class", id, class)
				}
			}
			currency := map[string]string{"zh-CN": "¥", "en": "CN¥"}[c.lang]
			wantPrice := currency + "39.00"
			if !strings.Contains(mustID(t, doc, "product-cs-nc-bw").textContent(), wantPrice) {
				t.Errorf("price not formatted for %s: %q", c.lang, mustID(t, doc, "product-cs-nc-bw").textContent())
			}

			_, doc = htmlOf(t, cl, "GET", "/products/cs-nc-bw", nil, http.StatusOK)
			if doc.byID("add-form") == nil || mustID(t, doc, "product-refund").attrs["data-clause"] != "3.1" || htmlLang(t, doc) != c.lang {
				t.Error("product page: no add form or refund clause")
			}
			_, doc = htmlOf(t, cl, "GET", "/cart", nil, http.StatusOK)
			if got := mustID(t, doc, "cart-empty").textContent(); got != c.cart {
				t.Errorf("empty cart %q", got)
			}
			_, doc = htmlOf(t, cl, "GET", "/orders", nil, http.StatusOK)
			if rows := mustID(t, doc, "orders").all(func(n *node) bool { return n.attrs["data-order"] != "" }); len(rows) == 0 ||
				!strings.Contains(rows[0].textContent(), currency) {
				t.Errorf("orders list: %q", mustID(t, doc, "orders").textContent())
			}
			_, doc = htmlOf(t, cl, "GET", "/wallet", nil, http.StatusOK)
			if got := mustID(t, doc, "balance-refund-credit").textContent(); !strings.Contains(got, c.refundCredit) {
				t.Errorf("refund credit card %q", got)
			}
			if doc.byID("sandbox-topup") == nil {
				t.Error("no sandbox top-up form in sandbox mode")
			}
			nav := doc.all(func(n *node) bool { return n.attrs["data-nav"] == "wallet" || n.attrs["data-nav"] == "cart" })
			if len(nav) != 2 || nav[0].textContent() == "layout.nav.cart" {
				t.Errorf("nav %d items", len(nav))
			}
		})
	}

	t.Run("staff403", func(t *testing.T) {
		staff := signIn(t, s, s.NewStaff(t, account.RoleSupport))
		for _, p := range []string{"/products", "/cart", "/orders", "/wallet"} {
			htmlOf(t, staff, "GET", p, nil, http.StatusForbidden)
		}
	})
	t.Run("anonymous", func(t *testing.T) {
		res := s.Do(t, "GET", "/products/cs-nc-bw", nil)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/login?next="+url.QueryEscape("/products/cs-nc-bw") {
			t.Fatalf("anonymous: %d %s", res.Status, res.Header.Get("Location"))
		}
	})
}

// The demo individual buys a cloud server: add to cart; a checkout without
// every key clause ticked, or with an expired coupon, is refused with the
// clause and the form keeps what was typed; then the order is placed once
// however often the form is sent, paid by balance (the balance goes down
// by the price), and the receipt shows the channel and the agreement
// version accepted; a fapiao request follows.
func TestCommercePortalCheckoutAndPayByBalance(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	cl := shopClient(t, s, demoIndividual, "zh-CN")
	p := principalOf(t, s, demoIndividual)

	addToCart(t, cl, "cs-nc-bw", "s1", "month")
	_, doc := htmlOf(t, cl, "GET", "/cart?done=cart_added", nil, http.StatusOK)
	if rows := doc.all(func(n *node) bool { return n.attrs["class"] == "cart-item" }); len(rows) != 1 ||
		!strings.Contains(rows[0].textContent(), "¥39.00") || !strings.Contains(rows[0].textContent(), "第 3.1 条") {
		t.Fatalf("cart rows %d", len(rows))
	}
	form, clauses := checkoutForm(t, doc)
	before, err := s.App.Orders(ctx, p, app.OrderListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	cur, err := s.App.AgreementCurrent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if keys := app.KeyClauseIDs(cur); !slices.Equal(clauses, keys) || form.Get("version_id") != cur.ID {
		t.Fatalf("checkboxes %v, want the key clauses %v of %s", clauses, keys, cur.ID)
	}

	// Two clauses ticked: refused, naming the rest and the clause; the
	// ticks and the coupon come back.
	bad := url.Values{"ack": clauses[:2], "coupon": {"WELCOME10"}}
	for k, v := range form {
		bad[k] = v
	}
	_, doc = htmlOf(t, cl, "POST", "/checkout", bad, http.StatusUnprocessableEntity)
	if msg := formError(t, doc); !strings.Contains(msg, "尚未勾选") || !strings.Contains(msg, clauses[2]) || !strings.Contains(msg, "第 1 条") {
		t.Errorf("missing clauses error %q", msg)
	}
	if mustID(t, doc, "coupon").attrs["value"] != "WELCOME10" {
		t.Error("the coupon typed is lost")
	}
	for i, c := range clauses {
		_, on := mustID(t, doc, "ack-"+c).attrs["checked"]
		if on != (i < 2) {
			t.Errorf("clause %s ticked = %v after the refusal", c, on)
		}
	}
	// An expired coupon.
	expired := url.Values{"ack": clauses, "coupon": {"EXPIRED5"}}
	for k, v := range form {
		expired[k] = v
	}
	_, doc = htmlOf(t, cl, "POST", "/checkout", expired, http.StatusUnprocessableEntity)
	if msg := formError(t, doc); msg != "优惠码已过期。" {
		t.Errorf("expired coupon error %q", msg)
	}

	// The good form, sent twice: one order, both land on it.
	good := url.Values{"ack": clauses}
	for k, v := range form {
		good[k] = v
	}
	res, _ := htmlOf(t, cl, "POST", "/checkout", good, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/orders/") || !strings.HasSuffix(loc, "?done=order_placed") {
		t.Fatalf("after checkout: %s", loc)
	}
	orderID := strings.TrimSuffix(strings.TrimPrefix(loc, "/orders/"), "?done=order_placed")
	res, _ = htmlOf(t, cl, "POST", "/checkout", good, http.StatusSeeOther)
	if res.Header.Get("Location") != loc {
		t.Fatalf("second submission went to %s, want %s", res.Header.Get("Location"), loc)
	}
	if os, err := s.App.Orders(ctx, p, app.OrderListFilter{}); err != nil || len(os) != len(before)+1 || os[0].ID != orderID {
		t.Fatalf("orders after a double submit: %d (before %d), %v", len(os), len(before), err)
	}
	_, doc = htmlOf(t, cl, "GET", "/cart", nil, http.StatusOK)
	mustID(t, doc, "cart-empty")

	// The unpaid order: its expiry as a time and what is left.
	_, doc = htmlOf(t, cl, "GET", loc, nil, http.StatusOK)
	if got := mustID(t, doc, "order-state").attrs["data-state"]; got != "created" {
		t.Fatalf("state %s", got)
	}
	if exp := mustID(t, doc, "order-expiry").textContent(); !strings.Contains(exp, "前付款") || !strings.Contains(exp, "分钟") {
		t.Errorf("expiry %q", exp)
	}
	if mustID(t, doc, "form-notice").textContent() == "" || doc.byID("pay-form") == nil || doc.byID("cancel-form") == nil ||
		doc.byID("split-pending-note") == nil {
		t.Error("unpaid order page: no notice, pay, split or cancel form")
	}
	w0, err := s.App.Wallet(ctx, p, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}

	res, _ = htmlOf(t, cl, "POST", "/orders/"+orderID+"/pay", url.Values{"method": {"balance"}}, http.StatusSeeOther)
	if res.Header.Get("Location") != "/orders/"+orderID+"?done=order_paid" {
		t.Fatalf("after paying: %s", res.Header.Get("Location"))
	}
	o, err := s.App.Order(ctx, p, orderID)
	if err != nil || o.State != string(order.StateDelivered) || o.PaidAt.IsZero() || o.TotalFen != 3900 { // activated at payment until delivery lands
		t.Fatalf("order after paying: %+v, %v", o, err)
	}
	w1, err := s.App.Wallet(ctx, p, "", "", 1)
	if err != nil || w0.Balance.CashFen-w1.Balance.CashFen != o.TotalFen {
		t.Fatalf("cash %d → %d for an order of %d (%v)", w0.Balance.CashFen, w1.Balance.CashFen, o.TotalFen, err)
	}
	_, doc = htmlOf(t, cl, "GET", "/orders/"+orderID, nil, http.StatusOK)
	if doc.byID("order-deliver-by") == nil || doc.byID("pay-form") != nil || doc.byID("cancel-form") != nil || doc.byID("invoice-form") == nil {
		t.Error("paid order page: want a delivery deadline and the fapiao form, no pay or cancel form")
	}
	// Paying again: refused at the top of the page, no 500.
	_, doc = htmlOf(t, cl, "POST", "/orders/"+orderID+"/pay", url.Values{"method": {"balance"}}, http.StatusConflict)
	if msg := formError(t, doc); msg != "该订单当前不是待付款状态。" {
		t.Errorf("second payment %q", msg)
	}

	// The receipt: channel, agreement version and SHA-256 prefix, refund class.
	_, doc = htmlOf(t, cl, "GET", "/orders/"+orderID+"/receipt", nil, http.StatusOK)
	if mustID(t, doc, "receipt-version").textContent() != cur.ID || mustID(t, doc, "receipt-sha").textContent() != cur.SHA256[:12] ||
		mustID(t, doc, "receipt-channel").textContent() != "网站" || mustID(t, doc, "receipt-total").textContent() != "¥39.00" {
		t.Errorf("receipt facts %q", mustID(t, doc, "receipt-facts").textContent())
	}
	if lines := doc.all(func(n *node) bool {
		return n.attrs["data-refund-class"] == "standard" && n.attrs["data-clause"] == "3.1"
	}); len(lines) != 1 {
		t.Error("receipt: no refund class on the line")
	}

	// A fapiao: a bad one keeps what was typed, a good one is listed.
	_, doc = htmlOf(t, cl, "POST", "/orders/"+orderID+"/invoice", url.Values{"type": {"special"}, "title": {"张三"}, "email": {"zs@example.com"}},
		http.StatusUnprocessableEntity)
	if msg := mustID(t, doc, "invoice-form").parent.textContent(); !strings.Contains(msg, "纳税人识别号") {
		t.Errorf("fapiao error %q", msg)
	}
	if mustID(t, doc, "invoice-email").attrs["value"] != "zs@example.com" || mustID(t, doc, "invoice-title").attrs["value"] != "张三" {
		t.Error("the fapiao form lost what was typed")
	}
	htmlOf(t, cl, "POST", "/orders/"+orderID+"/invoice", url.Values{"type": {"normal"}, "title": {"张三"}, "email": {"zs@example.com"}}, http.StatusSeeOther)
	_, doc = htmlOf(t, cl, "GET", "/orders/"+orderID+"?done=invoice_requested", nil, http.StatusOK)
	if doc.byID("invoices") == nil || doc.byID("invoice-form") != nil {
		t.Error("the fapiao request is not listed, or a second one is offered")
	}
}

// Another customer's order is not found, whatever is asked of it.
func TestCommercePortalOtherCustomersOrderIs404(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	p := principalOf(t, s, demoIndividual)
	o, _, err := s.App.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: "cs-nc-bw", PlanID: "s1", Cycle: "month", Quantity: 1}},
		Agreement: app.AgreementAck{Acknowledged: app.DefaultKeyClauses()}}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	other := shopClient(t, s, demoEnterprise, "zh-CN")
	for _, r := range []struct {
		method, path string
		form         url.Values
	}{
		{"GET", "/orders/" + o.ID, nil},
		{"GET", "/orders/" + o.ID + "/receipt", nil},
		{"POST", "/orders/" + o.ID + "/pay", url.Values{"method": {"balance"}}},
		{"POST", "/orders/" + o.ID + "/cancel", url.Values{}},
		{"POST", "/orders/" + o.ID + "/invoice", url.Values{"type": {"normal"}, "title": {"x公司"}, "email": {"a@b.cn"}}},
		{"GET", "/orders/no-such-order", nil},
	} {
		htmlOf(t, other, r.method, r.path, r.form, http.StatusNotFound)
	}
	if got, err := s.App.Order(ctx, p, o.ID); err != nil || got.State != "created" || got.PaidFen != 0 {
		t.Fatalf("the order after the stranger's attempts: %+v, %v", got, err)
	}
}

// Bad input re-renders the form with the error and what was typed, never
// a 500: a quantity of 0, an amount with three decimals or letters, a
// withdrawal above the cash, a split without a balance part.
func TestCommercePortalBadInputKeepsWhatWasTyped(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	cl := shopClient(t, s, demoIndividual, "en")

	_, doc := htmlOf(t, cl, "POST", "/cart", url.Values{"product_id": {"cs-nc-bw"}, "plan_id": {"s2"}, "cycle": {"year"}, "quantity": {"0"}},
		http.StatusUnprocessableEntity)
	if mustID(t, doc, "quantity").attrs["value"] != "0" || !strings.Contains(formError(t, doc)+mustID(t, doc, "add-form").parent.textContent(), "Quantity") {
		t.Errorf("quantity error %q", mustID(t, doc, "add-form").parent.textContent())
	}
	if sel := doc.all(func(n *node) bool { _, on := n.attrs["selected"]; return n.tag == "option" && on }); len(sel) != 2 ||
		sel[0].attrs["value"] != "s2" || sel[1].attrs["value"] != "year" {
		t.Errorf("plan and cycle chosen are lost")
	}
	htmlOf(t, cl, "POST", "/cart", url.Values{"product_id": {"no-such-product"}, "plan_id": {"x"}, "cycle": {"month"}}, http.StatusNotFound)

	for _, c := range []struct{ amount, dest, want string }{
		{"12.345", "招商银行 6225 8801 2345 6789 张三", "at most two decimals"},
		{"abc", "招商银行 6225 8801 2345 6789 张三", "Not an amount"},
		{"-5", "招商银行 6225 8801 2345 6789 张三", "cannot be negative"},
		{"5000", "招商银行 6225 8801 2345 6789 张三", "more than your cash (clause 3.1)"},
		{"10", "x", "Bank account"},
	} {
		res := cl.Do(t, "POST", "/wallet/withdrawals", url.Values{"amount": {c.amount}, "destination": {c.dest}}.Encode(),
			"Content-Type", "application/x-www-form-urlencoded")
		if res.Status < 400 || res.Status >= 500 {
			t.Errorf("withdraw %q: %d", c.amount, res.Status)
			continue
		}
		d := parseHTML(t, strings.NewReader(string(res.Body)))
		if msg := formError(t, d); !strings.Contains(msg, c.want) {
			t.Errorf("withdraw %q: error %q, want %q", c.amount, msg, c.want)
		}
		if mustID(t, d, "withdraw-amount").attrs["value"] != c.amount || mustID(t, d, "withdraw-destination").attrs["value"] != c.dest {
			t.Errorf("withdraw %q: the form lost what was typed", c.amount)
		}
	}
	if ws, err := s.App.Withdrawals(context.Background(), principalOf(t, s, demoIndividual), nil); err != nil || len(ws) != 0 {
		t.Fatalf("withdrawals after refusals: %d, %v", len(ws), err)
	}
}

// checkoutAll submits the cart's checkout form with every key clause
// ticked (and coupon), expecting status want.
func checkoutAll(t *testing.T, cl *webtest.Client, coupon string, want int) (*webtest.Response, *node) {
	t.Helper()
	_, doc := htmlOf(t, cl, "GET", "/cart", nil, http.StatusOK)
	form, clauses := checkoutForm(t, doc)
	form["ack"], form["coupon"] = clauses, []string{coupon}
	return htmlOf(t, cl, "POST", "/checkout", form, want)
}

// Checkout blockers are shown in the user's language, each with its
// clause: real-name verification (with a link to it), a product no licence
// covers, key clauses not ticked — all at once.
func TestCommercePortalBlockersNameTheirClauses(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)

	// Not verified: a notice before checkout, then the blocker with its link.
	fresh := s.NewCustomer(t, account.KindIndividual)
	cl := shopClient(t, s, fresh, "en")
	addToCart(t, cl, "cs-nc-bw", "s1", "month")
	_, doc := htmlOf(t, cl, "GET", "/cart", nil, http.StatusOK)
	if mustID(t, doc, "kyc-link").attrs["href"] != "/account/kyc" {
		t.Error("no link to real-name verification before checkout")
	}
	_, doc = checkoutAll(t, cl, "", http.StatusForbidden)
	msg := formError(t, doc)
	if !strings.Contains(msg, "Real-name verification must be approved") || !strings.Contains(msg, "(clause 2.1)") {
		t.Errorf("KYC blocker %q", msg)
	}
	if mustID(t, doc, "kyc-link").attrs["href"] != "/account/kyc" || doc.byID("checkout-form") == nil {
		t.Error("the KYC blocker page has no link or lost the form")
	}

	// Verified, but a cross-border line no licence covers, and nothing ticked.
	ind := shopClient(t, s, demoIndividual, "zh-CN")
	addToCart(t, ind, "vpn-cross-border", "x10", "month")
	_, doc = htmlOf(t, ind, "GET", "/cart", nil, http.StatusOK)
	form, _ := checkoutForm(t, doc)
	_, doc = htmlOf(t, ind, "POST", "/checkout", form, http.StatusUnprocessableEntity)
	lines := mustID(t, doc, "form-error").all(func(n *node) bool { return n.tag == "li" })
	if len(lines) != 2 || !strings.Contains(lines[0].textContent(), "尚未勾选") || !strings.Contains(lines[1].textContent(), "vpn-cross-border") ||
		!strings.Contains(lines[1].textContent(), "经营许可") || !strings.Contains(lines[1].textContent(), "（第 1 条）") {
		t.Errorf("blockers %q", mustID(t, doc, "form-error").textContent())
	}
	if doc.byID("kyc-link") != nil {
		t.Error("a verified customer is sent to verification")
	}
}
