package app

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/catalog"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
)

// Services (issue 12): what an order delivers. Payment creates one service
// per unit of each line; until the delivery capability lands, payment also
// activates it (afterwards delivery will). A service's state changes go
// through the service package's rules, each with one audit event and one
// history entry in the same transaction.

// ServiceLifecycle holds the configurable periods of a service's end.
type ServiceLifecycle struct {
	// Grace is how long an expired service stays suspended (overdue) but
	// kept before it is terminated.
	Grace time.Duration
	// Retention is how long a terminated service's data is kept before
	// its destruction is requested from the driver.
	Retention time.Duration
	// RenewAhead is how long before expiry automatic renewal is tried.
	RenewAhead time.Duration
}

// DefaultServiceLifecycle: 7 days of grace, 30 days of retention, renewal
// tried from 3 days before expiry.
var DefaultServiceLifecycle = ServiceLifecycle{Grace: 7 * 24 * time.Hour, Retention: 30 * 24 * time.Hour, RenewAhead: 3 * 24 * time.Hour}

// SetServiceLifecycle sets the periods (serve flags); zero fields keep the
// default. Call while wiring.
func (a *App) SetServiceLifecycle(l ServiceLifecycle) {
	d := DefaultServiceLifecycle
	if l.Grace > 0 {
		d.Grace = l.Grace
	}
	if l.Retention > 0 {
		d.Retention = l.Retention
	}
	if l.RenewAhead > 0 {
		d.RenewAhead = l.RenewAhead
	}
	a.lifecycle.Store(&d)
}

func (a *App) serviceLifecycle() ServiceLifecycle {
	if l := a.lifecycle.Load(); l != nil {
		return *l
	}
	return DefaultServiceLifecycle
}

// SuspensionView is one suspension reason in force.
type SuspensionView struct {
	Reason string    `json:"reason" enum:"overdue,quota,compliance,refund_pending" example:"overdue"`
	Since  time.Time `json:"since" example:"2026-07-01T09:00:00+08:00"`
}

// ServiceEventView is one entry of a service's history.
type ServiceEventView struct {
	Kind   string         `json:"kind" example:"renewed"`
	Reason string         `json:"reason,omitempty" example:""`
	Data   map[string]any `json:"data,omitempty"`
	At     time.Time      `json:"at" example:"2026-07-01T09:00:00+08:00"`
}

// ServiceView is a service as its customer and staff see it.
type ServiceView struct {
	ID        string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70"`
	AccountID string    `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	OrderID   string    `json:"order_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	ProductID string    `json:"product_id" example:"cs-nc-bw"`
	PlanID    string    `json:"plan_id" example:"s1"`
	Kind      string    `json:"kind" example:"cloud_server"`
	Cycle     string    `json:"cycle" example:"month"`
	Name      string    `json:"name" example:"南昌云服务器（固定带宽） · 1 vCPU · 2 GiB · 40 GiB"`
	ParentID  string    `json:"parent_id,omitempty" example:""`
	State     string    `json:"state" enum:"pending,active,suspended,terminated" example:"active"`
	StartsAt  time.Time `json:"starts_at,omitzero" example:"2026-06-01T09:00:00+08:00"`
	ExpiresAt time.Time `json:"expires_at,omitzero" example:"2026-07-01T09:00:00+08:00"`
	AutoRenew bool      `json:"auto_renew" example:"false"`
	// RenewalPaused says why automatic renewal is paused ("" when not).
	RenewalPaused string           `json:"renewal_paused,omitempty" example:""`
	Suspensions   []SuspensionView `json:"suspensions"`
	// Phase is where the term stands now: in_term, grace, terminate,
	// destroy_data.
	Phase        string             `json:"phase" example:"in_term"`
	GraceUntil   time.Time          `json:"grace_until,omitzero" example:"2026-07-08T09:00:00+08:00"`
	TerminatedAt time.Time          `json:"terminated_at,omitzero" example:"2026-07-08T09:00:00+08:00"`
	DataKeptTill time.Time          `json:"data_kept_until,omitzero" example:"2026-08-07T09:00:00+08:00"`
	Events       []ServiceEventView `json:"events,omitempty"`
}

