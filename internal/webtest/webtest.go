// Package webtest boots the whole HTTP surface (web.NewServer) on a real
// app and database for tests, and talks to it with a small typed JSON
// client. The database engine is the one storetest.Open picks
// (YUANXU_TEST_DB); every server has its own database, so tests using it
// run in parallel.
//
// Accounts hash passwords with account.TestParams unless Options.Accounts
// says otherwise, so that a test can register and sign in many accounts
// quickly. Options.SandboxSMS and Options.SMTPURL wire the app's
// notifications to the embedded sandbox SMS provider and to an SMTP server
// (mailpit), so that codes travel the production path.
//
// A sandbox server also runs the sandbox payment gateway (Server.Gateway,
// package sandboxgw), configured as the app's Alipay and WeChat Pay with
// notifications to the server's own /callbacks/alipay and
// /callbacks/wechatpay (unless Options.Callbacks names them), so that a
// test pays through the production clients and verification. Its
// notifications are retried after 50 ms to 400 ms rather than on the
// gateways' schedules.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/notify"
	"yuanxu/internal/provider/email"
	"yuanxu/internal/provider/payment"
	"yuanxu/internal/provider/payment/sandboxgw"
	"yuanxu/internal/store/storetest"
	"yuanxu/internal/web"
)

// Options tune a test server; nil means defaults (not sandbox).
type Options struct {
	Sandbox        bool
	SandboxStart   time.Time // zero: wall time
	Logger         *slog.Logger
	Auth           web.Authenticator
	TrustedProxies []netip.Prefix
	MaxBodyBytes   int64
	Callbacks      map[string]http.Handler
	TLS            bool
	Version        string
	// BeforeStart runs after the app is built and configured and before
	// it starts: register sweeps and the like here.
	BeforeStart func(a *app.App)
	// Accounts replaces the account configuration; nil means cheap
	// hashing (account.TestParams) and the default throttle.
	Accounts *app.AccountConfig
	// SandboxSMS starts the embedded sandbox SMS provider (aliyun
	// protocol) and sends the app's SMS through it: what it receives is
	// in the sandbox SMS outbox (Server.SMSCode).
	SandboxSMS bool
	// SMTPURL sends the app's email to this SMTP server, e.g. a mailpit
	// started with mailpittest ("smtp://127.0.0.1:port?tls=none").
	SMTPURL string
}

// Server is a running test server.
type Server struct {
	URL     string // base URL, no trailing slash
	App     *app.App
	SMS     *app.SandboxSMS // with Options.SandboxSMS
	Metrics *prometheus.Registry
	Handler http.Handler
	HTTP    *httptest.Server
	// Client does not follow redirects and keeps no cookies.
	Client *http.Client

	// Gateway is the sandbox payment gateway of a sandbox server (nil
	// otherwise): Pay, Misbehave, Replay, CashierURL…
	Gateway *sandboxgw.Server
}

