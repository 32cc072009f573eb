package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/store/storetest"
	"yuanxu/internal/web/i18n"
)

func newTestServer(t *testing.T, sandbox bool) *server {
	t.Helper()
	ctx := context.Background()
	secrets, err := app.NewSecrets()
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Config{DB: storetest.Open(t), Secrets: secrets, Sandbox: sandbox})
	if err != nil {
		t.Fatal(err)
	}
	s, err := newServer(Config{App: a, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Every route huma put on the API mux (bar the document itself) is an
// operation of the OpenAPI document, with an id, a summary and tags.
func TestEveryAPIRouteIsDocumented(t *testing.T) {
	t.Parallel()
	for _, sandbox := range []bool{false, true} {
		s := newTestServer(t, sandbox)
		rec := httptest.NewRecorder()
		s.handler.ServeHTTP(rec, httptest.NewRequest("GET", OpenAPIPath, nil))
		if rec.Code != 200 {
			t.Fatalf("openapi.json: %d %s", rec.Code, rec.Body)
		}
		var doc struct {
			Paths map[string]map[string]struct {
				OperationID string   `json:"operationId"`
				Summary     string   `json:"summary"`
				Tags        []string `json:"tags"`
			} `json:"paths"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		var routes []string
		for _, p := range s.apiMux.Patterns() {
			method, path, _ := strings.Cut(p, " ")
			if strings.HasPrefix(path, APIPrefix+"/openapi") {
				continue
			}
			routes = append(routes, method+" "+path)
			op, ok := doc.Paths[strings.TrimPrefix(path, APIPrefix)][strings.ToLower(method)]
			if !ok {
				t.Errorf("sandbox=%v: route %s is not in the OpenAPI document", sandbox, p)
				continue
			}
			if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
				t.Errorf("sandbox=%v: %s: operationId %q summary %q tags %v", sandbox, p, op.OperationID, op.Summary, op.Tags)
			}
		}
		if want := s.operationKeys(); !slices.Equal(routes, want) {
			t.Errorf("sandbox=%v: mux routes %v, registered operations %v", sandbox, routes, want)
		}
		hasSandbox := slices.Contains(routes, "POST "+APIPrefix+"/sandbox/clock")
		if hasSandbox != sandbox {
			t.Errorf("sandbox=%v: sandbox clock routed: %v", sandbox, hasSandbox)
		}
	}
}

// Every code web emits, every status it answers and every rule it names
// has catalog text.
func TestEveryCodeHasMessages(t *testing.T) {
	t.Parallel()
	codes := []string{
		CodeMalformedJSON, CodeUnknownField, CodeInvalidType, CodeInvalidFormat, CodeInvalidCursor, CodeRequired,
		CodeExactlyOneOf, CodeInvalid, CodeTooLarge, CodeTimeout, CodeUnsupportedMedia, CodeNotAcceptable,
		CodeCrossOrigin, CodeRouteNotFound, CodeMethodNotAllowed, CodeInvalidToken, CodeNotReady,
	}
	for k := errs.Internal; k <= errs.Unavailable; k++ {
		codes = append(codes, k.String())
		if _, ok := kindStatus[k]; !ok {
			t.Errorf("kind %s has no status", k)
		}
		if !i18n.Has(titleKey(kindStatus[k])) {
			t.Errorf("no title for status %d", kindStatus[k])
		}
	}
	for _, c := range codes {
		if !i18n.Has("error." + c) {
			t.Errorf("code %s has no catalog entry", c)
		}
	}
	for _, m := range detailMatchers() {
		if !i18n.Has("rule." + m.rule) {
			t.Errorf("rule %s has no catalog entry", m.rule)
		}
	}
	for _, r := range []string{"json", "parse", "invalid", "duration", "cursor", "one_of_required", "exactly_one_of"} {
		if !i18n.Has("rule." + r) {
			t.Errorf("rule %s has no catalog entry", r)
		}
	}
}

func TestStatusTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want int
	}{
		{errs.E(errs.Invalid, "request.unknown_field"), 400},
		{errs.E(errs.Invalid, CodeInvalidFormat), 400},
		{errs.E(errs.Invalid, "sandbox.set_not_later"), 422},
		{errs.E(errs.NotFound, "not_found"), 404},
		{errs.ErrDuplicate, 409},
		{errs.E(errs.Unauthenticated), 401},
		{errs.E(errs.Forbidden), 403},
		{errs.E(errs.RateLimited, "rate_limited"), 429},
		{errs.E(errs.TooLarge), 413},
		{errs.E(errs.Unavailable), 503},
		{errs.E(errs.Op("x"), errs.ErrNotFound), 404},
		{errs.E(errs.Internal, "boom"), 500},
		{context.DeadlineExceeded, 500},
	}
	for _, tt := range tests {
		if got := StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

func TestNewHTTPServerHasTimeouts(t *testing.T) {
	t.Parallel()
	s := NewHTTPServer(":0", http.NotFoundHandler())
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.WriteTimeout <= 0 || s.IdleTimeout <= 0 || s.MaxHeaderBytes <= 0 {
		t.Errorf("server without limits: %+v", s)
	}
	if s.ReadHeaderTimeout > 30*time.Second {
		t.Errorf("ReadHeaderTimeout %s is too lax", s.ReadHeaderTimeout)
	}
}

func TestNewServerRejectsBadWiring(t *testing.T) {
	t.Parallel()
	if _, err := NewServer(Config{}); err == nil {
		t.Error("no App accepted")
	}
	s := newTestServer(t, false)
	if _, err := NewServer(Config{App: s.app, Callbacks: map[string]http.Handler{"a/b": http.NotFoundHandler()}}); err == nil {
		t.Error("callback name with a slash accepted")
	}
}
