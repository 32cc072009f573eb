package alipay_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/provider/payment/alipay"
	"yuanxu/internal/provider/payment/sandboxgw"
)

// keys are generated once per test binary: RSA key generation is slow.
var keys = sync.OnceValues(sandboxgw.NewKeys)

type received struct {
	n    payment.Notification
	err  error
	body []byte
}

type bundle struct {
	gw     *sandboxgw.Server
	client *alipay.Client
	notify *httptest.Server
	got    chan received
}

// setup starts a sandbox with fast retries, a client for it and a
// notification endpoint that parses with the client and acks.
func setup(t *testing.T) *bundle {
	t.Helper()
	k, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	gw, err := sandboxgw.Start(sandboxgw.Options{Keys: k, AlipayRetry: []time.Duration{20 * time.Millisecond, 40 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close(context.Background()) })
	c, err := alipay.New(gw.AlipayConfig())
	if err != nil {
		t.Fatal(err)
	}
	b := &bundle{gw: gw, client: c, got: make(chan received, 64)}
	b.notify = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		n, err := c.ParseNotification(r)
		b.got <- received{n, err, body}
		c.Ack(w, err == nil)
	}))
	t.Cleanup(b.notify.Close)
	return b
}

func (b *bundle) next(t *testing.T) received {
	t.Helper()
	select {
	case r := <-b.got:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("no notification")
	}
	return received{}
}

func (b *bundle) attempt(kind payment.Kind, amount money.Fen) payment.Attempt {
	return payment.Attempt{Ref: payment.NewRef(), Amount: amount, Subject: "云服务器 1 个月", Kind: kind,
		NotifyURL: b.notify.URL + "/callbacks/alipay", ReturnURL: "https://portal.example/pay/return"}
}

