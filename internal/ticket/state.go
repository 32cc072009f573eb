package ticket

import (
	"slices"
	"time"

	"yuanxu/internal/errs"
)

// State is where a ticket's conversation stands.
type State string

// States: open → answered ⇄ customer_reply → closed; a closed ticket
// may be reopened (to customer_reply) within ReopenWindow.
const (
	StateOpen          State = "open"           // new, waiting for the first staff answer
	StateAnswered      State = "answered"       // staff answered; waiting for the customer (auto-close runs)
	StateCustomerReply State = "customer_reply" // the customer wrote again; waiting for staff
	StateClosed        State = "closed"
)

// States lists every state.
var States = []State{StateOpen, StateAnswered, StateCustomerReply, StateClosed}

// Valid reports whether s is a state.
func (s State) Valid() bool { return slices.Contains(States, s) }

// AwaitingStaff reports whether staff owe an answer in s.
func (s State) AwaitingStaff() bool { return s == StateOpen || s == StateCustomerReply }

// Event is what happens to a ticket.
type Event string

// Events of the state machine.
const (
	EvCustomerReply Event = "customer_reply"
	EvStaffAnswer   Event = "staff_answer"
	EvClose         Event = "close"
	EvReopen        Event = "reopen"
)

// Next returns the state after ev in s, or ticket.closed (Conflict) for a
// reply to a closed ticket, ticket.not_closed for reopening an open one,
// and ticket.reopen_window_passed after ReopenWindow. closedAt and now
// matter only for EvReopen. An internal note changes no state: callers do
// not call Next for it.
func Next(s State, ev Event, closedAt, now time.Time) (State, error) {
	switch ev {
	case EvCustomerReply:
		switch s {
		case StateOpen:
			return StateOpen, nil
		case StateAnswered, StateCustomerReply:
			return StateCustomerReply, nil
		}
		return s, errClosed()
	case EvStaffAnswer:
		if s == StateClosed {
			return s, errClosed()
		}
		return StateAnswered, nil
	case EvClose:
		if s == StateClosed {
			return s, &errs.Error{Kind: errs.Conflict, Code: "ticket.already_closed", Msg: "the ticket is already closed"}
		}
		return StateClosed, nil
	case EvReopen:
		if s != StateClosed {
			return s, &errs.Error{Kind: errs.Conflict, Code: "ticket.not_closed", Msg: "only a closed ticket can be reopened"}
		}
		if !now.Before(closedAt.Add(ReopenWindow)) {
			return s, &errs.Error{Kind: errs.Conflict, Code: "ticket.reopen_window_passed", Msg: "the reopen window has passed; open a new ticket",
				Params: map[string]any{"days": int(ReopenWindow / (24 * time.Hour))}}
		}
		return StateCustomerReply, nil
	}
	return s, &errs.Error{Kind: errs.Internal, Code: "ticket.unknown_event", Msg: "unknown ticket event " + string(ev)}
}

func errClosed() error {
	return &errs.Error{Kind: errs.Conflict, Code: "ticket.closed", Msg: "the ticket is closed; reopen it or open a new one"}
}

// AutoCloseClause is the clause the auto-close rule implements.
const AutoCloseClause = "5"

// AutoClose is when an answered ticket closes itself and when the
// customer is warned (clause 5, policy ticket.auto_close_days): days
// after the last staff answer, with a warning one day before. A new
// customer reply stops it (the ticket leaves answered).
type AutoClose struct {
	WarnAt, CloseAt time.Time
}

// AutoCloseAfter computes the auto-close of a ticket answered at
// lastAnswer under a policy of days (range-checked by the policy: ≥ 2).
func AutoCloseAfter(lastAnswer time.Time, days int) AutoClose {
	at := lastAnswer.Add(time.Duration(days) * 24 * time.Hour)
	return AutoClose{WarnAt: at.Add(-24 * time.Hour), CloseAt: at}
}
