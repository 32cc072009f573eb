package app

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"yuanxu/internal/jobs"
	"yuanxu/internal/notify"
	"yuanxu/internal/store"
)

// Dispatcher defaults: how many first attempts one instance sends at once,
// how many commits' deliveries it holds waiting, and how many outcomes one
// transaction records. The channels hold slices and are sized so that an
// idle instance keeps well under a megabyte in them.
const (
	defaultDispatchSenders = 8
	dispatchQueue          = 4096
	dispatchBatch          = 128
)

// notifyDispatch sends the first attempt of the email and SMS deliveries
// that this instance's transactions commit, as soon as they commit
// (ADR 22), instead of through a job per delivery.
//
// While it runs, Notify writes those deliveries already claimed: leased
// until wall now + Lease under a token of their own, with one attempt
// counted, exactly as DeliveryClaim would leave them. After the commit
// (never on rollback) they are handed to the senders; each outcome is
// recorded under its token, together with the outcomes that finished
// meanwhile, in one transaction (store.DeliveryRecordMany); a retry gets a
// scheduled job there, as in NotifyDeliver.
//
// Nothing depends on the dispatcher for correctness. A delivery it never
// sends — the process stopped or crashed first, or the queue was full —
// stays queued under its lease; once the lease has ended, the redrive
// gives it a job like any delivery whose job was lost, and the resend
// carries the same Message-ID or idempotency key.
type notifyDispatch struct {
	a       *App
	ctx     context.Context // the senders'; cancelled when Stop's wait ends
	cancel  context.CancelFunc
	queue   chan []dispatchItem // one commit's deliveries each
	results chan dispatchResult
	senders sync.WaitGroup
	done    chan struct{} // closed when the recorder has recorded everything

	mu     sync.RWMutex // guards closed against submit
	closed bool

	// pending counts the deliveries submitted and not yet past recording
	// (recorded, skipped or given up): NotifyPending.
	pending atomic.Int64
}

// dispatchItem is one claimed delivery with its notification, as Notify
// wrote them (address and variables sealed).
type dispatchItem struct {
	d  store.Delivery
	no store.Notification
}

type dispatchResult struct {
	dispatchItem
	out store.DeliveryOutcome
}

// startNotifyDispatch starts the senders and the recorder. It reads the
// notification configuration without fixing it (ConfigureNotify may still
// come): the senders look it up for each delivery.
func startNotifyDispatch(a *App) *notifyDispatch {
	ctx, cancel := context.WithCancel(context.Background())
	d := &notifyDispatch{a: a, ctx: ctx, cancel: cancel, queue: make(chan []dispatchItem, dispatchQueue),
		results: make(chan dispatchResult, dispatchBatch), done: make(chan struct{})}
	senders := defaultDispatchSenders
	if n := a.notifyCfg.Load(); n != nil {
		senders = n.cfg.Senders
	}
	for range senders {
		d.senders.Add(1)
		go d.send()
	}
	go d.record()
	return d
}

// submit hands one commit's deliveries to the senders. It never blocks:
// when the queue is full, or after stop, they are left to their lease and
// the redrive.
func (d *notifyDispatch) submit(items []dispatchItem) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		d.a.log.LogAttrs(d.ctx, slog.LevelInfo, "notify: stopping; the redrive will send these deliveries after their lease",
			slog.Int("deliveries", len(items)))
		return
	}
	d.pending.Add(int64(len(items)))
	select {
	case d.queue <- items:
	default:
		d.pending.Add(-int64(len(items)))
		d.a.log.LogAttrs(d.ctx, slog.LevelWarn, "notify: dispatch queue full; the redrive will send these deliveries after their lease",
			slog.Int("deliveries", len(items)), slog.String("first", items[0].d.ID))
	}
}

// send makes the first attempt of each queued delivery.
func (d *notifyDispatch) send() {
	defer d.senders.Done()
	for items := range d.queue {
		for _, it := range items {
			if d.ctx.Err() != nil {
				d.pending.Add(-1)
				continue // stopping, out of time: left to the lease
			}
			n := d.a.notifier()
			out := d.a.attempt(d.ctx, n, it.d, it.no)
			if n.cfg.afterSend != nil {
				if err := n.cfg.afterSend(it.d.ID); err != nil {
					d.pending.Add(-1)
					continue // a simulated crash between sending and recording
				}
			}
			d.results <- dispatchResult{it, out}
		}
	}
}

