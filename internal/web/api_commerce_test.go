package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/web"
	"yuanxu/internal/webtest"
)

// The commerce API end to end (issue 9): the public catalog, checkout with
// an Idempotency-Key, the blockers of checkout with their clauses, payment
// by balance and the balance history, concurrent spending, withdrawals and
// their dual control, fapiao requests, and what a client may not set.
// Every test runs its own sandbox server with the demo seed (demo catalog,
// ¥1,000 for the demo individual) and checks the ledger's invariants at the
// end.

// demoStaff is the demo login of a staff role (app.SeedDemo).
func demoStaff(r account.Role) (login, password string) {
	return string(r) + "@staff.demo.yuanxu.test", "yuanxu-demo-staff-" + string(r)
}

// newCommerceServer is a sandbox server with the demo seed whose ledger
// must hold when the test ends.
func newCommerceServer(t *testing.T) *webtest.Server {
	t.Helper()
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true, TrustedProxies: loopback})
	if _, err := s.App.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r, err := s.App.LedgerVerify(context.Background())
		if err != nil {
			t.Errorf("ledger verify: %v", err)
			return
		}
		if !r.OK() {
			t.Errorf("ledger invariants broken: %+v", r)
		}
	})
	return s
}

// signIn signs in through the API (the console's sign-in for staff) from
// a client address of its own, in l.
func signIn(t *testing.T, s *webtest.Server, l lang, login, password string, staff bool) *webtest.Client {
	t.Helper()
	c := client(s, l)
	webtest.Decode[map[string]any](t, c.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": login, "password": password, "staff": staff}), http.StatusOK)
	return c
}

func staffClient(t *testing.T, s *webtest.Server, r account.Role) *webtest.Client {
	t.Helper()
	login, password := demoStaff(r)
	return signIn(t, s, langs[1], login, password, true)
}

var kycSeq atomic.Int64

// verifiedCustomer registers an individual, signs it in and verifies it
// through the API (the sandbox verifier approves a well-formed identity).
func verifiedCustomer(t *testing.T, s *webtest.Server, l lang) (*webtest.Client, webtest.Customer) {
	t.Helper()
	cust := s.NewCustomerIn(t, account.KindIndividual, l.pick("zh-CN", "en"))
	c := signIn(t, s, l, cust.Email, cust.Password, false)
	n := kycSeq.Add(1)
	v := webtest.Decode[struct {
		State string `json:"state"`
	}](t, c.Do(t, "POST", "/api/v1/me/kyc/individual", map[string]any{"name": "张三",
		"id_number": app.DemoResidentID(fmt.Sprintf("1980%02d%02d", 1+n/28%12, 1+n%28), int(n)), "phone": cust.Phone}), http.StatusOK)
	if v.State != "approved" {
		t.Fatalf("kyc state %q after a sandbox submission", v.State)
	}
	return c, cust
}

// topUp credits fen of cash through the sandbox top-up route.
func topUp(t *testing.T, c *webtest.Client, fen int64) app.BalanceView {
	t.Helper()
	return webtest.Decode[app.BalanceView](t, c.Do(t, "POST", "/api/v1/sandbox/topup", map[string]any{"amount_fen": fen}), http.StatusOK)
}

func ack() map[string]any {
	return map[string]any{"version_id": "", "acknowledged": app.DefaultKeyClauses()}
}

// orderReq is a checkout body of one line.
func orderReq(product, plan, cycle string, qty int64) map[string]any {
	return map[string]any{"lines": []map[string]any{{"product_id": product, "plan_id": plan, "cycle": cycle, "quantity": qty}}, "agreement": ack()}
}

func checkout(t *testing.T, c *webtest.Client, body any, headers ...string) app.OrderView {
	t.Helper()
	return webtest.Decode[app.OrderView](t, c.Do(t, "POST", "/api/v1/orders", body, headers...), http.StatusCreated)
}

func pay(t *testing.T, c *webtest.Client, orderID string) app.OrderView {
	t.Helper()
	return webtest.Decode[app.OrderView](t, c.Do(t, "POST", "/api/v1/orders/"+orderID+"/pay", map[string]any{"method": "balance"}), http.StatusOK)
}

func walletOf(t *testing.T, c *webtest.Client) web.WalletBody {
	t.Helper()
	return webtest.Decode[web.WalletBody](t, c.Do(t, "GET", "/api/v1/wallet", nil), http.StatusOK)
}

type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// tenYuan is a ¥10 monthly server, created through the staff catalog API.
func tenYuan(id string) app.ProductView {
	return app.ProductView{ID: id, Name: "¥10 server", NameEn: "¥10 server", Kind: "cloud_server", Active: true, Region: "cn-jx-nanchang",
		DeliverySLAMinutes: 10, Driver: "sandbox", RefundClass: "standard", RefundClause: "3.1",
		Spec: app.ProductSpec{Server: &app.ServerSpec{CPU: 1, MemoryMiB: 512, DiskGiB: 10, Region: "cn-jx-nanchang", Line: "standard",
			Billing: "bandwidth", BandwidthMbps: 1}},
		Plans: []app.PlanView{{ID: "t1", Name: "tiny", Prices: []app.PriceView{{Cycle: "month", AmountFen: 1000}}, Stock: -1}}}
}

func putProduct(t *testing.T, admin *webtest.Client, p app.ProductView) app.ProductView {
	t.Helper()
	return webtest.Decode[app.ProductView](t, admin.Do(t, "PUT", "/api/v1/staff/catalog/"+p.ID, p), http.StatusOK)
}

// rawResult is one response of a request sent from a goroutine.
type rawResult struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// rawDo sends a request with the session cookie of c; safe from any
// goroutine (it fails nothing itself).
func rawDo(s *webtest.Server, c *webtest.Client, method, path string, body []byte, headers ...string) rawResult {
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		return rawResult{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", "yuanxu_session="+c.Cookie("yuanxu_session"))
	req.Header.Set("X-Forwarded-For", c.Header.Get("X-Forwarded-For"))
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.Client.Do(req)
	if err != nil {
		return rawResult{err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return rawResult{status: res.StatusCode, header: res.Header, body: b, err: err}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCommerceCatalogIsPublic(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	anon := client(s, langs[1])
	cat := webtest.Decode[page[app.ProductView]](t, anon.Do(t, "GET", "/api/v1/catalog", nil), http.StatusOK)
	byID := map[string]app.ProductView{}
	for _, p := range cat.Items {
		byID[p.ID] = p
	}
	bw, ok := byID["cs-nc-bw"]
	if !ok || len(cat.Items) < 10 {
		t.Fatalf("catalog: %d products, cs-nc-bw %v", len(cat.Items), ok)
	}
	if bw.RefundClass != "standard" || bw.RefundClause == "" || bw.Plans[0].Prices[0].AmountFen != 3900 || bw.Plans[0].Prices[0].Amount != "39.00" {
		t.Errorf("cs-nc-bw = %+v", bw)
	}
	if h := byID["cs-gz-home"]; h.RefundClass != "home_broadband" {
		t.Errorf("home broadband refund class %q", h.RefundClass)
	}
	one := webtest.Decode[app.ProductView](t, anon.Do(t, "GET", "/api/v1/catalog/cert-dv", nil), http.StatusOK)
	if one.RefundClass != "certificate" || one.Kind != "certificate" {
		t.Errorf("cert-dv = %+v", one)
	}
	wantProblem(t, anon.Do(t, "GET", "/api/v1/catalog/no-such-product", nil), http.StatusNotFound, "product.not_found", "", "")

	// An inactive product: hidden from the public, visible to catalog.manage.
	admin := staffClient(t, s, account.RoleAdmin)
	hidden := tenYuan("hidden-one")
	hidden.Active = false
	putProduct(t, admin, hidden)
	wantProblem(t, anon.Do(t, "GET", "/api/v1/catalog/hidden-one", nil), http.StatusNotFound, "product.not_found", "", "")
	webtest.Decode[app.ProductView](t, admin.Do(t, "GET", "/api/v1/catalog/hidden-one", nil), http.StatusOK)
	webtest.Decode[app.ProductView](t, admin.Do(t, "GET", "/api/v1/staff/catalog/hidden-one", nil), http.StatusOK)
	all := webtest.Decode[page[app.ProductView]](t, admin.Do(t, "GET", "/api/v1/staff/catalog", nil), http.StatusOK)
	if len(all.Items) != len(cat.Items)+1 {
		t.Errorf("staff catalog: %d products, public %d", len(all.Items), len(cat.Items))
	}
	for _, p := range webtest.Decode[page[app.ProductView]](t, anon.Do(t, "GET", "/api/v1/catalog", nil), http.StatusOK).Items {
		if p.ID == "hidden-one" {
			t.Error("an inactive product is in the public catalog")
		}
	}
	// Not for other staff, nor customers.
	support := staffClient(t, s, account.RoleSupport)
	wantProblem(t, support.Do(t, "PUT", "/api/v1/staff/catalog/hidden-one", hidden), http.StatusForbidden, "authz.permission_denied", "", "")
	cust, _ := verifiedCustomer(t, s, langs[1])
	wantProblem(t, cust.Do(t, "GET", "/api/v1/staff/catalog", nil), http.StatusForbidden, "authz.staff_only", "", "")
}

// The sandbox top-up exists only in sandbox mode: elsewhere the route is
// not there at all.
func TestCommerceSandboxTopUpOnlyInSandbox(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, nil)
	wantProblem(t, s.Do(t, "POST", "/api/v1/sandbox/topup", map[string]any{"amount_fen": 100}), http.StatusNotFound, "route.not_found", "", "")
	webtest.Decode[page[app.ProductView]](t, s.Do(t, "GET", "/api/v1/catalog", nil), http.StatusOK)
}

func TestCommerceCheckoutIdempotencyKey(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[1])
	body := mustJSON(t, orderReq("cs-nc-bw", "s1", "month", 1))

	first := c.Do(t, "POST", "/api/v1/orders", body, "Idempotency-Key", "order-1")
	o1 := webtest.Decode[app.OrderView](t, first, http.StatusCreated)
	if first.Header.Get("Idempotent-Replayed") != "" || o1.State != "created" || o1.TotalFen != 3900 || o1.DueFen != 3900 {
		t.Fatalf("first: %s %+v", first.Header.Get("Idempotent-Replayed"), o1)
	}
	again := c.Do(t, "POST", "/api/v1/orders", body, "Idempotency-Key", "order-1")
	o2 := webtest.Decode[app.OrderView](t, again, http.StatusCreated)
	if again.Header.Get("Idempotent-Replayed") != "true" || o2.ID != o1.ID || o2.TotalFen != o1.TotalFen {
		t.Fatalf("replay: header %q, %s vs %s", again.Header.Get("Idempotent-Replayed"), o2.ID, o1.ID)
	}
	// The same key with another body.
	other := mustJSON(t, orderReq("cs-nc-bw", "s1", "month", 2))
	wantProblem(t, c.Do(t, "POST", "/api/v1/orders", other, "Idempotency-Key", "order-1"), http.StatusUnprocessableEntity,
		"idempotency.body_mismatch", "", "header.Idempotency-Key")
	// A key that is no key.
	wantProblem(t, c.Do(t, "POST", "/api/v1/orders", body, "Idempotency-Key", strings.Repeat("k", 256)), http.StatusUnprocessableEntity, "request.invalid", "",
		"header.Idempotency-Key")

	// Concurrent duplicates: one order; the others replay it or are told
	// the first is in flight.
	const n = 12
	results := make([]rawResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = rawDo(s, c, "POST", "/api/v1/orders", body, "Idempotency-Key", "order-2")
		}()
	}
	wg.Wait()
	ids := map[string]bool{}
	fresh := 0
	for _, r := range results {
		switch {
		case r.err != nil:
			t.Fatal(r.err)
		case r.status == http.StatusCreated:
			var v app.OrderView
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Fatal(err)
			}
			ids[v.ID] = true
			if r.header.Get("Idempotent-Replayed") != "true" {
				fresh++
			}
		case r.status == http.StatusConflict && strings.Contains(string(r.body), `"idempotency.in_flight"`):
		default:
			t.Errorf("concurrent duplicate: %d %s", r.status, r.body)
		}
	}
	if len(ids) != 1 || fresh != 1 {
		t.Errorf("concurrent duplicates made orders %v, %d fresh answers", ids, fresh)
	}
	list := webtest.Decode[page[app.OrderView]](t, c.Do(t, "GET", "/api/v1/orders", nil), http.StatusOK)
	if len(list.Items) != 2 {
		t.Errorf("orders after two keys: %d", len(list.Items))
	}
	// Keys are per account: another customer's same key is its own.
	c2, _ := verifiedCustomer(t, s, langs[1])
	res := c2.Do(t, "POST", "/api/v1/orders", body, "Idempotency-Key", "order-1")
	if o := webtest.Decode[app.OrderView](t, res, http.StatusCreated); o.ID == o1.ID || res.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("another account's key replayed %s", o.ID)
	}
}

