package sandbox_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/provider/sms"
	"yuanxu/internal/provider/sms/aliyun"
	"yuanxu/internal/provider/sms/sandbox"
	"yuanxu/internal/provider/sms/tencent"
)

type bundle struct {
	srv    *sandbox.Server
	out    *sandbox.MemoryOutbox
	ln     *sandbox.Listener
	akID   string
	akKey  string
	tcID   string
	tcKey  string
	appID  string
	faults map[string]string // phone → code
}

func setup(t *testing.T) *bundle {
	t.Helper()
	b := &bundle{out: &sandbox.MemoryOutbox{}, appID: "1400000001", faults: map[string]string{}}
	b.akID, b.akKey = sandbox.NewCredential("LTAI")
	b.tcID, b.tcKey = sandbox.NewCredential("AKID")
	b.srv = &sandbox.Server{
		Aliyun: map[string]string{b.akID: b.akKey}, Tencent: map[string]string{b.tcID: b.tcKey}, TencentAppID: b.appID,
		Outbox: b.out, Fault: func(r sandbox.Received) string { return b.faults[r.Phone] },
	}
	ln, err := sandbox.Listen(b.srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close(context.Background()) })
	b.ln = ln
	return b
}

func msg(phone string) sms.Message {
	return sms.Message{Phone: phone, SignName: "元序", TemplateCode: "SMS_100", IdempotencyKey: "yx-key-1",
		Params: []sms.Param{{Name: "code", Value: "284913"}, {Name: "minutes", Value: "10"}}}
}

// rt rewrites requests after the client signed them.
type rt func(*http.Request)

func (f rt) RoundTrip(r *http.Request) (*http.Response, error) {
	f(r)
	return http.DefaultTransport.RoundTrip(r)
}

func (b *bundle) aliyun(secret string, mut func(*http.Request)) *aliyun.Client {
	c := &aliyun.Client{Endpoint: b.ln.URL, AccessKeyID: b.akID, AccessKeySecret: secret}
	if mut != nil {
		c.HTTP = &http.Client{Transport: rt(mut)}
	}
	return c
}

