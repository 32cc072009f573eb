package app

import (
	"context"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/policy"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
)

// Emergency measures and the measures sweep (issue 16 item 3, clause
// 4.2). The one automated measure: when the traffic detector fires at the
// extreme level (compliance.DetectorConfig ExtremeRatio and ExtremeFloor)
// it suspends that one service at once, linked to the case its signal
// opened or joined. The suspension lapses — the service runs again, its
// term extended by the downtime — unless a person with
// compliance.measure.impose confirms it within
// compliance.emergency_confirm_hours; a confirmed emergency measure is
// an ordinary measure, noticed to the customer and open to appeal.

// emergencySuspend suspends the service of an extreme detector signal in
// tx. A service held for compliance already is left as it is.
func (a *App) emergencySuspend(ctx context.Context, tx *store.Tx, caseID string, svc store.ServiceRow, detail string) error {
	if domainService(svc).Holds(service.ReasonCompliance) || svc.State == string(service.StateTerminated) || svc.State == string(service.StatePending) {
		return nil
	}
	hours := policy.ProjectDefaults().Int(policy.ComplianceEmergencyConfirmHours)
	if set, _, err := a.policy.ForCustomer(ctx, svc.AccountID, tx.Now); err == nil {
		hours = set.Int(policy.ComplianceEmergencyConfirmHours)
	}
	m := store.ComplianceMeasureRow{ID: id.NewAt(tx.Now), CaseID: caseID, AccountID: svc.AccountID, ServiceID: svc.ID,
		Kind: string(compliance.MeasureSuspend), State: string(compliance.MeasureInForce), Emergency: true, Reason: detail, ImposedBy: "detector",
		Services: []string{svc.ID}, ConfirmBy: tx.Now.Add(time.Duration(hours) * time.Hour), CreatedAt: tx.Now, UpdatedAt: tx.Now}
	if err := a.SuspendService(ctx, tx, svc.ID, service.ReasonCompliance, "emergency measure "+m.ID); err != nil {
		return err
	}
	if err := tx.ComplianceMeasureInsert(ctx, m); err != nil {
		return err
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "compliance.emergency_suspended", SubjectType: "service", SubjectID: svc.ID,
		Data: map[string]any{"measure": m.ID, "case": caseID, "account": svc.AccountID, "confirm_by": m.ConfirmBy, "clause": "4.2"}})
}

// ConfirmEmergency confirms an emergency measure before it lapses
// (compliance.measure.impose): it stays in force as the confirmer's, and
// the customer's notice is queued (the appeal window runs from its first
// delivery).
func (a *App) ConfirmEmergency(ctx context.Context, p account.Principal, measureID string) (MeasureView, error) {
	const op = "app.ConfirmEmergency"
	m, err := store.ComplianceMeasureGet(ctx, a.db, measureID)
	if store.IsNotFound(err) {
		if err := a.Authorize(ctx, p, "compliance.measure.impose", account.Object{Type: "compliance_measure"}); err != nil {
			return MeasureView{}, err
		}
		return MeasureView{}, errNotFound("compliance_measure")
	}
	if err != nil {
		return MeasureView{}, err
	}
	obj, err := a.customerObject(ctx, "compliance_measure", m.AccountID)
	if err != nil {
		return MeasureView{}, err
	}
	if err := a.Authorize(ctx, p, "compliance.measure.impose", obj); err != nil {
		return MeasureView{}, err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		m, err := store.ComplianceMeasureGet(ctx, tx, measureID)
		if err != nil {
			return err
		}
		if !m.Emergency || !m.ConfirmedAt.IsZero() || m.State != string(compliance.MeasureInForce) || !tx.Now.Before(m.ConfirmBy) {
			return errs.E(errs.Op(op), errs.Conflict, compliance.CodeMeasureBadState, "only an emergency measure in force and not yet lapsed is confirmed",
				map[string]any{"state": m.State, "emergency": m.Emergency, "confirm_by": m.ConfirmBy})
		}
		c, err := store.CaseGet(ctx, tx, m.CaseID)
		if err != nil {
			return err
		}
		from, prev := m.State, m.UpdatedAt
		m.ConfirmedBy, m.ConfirmedAt, m.UpdatedAt = p.AccountID, tx.Now, tx.Now
		if err := a.noticeMeasure(ctx, tx, &m, c); err != nil {
			return err
		}
		if ok, err := tx.ComplianceMeasureUpdate(ctx, m, from, prev); err != nil || !ok {
			return conflictOr(err)
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "compliance.emergency_confirmed", SubjectType: "account", SubjectID: m.AccountID,
			Data: map[string]any{"measure": m.ID, "case": m.CaseID, "service": m.ServiceID, "notification": m.NotificationID, "clause": "4.2"}})
	})
	if err != nil {
		return MeasureView{}, err
	}
	return a.measureByID(ctx, measureID)
}

