package wechatpay_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"yuanxu/internal/provider/payment"
	"yuanxu/internal/provider/payment/sandboxgw"
	"yuanxu/internal/provider/payment/wechatpay"
)

type captured struct {
	body   []byte
	header http.Header
}

// realNotifications drives a sandbox through a payment, a refund and an
// out-of-order close, and returns a client with the notifications (body
// and headers) the sandbox sent.
func realNotifications(f *testing.F) (*wechatpay.Client, []captured) {
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
	var got []captured
	capture := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, captured{b, r.Header.Clone()})
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	f.Cleanup(capture.Close)
	c, err := wechatpay.New(gw.WeChatConfig())
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	refs := []string{payment.NewRef(), payment.NewRef()}
	for _, ref := range refs {
		if _, err := c.CreatePayment(ctx, payment.Attempt{Ref: ref, Amount: 4200, Subject: "带宽 \"100M\"", Kind: payment.KindQR, NotifyURL: capture.URL}); err != nil {
			f.Fatal(err)
		}
	}
	gw.Misbehave(refs[1], sandboxgw.Behaviour{Order: sandboxgw.OrderClosedAfterPaid})
	for _, ref := range refs {
		if err := gw.Pay(payment.WeChatPay, ref); err != nil {
			f.Fatal(err)
		}
	}
	if _, err := c.Refund(ctx, payment.RefundRequest{Ref: refs[0], RefundRef: payment.NewRef(), Amount: 200, Total: 4200, NotifyURL: capture.URL}); err != nil {
		f.Fatal(err)
	}
	if err := gw.Settle(ctx); err != nil {
		f.Fatal(err)
	}
	if len(got) != 4 {
		f.Fatalf("the sandbox sent %d notifications, want 4", len(got))
	}
	return c, got
}

func request(body []byte, ts, nonce, sig, serial string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/callbacks/wechatpay", bytes.NewReader(body))
	r.Header.Set("Wechatpay-Timestamp", ts)
	r.Header.Set("Wechatpay-Nonce", nonce)
	r.Header.Set("Wechatpay-Signature", sig)
	r.Header.Set("Wechatpay-Serial", serial)
	return r
}

// signedKey is what a WeChat Pay signature covers, normalised the way the
// verifier reads the headers (trimmed; the timestamp as a number).
func signedKey(body []byte, ts, nonce string) string {
	n, err := strconv.ParseInt(strings.TrimSpace(ts), 10, 64)
	if err != nil {
		return ""
	}
	return sandboxgw.WeChatMessage(strconv.FormatInt(n, 10), strings.TrimSpace(nonce), string(body))
}

// FuzzWeChatNotification: ParseNotification never panics, refuses with a
// typed error, and accepts only a (timestamp, nonce, body) the sandbox
// signed, decoding to what that notification said.
func FuzzWeChatNotification(f *testing.F) {
	c, got := realNotifications(f)
	signed := map[string]payment.Notification{}
	for _, g := range got {
		h := g.header
		ts, nonce, sig, serial := h.Get("Wechatpay-Timestamp"), h.Get("Wechatpay-Nonce"), h.Get("Wechatpay-Signature"), h.Get("Wechatpay-Serial")
		n, err := c.ParseNotification(request(g.body, ts, nonce, sig, serial))
		if err != nil {
			f.Fatalf("a real notification was refused: %v\n%s", err, g.body)
		}
		signed[signedKey(g.body, ts, nonce)] = n
		f.Add(g.body, ts, nonce, sig, serial)
	}
	f.Fuzz(func(t *testing.T, body []byte, ts, nonce, sig, serial string) {
		n, err := c.ParseNotification(request(body, ts, nonce, sig, serial))
		if err != nil {
			var ne *payment.NotificationError
			if !errors.As(err, &ne) || (!errors.Is(err, payment.ErrBadSignature) && !errors.Is(err, payment.ErrMalformed)) {
				t.Fatalf("untyped refusal: %v", err)
			}
			return
		}
		want, ok := signed[signedKey(body, ts, nonce)]
		if !ok {
			t.Fatalf("accepted a notification nobody signed: ts %q nonce %q\n%s", ts, nonce, body)
		}
		if n.Ref != want.Ref || n.Amount != want.Amount || n.Status != want.Status || n.Kind != want.Kind || n.ID != want.ID ||
			n.GatewayTradeNo != want.GatewayTradeNo || n.RefundRef != want.RefundRef || n.Refunded != want.Refunded {
			t.Fatalf("accepted %+v, signed %+v", n, want)
		}
	})
}
