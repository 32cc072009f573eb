package clustertest

import (
	"testing"
	"time"

	"yuanxu/internal/app"
)

// The demo logins every cluster has (serve --demo seeds them; the
// passwords are the demo's fixed, documented ones).
const (
	Individual         = "individual@demo.yuanxu.test"
	IndividualPassword = "yuanxu-demo-individual"
	Enterprise         = "enterprise@demo.yuanxu.test"
	EnterprisePassword = "yuanxu-demo-enterprise"
	ResellerClient     = "client@demo.yuanxu.test"
	ResellerClientPass = "yuanxu-demo-individual"
)

// Staff signs a demo staff member of role in.
func Staff(t testing.TB, base, role string) *Client {
	t.Helper()
	c := NewClient(base)
	if err := c.SignIn(role+"@staff.demo.yuanxu.test", "yuanxu-demo-staff-"+role, true); err != nil {
		t.Fatal(err)
	}
	return c
}

// Customer signs a demo customer in.
func Customer(t testing.TB, base, login, password string) *Client {
	t.Helper()
	c := NewClient(base)
	if err := c.SignIn(login, password, false); err != nil {
		t.Fatal(err)
	}
	return c
}

// Order is what the harness reads of an order.
type Order struct {
	ID             string    `json:"id"`
	State          string    `json:"state"`
	TotalFen       int64     `json:"total_fen"`
	PaidFen        int64     `json:"paid_fen"`
	PaidAt         time.Time `json:"paid_at"`
	PendingAttempt *struct {
		Ref     string `json:"ref"`
		Gateway string `json:"gateway"`
	} `json:"pending_attempt"`
}

// Balance is the wallet's balance.
type Balance struct {
	CashFen         int64 `json:"cash_fen"`
	RefundCreditFen int64 `json:"refund_credit_fen"`
}

// Page is a listing page.
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// Ack is the agreement acknowledgement a checkout carries: every key
// clause of the built-in agreement.
func Ack() map[string]any {
	return map[string]any{"version_id": "", "acknowledged": app.DefaultKeyClauses()}
}

// OrderReq is a checkout body of one line of qty.
func OrderReq(product, plan string, qty int64) map[string]any {
	return map[string]any{"lines": []map[string]any{{"product_id": product, "plan_id": plan, "cycle": "month", "quantity": qty}}, "agreement": Ack()}
}

// Checkout places an order (optionally with an Idempotency-Key).
func (c *Client) Checkout(body map[string]any, key string) (Order, Response) {
	var o Order
	h := []string{}
	if key != "" {
		h = []string{"Idempotency-Key", key}
	}
	r := c.Do("POST", "/api/v1/orders", body, h...)
	if r.OK() {
		r.Err = r.Decode(&o)
	}
	return o, r
}

// PayBalance pays an order from the balance.
func (c *Client) PayBalance(orderID string) (Order, Response) {
	var o Order
	r := c.Do("POST", "/api/v1/orders/"+orderID+"/pay", map[string]any{"method": "balance"})
	if r.OK() {
		r.Err = r.Decode(&o)
	}
	return o, r
}

// Order reads an order.
func (c *Client) Order(orderID string) (Order, Response) {
	var o Order
	r := c.Do("GET", "/api/v1/orders/"+orderID, nil)
	if r.OK() {
		r.Err = r.Decode(&o)
	}
	return o, r
}

// Balance reads the wallet's balance.
func (c *Client) Balance(t testing.TB) Balance {
	t.Helper()
	var w struct {
		Balance Balance `json:"balance"`
	}
	if r := c.Do("GET", "/api/v1/wallet", nil); !r.OK() || r.Decode(&w) != nil {
		t.Fatalf("wallet: %s", r)
	}
	return w.Balance
}

// TopUp credits cash through the sandbox top-up route.
func (c *Client) TopUp(t testing.TB, fen int64) {
	t.Helper()
	if r := c.Do("POST", "/api/v1/sandbox/topup", map[string]any{"amount_fen": fen}); !r.OK() {
		t.Fatalf("top up: %s", r)
	}
}

// Captures counts the ledger's capture transactions of an order (gateway
// clearing → revenue), read by finance staff.
func Captures(t testing.TB, fin *Client, orderID string) int {
	t.Helper()
	return AllCaptures(t, fin)[orderID]
}

// Eventually polls cond every 100ms (every second after ten seconds) for
// up to d.
func Eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not within %v", what, d)
		}
		if time.Since(start) > 10*time.Second {
			time.Sleep(time.Second)
		} else {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// AllCaptures counts the ledger's capture transactions per order, read by
// finance staff.
func AllCaptures(t testing.TB, fin *Client) map[string]int {
	t.Helper()
	out := map[string]int{}
	var l Page[struct {
		Reason string            `json:"reason"`
		Links  map[string]string `json:"links"`
	}]
	for cursor := ""; ; cursor = "&cursor=" + l.NextCursor {
		r := fin.Do("GET", "/api/v1/staff/ledger?account=revenue&limit=100"+cursor, nil)
		l.Items, l.NextCursor = nil, ""
		if !r.OK() || r.Decode(&l) != nil {
			t.Fatalf("ledger: %s", r)
		}
		for _, e := range l.Items {
			if e.Reason == "capture" {
				out[e.Links["order"]]++
			}
		}
		if l.NextCursor == "" {
			return out
		}
	}
}

// ServicesByOrder counts the customer's services per order.
func ServicesByOrder(t testing.TB, c *Client) map[string]int {
	t.Helper()
	out := map[string]int{}
	var l Page[struct {
		OrderID string `json:"order_id"`
	}]
	for cursor := ""; ; cursor = "&cursor=" + l.NextCursor {
		r := c.Do("GET", "/api/v1/services?limit=100"+cursor, nil)
		l.Items, l.NextCursor = nil, ""
		if !r.OK() || r.Decode(&l) != nil {
			t.Fatalf("services: %s", r)
		}
		for _, s := range l.Items {
			out[s.OrderID]++
		}
		if l.NextCursor == "" {
			return out
		}
	}
}
