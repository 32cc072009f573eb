package account

import (
	"slices"
	"time"

	"yuanxu/internal/errs"
)

// Flag is a standing flag: a measure taken against an account by compliance
// (clause 4.2, 6.1), kept apart from the account's lifecycle Status.
type Flag string

// Standing flags, mildest first.
const (
	FlagRestricted Flag = "restricted" // may keep and renew what it has, may not buy more (ATFL 22 限制)
	FlagSuspended  Flag = "suspended"  // services stopped, nothing new, no renewals (clause 4.2 停止服务)
	FlagBanned     Flag = "banned"     // 封禁 (clause 4.2); refunds and balance frozen (3.2.4, 4.3)
)

var flags = []Flag{FlagRestricted, FlagSuspended, FlagBanned}

// Valid reports whether f is a standing flag.
func (f Flag) Valid() bool { return slices.Contains(flags, f) }

// Measure is one standing flag in force.
type Measure struct {
	Flag    Flag
	Reason  string    // the reason text the customer was notified of
	CaseRef string    // the violation case that imposed it
	Since   time.Time // when it took effect
}

// Standing is an account's set of measures in force. The zero Standing is
// good standing. A nil field means the flag is not set.
type Standing struct {
	Restricted *Measure
	Suspended  *Measure
	Banned     *Measure
}

// Action is something standing can block.
type Action string

// Actions. Some are never blocked, by design: logging in and reading
// notices, filing tickets and appeals (clause 6.2: a measure can always be
// contested), fault remedies (non-delivery and defects are always remedied:
// SEED A7, A11), and personal-information requests (PIPL 44-47).
const (
	ActionOrder         Action = "order"           // place or pay a new order
	ActionRenew         Action = "renew"           // renew or upgrade an existing service
	ActionServiceManage Action = "service_manage"  // operate a service
	ActionTopUp         Action = "top_up"          // add money to the wallet
	ActionWithdraw      Action = "withdraw"        // take cash out (the balance is frozen under a ban)
	ActionRefundNoFault Action = "refund_no_fault" // the 24-hour no-fault refund of clause 3.1
	ActionLogin         Action = "login"
	ActionAppeal        Action = "appeal"
	ActionTicket        Action = "ticket"
	ActionRefundFault   Action = "refund_fault" // non-delivery, delivery-deadline breach, defects
	ActionPIRequest     Action = "pi_request"
)

// standingBlocks is the rule table: which flag blocks which action, and the
// clause that says so. An action not listed for a flag is allowed.
var standingBlocks = []struct {
	Flag   Flag
	Action Action
	Clause string
}{
	{FlagRestricted, ActionOrder, "4.2"},

	{FlagSuspended, ActionOrder, "4.2"},
	{FlagSuspended, ActionRenew, "4.2"},
	{FlagSuspended, ActionServiceManage, "4.2"},

	{FlagBanned, ActionOrder, "4.2"},
	{FlagBanned, ActionRenew, "4.2"},
	{FlagBanned, ActionServiceManage, "4.2"},
	{FlagBanned, ActionTopUp, "4.3"},
	{FlagBanned, ActionWithdraw, "4.3"},        // ban.freeze_balance: frozen, never forfeited
	{FlagBanned, ActionRefundNoFault, "3.2.4"}, // frozen; reopened if the ban is overturned
}

// NeverBlocked lists the actions no flag may block; a test holds the table
// to it.
var NeverBlocked = []Action{ActionLogin, ActionAppeal, ActionTicket, ActionRefundFault, ActionPIRequest}

// Good reports whether no flag is set.
func (s Standing) Good() bool { return s.Restricted == nil && s.Suspended == nil && s.Banned == nil }

// Measure returns the measure for f, or nil.
func (s Standing) Measure(f Flag) *Measure {
	switch f {
	case FlagRestricted:
		return s.Restricted
	case FlagSuspended:
		return s.Suspended
	case FlagBanned:
		return s.Banned
	}
	return nil
}

// Worst returns the most severe flag set, or "" in good standing.
func (s Standing) Worst() Flag {
	for i := len(flags) - 1; i >= 0; i-- {
		if s.Measure(flags[i]) != nil {
			return flags[i]
		}
	}
	return ""
}

// Measures lists the measures in force, mildest first.
func (s Standing) Measures() []Measure {
	var out []Measure
	for _, f := range flags {
		if m := s.Measure(f); m != nil {
			mm := *m
			mm.Flag = f
			out = append(out, mm)
		}
	}
	return out
}

// Merge returns the standing that applies to a sub-user: every flag set on
// either s (the sub-user's own) or ent (its enterprise's), the
// enterprise's measure winning where both are set.
func (s Standing) Merge(ent Standing) Standing {
	pick := func(own, e *Measure) *Measure {
		if e != nil {
			return e
		}
		return own
	}
	return Standing{
		Restricted: pick(s.Restricted, ent.Restricted),
		Suspended:  pick(s.Suspended, ent.Suspended),
		Banned:     pick(s.Banned, ent.Banned),
	}
}

// blocking returns the most severe measure that blocks a, with the clause.
func (s Standing) blocking(a Action) (Measure, string, bool) {
	for i := len(flags) - 1; i >= 0; i-- {
		f := flags[i]
		m := s.Measure(f)
		if m == nil {
			continue
		}
		for _, b := range standingBlocks {
			if b.Flag == f && b.Action == a {
				mm := *m
				mm.Flag = f
				return mm, b.Clause, true
			}
		}
	}
	return Measure{}, "", false
}

// Blocks reports whether the standing blocks a.
func (s Standing) Blocks(a Action) bool {
	_, _, b := s.blocking(a)
	return b
}

// Check returns nil when a is allowed, else an *errs.Error (Forbidden, code
// "standing.<flag>" of the most severe blocking flag) whose Params carry
// the clause ("clause": "3.2.4"), the action, the case reference, the
// reason the customer was notified of and the start (Unix milliseconds).
func (s Standing) Check(a Action) error {
	m, clause, blocked := s.blocking(a)
	if !blocked {
		return nil
	}
	return &errs.Error{Kind: errs.Forbidden, Code: m.code(), Msg: "account standing does not allow this", Params: m.params(a, clause)}
}

func (m Measure) code() string { return "standing." + string(m.Flag) }

func (m Measure) params(a Action, clause string) map[string]any {
	p := map[string]any{"clause": clause, "flag": string(m.Flag), "action": string(a)}
	if m.CaseRef != "" {
		p["case_ref"] = m.CaseRef
	}
	if m.Reason != "" {
		p["reason"] = m.Reason
	}
	if !m.Since.IsZero() {
		p["since"] = m.Since.UnixMilli()
	}
	return p
}
