package app

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/catalog"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/policy"
	"yuanxu/internal/refund"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
)

// Refunds (issue 15, clauses 3 and 6.2). A request is evaluated by the
// pure eligibility engine (internal/refund) on facts read at the request
// instant under the policy of the version the order was placed under;
// an ineligible request is refused with the rules and clauses that fail,
// and nothing moves. Otherwise the request waits for review with its
// deadline in working days stored at submission, the order's services
// are suspended (refund_pending) and a refund ticket carries the
// conversation. Approval (two different people above
// refund.dual_control_fen) refunds the order exactly once.

// Refund request states and kinds.
const (
	RefundUnderReview = "under_review"
	RefundApproved    = "approved"
	RefundRejected    = "rejected"
	RefundWithdrawn   = "withdrawn"
	RefundPaying      = "paying"
	RefundPaid        = "paid"
	RefundSwapPending = "swap_pending" // approved as a swap: the customer chooses the replacement
	RefundSwapped     = "swapped"

	RefundKindNoFault        = "no_fault"
	RefundKindDeliveryBreach = "delivery_breach"
	// RefundKindAssignment is the pro-rata refund of the unused term a
	// customer who objects to an assignment leaves with (clause 9.3): no
	// review (the objection is the customer's right), always to the
	// original route, for the amount on the request rather than all
	// that was captured (refundOrder allocates it over the payments).
	RefundKindAssignment = "assignment"
)

var refundOpen = []string{RefundUnderReview, RefundApproved, RefundPaying, RefundSwapPending}

// Error codes.
const (
	CodeRefundIneligible         = "refund.ineligible"
	CodeRefundDuplicate          = "refund.duplicate"
	CodeRefundDestination        = "refund.destination_not_offered"
	CodeRefundConfirmSuspension  = "refund.suspension_not_confirmed"
	CodeRefundBadState           = "refund.bad_state"
	CodeRefundReasonCodeRequired = "refund.reason_code_required"
)

// RefundInput is a customer's refund request.
type RefundInput struct {
	OrderID string `json:"order_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	Reason  string `json:"reason" maxLength:"500" example:"配置不符合需求 / the configuration does not fit"`
	// Statement is the customer's own statement of use (clause 3.1.c).
	Statement string `json:"statement" maxLength:"2000" example:"只登录过一次，未部署业务 / logged in once, nothing deployed"`
	// Destination is where the money goes, chosen among those the policy
	// offers (refund.destinations): original_route, balance (refund credit,
	// spendable, never withdrawable) or swap. None is pre-selected.
	Destination string `json:"destination" enum:"original_route,balance,swap" example:"original_route"`
	// ConfirmSuspension: the customer confirms that the order's services
	// are suspended while the request is reviewed.
	ConfirmSuspension bool `json:"confirm_suspension" example:"true"`
}

// RefundView is a refund request as its customer and staff see it.
type RefundView struct {
	ID                string          `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f90"`
	OrderID           string          `json:"order_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	AccountID         string          `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	Kind              string          `json:"kind" enum:"no_fault,delivery_breach,assignment" example:"no_fault"`
	State             string          `json:"state" enum:"under_review,approved,rejected,withdrawn,paying,paid,swap_pending,swapped" example:"under_review"`
	Destination       string          `json:"destination" example:"original_route"`
	Reason            string          `json:"reason" example:""`
	Statement         string          `json:"statement" example:""`
	AmountFen         int64           `json:"amount_fen" example:"3900"`
	Decision          refund.Decision `json:"decision"`
	Evidence          map[string]any  `json:"evidence"`
	ReviewDue         time.Time       `json:"review_due" example:"2026-06-24T00:00:00+08:00"`
	ReviewProvisional bool            `json:"review_due_provisional" example:"false"`
	FirstApprover     string          `json:"first_approver,omitempty" example:""`
	SecondApprover    string          `json:"second_approver,omitempty" example:""`
	DecidedBy         string          `json:"decided_by,omitempty" example:""`
	NeedsSecond       bool            `json:"needs_second_approval" example:"false"`
	RemindedAt        time.Time       `json:"reminded_at,omitzero" example:"2026-06-23T00:00:00+08:00"`
	EscalatedAt       time.Time       `json:"escalated_at,omitzero" example:"2026-06-25T00:00:00+08:00"`
	ReasonCode        string          `json:"reason_code,omitempty" example:""`
	DecisionText      string          `json:"decision_text,omitempty" example:""`
	TicketID          string          `json:"ticket_id,omitempty" example:""`
	CreatedAt         time.Time       `json:"created_at" example:"2026-06-19T23:40:00+08:00"`
	DecidedAt         time.Time       `json:"decided_at,omitzero" example:"2026-06-22T10:00:00+08:00"`
	PaidAt            time.Time       `json:"paid_at,omitzero" example:"2026-06-22T10:00:05+08:00"`
	PayoutHeld        string          `json:"payout_held,omitempty" example:"" doc:"While paying: why the payout to the original route waits, authority_hold (an authority order holds the account, clause 4.2) or ban (clauses 3.2.4, 4.3). The refund stays paying and is paid out when the hold ends."`
	PayoutHeldClause  string          `json:"payout_held_clause,omitempty" example:"" doc:"The clause that holds the payout."`
}

