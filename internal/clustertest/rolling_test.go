package clustertest_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/clustertest"
)

// TestRollingRestart (issue 18): three instances on one PostgreSQL
// database under load are stopped with SIGTERM and started again one at a
// time. No acknowledged write is lost, and no request fails except with a
// retryable 503. (SQLite runs one instance: restarting it is downtime,
// not a rolling restart.)
func TestRollingRestart(t *testing.T) {
	c := clustertest.NewCluster(t, clustertest.Options{Bin: bin, Engine: clustertest.Postgres, Instances: 3})
	var (
		mu       sync.Mutex
		orders   = map[string]bool{} // acknowledged checkout → paid acknowledged
		failures = map[string]int{}
		answers  int
	)
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			cust := clustertest.Customer(t, c.LB.URL(), clustertest.Individual, clustertest.IndividualPassword)
			note := func(r clustertest.Response) bool {
				mu.Lock()
				defer mu.Unlock()
				answers++
				if !r.OK() && r.Status != http.StatusServiceUnavailable {
					failures[r.String()]++
				}
				return r.OK()
			}
			for i := 0; ctx.Err() == nil; i++ {
				if !note(cust.Do("POST", "/api/v1/sandbox/topup", map[string]any{"amount_fen": 3900})) {
					continue
				}
				o, r := cust.Checkout(clustertest.OrderReq("cs-nc-bw", "s1", 1), fmt.Sprintf("rolling-%d-%d", w, i))
				if !note(r) {
					continue
				}
				mu.Lock()
				orders[o.ID] = false
				mu.Unlock()
				if _, r := cust.PayBalance(o.ID); note(r) {
					mu.Lock()
					orders[o.ID] = true
					mu.Unlock()
				}
				note(cust.Do("GET", "/api/v1/wallet", nil))
			}
		})
	}
	time.Sleep(time.Second)
	for _, in := range c.Members {
		if err := in.Term(); err != nil {
			t.Errorf("SIGTERM: %v", err)
		}
		in.Start()
		time.Sleep(500 * time.Millisecond)
	}
	stop()
	wg.Wait()
	t.Logf("%d answers, %d orders acknowledged, %d requests re-sent by the balancer after a refused connection", answers, len(orders), c.LB.Retried.Load())
	for f, n := range failures {
		t.Errorf("%d× failed in flight: %s", n, f)
	}
	cust := clustertest.Customer(t, c.LB.URL(), clustertest.Individual, clustertest.IndividualPassword)
	for id, paid := range orders {
		o, r := cust.Order(id)
		switch {
		case !r.OK():
			t.Errorf("acknowledged order %s: %s", id, r)
		case paid && o.PaidAt.IsZero():
			t.Errorf("order %s acknowledged paid is %s", id, o.State)
		}
	}
	t.Logf("admin verify: %s", c.Verify())
}
