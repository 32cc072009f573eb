package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"yuanxu/internal/id"
	"yuanxu/internal/jobs"
	"yuanxu/internal/notify"
	"yuanxu/internal/pii"
	"yuanxu/internal/provider/email"
	"yuanxu/internal/provider/sms"
	"yuanxu/internal/store"
)

// NotifyDeliver makes one attempt at a delivery; the delivery job calls
// it. It claims the delivery (so that of several workers exactly one
// sends), sends outside any transaction, and records the outcome with an
// audit event: delivered or sent; queued again with exponential backoff
// (and a job scheduled for then) when retrying can help; failed at once on
// a permanent refusal, or after the last attempt. A delivery that is not
// claimable — finished, not yet due, or held by another worker — is left
// alone and NotifyDeliver returns nil. Errors are database errors, which
// the job runner retries.
func (a *App) NotifyDeliver(ctx context.Context, deliveryID string) error {
	n := a.notifier()
	token := id.New()
	var d store.Delivery
	var no store.Notification
	var ok bool
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		d, no, ok, err = tx.DeliveryClaim(ctx, deliveryID, token, time.Now(), n.cfg.Lease)
		return err
	})
	if err != nil || !ok {
		return err
	}
	out := a.attempt(ctx, n, d, no)
	if n.cfg.afterSend != nil {
		if err := n.cfg.afterSend(deliveryID); err != nil {
			return err
		}
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		recorded, err := tx.DeliveryRecord(ctx, deliveryID, token, out)
		if err != nil {
			return err
		}
		if !recorded {
			a.log.LogAttrs(ctx, slog.LevelWarn, "notify: claim lost before recording; another worker owns the delivery", slog.String("delivery", deliveryID))
			return nil
		}
		return a.afterRecord(ctx, tx, d, no, out)
	})
}

// attempt sends once and classifies the result. It never returns an error:
// every failure becomes an outcome with a reason.
func (a *App) attempt(ctx context.Context, n *notifier, d store.Delivery, no store.Notification) store.DeliveryOutcome {
	permanent := func(reason string) store.DeliveryOutcome {
		return store.DeliveryOutcome{Status: string(notify.StatusFailed), Reason: notify.Reason(reason)}
	}
	var vars map[string]string
	pt, err := a.secrets.PII.Open(no.Vars, pii.AAD{Table: "notification", Column: "vars", Row: no.ID})
	if err == nil {
		err = json.Unmarshal(pt, &vars)
	}
	if err != nil {
		return permanent("cannot open the notification's variables: " + err.Error())
	}
	ev, lang := notify.Event(no.Event), notify.Lang(no.Lang)
	unsub := ""
	if n.cfg.UnsubscribeURL != "" {
		unsub = n.cfg.UnsubscribeURL + "?n=" + no.ID
	}
	r, err := n.cat.Render(ev, lang, vars, notify.RenderOptions{Brand: n.cfg.Brand, UnsubscribeURL: unsub})
	if err != nil {
		return permanent("cannot render: " + err.Error())
	}
	addr, err := a.secrets.PII.OpenString(d.Address, pii.AAD{Table: "notify_delivery", Column: "address", Row: d.ID})
	if err != nil {
		return permanent("cannot open the address: " + err.Error())
	}
	sctx, cancel := context.WithTimeout(ctx, n.cfg.SendTimeout)
	defer cancel()
	var out store.DeliveryOutcome
	switch notify.Channel(d.Channel) {
	case notify.Email:
		if n.cfg.Email == nil {
			return n.unconfigured(d, "email is not configured (--smtp-url)")
		}
		res, err := n.cfg.Email.Send(sctx, email.Message{To: addr, Subject: r.Subject, Text: r.Text, HTML: r.HTML, MessageID: d.MessageKey,
			Lang: string(lang), ListUnsubscribe: r.Unsubscribe})
		if err != nil {
			return n.failure(d, err)
		}
		out = store.DeliveryOutcome{Status: string(notify.StatusSent), Provider: "smtp", ProviderMessageID: res.MessageID}
		if n.cfg.BounceWindow <= 0 {
			out.Status = string(notify.StatusDelivered)
		}
	case notify.SMS:
		if n.cfg.SMS == nil {
			return n.unconfigured(d, "sms is not configured (--sms-provider)")
		}
		code := n.cfg.SMSCodes.For(ev, lang)
		if code == "" {
			return permanent(fmt.Sprintf("no SMS template code for %s/%s", ev, lang))
		}
		params := make([]sms.Param, len(r.SMSParams))
		for i, p := range r.SMSParams {
			params[i] = sms.Param{Name: p.Name, Value: p.Value}
		}
		res, err := n.cfg.SMS.Send(sctx, sms.Message{Phone: addr, SignName: n.cfg.SMSSignName, TemplateCode: code, Params: params, IdempotencyKey: d.MessageKey})
		if err != nil {
			return n.failure(d, err)
		}
		out = store.DeliveryOutcome{Status: string(notify.StatusDelivered), Provider: n.cfg.SMS.Provider(), ProviderMessageID: res.ProviderMessageID}
	default:
		return permanent("channel " + d.Channel + " is not delivered by jobs")
	}
	return out
}