func TestCommerceCheckoutBlockersNameTheirClauses(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[1])

	// No key clause acknowledged: 422 naming the clauses missing.
	noAck := orderReq("cs-nc-bw", "s1", "month", 1)
	noAck["agreement"] = map[string]any{"version_id": "", "acknowledged": []string{}}
	p := wantProblem(t, c.Do(t, "POST", "/api/v1/orders", noAck), http.StatusUnprocessableEntity, "agreement.key_clause_not_acknowledged", "", "")
	if len(p.Errors) != 1 || p.Errors[0].Params["clause"] == nil || p.Errors[0].Params["missing"] == nil {
		t.Errorf("no clause named: %+v", p.Errors)
	}
	// Cross-border VPN: no licence covers it.
	p = wantProblem(t, c.Do(t, "POST", "/api/v1/orders", orderReq("vpn-cross-border", "x10", "month", 1)), http.StatusUnprocessableEntity,
		"order.licence_not_covered", "", "body.lines[0].product_id")
	if p.Errors[0].Params["clause"] == nil {
		t.Errorf("licence blocker without its clause: %+v", p.Errors)
	}
	// An unverified customer: 403 kyc.required (clause 2.1).
	cust := s.NewCustomer(t, account.KindIndividual)
	unverified := signIn(t, s, langs[1], cust.Email, cust.Password, false)
	p = wantProblem(t, unverified.Do(t, "POST", "/api/v1/orders", orderReq("cs-nc-bw", "s1", "month", 1)), http.StatusForbidden, "kyc.required", "", "kyc")
	if p.Errors[0].Params["clause"] != "2.1" {
		t.Errorf("kyc blocker clause %v", p.Errors[0].Params["clause"])
	}
	// Several at once: every one reported.
	p = wantProblem(t, unverified.Do(t, "POST", "/api/v1/orders", orderReq("vpn-cross-border", "x10", "month", 1)), http.StatusUnprocessableEntity,
		"order.checkout_blocked", "", "kyc")
	if len(p.Errors) != 2 {
		t.Errorf("blockers: %+v", p.Errors)
	}
	// Bad lines: unknown product, cycle not sold, quantity out of range.
	wantProblem(t, c.Do(t, "POST", "/api/v1/orders", orderReq("nope", "s1", "month", 1)), http.StatusUnprocessableEntity, "order.invalid", "",
		"body.lines[0].product_id")
	wantProblem(t, c.Do(t, "POST", "/api/v1/orders", orderReq("cert-dv", "dv1", "month", 1)), http.StatusUnprocessableEntity, "order.invalid", "",
		"body.lines[0].cycle")
	wantProblem(t, c.Do(t, "POST", "/api/v1/orders", orderReq("cs-nc-bw", "s1", "month", 0)), http.StatusUnprocessableEntity, "request.invalid", "", "")
	wantProblem(t, c.Do(t, "POST", "/api/v1/orders", map[string]any{"coupon_code": "EXPIRED5", "agreement": ack(),
		"lines": orderReq("cs-nc-bw", "s1", "month", 1)["lines"]}), http.StatusUnprocessableEntity, "coupon.expired", "", "")
	// Nothing was ordered.
	if list := webtest.Decode[page[app.OrderView]](t, c.Do(t, "GET", "/api/v1/orders", nil), http.StatusOK); len(list.Items) != 0 {
		t.Errorf("refused checkouts left %d orders", len(list.Items))
	}
}

