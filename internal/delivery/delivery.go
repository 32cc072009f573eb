package delivery

import (
	"slices"
	"time"

	"yuanxu/internal/errs"
)

// CertState is a certificate order's state (SEED-REQUIREMENTS 三(二)2).
type CertState string

// Certificate states, in lifecycle order.
const (
	CertPaid          CertState = "paid"
	CertValidating    CertState = "validating"
	CertSubmittedToCA CertState = "submitted_to_ca"
	CertIssued        CertState = "issued"
	CertCARejected    CertState = "ca_rejected"
)

var certMoves = map[CertState][]CertState{
	CertPaid:          {CertValidating, CertCARejected},
	CertValidating:    {CertSubmittedToCA, CertCARejected},
	CertSubmittedToCA: {CertIssued, CertCARejected},
}

// CodeBadCertMove is the code of a certificate state change that cannot
// happen.
const CodeBadCertMove = "delivery.cert_bad_transition"

// Move returns the state after a move to to, or an error when the
// lifecycle forbids it (issued and rejected are final).
func (s CertState) Move(to CertState) (CertState, error) {
	if !slices.Contains(certMoves[s], to) {
		return s, errs.E(errs.Op("delivery.CertState.Move"), errs.Conflict, CodeBadCertMove,
			"a certificate cannot go from "+string(s)+" to "+string(to), map[string]any{"from": string(s), "to": string(to)})
	}
	return to, nil
}

// InspectionOpen reports whether the inspection window of clause 2.3 is
// open at t: from deliveredAt for window, its end included (a report at
// exactly +24:00:00 is in time, +24:00:00.001 is not).
func InspectionOpen(deliveredAt time.Time, window time.Duration, t time.Time) bool {
	return !deliveredAt.IsZero() && !t.Before(deliveredAt) && !t.After(deliveredAt.Add(window))
}

// Breached reports whether a paid order with deadline deliverBy (an
// exclusive instant) is past it at now without being delivered: the
// customer may then cancel for a full refund whatever the class (2.2).
func Breached(deliverBy, deliveredAt, now time.Time) bool {
	if deliverBy.IsZero() {
		return false
	}
	if !deliveredAt.IsZero() {
		return !deliveredAt.Before(deliverBy)
	}
	return !now.Before(deliverBy)
}

// Assignment is one holding of an address (an IP address or a WireGuard
// peer key) by a service, from From until Until (exclusive; zero: still
// held).
type Assignment struct {
	Address   string
	ServiceID string
	AccountID string
	From      time.Time
	Until     time.Time
}

// HolderAt answers who held address at t among the assignments: the one
// whose interval contains t. Overlapping holdings (a data error) answer
// the latest to start.
func HolderAt(as []Assignment, address string, t time.Time) (Assignment, bool) {
	var best Assignment
	found := false
	for _, a := range as {
		if a.Address != address || t.Before(a.From) || (!a.Until.IsZero() && !t.Before(a.Until)) {
			continue
		}
		if !found || a.From.After(best.From) {
			best, found = a, true
		}
	}
	return best, found
}