func (a *App) serviceView(r store.ServiceRow, now time.Time) ServiceView {
	l := a.serviceLifecycle()
	v := ServiceView{ID: r.ID, AccountID: r.AccountID, OrderID: r.OrderID, ProductID: r.ProductID, PlanID: r.PlanID, Kind: r.Kind, Cycle: r.Cycle,
		Name: r.Name, ParentID: r.ParentID, State: r.State, StartsAt: r.StartsAt, ExpiresAt: r.ExpiresAt, AutoRenew: r.AutoRenew,
		RenewalPaused: r.RenewalPaused, TerminatedAt: r.TerminatedAt, Suspensions: []SuspensionView{}}
	for _, s := range r.Suspensions {
		v.Suspensions = append(v.Suspensions, SuspensionView{Reason: s.Reason, Since: s.Since})
	}
	v.Phase = string(service.Lifecycle{Grace: l.Grace, Retention: l.Retention}.PhaseAt(domainService(r), now))
	if !r.ExpiresAt.IsZero() && r.State != string(service.StateTerminated) {
		v.GraceUntil = r.ExpiresAt.Add(l.Grace)
	}
	if !r.TerminatedAt.IsZero() {
		v.DataKeptTill = r.TerminatedAt.Add(l.Retention)
	}
	return v
}

func domainService(r store.ServiceRow) service.Service {
	s := service.Service{ID: r.ID, State: service.State(r.State), StartsAt: r.StartsAt, ExpiresAt: r.ExpiresAt, AutoRenew: r.AutoRenew,
		TerminatedAt: r.TerminatedAt}
	for _, x := range r.Suspensions {
		s.Suspensions = append(s.Suspensions, service.Suspension{Reason: service.Reason(x.Reason), Since: x.Since})
	}
	return s
}

// withService copies the domain's lifecycle fields onto r.
func withService(r store.ServiceRow, s service.Service, now time.Time) store.ServiceRow {
	r.State, r.StartsAt, r.ExpiresAt, r.AutoRenew, r.TerminatedAt, r.UpdatedAt = string(s.State), s.StartsAt, s.ExpiresAt, s.AutoRenew, s.TerminatedAt, now
	r.Suspensions = nil
	for _, x := range s.Suspensions {
		r.Suspensions = append(r.Suspensions, store.ServiceSuspensionRow{Reason: string(x.Reason), Since: x.Since})
	}
	return r
}

// firstTermEnd is the end of a service's first term from at: the cycle
// for servers, VPN and CDN; a year for a certificate; the pack's validity
// for a traffic pack.
func firstTermEnd(pv ProductView, cycle string, at time.Time) time.Time {
	switch {
	case pv.Kind == string(catalog.KindCertificate):
		return service.AddCycles(at, catalog.CycleYear, 1)
	case pv.Kind == string(catalog.KindTrafficPack) && pv.Spec.Pack != nil:
		return at.Add(time.Duration(pv.Spec.Pack.ValidityDays) * 24 * time.Hour)
	}
	return service.AddCycles(at, catalog.Cycle(cycle), 1)
}

