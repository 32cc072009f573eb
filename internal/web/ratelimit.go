package web

import (
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"yuanxu/internal/app"
)

// RateLimited returns middleware that counts one hit of rule for the
// subject subjectFn picks (ByClientIP, a phone, an account) before the
// handler runs, and answers 429 problem+json with Retry-After once the
// limit is passed. The counters live in the database (App.RateLimit), so
// the limit holds across instances. A subject of "" is not limited. When
// counting fails (database down) the request fails with the error's
// problem rather than going unlimited.
func RateLimited(a *app.App, rule app.RateRule, subjectFn func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if subject := subjectFn(r); subject != "" {
				if err := a.RateLimit(r.Context(), rule, subject); err != nil {
					writeProblem(w, problemFromError(r.Context(), err))
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// ByClientIP picks the client address (resolved through trusted proxies)
// as the rate-limit subject.
func ByClientIP(r *http.Request) string { return ClientIP(r) }

// sandboxClockRule limits sandbox clock moves: generous, but a runaway
// script cannot flood the audit log.
var sandboxClockRule = app.RateRule{Name: "sandbox.clock", Limit: 120, Window: time.Minute}

// humaMiddleware adapts net/http middleware to one huma operation. The
// middleware runs before huma reads the body; a request it rewrites (new
// context) is what the operation sees.
func humaMiddleware(mw func(http.Handler) http.Handler) func(huma.Context, func(huma.Context)) {
	return func(hctx huma.Context, next func(huma.Context)) {
		r, w := humago.Unwrap(hctx)
		op := hctx.Operation()
		mw(http.HandlerFunc(func(w2 http.ResponseWriter, r2 *http.Request) {
			next(humago.NewContext(op, r2, w2))
		})).ServeHTTP(w, r)
	}
}
