package app

import (
	"context"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/announce"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
)

// Incidents (clause 7). An incident carries a cause tag and its affected
// services; on resolution announce.Judge decides, per affected service,
// from the tag and — for maintenance with notice — the notice record of
// that service's customer for the incident's window, never from free
// text. Downtime that is not exempt extends the service's term
// (ExtendService, reason outage) with a history entry, and the customer is
// told either way (incident.decided).

// Incident states.
const (
	IncidentOpen     = "open"
	IncidentResolved = "resolved"
)

var causes = []announce.Cause{announce.CauseForceMajeure, announce.CauseThirdParty, announce.CauseProviderFault, announce.CauseCustomer,
	announce.CauseMaintenanceNotice, announce.CauseMaintenanceNoNotice}

// IncidentInput opens an incident.
type IncidentInput struct {
	TitleZh    string    `json:"title_zh" maxLength:"200" example:"南昌机房网络中断"`
	TitleEn    string    `json:"title_en" maxLength:"200" example:"Nanchang network outage"`
	BodyZh     string    `json:"body_zh,omitempty" maxLength:"20000" example:"上游运营商光缆中断。"`
	BodyEn     string    `json:"body_en,omitempty" maxLength:"20000" example:"An upstream carrier's fibre was cut."`
	Cause      string    `json:"cause" enum:"force_majeure,third_party,provider_fault,customer_caused,maintenance_with_notice,maintenance_without_notice" example:"provider_fault"`
	WindowID   string    `json:"window_id,omitempty" maxLength:"64" example:"" doc:"The maintenance window (maintenance causes): its notice record decides 7.3."`
	ServiceIDs []string  `json:"service_ids,omitempty" maxItems:"10000" example:"[\"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70\"]" doc:"Affected services; with a window and none given: the window's."`
	StartedAt  time.Time `json:"started_at" example:"2026-11-26T08:00:00+08:00"`
}

// IncidentView is an incident as staff see it.
type IncidentView struct {
	ID        string                `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f83"`
	TitleZh   string                `json:"title_zh" example:"南昌机房网络中断"`
	TitleEn   string                `json:"title_en" example:"Nanchang network outage"`
	BodyZh    string                `json:"body_zh" example:"上游运营商光缆中断。"`
	BodyEn    string                `json:"body_en" example:"An upstream carrier's fibre was cut."`
	Cause     string                `json:"cause" example:"provider_fault"`
	WindowID  string                `json:"window_id,omitempty" example:""`
	State     string                `json:"state" enum:"open,resolved" example:"resolved"`
	StartedAt time.Time             `json:"started_at" example:"2026-11-26T08:00:00+08:00"`
	EndedAt   time.Time             `json:"ended_at,omitzero" example:"2026-11-26T09:30:00+08:00"`
	Services  []IncidentServiceView `json:"services"`
}

// Title is the title in lang.
func (v IncidentView) Title(lang string) string { return pick(lang, v.TitleZh, v.TitleEn) }

