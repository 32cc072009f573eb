package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/riverqueue/river"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/jobs"
	"yuanxu/internal/notify"
	"yuanxu/internal/pii"
	"yuanxu/internal/provider/email"
	"yuanxu/internal/provider/sms"
	"yuanxu/internal/store"
)

// EmailSender sends one email; *email.Client implements it.
type EmailSender interface {
	Send(ctx context.Context, m email.Message) (email.Result, error)
}

// NotifyConfig configures notifications. The zero value works: default
// templates and channel matrix, and no providers (email and SMS deliveries
// then wait and retry until one is configured, and finally fail).
type NotifyConfig struct {
	// Matrix overrides rows of notify.DefaultMatrix.
	Matrix notify.Matrix
	// Sources replaces the shipped templates (tests).
	Sources map[notify.Event]map[notify.Lang]notify.Source
	Email   EmailSender
	SMS     sms.Sender
	// Unconfigured, when set, fails deliveries on a channel without a
	// provider at once, with this reason, instead of retrying: sandbox mode
	// without SMTP records email as not delivered.
	Unconfigured string
	// SMSSignName and SMSCodes are the provider's sign name and template
	// codes; with an SMS provider, every event the matrix sends by SMS
	// needs a code in every language (a start-up error otherwise).
	SMSSignName string
	SMSCodes    notify.Codes
	// Brand signs the footer of every email ("元序 yuanxu").
	Brand string
	// MessageIDDomain is the right-hand side of Message-IDs (the sender's
	// domain).
	MessageIDDomain string
	// UnsubscribeURL is the base of marketing mail's List-Unsubscribe
	// link; "?n=<notification id>" is appended. Empty: none.
	UnsubscribeURL string
	Retry          notify.RetryPolicy // zero: notify.DefaultRetry
	// Lease is how long a worker's claim on a delivery holds (default 2m);
	// it must exceed SendTimeout (default 30s). A crashed worker's
	// delivery is resent, with the same Message-ID or idempotency key,
	// once its lease has expired.
	Lease       time.Duration
	SendTimeout time.Duration
	// BounceWindow is how long an accepted email stays "sent" before it
	// counts as delivered (no permanent bounce followed). Zero: delivered
	// when the relay accepts it.
	BounceWindow time.Duration
	// RedriveAfter is how long a due delivery may wait before the periodic
	// redrive enqueues a job for it again (default 2m).
	RedriveAfter time.Duration
	// Senders is how many first attempts a started instance sends at once
	// (notifyDispatch; default 8).
	Senders int

	afterSend func(deliveryID string) error // tests: simulate a crash between send and record
}

type notifier struct {
	cfg    NotifyConfig
	cat    *notify.Catalog
	matrix notify.Matrix
}

func newNotifier(c NotifyConfig) (*notifier, error) {
	src := c.Sources
	if src == nil {
		src = notify.DefaultSources()
	}
	cat, err := notify.NewCatalog(src)
	if err != nil {
		return nil, err
	}
	m := notify.DefaultMatrix().With(c.Matrix)
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if c.SMS != nil {
		if err := m.CheckCodes(c.SMSCodes); err != nil {
			return nil, err
		}
	}
	if c.Retry.MaxAttempts <= 0 {
		c.Retry = notify.DefaultRetry
	}
	if c.SendTimeout <= 0 {
		c.SendTimeout = 30 * time.Second
	}
	if c.Lease <= 0 {
		c.Lease = 2 * time.Minute
	}
	if c.Lease <= c.SendTimeout {
		return nil, fmt.Errorf("notify: lease %v must exceed the send timeout %v", c.Lease, c.SendTimeout)
	}
	if c.RedriveAfter <= 0 {
		c.RedriveAfter = 2 * time.Minute
	}
	switch {
	case c.Senders < 0:
		return nil, fmt.Errorf("notify: senders %d must be positive (or zero for the default)", c.Senders)
	case c.Senders == 0:
		c.Senders = defaultDispatchSenders
	}
	if c.Brand == "" {
		c.Brand = "元序 yuanxu"
	}
	return &notifier{cfg: c, cat: cat, matrix: m}, nil
}

