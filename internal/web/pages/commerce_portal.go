package pages

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
	"yuanxu/internal/money"
	"yuanxu/internal/policy"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The customer portal's commerce pages (issue 9): the catalogue with each
// product's refund class and the clause that makes it so, shown before
// checkout (commerce_portal_catalog.go); the cart and checkout with the
// key clauses of the agreement in force ticked one by one and an
// Idempotency-Key per rendered form (commerce_portal_cart.go); orders,
// payment by balance or split, cancellation, the printable receipt and
// fapiao requests (commerce_portal_orders.go); the wallet, withdrawals and
// the sandbox top-up (commerce_portal_wallet.go).
//
// Every page is for customers (staff get the 403 page). Money is shown
// with money.Fen.Format and read with money.ParseYuan, never a float. A
// refused form is shown again with what was typed and the error in the
// user's language, each blocker with its clause; only a missing object
// (404), a refusal of the page itself (403) and internal failures leave
// the form.

// Commerce page templates.
const (
	tmplShopProducts = "portal_commerce_products"
	tmplShopProduct  = "portal_commerce_product"
	tmplShopCart     = "portal_commerce_cart"
	tmplShopOrders   = "portal_commerce_orders"
	tmplShopOrder    = "portal_commerce_order"
	tmplShopReceipt  = "portal_commerce_receipt"
	tmplShopWallet   = "portal_commerce_wallet"
)

func init() {
	for _, name := range []string{tmplShopProducts, tmplShopProduct, tmplShopCart, tmplShopOrders, tmplShopOrder, tmplShopReceipt, tmplShopWallet} {
		pageFiles[name] = [2]string{"layout_portal.html", name + ".html"}
	}
	for _, n := range []string{"cart_added", "cart_removed", "order_placed", "order_paid", "order_cancelled", "split_started",
		"invoice_requested", "withdrawal_requested", "withdrawal_cancelled", "topped_up"} {
		notices[n] = "page.shop.notice." + n
	}
}

// registerCommercePortal adds the portal's commerce pages (issue 9):
// catalog, cart, checkout, orders and receipts, wallet, withdrawals,
// fapiao requests.
func (h *handlers) registerCommercePortal(handle func(string, http.HandlerFunc), cust func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /products", cust(h.shopProducts))
	handle("GET /products/{id}", cust(h.shopProduct))
	handle("GET /cart", cust(h.shopCart))
	handle("POST /cart", cust(h.shopCartAdd))
	handle("POST /cart/{item}/remove", cust(h.shopCartRemove))
	handle("POST /checkout", cust(h.shopCheckout))
	handle("GET /orders", cust(h.shopOrders))
	handle("GET /orders/{id}", cust(h.shopOrder))
	handle("POST /orders/{id}/pay", cust(h.shopPay))
	handle("POST /orders/{id}/cancel", cust(h.shopCancel))
	handle("GET /orders/{id}/receipt", cust(h.shopReceipt))
	handle("POST /orders/{id}/invoice", cust(h.shopInvoice))
	handle("GET /wallet", cust(h.shopWallet))
	handle("POST /wallet/withdrawals", cust(h.shopWithdraw))
	handle("POST /wallet/withdrawals/{id}/cancel", cust(h.shopWithdrawCancel))
	handle("POST /wallet/sandbox-top-up", cust(h.shopTopUp))
}

// ShopRefund is a refund class as shown before checkout and on orders:
// its short label and the sentence that states the rule with its clause.
type ShopRefund struct {
	Class, Label, Text, Clause string
}

// ShopOption is one choice of a select.
type ShopOption struct {
	Value, Label string
	Selected     bool
}

// ShopForm is Form plus where a commerce page shows it: FormID names the
// form the error belongs to ("" at the top of the page), KYCNeeded adds
// the link to real-name verification.
type ShopForm struct {
	Form
	FormID    string
	KYCNeeded bool
}

// shopYuan formats fen for lang ("¥1,234.00", "CN¥1,234.00").
func shopYuan(lang i18n.Lang, fen int64) string { return money.Fen(fen).Format(string(lang)) }

// shopT translates key, or returns fallback when the catalog has no such key
// (a value added to an enum before its message): never a failed render.
func shopT(lang i18n.Lang, key, fallback string) string {
	if !i18n.Has(key) {
		return fallback
	}
	return i18n.T(lang, key, nil)
}

// shopRefundTerms are the numbers of the standard refund rule (clause 3.1)
// and the unpaid expiry in one agreement version's policy.
type shopRefundTerms struct {
	hours, traffic, anchorKey string
	unpaid                    time.Duration
	appliesClause             string // the clause of refund.applies_to
}