// record writes outcomes as they come, each transaction taking every
// outcome waiting, until the senders have stopped.
func (d *notifyDispatch) record() {
	defer close(d.done)
	for r := range d.results {
		batch := []dispatchResult{r}
	more:
		for len(batch) < dispatchBatch {
			select {
			case r, ok := <-d.results:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		d.recordBatch(batch)
		d.pending.Add(-int64(len(batch)))
	}
}

// recordBatch records one batch, trying a few times on a database error;
// a batch it cannot record stays leased, and the redrive resends it.
func (d *notifyDispatch) recordBatch(batch []dispatchResult) {
	var err error
	for try := range 3 {
		if try > 0 {
			time.Sleep(time.Duration(try) * 200 * time.Millisecond)
		}
		ctx, cancel := context.WithTimeout(context.Background(), d.a.notifier().cfg.SendTimeout)
		err = d.a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error { return d.a.recordOutcomes(ctx, tx, batch) })
		cancel()
		if err == nil {
			return
		}
	}
	d.a.log.LogAttrs(context.Background(), slog.LevelError, "notify: cannot record delivery outcomes; the redrive will resend them after their lease",
		slog.Int("deliveries", len(batch)), slog.Any("error", err))
}

// recordOutcomes records attempts' outcomes in tx, each under its claim's
// token: a retry gets its scheduled job, and each recorded attempt its
// audit event. An outcome whose claim was lost (its lease ended and
// another worker claimed the delivery) is logged and not recorded.
func (a *App) recordOutcomes(ctx context.Context, tx *store.Tx, rs []dispatchResult) error {
	items := make([]store.DeliveryRecordItem, len(rs))
	for i, r := range rs {
		items[i] = store.DeliveryRecordItem{ID: r.d.ID, Token: r.d.LeaseToken, Outcome: r.out}
	}
	done, err := tx.DeliveryRecordMany(ctx, items)
	if err != nil {
		return err
	}
	recorded := make(map[string]bool, len(done))
	for _, id := range done {
		recorded[id] = true
	}
	for _, r := range rs {
		if !recorded[r.d.ID] {
			a.log.LogAttrs(ctx, slog.LevelWarn, "notify: claim lost before recording; another worker owns the delivery", slog.String("delivery", r.d.ID))
			continue
		}
		if err := a.afterRecord(ctx, tx, r.d, r.no, r.out); err != nil {
			return err
		}
	}
	return nil
}

// afterRecord finishes a recorded attempt in its transaction: a retry's
// scheduled job and the attempt's audit event.
func (a *App) afterRecord(ctx context.Context, tx *store.Tx, d store.Delivery, no store.Notification, out store.DeliveryOutcome) error {
	action := "notify.delivery_" + out.Status
	if out.Status == string(notify.StatusQueued) {
		action = "notify.delivery_retry"
		if err := a.jobs.Enqueue(ctx, tx.SQL(), jobs.NotifyArgs{DeliveryID: d.ID}, &river.InsertOpts{ScheduledAt: out.NextAttemptAt}); err != nil {
			return err
		}
	}
	return a.Audit(ctx, tx, AuditEntry{Action: action, SubjectType: "notify_delivery", SubjectID: d.ID, Data: map[string]any{
		"notification": no.ID, "channel": d.Channel, "attempt": d.Attempts, "provider": out.Provider,
		"provider_message_id": out.ProviderMessageID, "message_key": d.MessageKey, "reason": out.Reason}})
}

// NotifyPending is how many email and SMS deliveries this instance's
// commits handed to the dispatcher (ADR 22) that are not yet sent and
// recorded, or given up to their lease. Zero when the App is not started.
// The benchmark waits for it, so that a checkout's measured time includes
// its notices.
func (a *App) NotifyPending() int64 {
	if d := a.dispatch.Load(); d != nil {
		return d.pending.Load()
	}
	return 0
}

// stop stops taking deliveries and waits, until ctx ends, for those
// queued to be sent and every outcome to be recorded. What is still
// queued when ctx ends is not sent: it stays leased, for the redrive.
func (d *notifyDispatch) stop(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	close(d.queue)
	d.mu.Unlock()
	sent := make(chan struct{})
	go func() { d.senders.Wait(); close(d.results); close(sent) }()
	select {
	case <-sent:
	case <-ctx.Done():
		d.cancel() // in-flight sends end; the rest are skipped
		<-sent
	}
	<-d.done
	d.cancel()
	return ctx.Err()
}
