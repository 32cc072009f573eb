package policy

import (
	"context"
	"time"

	"yuanxu/internal/errs"
)

// Source is what the resolver needs from storage: which agreement version
// applies, and its values. The store implements it; every method reads only.
type Source interface {
	// VersionForOrder returns the version the customer accepted at the
	// order's checkout (every checkout records one). An unknown order is an
	// error wrapping errs.ErrNotFound.
	VersionForOrder(ctx context.Context, orderID string) (versionID string, err error)
	// VersionAcceptedBefore returns the latest version the customer accepted
	// strictly before at; ok is false when there is none.
	VersionAcceptedBefore(ctx context.Context, customerID string, at time.Time) (versionID string, ok bool, err error)
	// VersionInForce returns the version effective at at. When none is, the
	// error wraps errs.ErrNotFound.
	VersionInForce(ctx context.Context, at time.Time) (string, error)
	// SetForVersion returns the parsed policy of a version. An unknown
	// version is an error wrapping errs.ErrNotFound.
	SetForVersion(ctx context.Context, versionID string) (*Set, error)
}

// Reason says why a version governs a decision.
type Reason string

const (
	ReasonAcceptedAtCheckout Reason = "accepted_at_checkout" // the order's checkout recorded it
	ReasonAcceptedBefore     Reason = "accepted_before"      // the customer's latest acceptance before the instant
	ReasonInForce            Reason = "in_force"             // no acceptance before the instant: the version effective then
)

// Trace records which version's policy a decision used and why, so that the
// decision can cite it. Digest is the Set's Digest, which pins the exact
// values even if the version's stored policy were ever altered.
type Trace struct {
	VersionID  string
	Reason     Reason
	OrderID    string    // set by For
	CustomerID string    // set by ForCustomer
	At         time.Time // the decision instant given to ForCustomer; zero for For
	Digest     string
}

// Resolver picks the policy that governs a decision.
type Resolver struct {
	Source Source
}

// For returns the policy of the version accepted at the order's checkout.
// Errors from the Source are returned wrapped (errors.Is still sees
// errs.ErrNotFound); a Source that answers with an empty version id or a nil
// Set is an internal error.
func (r Resolver) For(ctx context.Context, orderID string) (*Set, Trace, error) {
	const op = errs.Op("policy.Resolver.For")
	if orderID == "" {
		return nil, Trace{}, errs.E(op, errs.Invalid, "policy.order_required", "order id required",
			errs.FieldError{Field: "order_id", Rule: "required"})
	}
	id, err := r.Source.VersionForOrder(ctx, orderID)
	if err != nil {
		return nil, Trace{}, errs.E(op, err)
	}
	if id == "" {
		return nil, Trace{}, errs.E(op, errs.Internal, "policy.version_missing", "order "+orderID+" has no agreement version")
	}
	return r.load(ctx, op, Trace{VersionID: id, Reason: ReasonAcceptedAtCheckout, OrderID: orderID})
}

// ForCustomer returns the policy for a decision about the customer at at that
// has no order (bans, appeals, maintenance, KYC): the latest version the
// customer accepted before at, else the version in force at at. Errors are
// as For's.
func (r Resolver) ForCustomer(ctx context.Context, customerID string, at time.Time) (*Set, Trace, error) {
	const op = errs.Op("policy.Resolver.ForCustomer")
	if customerID == "" {
		return nil, Trace{}, errs.E(op, errs.Invalid, "policy.customer_required", "customer id required",
			errs.FieldError{Field: "customer_id", Rule: "required"})
	}
	tr := Trace{CustomerID: customerID, At: at}
	id, ok, err := r.Source.VersionAcceptedBefore(ctx, customerID, at)
	if err != nil {
		return nil, Trace{}, errs.E(op, err)
	}
	if ok {
		tr.VersionID, tr.Reason = id, ReasonAcceptedBefore
	} else {
		id, err = r.Source.VersionInForce(ctx, at)
		if err != nil {
			return nil, Trace{}, errs.E(op, err)
		}
		tr.VersionID, tr.Reason = id, ReasonInForce
	}
	if tr.VersionID == "" {
		return nil, Trace{}, errs.E(op, errs.Internal, "policy.version_missing", "source answered an empty version id")
	}
	return r.load(ctx, op, tr)
}

func (r Resolver) load(ctx context.Context, op errs.Op, tr Trace) (*Set, Trace, error) {
	s, err := r.Source.SetForVersion(ctx, tr.VersionID)
	if err != nil {
		return nil, Trace{}, errs.E(op, err)
	}
	if s == nil || s.vals == nil {
		return nil, Trace{}, errs.E(op, errs.Internal, "policy.version_missing", "version "+tr.VersionID+" has no policy")
	}
	tr.Digest = s.Digest()
	return s, tr, nil
}

// BuiltinVersion is the version id of the Static source's default policy.
const BuiltinVersion = "builtin"

// Static is a Source with one version, in force at every instant and
// recorded on every order; no customer has accepted it. The zero Static is
// version BuiltinVersion with ProjectDefaults, used until agreement versions
// are stored.
type Static struct {
	ID     string // "" means BuiltinVersion
	Policy *Set   // nil means ProjectDefaults()
}

var _ Source = Static{}

func (s Static) id() string {
	if s.ID == "" {
		return BuiltinVersion
	}
	return s.ID
}

// VersionForOrder returns the one version for any order.
func (s Static) VersionForOrder(context.Context, string) (string, error) { return s.id(), nil }

// VersionAcceptedBefore reports no acceptance, so callers fall back to the
// version in force.
func (s Static) VersionAcceptedBefore(context.Context, string, time.Time) (string, bool, error) {
	return "", false, nil
}

// VersionInForce returns the one version at every instant.
func (s Static) VersionInForce(context.Context, time.Time) (string, error) { return s.id(), nil }

// SetForVersion returns the policy of the one version; any other id is an
// error wrapping errs.ErrNotFound.
func (s Static) SetForVersion(_ context.Context, versionID string) (*Set, error) {
	if versionID != s.id() {
		return nil, errs.E(errs.Op("policy.Static.SetForVersion"), errs.NotFound, "policy.version_not_found",
			"no agreement version "+versionID, errs.ErrNotFound)
	}
	if s.Policy == nil {
		return ProjectDefaults(), nil
	}
	return s.Policy, nil
}