func (a *App) refundView(ctx context.Context, r store.RefundRow) RefundView {
	v := RefundView{ID: r.ID, OrderID: r.OrderID, AccountID: r.AccountID, Kind: r.Kind, State: r.State, Destination: r.Destination, Reason: r.Reason,
		Statement: r.Statement, AmountFen: r.AmountFen, ReviewDue: r.ReviewDue, ReviewProvisional: r.ReviewProvisional, FirstApprover: r.FirstApprover,
		SecondApprover: r.SecondApprover, DecidedBy: r.DecidedBy, RemindedAt: r.RemindedAt, EscalatedAt: r.EscalatedAt,
		ReasonCode: r.ReasonCode, DecisionText: r.DecisionText, TicketID: r.TicketID, CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt, PaidAt: r.PaidAt}
	_ = json.Unmarshal([]byte(r.Decision), &v.Decision)
	_ = json.Unmarshal([]byte(r.Evidence), &v.Evidence)
	if dual, err := a.dualControlFen(ctx, r.AccountID); err == nil {
		v.NeedsSecond = r.AmountFen > dual
	}
	if r.State == RefundPaying {
		v.PayoutHeld, v.PayoutHeldClause, _ = payoutHeld(ctx, a.db, r.ID)
	}
	return v
}

// refundContextFilter selects what a refund decision reads of an order
// and of its account (store.RefundContextOf).
func refundContextFilter(orderID, accountID string) store.RefundContextFilter {
	return store.RefundContextFilter{OrderID: orderID, AccountID: accountID, OpenRequestStates: refundOpen, CaseStates: openCaseStates,
		MeasureStates: []string{string(compliance.MeasureOverturned)}}
}

