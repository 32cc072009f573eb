package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/calendar"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/policy"
	"yuanxu/internal/refund"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// Measures of confirmed violation cases (issue 16 item 3, clauses 4.2 and
// 6.2). A compliance officer imposes a rung of the ladder on the account a
// confirmed case is attributed to: restrict (no new purchases), suspend
// (one service, or every service of the account) or ban (every service
// suspended, refunds blocked, the balance moved to the frozen
// sub-balances — nothing is forfeited). The customer is told by email and
// SMS through the outbox; the appeal window runs from the first delivery
// on either (ADR 8: read from the delivery log, the inbox never counts).
// An appeal overturning the measure lifts all of it (liftMeasure).

// MeasureInput is an officer's measure on a confirmed case.
type MeasureInput struct {
	Kind      string `json:"kind" enum:"restrict,suspend,ban" example:"suspend"`
	ServiceID string `json:"service_id,omitempty" example:"" doc:"suspend: the one service to suspend; empty suspends every service of the account."`
	Reason    string `json:"reason" maxLength:"2000" example:"outbound SMTP to 40 000 addresses in an hour, confirmed by netflow"`
}

// MeasureView is a measure as staff and its customer see it.
type MeasureView struct {
	ID        string   `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fd0"`
	CaseID    string   `json:"case_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fb0"`
	AccountID string   `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	ServiceID string   `json:"service_id,omitempty" example:""`
	Kind      string   `json:"kind" enum:"restrict,suspend,ban" example:"ban"`
	Label     string   `json:"label" example:"封禁账户 / account banned"`
	State     string   `json:"state" enum:"in_force,overturned,lapsed" example:"in_force"`
	Emergency bool     `json:"emergency" example:"false" doc:"Imposed by the traffic detector; lapses unless a person confirms it by confirm_by."`
	Rule      string   `json:"rule" example:"spam"`
	Clause    string   `json:"clause" example:"4.1"`
	Reason    string   `json:"reason" example:"outbound SMTP to 40 000 addresses in an hour"`
	Evidence  string   `json:"evidence" example:"3 signals; 1 file (sha256 9f86d081…)"`
	ImposedBy string   `json:"imposed_by" example:"01936a9e-0000-7000-8000-000000000020"`
	Services  []string `json:"services" example:"[]" doc:"The services it suspended."`
	Frozen    bool     `json:"balance_frozen" example:"true"`
	// Notice is pending (not yet delivered by email or SMS), delivered,
	// or unreached (every channel failed: staff were told, the appeal
	// clock has not started).
	Notice         string    `json:"notice" enum:"none,pending,delivered,unreached" example:"delivered"`
	NoticeAt       time.Time `json:"notice_delivered_at,omitzero" example:"2026-09-29T10:00:00+08:00"`
	AppealDue      time.Time `json:"appeal_due,omitzero" example:"2026-10-14T00:00:00+08:00" doc:"Exclusive: appeals are accepted before this instant."`
	AppealDueDay   string    `json:"appeal_due_day,omitempty" example:"2026-10-13" doc:"The last day to appeal (Beijing time)."`
	AppealWorkDays int       `json:"appeal_working_days" example:"10"`
	ConfirmBy      time.Time `json:"confirm_by,omitzero" example:""`
	ConfirmedBy    string    `json:"confirmed_by,omitempty" example:""`
	CreatedAt      time.Time `json:"created_at" example:"2026-09-29T09:00:00+08:00"`
	EndedAt        time.Time `json:"ended_at,omitzero" example:""`
	EndReason      string    `json:"end_reason,omitempty" example:""`
	// AccountEnded: the ban became final (appeal upheld, or the window
	// closed with none) and the account ended (compliance_banend.go).
	AccountEnded bool   `json:"account_ended" example:"false" doc:"A ban made final: the account has ended and its balance is paid back to its original routes."`
	PaybackHeld  string `json:"payback_held,omitempty" example:"" doc:"The authority order (authority and document number) holding the ended account's balance: nothing is paid until it is lifted."`
}

// ImposeMeasure puts a measure on the account of a confirmed case. A ban
// takes compliance.ban.confirm, the other rungs compliance.measure.impose;
// nobody acts on their own account. The case must be confirmed (clause
// 4.2: measures follow a set process, never a signal by itself). The
// notice is queued in the same transaction.
func (a *App) ImposeMeasure(ctx context.Context, p account.Principal, caseID string, in MeasureInput) (MeasureView, error) {
	const op = "app.ImposeMeasure"
	kind := compliance.Measure(in.Kind)
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case !kind.Valid():
		return MeasureView{}, fieldErr(op, compliance.CodeMeasureInvalid, errs.Invalid, "body.kind", "enum", "choose restrict, suspend or ban", nil)
	case in.Reason == "":
		return MeasureView{}, fieldErr(op, compliance.CodeMeasureInvalid, errs.Invalid, "body.reason", "required", "give the reason", nil)
	case len(in.Reason) > 2000:
		return MeasureView{}, fieldErr(op, compliance.CodeMeasureInvalid, errs.Invalid, "body.reason", "max_length", "too long", map[string]any{"max": 2000})
	case in.ServiceID != "" && kind != compliance.MeasureSuspend:
		return MeasureView{}, fieldErr(op, compliance.CodeMeasureInvalid, errs.Invalid, "body.service_id", "suspend_only", "only a suspension names a service", nil)
	}
	c, err := store.CaseGet(ctx, a.db, caseID)
	if store.IsNotFound(err) {
		return MeasureView{}, errNotFound("violation_case")
	}
	if err != nil {
		return MeasureView{}, err
	}
	perm := account.Permission("compliance.measure.impose")
	if kind == compliance.MeasureBan {
		perm = "compliance.ban.confirm"
	}
	if c.AccountID == "" {
		if err := a.Authorize(ctx, p, perm, account.Object{Type: "violation_case"}); err != nil {
			return MeasureView{}, err
		}
		return MeasureView{}, errs.E(errs.Op(op), errs.Conflict, compliance.CodeMeasureCaseState, "the case is not attributed to an account", map[string]any{"state": c.State})
	}
	obj, err := a.customerObject(ctx, "compliance_measure", c.AccountID)
	if err != nil {
		return MeasureView{}, err
	}
	if err := a.Authorize(ctx, p, perm, obj); err != nil {
		return MeasureView{}, err
	}
	if c.State != string(compliance.CaseConfirmed) {
		return MeasureView{}, errs.E(errs.Op(op), errs.Conflict, compliance.CodeMeasureCaseState, "measures follow a confirmed case (clause 4.2); the case is "+c.State,
			map[string]any{"state": c.State, "clause": "4.2"})
	}
	if in.ServiceID != "" {
		s, err := store.ServiceGet(ctx, a.db, in.ServiceID)
		if err != nil || s.AccountID != c.AccountID {
			return MeasureView{}, fieldErr(op, compliance.CodeMeasureInvalid, errs.Invalid, "body.service_id", "of_account", "no such service of this account", nil)
		}
	}
	var mid string
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		m := store.ComplianceMeasureRow{ID: id.NewAt(tx.Now), CaseID: c.ID, AccountID: c.AccountID, ServiceID: in.ServiceID, Kind: string(kind),
			State: string(compliance.MeasureInForce), Reason: in.Reason, ImposedBy: p.AccountID, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if err := a.applyMeasure(ctx, tx, &m); err != nil {
			return err
		}
		if err := a.noticeMeasure(ctx, tx, &m, c); err != nil {
			return err
		}
		if err := tx.ComplianceMeasureInsert(ctx, m); err != nil {
			return err
		}
		mid = m.ID
		return a.Audit(ctx, tx, AuditEntry{Action: "compliance.measure_imposed", SubjectType: "account", SubjectID: m.AccountID,
			Data: map[string]any{"measure": m.ID, "case": c.ID, "kind": m.Kind, "service": m.ServiceID, "services": m.Services, "frozen": m.Frozen,
				"notification": m.NotificationID, "clause": "4.2"}})
	})
	if err != nil {
		return MeasureView{}, err
	}
	return a.measureByID(ctx, mid)
}

// applyMeasure puts m in force in tx: the standing flag it implies, the
// suspension of its services and, for a ban, the frozen balance. It fills
// m.StandingID, m.Services and m.Frozen.
func (a *App) applyMeasure(ctx context.Context, tx *store.Tx, m *store.ComplianceMeasureRow) error {
	flag := map[compliance.Measure]account.Flag{compliance.MeasureRestrict: account.FlagRestricted, compliance.MeasureSuspend: account.FlagSuspended,
		compliance.MeasureBan: account.FlagBanned}[compliance.Measure(m.Kind)]
	if m.ServiceID != "" {
		flag = "" // one service: the account keeps its standing
	}
	if flag != "" {
		m.StandingID = id.NewAt(tx.Now)
		if err := tx.MeasureInsert(ctx, store.MeasureRow{ID: m.StandingID, AccountID: m.AccountID, Flag: string(flag), Reason: m.Reason,
			CaseRef: m.CaseID, ImposedBy: m.ImposedBy, Since: tx.Now}); err != nil {
			if errors.Is(err, errs.ErrDuplicate) {
				return &errs.Error{Kind: errs.Conflict, Code: "standing.already_set", Msg: "the measure is in force already", Params: map[string]any{"flag": flag}}
			}
			return err
		}
	}
	var ids []string
	switch {
	case m.ServiceID != "":
		ids = []string{m.ServiceID}
	case m.Kind != string(compliance.MeasureRestrict):
		ss, err := store.Services(ctx, tx, store.ServiceFilter{AccountID: m.AccountID, States: []string{string(service.StateActive), string(service.StateSuspended)}})
		if err != nil {
			return err
		}
		for _, s := range ss {
			ids = append(ids, s.ID)
		}
	}
	m.Services = []string{}
	for _, sid := range ids {
		s, err := store.ServiceGet(ctx, tx, sid)
		if err != nil {
			return err
		}
		if domainService(s).Holds(service.ReasonCompliance) {
			continue // held by another measure already: that one resumes it
		}
		if err := a.SuspendService(ctx, tx, sid, service.ReasonCompliance, "measure "+m.ID); err != nil {
			return err
		}
		m.Services = append(m.Services, sid)
	}
	if m.Kind == string(compliance.MeasureBan) {
		moved, err := a.moveBalance(ctx, tx, m.AccountID, m.CaseID, wallet.Freeze)
		m.Frozen = moved
		return err
	}
	return nil
}

// moveBalance posts the move build makes of the customer's balances
// (wallet.Freeze or wallet.Unfreeze) in tx; moved is false when there was
// nothing to move.
func (a *App) moveBalance(ctx context.Context, tx *store.Tx, customer, caseID string, build func(wallet.Balances, string) (wallet.Txn, error)) (moved bool, err error) {
	b, err := balancesOf(ctx, tx, customer)
	if err != nil {
		return false, err
	}
	t, err := build(b, caseID)
	if errors.Is(err, wallet.ErrNothingToMove) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	_, err = a.post(ctx, tx, t)
	return err == nil, err
}

// liftMeasure ends m in tx (overturned on appeal, or a lapsed emergency
// measure): the standing flag is lifted, its services run again with their
// terms extended by the downtime, a frozen balance returns to the
// sub-balances it came from (clause 6.2). A service another measure in
// force also covers (measureCovers) stays suspended and passes to that
// measure's services, which resumes it when it ends.
func (a *App) liftMeasure(ctx context.Context, tx *store.Tx, m store.ComplianceMeasureRow, to compliance.MeasureState, by, reason string) error {
	from, prev := m.State, m.UpdatedAt
	if m.StandingID != "" {
		flag := map[string]account.Flag{string(compliance.MeasureRestrict): account.FlagRestricted, string(compliance.MeasureSuspend): account.FlagSuspended,
			string(compliance.MeasureBan): account.FlagBanned}[m.Kind]
		if _, err := tx.MeasureLift(ctx, m.AccountID, string(flag), by, reason); err != nil {
			return err
		}
	}
	others, err := measuresInForce(ctx, tx, m.AccountID)
	if err != nil {
		return err
	}
	for _, sid := range m.Services {
		if i := slices.IndexFunc(others, func(o store.ComplianceMeasureRow) bool { return o.ID != m.ID && measureCovers(o, sid) }); i >= 0 {
			// Another measure in force covers the service too (a ban over an
			// emergency suspension): it stays suspended, and that measure
			// resumes it when it ends.
			o := others[i]
			prevAt := o.UpdatedAt
			o.Services, o.UpdatedAt = append(slices.Clone(o.Services), sid), tx.Now
			if ok, err := tx.ComplianceMeasureUpdate(ctx, o, o.State, prevAt); err != nil || !ok {
				return conflictOr(err)
			}
			others[i] = o
			continue
		}
		held, err := a.ResumeService(ctx, tx, sid, service.ReasonCompliance, "measure "+m.ID+" "+string(to))
		if err != nil {
			return err
		}
		if held > 0 {
			if err := a.ExtendService(ctx, tx, sid, held, service.ExtendComplianceOverturn, "measure "+m.ID+" "+string(to)); err != nil {
				return err
			}
		}
	}
	if m.Frozen {
		if _, err := a.moveBalance(ctx, tx, m.AccountID, m.CaseID, wallet.Unfreeze); err != nil {
			return err
		}
	}
	m.State, m.EndedAt, m.EndedBy, m.EndReason, m.UpdatedAt = string(to), tx.Now, by, reason, tx.Now
	if ok, err := tx.ComplianceMeasureUpdate(ctx, m, from, prev); err != nil || !ok {
		return conflictOr(err)
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "compliance.measure_" + string(to), SubjectType: "account", SubjectID: m.AccountID,
		Data: map[string]any{"measure": m.ID, "case": m.CaseID, "kind": m.Kind, "services": m.Services, "unfrozen": m.Frozen, "reason": reason}})
}

// evidenceSummary describes a case's evidence for a notice: how many
// signals, and the files by name and content hash.
func evidenceSummary(ctx context.Context, q store.Querier, caseID string) (string, error) {
	sigs, err := store.Signals(ctx, q, caseID)
	if err != nil {
		return "", err
	}
	evs, err := store.Evidence(ctx, q, caseID)
	if err != nil {
		return "", err
	}
	parts := []string{fmt.Sprintf("%d signal(s)", len(sigs))}
	for _, e := range evs {
		parts = append(parts, fmt.Sprintf("%s (sha256 %s…)", e.Filename, e.BlobHash[:min(12, len(e.BlobHash))]))
	}
	return strings.Join(parts, "; "), nil
}

// noticeMeasure queues the notice of m (email, SMS and inbox) in tx and
// records its notification on m: the use rule and its clause, the
// evidence summary, the measure, how to appeal and the window in working
// days (the date itself depends on the first delivery and is shown in the
// portal).
func (a *App) noticeMeasure(ctx context.Context, tx *store.Tx, m *store.ComplianceMeasureRow, c store.CaseRow) error {
	acc, err := store.AccountGet(ctx, tx, m.AccountID)
	if err != nil {
		return err
	}
	rec := notify.Recipient{AccountID: acc.ID}
	if rec.Email, err = a.open("account", "email", acc.ID, acc.EmailEnc); err != nil {
		return err
	}
	if rec.Phone, err = a.open("account", "phone", acc.ID, acc.PhoneEnc); err != nil {
		return err
	}
	ev, err := evidenceSummary(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	days := a.appealWindowDays(ctx, m.AccountID, tx.Now)
	vars := map[string]string{"case_id": c.ID, "measure": compliance.Measure(m.Kind).Label(),
		"rule": fmt.Sprintf("%s (clause %s)", c.Rule, compliance.Rule(c.Rule).Clause()), "evidence": ev, "reason": m.Reason,
		"appeal_until": fmt.Sprintf("%d 个工作日 / %d working days", days, days),
		"appeal_how":   "控制台 → 处置与申诉 / Console → Measures and appeals (/measures)"}
	r, err := a.Notify(ctx, tx, notify.Request{Event: notify.EventMeasureImposed, Recipient: rec, Vars: vars, Lang: langOf(acc.Lang),
		Subject: notify.Subject{Type: "compliance_measure", ID: m.ID}})
	m.NotificationID = r.NotificationID
	return err
}

// appealWindowDays is appeal.window_working_days for the customer at t.
func (a *App) appealWindowDays(ctx context.Context, accountID string, t time.Time) int {
	if set, _, err := a.policy.ForCustomer(ctx, accountID, t); err == nil {
		return set.Int(policy.AppealWindowWorkingDays)
	}
	return policy.ProjectDefaults().Int(policy.AppealWindowWorkingDays)
}

// appealDeadline is the appeal deadline of m: appeal.window_working_days
// working days after the first delivery of its notice by email or SMS, not
// counting that day (clause 6.2); ok is false while no delivery succeeded.
func (a *App) appealDeadline(ctx context.Context, m store.ComplianceMeasureRow) (first time.Time, dl calendar.Deadline, ok bool, err error) {
	if m.NotificationID == "" {
		return
	}
	delivered, err := a.NoticeDelivered(ctx, m.NotificationID)
	if err != nil {
		return
	}
	if first, ok = compliance.FirstNotice(delivered); !ok {
		return
	}
	cal, err := a.Calendar(ctx)
	if err != nil {
		return first, dl, false, err
	}
	return first, cal.AddWorkingDays(first, a.appealWindowDays(ctx, m.AccountID, m.CreatedAt)), true, nil
}

func (a *App) measureView(ctx context.Context, m store.ComplianceMeasureRow) (MeasureView, error) {
	v := MeasureView{ID: m.ID, CaseID: m.CaseID, AccountID: m.AccountID, ServiceID: m.ServiceID, Kind: m.Kind, Label: compliance.Measure(m.Kind).Label(),
		State: m.State, Emergency: m.Emergency, Reason: m.Reason, ImposedBy: m.ImposedBy, Services: m.Services, Frozen: m.Frozen, Notice: "none",
		ConfirmBy: m.ConfirmBy, ConfirmedBy: m.ConfirmedBy, CreatedAt: m.CreatedAt, EndedAt: m.EndedAt, EndReason: m.EndReason,
		AppealWorkDays: a.appealWindowDays(ctx, m.AccountID, m.CreatedAt)}
	if v.Services == nil {
		v.Services = []string{}
	}
	c, err := store.CaseGet(ctx, a.db, m.CaseID)
	if err != nil {
		return v, err
	}
	v.Rule, v.Clause = c.Rule, string(compliance.Rule(c.Rule).Clause())
	if v.Evidence, err = evidenceSummary(ctx, a.db, c.ID); err != nil {
		return v, err
	}
	if err := a.banEndView(ctx, &v); err != nil {
		return v, err
	}
	if m.NotificationID == "" {
		return v, nil
	}
	first, dl, ok, err := a.appealDeadline(ctx, m)
	switch {
	case err != nil:
		return v, err
	case ok:
		v.Notice, v.NoticeAt, v.AppealDue, v.AppealDueDay = "delivered", first, dl.At, dl.Due.String()
	case !m.EscalatedAt.IsZero():
		v.Notice = "unreached"
	default:
		v.Notice = "pending"
	}
	return v, nil
}

func (a *App) measureByID(ctx context.Context, measureID string) (MeasureView, error) {
	m, err := store.ComplianceMeasureGet(ctx, a.db, measureID)
	if store.IsNotFound(err) {
		return MeasureView{}, errNotFound("compliance_measure")
	}
	if err != nil {
		return MeasureView{}, err
	}
	return a.measureView(ctx, m)
}

func (a *App) measureViews(ctx context.Context, rs []store.ComplianceMeasureRow) ([]MeasureView, error) {
	out := make([]MeasureView, 0, len(rs))
	for _, r := range rs {
		v, err := a.measureView(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// ComplianceMeasures lists measures for staff (compliance.case.read),
// newest first: all of them, or those in states, of one account if given.
func (a *App) ComplianceMeasures(ctx context.Context, p account.Principal, accountID string, states []string) ([]MeasureView, error) {
	if err := a.Authorize(ctx, p, "compliance.case.read", account.Object{Type: "violation_case"}); err != nil {
		return nil, err
	}
	rs, err := store.ComplianceMeasures(ctx, a.db, store.ComplianceMeasureFilter{AccountID: accountID, States: states})
	if err != nil {
		return nil, err
	}
	return a.measureViews(ctx, rs)
}

// ComplianceMeasure reads one measure: staff with compliance.case.read, or
// the customer it is about (appeal.file on its own account).
func (a *App) ComplianceMeasure(ctx context.Context, p account.Principal, measureID string) (MeasureView, error) {
	m, err := store.ComplianceMeasureGet(ctx, a.db, measureID)
	if store.IsNotFound(err) {
		return MeasureView{}, errNotFound("compliance_measure")
	}
	if err != nil {
		return MeasureView{}, err
	}
	if err := a.authorizeMeasureReader(ctx, p, "compliance_measure", m.AccountID); err != nil {
		return MeasureView{}, err
	}
	return a.measureView(ctx, m)
}

// authorizeMeasureReader lets staff with compliance.case.read, and the
// customer a measure or appeal is about (appeal.file), read it; to any
// other customer it does not exist (typ.not_found).
func (a *App) authorizeMeasureReader(ctx context.Context, p account.Principal, typ, accountID string) error {
	err := a.authorizeCustomerObject(ctx, p, "appeal.file", "compliance.case.read", typ, accountID)
	if errs.KindOf(err) == errs.Forbidden && p.Kind != account.KindStaff {
		return errNotFound(typ)
	}
	return err
}

// MyMeasures lists the measures on the caller's own account, newest
// first (the portal).
func (a *App) MyMeasures(ctx context.Context, p account.Principal) ([]MeasureView, error) {
	tenant := p.TenantID()
	if err := a.authorizeCustomerObject(ctx, p, "appeal.file", "compliance.case.read", "compliance_measure", tenant); err != nil {
		return nil, err
	}
	rs, err := store.ComplianceMeasures(ctx, a.db, store.ComplianceMeasureFilter{AccountID: tenant})
	if err != nil {
		return nil, err
	}
	return a.measureViews(ctx, rs)
}

// overturnedBans are the spans of the bans among an account's overturned
// measures rs (newest first, as store.ComplianceMeasures lists them),
// oldest first: the refund window gets them back (refund.Facts.Paused).
func overturnedBans(rs []store.ComplianceMeasureRow) []refund.Span {
	var out []refund.Span
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].Kind == string(compliance.MeasureBan) {
			out = append(out, refund.Span{From: rs[i].CreatedAt, To: rs[i].EndedAt})
		}
	}
	return out
}
