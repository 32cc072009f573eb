// Package webtest boots the whole HTTP surface (web.NewServer) on a real
// app and database for tests, and talks to it with a small typed JSON
// client. The database engine is the one storetest.Open picks
// (YUANXU_TEST_DB); every server has its own database, so tests using it
// run in parallel.
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
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"yuanxu/internal/app"
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
	// BeforeStart runs after the app is built and before it starts:
	// register sweeps and the like here.
	BeforeStart func(a *app.App)
}

// Server is a running test server.
type Server struct {
	URL     string // base URL, no trailing slash
	App     *app.App
	Metrics *prometheus.Registry
	Handler http.Handler
	HTTP    *httptest.Server
	// Client does not follow redirects and keeps no cookies.
	Client *http.Client
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
	a, err := app.New(ctx, app.Config{
		DB: db, Logger: log, Secrets: secrets, Sandbox: opts.Sandbox, SandboxStart: opts.SandboxStart, Metrics: reg,
	})
	if err != nil {
		t.Fatalf("app.New: %v", err)
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
	h, err := web.NewServer(web.Config{
		App: a, Logger: log, Metrics: reg, TrustedProxies: opts.TrustedProxies, Version: version,
		MaxBodyBytes: opts.MaxBodyBytes, Callbacks: opts.Callbacks, Auth: opts.Auth, TLS: opts.TLS,
	})
	if err != nil {
		t.Fatalf("web.NewServer: %v", err)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	c := hs.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.Timeout = 30 * time.Second
	return &Server{URL: hs.URL, App: a, Metrics: reg, Handler: h, HTTP: hs, Client: c}
}

// Response is a fully read response.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request. body is sent as is when it is a string, []byte or
// io.Reader, else marshalled to JSON (with Content-Type application/json
// unless headers set one); nil sends no body. headers are name, value
// pairs. Transport failures fail the test.
func (s *Server) Do(t testing.TB, method, path string, body any, headers ...string) *Response {
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
	for i := 0; i < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := s.Client.Do(req)
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