// A client never sets a price, a total, a state or a balance: such fields
// are unknown to the request types and refused; read-only fields of the
// staff bodies are ignored.
func TestCommerceClientCannotSetPricesTotalsOrState(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[1])
	topUp(t, c, 10000)

	line := map[string]any{"product_id": "cs-nc-bw", "plan_id": "s1", "cycle": "month", "quantity": 1, "unit_price_fen": 1}
	for name, body := range map[string]map[string]any{
		"unit price": {"lines": []any{line}, "agreement": ack()},
		"total":      {"lines": orderReq("cs-nc-bw", "s1", "month", 1)["lines"], "agreement": ack(), "total_fen": 1},
		"state":      {"lines": orderReq("cs-nc-bw", "s1", "month", 1)["lines"], "agreement": ack(), "state": "paid"},
		"discount":   {"lines": orderReq("cs-nc-bw", "s1", "month", 1)["lines"], "agreement": ack(), "discount_fen": 3899},
	} {
		t.Run(name, func(t *testing.T) {
			p := wantProblem(t, c.Do(t, "POST", "/api/v1/orders", body), http.StatusBadRequest, "request.unknown_field", "", "")
			if len(p.Errors) == 0 || p.Errors[0].Rule != "unknown_field" {
				t.Errorf("errors %+v", p.Errors)
			}
		})
	}
	if list := webtest.Decode[page[app.OrderView]](t, c.Do(t, "GET", "/api/v1/orders", nil), http.StatusOK); len(list.Items) != 0 {
		t.Fatalf("a refused body placed an order")
	}
	o := checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1))
	if o.Lines[0].UnitPriceFen != 3900 || o.TotalFen != 3900 {
		t.Fatalf("priced %+v", o)
	}
	wantProblem(t, c.Do(t, "POST", "/api/v1/orders/"+o.ID+"/pay", map[string]any{"method": "balance", "amount_fen": 1}), http.StatusBadRequest,
		"request.unknown_field", "", "")
	wantProblem(t, c.Do(t, "POST", "/api/v1/sandbox/topup", map[string]any{"amount_fen": 1, "cash_fen": 100000000}), http.StatusBadRequest,
		"request.unknown_field", "", "")
	if w := walletOf(t, c); w.Balance.CashFen != 10000 {
		t.Fatalf("cash %d after refused requests", w.Balance.CashFen)
	}

	// Staff bodies: the refund class and clause are derived, a coupon's
	// uses are counted; sent values are ignored.
	admin := staffClient(t, s, account.RoleAdmin)
	p := tenYuan("derived-class")
	p.RefundClass, p.RefundClause = "certificate", "9.9"
	p.Plans[0].Prices[0].Amount = "0.01"
	got := putProduct(t, admin, p)
	if got.RefundClass != "standard" || got.RefundClause == "9.9" || got.Plans[0].Prices[0].Amount != "10.00" {
		t.Errorf("stored %+v", got)
	}
	cp := webtest.Decode[app.CouponView](t, admin.Do(t, "PUT", "/api/v1/staff/coupons/MATRIX5", map[string]any{"code": "MATRIX5", "kind": "fixed",
		"amount_fen": 500, "first_purchase_only": false, "max_uses": 0, "max_uses_per_customer": 0, "active": true, "uses": 999}), http.StatusOK)
	if cp.Uses != 0 {
		t.Errorf("coupon uses %d", cp.Uses)
	}
	wantProblem(t, admin.Do(t, "PUT", "/api/v1/staff/coupons/OTHER", cp), http.StatusUnprocessableEntity, "coupon.invalid", "", "body.code")
	wantProblem(t, admin.Do(t, "PUT", "/api/v1/staff/catalog/another-id", p), http.StatusUnprocessableEntity, "catalog.product_invalid", "", "body.id")
}

