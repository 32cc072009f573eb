package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/web"
	"yuanxu/internal/webtest"
)

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	plain := webtest.NewServer(t, nil)
	tls := webtest.NewServer(t, &webtest.Options{TLS: true})
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "strict-origin-when-cross-origin",
	}
	for _, path := range []string{"/healthz", "/api/v1/meta", "/api/v1/nope", "/no/such/page"} {
		for name, s := range map[string]*webtest.Server{"plain": plain, "tls": tls} {
			res := s.Do(t, "GET", path, nil)
			for h, v := range want {
				if got := res.Header.Get(h); got != v {
					t.Errorf("%s %s: %s = %q, want %q", name, path, h, got, v)
				}
			}
			if res.Header.Get("Permissions-Policy") == "" {
				t.Errorf("%s %s: no Permissions-Policy", name, path)
			}
			hsts := res.Header.Get("Strict-Transport-Security")
			if (name == "tls") != (hsts != "") {
				t.Errorf("%s %s: Strict-Transport-Security = %q", name, path, hsts)
			}
		}
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, nil)
	tests := []struct {
		name, inbound string
		kept          bool
	}{
		{"generated", "", false},
		{"sane inbound kept", "lb-1234.abc:5_x", true},
		{"too long replaced", strings.Repeat("a", 65), false},
		{"unsafe replaced", "abc\"def", false},
		{"spaces replaced", "a b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var h []string
			if tt.inbound != "" {
				h = []string{"X-Request-Id", tt.inbound}
			}
			res := s.Do(t, "GET", "/api/v1/nope", nil, h...)
			got := res.Header.Get("X-Request-Id")
			if (got == tt.inbound) != tt.kept || got == "" {
				t.Errorf("X-Request-Id = %q for inbound %q", got, tt.inbound)
			}
			if p := res.Problem(t); p.RequestID != got {
				t.Errorf("request_id %q, header %q", p.RequestID, got)
			}
		})
	}
}

func TestClientAddr(t *testing.T) {
	t.Parallel()
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"direct client", "203.0.113.7:5555", nil, "203.0.113.7"},
		{"untrusted peer's header ignored", "203.0.113.7:5555", []string{"198.51.100.1"}, "203.0.113.7"},
		{"one trusted proxy", "10.0.0.2:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client spoofs leftmost", "10.0.0.2:80", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"two trusted hops", "10.0.0.2:80", []string{"198.51.100.1, 10.1.1.1"}, "198.51.100.1"},
		{"several header lines", "10.0.0.2:80", []string{"1.2.3.4", "198.51.100.1, 10.9.9.9"}, "198.51.100.1"},
		{"all trusted: leftmost", "10.0.0.2:80", []string{"10.3.3.3, 10.1.1.1"}, "10.3.3.3"},
		{"trusted peer, no header", "10.0.0.2:80", nil, "10.0.0.2"},
		{"garbage stops the walk", "10.0.0.2:80", []string{"198.51.100.1, garbage"}, "10.0.0.2"},
		{"garbage behind a trusted hop", "10.0.0.2:80", []string{"garbage, 10.1.1.1"}, "10.1.1.1"},
		{"ipv6 peer and hop", "[fd00::1]:443", []string{"2001:db8::5"}, "2001:db8::5"},
		{"hop with port", "10.0.0.2:80", []string{"198.51.100.1:1234"}, "198.51.100.1"},
		{"bracketed v6 hop", "10.0.0.2:80", []string{"[2001:db8::9]"}, "2001:db8::9"},
		{"v4-mapped peer unmapped", "[::ffff:203.0.113.9]:80", nil, "203.0.113.9"},
		{"unparsable peer", "nonsense", nil, ""},
		{"empty hop entries", "10.0.0.2:80", []string{"198.51.100.1, "}, "10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := web.ClientAddr(tt.remote, tt.xff, trusted); got != tt.want {
				t.Errorf("ClientAddr(%q, %q) = %q, want %q", tt.remote, tt.xff, got, tt.want)
			}
		})
	}
}

