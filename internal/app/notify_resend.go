package app

import (
	"context"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/jobs"
	"yuanxu/internal/notify"
	"yuanxu/internal/store"
)

// NotifyResend sends a failed or bounced email or SMS delivery again: the
// delivery goes back in the queue with a fresh retry budget and keeps its
// Message-ID or idempotency key (a notification has one delivery per
// channel; the audit log keeps the resend and the attempts before it). It
// needs notify.resend. A delivery that is queued, sent or delivered is not
// resent (409): that would duplicate a notice the customer may already have.
func (a *App) NotifyResend(ctx context.Context, p account.Principal, deliveryID string) error {
	if err := a.Authorize(ctx, p, "notify.resend", account.Object{}); err != nil {
		return err
	}
	ds, err := a.db.Deliveries(ctx, store.DeliveryFilter{ID: deliveryID, Limit: 1})
	if err != nil {
		return err
	}
	if len(ds) == 0 {
		return &errs.Error{Kind: errs.NotFound, Code: "notify.delivery_not_found", Msg: "no such delivery"}
	}
	old := ds[0]
	switch {
	case old.Channel == string(notify.InApp):
		return &errs.Error{Kind: errs.Conflict, Code: "notify.resend_inapp", Msg: "inbox items are not resent"}
	case old.Address == nil:
		return &errs.Error{Kind: errs.Conflict, Code: "notify.resend_no_address", Msg: "the delivery has no address to send to"}
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.DeliveryRequeue(ctx, deliveryID)
		if err != nil {
			return err
		}
		if !ok {
			return &errs.Error{Kind: errs.Conflict, Code: "notify.resend_not_failed", Msg: "only failed or bounced deliveries are resent", Params: map[string]any{"status": old.Status}}
		}
		if err := a.jobs.Enqueue(ctx, tx.SQL(), jobs.NotifyArgs{DeliveryID: deliveryID}, nil); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "notify.resent", SubjectType: "notification", SubjectID: old.NotificationID,
			Data: map[string]any{"delivery": deliveryID, "channel": old.Channel, "to": old.AddressMasked, "previous_status": old.Status,
				"previous_attempts": old.Attempts, "previous_reason": old.Reason}})
	})
}
