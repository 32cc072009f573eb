package sandboxgw_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/provider/payment/alipay"
	"yuanxu/internal/provider/payment/sandboxgw"
	"yuanxu/internal/provider/payment/wechatpay"
)

var keys = sync.OnceValues(sandboxgw.NewKeys)

type got struct {
	n   payment.Notification
	err error
	at  time.Time
}

// sut is one gateway's client against a sandbox, with a notification
// endpoint that parses with the client and acks (or refuses the first
// `refuse` deliveries).
type sut struct {
	gw     *sandboxgw.Server
	g      payment.Gateway
	notify string
	got    chan got
	refuse atomic.Int32
}

// clock is a settable record clock for the sandbox.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func start(t *testing.T, opts sandboxgw.Options) *sandboxgw.Server {
	t.Helper()
	k, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	opts.Keys = k
	fast := []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond}
	if opts.AlipayRetry == nil {
		opts.AlipayRetry = fast
	}
	if opts.WeChatRetry == nil {
		opts.WeChatRetry = fast
	}
	gw, err := sandboxgw.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close(context.Background()) })
	return gw
}

func newSUT(t *testing.T, gateway string, opts sandboxgw.Options) *sut {
	t.Helper()
	s := &sut{gw: start(t, opts), got: make(chan got, 256)}
	var err error
	if gateway == payment.Alipay {
		s.g, err = alipay.New(s.gw.AlipayConfig())
	} else {
		s.g, err = wechatpay.New(s.gw.WeChatConfig())
	}
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := s.g.ParseNotification(r)
		s.got <- got{n, err, time.Now()}
		s.g.Ack(w, err == nil && s.refuse.Add(-1) < 0)
	}))
	t.Cleanup(srv.Close)
	s.notify = srv.URL + "/callbacks/" + gateway
	return s
}

func (s *sut) create(t *testing.T, amount money.Fen) string {
	t.Helper()
	ref := payment.NewRef()
	_, err := s.g.CreatePayment(context.Background(), payment.Attempt{Ref: ref, Amount: amount, Subject: "测试", Kind: payment.KindQR, NotifyURL: s.notify})
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func (s *sut) next(t *testing.T) got {
	t.Helper()
	select {
	case g := <-s.got:
		if g.err != nil {
			t.Fatalf("notification refused: %v", g.err)
		}
		return g
	case <-time.After(10 * time.Second):
		t.Fatal("no notification")
	}
	return got{}
}

func (s *sut) none(t *testing.T) {
	t.Helper()
	if err := s.gw.Settle(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case g := <-s.got:
		t.Fatalf("unexpected notification %+v, %v", g.n, g.err)
	default:
	}
}

// both runs a test against each gateway, in parallel.
func both(t *testing.T, f func(t *testing.T, gateway string)) {
	for _, g := range []string{payment.Alipay, payment.WeChatPay} {
		t.Run(g, func(t *testing.T) {
			t.Parallel()
			f(t, g)
		})
	}
}

func TestConcurrentCopies(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, gateway string) {
		s := newSUT(t, gateway, sandboxgw.Options{})
		ref := s.create(t, 100)
		s.gw.Misbehave(ref, sandboxgw.Behaviour{Copies: 10})
		if err := s.gw.Pay(gateway, ref); err != nil {
			t.Fatal(err)
		}
		first := s.next(t)
		for range 9 {
			if g := s.next(t); g.n.ID != first.n.ID || g.n.GatewayTradeNo != first.n.GatewayTradeNo || g.n.Ref != ref {
				t.Fatalf("copy %+v differs from %+v", g.n, first.n)
			}
		}
		s.none(t)
	})
}

func TestReplayIsTheSameNotification(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, gateway string) {
		s := newSUT(t, gateway, sandboxgw.Options{})
		ref := s.create(t, 100)
		if err := s.gw.Replay(gateway, ref, 1); err == nil {
			t.Fatal("replayed a notification never sent")
		}
		if err := s.gw.Pay(gateway, ref); err != nil {
			t.Fatal(err)
		}
		first := s.next(t)
		if err := s.gw.Replay(gateway, ref, 10); err != nil {
			t.Fatal(err)
		}
		for range 10 {
			if g := s.next(t); g.n.ID != first.n.ID || string(g.n.Raw) != string(first.n.Raw) {
				t.Fatalf("replay %+v differs from %+v", g.n, first.n)
			}
		}
		s.none(t)
	})
}

