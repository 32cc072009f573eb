package app

import (
	"context"
	"errors"
	"slices"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// StandingOf returns the account's effective standing (a sub-user's merged
// with its enterprise's), for refunds, checkout and compliance. It does no
// authorisation: callers are use cases that have authorised already.
func (a *App) StandingOf(ctx context.Context, accountID string) (account.Standing, error) {
	l, err := a.readAccount(ctx, accountID)
	if err != nil {
		return account.Standing{}, err
	}
	return l.effective, nil
}

// standingPerm is the permission that sets or lifts a flag: restrictions
// and suspensions are compliance.measure.impose; bans are
// compliance.ban.confirm (clause 4.2), which its proposer may not lift.
func standingPerm(f account.Flag) account.Permission {
	if f == account.FlagBanned {
		return "compliance.ban.confirm"
	}
	return "compliance.measure.impose"
}

// StandingSet puts a measure in force on an account (one per flag:
// standing.already_set, Conflict, if it is). m.Since zero means now; the
// reason and case reference are required.
func (a *App) StandingSet(ctx context.Context, p account.Principal, accountID string, m account.Measure) error {
	if !m.Flag.Valid() {
		return errs.Invalidf("standing.flag_invalid", "body.flag", "one_of", nil)
	}
	if strings.TrimSpace(m.Reason) == "" {
		return errs.Invalidf("standing.reason_required", "body.reason", "required", nil)
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		l, err := loadAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		if err := a.Authorize(ctx, p, standingPerm(m.Flag), l.object()); err != nil {
			return err
		}
		since := m.Since
		if since.IsZero() {
			since = tx.Now
		}
		mid := id.NewAt(tx.Now)
		if err := tx.MeasureInsert(ctx, store.MeasureRow{ID: mid, AccountID: accountID, Flag: string(m.Flag), Reason: m.Reason,
			CaseRef: m.CaseRef, ImposedBy: p.AccountID, Since: since}); err != nil {
			if errors.Is(err, errs.ErrDuplicate) {
				return &errs.Error{Kind: errs.Conflict, Code: "standing.already_set", Msg: "the measure is in force already"}
			}
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "standing.set", SubjectType: "account", SubjectID: accountID,
			Data: map[string]any{"measure_id": mid, "flag": m.Flag, "case_ref": m.CaseRef}})
	})
}

// StandingLift lifts the measure in force with flag (history is kept).
// Lifting a ban needs compliance.ban.confirm by someone other than the
// officer who imposed it. A flag not in force is standing.not_set; a flag
// put in force by a compliance measure of a violation case is
// standing.held_by_measure (Conflict): it ends with its measure (an appeal
// overturning it, or an emergency measure lapsing), which also resumes
// the services it suspended and unfreezes the balance (refuseIfHeldByMeasure).
func (a *App) StandingLift(ctx context.Context, p account.Principal, accountID string, flag account.Flag, reason string) error {
	if !flag.Valid() {
		return errs.Invalidf("standing.flag_invalid", "body.flag", "one_of", nil)
	}
	if strings.TrimSpace(reason) == "" {
		return errs.Invalidf("standing.reason_required", "body.reason", "required", nil)
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		l, err := loadAccount(ctx, tx, accountID)
		if err != nil {
			return err
		}
		ms, err := store.Measures(ctx, tx, accountID, true)
		if err != nil {
			return err
		}
		obj := l.object()
		standingID := ""
		for _, m := range ms {
			if m.Flag == string(flag) {
				standingID = m.ID
				if flag == account.FlagBanned {
					obj.PreparedBy = m.ImposedBy
				}
			}
		}
		if err := a.Authorize(ctx, p, standingPerm(flag), obj); err != nil {
			return err
		}
		if standingID != "" {
			if err := refuseIfHeldByMeasure(ctx, tx, accountID, "standing", func(cm store.ComplianceMeasureRow) bool { return cm.StandingID == standingID }); err != nil {
				return err
			}
		}
		ok, err := tx.MeasureLift(ctx, accountID, string(flag), p.AccountID, reason)
		if err != nil {
			return err
		}
		if !ok {
			return &errs.Error{Kind: errs.Conflict, Code: "standing.not_set", Msg: "no such measure is in force"}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "standing.lifted", SubjectType: "account", SubjectID: accountID,
			Data: map[string]any{"flag": flag}})
	})
}

// openCaseStates are the states of a violation case still open.
var openCaseStates = []string{"detected", "under_review"}

