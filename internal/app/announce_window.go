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
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
)

// Maintenance windows (clauses 6.2 and 7.3). Publishing a window resolves
// the services it affects (live services of its products, of products in
// its regions, or on its nodes: metered there, a WireGuard peer there or a
// CDN site it serves — store.ServicesOnNodes) and sends each affected customer one notice (maintenance.scheduled, by
// email, SMS and inbox). Whether a customer counts as notified is read
// from that notice's delivery log, never stored: announce.Window.Notified
// over the first email and SMS deliveries against the customer's
// maintenance.notice_hours. A window with less notice than policy is
// refused unless flagged emergency; an emergency window is accepted,
// shown flagged, and never counts as notified.

// maintenanceReminderLead is how long before its start a scheduled
// window's affected customers get a reminder. It is a courtesy, not a
// number of the agreement (the notice that counts is the first one).
const maintenanceReminderLead = 24 * time.Hour

// Window states.
const (
	WindowScheduled  = "scheduled"
	WindowInProgress = "in_progress"
	WindowCompleted  = "completed"
	WindowCancelled  = "cancelled"
)

// WindowInput is planned work staff publish.
type WindowInput struct {
	TitleZh   string    `json:"title_zh" maxLength:"200" example:"南昌机房核心交换机升级"`
	TitleEn   string    `json:"title_en" maxLength:"200" example:"Nanchang core switch upgrade"`
	BodyZh    string    `json:"body_zh,omitempty" maxLength:"20000" example:"期间网络可能中断约 30 分钟。"`
	BodyEn    string    `json:"body_en,omitempty" maxLength:"20000" example:"The network may be down for about 30 minutes."`
	Products  []string  `json:"products,omitempty" maxItems:"100" example:"[\"cs-nc-bw\"]" doc:"Affected product ids."`
	Regions   []string  `json:"regions,omitempty" maxItems:"100" example:"[\"cn-jx-nanchang\"]" doc:"Affected regions: every product there."`
	Nodes     []string  `json:"nodes,omitempty" maxItems:"100" example:"[\"nc-sw-01\"]" doc:"Affected node ids (GET /staff/nodes): every service on them (cloud servers metered there, VPN peers, CDN sites). An unknown id is refused (body.nodes unknown)."`
	Start     time.Time `json:"start" example:"2026-12-01T01:00:00+08:00"`
	End       time.Time `json:"end" example:"2026-12-01T03:00:00+08:00"`
	Emergency bool      `json:"emergency,omitempty" example:"false" doc:"Less notice than maintenance.notice_hours: accepted only when set, flagged, never exempt (7.3)."`
}

// WindowView is a maintenance window.
type WindowView struct {
	ID          string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f82"`
	TitleZh     string    `json:"title_zh" example:"南昌机房核心交换机升级"`
	TitleEn     string    `json:"title_en" example:"Nanchang core switch upgrade"`
	BodyZh      string    `json:"body_zh" example:"期间网络可能中断约 30 分钟。"`
	BodyEn      string    `json:"body_en" example:"The network may be down for about 30 minutes."`
	Products    []string  `json:"products" example:"[\"cs-nc-bw\"]"`
	Regions     []string  `json:"regions" example:"[\"cn-jx-nanchang\"]"`
	Nodes       []string  `json:"nodes" example:"[\"nc-sw-01\"]"`
	Start       time.Time `json:"start" example:"2026-12-01T01:00:00+08:00"`
	End         time.Time `json:"end" example:"2026-12-01T03:00:00+08:00"`
	Emergency   bool      `json:"emergency" example:"false"`
	NoticeHours int       `json:"notice_hours" example:"72" doc:"maintenance.notice_hours in force when it was published."`
	State       string    `json:"state" enum:"scheduled,in_progress,completed,cancelled" example:"scheduled"`
	StartedAt   time.Time `json:"started_at,omitzero" example:"2026-12-01T01:00:00+08:00"`
	CompletedAt time.Time `json:"completed_at,omitzero" example:"2026-12-01T02:40:00+08:00"`
	CreatedAt   time.Time `json:"created_at" example:"2026-11-26T09:00:00+08:00"`
}