func TestLateNotification(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, gateway string) {
		s := newSUT(t, gateway, sandboxgw.Options{})
		ref := s.create(t, 100)
		s.gw.Misbehave(ref, sandboxgw.Behaviour{Delay: 300 * time.Millisecond})
		paidAt := time.Now()
		if err := s.gw.Pay(gateway, ref); err != nil {
			t.Fatal(err)
		}
		if g := s.next(t); g.at.Sub(paidAt) < 300*time.Millisecond {
			t.Fatalf("delivered after %v", g.at.Sub(paidAt))
		}
	})
}

func TestLostNotificationIsFoundByQuery(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, gateway string) {
		s := newSUT(t, gateway, sandboxgw.Options{})
		ref := s.create(t, 100)
		s.gw.Misbehave(ref, sandboxgw.Behaviour{Lost: true})
		if err := s.gw.Pay(gateway, ref); err != nil {
			t.Fatal(err)
		}
		s.none(t)
		if d := s.gw.Deliveries(); len(d) != 1 || !d[0].Lost || d[0].Ref != ref {
			t.Fatalf("deliveries = %+v", d)
		}
		if p, err := s.g.QueryPayment(context.Background(), ref); err != nil || p.Status != payment.StatusPaid {
			t.Fatalf("query = %+v, %v", p, err)
		}
	})
}

func TestOutOfOrder(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, gateway string) {
		s := newSUT(t, gateway, sandboxgw.Options{})
		after := s.create(t, 100)
		s.gw.Misbehave(after, sandboxgw.Behaviour{Order: sandboxgw.OrderClosedAfterPaid})
		if err := s.gw.Pay(gateway, after); err != nil {
			t.Fatal(err)
		}
		if g := s.next(t); g.n.Status != payment.StatusPaid {
			t.Fatalf("first = %+v", g.n)
		}
		if g := s.next(t); g.n.Status != payment.StatusClosed || g.n.Ref != after || !g.n.PaidAt.IsZero() {
			t.Fatalf("second = %+v", g.n)
		}
		before := s.create(t, 100)
		s.gw.Misbehave(before, sandboxgw.Behaviour{Order: sandboxgw.OrderClosedBeforePaid})
		if err := s.gw.Pay(gateway, before); err != nil {
			t.Fatal(err)
		}
		if g := s.next(t); g.n.Status != payment.StatusClosed {
			t.Fatalf("first = %+v", g.n)
		}
		if g := s.next(t); g.n.Status != payment.StatusPaid || g.n.Ref != before {
			t.Fatalf("second = %+v", g.n)
		}
		// The truth stays with the query.
		if p, err := s.g.QueryPayment(context.Background(), after); err != nil || p.Status != payment.StatusPaid {
			t.Fatalf("query = %+v, %v", p, err)
		}
	})
}

func TestSignedWrongAmount(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, gateway string) {
		s := newSUT(t, gateway, sandboxgw.Options{})
		ref := s.create(t, 10000)
		s.gw.Misbehave(ref, sandboxgw.Behaviour{ReportAmount: 1})
		if err := s.gw.Pay(gateway, ref); err != nil {
			t.Fatal(err)
		}
		// Genuinely signed: parsed; the app must compare with the attempt.
		if g := s.next(t); g.n.Amount != 1 || g.n.Ref != ref {
			t.Fatalf("notification = %+v", g.n)
		}
	})
}

func TestRetriesUntilAcknowledged(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, gateway string) {
		s := newSUT(t, gateway, sandboxgw.Options{})
		s.refuse.Store(2)
		ref := s.create(t, 100)
		if err := s.gw.Pay(gateway, ref); err != nil {
			t.Fatal(err)
		}
		for range 3 {
			s.next(t)
		}
		s.none(t)
		d := s.gw.Deliveries()
		if len(d) != 3 || d[0].OK || d[1].OK || !d[2].OK || d[2].Attempt != 2 {
			t.Fatalf("deliveries = %+v", d)
		}
	})
}

