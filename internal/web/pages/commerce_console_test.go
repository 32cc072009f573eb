package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/store"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// ccEnv is a sandbox server with the demo seed (catalog, coupons,
// the demo customers with cash, one staff member per role) whose ledger
// is verified when the test ends.
type ccEnv struct {
	s   *webtest.Server
	ctx context.Context
}

func newCCEnv(t *testing.T) ccEnv {
	t.Helper()
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true})
	ctx := context.Background()
	if _, err := s.App.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r, err := s.App.LedgerVerify(ctx)
		if err != nil {
			t.Errorf("LedgerVerify: %v", err)
		} else if !r.OK() {
			t.Errorf("ledger invariants broken: %+v", r)
		}
	})
	return ccEnv{s: s, ctx: ctx}
}

// ccDemoStaff is the demo staff member of role.
func ccDemoStaff(role account.Role) webtest.Customer {
	return webtest.Customer{Kind: account.KindStaff, Email: string(role) + "@staff.demo.yuanxu.test", Password: "yuanxu-demo-staff-" + string(role)}
}

// console signs c in and makes lang the pages' language.
func (e ccEnv) console(t *testing.T, c webtest.Customer, lang i18n.Lang) *webtest.Client {
	t.Helper()
	cl := signIn(t, e.s, c)
	cl.SetCookie(i18n.CookieName, string(lang))
	return cl
}