// An amount beyond what the system handles is a 422, never a 500.
func TestCommerceOverflowingAmountsAre422(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[1])
	admin := staffClient(t, s, account.RoleAdmin)
	finA := staffClient(t, s, account.RoleFinanceApprover)
	huge := tenYuan("huge")
	huge.Plans[0].Prices[0].AmountFen = 1_000_000_000_000 // catalog.MaxPriceFen
	putProduct(t, admin, huge)
	for name, req := range map[string]struct {
		c          *webtest.Client
		method     string
		path, body string
	}{
		"quantity over 1000":       {c, "POST", "/api/v1/orders", `{"lines":[{"product_id":"huge","plan_id":"t1","cycle":"month","quantity":1001}],"agreement":{"version_id":"","acknowledged":[]}}`},
		"quantity beyond int64":    {c, "POST", "/api/v1/orders", `{"lines":[{"product_id":"huge","plan_id":"t1","cycle":"month","quantity":100000000000000000000000}],"agreement":{"version_id":"","acknowledged":[]}}`},
		"cart quantity":            {c, "POST", "/api/v1/cart", `{"product_id":"huge","plan_id":"t1","cycle":"month","quantity":9223372036854775808}`},
		"top-up beyond int64":      {c, "POST", "/api/v1/sandbox/topup", `{"amount_fen":100000000000000000000}`},
		"top-up over the limit":    {c, "POST", "/api/v1/sandbox/topup", `{"amount_fen":10000001}`},
		"withdrawal beyond int64":  {c, "POST", "/api/v1/withdrawals", `{"amount_fen":9223372036854775808,"destination":"招商银行 6225880123456789 张三"}`},
		"split beyond int64":       {c, "POST", "/api/v1/orders/x/pay", `{"method":"split","balance_fen":1e30,"gateway":"alipay"}`},
		"adjustment beyond int64":  {finA, "POST", "/api/v1/staff/ledger/adjustments", `{"account_id":"x","kind":"cash","amount_fen":-9223372036854775809,"memo":"m"}`},
		"price beyond the catalog": {admin, "PUT", "/api/v1/staff/catalog/huge2", strings.Replace(string(mustJSON(t, tenYuan("huge2"))), `"amount_fen":1000`, `"amount_fen":1000000000001`, 1)},
	} {
		t.Run(name, func(t *testing.T) {
			res := req.c.Do(t, req.method, req.path, req.body)
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%d, want 422: %s", res.Status, res.Body)
			}
			res.Problem(t)
		})
	}
	// The largest order: 1000 of the dearest price is above what one order
	// may carry (the ledger's movement limit): refused at checkout, with
	// the limit, and nothing is created.
	res := c.Do(t, "POST", "/api/v1/orders", orderReq("huge", "t1", "month", 1000))
	if res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("checking out ¥10bn: %d %s", res.Status, res.Body)
	}
	if p := res.Problem(t); p.Code != "order.amount_overflow" || len(p.Errors) != 1 || p.Errors[0].Field != "body.lines" || p.Errors[0].Rule != "max_total" {
		t.Fatalf("problem = %+v", p)
	}
	// The dearest single line is fine to check out.
	if o := checkout(t, c, orderReq("huge", "t1", "month", 1)); o.TotalFen != 1_000_000_000_000 {
		t.Fatalf("total %d", o.TotalFen)
	}
}

