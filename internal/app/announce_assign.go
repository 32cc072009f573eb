package app

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/announce"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/order"
	"yuanxu/internal/policy"
	"yuanxu/internal/refund"
	"yuanxu/internal/store"
)

// Assignment (clause 9.3). Staff record an assignment of the agreement to
// another company at least assignment.notice_days ahead; every active
// customer is told (assignment.notice, email, SMS and inbox). A customer
// who objects before the effective instant leaves at once with the unused
// part of each live service's term refunded pro rata (announce.ProRata) to
// the original route: one refund request of kind "assignment" per order,
// paid through the refund machinery's one payout path (refundOrder: the
// balance part back to the sub-balances it came from, the gateway part by
// a gateway refund), and the services end.

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

// ObjectionView is one customer's objection, its pro-rata amounts and the
// refunds that pay them.
type ObjectionView struct {
	AccountID string                  `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	TotalFen  int64                   `json:"total_fen" example:"2600"`
	Amounts   []store.ObjectionAmount `json:"amounts"`
	Refunds   []ObjectionRefund       `json:"refunds"`
	At        time.Time               `json:"at" example:"2026-12-01T09:00:00+08:00"`
}

// ObjectionRefund is the state of one order's assignment refund.
type ObjectionRefund struct {
	ID        string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f90"`
	OrderID   string    `json:"order_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	AmountFen int64     `json:"amount_fen" example:"2600"`
	State     string    `json:"state" enum:"paying,paid" example:"paid" doc:"paying: a gateway refund is on its way to the original route."`
	PaidAt    time.Time `json:"paid_at,omitzero" example:"2026-12-01T09:00:05+08:00"`
}

// objectionView reads the state of the refunds an objection created.
func objectionView(ctx context.Context, q store.Querier, o store.ObjectionRow) (ObjectionView, error) {
	v := ObjectionView{AccountID: o.AccountID, TotalFen: o.TotalFen, Amounts: o.Amounts, Refunds: []ObjectionRefund{}, At: inShanghai(o.CreatedAt)}
	if v.Amounts == nil {
		v.Amounts = []store.ObjectionAmount{}
	}
	seen := map[string]bool{}
	for _, am := range v.Amounts {
		if am.RefundID == "" || seen[am.RefundID] {
			continue
		}
		seen[am.RefundID] = true
		r, err := store.RefundGet(ctx, q, am.RefundID)
		if err != nil {
			return v, err
		}
		v.Refunds = append(v.Refunds, ObjectionRefund{ID: r.ID, OrderID: r.OrderID, AmountFen: r.AmountFen, State: r.State, PaidAt: inShanghai(r.PaidAt)})
	}
	return v, nil
}

func assignmentView(ctx context.Context, q store.Querier, r store.AssignNoticeRow, os []store.ObjectionRow) (AssignmentView, error) {
	v := AssignmentView{ID: r.ID, Assignee: r.Assignee, EffectiveAt: inShanghai(r.EffectiveAt), NoticeDays: r.NoticeDays, Notified: r.Notified,
		Objections: []ObjectionView{}}
	for _, o := range os {
		ov, err := objectionView(ctx, q, o)
		if err != nil {
			return v, err
		}
		v.Objections = append(v.Objections, ov)
	}
	return v, nil
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
	return assignmentView(ctx, a.db, out, nil)
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
		v, err := assignmentView(ctx, a.db, r, os)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
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
// twice) and lets the customer leave: per live service with a term left,
// the pro-rata refund of the unused term — the price of the term (the
// unit price of the order line that created the service, scaled down by
// the order's discount) × time left ÷ term, rounded up for the customer —
// is paid to the original route by one
// refund of kind assignment per order (refundOrder), and the order's
// services end, all in one transaction. An order with a refund request
// still open is refund.duplicate (409): withdraw it first. The gateway
// refunds leave by the refund sweep (kicked at once), which pays each
// exactly once.
func (a *App) ObjectToAssignment(ctx context.Context, p account.Principal, assignmentID string) (ObjectionView, error) {
	const op = "app.ObjectToAssignment"
	tenant := p.TenantID()
	if err := a.authorizeCustomerObject(ctx, p, "refund.request", "", "assignment", tenant); err != nil {
		return ObjectionView{}, err
	}
	var out ObjectionView
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
		orders := map[string]store.OrderRow{}
		for _, s := range svcs {
			months := cycleMonths(s.Cycle)
			if months == 0 || s.ExpiresAt.IsZero() || !s.ExpiresAt.After(tx.Now) {
				continue
			}
			ord, ok := orders[s.OrderID]
			if !ok {
				if ord, err = store.OrderGet(ctx, tx, s.OrderID); err != nil {
					return err
				}
				orders[s.OrderID] = ord
			}
			var price int64
			for _, l := range ord.Lines {
				if l.Idx == s.LineIdx {
					price = l.UnitPriceFen
				}
			}
			if ord.SubtotalFen > 0 && ord.PaidFen < ord.SubtotalFen {
				// A coupon's discount: the term cost what was paid (A17),
				// so the refunds of an order never exceed its capture.
				price = price * ord.PaidFen / ord.SubtotalFen
			}
			fen := announce.ProRata(price, s.ExpiresAt.AddDate(0, -months, 0), s.ExpiresAt, tx.Now)
			o.Amounts = append(o.Amounts, store.ObjectionAmount{ServiceID: s.ID, OrderID: s.OrderID, Fen: fen})
			o.TotalFen += fen
		}
		// One refund per order; the objection row goes first so that a
		// second objection, however concurrent, stops at its key.
		refundIDs := map[string]string{}
		for i, am := range o.Amounts {
			if refundIDs[am.OrderID] == "" {
				refundIDs[am.OrderID] = id.NewAt(tx.Now)
			}
			o.Amounts[i].RefundID = refundIDs[am.OrderID]
		}
		ok, err := tx.ObjectionInsert(ctx, o)
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Op(op), errs.Conflict, "announce.already_objected", "you objected already")
		}
		if err := a.payAssignmentRefunds(ctx, tx, p, r.ID, o.Amounts); err != nil {
			return err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "announce.assignment_objected", SubjectType: "assignment", SubjectID: r.ID,
			Data: map[string]any{"account": tenant, "total_fen": o.TotalFen, "amounts": o.Amounts, "clause": "9.3"}}); err != nil {
			return err
		}
		out, err = objectionView(ctx, tx, o)
		return err
	})
	if err != nil {
		return ObjectionView{}, err
	}
	if _, err := a.gatewayRefundSweep(ctx, a.Now()); err != nil {
		a.log.WarnContext(ctx, "assignment: sending refunds", "err", err)
	}
	return out, nil
}

// payAssignmentRefunds files, per refund id of amounts (one per order),
// a refund request of kind assignment for the order's total, approved at
// once (the objection is the customer's right under 9.3; no review), and
// pays it through refundOrder.
func (a *App) payAssignmentRefunds(ctx context.Context, tx *store.Tx, p account.Principal, assignmentID string, amounts []store.ObjectionAmount) error {
	const op = "app.ObjectToAssignment"
	var refundIDs []string
	totals, orderOf := map[string]int64{}, map[string]string{}
	for _, am := range amounts {
		if _, ok := totals[am.RefundID]; !ok {
			refundIDs = append(refundIDs, am.RefundID)
		}
		totals[am.RefundID] += am.Fen
		orderOf[am.RefundID] = am.OrderID
	}
	for _, rid := range refundIDs {
		fen, oid := totals[rid], orderOf[rid]
		d := refund.Decision{Outcome: refund.Eligible, AmountFen: fen, Trace: []refund.Step{{Rule: "assignment_objection", Clause: "9.3",
			Outcome: refund.Pass, Inputs: map[string]string{"assignment": assignmentID},
			ZH: "客户反对转让，未使用期限按比例退回原支付渠道。", EN: "The customer objected to the assignment: the unused term is refunded pro rata to the original route."}}}
		dec, _ := json.Marshal(d)
		ev, _ := json.Marshal(map[string]any{"assignment": assignmentID, "order": oid, "amount_fen": fen, "at": tx.Now, "clause": "9.3"})
		row := store.RefundRow{ID: rid, OrderID: oid, AccountID: p.TenantID(), RequestedBy: p.AccountID, Kind: RefundKindAssignment,
			State: RefundApproved, Destination: policy.DestinationOriginalRoute, Reason: "assignment " + assignmentID, Evidence: string(ev),
			Decision: string(dec), AmountFen: fen, ReviewDue: tx.Now, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if err := tx.RefundInsert(ctx, row); err != nil {
			if errs.Is(errs.Conflict, err) {
				return errs.E(errs.Op(op), errs.Conflict, CodeRefundDuplicate, "a refund request of this order is open: withdraw it first",
					map[string]any{"order": oid})
			}
			return err
		}
		next := row
		next.FirstApprover, next.DecidedBy, next.DecisionText = "system", "system", "objection to assignment "+assignmentID+" (9.3)"
		if err := a.refundOrder(ctx, tx, row, next, order.StateRefunded); err != nil {
			return err
		}
	}
	return nil
}