// principal signs login in through the app and returns its principal.
func (e ccEnv) principal(t *testing.T, login, password string, staff bool) account.Principal {
	t.Helper()
	tok := e.s.SessionFor(t, login, password, staff, webtest.UniqueIP())
	p, _, err := e.s.App.Authenticate(e.ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// paidOrder is a paid order of the demo individual (verified, with cash).
func (e ccEnv) paidOrder(t *testing.T) (account.Principal, app.OrderView) {
	t.Helper()
	p := e.principal(t, "individual@demo.yuanxu.test", "yuanxu-demo-individual", false)
	o, _, err := e.s.App.Checkout(e.ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: "cs-nc-bw", PlanID: "s1", Cycle: "month", Quantity: 1}},
		Agreement: app.AgreementAck{Acknowledged: app.DefaultKeyClauses()}}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = e.s.App.PayOrder(e.ctx, p, o.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	return p, o
}

func ccText(t *testing.T, doc *node, id string) string {
	t.Helper()
	return mustID(t, doc, id).textContent()
}

// ccFieldError is the message shown under an input (the element
// "err-"+name), or "".
func ccFieldError(doc *node, name string) string {
	if n := doc.byID("err-" + name); n != nil {
		return n.textContent()
	}
	return ""
}

// ccInputValue is the value attribute of the element with id.
func ccInputValue(t *testing.T, doc *node, id string) string {
	t.Helper()
	return mustID(t, doc, id).attrs["value"]
}

// Every commerce page renders in zh-CN and English for a role that holds
// its permission and answers the 403 page to a role that does not, and to
// a customer; a visitor is sent to the console sign-in.
func TestConsoleCommercePagesRenderAndRefuse(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	cust, o := e.paidOrder(t)
	cases := []struct {
		path        string
		allow, deny account.Role
		heading     string // id of the h1
		zh, en      string // in the h1
		nav         string
	}{
		{"/console/catalog", account.RoleAdmin, account.RoleFinance, "catalog-heading", "产品目录", "Catalog", "catalog"},
		{"/console/catalog/new", account.RoleAdmin, account.RoleSupport, "product-heading", "新建产品", "New product", "catalog"},
		{"/console/catalog/new?kind=certificate", account.RoleAdmin, account.RoleSupport, "product-heading", "新建产品", "New product", "catalog"},
		{"/console/catalog/cs-nc-bw", account.RoleAdmin, account.RoleFinanceApprover, "product-heading", "编辑产品", "Edit product", "catalog"},
		{"/console/coupons", account.RoleAdmin, account.RoleFinance, "coupons-heading", "优惠券", "Coupons", "catalog"},
		{"/console/orders", account.RoleSupport, account.RoleAdmin, "orders-heading", "订单", "Orders", "orders"},
		{"/console/orders/" + o.ID, account.RoleFinance, account.RoleLegal, "order-heading", "订单", "Order", "orders"},
		{"/console/finance", account.RoleFinance, account.RoleSupport, "finance-heading", "余额与账本", "balances and ledger", "finance"},
		{"/console/finance/accounts/" + cust.AccountID, account.RoleFinance, account.RoleLegal, "wallet-heading", "客户余额", "Customer wallet", "finance"},
		{"/console/finance/adjust", account.RoleFinanceApprover, account.RoleFinance, "adjust-heading", "人工调整余额", "Adjust a balance", "finance"},
		{"/console/finance/withdrawals", account.RoleFinance, account.RoleSupport, "withdrawals-heading", "提现队列", "Withdrawals", "finance"},
		{"/console/finance/invoices", account.RoleFinance, account.RoleAdmin, "invoices-heading", "发票队列", "Fapiao requests", "finance"},
	}
	clients := map[string]*webtest.Client{}
	client := func(r account.Role, l i18n.Lang) *webtest.Client {
		k := string(r) + "/" + string(l)
		if clients[k] == nil {
			clients[k] = e.console(t, ccDemoStaff(r), l)
		}
		return clients[k]
	}
	customer := signIn(t, e.s, webtest.Customer{Kind: account.KindIndividual, Email: "individual@demo.yuanxu.test", Password: "yuanxu-demo-individual"})
	for _, c := range cases {
		for _, l := range i18n.Langs {
			_, doc := htmlOf(t, client(c.allow, l), "GET", c.path, nil, http.StatusOK)
			if got := htmlLang(t, doc); got != string(l) {
				t.Errorf("%s as %s: lang %q, want %s", c.path, c.allow, got, l)
			}
			want := c.zh
			if l == i18n.EN {
				want = c.en
			}
			if h := ccText(t, doc, c.heading); !strings.Contains(h, want) {
				t.Errorf("%s in %s: heading %q, want %q in it", c.path, l, h, want)
			}
			cur := doc.all(func(n *node) bool { return n.attrs["aria-current"] == "page" && n.attrs["data-nav"] != "" })
			if len(cur) != 1 || cur[0].attrs["data-nav"] != c.nav {
				t.Errorf("%s: current nav item wrong", c.path)
			}
			if doc.byID("form-error") != nil {
				t.Errorf("%s: an error on a plain GET: %s", c.path, ccText(t, doc, "form-error"))
			}
		}
		_, doc := htmlOf(t, client(c.deny, i18n.EN), "GET", c.path, nil, http.StatusForbidden)
		if doc.byID("error-heading") == nil {
			t.Errorf("%s as %s: not the 403 page", c.path, c.deny)
		}
		htmlOf(t, customer, "GET", c.path, nil, http.StatusForbidden)
		res := e.s.NewClient().Do(t, "GET", c.path, nil)
		if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/login?next=") {
			t.Errorf("visitor %s: %d %s", c.path, res.Status, res.Header.Get("Location"))
		}
	}

	// The catalog shows every product with its refund class, clause,
	// prices, stock, SLA and driver; the order its lines, agreement and
	// payment.
	_, doc := htmlOf(t, client(account.RoleAdmin, i18n.ZH), "GET", "/console/catalog", nil, http.StatusOK)
	home := doc.all(func(n *node) bool { return n.attrs["data-product"] == "cs-gz-home" })
	if len(home) != 1 {
		t.Fatal("cs-gz-home not listed")
	}
	row := home[0].textContent()
	for _, want := range []string{"家宽线路", "第 3.2.1 条", "¥129.00", "库存: 20", "1 天", "人工交付", "在售"} {
		if !strings.Contains(row, want) {
			t.Errorf("catalog row %q lacks %q", row, want)
		}
	}
	_, doc = htmlOf(t, client(account.RoleFinance, i18n.EN), "GET", "/console/orders/"+o.ID, nil, http.StatusOK)
	if got := ccText(t, doc, "order-acceptance"); got != o.Agreement.AcceptanceID || o.Agreement.AcceptanceID == "" {
		t.Errorf("acceptance %q, want %q", got, o.Agreement.AcceptanceID)
	}
	if got := ccText(t, doc, "order-agreement-version"); got != o.Agreement.VersionID {
		t.Errorf("agreement version %q", got)
	}
	if got := ccText(t, doc, "order-lines"); !strings.Contains(got, "Standard (no-fault refund)") || !strings.Contains(got, "CN¥39.00") {
		t.Errorf("lines %q", got)
	}
	if n := len(mustID(t, doc, "order-payments").all(func(n *node) bool { return n.attrs["data-payment"] != "" })); n != 1 {
		t.Errorf("%d payments shown", n)
	}
	if got := ccText(t, doc, "order-timeline"); !strings.Contains(got, "Placed") || !strings.Contains(got, "Paid; the delivery deadline runs") {
		t.Errorf("timeline %q", got)
	}
	// Filters: by state and account; a bad one is a clear error, not a 500.
	_, doc = htmlOf(t, client(account.RoleSupport, i18n.ZH), "GET", "/console/orders?state=delivered&account="+cust.AccountID, nil, http.StatusOK)
	found := false
	for _, r := range doc.all(func(n *node) bool { return n.attrs["data-order"] != "" }) {
		found = found || r.attrs["data-order"] == o.ID
		if r.attrs["data-state"] != "delivered" || !strings.Contains(r.textContent(), cust.AccountID) {
			t.Errorf("filtered orders show %q", r.textContent())
		}
	}
	if !found {
		t.Error("the paid order is not among the customer's paid orders")
	}
	_, doc = htmlOf(t, client(account.RoleSupport, i18n.ZH), "GET", "/console/orders?state=refunded&account="+cust.AccountID, nil, http.StatusOK)
	if doc.byID("orders-empty") == nil {
		t.Error("no refunded order expected")
	}
	_, doc = htmlOf(t, client(account.RoleSupport, i18n.EN), "GET", "/console/orders?state=bogus&account=nope", nil, http.StatusUnprocessableEntity)
	if ccFieldError(doc, "state") == "" || ccFieldError(doc, "account") != "Not a valid account id." {
		t.Errorf("bad filters: %q, %q", ccFieldError(doc, "state"), ccFieldError(doc, "account"))
	}
	_, doc = htmlOf(t, client(account.RoleFinance, i18n.ZH), "GET", "/console/finance?account=nonsense:", nil, http.StatusUnprocessableEntity)
	if ccFieldError(doc, "account") == "" {
		t.Error("bad ledger account filter not explained")
	}
	htmlOf(t, client(account.RoleFinance, i18n.ZH), "GET", "/console/orders/0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69", nil, http.StatusNotFound)
	htmlOf(t, client(account.RoleFinance, i18n.ZH), "GET", "/console/finance/accounts/nope", nil, http.StatusNotFound)
	htmlOf(t, client(account.RoleAdmin, i18n.ZH), "GET", "/console/catalog/no-such-product", nil, http.StatusNotFound)
}