// refundFactsWith gives everything the eligibility engine needs about
// order o at now, and the evidence snapshot to keep with a request, from
// the order's refund context rc (store.RefundContextOf, or read with the
// order by store.OrderWithRefundContext).
func (a *App) refundFactsWith(ctx context.Context, q store.Querier, o store.OrderRow, rc store.RefundContext, now time.Time, followParent bool) (refund.Facts, *policy.Set, map[string]any, error) {
	seedOrderPolicy(ctx, o) // o names its version: no read of it when its document is parsed already
	set, tr, err := a.policy.For(ctx, o.ID)
	if err != nil {
		return refund.Facts{}, nil, nil, err
	}
	st, err := a.StandingOf(ctx, o.AccountID)
	if err != nil {
		return refund.Facts{}, nil, nil, err
	}
	cases := rc.Cases
	if cases == nil {
		cases = []string{}
	}
	f := refund.Facts{OrderState: o.State, Purpose: o.Purpose, OpenRequest: rc.OpenRequest, OrderedAt: o.CreatedAt, PaidAt: o.PaidAt,
		DeliveredAt: o.DeliveredAt, DeliverBy: o.DeliverBy, RequestedAt: now, Banned: st.Banned != nil, OpenCases: cases, PaidFen: o.PaidFen,
		Paused: overturnedBans(rc.Measures), BreachedAt: rc.BreachedAt} // BreachedAt: recorded by the deadline sweep (clause 2.2)
	if o.SwappedFrom != "" {
		// A swap's replacement keeps the refund anchor of the order it
		// replaced (A21): the window runs from that order's times.
		if orig, err := store.OrderGet(ctx, q, o.SwappedFrom); err == nil {
			f.OrderedAt, f.PaidAt, f.DeliveredAt = orig.CreatedAt, orig.PaidAt, orig.DeliveredAt
		}
	}
	usageKnown, billed, err := a.orderUsage(ctx, q, rc.Services, now)
	if err != nil {
		return refund.Facts{}, nil, nil, err
	}
	f.UsageKnown, f.BilledBytes = usageKnown, uint64(max(billed, 0))
	for _, l := range o.Lines {
		switch catalog.Kind(l.Kind) {
		case catalog.KindCloudServer, catalog.KindVPN, catalog.KindCDN:
			f.Metered = true
		}
		line := refund.Line{Idx: l.Idx, Class: catalog.Class(l.RefundClass), TotalFen: l.TotalFen, PackFollowsParent: followParent}
		if l.Kind == string(catalog.KindCertificate) {
			// The states recorded by the driver or by staff (clause 3.2.2);
			// an order delivered before they were recorded reads as issued.
			if line.CertState, err = certStateOfLine(ctx, q, o.ID, o.AccountID, l.Idx); err != nil {
				return refund.Facts{}, nil, nil, err
			}
			if line.CertState == "" && !o.DeliveredAt.IsZero() {
				line.CertState = refund.CertIssued
			}
		}
		f.Lines = append(f.Lines, line)
	}
	ev := map[string]any{"order": o.ID, "ordered_at": o.CreatedAt, "paid_at": o.PaidAt, "delivered_at": o.DeliveredAt, "deliver_by": o.DeliverBy,
		"breached_at": f.BreachedAt, "requested_at": now, "purpose": o.Purpose, "paid_fen": o.PaidFen, "agreement_version": tr.VersionID, "standing": st.Worst(),
		"open_cases": cases, "billed_bytes": f.BilledBytes, "usage_known": f.UsageKnown}
	classes := []string{}
	for _, l := range o.Lines {
		classes = append(classes, l.RefundClass)
	}
	ev["refund_classes"] = classes
	return f, set, ev, nil
}

// RefundPreview evaluates a refund of the order now without filing it
// (GET /orders/{id}/refund-eligibility): the same decision and trace a
// request would get.
func (a *App) RefundPreview(ctx context.Context, p account.Principal, orderID string) (refund.Decision, error) {
	o, rc, err := a.loadOrderForRefund(ctx, p, orderID, "refund.review")
	if err != nil {
		return refund.Decision{}, err
	}
	f, set, _, err := a.refundFactsWith(ctx, a.db, o, rc, a.Now(), false)
	if err != nil {
		return refund.Decision{}, err
	}
	return refund.Evaluate(f, set), nil
}

// loadOrderForRefund is loadOrder (customers need refund.request on the
// order, staff staffPerm) for a refund decision: the order and its refund
// context in one round trip (store.OrderWithRefundContext), then
// loadOrder's check of a customer's read.
func (a *App) loadOrderForRefund(ctx context.Context, p account.Principal, orderID string, staffPerm account.Permission) (store.OrderRow, store.RefundContext, error) {
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, staffPerm, account.Object{Type: "order"}); err != nil {
			return store.OrderRow{}, store.RefundContext{}, err
		}
	}
	o, rc, err := store.OrderWithRefundContext(ctx, a.db, refundContextFilter(orderID, ""))
	if store.IsNotFound(err) {
		return o, rc, errNotFound("order")
	}
	if err != nil {
		return o, rc, err
	}
	if err := a.authorizeOrderRead(ctx, p, o, "refund.request"); err != nil {
		return store.OrderRow{}, store.RefundContext{}, err
	}
	// The policy resolver asks for the order's version again: a safe
	// request has it from the row just read (request_memo.go).
	memoSeed(ctx, "order.version:"+o.ID, o.AgreementVersionID)
	return o, rc, nil
}