// NewServer builds an app on a fresh database, starts it, and serves
// web.NewServer on a loopback httptest server. Everything stops at cleanup.
func NewServer(t testing.TB, opts *Options) *Server {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	ctx := context.Background()
	db := storetest.Open(t)
	secrets, err := app.NewSecrets()
	if err != nil {
		t.Fatalf("secrets: %v", err)
	}
	reg := prometheus.NewRegistry()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := app.Config{
		DB: db, Logger: log, Secrets: secrets, Sandbox: opts.Sandbox, SandboxStart: opts.SandboxStart, Metrics: reg,
	}
	notifying := opts.SandboxSMS || opts.SMTPURL != ""
	if notifying {
		cfg.Jobs.PollInterval = 50 * time.Millisecond // codes arrive quickly
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	acfg := app.AccountConfig{Hash: account.TestParams}
	if opts.Accounts != nil {
		acfg = *opts.Accounts
	}
	if err := a.ConfigureAccounts(acfg); err != nil {
		t.Fatalf("ConfigureAccounts: %v", err)
	}
	srv := &Server{App: a, Metrics: reg}
	if notifying {
		srv.SMS = configureNotify(t, a, opts)
	}
	if opts.BeforeStart != nil {
		opts.BeforeStart(a)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatalf("app.Start: %v", err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Stop(sctx); err != nil {
			t.Errorf("app.Stop: %v", err)
		}
	})
	version := opts.Version
	if version == "" {
		version = "test"
	}
	callbacks := opts.Callbacks
	if opts.Sandbox {
		callbacks = gatewayCallbacks(a, opts.Callbacks)
	}
	h, err := web.NewServer(web.Config{
		App: a, Logger: log, Metrics: reg, TrustedProxies: opts.TrustedProxies, Version: version,
		MaxBodyBytes: opts.MaxBodyBytes, Callbacks: callbacks, Auth: opts.Auth, TLS: opts.TLS,
	})
	if err != nil {
		t.Fatalf("web.NewServer: %v", err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	c := hs.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.Timeout = 30 * time.Second
	srv.URL, srv.Handler, srv.HTTP, srv.Client = hs.URL, h, hs, c
	if opts.Sandbox {
		srv.Gateway = startGateway(t, a, hs.URL)
	}
	return srv
}

// gatewayCallbacks is given plus the gateways' notification endpoints,
// as serve mounts them (cmd/yuanxu/gateways.go).
func gatewayCallbacks(a *app.App, given map[string]http.Handler) map[string]http.Handler {
	out := map[string]http.Handler{}
	for _, name := range []string{payment.Alipay, payment.WeChatPay} {
		out[name] = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { a.ServeGatewayNotification(w, r, name) })
	}
	for name, h := range given {
		out[name] = h
	}
	return out
}

// gatewayKeys are the sandbox gateway's keys, generated once per test
// binary: four RSA-2048 key pairs per server would slow every sandbox test.
var gatewayKeys = sync.OnceValues(sandboxgw.NewKeys)

// startGateway starts the sandbox gateway with the app's clock, configures
// the app's gateways against it with notifications to base, and closes it
// at cleanup (before the HTTP server). It is App.StartSandboxGateway with
// shared keys and short notification retries.
func startGateway(t testing.TB, a *app.App, base string) *sandboxgw.Server {
	t.Helper()
	keys, err := gatewayKeys()
	if err != nil {
		t.Fatalf("sandbox gateway keys: %v", err)
	}
	retry := []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond}
	gw, err := sandboxgw.Start(sandboxgw.Options{Keys: keys, Now: a.Now, AlipayRetry: retry, WeChatRetry: retry})
	if err != nil {
		t.Fatalf("sandbox gateway: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = gw.Close(ctx)
	})
	accs, err := app.GatewayAccountsFor(gw)
	if err != nil {
		t.Fatalf("sandbox gateway clients: %v", err)
	}
	a.ConfigureGateways(app.GatewayConfig{Accounts: accs, NotifyBase: base, ReturnBase: base})
	return gw
}

// configureNotify wires the app's SMS to a sandbox provider and its email
// to opts.SMTPURL.
func configureNotify(t testing.TB, a *app.App, opts *Options) *app.SandboxSMS {
	t.Helper()
	nc := app.NotifyConfig{MessageIDDomain: "yuanxu.test", Brand: "元序 yuanxu",
		Retry: notify.RetryPolicy{Base: 50 * time.Millisecond, Max: time.Second, MaxAttempts: 3}}
	var sb *app.SandboxSMS
	if opts.SandboxSMS {
		var err error
		if sb, err = a.StartSandboxSMS("aliyun"); err != nil {
			t.Fatalf("sandbox SMS: %v", err)
		}
		t.Cleanup(func() { _ = sb.Close(context.Background()) })
		nc.SMS, nc.SMSCodes, nc.SMSSignName = sb.Sender, sb.Codes, "元序"
	} else {
		nc.Unconfigured = "no SMS provider in this test"
	}
	if opts.SMTPURL != "" {
		ep, err := email.ParseURL(opts.SMTPURL)
		if err != nil {
			t.Fatalf("SMTPURL: %v", err)
		}
		if nc.Email, err = email.New(email.Config{Endpoint: ep, From: "元序 <noreply@yuanxu.test>", Timeout: 5 * time.Second}); err != nil {
			t.Fatalf("email: %v", err)
		}
	} else {
		nc.Unconfigured = "no SMTP server in this test"
	}
	if err := a.ConfigureNotify(nc); err != nil {
		t.Fatalf("ConfigureNotify: %v", err)
	}
	return sb
}

// Do sends one request. body is sent as is when it is a string, []byte or
// io.Reader, else marshalled to JSON (with Content-Type application/json
// unless headers set one); nil sends no body. headers are name, value
// pairs. Transport failures fail the test.
func (s *Server) Do(t testing.TB, method, path string, body any, headers ...string) *Response {
	t.Helper()
	return s.do(t, s.Client, nil, method, path, body, headers...)
}

func (s *Server) do(t testing.TB, hc *http.Client, base http.Header, method, path string, body any, headers ...string) *Response {
	t.Helper()
	if len(headers)%2 != 0 {
		t.Fatalf("webtest.Do: headers must be name, value pairs: %q", headers)
	}
	var rd io.Reader
	isJSON := false
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatalf("webtest.Do: marshal body: %v", err)
		}
		rd, isJSON = bytes.NewReader(buf), true
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		t.Fatalf("webtest.Do: %v", err)
	}
	if isJSON {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range base {
		req.Header[k] = append([]string(nil), vs...)
	}
	for i := 0; i < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return &Response{Status: res.StatusCode, Header: res.Header, Body: b}
}