// ccProductForm is a valid traffic-billed cloud server with two plans.
func ccProductForm(id string) url.Values {
	return url.Values{
		"kind": {"cloud_server"}, "id": {id}, "name": {"测试云服务器"}, "name_en": {"Test server"}, "description": {"测试"},
		"server.cpu": {"2"}, "server.memory_mib": {"4096"}, "server.disk_gib": {"40"}, "server.region": {"cn-jx-nanchang"},
		"server.line": {"standard"}, "server.billing": {"traffic"}, "server.bandwidth_mbps": {"100"}, "server.quota_gib": {"500"},
		"server.direction": {"larger"}, "plan_rows": {"3"},
		"plans[0].id": {"p1"}, "plans[0].name": {"入门"}, "plans[0].stock": {"-1"}, "plans[0].price.month": {"39.90"}, "plans[0].price.year": {"399"},
		"plans[1].id": {"p2"}, "plans[1].name": {"进阶"}, "plans[1].stock": {"5"}, "plans[1].price.quarter": {"0.01"},
		"plans[2].stock":       {"-1"}, // the spare row, left blank
		"delivery_sla_minutes": {"30"}, "driver": {"sandbox"}, "sort_key": {"5"}, "active": {"yes"},
	}
}

// An admin creates a product through the form (a field error first, with
// everything typed kept), then edits it: prices are exact fen parsed from
// yuan, a plan is removed, stock and activity change.
func TestConsoleCommerceProductCreateAndEdit(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	c := e.console(t, ccDemoStaff(account.RoleAdmin), i18n.EN)

	_, doc := htmlOf(t, c, "GET", "/console/catalog/new", nil, http.StatusOK)
	if doc.byID("kind-form") == nil || doc.byID("product-form") != nil {
		t.Fatal("no kind chooser first")
	}
	for kind, spec := range map[string]string{"cloud_server": "f-server-cpu", "vpn": "f-vpn-scope", "cdn": "f-cdn-plan", "certificate": "f-cert-validation", "traffic_pack": "f-pack-gib"} {
		_, doc = htmlOf(t, c, "GET", "/console/catalog/new?kind="+kind, nil, http.StatusOK)
		if doc.byID(spec) == nil {
			t.Errorf("%s form has no #%s", kind, spec)
		}
		if kind == "certificate" {
			heads := strings.Join(strings.Fields(mustID(t, doc, "plans").tags("thead")[0].textContent()), " ")
			if !strings.Contains(heads, "One-off") || strings.Contains(heads, "Monthly") {
				t.Errorf("certificate price columns %q", heads)
			}
		}
	}

	// Field errors: not a number, an amount with three decimals, an
	// application rule (a quota on bandwidth billing). Nothing is saved,
	// everything typed comes back.
	bad := ccProductForm("test-server")
	bad.Set("server.cpu", "two")
	bad.Set("plans[0].price.month", "39.999")
	_, doc = htmlOf(t, c, "POST", "/console/catalog/new", bad, http.StatusUnprocessableEntity)
	if got := ccFieldError(doc, "server-cpu"); got != "Enter a whole number." {
		t.Errorf("cpu error %q", got)
	}
	if got := mustID(t, doc, "f-plan-0-price-month").parent.textContent(); !strings.Contains(got, "At most two decimals") {
		t.Errorf("price error %q", got)
	}
	if ccInputValue(t, doc, "f-plan-0-price-month") != "39.999" || ccInputValue(t, doc, "f-name") != "测试云服务器" || ccInputValue(t, doc, "f-server-cpu") != "two" {
		t.Error("typed values lost")
	}
	if doc.byID("form-error") == nil {
		t.Error("no page-level message")
	}
	bad = ccProductForm("test-server")
	bad.Set("server.billing", "bandwidth")
	bad.Set("server.bandwidth_mbps", "0")
	_, doc = htmlOf(t, c, "POST", "/console/catalog/new", bad, http.StatusUnprocessableEntity)
	if ccFieldError(doc, "server-quota") == "" || ccFieldError(doc, "server-bandwidth") == "" {
		t.Errorf("application rules not shown by field: quota %q, bandwidth %q", ccFieldError(doc, "server-quota"), ccFieldError(doc, "server-bandwidth"))
	}
	if _, err := e.s.App.Product(e.ctx, nil, "test-server"); err == nil {
		t.Fatal("an invalid product was saved")
	}

	res, _ := htmlOf(t, c, "POST", "/console/catalog/new", ccProductForm("test-server"), http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/console/catalog/test-server?done=product_saved" {
		t.Fatalf("after creating: %s", loc)
	}
	pv, err := e.s.App.Product(e.ctx, nil, "test-server")
	if err != nil {
		t.Fatal(err)
	}
	if len(pv.Plans) != 2 || pv.Plans[0].Prices[0].AmountFen != 3990 || pv.Plans[0].Prices[1].AmountFen != 39900 || pv.Plans[1].Prices[0].AmountFen != 1 ||
		pv.Plans[1].Stock != 5 || pv.Spec.Server.QuotaBytes != 500<<30 || pv.DeliverySLAMinutes != 30 || !pv.Active || pv.RefundClass != "standard" {
		t.Fatalf("saved %+v", pv)
	}
	// Creating the same id again is refused on the id field.
	_, doc = htmlOf(t, c, "POST", "/console/catalog/new", ccProductForm("test-server"), http.StatusUnprocessableEntity)
	if ccFieldError(doc, "id") == "" {
		t.Error("a taken id is not refused")
	}

	_, doc = htmlOf(t, c, "GET", "/console/catalog/test-server?done=product_saved", nil, http.StatusOK)
	if doc.byID("form-notice") == nil || ccInputValue(t, doc, "f-plan-0-price-month") != "39.90" || ccInputValue(t, doc, "f-server-quota") != "500" {
		t.Fatal("the edit form does not show the saved product")
	}
	if _, ro := mustID(t, doc, "f-id").attrs["readonly"]; !ro {
		t.Error("the id is editable")
	}
	edit := ccProductForm("ignored-id")
	edit.Set("plans[0].price.month", "45")
	edit.Set("plans[0].stock", "12")
	edit.Set("plans[1].remove", "yes")
	edit.Del("active")
	edit.Set("kind", "vpn") // the kind never changes: the stored one is used
	if res, _ := htmlOf(t, c, "POST", "/console/catalog/test-server", edit, http.StatusSeeOther); res.Header.Get("Location") != "/console/catalog/test-server?done=product_saved" {
		t.Fatalf("after editing: %s", res.Header.Get("Location"))
	}
	admin := e.principal(t, "admin@staff.demo.yuanxu.test", "yuanxu-demo-staff-admin", true)
	pv, err = e.s.App.Product(e.ctx, &admin, "test-server")
	if err != nil {
		t.Fatal(err)
	}
	if len(pv.Plans) != 1 || pv.Plans[0].Prices[0].AmountFen != 4500 || pv.Plans[0].Stock != 12 || pv.Active || pv.Kind != "cloud_server" {
		t.Fatalf("after editing %+v", pv)
	}
	_, doc = htmlOf(t, c, "GET", "/console/catalog", nil, http.StatusOK)
	row := doc.all(func(n *node) bool { return n.attrs["data-product"] == "test-server" })
	if len(row) != 1 || !strings.Contains(row[0].textContent(), "Off sale") || !strings.Contains(row[0].textContent(), "CN¥45.00") {
		t.Error("the catalog does not show the edit")
	}

	// A certificate: its own spec, one-off prices only.
	cert := url.Values{"kind": {"certificate"}, "id": {"cert-test"}, "name": {"测试证书"}, "cert.validation": {"ov"}, "cert.domains": {"3"},
		"plan_rows": {"1"}, "plans[0].id": {"c1"}, "plans[0].name": {"1 年"}, "plans[0].stock": {"-1"}, "plans[0].price.one_off": {"1999"},
		"plans[0].price.month": {"10"}, // not a column of this kind: ignored
		"delivery_sla_minutes": {"1440"}, "driver": {"acme"}, "active": {"yes"}}
	htmlOf(t, c, "POST", "/console/catalog/new", cert, http.StatusSeeOther)
	if pv, err := e.s.App.Product(e.ctx, nil, "cert-test"); err != nil || pv.RefundClass != "certificate" || pv.Spec.Cert.Domains != 3 ||
		len(pv.Plans[0].Prices) != 1 || pv.Plans[0].Prices[0].AmountFen != 199900 {
		t.Fatalf("certificate %+v, %v", pv, err)
	}
}