// RequestRefund files a refund request for an order of p's tenant
// (refund.request). An ineligible order is refused (refund.ineligible,
// 409) naming every failed rule and its clause, and nothing changes; a
// second open request of the order is refund.duplicate (409). The
// destination must be one the policy offers; the customer must confirm
// the suspension of the order's services during the review.
func (a *App) RequestRefund(ctx context.Context, p account.Principal, in RefundInput) (RefundView, error) {
	const op = "app.RequestRefund"
	o, rc, err := a.loadOrderForRefund(ctx, p, in.OrderID, "refund.request")
	if err != nil {
		if errs.CodeOf(err) == "order.not_found" {
			return RefundView{}, fieldErr(op, "order.not_found", errs.NotFound, "body.order_id", "unknown", "no such order", nil)
		}
		return RefundView{}, err
	}
	in.Reason, in.Statement = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Statement)
	var fes []errs.FieldError
	if in.Reason == "" || len([]rune(in.Reason)) > 500 {
		fes = append(fes, errs.FieldError{Field: "body.reason", Rule: "required"})
	}
	if len([]rune(in.Statement)) > 2000 {
		fes = append(fes, errs.FieldError{Field: "body.statement", Rule: "max_length", Params: map[string]any{"max": 2000}})
	}
	if len(fes) > 0 {
		return RefundView{}, errs.E(errs.Op(op), errs.Invalid, "refund.invalid", "the refund request is not valid", fes)
	}
	if !in.ConfirmSuspension {
		return RefundView{}, fieldErr(op, CodeRefundConfirmSuspension, errs.Invalid, "body.confirm_suspension", "required",
			"confirm that the order's services are suspended while the request is reviewed", nil)
	}
	now := a.Now()
	f, set, ev, err := a.refundFactsWith(ctx, a.db, o, rc, now, false)
	if err != nil {
		return RefundView{}, err
	}
	if !slices.Contains(set.Strings(policy.RefundDestinations), in.Destination) {
		return RefundView{}, fieldErr(op, CodeRefundDestination, errs.Invalid, "body.destination", "enum", "choose a destination the agreement offers",
			map[string]any{"offered": set.Strings(policy.RefundDestinations), "clause": "3.1"})
	}
	d := refund.Evaluate(f, set)
	if d.Outcome == refund.Ineligible {
		var failed, clauses []string
		for _, s := range d.Trace {
			if s.Outcome == refund.Fail {
				failed, clauses = append(failed, s.Rule), append(clauses, string(s.Clause))
			}
		}
		if f.OpenRequest {
			return RefundView{}, errs.E(errs.Op(op), errs.Conflict, CodeRefundDuplicate, "a refund request of this order is already open")
		}
		return RefundView{}, errs.E(errs.Op(op), errs.Conflict, CodeRefundIneligible, "this order is not eligible for a refund: "+strings.Join(failed, ", "),
			map[string]any{"rules": failed, "clauses": clauses, "trace": d.Trace})
	}
	cal, err := a.CalendarDeadline(ctx, now, set.Int(policy.RefundReviewWorkingDays))
	if err != nil {
		return RefundView{}, err
	}
	kind := RefundKindNoFault
	if d.Breach {
		kind = RefundKindDeliveryBreach
	}
	dec, _ := json.Marshal(d)
	evj, _ := json.Marshal(ev)
	row := store.RefundRow{OrderID: o.ID, AccountID: o.AccountID, RequestedBy: p.AccountID, Kind: kind, State: RefundUnderReview,
		Destination: in.Destination, Reason: in.Reason, Statement: in.Statement, Evidence: string(evj), Decision: string(dec), AmountFen: d.AmountFen,
		ReviewDue: cal.At, ReviewProvisional: cal.Provisional}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		row.ID, row.CreatedAt, row.UpdatedAt = id.NewAt(tx.Now), tx.Now, tx.Now
		if err := tx.RefundInsert(ctx, row); err != nil {
			if errs.Is(errs.Conflict, err) {
				return errs.E(errs.Op(op), errs.Conflict, CodeRefundDuplicate, "a refund request of this order is already open")
			}
			return err
		}
		if err := a.suspendOrderServices(ctx, tx, o.ID, service.ReasonRefundPending, "refund request "+row.ID); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "refund.requested", SubjectType: "refund", SubjectID: row.ID, Data: map[string]any{
			"order": o.ID, "kind": kind, "destination": in.Destination, "outcome": string(d.Outcome), "amount_fen": d.AmountFen,
			"review_due": cal.At, "provisional": cal.Provisional}})
	})
	if err != nil {
		return RefundView{}, err
	}
	// The conversation runs in a refund ticket linked to the request.
	if tk, err := a.TicketCreate(ctx, p, TicketInput{Subject: "退款申请 / refund request " + o.ID[len(o.ID)-8:], Category: "refund",
		Body: in.Reason + "\n\n" + in.Statement, LinkType: "refund", LinkID: row.ID}); err == nil {
		_ = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			cur, err := store.RefundGet(ctx, tx, row.ID)
			if err != nil {
				return err
			}
			next := cur
			next.TicketID = tk.ID
			_, err = tx.RefundUpdate(ctx, next, cur.State, cur.UpdatedAt)
			return err
		})
	} else {
		a.log.WarnContext(ctx, "refund: opening its ticket", "refund", row.ID, "err", err)
	}
	r, err := store.RefundGet(ctx, a.db, row.ID)
	if err != nil {
		return RefundView{}, err
	}
	return a.refundView(ctx, r), nil
}

