package order

import (
	"slices"
	"time"

	"yuanxu/internal/errs"
)

// State is an order's lifecycle state (DESIGN.md §2).
type State string

// Order states.
const (
	StateCreated        State = "created"         // placed, unpaid; expires after order.unpaid_expiry
	StatePaid           State = "paid"            // payment captured; the delivery deadline runs
	StateProvisioning   State = "provisioning"    // a driver is delivering it
	StateDelivered      State = "delivered"       // reachable by the customer (E-Commerce Law 51)
	StateDeliveryFailed State = "delivery_failed" // the driver gave up; staff retry or the customer cancels
	StateExpired        State = "expired"         // never paid; stock and coupon use given back
	StateCancelled      State = "cancelled"       // ended before delivery; a paid one is refunded in full
	StateRefunded       State = "refunded"        // the outcome of an approved refund (clause 3.1)
	StateSwapped        State = "swapped"         // exchanged for a same-price product (clause 3.1)
)

// transitions is the state machine. Cancellation covers the unpaid order
// the customer abandons and the paid, undelivered order the customer may
// always cancel in full (DESIGN.md §3 refund.window_anchor; on a delivery
// SLA breach, clause 2.2 and CPL 53). Refunded and swapped are the two
// outcomes of a refund request on a paid order. delivery_failed may be
// retried (back to provisioning). Terminal states have no way out, so an
// order is refunded, swapped or cancelled at most once.
var transitions = map[State][]State{
	StateCreated:        {StatePaid, StateExpired, StateCancelled},
	StatePaid:           {StateProvisioning, StateCancelled, StateRefunded, StateSwapped},
	StateProvisioning:   {StateDelivered, StateDeliveryFailed, StateCancelled, StateRefunded, StateSwapped},
	StateDelivered:      {StateRefunded, StateSwapped},
	StateDeliveryFailed: {StateProvisioning, StateCancelled, StateRefunded, StateSwapped},
}

// States lists every state.
var States = []State{StateCreated, StatePaid, StateProvisioning, StateDelivered, StateDeliveryFailed,
	StateExpired, StateCancelled, StateRefunded, StateSwapped}

// Valid reports whether s is a known state.
func (s State) Valid() bool { return slices.Contains(States, s) }

// Terminal reports whether nothing can follow s.
func (s State) Terminal() bool { return s.Valid() && len(transitions[s]) == 0 }

// CanMoveTo reports whether an order may move from s to to.
func (s State) CanMoveTo(to State) bool { return slices.Contains(transitions[s], to) }

// CodeBadTransition is the error code of a move the state machine forbids.
const CodeBadTransition = "order.bad_transition"

// Move moves o to state to at instant at and records the instant: PaidAt
// and the delivery deadline on paid, DeliveredAt on delivered, ClosedAt on
// a terminal state. A move the state machine forbids is an *errs.Error of
// Kind Conflict and code CodeBadTransition, and leaves o unchanged.
func (o *Order) Move(to State, at time.Time) error {
	if !o.State.CanMoveTo(to) {
		return errs.E(errs.Op("order.Move"), errs.Conflict, CodeBadTransition,
			"order "+o.ID+" cannot move from "+string(o.State)+" to "+string(to),
			map[string]any{"from": string(o.State), "to": string(to)})
	}
	switch to {
	case StatePaid:
		o.PaidAt = at
		o.DeliverBy = o.DeliveryDeadline(at)
	case StateDelivered:
		o.DeliveredAt = at
	}
	if to.Terminal() {
		o.ClosedAt = at
	}
	o.State = to
	return nil
}
