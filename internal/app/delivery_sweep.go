package app

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/compliance"
	"yuanxu/internal/delivery"
	"yuanxu/internal/errs"
	"yuanxu/internal/notify"
	"yuanxu/internal/order"
	"yuanxu/internal/store"
	"yuanxu/internal/ticket"
)

// registerDeliverySweeps adds the delivery sweeps: the deadline breach
// (clause 2.2) and the acceptance after the inspection window (clause
// 2.3).
func (a *App) registerDeliverySweeps() {
	a.RegisterSweep("delivery.deadline", a.deliveryDeadlineSweep)
	a.RegisterSweep("delivery.accept", a.deliveryAcceptSweep)
	a.RegisterSweep("delivery.address_history_purge", a.addressHistoryPurgeSweep)                  // delivery_release.go
	a.RegisterSweep("cdn.ownership_check", func(ctx context.Context, _ time.Time) (int64, error) { // netdrv_cdn.go
		n, err := a.CDNCheckSweep(ctx, 10)
		return int64(n), err
	})
	a.RegisterSweep("cdn.certificates", a.CDNCertSweep)              // netdrv_cdn_tls.go
	a.RegisterSweep("acme.renew", a.ACMERenewSweep)                  // acme_renew.go
	a.RegisterSweep("acme.txt_renewal_notice", a.ACMETXTNoticeSweep) // acme_txt_notice.go
}