// OpenViolationCases lists the ids of the open violation cases attributed
// to an account (detected or under review): its refunds are refused while
// any is (clause 3.1.b).
func (a *App) OpenViolationCases(ctx context.Context, accountID string) ([]string, error) {
	if accountID == "" {
		return []string{}, nil
	}
	rs, err := store.Cases(ctx, a.db, store.CaseFilter{AccountID: accountID, States: openCaseStates})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out, nil
}

// refuseIfHeldByMeasure answers what.held_by_measure (Conflict, with the
// measure and its case) when a compliance measure in force on the account
// matches held: what it holds — the account's standing flag, a suspended
// service — ends only with the measure (clauses 4.2, 4.3: the appeal that
// overturns it, or the lapse of an unconfirmed emergency measure), which
// undoes everything the measure did at once (liftMeasure). Ending one part
// of it by hand would leave the rest in force behind the customer's back:
// services suspended under a lifted flag, a balance frozen for a measure
// that no longer shows.
func refuseIfHeldByMeasure(ctx context.Context, q store.Querier, accountID, what string, held func(store.ComplianceMeasureRow) bool) error {
	ms, err := measuresInForce(ctx, q, accountID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if held(m) {
			return heldByMeasure(what, m)
		}
	}
	return nil
}

// heldByMeasure is the what.held_by_measure conflict naming m and its case.
func heldByMeasure(what string, m store.ComplianceMeasureRow) error {
	return errs.E(errs.Op("app.refuseIfHeldByMeasure"), errs.Conflict, what+".held_by_measure",
		"a compliance measure of a violation case holds this; it ends when an appeal overturns the measure",
		map[string]any{"measure": m.ID, "case": m.CaseID, "kind": m.Kind})
}

// measuresCovering lists the compliance measures in force on the account
// that keep the service suspended (measureCovers).
func measuresCovering(ctx context.Context, q store.Querier, accountID, serviceID string) ([]store.ComplianceMeasureRow, error) {
	ms, err := measuresInForce(ctx, q, accountID)
	return slices.DeleteFunc(ms, func(m store.ComplianceMeasureRow) bool { return !measureCovers(m, serviceID) }), err
}

// measuresInForce lists the compliance measures in force on an account.
func measuresInForce(ctx context.Context, q store.Querier, accountID string) ([]store.ComplianceMeasureRow, error) {
	return store.ComplianceMeasures(ctx, q, store.ComplianceMeasureFilter{AccountID: accountID, States: []string{string(compliance.MeasureInForce)}})
}

// measureCovers says whether the measure m (in force) keeps the service
// suspended: one it suspended, the one service it names, or — an
// account-wide suspension or ban — every service of the account, including
// those another measure had suspended already when it was imposed
// (applyMeasure leaves those out of m.Services).
func measureCovers(m store.ComplianceMeasureRow, serviceID string) bool {
	switch {
	case slices.Contains(m.Services, serviceID), m.ServiceID == serviceID:
		return true
	case m.ServiceID != "":
		return false
	}
	return m.Kind == string(compliance.MeasureSuspend) || m.Kind == string(compliance.MeasureBan)
}

// releasable says whether staff may end m by hand: an emergency measure
// nobody has confirmed yet (it would lapse on its own; releasing it early
// is how a detector's false positive is undone). Every other measure ends
// on appeal.
func releasable(m store.ComplianceMeasureRow) bool { return m.Emergency && m.ConfirmedAt.IsZero() }

// MeasureHold is a compliance measure in force that keeps a service
// suspended (ServiceHolds).
type MeasureHold struct {
	MeasureID, CaseID, Kind string
	// Releasable: an emergency measure not confirmed yet, which resuming
	// the service by hand releases (StaffServiceAct).
	Releasable bool
}

// ServiceHolds lists the compliance measures in force that keep a
// service suspended (account.read_any), for the console's service page:
// a resume by hand is refused while any of them is not releasable.
func (a *App) ServiceHolds(ctx context.Context, p account.Principal, serviceID string) ([]MeasureHold, error) {
	if err := a.Authorize(ctx, p, "account.read_any", account.Object{Type: "service"}); err != nil {
		return nil, err
	}
	svc, err := store.ServiceGet(ctx, a.db, serviceID)
	if store.IsNotFound(err) {
		return nil, errNotFound("service")
	}
	if err != nil {
		return nil, err
	}
	ms, err := measuresCovering(ctx, a.db, svc.AccountID, serviceID)
	if err != nil {
		return nil, err
	}
	out := []MeasureHold{}
	for _, m := range ms {
		out = append(out, MeasureHold{MeasureID: m.ID, CaseID: m.CaseID, Kind: m.Kind, Releasable: releasable(m)})
	}
	return out, nil
}
