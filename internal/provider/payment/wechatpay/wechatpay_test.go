package wechatpay_test

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
	"yuanxu/internal/provider/payment/sandboxgw"
	"yuanxu/internal/provider/payment/wechatpay"
)

// keys are generated once per test binary: RSA key generation is slow.
var keys = sync.OnceValues(sandboxgw.NewKeys)

type received struct {
	n      payment.Notification
	err    error
	body   []byte
	header http.Header
}

type bundle struct {
	gw     *sandboxgw.Server
	client *wechatpay.Client
	notify *httptest.Server
	got    chan received
}

func setup(t *testing.T, opts sandboxgw.Options) *bundle {
	t.Helper()
	k, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	opts.Keys = k
	if opts.WeChatRetry == nil {
		opts.WeChatRetry = []time.Duration{20 * time.Millisecond, 40 * time.Millisecond}
	}
	gw, err := sandboxgw.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gw.Close(context.Background()) })
	c, err := wechatpay.New(gw.WeChatConfig())
	if err != nil {
		t.Fatal(err)
	}
	b := &bundle{gw: gw, client: c, got: make(chan received, 64)}
	b.notify = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		n, err := c.ParseNotification(r)
		b.got <- received{n, err, body, r.Header.Clone()}
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

func (b *bundle) attempt(amount money.Fen) payment.Attempt {
	return payment.Attempt{Ref: payment.NewRef(), Amount: amount, Subject: "云服务器 1 个月", Kind: payment.KindQR,
		NotifyURL: b.notify.URL + "/callbacks/wechatpay"}
}

var browser = &http.Client{Timeout: 10 * time.Second}

func TestNativeEndToEnd(t *testing.T) {
	t.Parallel()
	b := setup(t, sandboxgw.Options{RefundDelay: 50 * time.Millisecond})
	ctx := context.Background()
	a := b.attempt(8800)
	page := a
	page.Kind = payment.KindPage
	if _, err := b.client.CreatePayment(ctx, page); !errors.Is(err, payment.ErrUnsupported) {
		t.Fatalf("page payment: %v", err)
	}
	created, err := b.client.CreatePayment(ctx, a)
	if err != nil || created.QRCode == "" {
		t.Fatalf("CreatePayment = %+v, %v", created, err)
	}
	if again, err := b.client.CreatePayment(ctx, a); err != nil || again.QRCode != created.QRCode {
		t.Fatalf("the same attempt again = %+v, %v", again, err)
	}
	p, err := b.client.QueryPayment(ctx, a.Ref)
	if err != nil || p.Status != payment.StatusPending || p.GatewayTradeNo != "" || p.Amount != 8800 {
		t.Fatalf("query before paying = %+v, %v", p, err)
	}
	if _, err := b.client.QueryPayment(ctx, payment.NewRef()); !errors.Is(err, payment.ErrNotFound) {
		t.Fatalf("unknown trade: %v", err)
	}
	// The customer "scans" (opens the code's URL) and pays.
	resp, err := browser.Get(created.QRCode)
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(html), `id="pay"`) || !strings.Contains(string(html), "88.00") {
		t.Fatalf("cashier:\n%s", html)
	}
	resp, err = browser.PostForm(created.QRCode, url.Values{"action": {"pay"}})
	if err != nil {
		t.Fatal(err)
	}
	html, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(html), `data-state="paid"`) {
		t.Fatalf("after paying:\n%s", html)
	}

	r := b.next(t)
	n := r.n
	k := b.gw.Keys()
	if r.err != nil || n.Kind != payment.NotifyPayment || n.Ref != a.Ref || n.Status != payment.StatusPaid || n.Amount != 8800 ||
		n.Currency != "CNY" || n.AppID != k.WeChatAppID || n.MerchantID != k.WeChatMchID || n.GatewayTradeNo == "" || n.PaidAt.IsZero() || n.ID == "" {
		t.Fatalf("notification = %+v, %v", n, r.err)
	}
	p, err = b.client.QueryPayment(ctx, a.Ref)
	if err != nil || p.Status != payment.StatusPaid || p.GatewayTradeNo != n.GatewayTradeNo || !p.PaidAt.Equal(n.PaidAt) {
		t.Fatalf("query after paying = %+v, %v", p, err)
	}
	var ge *payment.GatewayError
	if _, err := b.client.CreatePayment(ctx, a); !errors.As(err, &ge) || ge.Code != "ORDER_PAID" {
		t.Fatalf("prepay of a paid trade: %v", err)
	}

	rr := payment.RefundRequest{Ref: a.Ref, RefundRef: payment.NewRef(), Amount: 800, Total: 8800, Reason: "测试",
		NotifyURL: b.notify.URL + "/callbacks/wechatpay"}
	rf, err := b.client.Refund(ctx, rr)
	if err != nil || rf.Status != payment.RefundProcessing || rf.GatewayRefundNo == "" || rf.Amount != 800 {
		t.Fatalf("Refund = %+v, %v", rf, err)
	}
	again, err := b.client.Refund(ctx, rr)
	if err != nil || again.GatewayRefundNo != rf.GatewayRefundNo {
		t.Fatalf("the same refund again = %+v, %v", again, err)
	}
	r = b.next(t)
	if r.err != nil || r.n.Kind != payment.NotifyRefund || r.n.RefundRef != rr.RefundRef || r.n.Refunded != 800 || r.n.Amount != 8800 ||
		r.n.RefundStatus != payment.RefundSucceeded || r.n.GatewayRefundNo != rf.GatewayRefundNo || r.n.RefundedAt.IsZero() {
		t.Fatalf("refund notification = %+v, %v", r.n, r.err)
	}
	q, err := b.client.QueryRefund(ctx, a.Ref, rr.RefundRef)
	if err != nil || q.Status != payment.RefundSucceeded || q.Amount != 800 || q.SucceededAt.IsZero() {
		t.Fatalf("QueryRefund = %+v, %v", q, err)
	}
	if _, err := b.client.QueryRefund(ctx, a.Ref, payment.NewRef()); !errors.Is(err, payment.ErrNotFound) {
		t.Fatalf("unknown refund: %v", err)
	}
	if tr, _ := b.gw.Trade(payment.WeChatPay, a.Ref); len(tr.Refunds) != 1 {
		t.Fatalf("sandbox holds refunds %+v", tr.Refunds)
	}
	if p, err := b.client.QueryPayment(ctx, a.Ref); err != nil || p.Status != payment.StatusRefunded {
		t.Fatalf("query after a refund = %+v, %v", p, err)
	}
	over := rr
	over.RefundRef, over.Amount = payment.NewRef(), 8001
	if _, err := b.client.Refund(ctx, over); !errors.As(err, &ge) || ge.Code != "INVALID_REQUEST" {
		t.Fatalf("refund over the rest: %v", err)
	}

	entries, err := b.client.Bill(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Kind != payment.BillPayment || entries[0].Amount != 8800 || entries[0].GatewayTradeNo != n.GatewayTradeNo ||
		entries[1].Kind != payment.BillRefund || entries[1].Amount != 800 || entries[1].RefundRef != rr.RefundRef || entries[1].Ref != a.Ref {
		t.Fatalf("bill = %+v", entries)
	}
	if entries, err := b.client.Bill(ctx, time.Now().AddDate(0, 0, -3)); err != nil || len(entries) != 0 {
		t.Fatalf("bill of a day without trades = %+v, %v", entries, err)
	}
}