// deliveryDeadlineSweep records the breach of every paid, provisioning or
// failed order whose delivery deadline (deliver_by, exclusive: breached
// at exactly deliver_by, delivery.Breached) passed undelivered: once per
// order, with the instant it was found, an audit event operations see on
// the console home, and a notice telling the customer of the right to a
// full refund whatever the class (clause 2.2).
func (a *App) deliveryDeadlineSweep(ctx context.Context, now time.Time) (int64, error) {
	ids, err := store.OrdersPastDeadline(ctx, a.db, now, 200)
	if err != nil {
		return 0, err
	}
	ctx = WithActor(ctx, Actor{ID: "system"})
	var n int64
	for _, oid := range ids {
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			r, err := store.OrderGet(ctx, tx, oid)
			if err != nil {
				return err
			}
			o := domainOrder(r)
			if !delivery.Breached(o.DeliverBy, o.DeliveredAt, tx.Now) || !o.DeliveryBreached(tx.Now) {
				return nil
			}
			ok, err := tx.BreachInsert(ctx, store.BreachRow{OrderID: r.ID, AccountID: r.AccountID, DeliverBy: r.DeliverBy, BreachedAt: tx.Now})
			if err != nil || !ok {
				return err
			}
			n++
			if err := a.Audit(ctx, tx, AuditEntry{Action: "order.delivery_breached", SubjectType: "order", SubjectID: r.ID, Data: map[string]any{
				"deliver_by": r.DeliverBy, "breached_at": tx.Now, "state": r.State, "clause": string(order.DeliveryClause), "alert": "operations"}}); err != nil {
				return err
			}
			return a.notifyDelivery(ctx, tx, r.AccountID, notify.EventDeliveryBreached, r.ID, map[string]string{"order_id": r.ID,
				"deliver_by": cstString(r.DeliverBy)})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// deliveryAcceptSweep records as accepted every delivery whose inspection
// window (the order's policy inspection.window, its end included) has
// ended: the acceptance instant is the window's end, recorded on the
// delivery when it was delivered (AcceptDue), so the sweep reads only the
// deliveries due, earliest first, and none still inside its window
// (ADR 20). Defect tickets stay possible.
func (a *App) deliveryAcceptSweep(ctx context.Context, now time.Time) (int64, error) {
	if err := a.acceptDueBackfill(ctx); err != nil {
		return 0, err
	}
	recs, err := store.Provisions(ctx, a.db, store.ProvisionFilter{AcceptDueBefore: now, Limit: 500})
	if err != nil {
		return 0, err
	}
	ctx = WithActor(ctx, Actor{ID: "system"})
	var n int64
	for _, rec := range recs {
		err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			cur, err := store.ProvisionGet(ctx, tx, rec.ServiceID)
			if err != nil || cur.State != ProvDelivered || !cur.AcceptedAt.IsZero() || cur.AcceptDue.IsZero() || !cur.AcceptDue.Before(now) {
				return err
			}
			next := cur
			next.AcceptedAt, next.UpdatedAt = cur.AcceptDue, store.LaterMs(cur.UpdatedAt, tx.Now)
			if ok, err := tx.ProvisionSwap(ctx, next, cur); err != nil || !ok { // not over a problem report's ticket (ADR 17)
				return deliveryChanged(err)
			}
			n++
			return a.Audit(ctx, tx, AuditEntry{Action: "service.delivery_accepted", SubjectType: "service", SubjectID: cur.ServiceID,
				Data: map[string]any{"delivered_at": cur.DeliveredAt, "accepted_at": next.AcceptedAt,
					"window": cur.AcceptDue.Sub(cur.DeliveredAt).String(), "clause": "2.3"}})
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// acceptDueBackfill records the window end of up to 500 unaccepted
// deliveries made before migration 00026, from their order's policy
// (which the migration could not read). Once none is left it costs one
// indexed read that finds nothing.
func (a *App) acceptDueBackfill(ctx context.Context) error {
	recs, err := store.Provisions(ctx, a.db, store.ProvisionFilter{AcceptDueUnknown: true, Limit: 500})
	if err != nil || len(recs) == 0 {
		return err
	}
	due := make([]time.Time, len(recs))
	for i, rec := range recs {
		set, _, err := a.policy.For(ctx, rec.OrderID)
		if err != nil {
			return err
		}
		due[i] = rec.DeliveredAt.Add(set.Duration("inspection.window"))
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		for i, rec := range recs {
			if _, err := tx.ProvisionSetAcceptDue(ctx, rec.ServiceID, rec.DeliveredAt, due[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeliveryProblem is a customer's report of a delivery problem inside the
// inspection window.
type DeliveryProblem struct {
	Problem string `json:"problem" enum:"wrong_specification,missing_function,not_reachable,other" example:"wrong_specification"`
	Detail  string `json:"detail" minLength:"1" maxLength:"4000" example:"The server has 2 GiB of memory, the plan says 4 GiB."`
}

// ReportDeliveryProblem opens a delivery_issue ticket linked to a service
// of p's tenant (ticket.create) while its inspection window is open
// (clause 2.3: policy inspection.window from delivered_at, its end
// included); afterwards it is delivery.inspection_closed (409) and the
// customer opens an ordinary ticket for a defect, which stays possible.
func (a *App) ReportDeliveryProblem(ctx context.Context, p account.Principal, serviceID string, in DeliveryProblem) (TicketView, error) {
	const op = "app.ReportDeliveryProblem"
	svc, err := a.loadService(ctx, a.db, p, serviceID, "ticket.create", "ticket.create")
	if err != nil {
		return TicketView{}, err
	}
	if p.Kind == account.KindStaff {
		return TicketView{}, errNotFound("service")
	}
	switch in.Problem {
	case "wrong_specification", "missing_function", "not_reachable", "other":
	default:
		return TicketView{}, fieldErr(op, CodeDeliveryInvalid, errs.Invalid, "body.problem", "enum",
			"wrong_specification, missing_function, not_reachable or other", nil)
	}
	in.Detail = strings.TrimSpace(in.Detail)
	if in.Detail == "" {
		return TicketView{}, fieldErr(op, CodeDeliveryInvalid, errs.Invalid, "body.detail", "required", "describe the problem", nil)
	}
	rec, err := store.ProvisionGet(ctx, a.db, serviceID)
	if err != nil && !store.IsNotFound(err) {
		return TicketView{}, err
	}
	now := a.Now()
	if rec.DeliveredAt.IsZero() {
		return TicketView{}, errs.E(errs.Op(op), errs.Conflict, CodeInspectionClosed, "the service is not delivered yet: there is nothing to inspect",
			map[string]any{"clause": "2.3"})
	}
	set, _, err := a.policy.For(ctx, rec.OrderID)
	if err != nil {
		return TicketView{}, err
	}
	w := set.Duration("inspection.window")
	if !delivery.InspectionOpen(rec.DeliveredAt, w, now) {
		return TicketView{}, errs.E(errs.Op(op), errs.Conflict, CodeInspectionClosed,
			"the inspection window has closed; a defect can still be reported in an ordinary ticket",
			map[string]any{"clause": "2.3", "inspection_until": rec.DeliveredAt.Add(w)})
	}
	t, err := a.TicketCreate(ctx, p, TicketInput{Subject: "交付问题 / delivery problem: " + svc.Name, Category: string(ticket.CategoryDeliveryIssue),
		Priority: "high", Body: "[" + in.Problem + "] " + in.Detail, LinkType: string(ticket.LinkService), LinkID: serviceID})
	if err != nil {
		return TicketView{}, err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		cur, err := store.ProvisionGet(ctx, tx, serviceID)
		if err != nil {
			return err
		}
		if cur.IssueTicketID == "" {
			next := cur
			next.IssueTicketID, next.UpdatedAt = t.ID, store.LaterMs(cur.UpdatedAt, tx.Now)
			if ok, err := tx.ProvisionSwap(ctx, next, cur); err != nil || !ok { // not over the acceptance sweep's write (ADR 17)
				return deliveryChanged(err)
			}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "service.delivery_problem", SubjectType: "service", SubjectID: serviceID,
			Data: map[string]any{"ticket": t.ID, "problem": in.Problem, "delivered_at": rec.DeliveredAt, "clause": "2.3"}})
	})
	return t, err
}

// BreachView is one order past its delivery deadline (console home).
type BreachView struct {
	OrderID    string    `json:"order_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	AccountID  string    `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	DeliverBy  time.Time `json:"deliver_by" example:"2026-06-01T09:10:00+08:00"`
	BreachedAt time.Time `json:"breached_at" example:"2026-06-01T09:10:30+08:00"`
}

// DeliveryBreaches lists orders whose breach is recorded and that are
// still not delivered, most recent first (provisioning.manage).
func (a *App) DeliveryBreaches(ctx context.Context, p account.Principal) ([]BreachView, error) {
	if err := a.Authorize(ctx, p, "provisioning.manage", account.Object{Type: "order"}); err != nil {
		return nil, err
	}
	rows, err := store.Breaches(ctx, a.db, 100)
	if err != nil {
		return nil, err
	}
	out := []BreachView{}
	for _, r := range rows {
		out = append(out, BreachView{OrderID: r.OrderID, AccountID: r.AccountID, DeliverBy: r.DeliverBy, BreachedAt: r.BreachedAt})
	}
	return out, nil
}

// AddressHolder answers who held in.Address at in.At (staff with
// account.read_any; Cybersecurity Law art. 21, kept for
// retention.network_logs_days): ok=false when nobody did. A zero At asks
// about now. It reads personal information (who used an address when), so
// it follows LookupAddress: a purpose from compliance.LookupPurposes is
// required (compliance.lookup_invalid, 422, naming query.purpose) and
// every lookup, answered or not, is audited compliance.address_lookup
// with the instant, purpose, reference and the ids found (addressLookupAudit).
// An address that parses as IP is looked up in its canonical form; anything
// else (a WireGuard peer key) as given.
func (a *App) AddressHolder(ctx context.Context, p account.Principal, in LookupInput) (delivery.Assignment, bool, error) {
	const op = "app.AddressHolder"
	if err := a.Authorize(ctx, p, "account.read_any", account.Object{Type: "service"}); err != nil {
		return delivery.Assignment{}, false, err
	}
	if !slices.Contains(compliance.LookupPurposes, in.Purpose) {
		return delivery.Assignment{}, false, errs.E(errs.Op(op), errs.Invalid, compliance.CodeLookupInvalid, "say why you look the address up",
			[]errs.FieldError{{Field: "query.purpose", Rule: "enum", Params: map[string]any{"values": strings.Join(compliance.LookupPurposes, ", ")}}})
	}
	in.Address = strings.TrimSpace(in.Address)
	if addr, err := netip.ParseAddr(in.Address); err == nil {
		in.Address = addr.WithZone("").Unmap().String()
	}
	if in.At.IsZero() {
		in.At = a.Now()
	}
	rows, err := store.Assignments(ctx, a.db, in.Address, "")
	if err != nil {
		return delivery.Assignment{}, false, err
	}
	as := make([]delivery.Assignment, 0, len(rows))
	for _, r := range rows {
		as = append(as, delivery.Assignment{Address: r.Address, ServiceID: r.ServiceID, AccountID: r.AccountID, From: r.From, Until: r.Until})
	}
	h, ok := delivery.HolderAt(as, in.Address, in.At)
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.Audit(ctx, tx, addressLookupAudit(in, h, ok))
	})
	if err != nil {
		return delivery.Assignment{}, false, err
	}
	return h, ok, nil
}

// DeliveryCounts counts the services waiting for delivery and the orders
// whose recorded breach still stands (the console home's cards; the
// console checks the staff session).
func (a *App) DeliveryCounts(ctx context.Context) (waiting, breached int, err error) {
	recs, err := store.Provisions(ctx, a.db, store.ProvisionFilter{States: []string{ProvQueued, ProvPending, ProvFailed}, OpenOrders: true, Limit: 10000})
	if err != nil {
		return 0, 0, err
	}
	bs, err := store.Breaches(ctx, a.db, 10000)
	return len(recs), len(bs), err
}

// OrderBreach returns the recorded breach of the delivery deadline of an
// order of p's tenant (order.read; staff account.read_any): ok=false when
// none is recorded. A recorded breach gives the right to a full refund
// whatever the class (clause 2.2), exercised through the refund process.
func (a *App) OrderBreach(ctx context.Context, p account.Principal, orderID string) (BreachView, bool, error) {
	if _, err := a.loadOrder(ctx, a.db, p, orderID, "order.read", "account.read_any"); err != nil {
		return BreachView{}, false, err
	}
	b, err := store.BreachGet(ctx, a.db, orderID)
	if store.IsNotFound(err) {
		return BreachView{}, false, nil
	}
	if err != nil {
		return BreachView{}, false, err
	}
	return BreachView{OrderID: b.OrderID, AccountID: b.AccountID, DeliverBy: b.DeliverBy, BreachedAt: b.BreachedAt}, true, nil
}
