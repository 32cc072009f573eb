package sandboxgw_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/provider/payment"
	"yuanxu/internal/provider/payment/sandboxgw"
)

func TestAlipayContent(t *testing.T) {
	t.Parallel()
	// The parameters of Alipay's "自行实现签名" walk-through, in its order.
	v := url.Values{
		"method": {"alipay.mobile.public.menu.add"}, "charset": {"GBK"}, "sign_type": {"RSA2"},
		"timestamp": {"2014-07-24 03:07:50"}, "biz_content": {`{"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"}]}`},
		"sign": {"ignored"}, "version": {"1.0"}, "app_id": {"2014072300007148"}, "empty": {""},
	}
	got, err := sandboxgw.AlipayContent(v, "sign")
	want := `app_id=2014072300007148&biz_content={"button":[{"actionParam":"ZFB_HFCZ","actionType":"out","name":"话费充值"}]}&charset=GBK&method=alipay.mobile.public.menu.add&sign_type=RSA2&timestamp=2014-07-24 03:07:50&version=1.0`
	if err != nil || got != want {
		t.Fatalf("AlipayContent =\n%s\nwant\n%s (%v)", got, want, err)
	}
	got, _ = sandboxgw.AlipayContent(v, "sign", "sign_type")
	if strings.Contains(got, "sign_type") {
		t.Errorf("sign_type not omitted: %s", got)
	}
	// Sorted by name, not by "name=value": "a" before "a1".
	if got, _ := sandboxgw.AlipayContent(url.Values{"a1": {"x"}, "a": {"y"}}); got != "a=y&a1=x" {
		t.Errorf("name order: %s", got)
	}
	if _, err := sandboxgw.AlipayContent(url.Values{"a": {"1", "2"}}); err == nil {
		t.Error("a repeated parameter was signed")
	}
}

func TestWeChatMessage(t *testing.T) {
	t.Parallel()
	// WeChat Pay's documented example of a GET's signed message.
	got := sandboxgw.WeChatMessage("GET", "/v3/certificates", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", "")
	if want := "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"; got != want {
		t.Fatalf("WeChatMessage = %q, want %q", got, want)
	}
}

func key(t *testing.T, p string) *rsa.PrivateKey {
	t.Helper()
	b, _ := pem.Decode([]byte(p))
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k.(*rsa.PrivateKey)
}

func sign(t *testing.T, k *rsa.PrivateKey, msg string) string {
	t.Helper()
	h := sha256.Sum256([]byte(msg))
	s, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(s)
}

// TestAlipayRequestsVerified sends hand-signed gateway.do requests: the
// sandbox accepts a correct signature and refuses a wrong key, a change
// after signing and another app.
func TestAlipayRequestsVerified(t *testing.T) {
	t.Parallel()
	gw := start(t, sandboxgw.Options{})
	k := gw.Keys()
	app := key(t, k.AlipayAppPrivateKey)
	other := key(t, k.WeChatMerchantKey) // any key but the app's
	params := func() url.Values {
		return url.Values{"app_id": {k.AlipayAppID}, "method": {"alipay.trade.query"}, "format": {"JSON"}, "charset": {"utf-8"},
			"sign_type": {"RSA2"}, "timestamp": {time.Now().In(payment.China).Format("2006-01-02 15:04:05")}, "version": {"1.0"},
			"biz_content": {`{"out_trade_no":"` + payment.NewRef() + `"}`}}
	}
	signed := func(v url.Values, with *rsa.PrivateKey) url.Values {
		c, err := sandboxgw.AlipayContent(v, "sign")
		if err != nil {
			t.Fatal(err)
		}
		v.Set("sign", sign(t, with, c))
		return v
	}
	tests := []struct {
		name string
		form url.Values
		sub  string
	}{
		{"Good", signed(params(), app), "ACQ.TRADE_NOT_EXIST"},
		{"WrongKey", signed(params(), other), "isv.invalid-signature"},
		{"ChangedAfterSigning", func() url.Values {
			v := signed(params(), app)
			v.Set("biz_content", `{"out_trade_no":"x"}`)
			return v
		}(), "isv.invalid-signature"},
		{"OtherApp", func() url.Values {
			v := params()
			v.Set("app_id", "2021000000000000")
			return signed(v, app)
		}(), "isv.invalid-app-id"},
		{"NoSign", params(), "isv.missing-signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.PostForm(gw.URL()+"/gateway.do", tt.form)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var out map[string]json.RawMessage
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				t.Fatal(err)
			}
			var inner struct {
				SubCode string `json:"sub_code"`
			}
			if err := json.Unmarshal(out["alipay_trade_query_response"], &inner); err != nil || inner.SubCode != tt.sub || len(out["sign"]) == 0 {
				t.Fatalf("answer %s, want sub_code %s", out["alipay_trade_query_response"], tt.sub)
			}
		})
	}
}