// createServices makes the services a newly paid order delivers, one per
// unit of each line, pending until their driver delivers them
// (startDelivery). Traffic packs are active at once (the metering issue
// owns them); a pack's parent is the service it attaches to. It returns
// the rows it wrote, in line and unit order.
func (a *App) createServices(ctx context.Context, tx *store.Tx, o store.OrderRow) ([]store.ServiceRow, error) {
	var made []store.ServiceRow
	for _, l := range o.Lines {
		pv, err := loadProduct(ctx, tx, l.ProductID)
		if err != nil {
			return nil, err
		}
		for unit := 0; unit < int(l.Quantity); unit++ {
			r := store.ServiceRow{ID: id.NewAt(tx.Now), AccountID: o.AccountID, OrderID: o.ID, LineIdx: l.Idx, Unit: unit, ProductID: l.ProductID,
				PlanID: l.PlanID, Kind: l.Kind, Cycle: l.Cycle, Name: l.ProductName + " · " + l.PlanName, ParentID: l.AttachTo,
				State: string(service.StatePending), CreatedAt: tx.Now, UpdatedAt: tx.Now}
			if l.Kind != string(catalog.KindTrafficPack) {
				if err := tx.ServiceInsert(ctx, r); err != nil { // audited with the order's move to provisioning
					return nil, err
				}
				made = append(made, r)
				continue
			}
			s := domainService(r)
			if err := s.Activate(tx.Now, firstTermEnd(pv, l.Cycle, tx.Now)); err != nil {
				return nil, err
			}
			r = withService(r, s, tx.Now)
			if err := tx.ServiceInsert(ctx, r); err != nil {
				return nil, err
			}
			made = append(made, r)
			if r.ParentID != "" {
				if err := a.quotaCheck(ctx, tx, r.ParentID); err != nil { // a pack may lift a quota suspension
					return nil, err
				}
			}
			if err := a.serviceEvent(ctx, tx, r.ID, "activated", "", map[string]any{"order": o.ID, "expires_at": r.ExpiresAt}); err != nil {
				return nil, err
			}
		}
	}
	return made, nil
}

// serviceEvent writes a history entry and its audit event.
func (a *App) serviceEvent(ctx context.Context, tx *store.Tx, serviceID, kind, reason string, data map[string]any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if err := tx.ServiceEventInsert(ctx, store.ServiceEventRow{ID: id.NewAt(tx.Now), ServiceID: serviceID, Kind: kind, Reason: reason,
		Data: string(b), At: tx.Now}); err != nil {
		return err
	}
	d := map[string]any{"reason": reason}
	for k, v := range data {
		d[k] = v
	}
	return a.Audit(ctx, tx, AuditEntry{Action: "service." + kind, SubjectType: "service", SubjectID: serviceID, Data: d})
}

