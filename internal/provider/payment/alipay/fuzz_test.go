package alipay_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/provider/payment/alipay"
	"yuanxu/internal/provider/payment/sandboxgw"
)

// realNotifications drives a sandbox through a payment, a partial and a
// full refund, a cancelled trade and an out-of-order close, and returns
// a client with the notification bodies the sandbox sent.
func realNotifications(f *testing.F) (*alipay.Client, [][]byte) {
	f.Helper()
	k, err := keys()
	if err != nil {
		f.Fatal(err)
	}
	gw, err := sandboxgw.Start(sandboxgw.Options{Keys: k})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { gw.Close(context.Background()) })
	var mu sync.Mutex
	var bodies [][]byte
	capture := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, b)
		mu.Unlock()
		io.WriteString(w, "success")
	}))
	f.Cleanup(capture.Close)
	c, err := alipay.New(gw.AlipayConfig())
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	attempt := func(amount money.Fen) string {
		ref := payment.NewRef()
		if _, err := c.CreatePayment(ctx, payment.Attempt{Ref: ref, Amount: amount, Subject: "云服务器 & 带宽=1", Kind: payment.KindQR, NotifyURL: capture.URL}); err != nil {
			f.Fatal(err)
		}
		return ref
	}
	paid := attempt(12300)
	if err := gw.Pay(payment.Alipay, paid); err != nil {
		f.Fatal(err)
	}
	for _, amount := range []money.Fen{300, 12000} {
		if _, err := c.Refund(ctx, payment.RefundRequest{Ref: paid, RefundRef: payment.NewRef(), Amount: amount, Total: 12300}); err != nil {
			f.Fatal(err)
		}
	}
	late := attempt(12300)
	gw.Misbehave(late, sandboxgw.Behaviour{Order: sandboxgw.OrderClosedAfterPaid})
	if err := gw.Pay(payment.Alipay, late); err != nil {
		f.Fatal(err)
	}
	cancelled := attempt(12300)
	resp, err := http.PostForm(gw.CashierURL(payment.Alipay, cancelled), url.Values{"action": {"cancel"}})
	if err != nil {
		f.Fatal(err)
	}
	resp.Body.Close()
	if err := gw.Settle(ctx); err != nil {
		f.Fatal(err)
	}
	if len(bodies) != 6 {
		f.Fatalf("the sandbox sent %d notifications, want 6", len(bodies))
	}
	return c, bodies
}

// FuzzAlipayNotification: ParseNotification never panics, refuses with a
// typed error, and accepts only what the gateway signed — the signed
// content of an accepted body is one the sandbox signed, and it decodes
// to what that notification said.
func FuzzAlipayNotification(f *testing.F) {
	c, bodies := realNotifications(f)
	signed := map[string]payment.Notification{}
	for _, b := range bodies {
		n, err := c.ParseNotification(httptest.NewRequest(http.MethodPost, "/callbacks/alipay", bytes.NewReader(b)))
		if err != nil {
			f.Fatalf("a real notification was refused: %v\n%s", err, b)
		}
		signed[content(f, b)] = n
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := c.ParseNotification(httptest.NewRequest(http.MethodPost, "/callbacks/alipay", bytes.NewReader(body)))
		if err != nil {
			var ne *payment.NotificationError
			if !errors.As(err, &ne) || (!errors.Is(err, payment.ErrBadSignature) && !errors.Is(err, payment.ErrMalformed)) {
				t.Fatalf("untyped refusal: %v", err)
			}
			return
		}
		want, ok := signed[content(t, body)]
		if !ok {
			t.Fatalf("accepted a notification nobody signed:\n%s", body)
		}
		if n.Ref != want.Ref || n.Amount != want.Amount || n.Status != want.Status || n.Kind != want.Kind || n.ID != want.ID ||
			n.GatewayTradeNo != want.GatewayTradeNo || n.RefundRef != want.RefundRef || n.Refunded != want.Refunded || n.AppID != want.AppID {
			t.Fatalf("accepted %+v, signed %+v", n, want)
		}
	})
}

// content is the signed content of a notification body, by the sandbox's
// own rule.
func content(tb testing.TB, body []byte) string {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		tb.Fatalf("an accepted body is no form: %v", err)
	}
	v.Del("alipay_cert_sn")
	s, err := sandboxgw.AlipayContent(v, "sign", "sign_type")
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