// Title is the title in lang.
func (v WindowView) Title(lang string) string { return pick(lang, v.TitleZh, v.TitleEn) }

// Body is the body in lang.
func (v WindowView) Body(lang string) string { return pick(lang, v.BodyZh, v.BodyEn) }

func windowView(r store.WindowRow) WindowView {
	v := WindowView{ID: r.ID, TitleZh: r.TitleZh, TitleEn: r.TitleEn, BodyZh: r.BodyZh, BodyEn: r.BodyEn, Products: r.Products, Regions: r.Regions,
		Nodes: r.Nodes, Start: inShanghai(r.Start), End: inShanghai(r.End), Emergency: r.Emergency, NoticeHours: r.NoticeHours, State: r.State,
		StartedAt: inShanghai(r.StartedAt), CompletedAt: inShanghai(r.CompletedAt), CreatedAt: inShanghai(r.CreatedAt)}
	for _, l := range []*[]string{&v.Products, &v.Regions, &v.Nodes} {
		if *l == nil {
			*l = []string{}
		}
	}
	return v
}

func (r windowLike) domain() announce.Window {
	return announce.Window{Start: r.Start, End: r.End, Emergency: r.Emergency}
}

type windowLike store.WindowRow

// affectedServices returns the live services of the given products, of
// products in the given regions or on the given nodes, grouped by owner
// account (sorted ids).
func (a *App) affectedServices(ctx context.Context, q store.Querier, products, regions, nodes []string) (map[string][]store.ServiceRow, []string, error) {
	onNodes, err := store.ServicesOnNodes(ctx, q, nodes)
	if err != nil {
		return nil, nil, err
	}
	region := map[string]string{}
	if len(regions) > 0 {
		ps, err := store.Products(ctx, q, false)
		if err != nil {
			return nil, nil, err
		}
		for _, p := range ps {
			region[p.ID] = p.Region
		}
	}
	by := map[string][]store.ServiceRow{}
	var owners []string
	before := ""
	for {
		rows, err := store.Services(ctx, q, store.ServiceFilter{States: liveStates, Before: before, Limit: 500})
		if err != nil {
			return nil, nil, err
		}
		for _, r := range rows {
			if !slices.Contains(products, r.ProductID) && !(region[r.ProductID] != "" && slices.Contains(regions, region[r.ProductID])) &&
				!slices.Contains(onNodes, r.ID) {
				continue
			}
			if _, seen := by[r.AccountID]; !seen {
				owners = append(owners, r.AccountID)
			}
			by[r.AccountID] = append(by[r.AccountID], r)
		}
		if len(rows) < 500 {
			break
		}
		before = rows[len(rows)-1].ID
	}
	slices.Sort(owners)
	return by, owners, nil
}

func serviceNames(rs []store.ServiceRow) string {
	names := make([]string, 0, len(rs))
	for _, r := range rs {
		if !slices.Contains(names, r.Name) {
			names = append(names, r.Name)
		}
	}
	return strings.Join(names, "、")
}

