package web

import (
	"context"
	"net/http"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/web/webctx"
)

// SessionCookie is the name of the session cookie the portal and console
// set at sign-in (HttpOnly, SameSite=Lax, Secure under TLS, Path=/).
const SessionCookie = webctx.SessionCookie

// Principal is who an authenticated request acts as: an account.Principal
// plus the session it came with.
type Principal = webctx.Principal

// Authenticator resolves credentials; *app.App implements it and is the
// default. Unknown, expired, revoked or MFA-pending credentials are
// errs.Unauthenticated (or errs.NotFound) errors; any other error means
// the backend cannot tell (database down).
type Authenticator interface {
	Authenticate(ctx context.Context, sessionToken string) (account.Principal, app.SessionView, error)
	AuthenticateAPIKey(ctx context.Context, key string) (account.Principal, error)
}

// PrincipalFrom returns the request's authenticated principal, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) { return webctx.From(ctx) }

// WithPrincipal returns ctx carrying p (tests, and the authenticate
// middleware).
func WithPrincipal(ctx context.Context, p Principal) context.Context { return webctx.With(ctx, p) }

// bearerToken returns the token of an "Authorization: Bearer …" header.
func bearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return ""
	}
	return strings.TrimSpace(h[7:])
}

// actorID is the audit actor of a principal.
func actorID(p Principal) string {
	switch {
	case p.AccountID == "":
		return "anonymous"
	case p.ViaAPIKey:
		return "api_key:" + p.AccountID
	case p.Kind == account.KindStaff:
		return "staff:" + p.AccountID
	}
	return "account:" + p.AccountID
}

// rejected reports whether err says the credential is not (or no longer)
// good, as opposed to the backend failing.
func rejected(err error) bool {
	k := errs.KindOf(err)
	return k == errs.Unauthenticated || k == errs.NotFound || k == errs.Forbidden || k == errs.Invalid
}

// authenticate resolves a bearer token (which takes precedence, and then
// the cookie is ignored) or the session cookie into the request's
// principal and audit actor. An unknown bearer token is a 401 problem; an
// unknown cookie leaves the request anonymous.
func (s *server) authenticate(next http.Handler) http.Handler {
	if s.auth == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if nodeRoute(r) { // a node token, read by that route alone (api_usage.go)
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		if r.Method == http.MethodGet || r.Method == http.MethodHead || memoWriteRoute(r) {
			// A safe request shares its reads (account, agreement
			// version) between its checks; see app.WithRequestMemo.
			ctx = app.WithRequestMemo(ctx)
			r = r.WithContext(ctx)
		}
		var (
			p   Principal
			err error
		)
		if tok := bearerToken(r); tok != "" {
			p.Principal, err = s.auth.AuthenticateAPIKey(ctx, tok)
			if err != nil && rejected(err) {
				writeProblem(w, newProblem(ctx, http.StatusUnauthorized, CodeInvalidToken, nil, nil))
				return
			}
			p.ViaAPIKey = true
		} else if c, cerr := r.Cookie(SessionCookie); cerr == nil && c.Value != "" {
			var sv app.SessionView
			p.Principal, sv, err = s.auth.Authenticate(ctx, c.Value)
			if err != nil && rejected(err) {
				p, err = Principal{}, nil // stale cookie: anonymous
			} else {
				p.SessionToken, p.SessionID = c.Value, sv.ID
			}
		}
		if err != nil {
			writeProblem(w, problemFromError(ctx, errs.E(errs.Unavailable, "unavailable", "authentication backend failed", err)))
			return
		}
		if p.AccountID != "" {
			act := app.ActorFrom(ctx)
			act.ID = actorID(p)
			ctx = app.WithActor(WithPrincipal(ctx, p), act)
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}

// memoWriteRoute reports the two writes whose use cases read with a
// request memo before their transaction anyway (app.Checkout and
// app.PayOrder: authorisation, KYC, standing): installed before
// authentication, the memo lets those checks share the account that
// authentication read instead of reading it again.
func memoWriteRoute(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	if r.URL.Path == "/api/v1/orders" {
		return true
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/api/v1/orders/")
	return ok && strings.Count(rest, "/") == 1 && strings.HasSuffix(rest, "/pay")
}