// loadService reads a service and authorises p on it: a customer through
// custPerm within its reach (service.not_found otherwise), staff through
// staffPerm.
func (a *App) loadService(ctx context.Context, q store.Querier, p account.Principal, serviceID string, custPerm, staffPerm account.Permission) (store.ServiceRow, error) {
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, staffPerm, account.Object{Type: "service"}); err != nil {
			return store.ServiceRow{}, err
		}
	}
	r, err := store.ServiceGet(ctx, q, serviceID)
	if store.IsNotFound(err) {
		return r, errNotFound("service")
	}
	if err != nil {
		return r, err
	}
	if p.Kind != account.KindStaff {
		obj, err := a.customerObject(ctx, "service", r.AccountID)
		if err != nil {
			return r, err
		}
		if err := a.Authorize(ctx, p, custPerm, obj); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Service reads one service with its history (service.read; staff
// account.read_any).
func (a *App) Service(ctx context.Context, p account.Principal, serviceID string) (ServiceView, error) {
	r, err := a.loadService(ctx, a.db, p, serviceID, "service.read", "account.read_any")
	if err != nil {
		return ServiceView{}, err
	}
	v := a.serviceView(r, a.Now())
	evs, err := store.ServiceEvents(ctx, a.db, r.ID)
	if err != nil {
		return v, err
	}
	for _, e := range evs {
		ev := ServiceEventView{Kind: e.Kind, Reason: e.Reason, At: e.At}
		_ = json.Unmarshal([]byte(e.Data), &ev.Data)
		v.Events = append(v.Events, ev)
	}
	return v, nil
}

// ServiceListFilter selects services: a customer's own (AccountID
// ignored), or for staff any account's.
type ServiceListFilter struct {
	AccountID, Kind string
	States          []string
	Before          string
	Limit           int
}

// Services lists services newest first: a customer its tenant's
// (service.read), staff any (account.read_any).
func (a *App) Services(ctx context.Context, p account.Principal, f ServiceListFilter) ([]ServiceView, error) {
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, "account.read_any", account.Object{Type: "service"}); err != nil {
			return nil, err
		}
	} else {
		f.AccountID = p.TenantID()
		if err := a.authorizeCustomerObject(ctx, p, "service.read", "", "service", f.AccountID); err != nil {
			return nil, err
		}
	}
	for _, s := range f.States {
		if !service.State(s).Valid() {
			return nil, fieldErr("app.Services", service.CodeInvalid, errs.Invalid, "query.state", "enum", "unknown state", nil)
		}
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	rows, err := store.Services(ctx, a.db, store.ServiceFilter{AccountID: f.AccountID, Kind: f.Kind, States: f.States, Before: f.Before, Limit: f.Limit})
	if err != nil {
		return nil, err
	}
	now := a.Now()
	out := make([]ServiceView, 0, len(rows))
	for _, r := range rows {
		out = append(out, a.serviceView(r, now))
	}
	return out, nil
}

// mutateService loads a service in tx, applies fn to its domain value and
// writes it back if it changed (a conditional update: a concurrent change
// makes InTx retry).
func (a *App) mutateService(ctx context.Context, tx *store.Tx, serviceID string, fn func(r *store.ServiceRow, s *service.Service) error) (store.ServiceRow, error) {
	r, err := store.ServiceGet(ctx, tx, serviceID)
	if store.IsNotFound(err) {
		return r, errNotFound("service")
	}
	if err != nil {
		return r, err
	}
	prev := r.UpdatedAt
	s := domainService(r)
	if err := fn(&r, &s); err != nil {
		return r, err
	}
	next := withService(r, s, tx.Now)
	if !next.UpdatedAt.After(prev) {
		next.UpdatedAt = prev.Add(time.Millisecond) // several changes within one millisecond still differ
	}
	ok, err := tx.ServiceUpdate(ctx, next, prev)
	if err != nil || !ok {
		return next, conflictOr(err)
	}
	return next, nil
}

// SuspendService adds a suspension reason in tx (the refunds, compliance
// and metering capabilities call it) and tells the customer. Suspending
// for a reason already in force changes nothing.
func (a *App) SuspendService(ctx context.Context, tx *store.Tx, serviceID string, reason service.Reason, note string) error {
	changed := false
	r, err := a.mutateService(ctx, tx, serviceID, func(_ *store.ServiceRow, s *service.Service) error {
		var err error
		changed, err = s.Suspend(reason, tx.Now)
		return err
	})
	if err != nil || !changed {
		return err
	}
	if err := a.serviceEvent(ctx, tx, serviceID, "suspended", string(reason), map[string]any{"note": note}); err != nil {
		return err
	}
	return a.notifyService(ctx, tx, r, notify.EventServiceStateChange, map[string]string{"change": "suspended", "reason": string(reason), "until": ""})
}

// ResumeService lifts a suspension reason in tx and returns how long it
// was in force (for a term extension). The customer is told when the
// service runs again.
func (a *App) ResumeService(ctx context.Context, tx *store.Tx, serviceID string, reason service.Reason, note string) (time.Duration, error) {
	var held time.Duration
	r, err := a.mutateService(ctx, tx, serviceID, func(_ *store.ServiceRow, s *service.Service) error {
		var err error
		held, err = s.Resume(reason, tx.Now)
		return err
	})
	if err != nil {
		return 0, err
	}
	if err := a.serviceEvent(ctx, tx, serviceID, "resumed", string(reason), map[string]any{"held_ms": held.Milliseconds(), "note": note}); err != nil {
		return 0, err
	}
	if r.State == string(service.StateActive) {
		return held, a.notifyService(ctx, tx, r, notify.EventServiceStateChange, map[string]string{"change": "resumed", "reason": "", "until": ""})
	}
	return held, nil
}

// ExtendService moves the end of a service's term by d for reason (the one
// term-extension use case: compliance overturns, non-exempt outages,
// rejected refund requests, goodwill), in tx, with a history entry.
func (a *App) ExtendService(ctx context.Context, tx *store.Tx, serviceID string, d time.Duration, reason service.ExtensionReason, note string) error {
	if _, err := a.mutateService(ctx, tx, serviceID, func(_ *store.ServiceRow, s *service.Service) error { return s.Extend(d, reason) }); err != nil {
		return err
	}
	return a.serviceEvent(ctx, tx, serviceID, "extended", string(reason), map[string]any{"by_ms": d.Milliseconds(), "note": note})
}

// notifyService tells a service's owner about it (email and inbox).
func (a *App) notifyService(ctx context.Context, tx *store.Tx, r store.ServiceRow, ev notify.Event, vars map[string]string) error {
	acc, err := store.AccountGet(ctx, tx, r.AccountID)
	if err != nil {
		return err
	}
	rec := notify.Recipient{AccountID: acc.ID}
	if rec.Email, err = a.open("account", "email", acc.ID, acc.EmailEnc); err != nil {
		return err
	}
	vars["service"] = r.Name
	_, err = a.Notify(ctx, tx, notify.Request{Event: ev, Recipient: rec, Vars: vars, Lang: langOf(acc.Lang),
		Subject: notify.Subject{Type: "service", ID: r.ID}})
	return err
}

// cstString formats an instant as the customer reads it in a notice.
func cstString(t time.Time) string { return t.In(service.CST).Format("2006-01-02 15:04") }

// StaffServiceAction is a staff member's action on a service.
type StaffServiceAction struct {
	Action string `json:"action" enum:"suspend,resume,extend" example:"suspend"`
	Reason string `json:"reason" example:"compliance" doc:"suspend/resume: a suspension reason; extend: an extension reason"`
	// Hours is the extension's length.
	Hours int    `json:"hours,omitempty" minimum:"1" maximum:"8784" example:"24"`
	Note  string `json:"note" maxLength:"500" example:"ticket T-1A2B3C4D"`
}

// StaffServiceAct suspends, resumes or extends a service for a staff
// member. Suspending and resuming take the compliance reason and
// compliance.measure.impose (overdue, quota and refund_pending are the
// platform's own, refused to staff); extending takes service.operate and
// the reason goodwill or outage. A note is required; all are audited with
// it. A service suspended by a compliance measure still in force is not
// resumed here (service.held_by_measure, Conflict): it runs again when
// the measure ends (refuseIfHeldByMeasure).
func (a *App) StaffServiceAct(ctx context.Context, p account.Principal, serviceID string, in StaffServiceAction) (ServiceView, error) {
	const op = "app.StaffServiceAct"
	perm := account.Permission("service.operate")
	if in.Action == "suspend" || in.Action == "resume" {
		perm = "compliance.measure.impose"
	}
	if err := a.Authorize(ctx, p, perm, account.Object{Type: "service"}); err != nil {
		return ServiceView{}, err
	}
	if in.Note == "" || len(in.Note) > 500 {
		return ServiceView{}, fieldErr(op, service.CodeInvalid, errs.Invalid, "body.note", "required", "say why", nil)
	}
	switch in.Action {
	case "suspend", "resume":
		r := service.Reason(in.Reason)
		if !r.Valid() {
			return ServiceView{}, fieldErr(op, service.CodeInvalid, errs.Invalid, "body.reason", "enum", "unknown reason", nil)
		}
		if r != service.ReasonCompliance {
			return ServiceView{}, fieldErr(op, "service.reason_system_only", errs.Invalid, "body.reason", "system_only",
				"overdue, quota and refund_pending are set and lifted by the platform", nil)
		}
	case "extend":
		if in.Hours < 1 || in.Hours > 8784 {
			return ServiceView{}, fieldErr(op, service.CodeInvalid, errs.Invalid, "body.hours", "range", "1 to 8784 hours",
				map[string]any{"min": 1, "max": 8784})
		}
		if in.Reason != string(service.ExtendGoodwill) && in.Reason != string(service.ExtendOutage) {
			return ServiceView{}, fieldErr(op, service.CodeInvalid, errs.Invalid, "body.reason", "enum", "goodwill or outage", nil)
		}
	default:
		return ServiceView{}, fieldErr(op, service.CodeInvalid, errs.Invalid, "body.action", "enum", "suspend, resume or extend", nil)
	}
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		svc, err := store.ServiceGet(ctx, tx, serviceID)
		if store.IsNotFound(err) {
			return errNotFound("service")
		}
		if err != nil {
			return err
		}
		switch in.Action {
		case "suspend":
			return a.SuspendService(ctx, tx, serviceID, service.Reason(in.Reason), in.Note)
		case "resume":
			return a.staffResume(ctx, tx, p, svc, in.Note)
		}
		return a.ExtendService(ctx, tx, serviceID, time.Duration(in.Hours)*time.Hour, service.ExtensionReason(in.Reason), in.Note)
	})
	if err != nil {
		return ServiceView{}, err
	}
	return a.Service(ctx, p, serviceID)
}

