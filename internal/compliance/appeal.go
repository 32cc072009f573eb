package compliance

import (
	"time"

	"yuanxu/internal/errs"
)

// MeasureState is the state of a measure imposed on a confirmed case.
type MeasureState string

// Measure states: in force until an appeal overturns it or, for an
// unconfirmed emergency measure, until it lapses (clause 4.2).
const (
	MeasureInForce    MeasureState = "in_force"
	MeasureOverturned MeasureState = "overturned"
	MeasureLapsed     MeasureState = "lapsed"
)

// Codes of measures and appeals.
const (
	CodeMeasureInvalid     = "measure.invalid"
	CodeMeasureCaseState   = "measure.case_not_confirmed"
	CodeMeasureBadState    = "measure.bad_state"
	CodeAppealInvalid      = "appeal.invalid"
	CodeAppealLate         = "appeal.late"
	CodeAppealNotYours     = "appeal.not_yours"
	CodeAppealOpen         = "appeal.already_open"
	CodeAppealDecided      = "appeal.already_decided"
	CodeAppealBadState     = "appeal.bad_transition"
	CodeAppealReasonNeeded = "appeal.reason_required"
)

// Label is a measure's name in both languages, as the notice shows it.
func (m Measure) Label() string {
	switch m {
	case MeasureRestrict:
		return "限制新购 / restricted (no new purchases)"
	case MeasureSuspend:
		return "暂停服务 / services suspended"
	case MeasureBan:
		return "封禁账户 / account banned"
	}
	return string(m)
}

// FirstNotice is the instant a notice first reached the customer by email
// or SMS — the earliest of the delivered instants (the in-app inbox is
// never among them; App.NoticeDelivered reads them from the delivery log,
// ADR 8). ok is false while none has: the appeal clock has not started
// (clause 6.2, DESIGN.md §2).
func FirstNotice[K comparable](delivered map[K]time.Time) (first time.Time, ok bool) {
	for _, t := range delivered {
		if !t.IsZero() && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	return first, !first.IsZero()
}

// LateAppeal is the refusal of an appeal filed at or after the deadline
// (exclusive instant due): it names clause 6.2 and shows the deadline.
func LateAppeal(due time.Time) error {
	return errs.E(errs.Op("compliance.LateAppeal"), errs.Conflict, CodeAppealLate,
		"the appeal window of clause 6.2 closed at "+due.In(cst).Format("2006-01-02 15:04")+" (Beijing time)",
		map[string]any{"clause": "6.2", "deadline": due.In(cst).Format(time.RFC3339)})
}

var cst = time.FixedZone("CST", 8*3600)
