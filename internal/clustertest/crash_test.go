package clustertest_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yuanxu/internal/clustertest"
)

// kills is how many SIGKILLs TestCrashConsistency deals per engine: 3 in
// the normal test run, YUANXU_CLUSTER_KILLS (e.g. 20, the long variant of
// issue 18) when set.
func kills(t *testing.T) int {
	if s := os.Getenv("YUANXU_CLUSTER_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("YUANXU_CLUSTER_KILLS=%q is not a positive number", s)
		}
		return n
	}
	return 3
}

// ledger is what the load was told (2xx answers) and what the gateway
// took, to be found again after the crashes.
type ledger struct {
	mu      sync.Mutex
	orders  map[string]bool   // checkout acknowledged
	paid    map[string]bool   // paid from the balance, acknowledged
	gwPaid  map[string]string // paid at the gateway: order → reference
	refunds map[string]string // refund request acknowledged → order
	ops     atomic.Int64
	acked   atomic.Int64
}

// TestCrashConsistency (DESIGN.md §5, issue 18): a mixed load of
// checkouts, balance and gateway payments and refund requests runs while
// an instance is killed with SIGKILL at random moments and restarted.
// Afterwards every acknowledged write exists, every payment the gateway
// took paid its order once, every paid order has exactly one service,
// every committed notification leaves the outbox, and `yuanxu admin
// verify` passes (the audit chain and the ledger invariants).
func TestCrashConsistency(t *testing.T) {
	n := kills(t)
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			c := clustertest.NewCluster(t, clustertest.Options{Bin: bin, Engine: e.engine, Instances: e.instances})
			l := &ledger{orders: map[string]bool{}, paid: map[string]bool{}, gwPaid: map[string]string{}, refunds: map[string]string{}}
			ctx, stop := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			for w := range 3 {
				wg.Go(func() { load(ctx, t, c, l, w) })
			}
			for k := range n {
				time.Sleep(time.Duration(400+rand.IntN(1200)) * time.Millisecond)
				in := c.Members[rand.IntN(len(c.Members))]
				in.Kill()
				t.Logf("kill %d: instance %s after %d operations (%d acknowledged)", k+1, in.URL(), l.ops.Load(), l.acked.Load())
				in.Start()
			}
			time.Sleep(500 * time.Millisecond)
			stop()
			wg.Wait()
			t.Logf("%d kills survived; %d operations, %d acknowledged; %d orders, %d paid from the balance, %d paid at the gateway, %d refund requests",
				n, l.ops.Load(), l.acked.Load(), len(l.orders), len(l.paid), len(l.gwPaid), len(l.refunds))
			checkSurvived(t, c, l)
		})
	}
}

