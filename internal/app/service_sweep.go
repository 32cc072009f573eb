package app

import (
	"context"
	"slices"
	"strconv"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/order"
	"yuanxu/internal/policy"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
	"yuanxu/internal/wallet"
)

// The service sweeps (issue 12): reminders 7, 3 and 1 days before expiry,
// automatic renewal from balance, expiry into a grace period (suspended,
// overdue), termination when the grace ends, and a data-destruction
// request when the retention ends. Each works in small transactions and
// re-reads what it changes, so that instances running the same sweep, or a
// customer acting meanwhile, cannot make it act twice.

const sweepBatch = 200

func (a *App) registerServiceSweeps() {
	a.RegisterSweep("service.reminders", a.serviceReminderSweep)
	a.RegisterSweep("service.auto_renew", a.autoRenewSweep)
	a.RegisterSweep("service.lifecycle", a.serviceLifecycleSweep)
}

var liveStates = []string{string(service.StateActive), string(service.StateSuspended)}

func (a *App) serviceReminderSweep(ctx context.Context, now time.Time) (int64, error) {
	rows, err := store.Services(ctx, a.db, store.ServiceFilter{States: liveStates, ExpiringBefore: now.Add(8 * 24 * time.Hour),
		Limit: sweepBatch, Oldest: true})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, r := range rows {
		if r.Cycle == string(catalog.CycleOneOff) || r.Kind == string(catalog.KindTrafficPack) {
			continue // certificates and packs are bought again, not renewed
		}
		days, ok := service.DueReminder(r.ExpiresAt, now, remindedDays(r))
		if !ok {
			continue
		}
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			svc, err := a.mutateService(ctx, tx, r.ID, func(sr *store.ServiceRow, s *service.Service) error {
				if !sr.ExpiresAt.Equal(r.ExpiresAt) || slices.Contains(sr.RemindersSent, strconv.Itoa(days)) {
					return errSkip
				}
				sr.RemindersSent = append(sr.RemindersSent, strconv.Itoa(days))
				return nil
			})
			if err != nil {
				return err
			}
			auto := "off"
			if svc.AutoRenew {
				auto = "on"
			}
			n++
			return a.notifyService(ctx, tx, svc, notify.EventServiceExpiring, map[string]string{"expires_at": cstString(svc.ExpiresAt),
				"days": strconv.Itoa(days), "auto_renew": auto})
		})
		if err != nil && err != errSkip {
			return n, err
		}
	}
	return n, nil
}

// errSkip ends a sweep's transaction for one row without an error: the
// row changed meanwhile and needs nothing.
var errSkip = &errs.Error{Kind: errs.Conflict, Code: "sweep.skip", Msg: "nothing to do"}

func (a *App) serviceLifecycleSweep(ctx context.Context, now time.Time) (int64, error) {
	l := a.serviceLifecycle()
	var n int64
	// Expired terms: into grace, or terminated once the grace is over.
	rows, err := store.Services(ctx, a.db, store.ServiceFilter{States: liveStates, ExpiringBefore: now.Add(time.Millisecond), Limit: sweepBatch, Oldest: true})
	if err != nil {
		return 0, err
	}
	for _, r := range rows {
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			cur, err := store.ServiceGet(ctx, tx, r.ID)
			if err != nil {
				return err
			}
			switch (service.Lifecycle{Grace: l.Grace, Retention: l.Retention}).PhaseAt(domainService(cur), tx.Now) {
			case service.PhaseGrace:
				if domainService(cur).Holds(service.ReasonOverdue) {
					return nil
				}
				changed := false
				svc, err := a.mutateService(ctx, tx, cur.ID, func(_ *store.ServiceRow, s *service.Service) error {
					changed, err = s.Suspend(service.ReasonOverdue, tx.Now)
					return err
				})
				if err != nil || !changed {
					return err
				}
				n++
				if err := a.serviceEvent(ctx, tx, svc.ID, "suspended", string(service.ReasonOverdue), map[string]any{"grace_until": svc.ExpiresAt.Add(l.Grace)}); err != nil {
					return err
				}
				return a.notifyService(ctx, tx, svc, notify.EventServiceStateChange, map[string]string{"change": "grace",
					"reason": string(service.ReasonOverdue), "until": cstString(svc.ExpiresAt.Add(l.Grace))})
			case service.PhaseTerminate:
				n++
				return a.terminateService(ctx, tx, cur.ID, "grace_ended")
			}
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	// Terminated services past their retention: ask for data destruction.
	// Only those still to be requested are read: skipping requested ones
	// here would let the oldest batch hide every later one.
	rows, err = store.Services(ctx, a.db, store.ServiceFilter{DestroyDue: now.Add(-l.Retention), Limit: sweepBatch})
	if err != nil {
		return n, err
	}
	for _, r := range rows {
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			svc, err := a.mutateService(ctx, tx, r.ID, func(sr *store.ServiceRow, _ *service.Service) error {
				if !sr.DataDestroyRequestedAt.IsZero() {
					return errSkip
				}
				sr.DataDestroyRequestedAt = tx.Now
				return nil
			})
			if err != nil {
				return err
			}
			n++
			// The delivery capability's driver carries the request out.
			return a.serviceEvent(ctx, tx, svc.ID, "data_destroy_requested", "", map[string]any{"terminated_at": svc.TerminatedAt})
		})
		if err != nil && err != errSkip {
			return n, err
		}
	}
	return n, nil
}