// shopTerms reads the refund terms of versionID's policy; a version whose
// policy cannot be read gives zero terms (the pages then cite the clause
// without numbers).
func (h *handlers) shopTerms(ctx context.Context, versionID string) shopRefundTerms {
	var set *policy.Set
	var err error
	if versionID == "" {
		set, _, err = h.policyInForce(ctx)
	} else {
		set, err = h.app.Policy().Source.SetForVersion(ctx, versionID)
	}
	if err != nil || set == nil {
		return shopRefundTerms{}
	}
	return shopRefundTerms{hours: hours(set.Duration(policy.RefundWindow)), traffic: byteSize(set.Int64(policy.RefundTrafficThresholdBytes)),
		anchorKey: "page.home.anchor." + set.String(policy.RefundWindowAnchor), unpaid: set.Duration(policy.OrderUnpaidExpiry),
		appliesClause: clauses(string(policy.RefundAppliesTo))}
}

// shopRefundView is the refund class and clause of a product or order line.
func shopRefundView(lang i18n.Lang, class, clause string, rt shopRefundTerms) ShopRefund {
	v := ShopRefund{Class: class, Clause: clause, Label: shopT(lang, "page.shop.refund_class."+class, class)}
	params := map[string]any{"clause": clause, "hours": rt.hours, "traffic": rt.traffic, "anchor": shopT(lang, rt.anchorKey, "")}
	key := "page.shop.refund." + class
	if !i18n.Has(key) || class == "standard" && rt.hours == "" {
		key = "page.shop.refund.other"
	}
	v.Text = i18n.T(lang, key, params)
	return v
}

// shopSLA states a delivery SLA in the largest whole unit.
func shopSLA(lang i18n.Lang, minutes int64) string {
	switch {
	case minutes <= 0:
		return ""
	case minutes == 60*24:
		return i18n.T(lang, "page.shop.sla.day", nil)
	case minutes%(60*24) == 0:
		return i18n.T(lang, "page.shop.sla.days", map[string]any{"n": minutes / (60 * 24)})
	case minutes == 60:
		return i18n.T(lang, "page.shop.sla.hour", nil)
	case minutes%60 == 0:
		return i18n.T(lang, "page.shop.sla.hours", map[string]any{"n": minutes / 60})
	}
	return i18n.T(lang, "page.shop.sla.minutes", map[string]any{"n": minutes})
}

// shopLeft is the time left until t, in hours and minutes ("" once past).
func shopLeft(lang i18n.Lang, now, t time.Time) string {
	d := t.Sub(now)
	if d <= 0 {
		return ""
	}
	m := int64((d + time.Minute - 1) / time.Minute)
	return i18n.T(lang, "page.shop.left", map[string]any{"hours": m / 60, "minutes": m % 60})
}

// shopTime formats an instant with its zone, in Asia/Shanghai.
func shopTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(clock.Shanghai).Format("2006-01-02 15:04:05")
}

// shopError turns err into a commerce form's error: the problem's message
// (the form's own for the code when it has one) and one line per blocker
// (with its clause) or offending field, and whether real-name verification
// blocks. ok is false when err is no form error (not found, a refusal of
// the page, internal): the caller then answers with actionError.
func (h *handlers) shopError(lang i18n.Lang, err error, formID string) (f ShopForm, status int, ok bool) {
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind == errs.Internal || e.Kind == errs.Unauthenticated {
		return f, 0, false
	}
	blockers := false
	for _, fe := range e.Fields {
		blockers = blockers || i18n.Has("page.shop.blocker."+fe.Rule)
		f.KYCNeeded = f.KYCNeeded || fe.Rule == shopKYCCode
	}
	code := e.Code
	f.KYCNeeded = f.KYCNeeded || code == shopKYCCode
	switch {
	case e.Kind == errs.NotFound && !strings.HasPrefix(code, "coupon."):
		return f, 0, false
	case e.Kind == errs.Forbidden && !blockers && !f.KYCNeeded:
		return f, 0, false
	}
	params := map[string]any{"request_id": ""}
	if len(e.Fields) > 0 {
		maps.Copy(params, e.Fields[0].Params)
	}
	maps.Copy(params, e.Params)
	for k, v := range params {
		if t, isTime := v.(time.Time); isTime {
			params[k] = shortTime(t)
		}
	}
	key := "page.shop.error." + code
	switch {
	case i18n.Has("page.shop.error." + formID + "." + code):
		key = "page.shop.error." + formID + "." + code
	case blockers:
		key = "page.shop.error.blocked"
	case !i18n.Has(key) && i18n.Has("error."+code):
		key = "error." + code
	case !i18n.Has(key):
		key = "error." + e.Kind.String()
	}
	f.Error = i18n.T(lang, key, params)
	// A message of its own says what is wrong with a single field; the
	// generic ones ("not valid:") list every field.
	specific := strings.HasPrefix(key, "page.shop.error.") && !blockers && !shopListsFields[code]
	if !(specific && len(e.Fields) == 1) {
		for _, fe := range e.Fields {
			f.FieldErrors = append(f.FieldErrors, shopFieldLine(lang, fe))
		}
	}
	return f, statusOf(e.Kind), true
}