// ConfigureNotify checks c — templates against their variables, the
// channel matrix against the catalog, SMS template codes against the
// matrix — and makes it this App's notification configuration. Call it
// once, after New and before Start; a second call fails. An App that is
// never configured uses the zero NotifyConfig.
func (a *App) ConfigureNotify(c NotifyConfig) error {
	n, err := newNotifier(c)
	if err != nil {
		return err
	}
	if !a.notifyCfg.CompareAndSwap(nil, n) {
		return errors.New("notify: ConfigureNotify called twice")
	}
	if c.BounceWindow > 0 {
		a.RegisterSweep("notify.settle_email", a.notifySettle)
	}
	return nil
}

func (a *App) notifier() *notifier {
	if n := a.notifyCfg.Load(); n != nil {
		return n
	}
	n, err := newNotifier(NotifyConfig{})
	if err != nil {
		panic(err) // the shipped templates and matrix are checked by tests
	}
	if a.notifyCfg.CompareAndSwap(nil, n) {
		return n
	}
	return a.notifyCfg.Load()
}

// NotifyReceipt says what Notify wrote.
type NotifyReceipt struct {
	NotificationID string
	// Deliveries maps each channel that got a delivery row to its id
	// (a row may already be failed: a malformed address).
	Deliveries map[notify.Channel]string
	// Skipped maps channels of the matrix that got no row to why
	// ("no address", "opted out").
	Skipped map[notify.Channel]string
}

// Notify writes a notification into the outbox inside the caller's
// business transaction: one delivery row per channel of the channel
// matrix, a delivery job for each email and SMS, and the inbox item for an
// account recipient — all committed or rolled back with the caller's
// change. It touches nothing outside tx.
//
// It fails only on a caller's bug (an unknown event, variables that do not
// match the event: errs.Invalid) or a database error. Bad recipient input
// never fails it: a phone or address that does not parse gets a delivery
// row that is failed at once with the reason; a channel without an address
// is skipped (for legal notices it gets a failed row too, so the gap shows
// in the delivery log). Marketing honours the account's opt-outs; nothing
// else can be opted out of.
func (a *App) Notify(ctx context.Context, tx *store.Tx, r notify.Request) (NotifyReceipt, error) {
	n := a.notifier()
	if err := notify.CheckVars(r.Event, r.Vars); err != nil {
		return NotifyReceipt{}, err
	}
	spec, _ := notify.SpecOf(r.Event)
	lang := r.Lang
	if lang != notify.En {
		lang = notify.ZhCN
	}
	rec := NotifyReceipt{NotificationID: id.NewAt(tx.Now), Deliveries: map[notify.Channel]string{}, Skipped: map[notify.Channel]string{}}
	vars, err := json.Marshal(r.Vars)
	if err != nil {
		return rec, err
	}
	sealed, err := a.secrets.PII.Seal(vars, pii.AAD{Table: "notification", Column: "vars", Row: rec.NotificationID})
	if err != nil {
		return rec, err
	}
	no := store.Notification{ID: rec.NotificationID, Event: string(r.Event), Category: string(spec.Category),
		Lang: string(lang), AccountID: r.Recipient.AccountID, SubjectType: r.Subject.Type, SubjectID: r.Subject.ID, Vars: sealed, CreatedAt: tx.Now}
	if err := tx.NotificationInsert(ctx, no); err != nil {
		return rec, err
	}
	prefs := notify.Preferences{MarketingOptOut: map[notify.Channel]bool{}}
	if spec.Category == notify.Marketing && r.Recipient.AccountID != "" {
		outs, err := tx.OptOuts(ctx, r.Recipient.AccountID)
		if err != nil {
			return rec, err
		}
		for _, c := range outs[string(notify.Marketing)] {
			prefs.MarketingOptOut[notify.Channel(c)] = true
		}
	}
	// A started instance sends the first attempts itself once tx commits
	// (ADR 22); otherwise each email and SMS gets a job.
	disp := a.dispatch.Load()
	var sends []river.JobArgs
	var claimed []dispatchItem
	var ds []store.Delivery
	for _, ch := range n.matrix.Channels(r.Event) {
		raw := r.Recipient.Address(ch)
		switch {
		case !prefs.Allows(spec.Category, ch):
			rec.Skipped[ch] = "opted out"
			continue
		case raw == "" && !(spec.Category == notify.Legal && ch.Notice()):
			rec.Skipped[ch] = "no address"
			continue
		}
		d, err := a.notifyChannel(ctx, tx, n, rec.NotificationID, r, lang, ch, raw)
		if err != nil {
			return rec, err
		}
		switch {
		case d.Status != string(notify.StatusQueued):
		case disp != nil:
			// Claimed as DeliveryClaim would: one attempt, leased (wall time).
			d.Attempts, d.LeaseToken, d.LeaseUntil = 1, id.New(), time.Now().Add(n.cfg.Lease)
			claimed = append(claimed, dispatchItem{d: d, no: no})
		default:
			sends = append(sends, jobs.NotifyArgs{DeliveryID: d.ID})
		}
		ds = append(ds, d)
		rec.Deliveries[ch] = d.ID
	}
	if len(claimed) > 0 {
		tx.AfterCommit(func() { disp.submit(claimed) })
	}
	// One insert for every channel's delivery row and, without a
	// dispatcher, one for their jobs (River inserts many rows in one
	// statement).
	if err := tx.DeliveryInsert(ctx, ds...); err != nil {
		return rec, err
	}
	if len(sends) > 0 {
		if err := a.jobs.EnqueueMany(ctx, tx.SQL(), sends...); err != nil {
			return rec, err
		}
	}
	return rec, a.Audit(ctx, tx, AuditEntry{Action: "notify.queued", SubjectType: "notification", SubjectID: rec.NotificationID,
		Data: map[string]any{"event": r.Event, "lang": lang, "deliveries": rec.Deliveries, "skipped": rec.Skipped}})
}

