package store

import (
	"context"
	"slices"
	"time"
)

// The reads of a checkout before its transaction, sent together (issue
// 19). A checkout reads, before it writes anything, the agreement version
// in force, the buyer's re-verification flag, the holder's latest
// acceptance and KYC profile, the licence register and each product it
// prices. None depends on another's answer; one by one they were six
// round trips to PostgreSQL, together they are one (DB.ReadTogether).
// Each uses the statement and the scan of the function that reads it
// alone, so the two cannot drift apart.

// CheckoutReadsFilter names what CheckoutReadsOf reads.
type CheckoutReadsFilter struct {
	AccountID  string    // the buyer, whose re-verification flag is read
	Holder     string    // whose acceptance and KYC profile count (the buyer, or a sub-user's enterprise)
	ProductIDs []string  // the products priced (duplicates are read once)
	At         time.Time // the checkout's instant
}

// CheckoutReads is what CheckoutReadsOf read. A part it could not settle
// on its own is marked so, for the caller to read as before.
type CheckoutReads struct {
	// Head is the head of the version in force at At (AgreementVersionHeadInForce);
	// HeadFound is false when no version had taken effect by At, a case
	// AgreementVersionHeadInForce answers with its own fallback.
	Head      AgreementVersionRow
	HeadFound bool
	// Reverify is the account's open re-verification flag (ReverifyOpen).
	Reverify     ReverifyRow
	ReverifyOpen bool
	// AcceptedVersion is AcceptanceLatestBefore's answer for Holder at At
	// ("" and Accepted false: none) when AcceptanceSettled; unsettled
	// when the latest acceptance was of a version not yet in force at At,
	// which AcceptanceLatestBefore steps over.
	AcceptedVersion   string
	Accepted          bool
	AcceptanceSettled bool
	// KYC is Holder's profile (KYCProfileGet); KYCFound false: none.
	KYC      KYCProfileRow
	KYCFound bool
	// Licences is the register (Licences).
	Licences []LicenceRow
	// Products holds each product found with its plans
	// (ProductWithPlans); an unknown one is absent.
	Products map[string]ProductPlans
}

// ProductPlans is a product with its plans, in Plans' order.
type ProductPlans struct {
	Product ProductRow
	Plans   []PlanRow
}

// CheckoutReadsOf reads what a checkout reads before its transaction, in
// one round trip on PostgreSQL (ReadTogether: each read sees the data
// committed when it runs, as separate reads would).
func CheckoutReadsOf(ctx context.Context, db *DB, f CheckoutReadsFilter) (CheckoutReads, error) {
	out := CheckoutReads{Products: map[string]ProductPlans{}}
	one := func(scan func(s scanner) error) func(RowScanner) error {
		return func(rows RowScanner) error {
			if !rows.Next() {
				return nil
			}
			return scan(rows)
		}
	}
	reads := []Read{
		{SQL: `SELECT ` + agreementListCols + inForceAt, Args: []any{Ms(f.At)}, Scan: one(func(s scanner) (err error) {
			out.Head, err = scanAgreementVersion(s)
			out.HeadFound = err == nil
			return err
		})},
		{SQL: reverifyOpenSQL, Args: []any{f.AccountID}, Scan: one(func(s scanner) (err error) {
			out.Reverify, err = scanReverifyOpen(s)
			out.ReverifyOpen = err == nil
			return err
		})},
		{SQL: acceptanceLatest, Args: []any{f.Holder, Ms(f.At)}, Scan: func(rows RowScanner) error {
			out.AcceptanceSettled = true // no acceptance before At: none
			if !rows.Next() {
				return nil
			}
			v, _, _, inForce, err := scanAcceptanceLatest(rows)
			if err != nil {
				return err
			}
			out.AcceptedVersion, out.Accepted, out.AcceptanceSettled = v, inForce, inForce
			if !inForce {
				out.AcceptedVersion = ""
			}
			return nil
		}},
		{SQL: kycProfileSQL, Args: []any{f.Holder}, Scan: one(func(s scanner) (err error) {
			out.KYC, err = scanKYCProfile(s)
			out.KYCFound = err == nil
			return err
		})},
		{SQL: licencesSQL, Scan: func(rows RowScanner) (err error) {
			out.Licences, err = scanLicences(rows)
			return err
		}},
	}
	var seen []string
	for _, pid := range f.ProductIDs {
		if slices.Contains(seen, pid) {
			continue
		}
		seen = append(seen, pid)
		reads = append(reads, Read{SQL: productPlansSQL, Args: []any{pid}, Scan: func(rows RowScanner) error {
			r, ps, found, err := scanProductPlans(rows)
			if err == nil && found {
				out.Products[pid] = ProductPlans{Product: r, Plans: ps}
			}
			return err
		}})
	}
	if err := db.ReadTogether(ctx, reads...); err != nil {
		return CheckoutReads{}, errorf("store.CheckoutReadsOf", err)
	}
	return out, nil
}
