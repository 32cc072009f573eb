package service

import (
	"slices"
	"time"

	"yuanxu/internal/errs"
)

// CST is China Standard Time, the calendar of terms and days.
var CST = time.FixedZone("CST", 8*3600)

// State is a service's lifecycle state.
type State string

// States.
const (
	StatePending    State = "pending"    // paid, not yet delivered
	StateActive     State = "active"     // running
	StateSuspended  State = "suspended"  // holds at least one suspension reason
	StateTerminated State = "terminated" // ended; data kept for retention, then destroyed
)

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	return s == StatePending || s == StateActive || s == StateSuspended || s == StateTerminated
}

// Reason is why a service is suspended.
type Reason string

// Suspension reasons.
const (
	ReasonOverdue       Reason = "overdue"        // expired, within the grace period
	ReasonQuota         Reason = "quota"          // traffic quota exhausted
	ReasonCompliance    Reason = "compliance"     // a measure of a violation case (4.2)
	ReasonRefundPending Reason = "refund_pending" // a refund request under review (3.1)
)

// Reasons lists every reason.
var Reasons = []Reason{ReasonOverdue, ReasonQuota, ReasonCompliance, ReasonRefundPending}

// Valid reports whether r is a known reason.
func (r Reason) Valid() bool { return slices.Contains(Reasons, r) }

// Suspension is one reason in force and since when.
type Suspension struct {
	Reason Reason
	Since  time.Time
}

// Service is the lifecycle part of a service record.
type Service struct {
	ID        string
	State     State
	StartsAt  time.Time // when it was first activated (zero while pending)
	ExpiresAt time.Time // exclusive end of the paid term (zero while pending)
	AutoRenew bool
	// Suspensions are the reasons in force, in the order they began.
	Suspensions  []Suspension
	TerminatedAt time.Time
}

// Error codes.
const (
	CodeBadTransition = "service.bad_transition"
	CodeTerminated    = "service.terminated"
	CodeInvalid       = "service.invalid"
)

func conflict(code, msg string, params map[string]any) error {
	return errs.E(errs.Op("service"), errs.Conflict, code, msg, params)
}

// Activate starts a pending service at at for a first term ending at end
// (see [AddCycles]): active, StartsAt and ExpiresAt set.
func (s *Service) Activate(at, end time.Time) error {
	if s.State != StatePending {
		return conflict(CodeBadTransition, "only a pending service can be activated", map[string]any{"state": string(s.State)})
	}
	if !end.After(at) {
		return errs.E(errs.Op("service.Activate"), errs.Invalid, CodeInvalid, "the term must end after it starts")
	}
	s.State, s.StartsAt, s.ExpiresAt = StateActive, at, end
	return nil
}

// Holds reports whether reason r is in force.
func (s Service) Holds(r Reason) bool {
	return slices.ContainsFunc(s.Suspensions, func(x Suspension) bool { return x.Reason == r })
}

// Suspend adds reason r at at. Suspending for a reason already in force is
// a no-op (changed = false); a pending or terminated service cannot be
// suspended.
func (s *Service) Suspend(r Reason, at time.Time) (changed bool, err error) {
	if !r.Valid() {
		return false, errs.E(errs.Op("service.Suspend"), errs.Invalid, CodeInvalid, "unknown suspension reason "+string(r))
	}
	switch s.State {
	case StateTerminated:
		return false, conflict(CodeTerminated, "the service is terminated", nil)
	case StatePending:
		return false, conflict(CodeBadTransition, "a pending service cannot be suspended", nil)
	}
	if s.Holds(r) {
		return false, nil
	}
	s.Suspensions = append(s.Suspensions, Suspension{Reason: r, Since: at})
	s.State = StateSuspended
	return true, nil
}

// Resume lifts reason r at at and returns how long that reason was in
// force (for a term extension, e.g. a refund request rejected or a ban
// overturned). The service becomes active again when no reason is left.
// Lifting a reason not in force is a no-op (0, nil).
func (s *Service) Resume(r Reason, at time.Time) (time.Duration, error) {
	if s.State == StateTerminated {
		return 0, conflict(CodeTerminated, "the service is terminated", nil)
	}
	i := slices.IndexFunc(s.Suspensions, func(x Suspension) bool { return x.Reason == r })
	if i < 0 {
		return 0, nil
	}
	held := max(at.Sub(s.Suspensions[i].Since), 0)
	s.Suspensions = slices.Delete(s.Suspensions, i, i+1)
	if len(s.Suspensions) == 0 {
		s.State = StateActive
	}
	return held, nil
}

// ExtensionReason is why a term is extended (issue 12 item 6).
type ExtensionReason string

// Extension reasons.
const (
	ExtendComplianceOverturn ExtensionReason = "compliance_overturn" // a measure overturned on appeal (6.2)
	ExtendOutage             ExtensionReason = "outage"              // a non-exempt outage (7)
	ExtendRefundRejected     ExtensionReason = "refund_rejected"     // suspended for a refund review that was rejected or withdrawn
	ExtendGoodwill           ExtensionReason = "goodwill"            // staff's decision
)

// Valid reports whether r is a known extension reason.
func (r ExtensionReason) Valid() bool {
	switch r {
	case ExtendComplianceOverturn, ExtendOutage, ExtendRefundRejected, ExtendGoodwill:
		return true
	}
	return false
}

// MaxExtension bounds one extension: a year.
const MaxExtension = 366 * 24 * time.Hour

// Extend moves the end of the term by d for reason r. d must be positive
// and at most MaxExtension; a pending or terminated service has no term
// to extend.
func (s *Service) Extend(d time.Duration, r ExtensionReason) error {
	if !r.Valid() || d <= 0 || d > MaxExtension {
		return errs.E(errs.Op("service.Extend"), errs.Invalid, CodeInvalid, "an extension needs a known reason and a positive duration of at most a year")
	}
	if s.State == StatePending || s.State == StateTerminated {
		return conflict(CodeBadTransition, "no running term to extend", map[string]any{"state": string(s.State)})
	}
	s.ExpiresAt = s.ExpiresAt.Add(d)
	return nil
}

// Renew adds the term paid by a renewal ending at newEnd (computed by
// [RenewalEnd]). An overdue suspension ends with it. A terminated service
// cannot be renewed.
func (s *Service) Renew(newEnd, at time.Time) error {
	if s.State == StateTerminated {
		return conflict(CodeTerminated, "a terminated service cannot be renewed; buy a new one", nil)
	}
	if s.State == StatePending {
		return conflict(CodeBadTransition, "a pending service cannot be renewed yet", nil)
	}
	if !newEnd.After(s.ExpiresAt) {
		return errs.E(errs.Op("service.Renew"), errs.Invalid, CodeInvalid, "a renewal must extend the term")
	}
	s.ExpiresAt = newEnd
	if newEnd.After(at) {
		if _, err := s.Resume(ReasonOverdue, at); err != nil {
			return err
		}
	}
	return nil
}

// Terminate ends the service at at, whatever its reasons. Terminating
// twice is a conflict.
func (s *Service) Terminate(at time.Time) error {
	if s.State == StateTerminated {
		return conflict(CodeTerminated, "the service is terminated already", nil)
	}
	s.State, s.TerminatedAt, s.Suspensions = StateTerminated, at, nil
	return nil
}