// An admin creates a percentage coupon (a missing amount refused first)
// and edits it.
func TestConsoleCommerceCoupons(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	c := e.console(t, ccDemoStaff(account.RoleAdmin), i18n.ZH)
	_, doc := htmlOf(t, c, "GET", "/console/coupons", nil, http.StatusOK)
	if len(doc.all(func(n *node) bool { return n.attrs["data-coupon"] != "" })) != 3 {
		t.Fatal("demo coupons not listed")
	}
	form := url.Values{"code": {"spring-25"}, "kind": {"fixed"}, "amount": {""}, "max_uses": {"10"}, "max_uses_per_customer": {"1"},
		"valid_from": {"2026-12-01T00:00"}, "valid_until": {"2026-11-01T00:00"}, "product": {"cs-nc-bw", "vpn-home"}, "active": {"yes"}}
	_, doc = htmlOf(t, c, "POST", "/console/coupons", form, http.StatusUnprocessableEntity)
	if got := ccFieldError(doc, "amount"); got != "此项必填。" {
		t.Errorf("amount error %q", got)
	}
	if ccInputValue(t, doc, "f-code") != "SPRING-25" || ccInputValue(t, doc, "f-valid-from") != "2026-12-01T00:00" {
		t.Error("typed values lost")
	}
	form.Set("amount", "25.5")
	_, doc = htmlOf(t, c, "POST", "/console/coupons", form, http.StatusUnprocessableEntity)
	if ccFieldError(doc, "valid-until") == "" {
		t.Errorf("an end before the start is not explained: %s", ccText(t, doc, "form-error"))
	}
	form.Set("valid_until", "2027-01-01T00:00")
	if res, _ := htmlOf(t, c, "POST", "/console/coupons", form, http.StatusSeeOther); res.Header.Get("Location") != "/console/coupons?done=coupon_saved" {
		t.Fatalf("after saving: %s", res.Header.Get("Location"))
	}
	cs, err := e.s.App.Coupons(e.ctx, e.principal(t, "admin@staff.demo.yuanxu.test", "yuanxu-demo-staff-admin", true))
	if err != nil {
		t.Fatal(err)
	}
	var got app.CouponView
	for _, cv := range cs {
		if cv.Code == "SPRING-25" {
			got = cv
		}
	}
	if got.AmountFen != 2550 || got.MaxUses != 10 || len(got.ProductIDs) != 2 || got.ValidFrom.IsZero() || !got.Active {
		t.Fatalf("saved %+v", got)
	}
	_, doc = htmlOf(t, c, "GET", "/console/coupons?code=SPRING-25", nil, http.StatusOK)
	if ccInputValue(t, doc, "f-amount") != "25.50" {
		t.Errorf("edit form amount %q", ccInputValue(t, doc, "f-amount"))
	}
	if mustID(t, doc, "coupon-form").all(func(n *node) bool { return n.attrs["name"] == "mode" && n.attrs["value"] == "edit" }) == nil {
		t.Error("the edit form does not say it edits")
	}
	// A new coupon may not take an existing code; the edit form may.
	edit := url.Values{"code": {"SPRING-25"}, "kind": {"percent"}, "percent": {"12.5"}, "max_uses": {"0"}, "max_uses_per_customer": {"0"}}
	_, doc = htmlOf(t, c, "POST", "/console/coupons", edit, http.StatusUnprocessableEntity)
	if ccFieldError(doc, "code") == "" {
		t.Error("a new coupon replaced an existing one")
	}
	edit.Set("mode", "edit")
	htmlOf(t, c, "POST", "/console/coupons", edit, http.StatusSeeOther)
	_, doc = htmlOf(t, c, "GET", "/console/coupons", nil, http.StatusOK)
	row := doc.all(func(n *node) bool { return n.attrs["data-coupon"] == "SPRING-25" })
	if len(row) != 1 || !strings.Contains(row[0].textContent(), "12.5%") || !strings.Contains(row[0].textContent(), "停用") {
		t.Errorf("edited coupon row %q", row[0].textContent())
	}
	htmlOf(t, c, "GET", "/console/coupons?code=NOPE", nil, http.StatusNotFound)
}