// staffResume lifts a compliance suspension of svc by hand. A measure in
// force that covers it (measureCovers) is not ended here
// (service.held_by_measure) — unless every such measure is an emergency
// measure not yet confirmed: those are released at once, as if they had
// lapsed (liftMeasure resumes what they suspended and extends the terms),
// which is how staff undo a detector's false positive without waiting
// for compliance.emergency_confirm_hours.
func (a *App) staffResume(ctx context.Context, tx *store.Tx, p account.Principal, svc store.ServiceRow, note string) error {
	release, err := measuresCovering(ctx, tx, svc.AccountID, svc.ID)
	if err != nil {
		return err
	}
	for _, m := range release {
		if !releasable(m) {
			return heldByMeasure("service", m)
		}
	}
	for _, m := range release {
		if err := a.liftMeasure(ctx, tx, m, compliance.MeasureLapsed, p.AccountID, "released by staff before confirmation: "+note); err != nil {
			return err
		}
	}
	if len(release) > 0 {
		cur, err := store.ServiceGet(ctx, tx, svc.ID)
		if err != nil || !domainService(cur).Holds(service.ReasonCompliance) {
			return err // the release resumed it
		}
	}
	_, err = a.ResumeService(ctx, tx, svc.ID, service.ReasonCompliance, note)
	return err
}

