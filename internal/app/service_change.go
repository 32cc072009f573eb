package app

import (
	"context"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/money"
	"yuanxu/internal/notify"
	"yuanxu/internal/order"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// Order purposes (issue 12): a renewal or an upgrade is not a new purchase
// (refund.applies_to), and takes no stock.
const (
	PurposeNew     = "new"
	PurposeRenewal = "renewal"
	PurposeUpgrade = "upgrade"
)

// Error codes of renewals and plan changes.
const (
	CodeServiceNotRenewable = "service.not_renewable"
	CodePlanChangeInvalid   = "service.plan_change_invalid"
)

// RenewRequest renews a service for one or more cycles.
type RenewRequest struct {
	Cycles    int64        `json:"cycles" minimum:"1" maximum:"36" example:"1"`
	Agreement AgreementAck `json:"agreement"`
}

// RenewService places a renewal order for a service of p's tenant
// (order.renew): the current catalog price of its plan for its cycle ×
// cycles, paid like any order (PayOrder). On payment the term grows from
// its end, or from the payment instant if it had expired; an overdue
// suspension ends. A terminated service, a one-off service (certificates,
// packs: buy a new one) or a plan no longer sold is refused.
func (a *App) RenewService(ctx context.Context, p account.Principal, serviceID string, in RenewRequest) (OrderView, error) {
	const op = "app.RenewService"
	r, err := a.loadService(ctx, a.db, p, serviceID, "order.renew", "order.renew")
	if err != nil {
		return OrderView{}, err
	}
	if in.Cycles < 1 || in.Cycles > 36 {
		return OrderView{}, fieldErr(op, CodeServiceNotRenewable, errs.Invalid, "body.cycles", "range", "1 to 36 cycles", map[string]any{"min": 1, "max": 36})
	}
	if r.State == string(service.StateTerminated) || r.State == string(service.StatePending) || r.Cycle == string(catalog.CycleOneOff) {
		return OrderView{}, errs.E(errs.Op(op), errs.Conflict, CodeServiceNotRenewable, "this service cannot be renewed",
			map[string]any{"state": r.State, "cycle": r.Cycle})
	}
	req := CheckoutRequest{Lines: []LineRequest{{ProductID: r.ProductID, PlanID: r.PlanID, Cycle: r.Cycle, Quantity: in.Cycles}}, Agreement: in.Agreement}
	return a.checkout(ctx, p, r.AccountID, req, Idem{}, checkoutOpts{purpose: PurposeRenewal, serviceID: r.ID})
}

// applyRenewal extends the service of a paid renewal order (in its
// transaction) and completes the order: a renewal delivers its term.
func (a *App) applyRenewal(ctx context.Context, tx *store.Tx, r store.OrderRow, o *order.Order) error {
	cycles := 0
	if len(r.Lines) == 1 {
		cycles = int(r.Lines[0].Quantity)
	}
	svc, err := a.mutateService(ctx, tx, r.ServiceID, func(sr *store.ServiceRow, s *service.Service) error {
		end := service.RenewalEnd(s.ExpiresAt, tx.Now, catalog.Cycle(sr.Cycle), cycles)
		if err := s.Renew(end, tx.Now); err != nil {
			return err
		}
		sr.RemindersSent, sr.RenewalPaused = nil, ""
		return nil
	})
	if err != nil {
		return err
	}
	if err := a.serviceEvent(ctx, tx, svc.ID, "renewed", "", map[string]any{"order": r.ID, "cycles": cycles, "expires_at": svc.ExpiresAt}); err != nil {
		return err
	}
	if err := a.completeOrder(ctx, tx, r, o); err != nil {
		return err
	}
	automatic := "no"
	if r.PlacedBy == "system" {
		automatic = "yes"
	}
	return a.notifyService(ctx, tx, svc, notify.EventServiceRenewed, map[string]string{"expires_at": cstString(svc.ExpiresAt),
		"amount": money.Fen(r.TotalFen).Format("zh-CN"), "automatic": automatic})
}

// completeOrder moves a paid renewal or upgrade order to delivered: what
// it delivers (a longer term, another plan) took effect at payment.
func (a *App) completeOrder(ctx context.Context, tx *store.Tx, r store.OrderRow, o *order.Order) error {
	for _, to := range []order.State{order.StateProvisioning, order.StateDelivered} {
		from := o.State
		if err := o.Move(to, tx.Now); err != nil {
			return err
		}
		ok, err := tx.OrderUpdate(ctx, withState(r, o, tx.Now), string(from))
		if err != nil || !ok {
			return conflictOr(err)
		}
	}
	return nil
}

// ChangePlanRequest changes a service to another plan of the same product.
type ChangePlanRequest struct {
	PlanID    string       `json:"plan_id" example:"s2"`
	Agreement AgreementAck `json:"agreement"`
}

// PlanChange is the outcome of a plan change: an upgrade order to pay
// (Order set), or a change made at once with a credit (CreditFen > 0, to
// refund credit) or without money (both zero).
type PlanChange struct {
	Order     *OrderView  `json:"order,omitempty"`
	CreditFen int64       `json:"credit_fen" example:"0"`
	Service   ServiceView `json:"service"`
}

// ChangePlan upgrades or downgrades a running service of p's tenant to
// another plan of the same product and cycle (order.renew), prorated to
// the day over the rest of the term (service.ProrateTerm, rounded in the
// customer's favour). A dearer plan gives an upgrade order for the
// difference, applied when paid; a cheaper one changes at once and credits
// the difference to refund credit (never withdrawable, clause 3.1). A plan
// of another product or kind, a terminated or expired service, or a
// one-off service is refused.
func (a *App) ChangePlan(ctx context.Context, p account.Principal, serviceID string, in ChangePlanRequest) (PlanChange, error) {
	const op = "app.ChangePlan"
	r, err := a.loadService(ctx, a.db, p, serviceID, "order.renew", "order.renew")
	if err != nil {
		return PlanChange{}, err
	}
	if r.State == string(service.StateTerminated) || r.State == string(service.StatePending) || r.Cycle == string(catalog.CycleOneOff) {
		return PlanChange{}, errs.E(errs.Op(op), errs.Conflict, CodePlanChangeInvalid, "this service's plan cannot change", map[string]any{"state": r.State})
	}
	if in.PlanID == r.PlanID {
		return PlanChange{}, fieldErr(op, CodePlanChangeInvalid, errs.Invalid, "body.plan_id", "same_plan", "that is the current plan", nil)
	}
	pv, err := loadProduct(ctx, a.db, r.ProductID)
	if err != nil {
		return PlanChange{}, err
	}
	oldPlan, okOld := pv.Plan(r.PlanID)
	newPlan, okNew := pv.Plan(in.PlanID)
	if !okNew {
		return PlanChange{}, fieldErr(op, CodePlanChangeInvalid, errs.Invalid, "body.plan_id", "other_product",
			"choose a plan of the same product", map[string]any{"product_id": r.ProductID})
	}
	oldPrice, okOldPrice := priceFor(oldPlan, r.Cycle)
	newPrice, okNewPrice := priceFor(newPlan, r.Cycle)
	if !okOld || !okOldPrice || !okNewPrice || !pv.Active {
		return PlanChange{}, fieldErr(op, CodePlanChangeInvalid, errs.Invalid, "body.plan_id", "not_offered",
			"the plan is not sold in this service's cycle", map[string]any{"cycle": r.Cycle})
	}
	now := a.Now()
	diff, err := service.ProrateTerm(oldPrice, newPrice, catalog.Cycle(r.Cycle), now, r.ExpiresAt)
	if err != nil {
		return PlanChange{}, errs.E(errs.Op(op), errs.Conflict, CodePlanChangeInvalid, "the service has no running term to change", err)
	}
	if diff > 0 {
		req := CheckoutRequest{Lines: []LineRequest{{ProductID: r.ProductID, PlanID: in.PlanID, Cycle: r.Cycle, Quantity: 1}}, Agreement: in.Agreement}
		v, err := a.checkout(ctx, p, r.AccountID, req, Idem{}, checkoutOpts{purpose: PurposeUpgrade, serviceID: r.ID, targetPlanID: in.PlanID, unitPriceFen: &diff})
		if err != nil {
			return PlanChange{}, err
		}
		sv, err := a.Service(ctx, p, serviceID)
		return PlanChange{Order: &v, Service: sv}, err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := a.switchPlan(ctx, tx, r.ID, pv, newPlan, ""); err != nil {
			return err
		}
		if diff == 0 {
			return nil
		}
		t, err := wallet.DowngradeCredit(r.AccountID, money.Fen(-diff), r.ID)
		if err != nil {
			return err
		}
		txnID, err := a.post(ctx, tx, t)
		if err != nil {
			return err
		}
		return a.serviceEvent(ctx, tx, r.ID, "downgrade_credited", "", map[string]any{"credit_fen": -diff, "txn": txnID})
	})
	if err != nil {
		return PlanChange{}, err
	}
	sv, err := a.Service(ctx, p, serviceID)
	return PlanChange{CreditFen: max(-diff, 0), Service: sv}, err
}