func TestRefundTimeoutIsRetriedSafely(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, gateway string) {
		s := newSUT(t, gateway, sandboxgw.Options{})
		ctx := context.Background()
		ref := s.create(t, 500)
		if err := s.gw.Pay(gateway, ref); err != nil {
			t.Fatal(err)
		}
		s.next(t)
		s.gw.Misbehave(ref, sandboxgw.Behaviour{RefundErrors: 1})
		rr := payment.RefundRequest{Ref: ref, RefundRef: payment.NewRef(), Amount: 500, Total: 500}
		var ge *payment.GatewayError
		if _, err := s.g.Refund(ctx, rr); !errors.As(err, &ge) || !ge.Temporary {
			t.Fatalf("first refund: %v, want a temporary gateway error", err)
		}
		if _, err := s.g.Refund(ctx, rr); err != nil {
			t.Fatalf("retried refund: %v", err)
		}
		if err := s.gw.Settle(ctx); err != nil {
			t.Fatal(err)
		}
		tr, _ := s.gw.Trade(gateway, ref)
		if len(tr.Refunds) != 1 || tr.Refunded() != 500 || tr.State != sandboxgw.StateClosed {
			t.Fatalf("trade = %+v", tr)
		}
		q, err := s.g.QueryRefund(ctx, ref, rr.RefundRef)
		if err != nil || q.Status != payment.RefundSucceeded || q.Amount != 500 {
			t.Fatalf("QueryRefund = %+v, %v", q, err)
		}
	})
}

func TestBehaviourAPI(t *testing.T) {
	t.Parallel()
	s := newSUT(t, payment.Alipay, sandboxgw.Options{})
	ref := s.create(t, 100)
	post := func(form string) int {
		resp, err := http.Post(s.gw.URL()+"/sandbox/behaviour", "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("ref=" + ref + "&tamper=bogus"); code != http.StatusBadRequest {
		t.Fatalf("bad tamper: %d", code)
	}
	if code := post("ref=" + ref + "&copies=3&delay=10ms&report_amount=0.02"); code != http.StatusNoContent {
		t.Fatalf("behaviour: %d", code)
	}
	if err := s.gw.Pay(payment.Alipay, ref); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if g := s.next(t); g.n.Amount != 2 {
			t.Fatalf("notification = %+v", g.n)
		}
	}
	resp, err := http.PostForm(s.gw.URL()+"/sandbox/resend", map[string][]string{"gateway": {payment.Alipay}, "ref": {ref}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if g := s.next(t); resp.StatusCode != http.StatusNoContent || g.n.Amount != 100 {
		t.Fatalf("resend: %d, %+v", resp.StatusCode, g.n)
	}
}

func TestExpiryAndBillDays(t *testing.T) {
	t.Parallel()
	both(t, func(t *testing.T, gateway string) {
		day1 := time.Date(2026, 11, 24, 23, 30, 0, 0, payment.China)
		clk := &clock{t: day1}
		s := newSUT(t, gateway, sandboxgw.Options{Now: clk.Now, StrictBills: true})
		ctx := context.Background()
		expiring := payment.Attempt{Ref: payment.NewRef(), Amount: 100, Subject: "x", Kind: payment.KindQR, NotifyURL: s.notify, ExpiresAt: day1.Add(10 * time.Minute)}
		if _, err := s.g.CreatePayment(ctx, expiring); err != nil {
			t.Fatal(err)
		}
		paid := s.create(t, 300)
		if err := s.gw.Pay(gateway, paid); err != nil {
			t.Fatal(err)
		}
		s.next(t)
		clk.Add(time.Hour) // 00:30 on the 25th
		if err := s.gw.Pay(gateway, expiring.Ref); err == nil {
			t.Fatal("paid an expired trade")
		}
		if _, err := s.g.Refund(ctx, payment.RefundRequest{Ref: paid, RefundRef: payment.NewRef(), Amount: 100, Total: 300}); err != nil {
			t.Fatal(err)
		}
		if err := s.gw.Settle(ctx); err != nil {
			t.Fatal(err)
		}
		var ge *payment.GatewayError
		if _, err := s.g.Bill(ctx, clk.Now()); !errors.As(err, &ge) || !ge.Temporary {
			t.Fatalf("bill of today under StrictBills: %v", err)
		}
		clk.Add(24 * time.Hour)
		for _, tc := range []struct {
			day  time.Time
			kind payment.BillEntryKind
			amt  money.Fen
		}{{day1, payment.BillPayment, 300}, {day1.Add(time.Hour), payment.BillRefund, 100}} {
			entries, err := s.g.Bill(ctx, tc.day)
			if err != nil || len(entries) != 1 || entries[0].Kind != tc.kind || entries[0].Amount != tc.amt || entries[0].Ref != paid {
				t.Fatalf("bill of %s = %+v, %v", tc.day, entries, err)
			}
		}
	})
}
