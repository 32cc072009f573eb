package app

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/mailpittest"
	"yuanxu/internal/notify"
	"yuanxu/internal/store"
	"yuanxu/internal/store/storetest"
)

// waitFor polls cond every 20 ms until it holds, failing after 20 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var codeVars = map[string]string{"code": "284913", "minutes": "10"}

// TestNotifyDispatchSendsWhenTheTransactionCommits: on a started instance,
// a committed notice is sent by the dispatcher — no job per delivery, one
// attempt, recorded with its audit event — and a rolled-back one is never
// sent.
func TestNotifyDispatchSendsWhenTheTransactionCommits(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	b := notifyApp(t, storetest.Open(t), mp, nil)
	b.startJobs(t)
	const k = 5
	var recs []NotifyReceipt
	for i := range k {
		recs = append(recs, b.notify(t, notify.Request{Event: notify.EventRefundDecided, Vars: refundVars, Subject: notify.Subject{Type: "refund", ID: "RF-1"},
			Recipient: notify.Recipient{AccountID: "acct-1", Email: "alice@example.com", Phone: "13812345678"}, Lang: []notify.Lang{notify.ZhCN, notify.En}[i%2]}))
	}
	boom := errors.New("rolled back")
	if err := b.db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		if _, err := b.a.Notify(ctx, tx, notify.Request{Event: notify.EventVerificationCode, Vars: codeVars,
			Recipient: notify.Recipient{Email: "never@example.com", Phone: "13900000009"}}); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	// Each commit handed its deliveries over as it committed; once none is
	// pending, every one is recorded (what the benchmark waits for).
	waitFor(t, "the dispatcher idle", func() bool { return b.a.NotifyPending() == 0 })
	if n := count(t, b.db, "SELECT COUNT(*) FROM notify_delivery WHERE status = 'delivered' AND channel <> 'inapp'"); n != 2*k {
		t.Fatalf("nothing pending, but %d of %d deliveries recorded", n, 2*k)
	}
	msgs := mp.WaitFor(t, k, 10*time.Second)
	byID := map[string]bool{}
	for _, m := range msgs {
		byID[m.MessageID] = true
		if m.To[0].Address != "alice@example.com" {
			t.Errorf("mail to %v", m.To)
		}
	}
	for _, rec := range recs {
		for _, ch := range []notify.Channel{notify.Email, notify.SMS} {
			d := b.delivery(t, rec.Deliveries[ch])
			if d.Attempts != 1 || !d.LeaseUntil.IsZero() || d.FirstDeliveredAt.IsZero() {
				t.Errorf("%s: %+v", ch, d)
			}
		}
		if key := b.delivery(t, rec.Deliveries[notify.Email]).MessageKey; !byID[key] {
			t.Errorf("no mail with Message-ID %s", key)
		}
	}
	if n := count(t, b.db, "SELECT COUNT(*) FROM river_job WHERE kind = 'notify.deliver'"); n != 0 {
		t.Errorf("%d delivery jobs; the dispatcher needs none", n)
	}
	if n := count(t, b.db, "SELECT COUNT(*) FROM audit_event WHERE action = 'notify.delivery_delivered'"); n != 2*k {
		t.Errorf("delivered audit events = %d, want %d", n, 2*k)
	}
	if got := b.smsCount(t); len(got) != k {
		t.Errorf("sms provider received %d messages, want %d (none for the rolled-back notice)", len(got), k)
	}
	if n := len(mp.Messages(t)); n != k {
		t.Errorf("mailpit received %d emails, want %d (none for the rolled-back notice)", n, k)
	}
}

// TestNotifyDispatchRetryIsAJob: a first attempt the relay refuses for now
// is recorded as a retry with its scheduled job, which sends it later.
func TestNotifyDispatchRetryIsAJob(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{Chaos: "Recipient:451:100"})
	// The retry comes two seconds later: long enough to look at it before
	// it runs, even under -race.
	b := notifyApp(t, storetest.Open(t), mp, func(c *NotifyConfig) {
		c.Retry = notify.RetryPolicy{Base: 2 * time.Second, Max: 4 * time.Second, MaxAttempts: 3}
	})
	b.startJobs(t)
	rec := b.notify(t, notify.Request{Event: notify.EventVerificationCode, Vars: codeVars, Recipient: notify.Recipient{Email: "later@example.com"}})
	did := rec.Deliveries[notify.Email]
	waitFor(t, "the refused first attempt recorded", func() bool {
		return count(t, b.db, "SELECT COUNT(*) FROM audit_event WHERE action = 'notify.delivery_retry' AND subject_id = $1", did) == 1
	})
	if d := b.delivery(t, did); d.Status != "queued" || d.Attempts != 1 || d.Reason == "" || !d.LeaseUntil.IsZero() {
		t.Fatalf("after the refusal: %+v", d)
	}
	if n := count(t, b.db, "SELECT COUNT(*) FROM river_job WHERE kind = 'notify.deliver'"); n != 1 {
		t.Fatalf("retry jobs = %d, want 1", n)
	}
	mp.SetChaos(t, mailpittest.Chaos{})
	waitFor(t, "the retry delivered", func() bool { return b.delivery(t, did).Status == "delivered" })
	if d := b.delivery(t, did); d.Attempts != 2 {
		t.Errorf("delivered after %d attempts, want 2", d.Attempts)
	}
	if msgs := mp.WaitFor(t, 1, 10*time.Second); len(msgs) != 1 || msgs[0].MessageID != b.delivery(t, did).MessageKey {
		t.Errorf("mailpit: %+v", msgs)
	}
}