// measureSweep lapses the emergency measures nobody confirmed in time,
// escalates the notices that reached no channel (every email and SMS
// delivery failed or bounced: the measure is flagged for staff,
// "unreached" in the console, and the appeal clock does not start), and
// flags the appeals whose review is overdue.
func (a *App) measureSweep(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	due, err := store.ComplianceMeasures(ctx, a.db, store.ComplianceMeasureFilter{States: []string{string(compliance.MeasureInForce)}, EmergencyDueBy: now, Limit: 100})
	if err != nil {
		return n, err
	}
	for _, m := range due {
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			cur, err := store.ComplianceMeasureGet(ctx, tx, m.ID)
			if err != nil || cur.State != string(compliance.MeasureInForce) || !cur.ConfirmedAt.IsZero() {
				return err
			}
			return a.liftMeasure(ctx, tx, cur, compliance.MeasureLapsed, "system", "not confirmed within compliance.emergency_confirm_hours")
		})
		if err != nil {
			return n, err
		}
		n++
	}
	open, err := store.ComplianceMeasures(ctx, a.db, store.ComplianceMeasureFilter{States: []string{string(compliance.MeasureInForce)}, Unescalated: true, Limit: 200})
	if err != nil {
		return n, err
	}
	for _, m := range open {
		unreached, err := a.noticeUnreached(ctx, m.NotificationID)
		if err != nil || !unreached {
			if err != nil {
				return n, err
			}
			continue
		}
		err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			cur, err := store.ComplianceMeasureGet(ctx, tx, m.ID)
			if err != nil || !cur.EscalatedAt.IsZero() {
				return err
			}
			from, prev := cur.State, cur.UpdatedAt
			cur.EscalatedAt, cur.UpdatedAt = tx.Now, tx.Now
			if ok, err := tx.ComplianceMeasureUpdate(ctx, cur, from, prev); err != nil || !ok {
				return conflictOr(err)
			}
			return a.Audit(ctx, tx, AuditEntry{Action: "compliance.notice_unreached", SubjectType: "account", SubjectID: cur.AccountID,
				Data: map[string]any{"measure": cur.ID, "notification": cur.NotificationID, "clause": "6.2"}})
		})
		if err != nil {
			return n, err
		}
		n++
	}
	m, err := a.flagOverdueAppeals(ctx, now)
	return n + m, err
}

// flagOverdueAppeals marks the appeals still undecided at their review
// deadline (appeal.review_working_days, clause 6.2) and audits each once,
// for the console's queue.
func (a *App) flagOverdueAppeals(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	due, err := store.Appeals(ctx, a.db, store.AppealFilter{States: []string{string(compliance.AppealOpen), string(compliance.AppealUnderReview)},
		OverdueBy: now})
	if err != nil {
		return 0, err
	}
	for _, ap := range due {
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			next := ap
			next.OverdueAt = tx.Now
			if ok, err := tx.AppealUpdate(ctx, next, ap.State, ap.UpdatedAt); err != nil || !ok {
				return err
			}
			return a.Audit(ctx, tx, AuditEntry{Action: "appeal.review_overdue", SubjectType: "appeal", SubjectID: ap.ID,
				Data: map[string]any{"review_due": ap.ReviewDue, "state": ap.State, "reviewer": ap.ReviewerID, "clause": "6.2"}})
		})
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// noticeUnreached reports whether every email and SMS delivery of a
// notification has ended without reaching the customer.
func (a *App) noticeUnreached(ctx context.Context, notificationID string) (bool, error) {
	ds, err := a.db.Deliveries(ctx, store.DeliveryFilter{NotificationID: notificationID})
	if err != nil {
		return false, err
	}
	any := false
	for _, d := range ds {
		if !notify.Channel(d.Channel).Notice() {
			continue
		}
		any = true
		st := notify.Status(d.Status)
		if !d.FirstDeliveredAt.IsZero() && st != notify.StatusBounced || !st.Final() || st == notify.StatusDelivered {
			return false, nil
		}
	}
	return any, nil
}
