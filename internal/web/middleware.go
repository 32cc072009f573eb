package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"yuanxu/internal/app"
	"yuanxu/internal/id"
	"yuanxu/internal/web/i18n"
)

// reqInfo is what the middleware learns about a request; handlers and the
// error writer read it from the context.
type reqInfo struct {
	id       string
	clientIP string
	lang     i18n.Lang
	log      *slog.Logger
	pattern  string // the route pattern that served the request, once routed
	// userAgent is the User-Agent header, for the session list.
	userAgent string
}

type infoKey struct{}

var noInfo = &reqInfo{lang: i18n.ZH, log: slog.New(slog.DiscardHandler)}

func infoFrom(ctx context.Context) *reqInfo {
	if ctx != nil {
		if i, ok := ctx.Value(infoKey{}).(*reqInfo); ok {
			return i
		}
	}
	return noInfo
}

func logFrom(ctx context.Context) *slog.Logger { return infoFrom(ctx).log }

// RequestID returns the request's id (inbound X-Request-Id if sane, else
// generated), or "" outside a request served by NewServer.
func RequestID(ctx context.Context) string { return infoFrom(ctx).id }

// ClientIP returns the client address resolved through the trusted
// proxies, or "" outside a request served by NewServer.
func ClientIP(r *http.Request) string { return infoFrom(r.Context()).clientIP }

// Lang returns the language of the request's messages.
func Lang(ctx context.Context) i18n.Lang { return infoFrom(ctx).lang }

// middleware wraps a handler.
type middleware func(http.Handler) http.Handler

// chain composes middleware; the first one is outermost.
func chain(h http.Handler, ms ...middleware) http.Handler {
	for i := len(ms) - 1; i >= 0; i-- {
		h = ms[i](h)
	}
	return h
}

// protect is the one place where the protection middleware is composed, in
// order: body limits (on the raw writer, so the server can close an abusive
// connection), request id + client IP + language + access log + metrics,
// panic recovery, security headers, cross-origin protection, then
// authentication.
func (s *server) protect(h http.Handler) http.Handler {
	return chain(h,
		s.limitBodies,
		s.observe,
		recoverPanics,
		s.securityHeaders,
		s.crossOrigin,
		s.authenticate,
	)
}

// limitBodies caps request bodies of the API and the callbacks at
// MaxBodyBytes; reading past it fails with *http.MaxBytesError, answered 413.
func (s *server) limitBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && (strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/callbacks/")) {
			r.Body = http.MaxBytesReader(w, r.Body, s.maxBody)
		}
		next.ServeHTTP(w, r)
	})
}

// validRequestID accepts 1–64 characters of [A-Za-z0-9._:-]: enough for
// UUIDs and load-balancer ids, nothing that could forge log lines.
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// observe assigns the request id, resolves the client address and the
// language, puts the anonymous actor in the context, and after the request
// logs one access line and records the HTTP metrics. It never logs bodies,
// query strings, cookies or Authorization.
func (s *server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rid := r.Header.Get("X-Request-Id")
		if !validRequestID(rid) {
			rid = id.New()
		}
		ip := ClientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), s.trusted)
		info := &reqInfo{id: rid, clientIP: ip, lang: i18n.FromRequest(r), log: s.log, userAgent: r.UserAgent()}
		ctx := context.WithValue(r.Context(), infoKey{}, info)
		ctx = app.WithActor(ctx, app.Actor{ID: "anonymous", ClientIP: ip, RequestID: rid})
		w.Header().Set("X-Request-Id", rid)
		sw := &statusWriter{ResponseWriter: w}
		r2 := r.WithContext(ctx)
		defer func() {
			status := sw.status
			if status == 0 {
				status = http.StatusOK
			}
			route := routeLabel(info.pattern)
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			labels := prometheus.Labels{"route": route, "method": methodLabel(r.Method), "status_class": fmt.Sprintf("%dxx", status/100)}
			s.metrics.requests.With(labels).Inc()
			s.metrics.duration.With(labels).Observe(d.Seconds())
			s.log.LogAttrs(ctx, slog.LevelInfo, "http request",
				slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Int64("bytes", sw.bytes), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
				slog.String("request_id", rid), slog.String("client_ip", ip))
		}()
		next.ServeHTTP(sw, r2)
	})
}

// routeLabel turns a mux pattern ("POST /api/v1/sandbox/clock") into a
// metric label ("/api/v1/sandbox/clock"); unrouted requests are
// "unmatched", never their raw path.
func routeLabel(pattern string) string {
	if pattern == "" {
		return ""
	}
	if i := strings.IndexByte(pattern, ' '); i >= 0 {
		pattern = strings.TrimSpace(pattern[i+1:])
	}
	return pattern
}

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush supports streaming handlers that type-assert http.Flusher.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the server's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// recoverPanics turns a panic into a logged 500 problem (when nothing was
// written yet). http.ErrAbortHandler keeps its meaning.
func recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			ctx := r.Context()
			logFrom(ctx).LogAttrs(ctx, slog.LevelError, "panic", slog.String("request_id", RequestID(ctx)),
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
				return // too late for a problem body
			}
			writeProblem(w, newProblem(ctx, http.StatusInternalServerError, "internal", nil, nil))
		}()
		next.ServeHTTP(w, r)
	})
}

// contentSecurityPolicy allows no inline script or style and no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// securityHeaders sets the browser protections on every response; HSTS only
// when the server speaks TLS.
func (s *server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if s.tls {
			h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin rejects cross-origin unsafe requests (CSRF) with a 403
// problem. Exempt: /callbacks/ (gateways POST cross-site and authenticate
// by signature) and bearer-token requests (browsers cannot attach a bearer
// token cross-site, and such requests ignore the session cookie).
func (s *server) crossOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/callbacks/") || bearerToken(r) != "" {
			next.ServeHTTP(w, r)
			return
		}
		if err := s.cop.Check(r); err != nil {
			writeProblem(w, newProblem(r.Context(), http.StatusForbidden, CodeCrossOrigin, nil, nil))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ClientAddr returns the client's address. The TCP peer (remoteAddr) is the
// client unless it is a trusted proxy; then X-Forwarded-For (all header
// lines, comma-separated) is walked right to left, skipping trusted hops,
// and the first untrusted address is the client. An unparsable entry stops
// the walk at the last address known good; if every hop is trusted, the
// leftmost is the client. Returns "" only when remoteAddr is unparsable.
func ClientAddr(remoteAddr string, xff []string, trusted []netip.Prefix) string {
	peer, ok := parseAddr(remoteAddr)
	if !ok {
		return ""
	}
	if !isTrusted(peer, trusted) {
		return peer.String()
	}
	var hops []string
	for _, line := range xff {
		for h := range strings.SplitSeq(line, ",") {
			hops = append(hops, strings.TrimSpace(h))
		}
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		a, ok := parseAddr(hops[i])
		if !ok {
			break
		}
		client = a
		if !isTrusted(a, trusted) {
			break
		}
	}
	return client.String()
}

// parseAddr accepts "ip", "ip:port" and "[ipv6]:port", unmapping IPv4-in-6
// and dropping zones.
func parseAddr(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return netip.Addr{}, false
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
