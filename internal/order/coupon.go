package order

import (
	"fmt"
	"slices"
	"time"

	"yuanxu/internal/errs"
)

// CouponKind is how a coupon discounts.
type CouponKind string

// Coupon kinds.
const (
	CouponPercent CouponKind = "percent" // PercentBP basis points of the eligible lines
	CouponFixed   CouponKind = "fixed"   // AmountFen off the eligible lines, at most their total
)

// Coupon is a discount code.
type Coupon struct {
	Code      string
	Kind      CouponKind
	PercentBP int64 // 1..10000 for CouponPercent (10000 = 100 %)
	AmountFen int64 // > 0 for CouponFixed
	// ProductIDs limits the coupon to lines of these products; empty means
	// every product.
	ProductIDs        []string
	FirstPurchaseOnly bool
	MaxUses           int64     // across all customers; 0 = unlimited
	MaxUsesPerCust    int64     // per customer; 0 = unlimited
	ValidFrom         time.Time // inclusive; zero = no start
	ValidUntil        time.Time // exclusive; zero = no end
}

// CouponContext is what ApplyCoupon needs to know beyond the order and the
// coupon: read by the app in the checkout transaction.
type CouponContext struct {
	FirstPurchase  bool  // the customer has no earlier paid order
	UsesByCustomer int64 // uses of this coupon counted for this customer
	UsesTotal      int64 // uses counted for everyone
	Now            time.Time
}

// Coupon error codes.
const (
	CodeCouponInvalid           = "coupon.invalid"             // the coupon itself is malformed (a bug in the console data)
	CodeCouponNotYetValid       = "coupon.not_yet_valid"       // before ValidFrom
	CodeCouponExpired           = "coupon.expired"             // at or after ValidUntil
	CodeCouponFirstPurchaseOnly = "coupon.first_purchase_only" // the customer bought before
	CodeCouponExhausted         = "coupon.exhausted"           // a usage limit is reached
	CodeCouponNotApplicable     = "coupon.not_applicable"      // no line it covers, or the order is not open
)

// Validate reports every problem of a coupon's definition in one
// *errs.Error of Kind Invalid and code CodeCouponInvalid.
func (c Coupon) Validate() error {
	var fes []errs.FieldError
	bad := func(field, rule string) { fes = append(fes, errs.FieldError{Field: field, Rule: rule}) }
	if c.Code == "" {
		bad("code", "required")
	}
	switch c.Kind {
	case CouponPercent:
		if c.PercentBP < 1 || c.PercentBP > 10000 {
			bad("percent_bp", "range")
		}
	case CouponFixed:
		if c.AmountFen <= 0 {
			bad("amount_fen", "positive")
		}
	default:
		bad("kind", "enum")
	}
	if c.MaxUses < 0 {
		bad("max_uses", "min")
	}
	if c.MaxUsesPerCust < 0 {
		bad("max_uses_per_customer", "min")
	}
	if !c.ValidFrom.IsZero() && !c.ValidUntil.IsZero() && !c.ValidFrom.Before(c.ValidUntil) {
		bad("valid_until", "after_valid_from")
	}
	if len(fes) > 0 {
		return errs.E(errs.Op("order.Coupon.Validate"), errs.Invalid, CodeCouponInvalid, "coupon "+c.Code+" is malformed", fes)
	}
	return nil
}

