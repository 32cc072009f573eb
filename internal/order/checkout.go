package order

import (
	"fmt"
	"slices"
	"strings"

	"yuanxu/internal/agreement"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
)

// Blocker is one reason a checkout may not go ahead, with the clause that
// makes it so.
type Blocker struct {
	Code   string
	Clause agreement.ClauseID
	Field  string // the offending input: "acknowledged", "lines[1].attach_to"
	Params map[string]any
}

// Standing is the account's standing flags at checkout (the app reads them
// from account.Standing).
type Standing struct {
	Restricted, Suspended, Banned bool
}

// LineFacts is what CheckoutRules needs about one line.
type LineFacts struct {
	Product catalog.Product
	// LicenceCovers reports whether a valid licence on the register covers
	// this product (IP-VPN for VPN, cross-border scope for cross-border
	// lines, CDN for CDN, IDC for servers) at checkout (clause 1).
	LicenceCovers bool
	// For a traffic pack: the parent server it attaches to and its owner;
	// ignored for other kinds.
	Server      catalog.Product
	ServerOwner string
}

// CheckoutFacts is everything CheckoutRules reads. Prices, totals and
// states are not among them: those come from the catalog and the order,
// never from the client (package doc).
type CheckoutFacts struct {
	CustomerID string
	// KeyClauses are the key clauses of the agreement version in force;
	// Acknowledged those the customer ticked one by one.
	KeyClauses   []agreement.ClauseID
	Acknowledged []agreement.ClauseID
	// KYCApproved reports an approved real-name verification that is not
	// awaiting re-verification (kyc.required_before = pay_provisioned).
	KYCApproved bool
	Standing    Standing
	Lines       []LineFacts
}

// Blocker codes.
const (
	CodeKeyClauseNotAcknowledged = agreement.CodeKeyClauseNotAcknowledged
	CodeKYCRequired              = "kyc.required"
	CodeLicenceNotCovered        = "order.licence_not_covered"
	CodeStandingBlocksOrder      = "account.standing_blocks_order"
	CodeCheckoutBlocked          = "order.checkout_blocked"
)

var (
	clauseAcknowledge = agreement.Cite(agreement.ClauseOverview, "order.CheckoutRules: key clauses acknowledged at checkout")
	clauseKYC         = agreement.Cite(agreement.ClauseChannels, "order.CheckoutRules: real-name verification before paying for anything provisioned")
	clauseLicence     = agreement.Cite(agreement.ClauseOverview, "order.CheckoutRules: a licence covers each product sold")
	clauseStanding    = agreement.Cite(agreement.ClauseMonitoring, "order.CheckoutRules: restricted, suspended or banned accounts place no new orders")
	clausePack        = agreement.Cite(agreement.ClauseTrafficPack, "order.CheckoutRules: a traffic pack attaches to the customer's traffic-billed server")

	// DeliveryClause is the clause a delivery deadline and a cancellation
	// for its breach cite (2.2).
	DeliveryClause = agreement.Cite(agreement.ClauseDelivery, "order: delivery SLA frozen at checkout, deadline set at payment")
)

// CheckoutRules returns every reason the checkout is blocked, in a stable
// order (nil when it may go ahead):
//   - CodeKeyClauseNotAcknowledged (clause 1), Params "missing": a key
//     clause of the version in force not acknowledged;
//   - CodeKYCRequired (2.1): a provisioned product without approved KYC
//     (one blocker, on field "kyc");
//   - CodeStandingBlocksOrder (4.2), Params "flags": restricted, suspended
//     or banned;
//   - CodeLicenceNotCovered (1) per line no licence covers;
//   - catalog.CodePackNotOwner / catalog.CodePackNeedsTrafficServer /
//     catalog.CodeNotAPack (3.2.3) per pack line that may not attach.
//
// Turn them into one error with BlockersErr.
func CheckoutRules(f CheckoutFacts) []Blocker {
	var bs []Blocker
	var missing []string
	for _, id := range f.KeyClauses {
		if !slices.Contains(f.Acknowledged, id) {
			missing = append(missing, string(id))
		}
	}
	if len(missing) > 0 {
		bs = append(bs, Blocker{Code: CodeKeyClauseNotAcknowledged, Clause: clauseAcknowledge, Field: "acknowledged",
			Params: map[string]any{"missing": missing}})
	}
	if !f.KYCApproved && slices.ContainsFunc(f.Lines, func(l LineFacts) bool { return l.Product.Provisioned() }) {
		bs = append(bs, Blocker{Code: CodeKYCRequired, Clause: clauseKYC, Field: "kyc"})
	}
	var flags []string
	for _, fl := range []struct {
		on   bool
		name string
	}{{f.Standing.Restricted, "restricted"}, {f.Standing.Suspended, "suspended"}, {f.Standing.Banned, "banned"}} {
		if fl.on {
			flags = append(flags, fl.name)
		}
	}
	if len(flags) > 0 {
		bs = append(bs, Blocker{Code: CodeStandingBlocksOrder, Clause: clauseStanding, Field: "account",
			Params: map[string]any{"flags": flags}})
	}
	for i, l := range f.Lines {
		at := fmt.Sprintf("lines[%d]", i)
		if !l.LicenceCovers {
			bs = append(bs, Blocker{Code: CodeLicenceNotCovered, Clause: clauseLicence, Field: at + ".product_id",
				Params: map[string]any{"product_id": l.Product.ID}})
		}
		if l.Product.Kind == catalog.KindTrafficPack {
			if err := catalog.PackAttachable(l.Product, l.Server, l.ServerOwner, f.CustomerID); err != nil {
				bs = append(bs, Blocker{Code: errs.CodeOf(err), Clause: clausePack, Field: at + ".attach_to"})
			}
		}
	}
	return bs
}

// BlockersErr turns blockers into one *errs.Error, or nil for none. One
// blocker keeps its own code; several give CodeCheckoutBlocked. The Kind is
// the most specific that fits all of them: Forbidden when every blocker is
// about who the customer is (KYC, standing), Invalid otherwise. Each
// blocker is a FieldError (Rule = its code, Params with "clause"), and
// Params "blockers" lists the codes.
func BlockersErr(bs []Blocker) error {
	if len(bs) == 0 {
		return nil
	}
	kind := errs.Forbidden
	fes := make([]errs.FieldError, 0, len(bs))
	codes := make([]string, 0, len(bs))
	clauses := make([]string, 0, len(bs))
	for _, b := range bs {
		if b.Code != CodeKYCRequired && b.Code != CodeStandingBlocksOrder {
			kind = errs.Invalid
		}
		params := map[string]any{"clause": string(b.Clause)}
		for k, v := range b.Params {
			params[k] = v
		}
		fes = append(fes, errs.FieldError{Field: b.Field, Rule: b.Code, Params: params})
		codes = append(codes, b.Code)
		clauses = append(clauses, string(b.Clause))
	}
	code := CodeCheckoutBlocked
	if len(bs) == 1 {
		code = bs[0].Code
	}
	return errs.E(errs.Op("order.CheckoutRules"), kind, code,
		"checkout blocked: "+strings.Join(codes, ", ")+" (clauses "+strings.Join(clauses, ", ")+")",
		fes, map[string]any{"blockers": codes})
}
