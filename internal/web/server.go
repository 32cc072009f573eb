package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"yuanxu/internal/app"
)

// Config wires NewServer. App is required; everything else has a default.
type Config struct {
	App    *app.App
	Logger *slog.Logger // access log and error causes; default: discard
	// Metrics is served at /metrics; web registers its HTTP metrics on it.
	// Default: a fresh registry.
	Metrics *prometheus.Registry
	// TrustedProxies are the load balancers whose X-Forwarded-For is
	// believed; the client address of other peers is the peer itself.
	TrustedProxies []netip.Prefix
	Version        string
	// MaxBodyBytes caps API and callback request bodies (default 1 MiB).
	MaxBodyBytes int64
	// Callbacks are payment-gateway endpoints: "alipay" is mounted at
	// POST /callbacks/alipay, outside huma, exempt from CSRF checks.
	Callbacks map[string]http.Handler
	// Auth resolves session cookies and API keys; default: App.
	Auth Authenticator
	// TLS makes responses carry Strict-Transport-Security.
	TLS bool
}

// DefaultMaxBodyBytes is the JSON body limit when Config.MaxBodyBytes is 0.
const DefaultMaxBodyBytes = 1 << 20

// server holds what the handlers share; NewServer returns its handler.
type server struct {
	app     *app.App
	log     *slog.Logger
	reg     *prometheus.Registry
	trusted []netip.Prefix
	version string
	maxBody int64
	auth    Authenticator
	tls     bool
	cop     *http.CrossOriginProtection
	metrics httpMetrics

	root   *http.ServeMux
	api    huma.API
	apiMux *recordingMux
	ops    []*huma.Operation // every operation registered, in order
	// rootRoutes are the patterns routes puts on the root mux itself,
	// pageRoutes the portal and console patterns, in order.
	rootRoutes []string
	pageRoutes []string
	handler    http.Handler
}

// NewServer builds the whole HTTP surface: /api/v1 (and its OpenAPI
// document), /callbacks/, /healthz, /readyz, /metrics and the portal and
// console pages, behind the protection middleware. It fails on a wiring
// mistake (no App, a bad callback name, metrics that do not register).
func NewServer(c Config) (http.Handler, error) {
	s, err := newServer(c)
	if err != nil {
		return nil, err
	}
	return s.handler, nil
}

func newServer(c Config) (*server, error) {
	if c.App == nil {
		return nil, errors.New("web: Config.App is required")
	}
	s := &server{
		app: c.App, log: c.Logger, reg: c.Metrics, trusted: c.TrustedProxies, version: c.Version,
		maxBody: c.MaxBodyBytes, auth: c.Auth, tls: c.TLS, cop: http.NewCrossOriginProtection(),
		root: http.NewServeMux(),
	}
	if s.auth == nil {
		s.auth = c.App
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	if s.version == "" {
		s.version = "dev"
	}
	var err error
	if s.metrics, err = newHTTPMetrics(s.reg); err != nil {
		return nil, err
	}
	if err := s.routes(c.Callbacks); err != nil {
		return nil, err
	}
	s.handler = s.protect(http.HandlerFunc(s.serveRoot))
	return s, nil
}

// serveRoot dispatches on the root mux and remembers the route pattern for
// the access log and metrics (the innermost mux's, for the API).
func (s *server) serveRoot(w http.ResponseWriter, r *http.Request) {
	info := infoFrom(r.Context())
	defer func() {
		if info.pattern == "" {
			info.pattern = r.Pattern
		}
	}()
	s.root.ServeHTTP(w, r)
}

// routes is the map of the whole HTTP surface.
func (s *server) routes(callbacks map[string]http.Handler) error {
	handle := func(pattern string, h http.Handler) {
		s.rootRoutes = append(s.rootRoutes, pattern)
		s.root.Handle(pattern, h)
	}
	handle("GET /healthz", http.HandlerFunc(s.healthz))
	handle("GET /readyz", http.HandlerFunc(s.readyz))
	handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg}))
	// ACME HTTP-01: the CA fetches key authorisations of the acme driver's
	// orders (public; unknown tokens are 404).
	handle("GET /.well-known/acme-challenge/{token}", s.app.ACMEChallengeHandler())
	names := slices.Sorted(maps.Keys(callbacks))
	for _, name := range names {
		h := callbacks[name]
		if name == "" || strings.ContainsAny(name, "/{} ") || h == nil {
			return fmt.Errorf("web: bad callback %q", name)
		}
		handle("POST /callbacks/"+name, h)
	}
	if err := s.newAPI(); err != nil {
		return err
	}
	handle("/api/", http.HandlerFunc(s.serveAPI))
	return s.registerPages()
}

