package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/order"
	"yuanxu/internal/webtest"
)

// The cart offers to place the order and pay it from the balance in one
// step: a balance short of the total places nothing and keeps the cart
// (the error says so, in the page's language); one that covers it lands on
// the paid, delivered order, charged once however often the form is sent.
func TestCommercePortalCheckoutAndPayInOneStep(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	cl := shopClient(t, s, demoIndividual, "en")
	p := principalOf(t, s, demoIndividual)
	cash := func() int64 { return cashOf(t, s, p) }
	orders := func() int {
		t.Helper()
		os, err := s.App.Orders(ctx, p, app.OrderListFilter{})
		if err != nil {
			t.Fatal(err)
		}
		return len(os)
	}
	// submit sends the cart's checkout form with every key clause ticked
	// through the pay-from-balance button.
	submit := func(want int) (*webtest.Response, *node, url.Values) {
		t.Helper()
		_, doc := htmlOf(t, cl, "GET", "/cart", nil, http.StatusOK)
		if b := mustID(t, doc, "checkout-pay-balance"); b.attrs["name"] != "pay" || b.attrs["value"] != "balance" {
			t.Fatalf("pay-from-balance button %v", b.attrs)
		}
		if hint := mustID(t, doc, "checkout-balance").textContent(); !strings.Contains(hint, "¥") {
			t.Errorf("balance hint %q", hint)
		}
		form, clauses := checkoutForm(t, doc)
		form["ack"], form["pay"] = clauses, []string{"balance"}
		res, doc := htmlOf(t, cl, "POST", "/checkout", form, want)
		return res, doc, form
	}
	cash0, orders0 := cash(), orders()

	// More than the balance (¥39 × 30 against the demo's ¥1,000): nothing placed.
	htmlOf(t, cl, "POST", "/cart", url.Values{"product_id": {"cs-nc-bw"}, "plan_id": {"s1"}, "cycle": {"month"}, "quantity": {"30"}}, http.StatusSeeOther)
	_, doc, _ := submit(http.StatusConflict)
	if msg := formError(t, doc); !strings.Contains(msg, "does not cover this order") || !strings.Contains(msg, "no order was placed") {
		t.Errorf("short balance error %q", msg)
	}
	if n := orders(); n != orders0 || cash() != cash0 {
		t.Fatalf("after a refused one-step checkout: %d orders (before %d), cash %d (before %d)", n, orders0, cash(), cash0)
	}
	if rows := doc.all(func(n *node) bool { return n.attrs["class"] == "cart-item" }); len(rows) != 1 {
		t.Fatalf("cart rows after the refusal: %d", len(rows))
	}

	// Within the balance: placed, paid and delivered; sent twice, charged once.
	_, doc = htmlOf(t, cl, "GET", "/cart", nil, http.StatusOK)
	id := mustID(t, doc, "checkout-form").all(func(n *node) bool { return n.attrs["name"] == "item" })[0].attrs["value"]
	htmlOf(t, cl, "POST", "/cart/"+id+"/remove", nil, http.StatusSeeOther)
	addToCart(t, cl, "cs-nc-bw", "s1", "month")
	res, _, form := submit(http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/orders/") || !strings.HasSuffix(loc, "?done=order_paid") {
		t.Fatalf("after the one-step checkout: %s", loc)
	}
	if again, _ := htmlOf(t, cl, "POST", "/checkout", form, http.StatusSeeOther); again.Header.Get("Location") != loc {
		t.Fatalf("second submission went to %s, want %s", again.Header.Get("Location"), loc)
	}
	o, err := s.App.Order(ctx, p, strings.TrimSuffix(strings.TrimPrefix(loc, "/orders/"), "?done=order_paid"))
	if err != nil || o.State != string(order.StateDelivered) || o.PaidAt.IsZero() || o.TotalFen != 3900 {
		t.Fatalf("order after the one-step checkout: %+v, %v", o, err)
	}
	if n := orders(); n != orders0+1 || cash0-cash() != o.TotalFen {
		t.Fatalf("%d orders (before %d), cash %d → %d for an order of %d", n, orders0, cash0, cash(), o.TotalFen)
	}
	_, doc = htmlOf(t, cl, "GET", loc, nil, http.StatusOK)
	if doc.byID("pay-form") != nil || mustID(t, doc, "form-notice").textContent() == "" {
		t.Error("the paid order's page offers to pay, or says nothing of the payment")
	}
	_, doc = htmlOf(t, cl, "GET", "/cart", nil, http.StatusOK)
	mustID(t, doc, "cart-empty")
}

// cashOf is the customer's cash balance, in fen.
func cashOf(t *testing.T, s *webtest.Server, p account.Principal) int64 {
	t.Helper()
	w, err := s.App.Wallet(context.Background(), p, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	return w.Balance.CashFen
}