// notifyChannel prepares one channel's delivery row, for the caller to
// write (the in-app channel's inbox item it writes itself); a row still
// queued needs a job to send it.
func (a *App) notifyChannel(ctx context.Context, tx *store.Tx, n *notifier, nid string, r notify.Request, lang notify.Lang, ch notify.Channel, raw string) (store.Delivery, error) {
	did := id.NewAt(tx.Now)
	d := store.Delivery{ID: did, NotificationID: nid, Channel: string(ch), Status: string(notify.StatusQueued), CreatedAt: tx.Now,
		MessageKey: notify.IdempotencyKey(did), NextAttemptAt: time.UnixMilli(0)}
	if ch == notify.Email {
		d.MessageKey = notify.MessageID(did, n.cfg.MessageIDDomain)
	}
	fail := func(reason string) {
		d.Status, d.Reason, d.FailedAt = string(notify.StatusFailed), reason, tx.Now
	}
	var norm, kind string
	switch ch {
	case notify.InApp:
		rd, err := n.cat.Render(r.Event, lang, r.Vars, notify.RenderOptions{Brand: n.cfg.Brand, TextOnly: true})
		if err != nil {
			return store.Delivery{}, err
		}
		if err := tx.InboxInsert(ctx, store.InboxItem{NotificationID: nid, AccountID: raw, Event: string(r.Event), Title: rd.Subject, Body: rd.Text, CreatedAt: tx.Now}); err != nil {
			return store.Delivery{}, err
		}
		d.AddressMasked, d.Provider = raw, "inbox"
		d.Status, d.SentAt, d.DeliveredAt, d.FirstDeliveredAt = string(notify.StatusDelivered), tx.Now, tx.Now, tx.Now
	case notify.Email:
		d.AddressMasked, kind = pii.MaskEmail(raw), pii.KindEmail
		e, err := notify.ParseEmail(raw)
		switch {
		case raw == "":
			fail("recipient has no email address")
		case err != nil:
			fail("invalid email address: " + notify.ErrInvalidEmail.Msg)
		default:
			norm, d.AddressMasked = e, pii.MaskEmail(e)
		}
	case notify.SMS:
		d.AddressMasked, kind = pii.MaskPhone(raw), pii.KindPhone
		p, err := notify.ParsePhone(raw)
		switch {
		case raw == "":
			fail("recipient has no phone number")
		case err != nil:
			fail("invalid phone number: " + notify.ErrInvalidPhone.Msg)
		default:
			norm, d.AddressMasked = p.Normalized, pii.MaskPhone(p.Normalized)
		}
	}
	if ch != notify.InApp && raw != "" {
		addr := raw
		if norm != "" {
			addr = norm
			d.AddressIndex = a.secrets.Blind.Sum(kind, norm)
		}
		sealed, err := a.secrets.PII.SealString(addr, pii.AAD{Table: "notify_delivery", Column: "address", Row: did})
		if err != nil {
			return store.Delivery{}, err
		}
		d.Address = sealed
	}
	return d, nil
}