// Response is a fully read response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Cookie returns the value of the cookie the response sets, and whether
// it sets one (an empty value with Max-Age<0 clears it).
func (r *Response) Cookie(name string) (string, bool) {
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			return c.Value, true
		}
	}
	return "", false
}

// MediaType is the response's Content-Type without parameters.
func (r *Response) MediaType() string {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt
}

// JSON decodes the body into v, failing the test if it is not JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if mt := r.MediaType(); mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		t.Fatalf("response is %q, not JSON (status %d): %s", mt, r.Status, r.Body)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, r.Body)
	}
}

// Decode decodes the body of a response with status want into a T.
func Decode[T any](t testing.TB, r *Response, want int) T {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
	var v T
	r.JSON(t, &v)
	return v
}

// Problem is the wire form of application/problem+json.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Code      string         `json:"code"`
	Detail    string         `json:"detail"`
	Errors    []FieldProblem `json:"errors"`
	RequestID string         `json:"request_id"`
}

// FieldProblem is one entry of Problem.Errors.
type FieldProblem struct {
	Field   string         `json:"field"`
	Rule    string         `json:"rule"`
	Message string         `json:"message"`
	Params  map[string]any `json:"params"`
}

// Field returns the first entry about field.
func (p Problem) Field(field string) (FieldProblem, bool) {
	for _, f := range p.Errors {
		if f.Field == field {
			return f, true
		}
	}
	return FieldProblem{}, false
}

// Problem decodes a problem+json body, failing the test unless the
// response is one whose status field matches the HTTP status, whose type
// URI ends in its code, and which carries the X-Request-Id.
func (r *Response) Problem(t testing.TB) Problem {
	t.Helper()
	if mt := r.MediaType(); mt != web.ProblemContentType {
		t.Fatalf("content type %q, want %s (status %d): %s", mt, web.ProblemContentType, r.Status, r.Body)
	}
	var p Problem
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("decode problem: %v: %s", err, r.Body)
	}
	switch {
	case p.Status != r.Status:
		t.Errorf("problem status %d, HTTP status %d", p.Status, r.Status)
	case p.Code == "" || p.Type != web.ProblemTypeBase+p.Code:
		t.Errorf("problem type %q does not match code %q", p.Type, p.Code)
	case p.Title == "" || p.Detail == "":
		t.Errorf("problem without title or detail: %s", r.Body)
	case p.Errors == nil:
		t.Errorf("problem errors is null, want a list: %s", r.Body)
	case p.RequestID == "" || p.RequestID != r.Header.Get("X-Request-Id"):
		t.Errorf("problem request_id %q, X-Request-Id %q", p.RequestID, r.Header.Get("X-Request-Id"))
	}
	for _, f := range p.Errors {
		if f.Field == "" || f.Rule == "" || f.Message == "" {
			t.Errorf("incomplete field problem %+v", f)
		}
	}
	return p
}
