package agreement

import (
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/policy"
)

// State is where a version is in its life: draft → scheduled → effective →
// superseded. A scheduled version may go back to draft (Unschedule) until
// it takes effect; nothing else moves backwards.
type State string

// Version states.
const (
	StateDraft      State = "draft"
	StateScheduled  State = "scheduled"
	StateEffective  State = "effective"
	StateSuperseded State = "superseded"
)

// Version is one agreement version. The functions below never change a
// Version: they return the next one, which the app stores.
type Version struct {
	ID           string
	Doc          *Document
	State        State
	PreparedBy   string    // the staff member who drafted it
	SignedOffBy  string    // the second staff member, with the legal role, who signed it off
	Material     bool      // a material change: customers must accept it again (clause 9.4)
	ScheduledAt  time.Time // when it was scheduled
	EffectiveAt  time.Time // when it takes (or took) effect
	SupersededAt time.Time
	SupersededBy string // the id of the version that replaced it
}

// clauseRevision is the clause the scheduling rules of this file implement.
var clauseRevision = Cite(ClauseRevision, "agreement.Schedule: notice days, sign-off, material changes")

// NewDraft returns a draft of doc prepared by preparedBy. Errors (Kind
// Invalid, Code "agreement.draft_invalid") name the empty field.
func NewDraft(id string, doc *Document, preparedBy string) (Version, error) {
	const op = errs.Op("agreement.NewDraft")
	for _, f := range []struct {
		name string
		ok   bool
	}{{"id", id != ""}, {"doc", doc != nil && doc.Policy != nil}, {"prepared_by", preparedBy != ""}} {
		if !f.ok {
			return Version{}, errs.E(op, errs.Invalid, "agreement.draft_invalid", f.name+" required",
				errs.FieldError{Field: f.name, Rule: "required"})
		}
	}
	return Version{ID: id, Doc: doc, State: StateDraft, PreparedBy: preparedBy}, nil
}

// ScheduleParams are the inputs of Schedule.
type ScheduleParams struct {
	EffectiveAt time.Time // when the version is to take effect
	Now         time.Time // the decision instant, from the injected clock
	Material    bool      // whether customers must accept it again
	// PreparedBy overrides the version's PreparedBy when set.
	PreparedBy  string
	SignedOffBy string
	// SignerHasLegalRole says whether SignedOffBy holds the legal role; the
	// app looks it up (this package knows no accounts).
	SignerHasLegalRole bool
	// Cited are the clause ids the document must define; nil means
	// CitedIDs().
	Cited []string
}