// terminateService ends a service and the traffic packs attached to it.
func (a *App) terminateService(ctx context.Context, tx *store.Tx, serviceID, why string) error {
	l := a.serviceLifecycle()
	svc, err := a.mutateService(ctx, tx, serviceID, func(_ *store.ServiceRow, s *service.Service) error { return s.Terminate(tx.Now) })
	if err != nil {
		return err
	}
	if err := a.serviceEvent(ctx, tx, svc.ID, "terminated", why, map[string]any{"data_kept_until": tx.Now.Add(l.Retention)}); err != nil {
		return err
	}
	if err := a.releaseAddressesTx(ctx, tx, svc.ID); err != nil { // delivery_release.go
		return err
	}
	if err := a.notifyService(ctx, tx, svc, notify.EventServiceStateChange, map[string]string{"change": "terminated", "reason": "",
		"until": cstString(tx.Now.Add(l.Retention))}); err != nil {
		return err
	}
	packs, err := store.Services(ctx, tx, store.ServiceFilter{ParentID: svc.ID, States: liveStates})
	if err != nil {
		return err
	}
	for _, p := range packs {
		if p.AccountID != svc.AccountID {
			continue
		}
		if err := a.terminateService(ctx, tx, p.ID, "parent_terminated"); err != nil {
			return err
		}
	}
	return nil
}

// autoRenewSweep renews, from balance, the services with automatic renewal
// whose term ends within RenewAhead. Each renewal records the latest
// agreement version the customer accepted (DESIGN.md §3); while a material
// revision awaits the customer's re-acceptance, renewal pauses and the
// customer is told once. A balance too low is told once per term and
// retried on every sweep until the term ends.
func (a *App) autoRenewSweep(ctx context.Context, now time.Time) (int64, error) {
	l := a.serviceLifecycle()
	rows, err := store.Services(ctx, a.db, store.ServiceFilter{States: liveStates, ExpiringBefore: now.Add(l.RenewAhead + time.Millisecond), Limit: sweepBatch, Oldest: true})
	if err != nil {
		return 0, err
	}
	var n int64
	for _, r := range rows {
		if !r.AutoRenew || r.Cycle == string(catalog.CycleOneOff) {
			continue
		}
		problem, err := a.autoRenewOne(ctx, r)
		if err != nil {
			return n, err
		}
		if problem == "" {
			n++
			continue
		}
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			svc, err := a.mutateService(ctx, tx, r.ID, func(sr *store.ServiceRow, _ *service.Service) error {
				if sr.RenewalPaused == problem {
					return errSkip
				}
				sr.RenewalPaused = problem
				return nil
			})
			if err != nil {
				return err
			}
			if err := a.serviceEvent(ctx, tx, svc.ID, "auto_renew_problem", problem, nil); err != nil {
				return err
			}
			return a.notifyService(ctx, tx, svc, notify.EventAutoRenewProblem, map[string]string{"problem": problem, "expires_at": cstString(svc.ExpiresAt)})
		}); err != nil && err != errSkip {
			return n, err
		}
	}
	return n, nil
}

// Auto-renewal problems.
const (
	RenewProblemBalance      = "insufficient_balance"
	RenewProblemReacceptance = "reacceptance_required"
	RenewProblemCatalog      = "catalog_changed"
)