// shopListsFields are the codes whose message introduces a list of the
// offending fields.
var shopListsFields = map[string]bool{"order.invalid": true, "order.payment_invalid": true, "withdrawal.invalid": true, "invoice.invalid": true}

// shopKYCCode is the blocker that links to /account/kyc.
const shopKYCCode = "kyc.required"

var shopLineIndex = regexp.MustCompile(`\[[0-9]+\]`)

// shopFieldLine is one offending field or blocker, translated.
func shopFieldLine(lang i18n.Lang, fe errs.FieldError) string {
	params := map[string]any{}
	maps.Copy(params, fe.Params)
	if m, ok := params["missing"].([]string); ok {
		params["missing"] = strings.Join(m, i18n.T(lang, "layout.list_sep", nil))
	}
	if k := "page.shop.blocker." + fe.Rule; i18n.Has(k) {
		return i18n.T(lang, k, params)
	}
	rk := "page.shop.rule." + fe.Rule
	if !i18n.Has(rk) {
		rk = "rule." + fe.Rule
	}
	if !i18n.Has(rk) {
		rk = "rule.invalid"
	}
	text := i18n.T(lang, rk, params)
	field := shopLineIndex.ReplaceAllString(strings.TrimPrefix(fe.Field, "body."), "")
	label := shopT(lang, "page.shop.field."+field, "")
	if label == "" {
		return text
	}
	return i18n.T(lang, "page.shop.field_error", map[string]any{"field": label, "text": text})
}

// shopFail shows err on the page render builds (the form echoed back), or
// answers with the error page when err is no form error.
func (h *handlers) shopFail(w http.ResponseWriter, req *http.Request, err error, formID string, render func(ShopForm, int)) {
	f, status, ok := h.shopError(i18n.FromRequest(req), err, formID)
	if !ok {
		h.actionError(w, req, err)
		return
	}
	f.FormID = formID
	render(f, status)
}

// shopCatalogByID maps product ids to the catalogue's products, for their
// names in the page's language (orders and carts keep the Chinese name).
func (h *handlers) shopCatalogByID(ctx context.Context) map[string]app.ProductView {
	out := map[string]app.ProductView{}
	ps, err := h.app.Catalog(ctx)
	if err != nil {
		return out
	}
	for _, p := range ps {
		out[p.ID] = p
	}
	return out
}

// shopName is a product's name in lang, falling back to the frozen one.
func shopName(lang i18n.Lang, byID map[string]app.ProductView, id, frozen string) string {
	if p, ok := byID[id]; ok {
		return p.DisplayName(string(lang))
	}
	return frozen
}

// shopOptions builds a select's options from values, labelled by the
// catalog keys prefix+value.
func shopOptions(lang i18n.Lang, prefix string, values []string, selected string) []ShopOption {
	out := make([]ShopOption, 0, len(values))
	for _, v := range values {
		out = append(out, ShopOption{Value: v, Label: shopT(lang, prefix+v, v), Selected: v == selected})
	}
	return out
}

// shopQuantity parses a form's quantity (1 when empty); a bad one is 0,
// which the app refuses with its range.
func shopQuantity(s string) int64 {
	if s == "" {
		return 1
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// shopShortID is the last 12 characters of an id: the random part of a
// UUIDv7 (its first characters are a timestamp, shared by ids made close
// together).
func shopShortID(id string) string {
	if len(id) > 12 {
		return id[len(id)-12:]
	}
	return id
}

// shopSHA is the first 12 hex digits of a SHA-256.
func shopSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// shopClauses joins clause ids (or names) as a list in lang.
func shopClauses(lang i18n.Lang, ids []string) string {
	return strings.Join(ids, i18n.T(lang, "layout.list_sep", nil))
}