// routeList is every pattern of the router, in registration order: the
// root mux's own (health, metrics, callbacks, the /api/ fallback), every
// pattern huma put on the API mux (operations and the OpenAPI document),
// then the portal and console pages (the static assets and the catch-all
// 404 included). Patterns without a method ("/", "/api/") match any.
// The authorisation matrix test walks this list.
func (s *server) routeList() []string {
	out := slices.Clone(s.rootRoutes)
	out = append(out, s.apiMux.Patterns()...)
	return append(out, s.pageRoutes...)
}

// serveAPI serves /api/: registered operations, else a 404 or 405 problem.
func (s *server) serveAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	h, pattern := s.apiMux.Handler(r)
	if pattern != "" {
		s.apiMux.ServeHTTP(w, r)
		infoFrom(r.Context()).pattern = r.Pattern
		return
	}
	infoFrom(r.Context()).pattern = "unmatched"
	// The mux's own fallback tells 404 from 405 and lists Allow.
	rec := &fallbackRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		p := newProblem(r.Context(), http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			map[string]any{"method": r.Method, "allow": rec.header.Get("Allow")}, nil)
		p.GetHeaders().Set("Allow", rec.header.Get("Allow"))
		writeProblem(w, p)
		return
	}
	writeProblem(w, newProblem(r.Context(), http.StatusNotFound, CodeRouteNotFound, nil, nil))
}

// fallbackRecorder captures what the mux's NotFound/MethodNotAllowed
// handler would answer.
type fallbackRecorder struct {
	header http.Header
	status int
}

func (f *fallbackRecorder) Header() http.Header         { return f.header }
func (f *fallbackRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (f *fallbackRecorder) WriteHeader(code int)        { f.status = code }

// healthz answers 200 "ok" while the process serves; it touches nothing.
func (s *server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers 200 when the database answers and its schema is current,
// else a 503 problem (the cause goes to the log).
func (s *server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := s.app.Ready(ctx); err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "not ready", slog.String("request_id", RequestID(ctx)), slog.String("err", err.Error()))
		writeProblem(w, newProblem(r.Context(), http.StatusServiceUnavailable, CodeNotReady, nil, nil))
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte("ready\n"))
}

// httpMetrics are the request counter and latency histogram, labelled by
// route pattern, method and status class — never by raw path.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) (httpMetrics, error) {
	labels := []string{"route", "method", "status_class"}
	m := httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yuanxu_http_requests_total", Help: "HTTP requests served, by route pattern, method and status class.",
		}, labels),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "yuanxu_http_request_duration_seconds", Help: "HTTP request latency, by route pattern, method and status class.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, labels),
	}
	// A second server on the same registry (tests) shares the collectors.
	if err := reg.Register(m.requests); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return m, err
		}
		m.requests = are.ExistingCollector.(*prometheus.CounterVec)
	}
	if err := reg.Register(m.duration); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return m, err
		}
		m.duration = are.ExistingCollector.(*prometheus.HistogramVec)
	}
	return m, nil
}

// NewHTTPServer returns an *http.Server for h with timeouts that bound slow
// clients: headers within 10 s, a whole request within 60 s, responses
// within 120 s, idle keep-alives 120 s, headers at most 64 KiB.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
}
