package kyc

import (
	"slices"

	"yuanxu/internal/errs"
	"yuanxu/internal/policy"
)

// State is a customer's real-name verification state (DESIGN §2 "kyc").
// The values are stored; never rename one.
type State string

const (
	// StateUnverified: nothing submitted yet. Browsing and carts need no
	// verification (kyc.required_before); paying for a provisioned product
	// does.
	StateUnverified State = "unverified"
	// StatePending: a submission waits for the verifier or a reviewer.
	StatePending State = "pending"
	// StateInfoRequested: the reviewer asked for more (a reason from
	// [Reasons]); the customer answers by submitting again (→ pending).
	StateInfoRequested State = "info_requested"
	// StateApproved: verified. The only state that allows paying for
	// provisioned products.
	StateApproved State = "approved"
	// StateRejected: refused with a reason; the customer may submit again
	// (→ pending), because a refusal of real-name data must never lock a
	// consumer out for good.
	StateRejected State = "rejected"
	// StateReverifyRequired: verified data changed (clause 五: a profile
	// change triggers a re-check), or the account was flagged for
	// re-verification (Anti-Telecom-Fraud Law art. 22). New purchases are
	// blocked until a new submission is approved; services already
	// delivered keep running (the app decides any measure separately).
	StateReverifyRequired State = "reverify_required"
)

// transitions is the whole state machine: from → allowed targets.
var transitions = map[State][]State{
	StateUnverified:       {StatePending},
	StatePending:          {StateInfoRequested, StateApproved, StateRejected},
	StateInfoRequested:    {StatePending},
	StateApproved:         {StateReverifyRequired},
	StateRejected:         {StatePending},
	StateReverifyRequired: {StatePending},
}

// States lists every state, in lifecycle order.
func States() []State {
	return []State{StateUnverified, StatePending, StateInfoRequested, StateApproved, StateRejected, StateReverifyRequired}
}

// Valid reports whether s is one of the states.
func (s State) Valid() bool { _, ok := transitions[s]; return ok }

// Targets returns the states s may move to, or nil for an unknown state.
func (s State) Targets() []State { return slices.Clone(transitions[s]) }

// CanMoveTo reports whether the machine allows from → to. Staying in the
// same state is not a move.
func CanMoveTo(from, to State) bool { return slices.Contains(transitions[from], to) }

// Move checks from → to. It returns an *errs.Error: Invalid with code
// [CodeStateUnknown] (field "state", params state) when either state is
// unknown, or Conflict with code [CodeStateTransition] (params from, to)
// when the machine does not allow the move.
func Move(from, to State) error {
	for _, s := range []State{from, to} {
		if !s.Valid() {
			return &errs.Error{Kind: errs.Invalid, Code: CodeStateUnknown, Msg: "unknown verification state",
				Params: map[string]any{"state": string(s)}, Fields: []errs.FieldError{{Field: "state", Rule: "enum", Params: map[string]any{"state": string(s)}}}}
		}
	}
	if !CanMoveTo(from, to) {
		return &errs.Error{Kind: errs.Conflict, Code: CodeStateTransition, Msg: "verification cannot move from " + string(from) + " to " + string(to),
			Params: map[string]any{"from": string(from), "to": string(to)}}
	}
	return nil
}

// AllowsProvisionedPurchase reports whether a customer in state s may pay
// for a product that is provisioned (cloud server, VPN line, CDN,
// certificate, traffic pack): only when approved. This is the default of
// kyc.required_before (pay_provisioned), clause 2.1: the Cybersecurity Law
// art. 26 (art. 24 before its 2025 amendment) and the Anti-Telecom-Fraud
// Law art. 21 forbid providing network access, network proxy (VPN), cloud,
// hosting and CDN services to a user who has not given true identity
// information. reverify_required blocks new purchases like pending does.
func AllowsProvisionedPurchase(s State) bool { return s == StateApproved }

// CheckPurchase returns nil when [AllowsProvisionedPurchase](s), else an
// *errs.Error of Kind Conflict, code [CodeRequired], with params clause
// ("2.1"), policy ("kyc.required_before") and state, which the app shows
// with a link to the verification form.
func CheckPurchase(s State) error {
	if AllowsProvisionedPurchase(s) {
		return nil
	}
	return &errs.Error{Kind: errs.Conflict, Code: CodeRequired, Msg: "real-name verification must be approved before paying for a provisioned product",
		Params: map[string]any{"clause": Clause, "policy": string(policy.KYCRequiredBefore), "state": string(s)}}
}