// autoRenewOne renews r for one cycle from balance in one transaction, or
// says why it cannot.
func (a *App) autoRenewOne(ctx context.Context, r store.ServiceRow) (problem string, err error) {
	need, _, err := a.AgreementNeedsAcceptance(ctx, r.AccountID)
	if err != nil {
		return "", err
	}
	if need {
		return RenewProblemReacceptance, nil
	}
	st, err := a.StandingOf(ctx, r.AccountID)
	if err != nil {
		return "", err
	}
	if st.Check(account.ActionRenew) != nil {
		return "", nil // a measure in force: the compliance capability decides; nothing to tell here
	}
	accs, err := store.Acceptances(ctx, a.db, store.AcceptanceFilter{AccountID: r.AccountID, Limit: 1})
	if err != nil {
		return "", err
	}
	if len(accs) == 0 {
		return RenewProblemReacceptance, nil
	}
	acc := accs[0]
	vr, err := store.AgreementVersionGet(ctx, a.db, acc.VersionID)
	if err != nil {
		return "", err
	}
	set, err := agreementSource{a}.SetForVersion(ctx, vr.ID)
	if err != nil {
		return "", err
	}
	pv, err := loadProduct(ctx, a.db, r.ProductID)
	if err != nil {
		return RenewProblemCatalog, nil
	}
	now := a.Now()
	o, err := order.NewOrder(order.NewParams{ID: id.NewAt(now), AccountID: r.AccountID, Channel: order.ChannelWeb,
		Lines:     []order.LineSpec{{Product: pv.domain(), Input: order.LineInput{ProductID: r.ProductID, PlanID: r.PlanID, Cycle: catalog.Cycle(r.Cycle), Quantity: 1}}},
		Agreement: order.AgreementRef{VersionID: vr.ID, SHA256: vr.SHA256, Acknowledged: clauseIDs(acc.Acknowledged)},
		CreatedAt: now, UnpaidExpiry: set.Duration(policy.OrderUnpaidExpiry)})
	if err != nil {
		return RenewProblemCatalog, nil
	}
	plan, _ := pv.Plan(r.PlanID)
	row := store.OrderRow{ID: o.ID, AccountID: r.AccountID, PlacedBy: "system", Channel: string(o.Channel), State: string(o.State),
		AgreementVersionID: vr.ID, AgreementSHA256: vr.SHA256, AcceptanceID: acc.ID, Acknowledged: acc.Acknowledged, SubtotalFen: o.SubtotalFen,
		TotalFen: o.TotalFen, CreatedAt: now, UpdatedAt: now, ExpiresAt: o.ExpiresAt, Purpose: PurposeRenewal, ServiceID: r.ID}
	for i, l := range o.Lines {
		row.Lines = append(row.Lines, store.OrderLineRow{Idx: i, ProductID: l.ProductID, PlanID: l.PlanID, ProductName: pv.Name, PlanName: plan.Name,
			Kind: string(l.Kind), Cycle: string(l.Cycle), Quantity: l.Quantity, UnitPriceFen: l.UnitPriceFen, TotalFen: l.TotalFen,
			RefundClass: string(l.RefundClass), RefundClause: string(l.RefundClause), DeliverySLA: l.DeliverySLA})
	}
	err = a.db.InTx(WithActor(ctx, Actor{ID: "system"}), func(ctx context.Context, tx *store.Tx) error {
		cur, err := store.ServiceGet(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		if !cur.AutoRenew || !cur.ExpiresAt.Equal(r.ExpiresAt) || cur.State == string(service.StateTerminated) {
			return errSkip // renewed or changed meanwhile
		}
		if err := tx.OrderInsert(ctx, row); err != nil {
			return err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "order.created", SubjectType: "order", SubjectID: row.ID, Data: map[string]any{
			"account": r.AccountID, "total_fen": row.TotalFen, "purpose": PurposeRenewal, "service": r.ID, "automatic": true,
			"agreement_version": vr.ID, "acceptance": acc.ID}}); err != nil {
			return err
		}
		if err := a.payFromBalance(ctx, tx, &row, row.TotalFen); err != nil {
			return err
		}
		return a.markPaid(ctx, tx, row)
	})
	switch {
	case err == errSkip:
		return "", nil
	case errs.CodeOf(err) == wallet.CodeInsufficientBalance:
		return RenewProblemBalance, nil
	}
	return "", err
}