// NotifyDeliveries reads the delivery log (addresses masked).
func (a *App) NotifyDeliveries(ctx context.Context, f store.DeliveryFilter) ([]store.DeliveryView, error) {
	return a.db.Deliveries(ctx, f)
}

// NoticeDelivered returns, per channel that counts as notice (email, SMS),
// the time a notification was first delivered there — the instant
// deadlines start from. Channels never delivered, or bounced, are absent.
func (a *App) NoticeDelivered(ctx context.Context, notificationID string) (map[notify.Channel]time.Time, error) {
	ds, err := a.db.Deliveries(ctx, store.DeliveryFilter{NotificationID: notificationID})
	if err != nil {
		return nil, err
	}
	out := map[notify.Channel]time.Time{}
	for _, d := range ds {
		ch := notify.Channel(d.Channel)
		if ch.Notice() && !d.FirstDeliveredAt.IsZero() && d.Status != string(notify.StatusBounced) {
			out[ch] = d.FirstDeliveredAt
		}
	}
	return out, nil
}

// NotifyPreview renders an event with its sample values (the console's
// preview).
func (a *App) NotifyPreview(ev notify.Event, lang notify.Lang) (notify.Rendered, error) {
	n := a.notifier()
	return n.cat.Preview(ev, lang, notify.RenderOptions{Brand: n.cfg.Brand, UnsubscribeURL: n.cfg.UnsubscribeURL})
}

// Inbox lists an account's inbox, newest first. Authorisation (that the
// caller is the account) is the caller's.
func (a *App) Inbox(ctx context.Context, accountID string, unreadOnly bool, limit int) ([]store.InboxItem, error) {
	return a.db.Inbox(ctx, accountID, unreadOnly, limit)
}

// InboxUnread counts an account's unread items.
func (a *App) InboxUnread(ctx context.Context, accountID string) (int, error) {
	return a.db.InboxUnread(ctx, accountID)
}

// InboxMarkRead marks an item read; marking an item that is read already
// changes nothing, and an item of another account is not found.
func (a *App) InboxMarkRead(ctx context.Context, accountID, notificationID string) error {
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		changed, err := tx.InboxMarkRead(ctx, accountID, notificationID)
		if err != nil {
			return err
		}
		if !changed {
			// Already read (idempotent), or not this account's: the same
			// answer as for an id that does not exist.
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM notify_inbox WHERE notification_id = $1 AND account_id = $2`, notificationID, accountID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return &errs.Error{Kind: errs.NotFound, Code: "inbox.not_found", Msg: "no such inbox item"}
			}
			return nil
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "notify.inbox_read", SubjectType: "notification", SubjectID: notificationID})
	})
}

// NotifySetOptOut opts an account out of (or back into) marketing on a
// channel. Any other category fails with notify.ErrOptOutLegal: legal and
// transactional messages are always sent.
func (a *App) NotifySetOptOut(ctx context.Context, accountID string, cat notify.Category, ch notify.Channel, optOut bool) error {
	if err := notify.CheckOptOut(cat, ch); err != nil {
		return err
	}
	if accountID == "" {
		return errs.Invalidf("notify.account_required", "account_id", "required", nil)
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		changed, err := tx.OptOutSet(ctx, accountID, string(cat), string(ch), optOut)
		if err != nil || !changed {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "notify.opt_out_changed", SubjectType: "account", SubjectID: accountID,
			Data: map[string]any{"category": cat, "channel": ch, "opted_out": optOut}})
	})
}

// DeliveryFilter and DeliveryView are the store's delivery-log query and
// row, re-exported so the web layer reaches them through app.
type (
	DeliveryFilter = store.DeliveryFilter
	DeliveryView   = store.DeliveryView
)