// SetAutoRenew turns a service's automatic renewal on or off
// (service.manage). Turning it off is how a customer cancels at the end of
// the term: the service runs until then (issue 12 item 5).
func (a *App) SetAutoRenew(ctx context.Context, p account.Principal, serviceID string, on bool) (ServiceView, error) {
	if _, err := a.loadService(ctx, a.db, p, serviceID, "service.manage", "service.operate"); err != nil { // staff: on a customer's behalf
		return ServiceView{}, err
	}
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := a.mutateService(ctx, tx, serviceID, func(r *store.ServiceRow, s *service.Service) error {
			if s.State == service.StateTerminated {
				return errs.E(errs.Op("app.SetAutoRenew"), errs.Conflict, service.CodeTerminated, "the service is terminated")
			}
			s.AutoRenew = on
			if !on {
				r.RenewalPaused = ""
			}
			return nil
		})
		if err != nil {
			return err
		}
		return a.serviceEvent(ctx, tx, r.ID, "auto_renew_set", "", map[string]any{"on": on})
	})
	if err != nil {
		return ServiceView{}, err
	}
	return a.Service(ctx, p, serviceID)
}

func remindedDays(r store.ServiceRow) []int {
	var out []int
	for _, s := range r.RemindersSent {
		if n, err := strconv.Atoi(s); err == nil {
			out = append(out, n)
		}
	}
	return out
}
