package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/kyc"
	"yuanxu/internal/money"
	"yuanxu/internal/pii"
	"yuanxu/internal/webtest"
)

// The commerce rows of the authorisation matrix (section "Commerce" of
// testdata/authz_matrix.txt). Their {id}s name real objects made up front
// through the app, as the ticket and KYC rows do: every customer column
// has its own order, cart item, withdrawal and paid order per row that
// reads or changes one (the apikey column: the individual's, apart from
// the individual column's), and "other" names the stranger's. Staff
// columns act on customers' objects: for the decision rows one object per
// staff column and variant (own: the demo individual's; other: the
// stranger's), so that the parallel rows cannot change each other's
// answers. The demo enterprise's real-name verification is approved and
// the reseller verified and topped up here, so that every customer kind
// can order; bodies are valid, so the answers are about who asks.

func init() {
	// Emptying the cart would race the cart-item rows: it runs after them.
	destructive = append(destructive, "DELETE /api/v1/cart")
}

// Products of the commerce rows.
const (
	matrixActiveProduct = "cs-nc-bw"       // on sale (demo catalog)
	matrixHiddenProduct = "matrix-hidden"  // inactive: only catalog.manage sees it
	matrixPutProduct    = "matrix-put-own" // the staff PUT row's own product
)

// matrixCommerce holds the objects of the commerce rows.
type matrixCommerce struct {
	// own: customer column → object key → id; keys: read, pay, cancel
	// (orders), paid (a paid order without an invoice), cart, withdrawal.
	own map[string]map[string]string
	// other: the stranger's objects, same keys.
	other map[string]string
	// staff: staff column → "wd-own", "wd-other", "inv-own", "inv-other".
	staff map[string]map[string]string
	// readWD: withdrawals whose destination the staff rows read, by variant.
	readWD map[string]string
	// readOrder: the orders staff read, by variant.
	readOrder map[string]string
	indivID   string
}

// matrixShop makes commerce objects through the app.
type matrixShop struct {
	t   *testing.T
	env *matrixEnv
}

func (m matrixShop) ctx(ip string) context.Context { return webtest.ActorCtx(ip) }

func (m matrixShop) order(p account.Principal, ip string, paid bool) string {
	m.t.Helper()
	a := m.env.s.App
	v, _, err := a.Checkout(m.ctx(ip), p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: matrixActiveProduct, PlanID: "s1", Cycle: "month",
		Quantity: 1}}, Agreement: app.AgreementAck{Acknowledged: app.DefaultKeyClauses()}}, app.Idem{})
	if err != nil {
		m.t.Fatalf("matrix order of %s: %v", p.AccountID, err)
	}
	if paid {
		if _, err := a.PayOrder(m.ctx(ip), p, v.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
			m.t.Fatalf("matrix payment of %s: %v", p.AccountID, err)
		}
	}
	return v.ID
}

func (m matrixShop) invoice(p account.Principal, ip string) string {
	m.t.Helper()
	oid := m.order(p, ip, true)
	v, err := m.env.s.App.RequestInvoice(m.ctx(ip), p, app.InvoiceRequest{OrderID: oid, Type: app.InvoiceNormal, Title: "矩阵测试", Email: "matrix@example.com"})
	if err != nil {
		m.t.Fatalf("matrix invoice: %v", err)
	}
	return v.ID
}

func (m matrixShop) withdrawal(p account.Principal, ip string) string {
	m.t.Helper()
	v, err := m.env.s.App.RequestWithdrawal(m.ctx(ip), p, app.WithdrawalRequest{AmountFen: 100, Destination: "招商银行 6225880123456789 矩阵"})
	if err != nil {
		m.t.Fatalf("matrix withdrawal of %s: %v", p.AccountID, err)
	}
	return v.ID
}

func (m matrixShop) cartItem(p account.Principal) string {
	m.t.Helper()
	v, err := m.env.s.App.CartAdd(context.Background(), p, app.LineRequest{ProductID: matrixActiveProduct, PlanID: "s2", Cycle: "month", Quantity: 1})
	if err != nil {
		m.t.Fatalf("matrix cart of %s: %v", p.AccountID, err)
	}
	return v.Items[len(v.Items)-1].ID
}