func (b *bundle) tencent(t *testing.T, key string, mut func(*http.Request)) *tencent.Client {
	t.Helper()
	cfg := tencent.Config{SecretID: b.tcID, SecretKey: key, AppID: b.appID, Endpoint: b.ln.Host, Insecure: true}
	if mut != nil {
		cfg.Transport = rt(mut)
	}
	c, err := tencent.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantCode(t *testing.T, err error, code string, retry bool) {
	t.Helper()
	var se *sms.Error
	if !errors.As(err, &se) || se.Code != code || se.Temporary() != retry {
		t.Fatalf("err = %v, want provider code %s (retry %v)", err, code, retry)
	}
}

func TestAliyunClientAgainstCheckingServer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	res, err := b.aliyun(b.akKey, nil).Send(ctx, msg("13812345678"))
	if err != nil {
		t.Fatal(err)
	}
	got := b.out.All()
	if len(got) != 1 || got[0].ProviderMessageID != res.ProviderMessageID || got[0].Phone != "13812345678" || got[0].TemplateCode != "SMS_100" ||
		got[0].SignName != "元序" || got[0].IdempotencyKey != "yx-key-1" || len(got[0].Params) != 2 || got[0].Params[0] != (sms.Param{Name: "code", Value: "284913"}) {
		t.Fatalf("outbox = %+v, result %+v", got, res)
	}
	tests := []struct {
		name   string
		client *aliyun.Client
		phone  string
		code   string
		retry  bool
	}{
		{"WrongSecret", b.aliyun("not-the-secret", nil), "13812345678", "SignatureDoesNotMatch", false},
		{"TamperedQuery", b.aliyun(b.akKey, func(r *http.Request) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "13812345678", "13900000000", 1)
		}), "13812345678", "SignatureDoesNotMatch", false},
		{"TamperedSignedHeader", b.aliyun(b.akKey, func(r *http.Request) { r.Header.Set("x-acs-version", "2017-05-26") }), "13812345678", "SignatureDoesNotMatch", false},
		{"UnsignedExtraACSHeader", b.aliyun(b.akKey, func(r *http.Request) { r.Header.Set("x-acs-extra", "1") }), "13812345678", "IncompleteSignature", false},
		{"BodyAdded", b.aliyun(b.akKey, func(r *http.Request) { r.Body = io.NopCloser(bytes.NewReader([]byte("x"))); r.ContentLength = 1 }), "13812345678", "ContentSHA256NotMatch", false},
		{"UnknownKey", &aliyun.Client{Endpoint: b.ln.URL, AccessKeyID: "LTAInobody", AccessKeySecret: b.akKey}, "13812345678", "InvalidAccessKeyId.NotFound", false},
		{"Stale", &aliyun.Client{Endpoint: b.ln.URL, AccessKeyID: b.akID, AccessKeySecret: b.akKey, Now: func() time.Time { return time.Now().Add(-20 * time.Minute) }}, "13812345678", "InvalidTimeStamp.Expired", false},
		{"Replay", &aliyun.Client{Endpoint: b.ln.URL, AccessKeyID: b.akID, AccessKeySecret: b.akKey, Nonce: func() string { return "fixed-nonce" }}, "13812345678", "SignatureNonceUsed", true},
		{"IllegalNumber", b.aliyun(b.akKey, nil), "0381234567", "isv.MOBILE_NUMBER_ILLEGAL", false},
		{"FlowControl", b.aliyun(b.akKey, nil), "13900000001", "isv.BUSINESS_LIMIT_CONTROL", true},
	}
	b.faults["13900000001"] = "isv.BUSINESS_LIMIT_CONTROL"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "Replay" {
				if _, err := tt.client.Send(ctx, msg(tt.phone)); err != nil {
					t.Fatalf("first use of the nonce: %v", err)
				}
			}
			_, err := tt.client.Send(ctx, msg(tt.phone))
			wantCode(t, err, tt.code, tt.retry)
		})
	}
	if n := len(b.out.All()); n != 2 {
		t.Errorf("outbox holds %d messages, want 2 (the first and the replay's first use)", n)
	}
}

func TestTencentClientAgainstCheckingServer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	m := msg("13812345678")
	res, err := b.tencent(t, b.tcKey, nil).Send(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	got := b.out.All()
	if len(got) != 1 || got[0].Provider != "tencent" || got[0].Phone != "+8613812345678" || got[0].ProviderMessageID != res.ProviderMessageID ||
		got[0].IdempotencyKey != "yx-key-1" || len(got[0].Params) != 2 || got[0].Params[1].Value != "10" {
		t.Fatalf("outbox = %+v", got)
	}
	b.faults["+8613900000001"] = "LimitExceeded.PhoneNumberDailyLimit"
	tests := []struct {
		name  string
		key   string
		mut   func(*http.Request)
		phone string
		code  string
		retry bool
	}{
		{"WrongKey", "wrong", nil, "13812345678", "AuthFailure.SignatureFailure", false},
		{"TamperedBody", b.tcKey, func(r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			body = bytes.Replace(body, []byte("284913"), []byte("000000"), 1)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}, "13812345678", "AuthFailure.SignatureFailure", false},
		{"StaleTimestamp", b.tcKey, func(r *http.Request) {
			r.Header.Set("X-TC-Timestamp", "1551113065")
		}, "13812345678", "AuthFailure.SignatureExpire", false},
		{"IncorrectNumber", b.tcKey, nil, "+861234", "InvalidParameterValue.IncorrectPhoneNumber", false},
		{"DailyLimit", b.tcKey, nil, "13900000001", "LimitExceeded.PhoneNumberDailyLimit", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.tencent(t, tt.key, tt.mut).Send(ctx, msg(tt.phone))
			wantCode(t, err, tt.code, tt.retry)
		})
	}
	if n := len(b.out.All()); n != 1 {
		t.Errorf("outbox holds %d messages, want 1", n)
	}
}

func TestNotAProviderRequest(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, err := http.Post(b.ln.URL, "text/plain", strings.NewReader("hi"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("status %d", resp.StatusCode)
	}
}