// noRedirect is a browser that shows each redirect instead of following.
var noRedirect = &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestPagePayEndToEnd(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	a := b.attempt(payment.KindPage, 12345)
	created, err := b.client.CreatePayment(ctx, a)
	if err != nil || created.PayURL == "" {
		t.Fatalf("CreatePayment = %+v, %v", created, err)
	}
	if _, err := b.client.QueryPayment(ctx, a.Ref); !errors.Is(err, payment.ErrNotFound) {
		t.Fatalf("query before the page is opened: %v, want ErrNotFound", err)
	}
	// The browser opens the signed URL and is sent to the cashier.
	resp, err := noRedirect.Get(created.PayURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cashier := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(cashier, "/cashier/") {
		t.Fatalf("page pay answered %d to %q", resp.StatusCode, cashier)
	}
	page := get(t, b.gw.URL()+cashier)
	if !strings.Contains(page, `id="pay"`) || !strings.Contains(page, "123.45") {
		t.Fatalf("cashier page lacks the pay button or the amount:\n%s", page)
	}
	if p, err := b.client.QueryPayment(ctx, a.Ref); err != nil || p.Status != payment.StatusPending {
		t.Fatalf("query after opening: %+v, %v", p, err)
	}
	resp, err = noRedirect.PostForm(b.gw.URL()+cashier, url.Values{"action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || back.Host != "portal.example" {
		t.Fatalf("after paying, redirected to %q", resp.Header.Get("Location"))
	}
	ref, tradeNo, err := b.client.VerifyReturn(back.Query())
	if err != nil || ref != a.Ref || tradeNo == "" {
		t.Fatalf("VerifyReturn = %q, %q, %v", ref, tradeNo, err)
	}
	tampered := back.Query()
	tampered.Set("total_amount", "0.01")
	if _, _, err := b.client.VerifyReturn(tampered); !errors.Is(err, payment.ErrBadSignature) {
		t.Fatalf("tampered return verified: %v", err)
	}

	r := b.next(t)
	if r.err != nil {
		t.Fatal(r.err)
	}
	n := r.n
	if n.Kind != payment.NotifyPayment || n.Ref != a.Ref || n.Status != payment.StatusPaid || n.Amount != 12345 ||
		n.GatewayTradeNo != tradeNo || n.AppID != b.gw.Keys().AlipayAppID || n.MerchantID != b.gw.Keys().AlipaySellerID ||
		n.Currency != "CNY" || n.PaidAt.IsZero() || n.ID == "" || len(n.Raw) == 0 {
		t.Fatalf("notification = %+v", n)
	}
	p, err := b.client.QueryPayment(ctx, a.Ref)
	if err != nil || p.Status != payment.StatusPaid || p.GatewayTradeNo != tradeNo || p.Amount != 12345 || !p.PaidAt.Equal(n.PaidAt) {
		t.Fatalf("query after paying = %+v, %v", p, err)
	}

	// A partial refund, sent twice: one refund.
	rr := payment.RefundRequest{Ref: a.Ref, RefundRef: payment.NewRef(), Amount: 2345, Total: 12345, Reason: "测试退款"}
	for range 2 {
		rf, err := b.client.Refund(ctx, rr)
		if err != nil || rf.Status != payment.RefundSucceeded || rf.Amount != 2345 || rf.GatewayTradeNo != tradeNo {
			t.Fatalf("Refund = %+v, %v", rf, err)
		}
	}
	if tr, _ := b.gw.Trade(payment.Alipay, a.Ref); tr.Refunded() != 2345 || len(tr.Refunds) != 1 {
		t.Fatalf("sandbox holds refunds %+v", tr.Refunds)
	}
	rr2 := rr
	rr2.Amount = 100
	var ge *payment.GatewayError
	if _, err := b.client.Refund(ctx, rr2); !errors.As(err, &ge) || ge.Code != "ACQ.DISCORDANT_REPEAT_REQUEST" {
		t.Fatalf("same refund ref, other amount: %v", err)
	}
	r = b.next(t)
	if r.err != nil || r.n.Kind != payment.NotifyRefund || r.n.RefundRef != rr.RefundRef || r.n.Refunded != 2345 ||
		r.n.Status != payment.StatusPaid || r.n.RefundedAt.IsZero() {
		t.Fatalf("refund notification = %+v, %v", r.n, r.err)
	}
	q, err := b.client.QueryRefund(ctx, a.Ref, rr.RefundRef)
	if err != nil || q.Status != payment.RefundSucceeded || q.Amount != 2345 || q.RefundRef != rr.RefundRef || q.SucceededAt.IsZero() {
		t.Fatalf("QueryRefund = %+v, %v", q, err)
	}
	if _, err := b.client.QueryRefund(ctx, a.Ref, payment.NewRef()); !errors.Is(err, payment.ErrNotFound) {
		t.Fatalf("unknown refund: %v", err)
	}

	// The rest, refunded in full, closes the trade; it still was paid.
	rest := payment.RefundRequest{Ref: a.Ref, RefundRef: payment.NewRef(), Amount: 10000, Total: 12345}
	if _, err := b.client.Refund(ctx, rest); err != nil {
		t.Fatal(err)
	}
	if r = b.next(t); r.err != nil || r.n.Status != payment.StatusRefunded || r.n.Refunded != 12345 {
		t.Fatalf("full refund notification = %+v, %v", r.n, r.err)
	}
	if p, err := b.client.QueryPayment(ctx, a.Ref); err != nil || p.Status != payment.StatusRefunded {
		t.Fatalf("query after the full refund = %+v, %v", p, err)
	}
	over := payment.RefundRequest{Ref: a.Ref, RefundRef: payment.NewRef(), Amount: 1, Total: 12345}
	if _, err := b.client.Refund(ctx, over); !errors.As(err, &ge) || ge.Code != "ACQ.TRADE_STATUS_ERROR" {
		t.Fatalf("refund of a closed trade: %v", err)
	}

	entries, err := b.client.Bill(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	want := map[payment.BillEntryKind]money.Fen{}
	for _, e := range entries {
		if e.Ref != a.Ref || e.GatewayTradeNo != tradeNo || e.At.IsZero() {
			t.Errorf("bill entry %+v", e)
		}
		want[e.Kind] += e.Amount
		if e.Kind == payment.BillRefund && e.RefundRef != rr.RefundRef && e.RefundRef != rest.RefundRef {
			t.Errorf("refund entry with ref %q", e.RefundRef)
		}
	}
	if len(entries) != 3 || want[payment.BillPayment] != 12345 || want[payment.BillRefund] != 12345 {
		t.Fatalf("bill = %+v", entries)
	}
}

func TestQRPayAndCancel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	a := b.attempt(payment.KindQR, 1)
	created, err := b.client.CreatePayment(ctx, a)
	if err != nil || created.QRCode == "" {
		t.Fatalf("CreatePayment = %+v, %v", created, err)
	}
	if again, err := b.client.CreatePayment(ctx, a); err != nil || again.QRCode != created.QRCode {
		t.Fatalf("the same attempt again = %+v, %v", again, err)
	}
	other := a
	other.Amount = 2
	var ge *payment.GatewayError
	if _, err := b.client.CreatePayment(ctx, other); !errors.As(err, &ge) || ge.Code != "ACQ.CONTEXT_INCONSISTENT" {
		t.Fatalf("the same ref with another amount: %v", err)
	}
	if _, err := b.client.QueryPayment(ctx, a.Ref); !errors.Is(err, payment.ErrNotFound) {
		t.Fatalf("query before the code is scanned: %v", err)
	}
	if err := b.gw.Pay(payment.Alipay, a.Ref); err != nil {
		t.Fatal(err)
	}
	if r := b.next(t); r.err != nil || r.n.Ref != a.Ref || r.n.Status != payment.StatusPaid || r.n.Amount != 1 {
		t.Fatalf("notification = %+v, %v", r.n, r.err)
	}

	// A second attempt the customer cancels: TRADE_CLOSED, never paid.
	c := b.attempt(payment.KindQR, 500)
	created, err = b.client.CreatePayment(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := noRedirect.PostForm(created.QRCode, url.Values{"action": {"cancel"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if r := b.next(t); r.err != nil || r.n.Ref != c.Ref || r.n.Status != payment.StatusClosed || !r.n.PaidAt.IsZero() {
		t.Fatalf("close notification = %+v, %v", r.n, r.err)
	}
	if p, err := b.client.QueryPayment(ctx, c.Ref); err != nil || p.Status != payment.StatusClosed {
		t.Fatalf("query = %+v, %v", p, err)
	}
}

func TestTamperedNotificationsAreRejected(t *testing.T) {
	t.Parallel()
	for _, tamper := range []sandboxgw.Tamper{sandboxgw.TamperSignature, sandboxgw.TamperAmount, sandboxgw.TamperForged} {
		t.Run(string(tamper), func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			ctx := context.Background()
			a := b.attempt(payment.KindQR, 999)
			if _, err := b.client.CreatePayment(ctx, a); err != nil {
				t.Fatal(err)
			}
			b.gw.Misbehave(a.Ref, sandboxgw.Behaviour{Tamper: tamper})
			if err := b.gw.Pay(payment.Alipay, a.Ref); err != nil {
				t.Fatal(err)
			}
			for range 3 { // the first try and two retries, all refused
				r := b.next(t)
				var ne *payment.NotificationError
				if !errors.Is(r.err, payment.ErrBadSignature) || !errors.As(r.err, &ne) || ne.Gateway != payment.Alipay {
					t.Fatalf("tampered (%s) notification: %+v, %v", tamper, r.n, r.err)
				}
			}
			if err := b.gw.Settle(ctx); err != nil {
				t.Fatal(err)
			}
			for _, d := range b.gw.Deliveries() {
				if d.OK || d.Answer != "fail" {
					t.Errorf("delivery %+v counted as received", d)
				}
			}
			// The genuine notification, resent, is accepted.
			if err := b.gw.Resend(payment.Alipay, a.Ref); err != nil {
				t.Fatal(err)
			}
			if r := b.next(t); r.err != nil || r.n.Amount != 999 {
				t.Fatalf("resent notification: %+v, %v", r.n, r.err)
			}
		})
	}
}

func TestSignatureFailures(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	other, err := sandboxgw.NewKeys()
	if err != nil {
		t.Fatal(err)
	}
	// Signed with a key the sandbox does not know: refused by the gateway.
	cfg := b.gw.AlipayConfig()
	cfg.PrivateKey = other.AlipayAppPrivateKey
	c, err := alipay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ge *payment.GatewayError
	if _, err := c.QueryPayment(ctx, payment.NewRef()); !errors.As(err, &ge) || ge.Code != "isv.invalid-signature" {
		t.Fatalf("wrong private key: %v", err)
	}
	// An answer verified with the wrong Alipay key: ErrBadSignature.
	cfg = b.gw.AlipayConfig()
	wrong, _ := sandboxgw.Start(sandboxgw.Options{Keys: other})
	defer wrong.Close(ctx)
	cfg.AlipayPublicKey = wrong.AlipayConfig().AlipayPublicKey
	c, err = alipay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.QueryPayment(ctx, payment.NewRef()); !errors.Is(err, payment.ErrBadSignature) {
		t.Fatalf("answer under the wrong Alipay key: %v", err)
	}
	// A notification without a signature, and one by GET.
	req := httptest.NewRequest(http.MethodPost, "/callbacks/alipay", strings.NewReader("out_trade_no=x&total_amount=1.00"))
	if _, err := b.client.ParseNotification(req); !errors.Is(err, payment.ErrBadSignature) {
		t.Fatalf("unsigned notification: %v", err)
	}
	req = httptest.NewRequest(http.MethodGet, "/callbacks/alipay?sign=x", nil)
	if _, err := b.client.ParseNotification(req); !errors.Is(err, payment.ErrMalformed) {
		t.Fatalf("GET notification: %v", err)
	}
	rec := httptest.NewRecorder()
	b.client.Ack(rec, false)
	if rec.Body.String() != "fail" || rec.Code != http.StatusOK {
		t.Fatalf("Ack(false) = %d %q", rec.Code, rec.Body.String())
	}
}

func get(t *testing.T, u string) string {
	t.Helper()
	resp, err := noRedirect.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", u, resp.StatusCode, b)
	}
	return string(b)
}