func TestCommercePayByBalanceAndHistory(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[0])
	if b := topUp(t, c, 10000); b.CashFen != 10000 || b.WithdrawableFen != 10000 {
		t.Fatalf("after top-up %+v", b)
	}
	o := checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1))
	paid := pay(t, c, o.ID)
	if paid.State != "delivered" || paid.DueFen != 0 || paid.PaidFen != 3900 || len(paid.Payments) != 1 || paid.Payments[0].FromCashFen != 3900 ||
		paid.DeliverBy.IsZero() || !strings.HasSuffix(paid.PaidAt.Format("-07:00"), "+08:00") {
		t.Fatalf("paid %+v", paid)
	}
	// Paying twice moves nothing.
	wantProblem(t, c.Do(t, "POST", "/api/v1/orders/"+o.ID+"/pay", map[string]any{"method": "balance"}), http.StatusConflict, "order.not_payable", "", "")
	w := walletOf(t, c)
	if w.Balance.CashFen != 6100 || len(w.History) != 2 {
		t.Fatalf("wallet %+v", w)
	}
	spend := w.History[0]
	if spend.Reason != "spend" || spend.Links["order"] != o.ID || spend.Changes["cash"] != -3900 || spend.Postings != nil {
		t.Errorf("history[0] = %+v", spend)
	}
	if w.History[1].Reason != "top_up" || w.History[1].Changes["cash"] != 10000 {
		t.Errorf("history[1] = %+v", w.History[1])
	}
	// Paging the history.
	p1 := webtest.Decode[web.WalletBody](t, c.Do(t, "GET", "/api/v1/wallet?limit=1", nil), http.StatusOK)
	if len(p1.History) != 1 || p1.NextCursor == "" {
		t.Fatalf("page 1: %+v", p1)
	}
	p2 := webtest.Decode[web.WalletBody](t, c.Do(t, "GET", "/api/v1/wallet?limit=1&cursor="+p1.NextCursor, nil), http.StatusOK)
	if len(p2.History) != 1 || p2.History[0].ID != w.History[1].ID {
		t.Errorf("page 2: %+v", p2)
	}
	wantProblem(t, c.Do(t, "GET", "/api/v1/wallet?cursor=bm9wZQ", nil), http.StatusBadRequest, "request.invalid_cursor", "", "query.cursor")

	// The order, its payment; a fapiao for it; finance issues it.
	got := webtest.Decode[app.OrderView](t, c.Do(t, "GET", "/api/v1/orders/"+o.ID, nil), http.StatusOK)
	if got.State != "delivered" || len(got.Payments) != 1 {
		t.Errorf("order %+v", got)
	}
	inv := webtest.Decode[app.InvoiceView](t, c.Do(t, "POST", "/api/v1/invoices", map[string]any{"order_id": o.ID, "type": "normal",
		"title": "张三", "email": "zhangsan@example.com"}), http.StatusCreated)
	if inv.State != "requested" || inv.AmountFen != 3900 {
		t.Fatalf("invoice %+v", inv)
	}
	wantProblem(t, c.Do(t, "POST", "/api/v1/invoices", map[string]any{"order_id": o.ID, "type": "normal", "title": "张三",
		"email": "zhangsan@example.com"}), http.StatusConflict, "invoice.duplicate", "", "")
	unpaid := checkout(t, c, orderReq("cs-nc-bw", "s1", "month", 1))
	wantProblem(t, c.Do(t, "POST", "/api/v1/invoices", map[string]any{"order_id": unpaid.ID, "type": "normal", "title": "张三",
		"email": "zhangsan@example.com"}), http.StatusConflict, "invoice.order_not_paid", "", "")
	fin := staffClient(t, s, account.RoleFinance)
	queue := webtest.Decode[page[app.InvoiceView]](t, fin.Do(t, "GET", "/api/v1/staff/invoices?state=requested", nil), http.StatusOK)
	if len(queue.Items) != 1 || queue.Items[0].ID != inv.ID {
		t.Fatalf("invoice queue %+v", queue)
	}
	if res := fin.Do(t, "POST", "/api/v1/staff/invoices/"+inv.ID+"/decision", map[string]any{"action": "issued", "invoice_no": "24362000000012345678"}); res.Status != http.StatusNoContent {
		t.Fatalf("issue: %d %s", res.Status, res.Body)
	}
	wantProblem(t, fin.Do(t, "POST", "/api/v1/staff/invoices/"+inv.ID+"/decision", map[string]any{"action": "issued", "invoice_no": "1"}),
		http.StatusConflict, "invoice.not_requested", "", "")
	mine := webtest.Decode[page[app.InvoiceView]](t, c.Do(t, "GET", "/api/v1/invoices", nil), http.StatusOK)
	if len(mine.Items) != 1 || mine.Items[0].State != "issued" || mine.Items[0].InvoiceNo != "24362000000012345678" {
		t.Errorf("my invoices %+v", mine)
	}
	// Cancel the unpaid one; staff see both, by account and state.
	if v := webtest.Decode[app.OrderView](t, c.Do(t, "POST", "/api/v1/orders/"+unpaid.ID+"/cancel", nil), http.StatusOK); v.State != "cancelled" {
		t.Errorf("cancelled %+v", v)
	}
	wantProblem(t, c.Do(t, "POST", "/api/v1/orders/"+o.ID+"/cancel", nil), http.StatusConflict, "order.bad_transition", "", "")
	support := staffClient(t, s, account.RoleSupport)
	so := webtest.Decode[page[app.OrderView]](t, support.Do(t, "GET", "/api/v1/staff/orders?account_id="+o.AccountID+"&state=delivered", nil), http.StatusOK)
	if len(so.Items) != 1 || so.Items[0].ID != o.ID {
		t.Errorf("staff orders %+v", so)
	}
	webtest.Decode[app.OrderView](t, support.Do(t, "GET", "/api/v1/staff/orders/"+o.ID, nil), http.StatusOK)
	sw := webtest.Decode[web.WalletBody](t, support.Do(t, "GET", "/api/v1/staff/accounts/"+o.AccountID+"/wallet", nil), http.StatusOK)
	if sw.Balance.CashFen != 6100 || len(sw.History) != 2 || len(sw.History[0].Postings) == 0 {
		t.Errorf("staff wallet %+v", sw)
	}
	// Staff have no cart, orders or wallet of their own on the customer routes.
	wantProblem(t, support.Do(t, "GET", "/api/v1/orders", nil), http.StatusForbidden, "authz.permission_denied", "", "")
	wantProblem(t, support.Do(t, "GET", "/api/v1/orders/"+o.ID, nil), http.StatusNotFound, "order.not_found", "", "")
	wantProblem(t, support.Do(t, "GET", "/api/v1/wallet", nil), http.StatusForbidden, "authz.permission_denied", "", "")
	// Another customer sees none of it.
	other, _ := verifiedCustomer(t, s, langs[1])
	wantProblem(t, other.Do(t, "GET", "/api/v1/orders/"+o.ID, nil), http.StatusNotFound, "order.not_found", "", "")
	wantProblem(t, other.Do(t, "POST", "/api/v1/orders/"+unpaid.ID+"/pay", map[string]any{"method": "balance"}), http.StatusNotFound, "order.not_found", "", "")
	wantProblem(t, other.Do(t, "POST", "/api/v1/invoices", map[string]any{"order_id": o.ID, "type": "normal", "title": "x",
		"email": "x@example.com"}), http.StatusNotFound, "order.not_found", "", "body.order_id")
}