// TestNotifyDispatchCrashIsRedriven: an instance that dies between sending
// and recording leaves the delivery under its lease; after the lease the
// redrive's job resends it once, with the same Message-ID and idempotency
// key.
func TestNotifyDispatchCrashIsRedriven(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	var mu sync.Mutex
	crashed := map[string]bool{}
	b := notifyApp(t, storetest.Open(t), mp, func(c *NotifyConfig) {
		c.Lease, c.SendTimeout, c.RedriveAfter = time.Second, 800*time.Millisecond, time.Millisecond
		c.afterSend = func(did string) error {
			mu.Lock()
			defer mu.Unlock()
			if !crashed[did] {
				crashed[did] = true
				return errors.New("process died")
			}
			return nil
		}
	})
	b.startJobs(t)
	rec := b.notify(t, notify.Request{Event: notify.EventVerificationCode, Vars: codeVars, Recipient: notify.Recipient{Email: "c@example.com", Phone: "13812345678"}})
	mp.WaitFor(t, 1, 10*time.Second)
	for _, ch := range []notify.Channel{notify.Email, notify.SMS} {
		if d := b.delivery(t, rec.Deliveries[ch]); d.Status != "queued" || d.Attempts != 1 || d.LeaseUntil.IsZero() {
			t.Fatalf("%s after the crash: %+v", ch, d)
		}
	}
	time.Sleep(1100 * time.Millisecond)
	// The periodic redrive may have got there first: either way each
	// delivery gets a job, and only one claim succeeds.
	if _, err := b.a.NotifyRedrive(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []notify.Channel{notify.Email, notify.SMS} {
		did := rec.Deliveries[ch]
		waitFor(t, string(ch)+" resent", func() bool { return b.delivery(t, did).Status == "delivered" })
		if d := b.delivery(t, did); d.Attempts != 2 {
			t.Errorf("%s: %d attempts, want 2", ch, d.Attempts)
		}
	}
	key := b.delivery(t, rec.Deliveries[notify.Email]).MessageKey
	if msgs := mp.WaitFor(t, 2, 10*time.Second); len(msgs) != 2 || msgs[0].MessageID != key || msgs[1].MessageID != key {
		t.Errorf("mailpit: %+v, want two copies with Message-ID %s", msgs, key)
	}
	smsKey := b.delivery(t, rec.Deliveries[notify.SMS]).MessageKey
	if got := b.smsCount(t); len(got) != 2 || got[0].IdempotencyKey != smsKey || got[1].IdempotencyKey != smsKey {
		t.Errorf("sms outbox: %+v, want two with idempotency key %s", got, smsKey)
	}
}

// TestNotifyDispatchStopDrains: Stop returns once every delivery committed
// before it is sent and recorded; afterwards, deliveries get jobs again.
func TestNotifyDispatchStopDrains(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	b := notifyApp(t, storetest.Open(t), mp, nil)
	if err := b.a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	const k = 20
	for range k {
		b.notify(t, notify.Request{Event: notify.EventVerificationCode, Vars: codeVars, Recipient: notify.Recipient{Email: "d@example.com"}})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := b.a.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, b.db, "SELECT COUNT(*) FROM notify_delivery WHERE status = 'delivered'"); n != k {
		t.Errorf("%d of %d deliveries recorded when Stop returned", n, k)
	}
	after := b.notify(t, notify.Request{Event: notify.EventVerificationCode, Vars: codeVars, Recipient: notify.Recipient{Email: "e@example.com"}})
	if d := b.delivery(t, after.Deliveries[notify.Email]); d.Attempts != 0 || !d.LeaseUntil.IsZero() {
		t.Errorf("a delivery after Stop was claimed: %+v", d)
	}
	if n := count(t, b.db, "SELECT COUNT(*) FROM river_job WHERE kind = 'notify.deliver'"); n != 1 {
		t.Errorf("delivery jobs after Stop = %d, want 1", n)
	}
}
