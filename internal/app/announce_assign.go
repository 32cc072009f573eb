package app

import (
	"context"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/announce"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
)

// Assignment (clause 9.3). Staff record an assignment of the agreement to
// another company at least assignment.notice_days ahead; every active
// customer is told (assignment.notice, email, SMS and inbox). A customer
// who objects before the effective instant may leave with the unused part
// of each live service's term refunded pro rata (announce.ProRata) to the
// original route. This layer records the objection with the amounts per
// service, computed at the instant of the objection; paying them out
// through the refund machinery (a refund of kind "assignment" to the
// original route) is the next step and is not built yet — finance reads
// the amounts from GET /staff/assignments.

// AssignmentInput records an assignment.
type AssignmentInput struct {
	Assignee    string    `json:"assignee" maxLength:"200" example:"示例受让科技有限公司"`
	EffectiveAt time.Time `json:"effective_at" example:"2027-01-01T00:00:00+08:00" doc:"At least assignment.notice_days from now."`
}

// AssignmentView is an assignment with the objections to it (staff) or the
// caller's own (a customer).
type AssignmentView struct {
	ID          string          `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f84"`
	Assignee    string          `json:"assignee" example:"示例受让科技有限公司"`
	EffectiveAt time.Time       `json:"effective_at" example:"2027-01-01T00:00:00+08:00"`
	NoticeDays  int             `json:"notice_days" example:"30"`
	Notified    int             `json:"notified" example:"120" doc:"Customers the notice was queued for."`
	Objections  []ObjectionView `json:"objections"`
}