// suspendOrderServices suspends the live services an order delivered.
func (a *App) suspendOrderServices(ctx context.Context, tx *store.Tx, orderID string, reason service.Reason, note string) error {
	svcs, err := store.Services(ctx, tx, store.ServiceFilter{OrderID: orderID, States: liveStates})
	if err != nil {
		return err
	}
	for _, s := range svcs {
		if err := a.SuspendService(ctx, tx, s.ID, reason, note); err != nil {
			return err
		}
	}
	return nil
}

// restoreOrderServices lifts reason from an order's services and extends
// each by how long it was suspended (a rejected or withdrawn request).
func (a *App) restoreOrderServices(ctx context.Context, tx *store.Tx, orderID string, reason service.Reason, ext service.ExtensionReason, note string) error {
	svcs, err := store.Services(ctx, tx, store.ServiceFilter{OrderID: orderID, States: liveStates})
	if err != nil {
		return err
	}
	for _, s := range svcs {
		held, err := a.ResumeService(ctx, tx, s.ID, reason, note)
		if err != nil {
			return err
		}
		if held > 0 {
			if err := a.ExtendService(ctx, tx, s.ID, max(held, time.Millisecond), ext, note); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *App) loadRefund(ctx context.Context, q store.Querier, p account.Principal, refundID string, custPerm, staffPerm account.Permission) (store.RefundRow, error) {
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, staffPerm, account.Object{Type: "refund"}); err != nil {
			return store.RefundRow{}, err
		}
	}
	r, err := store.RefundGet(ctx, q, refundID)
	if store.IsNotFound(err) {
		return r, errNotFound("refund")
	}
	if err != nil {
		return r, err
	}
	if p.Kind != account.KindStaff {
		obj, err := a.customerObject(ctx, "refund", r.AccountID)
		if err != nil {
			return r, err
		}
		if err := a.Authorize(ctx, p, custPerm, obj); err != nil {
			return r, err
		}
	}
	return r, nil
}