func TestCommerceCart(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c, _ := verifiedCustomer(t, s, langs[1])
	cart := webtest.Decode[app.CartView](t, c.Do(t, "POST", "/api/v1/cart", map[string]any{"product_id": "cs-nc-bw", "plan_id": "s2",
		"cycle": "month", "quantity": 2}), http.StatusOK)
	cart = webtest.Decode[app.CartView](t, c.Do(t, "POST", "/api/v1/cart", map[string]any{"product_id": "cert-dv", "plan_id": "dv1",
		"cycle": "one_off", "quantity": 1}), http.StatusOK)
	if len(cart.Items) != 2 || cart.TotalFen != 2*7900+9900 || !cart.Items[0].Available {
		t.Fatalf("cart %+v", cart)
	}
	wantProblem(t, c.Do(t, "POST", "/api/v1/cart", map[string]any{"product_id": "cert-dv", "plan_id": "dv1", "cycle": "month", "quantity": 1}),
		http.StatusUnprocessableEntity, "order.invalid", "", "body.cycle")
	other, _ := verifiedCustomer(t, s, langs[1])
	wantProblem(t, other.Do(t, "DELETE", "/api/v1/cart/"+cart.Items[0].ID, nil), http.StatusNotFound, "cart_item.not_found", "", "")
	cart = webtest.Decode[app.CartView](t, c.Do(t, "DELETE", "/api/v1/cart/"+cart.Items[1].ID, nil), http.StatusOK)
	if len(cart.Items) != 1 {
		t.Fatalf("after remove %+v", cart)
	}
	req := orderReq("cs-nc-bw", "s2", "month", 2)
	req["from_cart"] = true
	if o := checkout(t, c, req); o.TotalFen != 15800 {
		t.Errorf("order %+v", o)
	}
	if cart = webtest.Decode[app.CartView](t, c.Do(t, "GET", "/api/v1/cart", nil), http.StatusOK); len(cart.Items) != 0 {
		t.Errorf("cart after checkout from it %+v", cart)
	}
	webtest.Decode[app.CartView](t, c.Do(t, "POST", "/api/v1/cart", map[string]any{"product_id": "cert-dv", "plan_id": "dv1", "cycle": "one_off", "quantity": 1}), http.StatusOK)
	if cart = webtest.Decode[app.CartView](t, c.Do(t, "DELETE", "/api/v1/cart", nil), http.StatusOK); len(cart.Items) != 0 {
		t.Errorf("emptied cart %+v", cart)
	}
}