// ObjectionView is one customer's objection and its pro-rata amounts.
type ObjectionView struct {
	AccountID string                  `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	TotalFen  int64                   `json:"total_fen" example:"2600"`
	Amounts   []store.ObjectionAmount `json:"amounts"`
	At        time.Time               `json:"at" example:"2026-12-01T09:00:00+08:00"`
}

func assignmentView(r store.AssignNoticeRow, os []store.ObjectionRow) AssignmentView {
	v := AssignmentView{ID: r.ID, Assignee: r.Assignee, EffectiveAt: inShanghai(r.EffectiveAt), NoticeDays: r.NoticeDays, Notified: r.Notified,
		Objections: []ObjectionView{}}
	for _, o := range os {
		am := o.Amounts
		if am == nil {
			am = []store.ObjectionAmount{}
		}
		v.Objections = append(v.Objections, ObjectionView{AccountID: o.AccountID, TotalFen: o.TotalFen, Amounts: am, At: inShanghai(o.CreatedAt)})
	}
	return v
}

// CreateAssignment records an assignment (announce.manage, clause 9.3) and
// queues its notice to every active customer account in one transaction.
// An effective instant sooner than assignment.notice_days from now is
// announce.invalid (body.effective_at notice_too_short, with the days).
func (a *App) CreateAssignment(ctx context.Context, p account.Principal, in AssignmentInput) (AssignmentView, error) {
	const op = "app.CreateAssignment"
	if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "assignment"}); err != nil {
		return AssignmentView{}, err
	}
	now := a.Now()
	set, err := a.policyInForce(ctx, now)
	if err != nil {
		return AssignmentView{}, err
	}
	days := set.Int(policy.AssignmentNoticeDays)
	var fes []errs.FieldError
	if strings.TrimSpace(in.Assignee) == "" {
		fes = append(fes, errs.FieldError{Field: "body.assignee", Rule: "required"})
	}
	if in.EffectiveAt.Before(now.AddDate(0, 0, days)) {
		fes = append(fes, errs.FieldError{Field: "body.effective_at", Rule: "notice_days_too_short", Params: map[string]any{"days": days}})
	}
	if len(fes) > 0 {
		return AssignmentView{}, errs.E(errs.Op(op), errs.Invalid, CodeAnnounceInvalid, "the assignment is not valid", fes)
	}
	var out store.AssignNoticeRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r := store.AssignNoticeRow{ID: id.NewAt(tx.Now), Assignee: strings.TrimSpace(in.Assignee), EffectiveAt: in.EffectiveAt, NoticeDays: days,
			CreatedBy: p.AccountID, CreatedAt: tx.Now}
		cursor := ""
		for {
			rows, err := store.AccountList(ctx, tx, store.AccountFilter{Kinds: []string{string(account.KindIndividual), string(account.KindEnterprise),
				string(account.KindReseller)}, Cursor: cursor, Limit: 500})
			if err != nil {
				return err
			}
			for _, row := range rows {
				if row.State != string(account.StateActive) {
					continue
				}
				rc, lang, err := a.customerRecipient(ctx, tx, row.ID)
				if err != nil {
					return err
				}
				at := notify.FormatTime(in.EffectiveAt, lang)
				if _, err := a.Notify(ctx, tx, notify.Request{Event: notify.EventAssignment, Recipient: rc, Lang: lang,
					Vars:    map[string]string{"assignee": r.Assignee, "effective_at": at, "object_until": at},
					Subject: notify.Subject{Type: "assignment", ID: r.ID}}); err != nil {
					return err
				}
				r.Notified++
			}
			if len(rows) < 500 {
				break
			}
			cursor = rows[len(rows)-1].ID
		}
		if err := tx.AssignNoticeInsert(ctx, r); err != nil {
			return err
		}
		out = r
		return a.Audit(ctx, tx, AuditEntry{Action: "announce.assignment_noticed", SubjectType: "assignment", SubjectID: r.ID,
			Data: map[string]any{"assignee": r.Assignee, "effective_at": r.EffectiveAt, "notice_days": days, "notified": r.Notified, "clause": "9.3"}})
	})
	if err != nil {
		return AssignmentView{}, err
	}
	return assignmentView(out, nil), nil
}

// Assignments lists assignments: staff (announce.manage) with every
// objection, a customer with its own objection only.
func (a *App) Assignments(ctx context.Context, p account.Principal) ([]AssignmentView, error) {
	accountID := ""
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, "announce.manage", account.Object{Type: "assignment"}); err != nil {
			return nil, err
		}
	} else {
		accountID = p.TenantID()
		if err := a.authorizeCustomerObject(ctx, p, "service.read", "", "assignment", accountID); err != nil {
			return nil, err
		}
	}
	rs, err := store.AssignNotices(ctx, a.db)
	if err != nil {
		return nil, err
	}
	out := make([]AssignmentView, 0, len(rs))
	for _, r := range rs {
		os, err := store.Objections(ctx, a.db, r.ID, accountID)
		if err != nil {
			return nil, err
		}
		out = append(out, assignmentView(r, os))
	}
	return out, nil
}

// cycleMonths is the length of a billing cycle in months (0: not a term).
func cycleMonths(c string) int {
	switch catalog.Cycle(c) {
	case catalog.CycleMonth:
		return 1
	case catalog.CycleQuarter:
		return 3
	case catalog.CycleYear:
		return 12
	}
	return 0
}

// ObjectToAssignment records the caller's objection (refund.request on
// its tenant, clause 9.3) before the assignment takes effect
// (announce.objection_closed, 409, after; announce.already_objected, 409,
// twice) with, per live service with a term left, the pro-rata refund of
// the unused term: the price of the term (the unit price of the order line
// that created the service) × time left ÷ term, rounded up for the
// customer. The payout to the original route is the next step (see the
// package comment above).
func (a *App) ObjectToAssignment(ctx context.Context, p account.Principal, assignmentID string) (ObjectionView, error) {
	const op = "app.ObjectToAssignment"
	tenant := p.TenantID()
	if err := a.authorizeCustomerObject(ctx, p, "refund.request", "", "assignment", tenant); err != nil {
		return ObjectionView{}, err
	}
	var out store.ObjectionRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.AssignNoticeGet(ctx, tx, assignmentID)
		if store.IsNotFound(err) {
			return errNotFound("assignment")
		}
		if err != nil {
			return err
		}
		if !tx.Now.Before(r.EffectiveAt) {
			return errs.E(errs.Op(op), errs.Conflict, "announce.objection_closed", "the assignment has taken effect", map[string]any{"clause": "9.3"})
		}
		o := store.ObjectionRow{AssignmentID: r.ID, AccountID: tenant, Amounts: []store.ObjectionAmount{}, CreatedAt: tx.Now}
		svcs, err := store.Services(ctx, tx, store.ServiceFilter{AccountID: tenant, States: liveStates, Limit: 1000})
		if err != nil {
			return err
		}
		for _, s := range svcs {
			months := cycleMonths(s.Cycle)
			if months == 0 || s.ExpiresAt.IsZero() || !s.ExpiresAt.After(tx.Now) {
				continue
			}
			ord, err := store.OrderGet(ctx, tx, s.OrderID)
			if err != nil {
				return err
			}
			var price int64
			for _, l := range ord.Lines {
				if l.Idx == s.LineIdx {
					price = l.UnitPriceFen
				}
			}
			fen := announce.ProRata(price, s.ExpiresAt.AddDate(0, -months, 0), s.ExpiresAt, tx.Now)
			o.Amounts = append(o.Amounts, store.ObjectionAmount{ServiceID: s.ID, OrderID: s.OrderID, Fen: fen})
			o.TotalFen += fen
		}
		ok, err := tx.ObjectionInsert(ctx, o)
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Op(op), errs.Conflict, "announce.already_objected", "you objected already")
		}
		out = o
		return a.Audit(ctx, tx, AuditEntry{Action: "announce.assignment_objected", SubjectType: "assignment", SubjectID: r.ID,
			Data: map[string]any{"account": tenant, "total_fen": o.TotalFen, "amounts": o.Amounts, "clause": "9.3"}})
	})
	if err != nil {
		return ObjectionView{}, err
	}
	return ObjectionView{AccountID: out.AccountID, TotalFen: out.TotalFen, Amounts: out.Amounts, At: inShanghai(out.CreatedAt)}, nil
}