// ccWithdrawalRow returns the queue row of withdrawal id.
func ccWithdrawalRow(t *testing.T, doc *node, id string) *node {
	t.Helper()
	rows := doc.all(func(n *node) bool { return n.attrs["data-withdrawal"] == id })
	if len(rows) != 1 {
		t.Fatalf("withdrawal %s: %d rows", id, len(rows))
	}
	return rows[0]
}

// A customer's withdrawal above the dual-control limit is approved by one
// finance approver, refused to the same approver a second time, approved
// by a second one, its bank account unmasked for payment (audited), and
// marked paid with the transfer reference; a finance operator may pay but
// not approve. A small one needs one approval; a rejection needs a reason.
func TestConsoleCommerceWithdrawalDualControl(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	a := e.s.App
	cust := e.s.NewCustomer(t, account.KindIndividual)
	cp := e.principal(t, cust.Email, cust.Password, false)
	if _, err := a.SandboxTopUp(e.ctx, cp, 300000); err != nil {
		t.Fatal(err)
	}
	const dest = "招商银行 6225880123456789 张三"
	big, err := a.RequestWithdrawal(e.ctx, cp, app.WithdrawalRequest{AmountFen: 200000, Destination: dest})
	if err != nil || !big.NeedsSecond {
		t.Fatalf("withdrawal %+v, %v", big, err)
	}
	approverB := e.s.NewStaff(t, account.RoleFinanceApprover)
	first := e.console(t, ccDemoStaff(account.RoleFinanceApprover), i18n.ZH)
	second := e.console(t, approverB, i18n.EN)
	payer := e.console(t, ccDemoStaff(account.RoleFinance), i18n.ZH)
	path := "/console/finance/withdrawals/" + big.ID

	_, doc := htmlOf(t, first, "GET", "/console/finance/withdrawals", nil, http.StatusOK)
	row := ccWithdrawalRow(t, doc, big.ID)
	if row.attrs["data-state"] != "requested" || len(row.all(func(n *node) bool { return n.attrs["data-dual"] != "" })) != 1 ||
		!strings.Contains(row.textContent(), "招商银行 ****6789") || strings.Contains(row.textContent(), "6225880123456789") {
		t.Fatalf("queue row %q", row.textContent())
	}
	// The finance operator may not approve.
	htmlOf(t, payer, "POST", path, url.Values{"action": {"approve"}}, http.StatusForbidden)

	res, _ := htmlOf(t, first, "POST", path, url.Values{"action": {"approve"}, "view": {"open"}}, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/console/finance/withdrawals?done=withdrawal_approve&state=open" {
		t.Fatalf("after approving: %s", loc)
	}
	_, doc = htmlOf(t, first, "GET", "/console/finance/withdrawals?state=awaiting_second", nil, http.StatusOK)
	row = ccWithdrawalRow(t, doc, big.ID)
	if len(row.all(func(n *node) bool { return n.attrs["data-approve"] != "" })) != 0 || row.all(func(n *node) bool { return n.attrs["class"] == "hint waits-for-other" }) == nil {
		t.Error("the first approver is offered the second approval")
	}
	// The same approver again: refused with the reason, nothing changes.
	_, doc = htmlOf(t, first, "POST", path, url.Values{"action": {"approve"}, "view": {"awaiting_second"}}, http.StatusForbidden)
	if got := ccText(t, doc, "form-error"); !strings.Contains(got, "另一位审批人") {
		t.Errorf("same approver twice: %q", got)
	}
	ws, err := a.Withdrawals(e.ctx, cp, nil)
	if err != nil || ws[0].State != app.WithdrawalAwaitingSecond {
		t.Fatalf("after the refused approval: %+v, %v", ws, err)
	}
	// Not yet approved: not payable.
	_, doc = htmlOf(t, payer, "POST", path, url.Values{"action": {"paid"}, "transfer_ref": {"X"}}, http.StatusConflict)
	if doc.byID("form-error") == nil {
		t.Error("paying an unapproved withdrawal not explained")
	}
	htmlOf(t, second, "POST", path, url.Values{"action": {"approve"}}, http.StatusSeeOther)

	// Payment: unmask the account (audited), the reference is required.
	_, doc = htmlOf(t, payer, "POST", path, url.Values{"action": {"unmask"}, "view": {"approved"}}, http.StatusOK)
	row = ccWithdrawalRow(t, doc, big.ID)
	if um := row.all(func(n *node) bool { return n.attrs["data-unmasked"] != "" }); len(um) != 1 || um[0].textContent() != dest {
		t.Errorf("unmasked destination not shown: %q", row.textContent())
	}
	var audits int
	if err := a.DB().QueryRow(e.ctx, `SELECT COUNT(*) FROM audit_event WHERE action = 'pii.unmasked' AND subject_id = $1`, big.ID).Scan(&audits); err != nil || audits != 1 {
		t.Errorf("unmask audited %d times, %v", audits, err)
	}
	_, doc = htmlOf(t, payer, "POST", path, url.Values{"action": {"paid"}, "transfer_ref": {""}, "view": {"approved"}}, http.StatusUnprocessableEntity)
	if got := ccText(t, doc, "form-error"); got != "标记已付款需要填写转账流水号。" {
		t.Errorf("missing reference: %q", got)
	}
	htmlOf(t, payer, "POST", path, url.Values{"action": {"paid"}, "transfer_ref": {"CMB-20261126-01"}}, http.StatusSeeOther)
	_, doc = htmlOf(t, payer, "GET", "/console/finance/withdrawals?state=paid", nil, http.StatusOK)
	row = ccWithdrawalRow(t, doc, big.ID)
	if row.attrs["data-state"] != "paid" || !strings.Contains(row.textContent(), "CMB-20261126-01") {
		t.Errorf("paid row %q", row.textContent())
	}

	// A small one: one approval; a rejection needs a reason and returns
	// the cash.
	small, err := a.RequestWithdrawal(e.ctx, cp, app.WithdrawalRequest{AmountFen: 1000, Destination: dest})
	if err != nil || small.NeedsSecond {
		t.Fatalf("small %+v, %v", small, err)
	}
	_, doc = htmlOf(t, second, "POST", "/console/finance/withdrawals/"+small.ID, url.Values{"action": {"reject"}, "reason": {""}}, http.StatusUnprocessableEntity)
	if got := ccWithdrawalRow(t, doc, small.ID).textContent(); !strings.Contains(got, "A rejection needs a reason.") {
		t.Errorf("rejection without a reason: %q", got)
	}
	htmlOf(t, second, "POST", "/console/finance/withdrawals/"+small.ID, url.Values{"action": {"reject"}, "reason": {"户名不符"}}, http.StatusSeeOther)
	w, err := a.Wallet(e.ctx, cp, "", "", 5)
	if err != nil || w.Balance.CashFen != 100000 {
		t.Fatalf("cash after paying ¥2,000 and a rejected ¥10: %+v, %v", w.Balance, err)
	}
	htmlOf(t, second, "POST", "/console/finance/withdrawals/0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69", url.Values{"action": {"approve"}}, http.StatusNotFound)
	htmlOf(t, second, "POST", path, url.Values{"action": {"launder"}}, http.StatusUnprocessableEntity)
}