// Refund reads one request (refund.read; staff refund.review).
func (a *App) Refund(ctx context.Context, p account.Principal, refundID string) (RefundView, error) {
	r, err := a.loadRefund(ctx, a.db, p, refundID, "refund.read", "refund.review")
	if err != nil {
		return RefundView{}, err
	}
	return a.refundView(ctx, r), nil
}

// Refunds lists requests: a customer its own (refund.read), staff the
// review queue or any state, by deadline (refund.review).
func (a *App) Refunds(ctx context.Context, p account.Principal, states []string) ([]RefundView, error) {
	f := store.RefundFilter{States: states, Limit: 200}
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, "refund.review", account.Object{Type: "refund"}); err != nil {
			return nil, err
		}
		f.ByDeadline = true
	} else {
		f.AccountID = p.TenantID()
		if err := a.authorizeCustomerObject(ctx, p, "refund.read", "", "refund", f.AccountID); err != nil {
			return nil, err
		}
	}
	rows, err := store.Refunds(ctx, a.db, f)
	if err != nil {
		return nil, err
	}
	out := make([]RefundView, 0, len(rows))
	for _, r := range rows {
		out = append(out, a.refundView(ctx, r))
	}
	return out, nil
}

// WithdrawRefund lets the customer take back a request under review: its
// services run again, extended by the suspension.
func (a *App) WithdrawRefund(ctx context.Context, p account.Principal, refundID string) (RefundView, error) {
	if _, err := a.loadRefund(ctx, a.db, p, refundID, "refund.request", "refund.decide"); err != nil {
		return RefundView{}, err
	}
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.RefundGet(ctx, tx, refundID)
		if err != nil {
			return err
		}
		if r.State != RefundUnderReview {
			return errs.E(errs.Op("app.WithdrawRefund"), errs.Conflict, CodeRefundBadState, "only a request under review can be withdrawn",
				map[string]any{"state": r.State})
		}
		next := r
		next.State, next.UpdatedAt, next.DecidedAt, next.DecidedBy = RefundWithdrawn, tx.Now, tx.Now, p.AccountID
		if ok, err := tx.RefundUpdate(ctx, next, r.State, r.UpdatedAt); err != nil || !ok {
			return conflictOr(err)
		}
		if err := a.restoreOrderServices(ctx, tx, r.OrderID, service.ReasonRefundPending, service.ExtendRefundRejected, "refund withdrawn"); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "refund.withdrawn", SubjectType: "refund", SubjectID: r.ID, Data: map[string]any{"order": r.OrderID}})
	})
	if err != nil {
		return RefundView{}, err
	}
	return a.Refund(ctx, p, refundID)
}

func refundSummary(d refund.Decision) string {
	var b strings.Builder
	for _, s := range d.Trace {
		fmt.Fprintf(&b, "%s:%s ", s.Rule, s.Outcome)
	}
	return strings.TrimSpace(b.String())
}

// orderUsage is the billed customer traffic of an order's metered
// services svcs (store.RefundContext.Services) from their start to now
// (the request instant: later samples are ignored, a straddling interval
// counts pro rata), and whether it is known: every metered service must
// be on a node that reports.
func (a *App) orderUsage(ctx context.Context, q store.Querier, svcs []store.OrderServiceMeter, now time.Time) (bool, int64, error) {
	known, total := true, int64(0)
	metered := 0
	for _, s := range svcs {
		switch catalog.Kind(s.Kind) {
		case catalog.KindCloudServer, catalog.KindVPN, catalog.KindCDN:
		default:
			continue
		}
		metered++
		if s.NodeID == "" {
			known = false
			continue
		}
		n, err := a.UsageBetween(ctx, q, s.ID, s.StartsAt, now)
		if err != nil {
			return false, 0, err
		}
		total += n
	}
	return known && metered > 0, total, nil
}

// RefundQueueCount counts the requests under review (the console home's
// refunds card).
func (a *App) RefundQueueCount(ctx context.Context) (int, error) {
	var n int
	err := a.db.QueryRow(ctx, `SELECT COUNT(*) FROM refund_request WHERE state = $1`, RefundUnderReview).Scan(&n)
	return n, err
}