func priceFor(pl PlanView, cycle string) (int64, bool) {
	for _, pr := range pl.Prices {
		if pr.Cycle == cycle {
			return pr.AmountFen, true
		}
	}
	return 0, false
}

// switchPlan records a service's new plan.
func (a *App) switchPlan(ctx context.Context, tx *store.Tx, serviceID string, pv ProductView, plan PlanView, orderID string) error {
	var from string
	if _, err := a.mutateService(ctx, tx, serviceID, func(sr *store.ServiceRow, s *service.Service) error {
		if s.State == service.StateTerminated {
			return errs.E(errs.Op("app.switchPlan"), errs.Conflict, service.CodeTerminated, "the service is terminated")
		}
		from = sr.PlanID
		sr.PlanID, sr.Name = plan.ID, pv.Name+" · "+plan.Name
		return nil
	}); err != nil {
		return err
	}
	return a.serviceEvent(ctx, tx, serviceID, "plan_changed", "", map[string]any{"from": from, "to": plan.ID, "order": orderID})
}

// applyPlanChange switches the plan of a paid upgrade order's service.
func (a *App) applyPlanChange(ctx context.Context, tx *store.Tx, r store.OrderRow, o *order.Order) error {
	svc, err := store.ServiceGet(ctx, tx, r.ServiceID)
	if err != nil {
		return err
	}
	pv, err := loadProduct(ctx, tx, svc.ProductID)
	if err != nil {
		return err
	}
	plan, ok := pv.Plan(r.TargetPlanID)
	if !ok {
		return errs.E(errs.Op("app.applyPlanChange"), errs.Conflict, CodePlanChangeInvalid, "the plan was withdrawn meanwhile")
	}
	if err := a.switchPlan(ctx, tx, svc.ID, pv, plan, r.ID); err != nil {
		return err
	}
	return a.completeOrder(ctx, tx, r, o)
}

var _ = time.Second
