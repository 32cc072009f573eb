// Package webctx carries the authenticated principal of a request between
// package web (which resolves it) and package pages (which reads it). It
// exists so that pages need not import web (web imports pages).
package webctx

import (
	"context"

	"yuanxu/internal/account"
)

// SessionCookie is the session cookie of the portal and the console.
const SessionCookie = "yuanxu_session"

// Principal is who an authenticated request acts as: the account principal
// the app authorises, and how it authenticated.
type Principal struct {
	account.Principal
	// SessionToken is the session cookie's value; "" for API keys.
	SessionToken string
	// SessionID is the public id of the session; "" for API keys.
	SessionID string
}

// Staff reports whether the principal is a staff member.
func (p Principal) Staff() bool { return p.Kind == account.KindStaff }

// Customer reports whether the principal is a customer of any kind.
func (p Principal) Customer() bool { return p.Kind.Customer() }

type principalKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// From returns the request's principal, if any.
func From(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok && p.AccountID != ""
}
