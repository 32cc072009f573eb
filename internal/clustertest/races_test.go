package clustertest_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/clustertest"
	"yuanxu/internal/provider/payment/sandboxgw"
)

// TestRacesThroughTheAPI (DESIGN.md §5, issue 18): concurrent customers
// and operators spread over every instance by the load balancer. 50
// refund requests and 50 approvals of one order make one refund; 20
// checkouts paid from a balance that covers 10 make 10 paid orders and a
// zero balance; one payment notification delivered 10 times at once, out
// of order, and again after every instance restarted, credits once.
func TestRacesThroughTheAPI(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			c := clustertest.NewCluster(t, clustertest.Options{Bin: bin, Engine: e.engine, Instances: e.instances})
			t.Run("OneRefundOfFifty", func(t *testing.T) { testOneRefund(t, c) })
			t.Run("TenOfTwentyCheckouts", func(t *testing.T) { testTenOfTwenty(t, c) })
			t.Run("OneCreditPerNotification", func(t *testing.T) { testOneCredit(t, c) })
			t.Run("OneOrderPerIdempotencyKey", func(t *testing.T) { testOneOrderPerKey(t, c) })
			out := c.Verify()
			t.Logf("admin verify: %s", out)
		})
	}
}

// concurrently runs f(i) for i in [0,n) at once and returns the answers.
func concurrently(n int, f func(i int) clustertest.Response) []clustertest.Response {
	out := make([]clustertest.Response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// tally counts answers by status (-1: a transport error).
func tally(rs []clustertest.Response) map[int]int {
	m := map[int]int{}
	for _, r := range rs {
		if r.Err != nil {
			m[-1]++
			continue
		}
		m[r.Status]++
	}
	return m
}

func testOneRefund(t *testing.T, c *clustertest.Cluster) {
	cust := clustertest.Customer(t, c.LB.URL(), clustertest.Individual, clustertest.IndividualPassword)
	cust.TopUp(t, 3900)
	before := cust.Balance(t)
	o, r := cust.Checkout(clustertest.OrderReq("cs-nc-bw", "s1", 1), "")
	if !r.OK() {
		t.Fatalf("checkout: %s", r)
	}
	if _, r := cust.PayBalance(o.ID); !r.OK() {
		t.Fatalf("pay: %s", r)
	}
	clustertest.Eventually(t, 30*time.Second, "order delivered", func() bool {
		v, _ := cust.Order(o.ID)
		return v.State == "delivered"
	})
	body := map[string]any{"order_id": o.ID, "reason": "配置不符合需求 / does not fit", "statement": "只登录过一次 / logged in once",
		"destination": "balance", "confirm_suspension": true}
	rs := concurrently(50, func(int) clustertest.Response { return cust.Do("POST", "/api/v1/refunds", body) })
	got := tally(rs)
	if got[http.StatusCreated] != 1 || got[http.StatusCreated]+got[http.StatusConflict] != 50 {
		t.Fatalf("50 concurrent refund requests answered %v, want one 201 and 409s", got)
	}
	var refundID string
	for _, r := range rs {
		if r.Status == http.StatusCreated {
			var v struct{ ID string }
			_ = r.Decode(&v)
			refundID = v.ID
		}
	}
	lead := clustertest.Staff(t, c.LB.URL(), "support_lead")
	rs = concurrently(50, func(int) clustertest.Response {
		return lead.Do("POST", "/api/v1/staff/refunds/"+refundID+"/decision", map[string]any{"action": "approve", "text": "ok"})
	})
	got = tally(rs)
	if got[http.StatusOK] != 1 || got[http.StatusOK]+got[http.StatusConflict] != 50 {
		t.Fatalf("50 concurrent approvals answered %v, want one 200 and 409s", got)
	}
	if after := cust.Balance(t); after != before {
		t.Errorf("balance after one refund %+v, before the purchase %+v", after, before)
	}
	if v, _ := cust.Order(o.ID); v.State != "refunded" {
		t.Errorf("order %s after the refund", v.State)
	}
}

func testTenOfTwenty(t *testing.T, c *clustertest.Cluster) {
	cust := clustertest.Customer(t, c.LB.URL(), clustertest.Individual, clustertest.IndividualPassword)
	b := cust.Balance(t)
	// Orders of qty ¥39 servers; the balance is topped up to ten of them.
	qty := (b.CashFen+b.RefundCreditFen)/(10*3900) + 1
	cust.TopUp(t, 10*qty*3900-b.CashFen-b.RefundCreditFen)
	rs := concurrently(20, func(i int) clustertest.Response {
		o, r := cust.Checkout(clustertest.OrderReq("cs-nc-bw", "s1", qty), fmt.Sprintf("ten-of-twenty-%d", i))
		if !r.OK() {
			return r
		}
		_, r = cust.PayBalance(o.ID)
		return r
	})
	got := tally(rs)
	if got[http.StatusOK] != 10 || got[http.StatusOK]+got[http.StatusConflict]+got[http.StatusUnprocessableEntity] != 20 {
		for _, r := range rs {
			t.Log(r)
		}
		t.Fatalf("20 concurrent checkouts on a balance for 10 answered %v, want ten 200", got)
	}
	if b := cust.Balance(t); b.CashFen != 0 || b.RefundCreditFen != 0 {
		t.Errorf("balance after ten purchases %+v, want 0", b)
	}
}

// testOneCredit: a paid notification delivered ten times at once, with
// a stale "closed" one after it, pays its order once; when the "closed"
// one comes first the attempt is closed and the late payment is credited
// to the balance once, as cash (app.processPaid: FlagLatePayment). Ten
// replays after every instance restarted and a resend change nothing.
func testOneCredit(t *testing.T, c *clustertest.Cluster) {
	cust := clustertest.Customer(t, c.LB.URL(), clustertest.Individual, clustertest.IndividualPassword)
	fin := clustertest.Staff(t, c.LB.URL(), "finance")
	cash0 := cust.Balance(t).CashFen
	var paid, late string // order ids
	refs := map[string]string{}
	for _, order := range []sandboxgw.Order{sandboxgw.OrderClosedAfterPaid, sandboxgw.OrderClosedBeforePaid} {
		o, r := cust.Checkout(clustertest.OrderReq("cs-nc-bw", "s1", 1), "")
		if !r.OK() {
			t.Fatalf("checkout: %s", r)
		}
		r = cust.Do("POST", "/api/v1/orders/"+o.ID+"/pay", map[string]any{"method": "wechatpay"})
		if !r.OK() || r.Decode(&o) != nil || o.PendingAttempt == nil {
			t.Fatalf("pay by wechatpay: %s", r)
		}
		c.GW.Misbehave(o.PendingAttempt.Ref, sandboxgw.Behaviour{Copies: 10, Order: order})
		if err := c.GW.Pay("wechatpay", o.PendingAttempt.Ref); err != nil {
			t.Fatal(err)
		}
		refs[o.ID] = o.PendingAttempt.Ref
		if order == sandboxgw.OrderClosedAfterPaid {
			paid = o.ID
		} else {
			late = o.ID
		}
		settle(t, c)
	}
	check := func(when string) {
		t.Helper()
		if v, _ := cust.Order(paid); v.PaidAt.IsZero() || v.PaidFen != v.TotalFen {
			t.Errorf("%s: order paid by ten notifications: %+v", when, v)
		}
		if n := clustertest.Captures(t, fin, paid); n != 1 {
			t.Errorf("%s: %d captures of the paid order, want 1", when, n)
		}
		if v, _ := cust.Order(late); !v.PaidAt.IsZero() || clustertest.Captures(t, fin, late) != 0 {
			t.Errorf("%s: the order whose attempt closed first was paid: %+v", when, v)
		}
		if cash := cust.Balance(t).CashFen; cash != cash0+3900 {
			t.Errorf("%s: cash %d, want %d + one late payment of 3900", when, cash, cash0)
		}
	}
	check("after ten concurrent notifications")
	// Every instance restarts; the same notification comes again, ten at
	// once, then a fresh genuine one (the merchant console's resend).
	for _, in := range c.Members {
		in.Kill()
		in.Start()
	}
	for _, ref := range refs {
		if err := c.GW.Replay("wechatpay", ref, 10); err != nil {
			t.Fatal(err)
		}
		if err := c.GW.Resend("wechatpay", ref); err != nil {
			t.Fatal(err)
		}
	}
	settle(t, c)
	for _, d := range c.GW.Deliveries() {
		if !d.OK && d.Err == "" {
			t.Errorf("a %s notification of %s was answered %d %q", d.Event, d.Ref, d.Status, d.Answer)
		}
	}
	check("after a restart, ten replays and a resend")
}

// testOneOrderPerKey: twelve checkouts with one Idempotency-Key, spread
// over the instances, make one order; the others replay it or are told
// the first is in flight.
func testOneOrderPerKey(t *testing.T, c *clustertest.Cluster) {
	cust := clustertest.Customer(t, c.LB.URL(), clustertest.Individual, clustertest.IndividualPassword)
	rs := concurrently(12, func(int) clustertest.Response {
		_, r := cust.Checkout(clustertest.OrderReq("cs-nc-bw", "s1", 1), "one-order-per-key")
		return r
	})
	ids := map[string]bool{}
	for _, r := range rs {
		switch {
		case r.Status == http.StatusCreated:
			var o clustertest.Order
			if err := r.Decode(&o); err != nil {
				t.Fatal(err)
			}
			ids[o.ID] = true
		case r.Status == http.StatusConflict && strings.Contains(string(r.Body), `"idempotency.in_flight"`):
		default:
			t.Errorf("concurrent duplicate: %s", r)
		}
	}
	if len(ids) != 1 {
		t.Errorf("twelve checkouts with one key made orders %v", ids)
	}
}

func settle(t *testing.T, c *clustertest.Cluster) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := c.GW.Settle(ctx); err != nil {
		t.Fatalf("gateway deliveries did not settle: %v", err)
	}
}