// load runs operations until ctx ends. Every request goes through the
// balancer with an Idempotency-Key where the API takes one; failures
// (the instance died under it) are expected and simply not recorded.
func load(ctx context.Context, t *testing.T, c *clustertest.Cluster, l *ledger, w int) {
	cust := clustertest.NewClient(c.LB.URL())
	for cust.SignIn(clustertest.Individual, clustertest.IndividualPassword, false) != nil {
		if ctx.Err() != nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	for i := 0; ctx.Err() == nil; i++ {
		if i > 0 && int64(i) > l.acked.Load()/3+10 {
			time.Sleep(20 * time.Millisecond) // the instance is down: do not spin
		}
		l.ops.Add(1)
		key := fmt.Sprintf("crash-%d-%d", w, i)
		switch p := rand.IntN(10); {
		case p < 5: // top up, buy, pay from the balance
			if r := cust.Do("POST", "/api/v1/sandbox/topup", map[string]any{"amount_fen": 3900}); !r.OK() {
				continue
			}
			o, r := cust.Checkout(clustertest.OrderReq("cs-nc-bw", "s1", 1), key)
			if !r.OK() {
				continue
			}
			l.record(func() { l.orders[o.ID] = true })
			if _, r := cust.PayBalance(o.ID); r.OK() {
				l.record(func() { l.paid[o.ID] = true })
			}
		case p < 8: // buy, pay by WeChat Pay at the gateway
			o, r := cust.Checkout(clustertest.OrderReq("cs-nc-bw", "s1", 1), key)
			if !r.OK() {
				continue
			}
			l.record(func() { l.orders[o.ID] = true })
			r = cust.Do("POST", "/api/v1/orders/"+o.ID+"/pay", map[string]any{"method": "wechatpay"})
			if !r.OK() || r.Decode(&o) != nil || o.PendingAttempt == nil {
				continue
			}
			if c.GW.Pay("wechatpay", o.PendingAttempt.Ref) == nil {
				l.record(func() { l.gwPaid[o.ID] = o.PendingAttempt.Ref })
			}
		default: // ask for a refund of a paid order
			l.mu.Lock()
			var id string
			for o := range l.paid {
				id = o
				break
			}
			l.mu.Unlock()
			if id == "" {
				continue
			}
			r := cust.Do("POST", "/api/v1/refunds", map[string]any{"order_id": id, "reason": "崩溃测试 / crash test",
				"statement": "未使用 / unused", "destination": "balance", "confirm_suspension": true})
			var v struct{ ID string }
			if r.OK() && r.Decode(&v) == nil {
				l.record(func() { l.refunds[v.ID] = id })
			}
		}
	}
}

func (l *ledger) record(f func()) {
	l.acked.Add(1)
	l.mu.Lock()
	f()
	l.mu.Unlock()
}

func checkSurvived(t *testing.T, c *clustertest.Cluster, l *ledger) {
	settle(t, c)
	cust := clustertest.Customer(t, c.LB.URL(), clustertest.Individual, clustertest.IndividualPassword)
	fin := clustertest.Staff(t, c.LB.URL(), "finance")
	for id := range l.orders {
		if _, r := cust.Order(id); !r.OK() {
			t.Errorf("acknowledged order %s: %s", id, r)
		}
	}
	// Paid orders, from the balance or at the gateway, are paid once and
	// provisioned once (the provisioning jobs survive the crashes).
	paid := map[string]bool{}
	for id := range l.paid {
		paid[id] = true
	}
	for id := range l.gwPaid {
		paid[id] = true
	}
	// A provisioning job that died with its instance is rescued once it
	// has been "running" for 1.2 × --job-timeout (15 s here), by the
	// leader's rescuer (every 30 s), and retried after River's backoff
	// (attempt⁴ seconds: a job killed three times waits 81 s more), so
	// the long run may need minutes to converge.
	wait := 150 * time.Second
	if kills(t) > 3 {
		wait = 10 * time.Minute
	}
	start := time.Now()
	var waiting []string
	clustertest.Eventually(t, wait, "every paid order delivered", func() bool {
		waiting = waiting[:0]
		for id := range paid {
			o, r := cust.Order(id)
			if !r.OK() || o.PaidAt.IsZero() || (o.State != "delivered" && o.State != "refunded") {
				waiting = append(waiting, id+" "+o.State)
			}
		}
		if len(waiting) > 0 && os.Getenv("YUANXU_CLUSTER_DEBUG") != "" {
			t.Logf("not delivered yet: %v", waiting)
		}
		return len(waiting) == 0
	})
	t.Logf("every paid order delivered after %v", time.Since(start).Round(time.Second))
	caps := clustertest.AllCaptures(t, fin)
	for id := range l.gwPaid {
		if caps[id] != 1 {
			t.Errorf("order %s paid at the gateway has %d captures, want 1", id, caps[id])
		}
	}
	services := clustertest.ServicesByOrder(t, cust)
	for id := range paid {
		if services[id] != 1 {
			t.Errorf("paid order %s has %d services, want 1", id, services[id])
		}
	}
	for id, order := range l.refunds {
		if r := cust.Do("GET", "/api/v1/refunds/"+id, nil); !r.OK() {
			t.Errorf("acknowledged refund request %s of order %s: %s", id, order, r)
		}
	}
	// No committed notification is lost: each leaves the queue. A delivery
	// whose job died with its instance waits for the notify.redrive
	// periodic job (every minute, on the elected leader, which a killed
	// leader holds for 15 s more) and its lease (--notify-lease).
	start = time.Now()
	var deliveries int
	var queued []string
	clustertest.Eventually(t, 150*time.Second, "every notification delivered", func() bool {
		ds := c.Outbox().Deliveries
		deliveries, queued = len(ds), nil
		for _, d := range ds {
			if d.Status == "queued" {
				queued = append(queued, fmt.Sprintf("%s/%s attempts %d created %v", d.Event, d.Channel, d.Attempts, d.CreatedAt))
			}
		}
		if len(queued) > 0 && os.Getenv("YUANXU_CLUSTER_DEBUG") != "" {
			t.Logf("queued: %d of %d, e.g. %v\n%s", len(queued), deliveries, queued[0], c.Debug())
		}
		return len(queued) == 0
	})
	t.Logf("%d notification deliveries, none left queued after %v", deliveries, time.Since(start).Round(time.Second))
	t.Logf("admin verify: %s", c.Verify())
}