// Schedule moves a draft to scheduled. It requires, in this order:
//   - the version is a draft with a parsed document (else Conflict,
//     "agreement.not_draft", or Invalid, "agreement.draft_invalid");
//   - a sign-off by a staff member other than the preparer who holds the
//     legal role (Forbidden: "agreement.signoff_required",
//     "agreement.signoff_same_person", "agreement.signoff_not_legal");
//   - a clean Lint against p.Cited (Invalid, "agreement.lint_failed", one
//     FieldError per finding);
//   - EffectiveAt at least agreement.notice_days (from the version's own
//     policy) after Now, counted in whole days of 24 hours (Invalid,
//     "agreement.notice_too_short", Params "earliest" and "notice_days").
func Schedule(v Version, p ScheduleParams) (Version, error) {
	const op = errs.Op("agreement.Schedule")
	if v.State != StateDraft {
		return v, errs.E(op, errs.Conflict, "agreement.not_draft", "only a draft can be scheduled; this version is "+string(v.State))
	}
	if v.Doc == nil || v.Doc.Policy == nil {
		return v, errs.E(op, errs.Invalid, "agreement.draft_invalid", "the version has no parsed document",
			errs.FieldError{Field: "doc", Rule: "required"})
	}
	preparer := p.PreparedBy
	if preparer == "" {
		preparer = v.PreparedBy
	}
	switch {
	case preparer == "":
		return v, errs.E(op, errs.Invalid, "agreement.draft_invalid", "who prepared the version is unknown",
			errs.FieldError{Field: "prepared_by", Rule: "required"})
	case p.SignedOffBy == "":
		return v, errs.E(op, errs.Forbidden, "agreement.signoff_required", "a second staff member with the legal role must sign the version off")
	case p.SignedOffBy == preparer:
		return v, errs.E(op, errs.Forbidden, "agreement.signoff_same_person", "the preparer cannot sign off their own version")
	case !p.SignerHasLegalRole:
		return v, errs.E(op, errs.Forbidden, "agreement.signoff_not_legal", "the sign-off needs the legal role")
	}
	cited := p.Cited
	if cited == nil {
		cited = CitedIDs()
	}
	if err := LintError(string(op), Lint(v.Doc, cited)); err != nil {
		return v, err
	}
	if p.Now.IsZero() || p.EffectiveAt.IsZero() {
		return v, errs.E(op, errs.Invalid, "agreement.schedule_invalid", "now and effective_at are required",
			errs.FieldError{Field: "effective_at", Rule: "required"})
	}
	days := v.Doc.Policy.Int(policy.AgreementNoticeDays)
	earliest := p.Now.Add(time.Duration(days) * 24 * time.Hour)
	if p.EffectiveAt.Before(earliest) {
		return v, errs.E(op, errs.Invalid, "agreement.notice_too_short",
			"effective_at must be at least "+earliest.UTC().Format(time.RFC3339)+" (clause "+string(clauseRevision)+")",
			errs.FieldError{Field: "effective_at", Rule: "min", Params: map[string]any{"min": earliest}},
			map[string]any{"earliest": earliest, "notice_days": days})
	}
	v.State, v.PreparedBy, v.SignedOffBy = StateScheduled, preparer, p.SignedOffBy
	v.Material, v.EffectiveAt, v.ScheduledAt = p.Material, p.EffectiveAt, p.Now
	return v, nil
}

// Unschedule returns a scheduled version to draft before it takes effect,
// clearing its sign-off (Conflict "agreement.not_scheduled" or
// "agreement.already_effective" otherwise).
func Unschedule(v Version, now time.Time) (Version, error) {
	const op = errs.Op("agreement.Unschedule")
	if v.State != StateScheduled {
		return v, errs.E(op, errs.Conflict, "agreement.not_scheduled", "only a scheduled version can be unscheduled")
	}
	if !now.Before(v.EffectiveAt) {
		return v, errs.E(op, errs.Conflict, "agreement.already_effective", "the version has already taken effect")
	}
	v.State, v.SignedOffBy, v.EffectiveAt, v.ScheduledAt, v.Material = StateDraft, "", time.Time{}, time.Time{}, false
	return v, nil
}

// Activate makes a scheduled version effective once now has reached its
// EffectiveAt (Conflict "agreement.not_scheduled" or "agreement.not_due").
// The app supersedes the version it replaces in the same transaction.
func Activate(v Version, now time.Time) (Version, error) {
	const op = errs.Op("agreement.Activate")
	if v.State != StateScheduled {
		return v, errs.E(op, errs.Conflict, "agreement.not_scheduled", "only a scheduled version can take effect")
	}
	if now.Before(v.EffectiveAt) {
		return v, errs.E(op, errs.Conflict, "agreement.not_due", "the version takes effect at "+v.EffectiveAt.UTC().Format(time.RFC3339))
	}
	v.State = StateEffective
	return v, nil
}

// Supersede marks an effective version as replaced by the version by at at
// (Conflict "agreement.not_effective"; Invalid "agreement.supersede_invalid"
// when by is empty or the version itself). Orders keep the version they
// were accepted under.
func Supersede(v Version, by string, at time.Time) (Version, error) {
	const op = errs.Op("agreement.Supersede")
	if v.State != StateEffective {
		return v, errs.E(op, errs.Conflict, "agreement.not_effective", "only the effective version can be superseded")
	}
	if by == "" || by == v.ID {
		return v, errs.E(op, errs.Invalid, "agreement.supersede_invalid", "the superseding version is required and must be another one",
			errs.FieldError{Field: "by", Rule: "invalid"})
	}
	v.State, v.SupersededBy, v.SupersededAt = StateSuperseded, by, at
	return v, nil
}
