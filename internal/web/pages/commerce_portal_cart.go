package pages

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/agreement"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/order"
	"yuanxu/internal/web/webctx"
)

// The cart (/cart) and checkout (POST /checkout). The checkout form lists
// each key clause of the agreement version in force with its own checkbox,
// none ticked, and carries an Idempotency-Key made when the page was
// rendered: submitting it twice places one order, and both submissions
// land on it.

// ShopCartView is the cart with its checkout form.
type ShopCartView struct {
	Page
	ShopForm
	Items          []ShopCartRow
	Total          string
	HasUnavailable bool
	// The checkout form, as rendered or as typed.
	IdemKey, Coupon   string
	VersionID, SHA256 string
	SHAShort          string
	KeyClauses        []KeyClauseView
	AgreementHref     string
	UnpaidMinutes     string
	KYCRequired       bool // a notice before checkout: real-name verification is not approved
	// Balance is what the customer can spend now (refund credit and cash),
	// "" when there is none or it cannot be read: the form then offers
	// only to place the order, not to place and pay it in one step.
	Balance string
}

// ShopCartRow is one cart item with its current price.
type ShopCartRow struct {
	ID, Product, Plan, Cycle, Quantity, Unit, Total, AttachTo string
	Href                                                      string
	Available                                                 bool
	Refund                                                    ShopRefund
}

// shopCheckoutForm is what the checkout form sent. pay is "balance" when
// the customer chose to place the order and pay it from the balance in
// one step ("" to place it and pay on the order's page).
type shopCheckoutForm struct {
	key, coupon, version, sha, pay string
	acks, items                    []string
}

// newIdemKey makes the Idempotency-Key of one rendered checkout form.
func newIdemKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return "web-" + hex.EncodeToString(b)
}

// hash is the body hash the key binds: the form's own fields, so that a
// second submission of the same form replays the first even once the
// cart it emptied is gone.
func (f shopCheckoutForm) hash() [32]byte {
	acks, items := slices.Clone(f.acks), slices.Clone(f.items)
	slices.Sort(acks)
	slices.Sort(items)
	s := strings.Join([]string{"key=" + f.key, "coupon=" + strings.ToUpper(f.coupon), "version=" + f.version, "sha256=" + f.sha,
		"ack=" + strings.Join(acks, ","), "items=" + strings.Join(items, ","), "pay=" + f.pay}, "\n")
	return order.HashBody([]byte(s))
}

// shopCartPage builds the cart page with the checkout form as typed (nil:
// a fresh form with a new key and nothing ticked).
func (h *handlers) shopCartPage(req *http.Request, p webctx.Principal, typed *shopCheckoutForm) (ShopCartView, error) {
	ctx := req.Context()
	v := ShopCartView{Page: h.page(req, "page.shop.cart.title", portalNav(), "cart"), AgreementHref: "/agreement"}
	v.Next = "/cart"
	c, err := h.app.Cart(ctx, p.Principal)
	if err != nil {
		return v, err
	}
	rt := h.shopTerms(ctx, "")
	byID := h.shopCatalogByID(ctx)
	for _, it := range c.Items {
		row := ShopCartRow{ID: it.ID, Product: shopName(v.Lang, byID, it.ProductID, it.ProductName), Plan: it.PlanName,
			Cycle: shopT(v.Lang, "page.shop.cycle."+it.Cycle, it.Cycle), Quantity: shopInt(it.Quantity), Unit: shopYuan(v.Lang, it.UnitPriceFen),
			Total: shopYuan(v.Lang, it.TotalFen), AttachTo: shopShortID(it.AttachTo), Available: it.Available, Href: "/products/" + url.PathEscape(it.ProductID),
			Refund: shopRefundView(v.Lang, it.RefundClass, it.RefundClause, rt)}
		if row.Plan == "" {
			row.Plan = it.PlanID
		}
		v.HasUnavailable = v.HasUnavailable || !it.Available
		v.Items = append(v.Items, row)
	}
	v.Total = shopYuan(v.Lang, c.TotalFen)
	if rt.unpaid > 0 {
		v.UnpaidMinutes = shopInt(int64(rt.unpaid / time.Minute))
	}
	ag, err := h.app.AgreementCurrent(ctx)
	if err != nil {
		return v, err
	}
	v.VersionID, v.SHA256, v.SHAShort = ag.ID, ag.SHA256, shopSHA(ag.SHA256)
	v.IdemKey = newIdemKey()
	var checked []string
	if typed != nil {
		v.Coupon, checked = typed.coupon, typed.acks
		if order.ValidateIdemKey(typed.key) == nil {
			v.IdemKey = typed.key
		}
	}
	for _, id := range app.KeyClauseIDs(ag) {
		cl, _ := ag.Doc.Clause(agreement.ClauseID(id))
		title, _ := cl.In(string(v.Lang))
		v.KeyClauses = append(v.KeyClauses, KeyClauseView{ID: id, Title: title, Explain: cl.Explain.In(string(v.Lang)),
			ExplainHref: explainHref(ag.ID, agreement.ClauseID(id)), Checked: slices.Contains(checked, id)})
	}
	if len(v.Items) > 0 {
		v.KYCRequired = errs.CodeOf(h.app.KYCRequired(ctx, p.TenantID())) == shopKYCCode
		if wv, err := h.app.Wallet(ctx, p.Principal, "", "", 1); err == nil && wv.Balance.SpendableFen > 0 {
			v.Balance = shopYuan(v.Lang, wv.Balance.SpendableFen)
		}
	}
	return v, nil
}