func TestCrossOriginProtection(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true, SandboxStart: sandboxStart, Callbacks: map[string]http.Handler{
		"testpay": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); w.Write([]byte("success")) }),
	}})
	form := "advance=1h"
	crossSite := []string{"Content-Type", "application/x-www-form-urlencoded", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}
	tests := []struct {
		name    string
		path    string
		headers []string
		blocked bool
	}{
		{"cross-site form POST to the API", "/api/v1/sandbox/clock", crossSite, true},
		{"cross-site form POST to a page", "/login", crossSite, true},
		{"cross-origin without fetch metadata", "/api/v1/sandbox/clock", []string{"Origin", "https://evil.example"}, true},
		{"same-origin", "/api/v1/sandbox/clock", []string{"Content-Type", "application/json", "Sec-Fetch-Site", "same-origin"}, false},
		{"non-browser client", "/api/v1/sandbox/clock", []string{"Content-Type", "application/json"}, false},
		{"bearer token exempt", "/api/v1/sandbox/clock", append([]string{"Authorization", "Bearer k"}, crossSite...), false},
		{"callbacks exempt", "/callbacks/testpay", crossSite, false},
	}
	t.Run("Requests", func(t *testing.T) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				res := s.Do(t, "POST", tt.path, form, tt.headers...)
				blocked := res.Status == http.StatusForbidden
				if blocked != tt.blocked {
					t.Fatalf("status %d, blocked=%v want %v: %s", res.Status, blocked, tt.blocked, res.Body)
				}
				if blocked {
					if p := res.Problem(t); p.Code != "request.cross_origin" {
						t.Errorf("code %q", p.Code)
					}
				}
			})
		}
	})
	if hits.Load() != 1 {
		t.Errorf("callback ran %d times, want 1", hits.Load())
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, &webtest.Options{Callbacks: map[string]http.Handler{
		"boom": http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("kaboom") }),
	}})
	for _, lang := range languages {
		res := s.Do(t, "POST", "/callbacks/boom", "x", lang.header...)
		p := res.Problem(t)
		if res.Status != 500 || p.Code != "internal" {
			t.Fatalf("got %d %s", res.Status, p.Code)
		}
		if strings.Contains(string(res.Body), "kaboom") {
			t.Error("the panic value leaks into the response")
		}
		if !strings.Contains(p.Detail, p.RequestID) {
			t.Errorf("detail %q does not quote the request id", p.Detail)
		}
		checkLanguage(t, p, lang.han)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, nil)
	if res := s.Do(t, "GET", "/healthz", nil); res.Status != 200 || strings.TrimSpace(string(res.Body)) != "ok" {
		t.Errorf("healthz: %d %q", res.Status, res.Body)
	}
	if res := s.Do(t, "GET", "/readyz", nil); res.Status != 200 {
		t.Errorf("readyz: %d %s", res.Status, res.Body)
	}
	s.Do(t, "GET", "/api/v1/meta", nil)
	s.Do(t, "GET", "/api/v1/secret/path/12345", nil)
	res := s.Do(t, "GET", "/metrics", nil)
	if res.Status != 200 {
		t.Fatalf("metrics: %d", res.Status)
	}
	body := string(res.Body)
	for _, want := range []string{
		`yuanxu_http_requests_total{method="GET",route="/api/v1/meta",status_class="2xx"} 1`,
		`yuanxu_http_requests_total{method="GET",route="unmatched",status_class="4xx"} 1`,
		`yuanxu_http_request_duration_seconds_count{method="GET",route="/api/v1/meta",status_class="2xx"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(body, "12345") {
		t.Error("a raw path leaked into the metric labels")
	}
}

func TestReadyzFailsWhenDatabaseIsDown(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, nil)
	s.App.DB().Close()
	for _, lang := range languages {
		res := s.Do(t, "GET", "/readyz", nil, lang.header...)
		p := res.Problem(t)
		if res.Status != 503 || p.Code != "server.not_ready" {
			t.Errorf("readyz with the database closed: %d %s", res.Status, p.Code)
		}
		checkLanguage(t, p, lang.han)
	}
	if res := s.Do(t, "GET", "/healthz", nil); res.Status != 200 {
		t.Errorf("healthz touched the database: %d", res.Status)
	}
}

// fakeAuth accepts session "good-session" and API key "good-key".
type fakeAuth struct{ fail bool }

var errRejected = &errs.Error{Kind: errs.Unauthenticated, Code: "session.invalid"}

func (f fakeAuth) Authenticate(_ context.Context, v string) (account.Principal, app.SessionView, error) {
	switch {
	case f.fail:
		return account.Principal{}, app.SessionView{}, errors.New("database down")
	case v != "good-session":
		return account.Principal{}, app.SessionView{}, errRejected
	}
	return account.Principal{AccountID: "c1", Kind: account.KindIndividual}, app.SessionView{ID: "s1"}, nil
}

func (f fakeAuth) AuthenticateAPIKey(_ context.Context, tok string) (account.Principal, error) {
	switch {
	case f.fail:
		return account.Principal{}, errors.New("database down")
	case tok != "good-key":
		return account.Principal{}, errRejected
	}
	return account.Principal{AccountID: "k1", Kind: account.KindIndividual, ViaAPIKey: true}, nil
}

// acceptAll accepts every credential.
type acceptAll struct{}

func (acceptAll) Authenticate(context.Context, string) (account.Principal, app.SessionView, error) {
	return account.Principal{AccountID: "c1", Kind: account.KindIndividual}, app.SessionView{}, nil
}

func (acceptAll) AuthenticateAPIKey(context.Context, string) (account.Principal, error) {
	return account.Principal{AccountID: "c1", Kind: account.KindIndividual, ViaAPIKey: true}, nil
}

func TestAuthenticationHooks(t *testing.T) {
	t.Parallel()
	var seen atomic.Value // string: what the callback saw
	probe := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := web.PrincipalFrom(r.Context())
		seen.Store(string(p.Kind) + "/" + p.AccountID + "/" + app.ActorFrom(r.Context()).ID + "/" + map[bool]string{true: "auth", false: "anon"}[ok])
	})
	s := webtest.NewServer(t, &webtest.Options{Auth: fakeAuth{}, Callbacks: map[string]http.Handler{"probe": probe}})
	down := webtest.NewServer(t, &webtest.Options{Auth: fakeAuth{fail: true}})
	tests := []struct {
		name    string
		headers []string
		status  int
		want    string
	}{
		{"anonymous", nil, 200, "//anonymous/anon"},
		{"session cookie", []string{"Cookie", "yuanxu_session=good-session"}, 200, "individual/c1/account:c1/auth"},
		{"unknown cookie stays anonymous", []string{"Cookie", "yuanxu_session=stale"}, 200, "//anonymous/anon"},
		{"api key", []string{"Authorization", "Bearer good-key"}, 200, "individual/k1/api_key:k1/auth"},
		{"bearer wins over cookie", []string{"Authorization", "bearer good-key", "Cookie", "yuanxu_session=good-session"}, 200, "individual/k1/api_key:k1/auth"},
		{"unknown api key", []string{"Authorization", "Bearer nope"}, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen.Store("")
			res := s.Do(t, "POST", "/callbacks/probe", "x", tt.headers...)
			if res.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			if tt.status == 401 {
				if p := res.Problem(t); p.Code != "auth.invalid_token" {
					t.Errorf("code %q", p.Code)
				}
				return
			}
			if got := seen.Load().(string); got != tt.want {
				t.Errorf("handler saw %q, want %q", got, tt.want)
			}
		})
	}
	res := down.Do(t, "GET", "/api/v1/meta", nil, "Authorization", "Bearer good-key")
	if p := res.Problem(t); res.Status != 503 || p.Code != "unavailable" {
		t.Errorf("authenticator down: %d %s", res.Status, p.Code)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	s := webtest.NewServer(t, &webtest.Options{Logger: log, Auth: acceptAll{},
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	res := s.Do(t, "GET", "/api/v1/meta?token=query-secret", nil, "Cookie", "yuanxu_session=cookie-secret",
		"Authorization", "Bearer bearer-secret", "X-Forwarded-For", "198.51.100.23", "X-Request-Id", "trace-1")
	if res.Status != 400 { // the unknown query parameter
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	var line struct {
		Msg       string  `json:"msg"`
		Method    string  `json:"method"`
		Route     string  `json:"route"`
		Status    int     `json:"status"`
		Duration  float64 `json:"duration_ms"`
		RequestID string  `json:"request_id"`
		ClientIP  string  `json:"client_ip"`
	}
	found := false
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if err := json.Unmarshal([]byte(l), &line); err == nil && line.Msg == "http request" && line.RequestID == "trace-1" {
			found = true
			break
		}
	}
	if !found {
		t.Fatalf("no access log line for the request in:\n%s", buf.String())
	}
	if line.Method != "GET" || line.Route != "/api/v1/meta" || line.Status != 400 || line.ClientIP != "198.51.100.23" || line.Duration < 0 {
		t.Errorf("access log line %+v", line)
	}
	for _, secret := range []string{"query-secret", "cookie-secret", "bearer-secret"} {
		if strings.Contains(buf.String(), secret) {
			t.Errorf("the log holds %s", secret)
		}
	}
}