// failure classifies a provider error: a permanent refusal fails at once;
// anything else retries with backoff until the last attempt.
func (n *notifier) failure(d store.Delivery, err error) store.DeliveryOutcome {
	retry := true
	var t interface{ Temporary() bool }
	if errors.As(err, &t) {
		retry = t.Temporary()
	}
	reason := err.Error()
	if !retry {
		return store.DeliveryOutcome{Status: string(notify.StatusFailed), Reason: notify.Reason("refused: " + reason)}
	}
	if n.cfg.Retry.GiveUp(d.Attempts) {
		return store.DeliveryOutcome{Status: string(notify.StatusFailed), Reason: notify.Reason(fmt.Sprintf("gave up after %d attempts: %s", d.Attempts, reason))}
	}
	return store.DeliveryOutcome{Status: string(notify.StatusQueued), Reason: notify.Reason(reason), NextAttemptAt: time.Now().Add(n.cfg.Retry.Delay(d.Attempts))}
}

func (n *notifier) unconfigured(d store.Delivery, reason string) store.DeliveryOutcome {
	if n.cfg.Unconfigured != "" {
		return store.DeliveryOutcome{Status: string(notify.StatusFailed), Reason: notify.Reason("not delivered: " + n.cfg.Unconfigured)}
	}
	return n.failure(d, errors.New(reason))
}

// NotifyRedrive enqueues a delivery job for every queued delivery that has
// been due for longer than RedriveAfter without being claimed (its job was
// lost, or its worker crashed and the lease expired), and returns how many
// it enqueued. A periodic job runs it; duplicate jobs are harmless, because
// only one claim succeeds.
func (a *App) NotifyRedrive(ctx context.Context) (int, error) {
	n := a.notifier()
	ids, err := a.db.DeliveriesDue(ctx, time.Now().Add(-n.cfg.RedriveAfter), 500)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		for _, did := range ids {
			if err := a.jobs.Enqueue(ctx, tx.SQL(), jobs.NotifyArgs{DeliveryID: did}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	return len(ids), err
}

// notifySettle is the sweep that marks emails delivered once the bounce
// window passed without a permanent bounce.
func (a *App) notifySettle(ctx context.Context, now time.Time) (int64, error) {
	n := a.notifier()
	var done []string
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if done, err = tx.DeliverySettle(ctx, now.Add(-n.cfg.BounceWindow), 500); err != nil {
			return err
		}
		for _, did := range done {
			if err := a.Audit(ctx, tx, AuditEntry{Action: "notify.delivery_delivered", SubjectType: "notify_delivery", SubjectID: did,
				Data: map[string]any{"by": "bounce window passed"}}); err != nil {
				return err
			}
		}
		return nil
	})
	return int64(len(done)), err
}

// NotifyBounce records a permanent bounce (a DSN) of the email whose
// Message-ID is messageID (angle brackets optional): it is bounced, and no
// longer counts as notice. ok=false when no sent or delivered email has
// that Message-ID.
func (a *App) NotifyBounce(ctx context.Context, messageID, reason string) (ok bool, err error) {
	key := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(messageID), "<"), ">")
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var did string
		if did, ok, err = tx.DeliveryBounce(ctx, key, notify.Reason(reason)); err != nil || !ok {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "notify.delivery_bounced", SubjectType: "notify_delivery", SubjectID: did, Data: map[string]any{"reason": notify.Reason(reason)}})
	})
	return ok, err
}