func TestTamperedNotificationsAreRejected(t *testing.T) {
	t.Parallel()
	for _, tamper := range []sandboxgw.Tamper{sandboxgw.TamperSignature, sandboxgw.TamperAmount, sandboxgw.TamperForged, sandboxgw.TamperStale} {
		t.Run(string(tamper), func(t *testing.T) {
			t.Parallel()
			b := setup(t, sandboxgw.Options{})
			ctx := context.Background()
			a := b.attempt(999)
			if _, err := b.client.CreatePayment(ctx, a); err != nil {
				t.Fatal(err)
			}
			b.gw.Misbehave(a.Ref, sandboxgw.Behaviour{Tamper: tamper})
			if err := b.gw.Pay(payment.WeChatPay, a.Ref); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				r := b.next(t)
				var ne *payment.NotificationError
				if !errors.Is(r.err, payment.ErrBadSignature) || !errors.As(r.err, &ne) || ne.Gateway != payment.WeChatPay {
					t.Fatalf("tampered (%s) notification: %+v, %v", tamper, r.n, r.err)
				}
			}
			if err := b.gw.Settle(ctx); err != nil {
				t.Fatal(err)
			}
			for _, d := range b.gw.Deliveries() {
				if d.OK || d.Status != http.StatusInternalServerError || !strings.Contains(d.Answer, `"code":"FAIL"`) {
					t.Errorf("delivery %+v", d)
				}
			}
			if err := b.gw.Resend(payment.WeChatPay, a.Ref); err != nil {
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
	b := setup(t, sandboxgw.Options{})
	ctx := context.Background()
	other, err := sandboxgw.NewKeys()
	if err != nil {
		t.Fatal(err)
	}
	cfg := b.gw.WeChatConfig()
	cfg.PrivateKey = other.WeChatMerchantKey
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var ge *payment.GatewayError
	if _, err := c.QueryPayment(ctx, payment.NewRef()); !errors.As(err, &ge) || ge.Code != "SIGN_ERROR" || ge.HTTPStatus != http.StatusUnauthorized {
		t.Fatalf("wrong merchant key: %v", err)
	}
	wrong, err := sandboxgw.Start(sandboxgw.Options{Keys: other})
	if err != nil {
		t.Fatal(err)
	}
	defer wrong.Close(ctx)
	cfg = b.gw.WeChatConfig()
	cfg.PublicKey = wrong.WeChatConfig().PublicKey
	if c, err = wechatpay.New(cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreatePayment(ctx, b.attempt(1)); !errors.Is(err, payment.ErrBadSignature) {
		t.Fatalf("answer under the wrong WeChat Pay key: %v", err)
	}
	req := httptest.NewRequest(http.MethodPost, "/callbacks/wechatpay", strings.NewReader(`{"id":"x"}`))
	if _, err := b.client.ParseNotification(req); !errors.Is(err, payment.ErrBadSignature) {
		t.Fatalf("unsigned notification: %v", err)
	}
	rec := httptest.NewRecorder()
	b.client.Ack(rec, true)
	if rec.Code != http.StatusNoContent || rec.Body.Len() != 0 {
		t.Fatalf("Ack(true) = %d %q", rec.Code, rec.Body.String())
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	k, err := keys()
	if err != nil {
		t.Fatal(err)
	}
	good := wechatpay.Config{MchID: k.WeChatMchID, AppID: k.WeChatAppID, MerchantSerialNo: k.WeChatSerialNo, PrivateKey: k.WeChatMerchantKey,
		PublicKeyID: k.WeChatPublicKeyID, PublicKey: "", APIv3Key: k.WeChatAPIv3Key}
	if _, err := wechatpay.New(good); err == nil {
		t.Error("New accepted a config without the public key")
	}
	bad := good
	bad.APIv3Key = "short"
	if _, err := wechatpay.New(bad); err == nil {
		t.Error("New accepted a short APIv3 key")
	}
}