// ScheduleWindow publishes a maintenance window (announce.manage, clause
// 6.2) and, in the same transaction, queues one notice per affected
// customer. Bad input is announce.invalid (titles, scope, a node that does
// not exist: body.nodes unknown) or
// announce.window_invalid (end before start: body.end after_start; a start
// in the past: body.start in_future; less notice than the policy in force
// without emergency: body.start notice_too_short with the hours), all with
// field and rule.
func (a *App) ScheduleWindow(ctx context.Context, p account.Principal, in WindowInput) (WindowView, error) {
	const op = "app.ScheduleWindow"
	if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "maintenance_window"}); err != nil {
		return WindowView{}, err
	}
	fes := bilingual(op, in.TitleZh, in.TitleEn)
	in.Products, in.Regions, in.Nodes = dedupeNonEmpty(in.Products), dedupeNonEmpty(in.Regions), dedupeNonEmpty(in.Nodes)
	if len(in.Products)+len(in.Regions)+len(in.Nodes) == 0 {
		fes = append(fes, errs.FieldError{Field: "body.products", Rule: "scope_required"})
	}
	var unknown []string
	for _, n := range in.Nodes {
		if _, err := store.NodeGet(ctx, a.db, n); store.IsNotFound(err) {
			unknown = append(unknown, n)
		} else if err != nil {
			return WindowView{}, err
		}
	}
	if len(unknown) > 0 {
		fes = append(fes, errs.FieldError{Field: "body.nodes", Rule: "unknown", Params: map[string]any{"nodes": unknown}})
	}
	if len(fes) > 0 {
		return WindowView{}, errs.E(errs.Op(op), errs.Invalid, CodeAnnounceInvalid, "the maintenance window is not valid", fes)
	}
	now := a.Now()
	set, err := a.policyInForce(ctx, now)
	if err != nil {
		return WindowView{}, err
	}
	hours := set.Int(policy.MaintenanceNoticeHours)
	if err := (announce.Window{Start: in.Start, End: in.End, Emergency: in.Emergency}).Validate(now, hours); err != nil {
		return WindowView{}, err
	}
	var out store.WindowRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		w := store.WindowRow{ID: id.NewAt(tx.Now), TitleZh: strings.TrimSpace(in.TitleZh), TitleEn: strings.TrimSpace(in.TitleEn), BodyZh: in.BodyZh,
			BodyEn: in.BodyEn, Products: in.Products, Regions: in.Regions, Nodes: in.Nodes, Start: in.Start, End: in.End, Emergency: in.Emergency,
			NoticeHours: hours, State: WindowScheduled, CreatedBy: p.AccountID, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if err := tx.WindowInsert(ctx, w); err != nil {
			return err
		}
		by, owners, err := a.affectedServices(ctx, tx, in.Products, in.Regions, in.Nodes)
		if err != nil {
			return err
		}
		for _, acc := range owners {
			rc, lang, err := a.customerRecipient(ctx, tx, acc)
			if err != nil {
				return err
			}
			rec, err := a.Notify(ctx, tx, notify.Request{Event: notify.EventMaintenance, Recipient: rc, Lang: lang,
				Vars:    map[string]string{"start": notify.FormatTime(w.Start, lang), "end": notify.FormatTime(w.End, lang), "services": serviceNames(by[acc])},
				Subject: notify.Subject{Type: "maintenance_window", ID: w.ID}})
			if err != nil {
				return err
			}
			ids := make([]string, 0, len(by[acc]))
			for _, s := range by[acc] {
				ids = append(ids, s.ID)
			}
			if err := tx.NoticeInsert(ctx, store.NoticeRow{WindowID: w.ID, AccountID: acc, ServiceIDs: ids, NotificationID: rec.NotificationID,
				CreatedAt: tx.Now}); err != nil {
				return err
			}
		}
		out = w
		return a.Audit(ctx, tx, AuditEntry{Action: "announce.window_scheduled", SubjectType: "maintenance_window", SubjectID: w.ID,
			Data: map[string]any{"start": w.Start, "end": w.End, "emergency": w.Emergency, "notice_hours": hours, "customers": len(owners),
				"products": w.Products, "regions": w.Regions, "nodes": w.Nodes, "clause": "6.2"}})
	})
	if err != nil {
		return WindowView{}, err
	}
	return windowView(out), nil
}

