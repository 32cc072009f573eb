package app

import (
	"context"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/store"
)

// The checks before a checkout's transaction read the version in force,
// the buyer's re-verification flag, the holder's acceptance and KYC
// profile, the licence register and the products priced: six reads, each
// from its own function. prefetchCheckout reads them all in one round trip
// (store.CheckoutReadsOf) and puts the answers in the request memo, where
// those functions look first (issue 19). Only the checkout seeds these
// keys, so every other caller reads as before; and a memo lives for one
// request, so nothing is answered from another request's read.

// Request-memo keys of the checkout's reads (request_memo.go).
const (
	memoReverify    = "reverify:"          // + account: reverifyAnswer
	memoAcceptedBy  = "acceptance.before:" // + holder: acceptedBefore
	memoKYCProfile  = "kyc.profile:"       // + holder: store.KYCProfileRow
	memoLicences    = "licences"           // []store.LicenceRow
	memoProductRead = "product:"           // + product id: productRead
)

// reverifyAnswer is store.ReverifyOpen's answer.
type reverifyAnswer struct {
	row  store.ReverifyRow
	open bool
}

// acceptedBefore is store.AcceptanceLatestBefore's answer for an instant
// of the request.
type acceptedBefore struct {
	version string
	ok      bool
	at      time.Time
}

// prefetchCheckout seeds ctx's request memo (none: it does nothing) with
// what a checkout by tenant for productIDs at now reads before its
// transaction. A part the batched read cannot settle (no version in force
// yet, an acceptance of a version not yet in force, an unknown product) is
// left unseeded, for its function to read and answer as it always has.
func (a *App) prefetchCheckout(ctx context.Context, tenant string, productIDs []string, now time.Time) error {
	if _, ok := ctx.Value(memoKey{}).(*requestMemo); !ok {
		return nil
	}
	holder, err := a.kycHolder(ctx, tenant)
	if err != nil {
		return err
	}
	r, err := store.CheckoutReadsOf(ctx, a.db, store.CheckoutReadsFilter{AccountID: tenant, Holder: holder, ProductIDs: productIDs, At: now})
	if err != nil {
		return err
	}
	if r.HeadFound {
		memoSeed(ctx, "agreement.head_in_force", inForce{head: r.Head, at: now})
		memoSeed(ctx, "agreement.head:"+r.Head.ID, r.Head)
	}
	memoSeed(ctx, memoReverify+tenant, reverifyAnswer{row: r.Reverify, open: r.ReverifyOpen})
	if r.AcceptanceSettled {
		memoSeed(ctx, memoAcceptedBy+holder, acceptedBefore{version: r.AcceptedVersion, ok: r.Accepted, at: now})
	}
	kyc := r.KYC
	if !r.KYCFound {
		kyc = unverifiedProfile(holder)
	}
	memoSeed(ctx, memoKYCProfile+holder, kyc)
	memoSeed(ctx, memoLicences, r.Licences)
	for pid, pp := range r.Products {
		v, err := productFromRows(pp.Product, pp.Plans)
		if err != nil {
			continue // readProduct reads it again and returns this error
		}
		memoSeed(ctx, memoProductRead+pid, productRead{view: v, row: pp.Product, plans: pp.Plans})
	}
	return nil
}

// kycHolder is whose verification counts for accountID's purchases: the
// account's own, or a sub-user's enterprise's.
func (a *App) kycHolder(ctx context.Context, accountID string) (string, error) {
	l, err := a.readAccount(ctx, accountID)
	if err != nil {
		return "", err
	}
	if account.Kind(l.row.Kind) == account.KindSubUser && l.row.OwnerID != "" {
		return l.row.OwnerID, nil
	}
	return accountID, nil
}

// onPool reports whether q reads the database outside a transaction: only
// such reads may be answered from the request memo.
func onPool(q store.Querier) bool {
	_, inTx := q.(*store.Tx)
	return !inTx
}