// 20 concurrent checkouts and payments of a ¥10 product against ¥100:
// exactly 10 succeed, the balance ends at zero, never below.
func TestCommerceConcurrentCheckoutsNeverOverdraw(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	admin := staffClient(t, s, account.RoleAdmin)
	putProduct(t, admin, tenYuan("ten-yuan"))
	c, _ := verifiedCustomer(t, s, langs[1])
	topUp(t, c, 10000)

	body := mustJSON(t, orderReq("ten-yuan", "t1", "month", 1))
	payBody := []byte(`{"method":"balance"}`)
	var paid, refused atomic.Int64
	var wg sync.WaitGroup
	errc := make(chan string, 40)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rawDo(s, c, "POST", "/api/v1/orders", body)
			if r.err != nil || r.status != http.StatusCreated {
				errc <- fmt.Sprintf("checkout: %v %d %s", r.err, r.status, r.body)
				return
			}
			var o app.OrderView
			if err := json.Unmarshal(r.body, &o); err != nil {
				errc <- err.Error()
				return
			}
			r = rawDo(s, c, "POST", "/api/v1/orders/"+o.ID+"/pay", payBody)
			switch {
			case r.err != nil:
				errc <- r.err.Error()
			case r.status == http.StatusOK:
				paid.Add(1)
			case r.status == http.StatusConflict && strings.Contains(string(r.body), `"wallet.insufficient_balance"`):
				refused.Add(1)
			default:
				errc <- fmt.Sprintf("pay: %d %s", r.status, r.body)
			}
		}()
	}
	wg.Wait()
	close(errc)
	for e := range errc {
		t.Error(e)
	}
	if paid.Load() != 10 || refused.Load() != 10 {
		t.Fatalf("paid %d, refused %d; want 10 and 10", paid.Load(), refused.Load())
	}
	w := walletOf(t, c)
	if w.Balance.CashFen != 0 || w.Balance.SpendableFen != 0 {
		t.Errorf("balance after %+v", w.Balance)
	}
	var spent int64
	for _, e := range w.History {
		if e.Reason == "spend" {
			spent -= e.Changes["cash"]
		}
	}
	if spent != 10000 {
		t.Errorf("history spends %d fen", spent)
	}
	list := webtest.Decode[page[app.OrderView]](t, c.Do(t, "GET", "/api/v1/orders?state=delivered&limit=100", nil), http.StatusOK)
	if len(list.Items) != 10 {
		t.Errorf("paid orders %d", len(list.Items))
	}
}
