package compliance

import (
	"slices"

	"yuanxu/internal/agreement"
	"yuanxu/internal/errs"
)

// Rule is a use rule a case can cite.
type Rule string

// Use rules (clause 4.1).
const (
	RuleIllegalContent Rule = "illegal_content"
	RuleNetworkAttack  Rule = "network_attack"
	RuleFraud          Rule = "fraud"
	RuleInfringement   Rule = "infringement"
	RuleSpam           Rule = "spam"
	RuleOther          Rule = "other"
)

// Rules lists every use rule.
var Rules = []Rule{RuleIllegalContent, RuleNetworkAttack, RuleFraud, RuleInfringement, RuleSpam, RuleOther}

// Valid reports whether r is known.
func (r Rule) Valid() bool { return slices.Contains(Rules, r) }

// Clause is the clause a rule rests on: every use rule is clause 4.1.
func (r Rule) Clause() agreement.ClauseID { return agreement.ClauseProhibited }

// CaseState is a violation case's state.
type CaseState string

// Case states.
const (
	CaseDetected    CaseState = "detected"
	CaseUnderReview CaseState = "under_review"
	CaseConfirmed   CaseState = "confirmed"
	CaseDismissed   CaseState = "dismissed"
)

var caseMoves = map[CaseState][]CaseState{
	CaseDetected:    {CaseUnderReview, CaseDismissed},
	CaseUnderReview: {CaseConfirmed, CaseDismissed},
}

// CanMove reports whether a case may go from s to to.
func (s CaseState) CanMove(to CaseState) bool { return slices.Contains(caseMoves[s], to) }

// Open reports whether the case is still open (a refund is refused while
// one is, clause 3.1.b).
func (s CaseState) Open() bool { return s == CaseDetected || s == CaseUnderReview }

// AppealState is an appeal's state.
type AppealState string

// Appeal states.
const (
	AppealOpen        AppealState = "open"
	AppealUnderReview AppealState = "under_review"
	AppealUpheld      AppealState = "upheld"
	AppealOverturned  AppealState = "overturned"
)

var appealMoves = map[AppealState][]AppealState{
	AppealOpen:        {AppealUnderReview},
	AppealUnderReview: {AppealUpheld, AppealOverturned},
}

// CanMove reports whether an appeal may go from s to to.
func (s AppealState) CanMove(to AppealState) bool { return slices.Contains(appealMoves[s], to) }

// Measure is a rung of the ladder.
type Measure string

// The ladder: restrict (no new purchases) < suspend (services) < ban (the
// account: every service suspended, refunds blocked, balance frozen,
// nothing forfeited).
const (
	MeasureRestrict Measure = "restrict"
	MeasureSuspend  Measure = "suspend"
	MeasureBan      Measure = "ban"
)

var rung = map[Measure]int{MeasureRestrict: 1, MeasureSuspend: 2, MeasureBan: 3}

// Valid reports whether m is known.
func (m Measure) Valid() bool { return rung[m] > 0 }

// Above reports whether m is a harder measure than o.
func (m Measure) Above(o Measure) bool { return rung[m] > rung[o] }

// CodeSeparation is the code of a decision by someone who may not make it.
const CodeSeparation = "compliance.separation_of_duties"

// CheckReviewer refuses an appeal decision by the officer who imposed the
// measure (clause 6.2): reviewer and officer are account ids.
func CheckReviewer(reviewer, officer string) error {
	if reviewer == "" || reviewer == officer {
		return errs.E(errs.Op("compliance.CheckReviewer"), errs.Forbidden, CodeSeparation,
			"an appeal is decided by someone other than the officer who imposed the measure", map[string]any{"clause": "6.2"})
	}
	return nil
}
