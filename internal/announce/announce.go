package announce

import (
	"math/big"
	"time"

	"yuanxu/internal/agreement"
	"yuanxu/internal/errs"
)

// Window is a planned maintenance window.
type Window struct {
	Start, End time.Time
	Emergency  bool // announced with less notice than policy: allowed, flagged, never exempt (7.3)
}

// CodeWindowInvalid is the code of a window that cannot be.
const CodeWindowInvalid = "announce.window_invalid"

// Validate checks a window at now: it ends after it starts and does not
// start in the past. A notice period shorter than noticeHours is refused
// unless the window is marked Emergency (then it is accepted and flagged).
func (w Window) Validate(now time.Time, noticeHours int) error {
	var fes []errs.FieldError
	if !w.End.After(w.Start) {
		fes = append(fes, errs.FieldError{Field: "body.end", Rule: "after_start"})
	}
	if w.Start.Before(now) {
		fes = append(fes, errs.FieldError{Field: "body.start", Rule: "in_future"})
	} else if !w.Emergency && w.Start.Sub(now) < time.Duration(noticeHours)*time.Hour {
		fes = append(fes, errs.FieldError{Field: "body.start", Rule: "notice_too_short", Params: map[string]any{"hours": noticeHours}})
	}
	if len(fes) > 0 {
		return errs.E(errs.Op("announce.Window.Validate"), errs.Invalid, CodeWindowInvalid, "the maintenance window is not valid", fes)
	}
	return nil
}

// Delivery is when a notice reached one customer on one channel
// (first delivery, from the notification log).
type Delivery struct {
	Channel string // email, sms, inapp
	At      time.Time
}

// Notified reports whether a customer counts as notified of window w: a
// notice delivered by email or SMS at least noticeHours before the start.
// The inbox never counts (DESIGN.md §2); an emergency window is never
// "notified" for the exemption.
func (w Window) Notified(ds []Delivery, noticeHours int) bool {
	if w.Emergency {
		return false
	}
	by := w.Start.Add(-time.Duration(noticeHours) * time.Hour)
	for _, d := range ds {
		if (d.Channel == "email" || d.Channel == "sms") && !d.At.IsZero() && !d.At.After(by) {
			return true
		}
	}
	return false
}

// Cause is an incident's cause tag.
type Cause string

// Cause tags.
const (
	CauseForceMajeure        Cause = "force_majeure"
	CauseThirdParty          Cause = "third_party" // carrier, CA, upstream provider
	CauseProviderFault       Cause = "provider_fault"
	CauseCustomer            Cause = "customer_caused"
	CauseMaintenanceNotice   Cause = "maintenance_with_notice"
	CauseMaintenanceNoNotice Cause = "maintenance_without_notice"
)

// Exemption is the outcome of clause 7 for one customer's service.
type Exemption struct {
	Exempt bool
	Clause agreement.ClauseID
	// Extension is the term extension owed when not exempt: the downtime.
	Extension time.Duration
}

// Judge applies clause 7 to an outage of duration down with cause c, for a
// customer who was (or was not) notified of the maintenance it belongs to:
// force majeure (7.1), the customer's own cause (7.2) and third parties
// (7.4) are exempt; maintenance is exempt only with notice delivered in
// time (7.3); the provider's own faults — network faults included (A18) —
// and maintenance without notice are not, and extend the term by the
// downtime.
func Judge(c Cause, notified bool, down time.Duration) Exemption {
	switch c {
	case CauseForceMajeure:
		return Exemption{Exempt: true, Clause: agreement.ClauseForceMajeure}
	case CauseCustomer:
		return Exemption{Exempt: true, Clause: agreement.ClauseCustomerSide}
	case CauseThirdParty:
		return Exemption{Exempt: true, Clause: agreement.ClauseThirdParty}
	case CauseMaintenanceNotice:
		if notified {
			return Exemption{Exempt: true, Clause: agreement.ClauseMaintenance}
		}
	}
	return Exemption{Exempt: false, Clause: agreement.ClauseLiability, Extension: max(down, 0)}
}

// ProRata is the refund of the unused term when a customer objects to an
// assignment (9.3): paid × remaining ÷ term, rounded up in the customer's
// favour, computed exactly.
func ProRata(paidFen int64, termStart, termEnd, at time.Time) int64 {
	if !termEnd.After(termStart) || !at.Before(termEnd) || paidFen <= 0 {
		return 0
	}
	if at.Before(termStart) {
		return paidFen
	}
	num := new(big.Int).Mul(big.NewInt(paidFen), big.NewInt(int64(termEnd.Sub(at))))
	den := big.NewInt(int64(termEnd.Sub(termStart)))
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	if m.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}
