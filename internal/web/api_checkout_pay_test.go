package web_test

import (
	"net/http"
	"strings"
	"testing"
	"unicode"

	"yuanxu/internal/app"
	"yuanxu/internal/webtest"
)

// TestCommerceCheckoutWithPay: POST /orders with pay places and pays the
// order in one request; a balance that does not cover it is a 409 in the
// caller's language and places nothing; only the balance pays there.
func TestCommerceCheckoutWithPay(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			c, _ := verifiedCustomer(t, s, l)
			topUp(t, c, 5000)
			body := orderReq("cs-nc-bw", "s1", "month", 1)
			body["pay"] = map[string]any{"method": "balance"}
			o := checkout(t, c, body, "Idempotency-Key", "pay-at-checkout-1")
			if o.State != "delivered" || o.PaidFen != 3900 || o.DueFen != 0 || len(o.Payments) != 1 || o.Payments[0].Method != "balance" {
				t.Fatalf("order %+v", o)
			}
			// The same key and body answer the stored order: no second payment.
			res := c.Do(t, "POST", "/api/v1/orders", body, "Idempotency-Key", "pay-at-checkout-1")
			again := webtest.Decode[app.OrderView](t, res, http.StatusCreated)
			if again.ID != o.ID || res.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay %+v (%v)", again, res.Header)
			}
			if w := walletOf(t, c); w.Balance.CashFen != 1100 {
				t.Fatalf("wallet after paying at checkout %+v", w.Balance)
			}
			p := wantProblem(t, c.Do(t, "POST", "/api/v1/orders", body), http.StatusConflict, "wallet.insufficient_balance", "", "")
			if han := strings.ContainsFunc(p.Detail, func(r rune) bool { return unicode.Is(unicode.Han, r) }); han != (l.name == "zh-CN") {
				t.Errorf("problem detail not in %s: %q", l.name, p.Detail)
			}
			body["pay"] = map[string]any{"method": "alipay"}
			wantProblem(t, c.Do(t, "POST", "/api/v1/orders", body), http.StatusUnprocessableEntity, "request.invalid", "", "body.pay.method")
			list := webtest.Decode[page[app.OrderView]](t, c.Do(t, "GET", "/api/v1/orders", nil), http.StatusOK)
			if len(list.Items) != 1 {
				t.Fatalf("refused checkouts placed orders: %+v", list.Items)
			}
		})
	}
}