// shopCart is the cart page.
func (h *handlers) shopCart(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.shopCartPage(req, p, nil)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	h.r.render(w, req, http.StatusOK, tmplShopCart, v.Lang, v)
}

// shopCartRemove removes one item.
func (h *handlers) shopCartRemove(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	if _, err := h.app.CartRemove(req.Context(), p.Principal, req.PathValue("item")); err != nil {
		h.actionError(w, req, err)
		return
	}
	http.Redirect(w, req, "/cart?done=cart_removed", http.StatusSeeOther)
}

// inFlightWait bounds how long a second submission of a checkout form
// waits for the first to finish before it is told to look at its orders.
const inFlightWait = 5 * time.Second

// shopCheckout places the order from the cart items the form listed — and
// pays it from the balance in the same transaction when the customer
// pressed that button — and goes to the order's page; a refused checkout
// shows the cart again with every blocker and its clause, the coupon and
// the ticks kept.
func (h *handlers) shopCheckout(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	ctx := req.Context()
	f := shopCheckoutForm{key: field(req, "idem_key"), coupon: field(req, "coupon"), version: field(req, "version_id"), sha: field(req, "sha256"),
		acks: boundedList(req.PostForm["ack"]), items: boundedList(req.PostForm["item"])}
	if field(req, "pay") == app.MethodBalance {
		f.pay = app.MethodBalance
	}
	c, err := h.app.Cart(ctx, p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	var lines []app.LineRequest
	unavailable := false
	for _, it := range c.Items {
		if slices.Contains(f.items, it.ID) {
			lines = append(lines, it.LineRequest)
			unavailable = unavailable || !it.Available
		}
	}
	fail := func(err error) {
		h.shopFail(w, req, err, "checkout", func(sf ShopForm, status int) {
			v, perr := h.shopCartPage(req, p, &f)
			if perr != nil {
				h.actionError(w, req, perr)
				return
			}
			v.ShopForm = sf
			h.r.render(w, req, status, tmplShopCart, v.Lang, v)
		})
	}
	if unavailable {
		fail(errs.E(errs.Op("pages.checkout"), errs.Invalid, "cart.unavailable", "an item is no longer on sale"))
		return
	}
	in := app.CheckoutRequest{Lines: lines, CouponCode: f.coupon, FromCart: len(lines) == len(c.Items),
		Agreement: app.AgreementAck{VersionID: f.version, SHA256: f.sha, Acknowledged: f.acks}}
	done := "order_placed"
	if f.pay != "" {
		// Placed and paid in one transaction, or nothing at all: a balance
		// short of the total leaves no order behind and the cart as it was.
		in.Pay, done = &app.CheckoutPay{Method: f.pay}, "order_paid"
	}
	idem := app.Idem{Key: f.key, BodyHash: f.hash()}
	deadline := time.Now().Add(inFlightWait)
	for {
		var o app.OrderView
		o, _, err = h.app.Checkout(ctx, p.Principal, in, idem)
		if err == nil {
			if !in.FromCart {
				h.removeOrdered(req, p, c, f.items)
			}
			http.Redirect(w, req, "/orders/"+url.PathEscape(o.ID)+"?done="+done, http.StatusSeeOther)
			return
		}
		if errs.CodeOf(err) != order.CodeIdemInFlight || time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
	if len(lines) == 0 && errs.CodeOf(err) == order.CodeOrderInvalid {
		err = errs.E(errs.Op("pages.checkout"), errs.Invalid, "cart.empty", "the cart is empty")
	}
	fail(err)
}

// removeOrdered takes the ordered items out of the cart when the order
// did not take the whole cart (an item added in another tab stays).
func (h *handlers) removeOrdered(req *http.Request, p webctx.Principal, c app.CartView, ids []string) {
	for _, it := range c.Items {
		if slices.Contains(ids, it.ID) {
			if _, err := h.app.CartRemove(req.Context(), p.Principal, it.ID); err != nil {
				h.log.WarnContext(req.Context(), "removing an ordered cart item", "item", it.ID, "error", err)
			}
		}
	}
}

// boundedList bounds a repeated form field: at most 60 values of at most
// 64 bytes.
func boundedList(vs []string) []string {
	if len(vs) > 60 {
		vs = vs[:60]
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, bounded(strings.TrimSpace(v)))
	}
	return out
}

// shopInt formats an integer.
func shopInt(n int64) string { return strconv.FormatInt(n, 10) }
