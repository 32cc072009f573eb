package app

import (
	"context"
	"sync"
	"time"

	"yuanxu/internal/store"
)

// A request memo holds what one safe request (GET or HEAD) read from the
// database — the signed-in account with its roles, scopes and standing,
// the owner accounts of the objects it authorises on, the agreement
// versions whose policy it applies — so that the several checks of one
// request share one read instead of repeating it (issue 19: a portal
// page read the account three times, a refund preview its order's
// agreement version twice).
//
// It lives exactly as long as the request's context: nothing is shared
// between requests or between instances, so a session revoked, a ban
// imposed, a role removed or a version put in force on any instance takes
// effect on the next request exactly as without it. Within the request,
// everything is as of the first read, as the principal itself always was
// (it is read once, at authentication). The web layer installs a memo
// (WithRequestMemo) for safe methods; of the use cases that write, only
// Checkout and PayOrder use one, for the checks they read before their
// transaction (the account read by authorisation, KYC and the view after
// it), which change nothing they read; the web layer installs it before
// authentication for those two routes, so that authentication's account
// read is the one they share. Reads inside a transaction never
// consult it, with one exception: the recipient of a delivery notice
// written in the payment's transaction is the account as the request read
// it (notifyDelivery), as the address of any notice is as of when it was
// queued.

type memoKey struct{}

type requestMemo struct {
	mu   sync.Mutex
	vals map[string]memoEntry
}

type memoEntry struct {
	v   any
	err error
}

// WithRequestMemo returns ctx carrying a fresh request memo. Call it once
// per safe (GET, HEAD) request, before authentication; never for a request
// that may write.
func WithRequestMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, memoKey{}, &requestMemo{vals: make(map[string]memoEntry, 8)})
}

// ensureRequestMemo returns ctx with a request memo: the one it carries
// (the web layer installs one before authentication for the writes whose
// use cases call this, so that their checks share authentication's
// account read), or a fresh one.
func ensureRequestMemo(ctx context.Context) context.Context {
	if _, ok := ctx.Value(memoKey{}).(*requestMemo); ok {
		return ctx
	}
	return WithRequestMemo(ctx)
}

// memoized returns load's result for key, calling load at most once per
// request when ctx carries a memo (and every time when it does not).
// Errors are remembered too, except a cancelled context's: a request sees
// one answer per key.
func memoized[T any](ctx context.Context, key string, load func() (T, error)) (T, error) {
	m, _ := ctx.Value(memoKey{}).(*requestMemo)
	if m == nil {
		return load()
	}
	m.mu.Lock()
	if e, ok := m.vals[key]; ok {
		m.mu.Unlock()
		v, _ := e.v.(T)
		return v, e.err
	}
	m.mu.Unlock()
	v, err := load()
	if ctx.Err() == nil {
		m.mu.Lock()
		m.vals[key] = memoEntry{v: v, err: err}
		m.mu.Unlock()
	}
	return v, err
}

// memoSeed records v under key when ctx carries a memo and the key has no
// value yet: a read that another read of the request already answered.
func memoSeed[T any](ctx context.Context, key string, v T) {
	m, _ := ctx.Value(memoKey{}).(*requestMemo)
	if m == nil {
		return
	}
	m.mu.Lock()
	if _, ok := m.vals[key]; !ok {
		m.vals[key] = memoEntry{v: v}
	}
	m.mu.Unlock()
}

// readAccount is loadAccount on the database (never a transaction),
// memoized for the request.
func (a *App) readAccount(ctx context.Context, id string) (loaded, error) {
	return memoized(ctx, "account:"+id, func() (loaded, error) { return loadAccount(ctx, a.db, id) })
}

// headInForceNow is the head (no source text) of the agreement version in
// force at now, read once per request memo: the request's "now", as for
// AgreementCurrent. It also answers headOf for that version, and
// headInForceAt for a later instant of the same request. A read through a
// transaction is never memoized.
func headInForceNow(ctx context.Context, q store.Querier, now time.Time) (store.AgreementVersionRow, error) {
	if !onPool(q) {
		return store.AgreementVersionHeadInForce(ctx, q, now)
	}
	f, err := memoized(ctx, "agreement.head_in_force", func() (inForce, error) {
		h, err := store.AgreementVersionHeadInForce(ctx, q, now)
		return inForce{head: h, at: now}, err
	})
	if err == nil {
		memoSeed(ctx, "agreement.head:"+f.head.ID, f.head)
	}
	return f.head, err
}

// inForce is the version in force at an instant of the request.
type inForce struct {
	head store.AgreementVersionRow
	at   time.Time
}

// headInForceAt is the head of the version in force at at: the request's
// (headInForceNow) when the request read it at or before at and at is
// still this request's time (within requestSpan of that read); otherwise
// a read.
func headInForceAt(ctx context.Context, q store.Querier, at time.Time) (store.AgreementVersionRow, error) {
	if onPool(q) {
		if f, ok := memoPeek[inForce](ctx, "agreement.head_in_force"); ok && !at.Before(f.at) && at.Sub(f.at) < requestSpan {
			return f.head, nil
		}
	}
	return store.AgreementVersionHeadInForce(ctx, q, at)
}

// requestSpan bounds how long after its first read a request's "now" may
// be answered from that read.
const requestSpan = time.Minute

// memoPeek returns what the request memo holds for key, if it holds a
// value without an error.
func memoPeek[T any](ctx context.Context, key string) (T, bool) {
	var zero T
	m, _ := ctx.Value(memoKey{}).(*requestMemo)
	if m == nil {
		return zero, false
	}
	m.mu.Lock()
	e, ok := m.vals[key]
	m.mu.Unlock()
	v, isT := e.v.(T)
	if !ok || e.err != nil || !isT {
		return zero, false
	}
	return v, true
}

// headOf is the head (no source text) of version id, read once per
// request memo (never through a transaction).
func headOf(ctx context.Context, q store.Querier, id string) (store.AgreementVersionRow, error) {
	if !onPool(q) {
		return store.AgreementVersionHeadGet(ctx, q, id)
	}
	return memoized(ctx, "agreement.head:"+id, func() (store.AgreementVersionRow, error) { return store.AgreementVersionHeadGet(ctx, q, id) })
}