func dedupeNonEmpty(ss []string) []string {
	out := []string{}
	for _, s := range dedupe(ss) {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// MaintenanceWindows lists windows, latest start first (announce.manage).
func (a *App) MaintenanceWindows(ctx context.Context, p account.Principal) ([]WindowView, error) {
	if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "maintenance_window"}); err != nil {
		return nil, err
	}
	rows, err := store.Windows(ctx, a.db, store.WindowFilter{Limit: 200})
	if err != nil {
		return nil, err
	}
	out := make([]WindowView, 0, len(rows))
	for _, r := range rows {
		out = append(out, windowView(r))
	}
	return out, nil
}

// ReachView says whether and when one affected customer was reached.
type ReachView struct {
	AccountID   string    `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	Name        string    `json:"name" example:"张三"`
	Services    []string  `json:"services" example:"[\"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70\"]"`
	EmailAt     time.Time `json:"email_delivered_at,omitzero" example:"2026-11-26T09:00:05+08:00" doc:"First email delivery; absent: none."`
	SMSAt       time.Time `json:"sms_delivered_at,omitzero" example:"2026-11-26T09:00:03+08:00" doc:"First SMS delivery; absent: none."`
	NoticeBy    time.Time `json:"notice_by" example:"2026-11-28T01:00:00+08:00" doc:"The latest instant a delivery counts: the start less the customer's maintenance.notice_hours."`
	Notified    bool      `json:"notified" example:"true" doc:"Reached by email or SMS by notice_by (never for emergency work)."`
	NoticeHours int       `json:"notice_hours" example:"72"`
}

// windowReach computes the reach of every notice of w.
func (a *App) windowReach(ctx context.Context, w store.WindowRow, accountID string) ([]ReachView, error) {
	ns, err := store.Notices(ctx, a.db, w.ID, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]ReachView, 0, len(ns))
	for _, n := range ns {
		v, err := a.noticeReach(ctx, w, n)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// noticeReach reads one notice's deliveries and the customer's policy.
func (a *App) noticeReach(ctx context.Context, w store.WindowRow, n store.NoticeRow) (ReachView, error) {
	v := ReachView{AccountID: n.AccountID, Services: n.ServiceIDs}
	if row, err := store.AccountGet(ctx, a.db, n.AccountID); err == nil {
		v.Name = row.DisplayName
	}
	set, _, err := a.policy.ForCustomer(ctx, n.AccountID, w.Start)
	if err != nil {
		return v, err
	}
	v.NoticeHours = set.Int(policy.MaintenanceNoticeHours)
	v.NoticeBy = inShanghai(w.Start.Add(-time.Duration(v.NoticeHours) * time.Hour))
	got, err := a.NoticeDelivered(ctx, n.NotificationID)
	if err != nil {
		return v, err
	}
	var ds []announce.Delivery
	for ch, at := range got {
		ds = append(ds, announce.Delivery{Channel: string(ch), At: at})
		switch ch {
		case notify.Email:
			v.EmailAt = inShanghai(at)
		case notify.SMS:
			v.SMSAt = inShanghai(at)
		}
	}
	v.Notified = windowLike(w).domain().Notified(ds, v.NoticeHours)
	if v.Services == nil {
		v.Services = []string{}
	}
	return v, nil
}

// WindowDetail is a window with its reach table.
type WindowDetail struct {
	Window WindowView  `json:"window"`
	Reach  []ReachView `json:"reach"`
}

// MaintenanceWindow reads a window with, per affected customer, whether
// and when the notice reached them (announce.manage).
func (a *App) MaintenanceWindow(ctx context.Context, p account.Principal, windowID string) (WindowDetail, error) {
	if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "maintenance_window"}); err != nil {
		return WindowDetail{}, err
	}
	w, err := store.WindowGet(ctx, a.db, windowID)
	if store.IsNotFound(err) {
		return WindowDetail{}, errNotFound("maintenance_window")
	}
	if err != nil {
		return WindowDetail{}, err
	}
	reach, err := a.windowReach(ctx, w, "")
	return WindowDetail{Window: windowView(w), Reach: reach}, err
}

// WindowAction is a state change of a window.
type WindowAction struct {
	Action string    `json:"action" enum:"start,extend,complete,cancel" example:"extend"`
	End    time.Time `json:"end,omitzero" example:"2026-12-01T04:00:00+08:00" doc:"extend: the new end, after the current one."`
}

// ActOnWindow starts, extends, completes or cancels a window
// (announce.manage) and tells every affected customer
// (maintenance.update), in one transaction. start and cancel need a
// scheduled window; extend and complete a scheduled or started one;
// anything else is announce.bad_transition (409).
func (a *App) ActOnWindow(ctx context.Context, p account.Principal, windowID string, in WindowAction) (WindowView, error) {
	const op = "app.ActOnWindow"
	if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "maintenance_window"}); err != nil {
		return WindowView{}, err
	}
	var from []string
	switch in.Action {
	case "start", "cancel":
		from = []string{WindowScheduled}
	case "extend", "complete":
		from = []string{WindowScheduled, WindowInProgress}
	default:
		return WindowView{}, fieldErr(op, CodeAnnounceInvalid, errs.Invalid, "body.action", "enum", "choose start, extend, complete or cancel", nil)
	}
	var out store.WindowRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		w, err := store.WindowGet(ctx, tx, windowID)
		if store.IsNotFound(err) {
			return errNotFound("maintenance_window")
		}
		if err != nil {
			return err
		}
		if !slices.Contains(from, w.State) {
			return errs.E(errs.Op(op), errs.Conflict, "announce.bad_transition", "the window is "+w.State,
				map[string]any{"state": w.State, "action": in.Action})
		}
		prev, prevState := w.UpdatedAt, w.State
		change := in.Action + "ed"
		switch in.Action {
		case "start":
			w.State, w.StartedAt, change = WindowInProgress, tx.Now, "started"
		case "cancel":
			w.State, change = WindowCancelled, "cancelled"
		case "extend":
			if !in.End.After(w.End) {
				return fieldErr(op, CodeAnnounceInvalid, errs.Invalid, "body.end", "after_current_end", "the new end must be after the current one", nil)
			}
			w.End = in.End
		case "complete":
			w.State, w.CompletedAt, change = WindowCompleted, tx.Now, "completed"
			if w.StartedAt.IsZero() {
				w.StartedAt = w.Start
			}
			if tx.Now.Before(w.End) {
				w.End = tx.Now
			}
		}
		w.UpdatedAt = tx.Now
		if !w.UpdatedAt.After(prev) {
			w.UpdatedAt = prev.Add(time.Millisecond)
		}
		ok, err := tx.WindowUpdate(ctx, w, prevState, prev)
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Op(op), errs.Conflict, "announce.changed", "the window changed meanwhile; reload", errs.ErrConflict)
		}
		if err := a.notifyWindow(ctx, tx, w, change); err != nil {
			return err
		}
		out = w
		return a.Audit(ctx, tx, AuditEntry{Action: "announce.window_" + change, SubjectType: "maintenance_window", SubjectID: w.ID,
			Data: map[string]any{"from": prevState, "to": w.State, "end": w.End}})
	})
	if err != nil {
		return WindowView{}, err
	}
	return windowView(out), nil
}

// notifyWindow sends maintenance.update (change) to every customer noticed
// of w, in tx.
func (a *App) notifyWindow(ctx context.Context, tx *store.Tx, w store.WindowRow, change string) error {
	ns, err := store.Notices(ctx, tx, w.ID, "")
	if err != nil {
		return err
	}
	for _, n := range ns {
		rc, lang, err := a.customerRecipient(ctx, tx, n.AccountID)
		if err != nil {
			return err
		}
		var rows []store.ServiceRow
		for _, sid := range n.ServiceIDs {
			if r, err := store.ServiceGet(ctx, tx, sid); err == nil {
				rows = append(rows, r)
			}
		}
		if _, err := a.Notify(ctx, tx, notify.Request{Event: notify.EventMaintenanceUpdate, Recipient: rc, Lang: lang,
			Vars: map[string]string{"change": change, "start": notify.FormatTime(w.Start, lang), "end": notify.FormatTime(w.End, lang),
				"services": serviceNames(rows)}, Subject: notify.Subject{Type: "maintenance_window", ID: w.ID}}); err != nil {
			return err
		}
	}
	return nil
}

// windowReminderSweep reminds the affected customers of every scheduled
// window that starts within maintenanceReminderLead, once.
func (a *App) windowReminderSweep(ctx context.Context, now time.Time) (int64, error) {
	rows, err := store.Windows(ctx, a.db, store.WindowFilter{States: []string{WindowScheduled}, StartBefore: now.Add(maintenanceReminderLead),
		EndAfter: now, Limit: sweepBatch})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, r := range rows {
		if !r.RemindedAt.IsZero() || !r.Start.After(now) {
			continue
		}
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			w, err := store.WindowGet(ctx, tx, r.ID)
			if err != nil {
				return err
			}
			if !w.RemindedAt.IsZero() || w.State != WindowScheduled {
				return errSkip
			}
			prev := w.UpdatedAt
			w.RemindedAt, w.UpdatedAt = tx.Now, tx.Now
			if !w.UpdatedAt.After(prev) {
				w.UpdatedAt = prev.Add(time.Millisecond)
			}
			ok, err := tx.WindowUpdate(ctx, w, WindowScheduled, prev)
			if err != nil || !ok {
				return conflictOr(err)
			}
			if err := a.notifyWindow(ctx, tx, w, "reminder"); err != nil {
				return err
			}
			n++
			return a.Audit(ctx, tx, AuditEntry{Action: "announce.window_reminded", SubjectType: "maintenance_window", SubjectID: w.ID})
		})
		if err != nil && err != errSkip {
			return n, err
		}
	}
	return n, nil
}

// CustomerWindow is a current or upcoming window as an affected customer
// sees it: its own services only.
type CustomerWindow struct {
	Window   WindowView `json:"window"`
	Services []string   `json:"services" example:"[\"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70\"]" doc:"The customer's affected services."`
	Notified bool       `json:"notified" example:"true" doc:"Whether the notice reached the customer in time (7.3)."`
}

// AffectedWindows lists the current and upcoming windows (scheduled or in
// progress, not yet ended) that affect accountID's services: a customer
// its own tenant's (service.read; anyone else's is
// maintenance_window.not_found), staff anyone's (account.read_any).
func (a *App) AffectedWindows(ctx context.Context, p account.Principal, accountID string) ([]CustomerWindow, error) {
	if accountID == "" {
		accountID = p.TenantID()
	}
	if err := a.authorizeCustomerObject(ctx, p, "service.read", "account.read_any", "maintenance_window", accountID); err != nil {
		return nil, err
	}
	now := a.Now()
	ns, err := store.NoticesInWindows(ctx, a.db, accountID, []string{WindowScheduled, WindowInProgress}, now)
	if err != nil {
		return nil, err
	}
	out := []CustomerWindow{}
	for _, n := range ns {
		w, err := store.WindowGet(ctx, a.db, n.WindowID)
		if err != nil {
			return nil, err
		}
		if (w.State != WindowScheduled && w.State != WindowInProgress) || !w.End.After(now) {
			continue // changed since the first read
		}
		r, err := a.noticeReach(ctx, w, n)
		if err != nil {
			return nil, err
		}
		out = append(out, CustomerWindow{Window: windowView(w), Services: r.Services, Notified: r.Notified})
	}
	slices.SortFunc(out, func(x, y CustomerWindow) int { return x.Window.Start.Compare(y.Window.Start) })
	return out, nil
}