func (m matrixShop) topUp(p account.Principal) {
	m.t.Helper()
	if _, err := m.env.s.App.SandboxTopUp(context.Background(), p, money.Fen(1_000_000)); err != nil {
		m.t.Fatalf("matrix top-up of %s: %v", p.AccountID, err)
	}
}

// approveKYC approves accountID's current submission unless it is
// approved already.
func (m matrixShop) approveKYC(accountID string) {
	m.t.Helper()
	a := m.env.s.App
	v, err := a.KYCStatus(context.Background(), m.env.compliance, accountID)
	if err != nil {
		m.t.Fatal(err)
	}
	if v.State == kyc.StateApproved {
		return
	}
	if v.Current == nil {
		m.t.Fatalf("kyc of %s: %s without a submission", accountID, v.State)
	}
	if _, err := a.KYCDecide(context.Background(), m.env.compliance, v.Current.ID, app.KYCDecision{Decision: "approve"}); err != nil {
		m.t.Fatalf("approve kyc of %s: %v", accountID, err)
	}
}

// setupCommerce makes the commerce rows' objects; newMatrixEnv calls it
// last (the KYC rows' submissions are recorded by then).
func (env *matrixEnv) setupCommerce(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	s := env.s
	m := matrixShop{t: t, env: env}
	mc := &matrixCommerce{own: map[string]map[string]string{}, other: map[string]string{}, staff: map[string]map[string]string{},
		readWD: map[string]string{}, readOrder: map[string]string{}}
	env.commerce = mc
	principal := func(cookie string) account.Principal {
		p, _, err := s.App.Authenticate(ctx, cookie)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	indiv, entr, resel := env.byName["indiv"], env.byName["entr"], env.byName["resel"]
	mc.indivID = indiv.id
	indivP := principal(indiv.cookie)

	// Every customer kind may order: verify the enterprise and the
	// reseller; give everyone money.
	m.approveKYC(entr.id)
	reselP := principal(resel.cookie)
	if _, err := s.App.KYCSubmit(webtest.ActorCtx(resel.ip), reselP, resel.id, app.KYCSubmitInput{Subject: kyc.SubjectIndividual, Name: "赵六",
		IDNumber: pii.Secret(app.DemoResidentID("19820202", 404)), Phone: "13800000004"}); err != nil {
		t.Fatalf("reseller kyc: %v", err)
	}
	m.approveKYC(resel.id)
	st := env.stranger
	stP := principal(s.SessionFor(t, st.Email, st.Password, false, st.RegistrationIP))
	m.approveKYC(st.ID)
	for _, p := range []account.Principal{indivP, principal(entr.cookie), reselP, stP} {
		m.topUp(p)
	}

	// The products of the catalog rows.
	admin := principal(env.byName["admin"].cookie)
	for id, active := range map[string]bool{matrixHiddenProduct: false, matrixPutProduct: true} {
		if _, err := s.App.ProductSave(ctx, admin, matrixProduct(id, active)); err != nil {
			t.Fatalf("matrix product %s: %v", id, err)
		}
	}

	// Customers' own objects.
	for _, a := range env.actors {
		if !a.kind.Customer() {
			continue
		}
		p := indivP
		if !a.key {
			p = principal(a.cookie)
		}
		owner := p // withdrawals: a sub-user's are its enterprise's
		if a.kind == account.KindSubUser {
			owner = principal(entr.cookie)
		}
		mc.own[a.name] = map[string]string{
			"read": m.order(p, a.ip, false), "pay": m.order(p, a.ip, false), "cancel": m.order(p, a.ip, false),
			"paid": m.order(owner, a.ip, true), "cart": m.cartItem(p), "withdrawal": m.withdrawal(owner, a.ip),
		}
	}
	// The stranger's.
	for _, k := range []string{"read", "pay", "cancel"} {
		mc.other[k] = m.order(stP, st.RegistrationIP, false)
	}
	mc.other["cart"], mc.other["withdrawal"] = m.cartItem(stP), m.withdrawal(stP, st.RegistrationIP)
	// What staff read, and decide on (one per staff column and variant).
	mc.readOrder["own"], mc.readOrder["other"] = m.order(indivP, indiv.ip, true), m.order(stP, st.RegistrationIP, true)
	mc.readWD["own"], mc.readWD["other"] = m.withdrawal(indivP, indiv.ip), m.withdrawal(stP, st.RegistrationIP)
	for _, a := range env.actors {
		if a.kind != account.KindStaff {
			continue
		}
		mc.staff[a.name] = map[string]string{
			"wd-own": m.withdrawal(indivP, indiv.ip), "wd-other": m.withdrawal(stP, st.RegistrationIP),
			"inv-own": m.invoice(indivP, indiv.ip), "inv-other": m.invoice(stP, st.RegistrationIP),
		}
	}
}

// matrixProduct is a small valid product.
func matrixProduct(id string, active bool) app.ProductView {
	p := tenYuan(id)
	p.Active = active
	return p
}

// commercePath is the path a commerce row sends for a, or false for the
// rows whose {id} is the default (an account id).
func (env *matrixEnv) commercePath(p probe, a *actor) (string, bool) {
	mc := env.commerce
	if mc == nil {
		return "", false
	}
	_, path, _ := strings.Cut(p.route, " ")
	customer := a.kind.Customer()
	own := func(key string) string {
		if customer {
			return mc.own[a.name][key]
		}
		return mc.own["indiv"][key] // staff and anonymous: a customer's
	}
	pick := func(ownID, otherID string) string {
		if p.variant == "other" {
			return otherID
		}
		return ownID
	}
	var id string
	switch path {
	case "/api/v1/catalog/{id}", "/api/v1/staff/catalog/{id}":
		id = pick(matrixActiveProduct, matrixHiddenProduct)
	case "/api/v1/orders/{id}":
		id = pick(own("read"), mc.other["read"])
	case "/api/v1/orders/{id}/pay":
		id = pick(own("pay"), mc.other["pay"])
	case "/api/v1/orders/{id}/cancel":
		id = pick(own("cancel"), mc.other["cancel"])
	case "/api/v1/cart/{id}":
		id = pick(own("cart"), mc.other["cart"])
	case "/api/v1/withdrawals/{id}/cancel":
		id = pick(own("withdrawal"), mc.other["withdrawal"])
	case "/api/v1/staff/orders/{id}":
		id = mc.readOrder[p.variant]
	case "/api/v1/staff/withdrawals/{id}/destination":
		id = mc.readWD[p.variant]
	case "/api/v1/staff/withdrawals/{id}/decision":
		id = mc.other["withdrawal"]
		if ids := mc.staff[a.name]; ids != nil {
			id = ids["wd-"+p.variant]
		}
	case "/api/v1/staff/invoices/{id}/decision":
		id = noSuchID
		if ids := mc.staff[a.name]; ids != nil {
			id = ids["inv-"+p.variant]
		}
	// Pages: the product and order reads name the same objects as the
	// API's; the page rows that change an order or a withdrawal keep the
	// account-id placeholders (404 to everyone who may reach the form),
	// so that they cannot race the API rows that change those objects.
	case "/products/{id}", "/console/catalog/{id}":
		id = pick(matrixActiveProduct, matrixHiddenProduct)
	case "/orders/{id}", "/orders/{id}/receipt":
		id = pick(own("read"), mc.other["read"])
	case "/console/orders/{id}":
		id = mc.readOrder[p.variant]
	// Services: the reads name the service of a paid order (own: the
	// column's; other: the stranger's); the rows that change a service
	// keep the placeholders (404), as the order-changing page rows do.
	case "/api/v1/services/{id}", "/services/{id}", "/api/v1/staff/services/{id}", "/console/services/{id}",
		"/api/v1/services/{id}/usage", "/services/{id}/usage", "/api/v1/staff/services/{id}/usage", "/console/services/{id}/usage",
		"/api/v1/services/{id}/delivery", "/api/v1/services/{id}/credentials":
		if !strings.HasPrefix(p.route, "GET ") {
			return "", false
		}
		id = pick(env.serviceOf(own("paid")), env.serviceOf(mc.readOrder["other"]))
	case "/api/v1/staff/nodes/{id}/revoke", "/console/nodes/{id}/revoke":
		// Never an account id: POST /api/v1/staff/nodes/{id}/token creates
		// the node it names, which would race these rows.
		id = "matrix-no-such-node"
	case "/api/v1/staff/coupons/{code}":
		return strings.ReplaceAll(p.path, "{code}", matrixCoupon(a)), true
	default:
		return "", false
	}
	if p.route == "PUT /api/v1/staff/catalog/{id}" || p.route == "POST /console/catalog/{id}" {
		id = pick(matrixPutProduct, matrixHiddenProduct)
	}
	return strings.ReplaceAll(p.path, "{id}", url.PathEscape(id)), true
}

// matrixCoupon is the coupon the PUT coupon row writes for a.
func matrixCoupon(a *actor) string { return "MATRIX-" + strings.ToUpper(a.name) }

// commerceBody is the request body of a commerce row for a, or false.
func (env *matrixEnv) commerceBody(p probe, a *actor) (contentType, body string, ok bool) {
	mc := env.commerce
	if mc == nil {
		return "", "", false
	}
	js := func(v any) (string, string, bool) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return "application/json", string(b), true
	}
	switch p.route {
	case "POST /api/v1/staff/services/{id}/fulfil":
		return js(map[string]any{"addresses": []string{"203.0.113.1"}, "credentials": []any{}, "notes": "matrix"})
	case "POST /api/v1/staff/services/{id}/cert-states":
		return js(map[string]any{"state": "validating", "note": "matrix"})
	case "POST /api/v1/staff/nodes":
		return js(map[string]any{"id": "matrix-" + strings.ToLower(a.name), "kind": "server", "name": "matrix", "region": "test"})
	case "POST /api/v1/services/{id}/delivery-problem":
		return js(map[string]any{"problem": "other", "detail": "matrix"})
	case "POST /api/v1/orders":
		return js(orderReq(matrixActiveProduct, "s1", "month", 1))
	case "POST /api/v1/cart":
		return js(map[string]any{"product_id": matrixActiveProduct, "plan_id": "s1", "cycle": "month", "quantity": 1})
	case "POST /api/v1/orders/{id}/pay":
		return js(map[string]any{"method": "balance"})
	case "POST /api/v1/sandbox/topup":
		return js(map[string]any{"amount_fen": 100})
	case "POST /api/v1/withdrawals":
		return js(map[string]any{"amount_fen": 100, "destination": "招商银行 6225880123456789 矩阵"})
	case "POST /api/v1/invoices":
		oid := noSuchID
		if ids := mc.own[a.name]; ids != nil {
			oid = ids["paid"]
		}
		return js(map[string]any{"order_id": oid, "type": "normal", "title": "矩阵测试", "email": "matrix@example.com"})
	case "PUT /api/v1/staff/catalog/{id}":
		if p.variant == "other" {
			return js(matrixProduct(matrixHiddenProduct, false))
		}
		return js(matrixProduct(matrixPutProduct, true))
	case "PUT /api/v1/staff/coupons/{code}":
		return js(map[string]any{"code": matrixCoupon(a), "kind": "fixed", "amount_fen": 100, "first_purchase_only": false, "max_uses": 0,
			"max_uses_per_customer": 0, "active": false})
	case "POST /api/v1/staff/ledger/adjustments":
		return js(map[string]any{"account_id": mc.indivID, "kind": "cash", "amount_fen": 1, "memo": fmt.Sprintf("matrix %s", a.name)})
	case "POST /api/v1/staff/withdrawals/{id}/decision":
		return js(map[string]any{"action": "approve"})
	case "POST /api/v1/staff/invoices/{id}/decision":
		return js(map[string]any{"action": "issued", "invoice_no": "MATRIX-" + a.name})
	}
	return "", "", false
}

// serviceOf is the first service a paid order created.
func (env *matrixEnv) serviceOf(orderID string) string {
	var id string
	if err := env.s.App.DB().QueryRow(context.Background(), `SELECT id FROM service WHERE order_id = $1 ORDER BY id LIMIT 1`, orderID).Scan(&id); err != nil {
		return noSuchID
	}
	return id
}