// IncidentServiceView is one affected service and the decision of clause 7.
type IncidentServiceView struct {
	ServiceID   string `json:"service_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70"`
	AccountID   string `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	Decided     bool   `json:"decided" example:"true"`
	Exempt      bool   `json:"exempt" example:"false"`
	Clause      string `json:"clause,omitempty" example:"7"`
	Notified    bool   `json:"notified" example:"false" doc:"The maintenance notice reached the customer in time (maintenance causes)."`
	ExtensionMs int64  `json:"extension_ms" example:"5400000" doc:"The term extension granted (non-exempt downtime)."`
}

func incidentView(r store.IncidentRow, ss []store.IncidentServiceRow) IncidentView {
	v := IncidentView{ID: r.ID, TitleZh: r.TitleZh, TitleEn: r.TitleEn, BodyZh: r.BodyZh, BodyEn: r.BodyEn, Cause: r.Cause, WindowID: r.WindowID,
		State: r.State, StartedAt: inShanghai(r.StartedAt), EndedAt: inShanghai(r.EndedAt), Services: []IncidentServiceView{}}
	for _, s := range ss {
		v.Services = append(v.Services, IncidentServiceView{ServiceID: s.ServiceID, AccountID: s.AccountID, Decided: s.Decided, Exempt: s.Exempt,
			Clause: s.Clause, Notified: s.Notified, ExtensionMs: s.Extension.Milliseconds()})
	}
	return v
}

func validCause(c string) bool { return slices.Contains(causes, announce.Cause(c)) }

// OpenIncident records an incident (announce.manage). Bad input is
// announce.invalid with every field at once: titles, an unknown cause tag
// (body.cause enum), a maintenance cause without its window
// (body.window_id required), an unknown window or service, a start in
// the future, no affected service.
func (a *App) OpenIncident(ctx context.Context, p account.Principal, in IncidentInput) (IncidentView, error) {
	const op = "app.OpenIncident"
	if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "incident"}); err != nil {
		return IncidentView{}, err
	}
	now := a.Now()
	fes := bilingual(op, in.TitleZh, in.TitleEn)
	maint := in.Cause == string(announce.CauseMaintenanceNotice) || in.Cause == string(announce.CauseMaintenanceNoNotice)
	if !validCause(in.Cause) {
		fes = append(fes, errs.FieldError{Field: "body.cause", Rule: "enum"})
	}
	if in.StartedAt.IsZero() {
		in.StartedAt = now
	}
	if in.StartedAt.After(now) {
		fes = append(fes, errs.FieldError{Field: "body.started_at", Rule: "not_after_now"})
	}
	var owners map[string]string // service id → account id
	var newID string
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		owners = map[string]string{}
		if in.Cause == string(announce.CauseMaintenanceNotice) && in.WindowID == "" {
			fes = append(fes, errs.FieldError{Field: "body.window_id", Rule: "required"})
		}
		if in.WindowID != "" {
			if _, err := store.WindowGet(ctx, tx, in.WindowID); store.IsNotFound(err) {
				fes = append(fes, errs.FieldError{Field: "body.window_id", Rule: "exists"})
			} else if err != nil {
				return err
			} else if len(in.ServiceIDs) == 0 {
				ns, err := store.Notices(ctx, tx, in.WindowID, "")
				if err != nil {
					return err
				}
				for _, n := range ns {
					for _, sid := range n.ServiceIDs {
						owners[sid] = n.AccountID
					}
				}
			}
		}
		if !maint && in.WindowID != "" {
			fes = append(fes, errs.FieldError{Field: "body.window_id", Rule: "maintenance_only"})
		}
		for _, sid := range dedupeNonEmpty(in.ServiceIDs) {
			r, err := store.ServiceGet(ctx, tx, sid)
			if store.IsNotFound(err) {
				fes = append(fes, errs.FieldError{Field: "body.service_ids", Rule: "exists", Params: map[string]any{"id": sid}})
				continue
			}
			if err != nil {
				return err
			}
			owners[sid] = r.AccountID
		}
		if len(owners) == 0 && !slices.ContainsFunc(fes, func(f errs.FieldError) bool { return f.Field == "body.service_ids" }) {
			fes = append(fes, errs.FieldError{Field: "body.service_ids", Rule: "required"})
		}
		if len(fes) > 0 {
			return errs.E(errs.Op(op), errs.Invalid, CodeAnnounceInvalid, "the incident is not valid", fes)
		}
		r := store.IncidentRow{ID: id.NewAt(tx.Now), TitleZh: strings.TrimSpace(in.TitleZh), TitleEn: strings.TrimSpace(in.TitleEn), BodyZh: in.BodyZh,
			BodyEn: in.BodyEn, Cause: in.Cause, WindowID: in.WindowID, State: IncidentOpen, StartedAt: in.StartedAt, CreatedBy: p.AccountID,
			CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if err := tx.IncidentInsert(ctx, r); err != nil {
			return err
		}
		for sid, acc := range owners {
			if err := tx.IncidentServiceUpsert(ctx, store.IncidentServiceRow{IncidentID: r.ID, ServiceID: sid, AccountID: acc}); err != nil {
				return err
			}
		}
		newID = r.ID
		return a.Audit(ctx, tx, AuditEntry{Action: "announce.incident_opened", SubjectType: "incident", SubjectID: r.ID,
			Data: map[string]any{"cause": r.Cause, "window": r.WindowID, "services": len(owners), "started_at": r.StartedAt}})
	})
	if err != nil {
		return IncidentView{}, err
	}
	return a.incident(ctx, newID)
}

func (a *App) incident(ctx context.Context, incidentID string) (IncidentView, error) {
	r, err := store.IncidentGet(ctx, a.db, incidentID)
	if store.IsNotFound(err) {
		return IncidentView{}, errNotFound("incident")
	}
	if err != nil {
		return IncidentView{}, err
	}
	ss, err := store.IncidentServices(ctx, a.db, r.ID, "")
	if err != nil {
		return IncidentView{}, err
	}
	return incidentView(r, ss), nil
}

// Incident reads one incident with its decisions (announce.manage).
func (a *App) Incident(ctx context.Context, p account.Principal, incidentID string) (IncidentView, error) {
	if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "incident"}); err != nil {
		return IncidentView{}, err
	}
	return a.incident(ctx, incidentID)
}

// Incidents lists incidents, latest first (announce.manage).
func (a *App) Incidents(ctx context.Context, p account.Principal) ([]IncidentView, error) {
	if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "incident"}); err != nil {
		return nil, err
	}
	rows, err := store.Incidents(ctx, a.db, 200)
	if err != nil {
		return nil, err
	}
	out := make([]IncidentView, 0, len(rows))
	for _, r := range rows {
		ss, err := store.IncidentServices(ctx, a.db, r.ID, "")
		if err != nil {
			return nil, err
		}
		out = append(out, incidentView(r, ss))
	}
	return out, nil
}

// ResolveInput ends an incident.
type ResolveInput struct {
	EndedAt time.Time `json:"ended_at,omitzero" example:"2026-11-26T09:30:00+08:00" doc:"Default: now."`
	// Cause corrects the cause tag found on investigation; empty keeps it.
	Cause string `json:"cause,omitempty" example:"provider_fault"`
}

// ResolveIncident ends an open incident (announce.manage) and applies
// clause 7 to every affected service in one transaction: announce.Judge
// reads the cause tag and, for maintenance_with_notice, whether the
// incident's window reached that service's customer in time
// (announce.Window.Notified over the delivery log). Non-exempt downtime
// (the incident's span) extends live services' terms by it; each
// customer is told per service. An incident not open is
// announce.bad_transition (409); an end before the start or in the future
// is announce.invalid.
func (a *App) ResolveIncident(ctx context.Context, p account.Principal, incidentID string, in ResolveInput) (IncidentView, error) {
	const op = "app.ResolveIncident"
	if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "incident"}); err != nil {
		return IncidentView{}, err
	}
	now := a.Now()
	if in.EndedAt.IsZero() {
		in.EndedAt = now
	}
	r, err := store.IncidentGet(ctx, a.db, incidentID)
	if store.IsNotFound(err) {
		return IncidentView{}, errNotFound("incident")
	}
	if err != nil {
		return IncidentView{}, err
	}
	if in.Cause == "" {
		in.Cause = r.Cause
	}
	var fes []errs.FieldError
	if !validCause(in.Cause) {
		fes = append(fes, errs.FieldError{Field: "body.cause", Rule: "enum"})
	}
	if in.Cause == string(announce.CauseMaintenanceNotice) && r.WindowID == "" {
		fes = append(fes, errs.FieldError{Field: "body.cause", Rule: "window_required"})
	}
	if in.EndedAt.Before(r.StartedAt) {
		fes = append(fes, errs.FieldError{Field: "body.ended_at", Rule: "after_start"})
	}
	if in.EndedAt.After(now) {
		fes = append(fes, errs.FieldError{Field: "body.ended_at", Rule: "not_after_now"})
	}
	if len(fes) > 0 {
		return IncidentView{}, errs.E(errs.Op(op), errs.Invalid, CodeAnnounceInvalid, "the resolution is not valid", fes)
	}
	// The notice record (reads of the delivery log) before the transaction.
	notified := map[string]bool{}
	if in.Cause == string(announce.CauseMaintenanceNotice) {
		w, err := store.WindowGet(ctx, a.db, r.WindowID)
		if err != nil {
			return IncidentView{}, err
		}
		reach, err := a.windowReach(ctx, w, "")
		if err != nil {
			return IncidentView{}, err
		}
		for _, rv := range reach {
			notified[rv.AccountID] = rv.Notified
		}
	}
	down := in.EndedAt.Sub(r.StartedAt)
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.IncidentResolve(ctx, r.ID, in.Cause, in.EndedAt, p.AccountID)
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Op(op), errs.Conflict, "announce.bad_transition", "the incident is not open", map[string]any{"action": "resolve"})
		}
		ss, err := store.IncidentServices(ctx, tx, r.ID, "")
		if err != nil {
			return err
		}
		extended := 0
		for _, s := range ss {
			d := announce.Judge(announce.Cause(in.Cause), notified[s.AccountID], down)
			s.Decided, s.Exempt, s.Clause, s.Notified = true, d.Exempt, string(d.Clause), notified[s.AccountID]
			svc, err := store.ServiceGet(ctx, tx, s.ServiceID)
			if err != nil {
				return err
			}
			live := slices.Contains(liveStates, svc.State)
			if !d.Exempt && d.Extension > 0 && live {
				if err := a.ExtendService(ctx, tx, s.ServiceID, d.Extension, service.ExtendOutage, "incident "+r.ID); err != nil {
					return err
				}
				s.Extension = d.Extension
				extended++
			}
			if err := tx.IncidentServiceUpsert(ctx, s); err != nil {
				return err
			}
			if !live {
				continue
			}
			outcome := "exempt"
			if s.Extension > 0 {
				outcome = "extended"
			}
			rc, lang, err := a.customerRecipient(ctx, tx, s.AccountID)
			if err != nil {
				return err
			}
			rc.Phone = "" // the outcome goes by email and inbox
			title := r.TitleZh
			if lang == notify.En {
				title = r.TitleEn
			}
			if _, err := a.Notify(ctx, tx, notify.Request{Event: notify.EventOutageDecided, Recipient: rc, Lang: lang,
				Vars: map[string]string{"service": svc.Name, "incident": title, "outcome": outcome, "clause": s.Clause,
					"extension": s.Extension.Round(time.Minute).String()}, Subject: notify.Subject{Type: "incident", ID: r.ID}}); err != nil {
				return err
			}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "announce.incident_resolved", SubjectType: "incident", SubjectID: r.ID,
			Data: map[string]any{"cause": in.Cause, "ended_at": in.EndedAt, "down_ms": down.Milliseconds(), "services": len(ss), "extended": extended,
				"clause": "7"}})
	})
	if err != nil {
		return IncidentView{}, err
	}
	return a.incident(ctx, r.ID)
}

// CustomerIncidents lists the incidents that touched accountID's services
// with the decision for each: a customer its own tenant's (service.read;
// another's is incident.not_found), staff anyone's (account.read_any).
func (a *App) CustomerIncidents(ctx context.Context, p account.Principal, accountID string) ([]IncidentView, error) {
	if accountID == "" {
		accountID = p.TenantID()
	}
	if err := a.authorizeCustomerObject(ctx, p, "service.read", "account.read_any", "incident", accountID); err != nil {
		return nil, err
	}
	ss, err := store.IncidentServices(ctx, a.db, "", accountID)
	if err != nil {
		return nil, err
	}
	by := map[string][]store.IncidentServiceRow{}
	var order []string
	for _, s := range ss {
		if _, ok := by[s.IncidentID]; !ok {
			order = append(order, s.IncidentID)
		}
		by[s.IncidentID] = append(by[s.IncidentID], s)
	}
	out := []IncidentView{}
	for _, iid := range order {
		r, err := store.IncidentGet(ctx, a.db, iid)
		if err != nil {
			return nil, err
		}
		out = append(out, incidentView(r, by[iid]))
	}
	slices.SortFunc(out, func(x, y IncidentView) int { return y.StartedAt.Compare(x.StartedAt) })
	return out, nil
}