// ApplyCoupon checks c against o and ctx and, if it applies, records it on
// o (CouponCode, DiscountFen, TotalFen, replacing any earlier coupon) and
// returns the discount. Checks, in order, each an *errs.Error with field
// "coupon_code": the order is still created (CodeCouponNotApplicable, Kind
// Conflict); the coupon is well formed (CodeCouponInvalid); the validity
// window (CodeCouponNotYetValid, CodeCouponExpired); first purchase
// (CodeCouponFirstPurchaseOnly); the usage limits (CodeCouponExhausted,
// Kind Conflict, Params "scope": "total" or "customer"); at least one line
// it covers with a positive total (CodeCouponNotApplicable).
//
// The discount is computed on the covered lines only: a percentage rounds
// half up to the fen, a fixed amount is capped at the covered total, so the
// order total never goes negative. On error o is unchanged.
func ApplyCoupon(o *Order, c Coupon, ctx CouponContext) (int64, error) {
	const op = errs.Op("order.ApplyCoupon")
	field := errs.FieldError{Field: "coupon_code", Rule: "coupon"}
	fail := func(kind errs.Kind, code, msg string, params map[string]any) (int64, error) {
		f := field
		f.Rule = code
		return 0, errs.E(op, kind, code, msg, f, params)
	}
	if o.State != StateCreated {
		return fail(errs.Conflict, CodeCouponNotApplicable, "a coupon applies only to an unpaid order", map[string]any{"state": string(o.State)})
	}
	if err := c.Validate(); err != nil {
		return 0, err
	}
	if !c.ValidFrom.IsZero() && ctx.Now.Before(c.ValidFrom) {
		return fail(errs.Invalid, CodeCouponNotYetValid, "coupon "+c.Code+" is not valid yet", map[string]any{"valid_from": c.ValidFrom})
	}
	if !c.ValidUntil.IsZero() && !ctx.Now.Before(c.ValidUntil) {
		return fail(errs.Invalid, CodeCouponExpired, "coupon "+c.Code+" has expired", map[string]any{"valid_until": c.ValidUntil})
	}
	if c.FirstPurchaseOnly && !ctx.FirstPurchase {
		return fail(errs.Invalid, CodeCouponFirstPurchaseOnly, "coupon "+c.Code+" is for a first purchase only", nil)
	}
	if c.MaxUses > 0 && ctx.UsesTotal >= c.MaxUses {
		return fail(errs.Conflict, CodeCouponExhausted, "coupon "+c.Code+" is used up", map[string]any{"scope": "total", "max": c.MaxUses})
	}
	if c.MaxUsesPerCust > 0 && ctx.UsesByCustomer >= c.MaxUsesPerCust {
		return fail(errs.Conflict, CodeCouponExhausted, "coupon "+c.Code+" is used up for this customer", map[string]any{"scope": "customer", "max": c.MaxUsesPerCust})
	}
	var covered []int64
	for _, l := range o.Lines {
		if len(c.ProductIDs) == 0 || slices.Contains(c.ProductIDs, l.ProductID) {
			covered = append(covered, l.TotalFen)
		}
	}
	base, err := SumFen(covered...)
	if err != nil {
		return 0, err
	}
	if base == 0 {
		return fail(errs.Invalid, CodeCouponNotApplicable, "coupon "+c.Code+" covers nothing in this order", nil)
	}
	var d int64
	switch c.Kind {
	case CouponPercent:
		d = percentOf(base, c.PercentBP)
	case CouponFixed:
		d = min(c.AmountFen, base)
	}
	if d > o.SubtotalFen { // cannot happen: base ≤ subtotal; kept as the invariant's guard
		return 0, errs.E(op, errs.Internal, fmt.Sprintf("discount %d above subtotal %d", d, o.SubtotalFen))
	}
	o.CouponCode, o.DiscountFen, o.TotalFen = c.Code, d, o.SubtotalFen-d
	return d, nil
}

// CouponUsage is a coupon's counted uses, overall and for one customer.
type CouponUsage struct {
	Total, ByCustomer int64
}

// RestoreUse gives back the use an order took: when an order that carried
// a coupon is refunded, swapped, cancelled or expires (Order.CouponReturns),
// its use no longer counts — the customer may use the coupon again, and its
// value is never paid out (SEED-REQUIREMENTS A17). Counts never go below
// zero. The store does the same with its use record keyed by order id, so
// that restoring twice restores once.
func RestoreUse(u CouponUsage) CouponUsage {
	return CouponUsage{Total: max(u.Total-1, 0), ByCustomer: max(u.ByCustomer-1, 0)}
}

// CouponReturns reports whether o's coupon use is to be restored: it
// carried a coupon and ended without being kept (expired, cancelled,
// refunded or swapped).
func (o Order) CouponReturns() bool {
	if o.CouponCode == "" {
		return false
	}
	switch o.State {
	case StateExpired, StateCancelled, StateRefunded, StateSwapped:
		return true
	}
	return false
}