// A fapiao request for a paid order is issued with its number (a missing
// number refused first).
func TestConsoleCommerceInvoiceIssued(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	cp, o := e.paidOrder(t)
	inv, err := e.s.App.RequestInvoice(e.ctx, cp, app.InvoiceRequest{OrderID: o.ID, Type: app.InvoiceNormal, Title: "张三", Email: "zhangsan@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	c := e.console(t, ccDemoStaff(account.RoleFinance), i18n.EN)
	_, doc := htmlOf(t, c, "GET", "/console/finance/invoices", nil, http.StatusOK)
	rows := doc.all(func(n *node) bool { return n.attrs["data-invoice"] == inv.ID })
	if len(rows) != 1 || !strings.Contains(rows[0].textContent(), "CN¥39.00") {
		t.Fatal("the request is not in the queue")
	}
	path := "/console/finance/invoices/" + inv.ID
	_, doc = htmlOf(t, c, "POST", path, url.Values{"action": {"issued"}, "invoice_no": {" "}}, http.StatusUnprocessableEntity)
	if got := ccText(t, doc, "form-error"); got != "Enter the fapiao number." {
		t.Errorf("missing number: %q", got)
	}
	res, _ := htmlOf(t, c, "POST", path, url.Values{"action": {"issued"}, "invoice_no": {"24362000000012345678"}, "view": {"requested"}}, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/console/finance/invoices?done=invoice_issued&state=requested" {
		t.Fatalf("after issuing: %s", loc)
	}
	_, doc = htmlOf(t, c, "GET", "/console/finance/invoices?state=issued", nil, http.StatusOK)
	rows = doc.all(func(n *node) bool { return n.attrs["data-invoice"] == inv.ID })
	if len(rows) != 1 || rows[0].attrs["data-state"] != "issued" || !strings.Contains(rows[0].textContent(), "24362000000012345678") {
		t.Fatal("not shown as issued")
	}
	// Handled already: a clear conflict, not a 500.
	_, doc = htmlOf(t, c, "POST", path, url.Values{"action": {"rejected"}, "note": {"dup"}}, http.StatusConflict)
	if doc.byID("form-error") == nil {
		t.Error("a second decision is not explained")
	}
}

// A manual adjustment needs the password typed again: a wrong one records
// nothing and keeps what was typed; the right one posts the adjustment,
// audited, and it shows in the wallet and the ledger.
func TestConsoleCommerceAdjustmentNeedsReauthentication(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	cust := e.s.NewCustomer(t, account.KindIndividual)
	c := e.console(t, ccDemoStaff(account.RoleFinanceApprover), i18n.ZH)
	form := url.Values{"account_id": {cust.ID}, "kind": {"cash"}, "amount": {"12.34"}, "memo": {"工单 T-1042 补偿"}, "password": {"not my password"}}
	_, doc := htmlOf(t, c, "POST", "/console/finance/adjust", form, http.StatusUnauthorized)
	if got := ccText(t, doc, "form-error"); got != "密码不正确，调整未记录。" || ccFieldError(doc, "password") == "" {
		t.Errorf("wrong password: %q", got)
	}
	if ccInputValue(t, doc, "f-amount") != "12.34" || mustID(t, doc, "f-memo").textContent() != "工单 T-1042 补偿" || ccInputValue(t, doc, "f-password") != "" {
		t.Error("typed values lost, or the password echoed")
	}
	// Bad input is refused before the password is even checked.
	bad := url.Values{"account_id": {cust.ID}, "kind": {"cash"}, "amount": {"1,000"}, "memo": {""}, "password": {"yuanxu-demo-staff-finance_approver"}}
	_, doc = htmlOf(t, c, "POST", "/console/finance/adjust", bad, http.StatusUnprocessableEntity)
	if ccFieldError(doc, "amount") == "" || ccFieldError(doc, "memo") == "" {
		t.Error("bad amount or missing reason not explained")
	}
	// A debit below zero is refused by the ledger.
	over := url.Values{"account_id": {cust.ID}, "kind": {"cash"}, "amount": {"-1"}, "memo": {"x"}, "password": {"yuanxu-demo-staff-finance_approver"}}
	_, doc = htmlOf(t, c, "POST", "/console/finance/adjust", over, http.StatusConflict)
	if got := ccText(t, doc, "form-error"); !strings.Contains(got, "余额不足") {
		t.Errorf("overdraft: %q", got)
	}
	txns, err := store.LedgerTxns(e.ctx, e.s.App.DB(), store.LedgerFilter{CustomerID: cust.ID})
	if err != nil || len(txns) != 0 {
		t.Fatalf("refused adjustments posted %d transactions (%v)", len(txns), err)
	}

	form.Set("password", "yuanxu-demo-staff-finance_approver")
	res, _ := htmlOf(t, c, "POST", "/console/finance/adjust", form, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/console/finance/accounts/"+cust.ID+"?done=adjusted" {
		t.Fatalf("after adjusting: %s", loc)
	}
	_, doc = htmlOf(t, c, "GET", "/console/finance/accounts/"+cust.ID+"?done=adjusted", nil, http.StatusOK)
	cash := doc.all(func(n *node) bool { return n.attrs["data-kind"] == "cash" })
	if len(cash) != 1 || !strings.Contains(cash[0].textContent(), "¥12.34") || doc.byID("form-notice") == nil {
		t.Errorf("wallet after the adjustment: %q", ccText(t, doc, "wallet-balances"))
	}
	_, doc = htmlOf(t, c, "GET", "/console/finance?customer="+cust.ID, nil, http.StatusOK)
	txrows := doc.all(func(n *node) bool { return n.attrs["data-txn"] != "" })
	if len(txrows) != 1 || !strings.Contains(txrows[0].textContent(), "人工调整") || !strings.Contains(txrows[0].textContent(), "工单 T-1042 补偿") ||
		len(txrows[0].all(func(n *node) bool { return n.attrs["data-account"] == "cash:"+cust.ID })) != 1 ||
		len(txrows[0].all(func(n *node) bool { return n.attrs["data-account"] == "adjustments" })) != 1 {
		t.Fatalf("ledger rows %d: %q", len(txrows), ccText(t, doc, "ledger"))
	}
	var audits int
	if err := e.s.App.DB().QueryRow(e.ctx, `SELECT COUNT(*) FROM audit_event WHERE action = 'ledger.adjusted' AND subject_id = $1`, cust.ID).Scan(&audits); err != nil || audits != 1 {
		t.Errorf("adjustment audited %d times, %v", audits, err)
	}
	// Company balances list the adjustments account.
	_, doc = htmlOf(t, c, "GET", "/console/finance", nil, http.StatusOK)
	if rows := doc.all(func(n *node) bool { return n.attrs["data-account"] == "adjustments" }); len(rows) == 0 {
		t.Error("no adjustments balance")
	}
}
