package app

import (
	"context"
	"time"

	"yuanxu/internal/notify"
	"yuanxu/internal/store"
	"yuanxu/internal/ticket"
)

const ticketSweepBatch = 100

func (a *App) registerTicketSweeps() {
	a.RegisterSweep("ticket.auto_close", a.sweepTicketAutoClose)
	a.RegisterSweep("ticket.targets", a.sweepTicketTargets)
}

// sweepTicketAutoClose warns the customer a day before an answered ticket
// closes itself and closes it at ticket.auto_close_days after the last
// staff answer (clause 5). Each ticket changes in its own transaction,
// conditionally, so instances racing on the same ticket act once.
func (a *App) sweepTicketAutoClose(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	for _, kind := range []string{"close", "warn"} {
		for {
			rows, err := store.TicketsDue(ctx, a.db, kind, now, ticketSweepBatch)
			if err != nil {
				return n, err
			}
			done := 0
			for _, due := range rows {
				changed := false
				err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
					changed = false
					r, err := store.TicketGet(ctx, tx, due.ID)
					if err != nil {
						return err
					}
					if r.State != string(ticket.StateAnswered) || r.UpdatedAt != due.UpdatedAt {
						return nil // it moved on since the scan
					}
					if kind == "close" {
						changed = true
						return a.closeTicket(ctx, tx, r, "system", "system")
					}
					prev := r
					r.AutoCloseWarnedAt = tx.Now
					r.UpdatedAt = tx.Now
					ok, err := tx.TicketUpdate(ctx, r, prev)
					if err != nil || !ok {
						return err
					}
					changed = true
					if err := a.Audit(ctx, tx, AuditEntry{Action: "ticket.auto_close_warned", SubjectType: "ticket", SubjectID: r.ID,
						Data: map[string]any{"auto_close_at": r.AutoCloseAt, "clause": ticket.AutoCloseClause}}); err != nil {
						return err
					}
					return a.notifyTicketCustomer(ctx, tx, r, notify.EventTicketAutoCloseWarning, map[string]string{"close_at": ""})
				})
				if err != nil {
					return n, err
				}
				if changed {
					n++
					done++
				}
			}
			if len(rows) < ticketSweepBatch || done == 0 {
				break
			}
		}
	}
	return n, nil
}

// sweepTicketTargets marks first-response and resolution targets that
// passed unmet, records an audit event and alerts the assignee; the
// console home counts the breached tickets.
func (a *App) sweepTicketTargets(ctx context.Context, now time.Time) (int64, error) {
	var n int64
	for _, kind := range []string{"first_response", "resolution"} {
		for {
			rows, err := store.TicketsDue(ctx, a.db, kind, now, ticketSweepBatch)
			if err != nil {
				return n, err
			}
			done := 0
			for _, due := range rows {
				changed := false
				err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
					changed = false
					r, err := store.TicketGet(ctx, tx, due.ID)
					if err != nil {
						return err
					}
					prev := r
					var dueAt time.Time
					switch {
					case kind == "first_response" && r.FirstResponseAt.IsZero() && r.FirstResponseBreachedAt.IsZero() && !now.Before(r.FirstResponseDue):
						r.FirstResponseBreachedAt, dueAt = tx.Now, r.FirstResponseDue
					case kind == "resolution" && r.State != string(ticket.StateClosed) && r.ResolutionBreachedAt.IsZero() && !now.Before(r.ResolutionDue):
						r.ResolutionBreachedAt, dueAt = tx.Now, r.ResolutionDue
					default:
						return nil
					}
					r.UpdatedAt = tx.Now
					ok, err := tx.TicketUpdate(ctx, r, prev)
					if err != nil || !ok {
						return err
					}
					changed = true
					if err := a.Audit(ctx, tx, AuditEntry{Action: "ticket.target_breached", SubjectType: "ticket", SubjectID: r.ID,
						Data: map[string]any{"target": kind, "due": dueAt, "category": r.Category, "priority": r.Priority}}); err != nil {
						return err
					}
					return a.notifyTicketStaff(ctx, tx, r, notify.EventTicketTargetBreached,
						map[string]string{"target": kind, "due": notify.FormatTime(dueAt, notify.ZhCN)})
				})
				if err != nil {
					return n, err
				}
				if changed {
					n++
					done++
				}
			}
			if len(rows) < ticketSweepBatch || done == 0 {
				break
			}
		}
	}
	return n, nil
}