// TestWeChatRequestsVerified sends hand-signed API v3 requests.
func TestWeChatRequestsVerified(t *testing.T) {
	t.Parallel()
	gw := start(t, sandboxgw.Options{})
	k := gw.Keys()
	mch := key(t, k.WeChatMerchantKey)
	other := key(t, k.AlipayAppPrivateKey)
	uri := "/v3/pay/transactions/out-trade-no/" + payment.NewRef() + "?mchid=" + k.WeChatMchID
	do := func(with *rsa.PrivateKey, ts time.Time, nonce, signedURI string) (int, string, http.Header) {
		t.Helper()
		tss := strconv.FormatInt(ts.Unix(), 10)
		sig := sign(t, with, sandboxgw.WeChatMessage("GET", signedURI, tss, nonce, ""))
		req, _ := http.NewRequest(http.MethodGet, gw.URL()+uri, nil)
		req.Header.Set("Authorization", fmt.Sprintf(`WECHATPAY2-SHA256-RSA2048 mchid="%s",nonce_str="%s",timestamp="%s",serial_no="%s",signature="%s"`,
			k.WeChatMchID, nonce, tss, k.WeChatSerialNo, sig))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	code, body, h := do(mch, time.Now(), "nonce-1", uri)
	if code != http.StatusNotFound || !strings.Contains(body, "ORDER_NOT_EXIST") || h.Get("Wechatpay-Signature") == "" ||
		h.Get("Wechatpay-Serial") != k.WeChatPublicKeyID {
		t.Fatalf("good request: %d %s %v", code, body, h)
	}
	for name, tc := range map[string]struct {
		key   *rsa.PrivateKey
		ts    time.Time
		nonce string
		uri   string
	}{
		"WrongKey":      {other, time.Now(), "nonce-2", uri},
		"ReusedNonce":   {mch, time.Now(), "nonce-1", uri},
		"Stale":         {mch, time.Now().Add(-6 * time.Minute), "nonce-3", uri},
		"OtherURI":      {mch, time.Now(), "nonce-4", strings.Replace(uri, "mchid=", "mchid=1", 1)},
		"FromTheFuture": {mch, time.Now().Add(6 * time.Minute), "nonce-5", uri},
	} {
		if code, body, _ := do(tc.key, tc.ts, tc.nonce, tc.uri); code != http.StatusUnauthorized || !strings.Contains(body, "SIGN_ERROR") {
			t.Errorf("%s: %d %s", name, code, body)
		}
	}
}

func TestCashierPage(t *testing.T) {
	t.Parallel()
	s := newSUT(t, payment.WeChatPay, sandboxgw.Options{})
	ref := s.create(t, 100)
	resp, err := http.Get(s.gw.CashierURL(payment.WeChatPay, ref))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.Contains(strings.ToLower(string(b)), "<script") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") || !strings.Contains(string(b), `id="pay"`) {
		t.Fatalf("cashier: %d %v\n%s", resp.StatusCode, resp.Header, b)
	}
	resp, err = http.Get(s.gw.URL() + "/cashier/nosuchtoken")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown cashier: %d", resp.StatusCode)
	}
}
