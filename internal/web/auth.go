package web

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"yuanxu/internal/app"
	"yuanxu/internal/errs"
)

// SessionCookie is the name of the session cookie the portal and console
// set; Authenticator.Session resolves its value.
const SessionCookie = "yuanxu_session"

// Principal kinds.
const (
	PrincipalCustomer = "customer"
	PrincipalStaff    = "staff"
	PrincipalReseller = "reseller"
	PrincipalAPIKey   = "api_key"
)

// Principal is who an authenticated request acts as. Kind is one of the
// Principal* constants; Scopes are the API key's or role's grants.
type Principal struct {
	Kind   string
	ID     string
	Scopes []string
}

// HasScope reports whether the principal was granted scope.
func (p Principal) HasScope(scope string) bool { return slices.Contains(p.Scopes, scope) }

// Authenticator resolves credentials; the accounts capability implements
// it. Both methods return ok=false for unknown, expired or revoked
// credentials and an error only when they cannot tell (database down).
type Authenticator interface {
	Session(ctx context.Context, cookieValue string) (Principal, bool, error)
	APIKey(ctx context.Context, token string) (Principal, bool, error)
}

type principalKey struct{}

// PrincipalFrom returns the request's authenticated principal, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// WithPrincipal returns ctx carrying p (tests, and the authenticate
// middleware).
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

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
	switch p.Kind {
	case PrincipalCustomer:
		return "account:" + p.ID
	case "":
		return "anonymous"
	}
	return p.Kind + ":" + p.ID
}

// authenticate resolves a bearer token (which takes precedence, and then
// the cookie is ignored) or the session cookie into the request's
// principal and audit actor. An unknown bearer token is a 401 problem; an
// unknown cookie leaves the request anonymous. Without an Authenticator
// every request is anonymous.
func (s *server) authenticate(next http.Handler) http.Handler {
	if s.auth == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		var (
			p   Principal
			ok  bool
			err error
		)
		if tok := bearerToken(r); tok != "" {
			p, ok, err = s.auth.APIKey(ctx, tok)
			if err == nil && !ok {
				writeProblem(w, newProblem(ctx, http.StatusUnauthorized, CodeInvalidToken, nil, nil))
				return
			}
		} else if c, cerr := r.Cookie(SessionCookie); cerr == nil && c.Value != "" {
			p, ok, err = s.auth.Session(ctx, c.Value)
		}
		if err != nil {
			writeProblem(w, problemFromError(ctx, errs.E(errs.Unavailable, "unavailable", "authentication backend failed", err)))
			return
		}
		if ok {
			act := app.ActorFrom(ctx)
			act.ID = actorID(p)
			ctx = app.WithActor(WithPrincipal(ctx, p), act)
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(w, r)
	})
}
