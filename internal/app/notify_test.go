package app

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/clock"
	"yuanxu/internal/jobs"
	"yuanxu/internal/mailpittest"
	"yuanxu/internal/notify"
	"yuanxu/internal/provider/email"
	"yuanxu/internal/provider/sms/sandbox"
	"yuanxu/internal/store"
	"yuanxu/internal/store/postgres"
	"yuanxu/internal/store/storetest"
)

type nb struct {
	a   *App
	db  *store.DB
	mp  *mailpittest.Server
	sms *SandboxSMS
}

// notifyApp builds an App on db with mailpit and the sandbox SMS provider
// wired in; mod may adjust the configuration.
func notifyApp(t *testing.T, db *store.DB, mp *mailpittest.Server, mod func(*NotifyConfig)) *nb {
	t.Helper()
	sec, err := NewSecrets()
	if err != nil {
		t.Fatal(err)
	}
	return notifyAppWith(t, db, mp, sec, mod)
}

func notifyAppWith(t *testing.T, db *store.DB, mp *mailpittest.Server, sec Secrets, mod func(*NotifyConfig)) *nb {
	t.Helper()
	a, err := New(context.Background(), Config{DB: db, Secrets: sec, Jobs: jobs.Config{PollInterval: 50 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	b := &nb{a: a, db: db, mp: mp}
	b.sms, err = a.StartSandboxSMS("aliyun")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.sms.Close(context.Background()) })
	cfg := NotifyConfig{SMS: b.sms.Sender, SMSCodes: b.sms.Codes, SMSSignName: "元序", MessageIDDomain: "yuanxu.test", Retry: notify.RetryPolicy{Base: 50 * time.Millisecond, Max: time.Second, MaxAttempts: 3}}
	if mp != nil {
		ep, _ := email.ParseURL(mp.SMTPURL("none"))
		if cfg.Email, err = email.New(email.Config{Endpoint: ep, From: "元序 <noreply@yuanxu.test>", Timeout: 5 * time.Second}); err != nil {
			t.Fatal(err)
		}
	}
	if mod != nil {
		mod(&cfg)
	}
	if err := a.ConfigureNotify(cfg); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *nb) startJobs(t *testing.T) {
	t.Helper()
	if err := b.a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = b.a.Stop(ctx)
	})
}

var refundVars = map[string]string{"refund_id": "RF-1", "outcome": "通过", "amount": "¥99.00"}

func (b *nb) notify(t *testing.T, r notify.Request) NotifyReceipt {
	t.Helper()
	var rec NotifyReceipt
	if err := b.db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		var err error
		rec, err = b.a.Notify(ctx, tx, r)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return rec
}

func (b *nb) deliver(t *testing.T, rec NotifyReceipt) {
	t.Helper()
	for ch, did := range rec.Deliveries {
		if ch == notify.InApp {
			continue
		}
		if err := b.a.NotifyDeliver(context.Background(), did); err != nil {
			t.Fatal(err)
		}
	}
}

func (b *nb) delivery(t *testing.T, did string) store.DeliveryView {
	t.Helper()
	ds, err := b.a.NotifyDeliveries(context.Background(), store.DeliveryFilter{ID: did})
	if err != nil || len(ds) != 1 {
		t.Fatalf("delivery %s: %v %v", did, ds, err)
	}
	return ds[0]
}

func (b *nb) smsCount(t *testing.T) []store.SandboxSMS {
	t.Helper()
	got, err := b.a.SandboxSMSMessages(context.Background(), "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestNotifyRollbackWritesNothing(t *testing.T) {
	t.Parallel()
	b := notifyApp(t, storetest.Open(t), nil, nil)
	boom := errors.New("business rule failed")
	err := b.db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		if _, err := b.a.Notify(ctx, tx, notify.Request{Event: notify.EventRefundDecided, Vars: refundVars,
			Recipient: notify.Recipient{AccountID: "acct-1", Email: "a@example.com", Phone: "13812345678"}}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	for _, table := range []string{"notification", "notify_delivery", "notify_inbox"} {
		if n := count(t, b.db, "SELECT COUNT(*) FROM "+table); n != 0 {
			t.Errorf("%s has %d rows after rollback", table, n)
		}
	}
	if n := count(t, b.db, "SELECT COUNT(*) FROM river_job WHERE kind = 'notify.deliver'"); n != 0 {
		t.Errorf("%d delivery jobs after rollback", n)
	}
}

// TestNotifyCommitDeliversEveryChannelInItsLanguage: a committed legal
// notice reaches mailpit (in zh-CN or English), the SMS provider and the
// inbox, with a first-delivery time per notice channel.
func TestNotifyCommitDeliversEveryChannelInItsLanguage(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	b := notifyApp(t, storetest.Open(t), mp, nil)
	ctx := context.Background()
	zh := b.notify(t, notify.Request{Event: notify.EventRefundDecided, Vars: refundVars, Subject: notify.Subject{Type: "refund", ID: "RF-1"},
		Recipient: notify.Recipient{AccountID: "acct-1", Email: "Alice@Example.com", Phone: "+86 138 1234 5678"}})
	en := b.notify(t, notify.Request{Event: notify.EventRefundDecided, Vars: refundVars, Lang: notify.En, Recipient: notify.Recipient{Email: "bob@example.com"}})
	if len(zh.Deliveries) != 3 || len(en.Deliveries) != 2 || en.Skipped[notify.InApp] != "no address" || b.delivery(t, en.Deliveries[notify.SMS]).Reason != "recipient has no phone number" {
		t.Fatalf("receipts: %+v %+v", zh, en)
	}
	if n := count(t, b.db, "SELECT COUNT(*) FROM river_job WHERE kind = 'notify.deliver'"); n != 3 {
		t.Errorf("delivery jobs = %d, want 3 (email, sms; email)", n)
	}
	b.deliver(t, zh)
	b.deliver(t, en)
	msgs := mp.WaitFor(t, 2, 10*time.Second)
	subjects := map[string]mailpittest.Summary{}
	for _, m := range msgs {
		subjects[m.MessageID] = m
	}
	for rec, want := range map[*NotifyReceipt]string{&zh: "退款申请 RF-1 审核结果", &en: "Refund request RF-1: decision"} {
		d := b.delivery(t, rec.Deliveries[notify.Email])
		m, ok := subjects[d.MessageKey]
		if !ok || m.Subject != want || d.Status != "delivered" || d.Provider != "smtp" || d.Attempts != 1 {
			t.Errorf("email %s: delivery %+v, mailpit %+v", want, d, m)
		}
		full := mp.Message(t, m.ID)
		if !strings.Contains(full.Text, "RF-1") || !strings.Contains(full.HTML, "<h1") || full.ListUnsubscribe.Header != "" {
			t.Errorf("email body %+v", full)
		}
	}
	if to := subjects[b.delivery(t, zh.Deliveries[notify.Email]).MessageKey].To[0].Address; to != "alice@example.com" {
		t.Errorf("sent to %q, want the normalized address", to)
	}
	got := b.smsCount(t)
	sd := b.delivery(t, zh.Deliveries[notify.SMS])
	if len(got) != 1 || got[0].IdempotencyKey != sd.MessageKey || got[0].ProviderMessageID != sd.ProviderMessageID || sd.Status != "delivered" ||
		got[0].PhoneMasked != "138****5678" || !strings.Contains(got[0].Text, "【元序】您的退款申请RF-1审核结果：通过") {
		t.Errorf("sms: outbox %+v, delivery %+v", got, sd)
	}
	items, _ := b.a.Inbox(ctx, "acct-1", true, 10)
	if len(items) != 1 || items[0].Title != "退款申请 RF-1 审核结果" {
		t.Errorf("inbox %+v", items)
	}
	notice, err := b.a.NoticeDelivered(ctx, zh.NotificationID)
	if err != nil || len(notice) != 2 || notice[notify.Email].IsZero() || notice[notify.SMS].IsZero() {
		t.Errorf("notice times = %v, %v (the inbox never counts)", notice, err)
	}
	if n := count(t, b.db, "SELECT COUNT(*) FROM audit_event WHERE action = 'notify.delivery_delivered'"); n != 3 {
		t.Errorf("delivered audit events = %d, want 3", n)
	}
	// Personal information is sealed: neither the phone nor the address is stored in the clear.
	if n := count(t, b.db, "SELECT COUNT(*) FROM notify_delivery WHERE address_masked LIKE '%13812345678%' OR address_masked LIKE 'alice@%'"); n != 0 {
		t.Errorf("%d deliveries show an address unmasked", n)
	}
	if _, err := b.a.NotifyDeliveries(ctx, store.DeliveryFilter{SubjectType: "refund", SubjectID: "RF-1"}); err != nil {
		t.Fatal(err)
	}
}

// TestNotifyTwoWorkersDeliverOncePerChannel: two instances on one database,
// each running jobs, with every delivery job enqueued twice: each channel
// is delivered exactly once.
func TestNotifyTwoWorkersDeliverOncePerChannel(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	db1, db2 := twoPools(t)
	sec, _ := NewSecrets()
	b1 := notifyAppWith(t, db1, mp, sec, nil)
	b2 := notifyAppWith(t, db2, mp, sec, func(c *NotifyConfig) { c.SMS, c.SMSCodes = b1.sms.Sender, b1.sms.Codes })
	const k = 6
	var recs []NotifyReceipt
	for i := 0; i < k; i++ {
		rec := b1.notify(t, notify.Request{Event: notify.EventMaintenance, Vars: map[string]string{"start": "01:00", "end": "03:00", "services": "VPN"},
			Recipient: notify.Recipient{Email: "ops@example.com", Phone: "13812345678"}})
		recs = append(recs, rec)
		if err := db2.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
			for _, did := range rec.Deliveries {
				if err := b2.a.jobs.Enqueue(ctx, tx.SQL(), jobs.NotifyArgs{DeliveryID: did}, nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	b1.startJobs(t)
	b2.startJobs(t)
	deadline := time.Now().Add(30 * time.Second)
	for count(t, db1, "SELECT COUNT(*) FROM notify_delivery WHERE status = 'delivered'") < 2*k {
		if time.Now().After(deadline) {
			t.Fatal("deliveries did not finish")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // several poll intervals: a duplicate would show
	msgs := mp.Messages(t)
	ids := map[string]int{}
	for _, m := range msgs {
		ids[m.MessageID]++
	}
	if len(msgs) != k || len(ids) != k {
		t.Errorf("mailpit received %d emails with %d distinct Message-IDs, want %d", len(msgs), len(ids), k)
	}
	if got := b1.smsCount(t); len(got) != k {
		t.Errorf("sms provider received %d messages, want %d", len(got), k)
	}
	if n := count(t, db1, "SELECT COUNT(*) FROM notify_delivery WHERE attempts <> 1"); n != 0 {
		t.Errorf("%d deliveries were attempted more than once", n)
	}
}

func twoPools(t *testing.T) (*store.DB, *store.DB) {
	t.Helper()
	if storetest.Engine() != store.Postgres {
		db := storetest.Open(t)
		return db, db
	}
	url := storetest.NewPostgresDatabase(t)
	var dbs [2]*store.DB
	for i := range dbs {
		db, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 8})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
	}
	return dbs[0], dbs[1]
}

// TestNotifyCrashBetweenSendAndRecord: a worker that dies after the
// provider accepted but before recording leaves the claim to expire; the
// next attempt resends once, with the same Message-ID and idempotency key,
// and records; nothing is sent a third time.
func TestNotifyCrashBetweenSendAndRecord(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	crash := errors.New("process died")
	var mu sync.Mutex
	crashed := map[string]bool{}
	b := notifyApp(t, storetest.Open(t), mp, func(c *NotifyConfig) {
		c.Lease, c.SendTimeout = time.Second, 800*time.Millisecond
		c.afterSend = func(did string) error {
			mu.Lock()
			defer mu.Unlock()
			if !crashed[did] {
				crashed[did] = true
				return crash
			}
			return nil
		}
	})
	ctx := context.Background()
	rec := b.notify(t, notify.Request{Event: notify.EventVerificationCode, Vars: map[string]string{"code": "284913", "minutes": "10"},
		Recipient: notify.Recipient{Email: "c@example.com", Phone: "13812345678"}})
	for _, ch := range []notify.Channel{notify.Email, notify.SMS} {
		did := rec.Deliveries[ch]
		if err := b.a.NotifyDeliver(ctx, did); !errors.Is(err, crash) {
			t.Fatalf("%s: first attempt = %v, want the crash", ch, err)
		}
		if err := b.a.NotifyDeliver(ctx, did); err != nil || b.delivery(t, did).Attempts != 1 {
			t.Fatalf("%s: a second worker claimed while the lease held (%v)", ch, err)
		}
	}
	time.Sleep(1100 * time.Millisecond)
	for _, ch := range []notify.Channel{notify.Email, notify.SMS} {
		did := rec.Deliveries[ch]
		if err := b.a.NotifyDeliver(ctx, did); err != nil {
			t.Fatal(err)
		}
		if d := b.delivery(t, did); d.Status != "delivered" || d.Attempts != 2 {
			t.Fatalf("%s after the resend: %+v", ch, d)
		}
		time.Sleep(1100 * time.Millisecond)
		if err := b.a.NotifyDeliver(ctx, did); err != nil || b.delivery(t, did).Attempts != 2 {
			t.Fatalf("%s: sent a third time (%v)", ch, err)
		}
	}
	key := b.delivery(t, rec.Deliveries[notify.Email]).MessageKey
	msgs := mp.WaitFor(t, 2, 10*time.Second)
	if len(msgs) != 2 || msgs[0].MessageID != key || msgs[1].MessageID != key {
		t.Errorf("mailpit: %+v, want exactly two copies with Message-ID %s", msgs, key)
	}
	smsKey := b.delivery(t, rec.Deliveries[notify.SMS]).MessageKey
	got := b.smsCount(t)
	if len(got) != 2 || got[0].IdempotencyKey != smsKey || got[1].IdempotencyKey != smsKey || !strings.Contains(got[0].Text, "284913") {
		t.Errorf("sms outbox: %+v, want exactly two with idempotency key %s", got, smsKey)
	}
}

// TestNotifyBadInputNeverBlocksTheBusinessTransaction: addresses that do
// not parse become failed deliveries with a reason; the transaction
// commits; a legal notice without an email address says so in the log.
func TestNotifyBadInputNeverBlocksTheBusinessTransaction(t *testing.T) {
	t.Parallel()
	b := notifyApp(t, storetest.Open(t), nil, nil)
	rec := b.notify(t, notify.Request{Event: notify.EventRefundDecided, Vars: refundVars, Recipient: notify.Recipient{Email: "not an address", Phone: "12345"}})
	for ch, want := range map[notify.Channel]string{notify.Email: "invalid email address", notify.SMS: "invalid phone number"} {
		d := b.delivery(t, rec.Deliveries[ch])
		if d.Status != "failed" || !strings.HasPrefix(d.Reason, want) || d.FailedAt.IsZero() || strings.Contains(d.Reason, "12345") {
			t.Errorf("%s: %+v", ch, d)
		}
	}
	if n := count(t, b.db, "SELECT COUNT(*) FROM river_job WHERE kind = 'notify.deliver'"); n != 0 {
		t.Errorf("%d jobs for failed deliveries", n)
	}
	legal := b.notify(t, notify.Request{Event: notify.EventMeasureImposed, Vars: map[string]string{"case_id": "C1", "measure": "ban", "rule": "spam", "evidence": "-", "reason": "spam", "appeal_until": "x", "appeal_how": "x"},
		Recipient: notify.Recipient{Phone: "13812345678"}})
	if d := b.delivery(t, legal.Deliveries[notify.Email]); d.Status != "failed" || d.Reason != "recipient has no email address" {
		t.Errorf("legal notice without email: %+v", d)
	}
	mkt := b.notify(t, notify.Request{Event: notify.EventMarketingNewsletter, Vars: map[string]string{"title": "t", "summary": "s"}, Recipient: notify.Recipient{Phone: "13812345678"}})
	if len(mkt.Deliveries) != 0 || mkt.Skipped[notify.Email] != "no address" {
		t.Errorf("marketing without addresses: %+v", mkt)
	}
	// Caller bugs do fail, so tests catch them.
	err := b.db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		_, err := b.a.Notify(ctx, tx, notify.Request{Event: notify.EventRefundDecided, Vars: map[string]string{"refund_id": "x"}})
		return err
	})
	if !errors.Is(err, notify.ErrVars) {
		t.Errorf("missing vars: %v", err)
	}
}

// TestNotifyProviderRefusals: a permanent SMTP rejection (mailpit chaos)
// and a permanent SMS refusal fail at once; temporary ones retry with
// backoff and fail after the last attempt.
func TestNotifyProviderRefusals(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{Chaos: "Recipient:550:100"})
	b := notifyApp(t, storetest.Open(t), mp, nil)
	faults := map[string]string{"13900000001": "isv.MOBILE_NUMBER_ILLEGAL", "13900000002": "isv.BUSINESS_LIMIT_CONTROL"}
	b.sms.Server.Fault = func(r sandbox.Received) string { return faults[r.Phone] }
	ctx := context.Background()
	req := func(email, phone string) NotifyReceipt {
		return b.notify(t, notify.Request{Event: notify.EventAppealDecided, Vars: map[string]string{"appeal_id": "A1", "outcome": "upheld"}, Recipient: notify.Recipient{Email: email, Phone: phone}})
	}
	perm := req("x@example.com", "13900000001")
	b.deliver(t, perm)
	for ch, want := range map[notify.Channel]string{notify.Email: "refused: smtp 550", notify.SMS: "refused: aliyun sms: isv.MOBILE_NUMBER_ILLEGAL"} {
		if d := b.delivery(t, perm.Deliveries[ch]); d.Status != "failed" || d.Attempts != 1 || !strings.HasPrefix(d.Reason, want) {
			t.Errorf("%s permanent: %+v", ch, d)
		}
	}
	mp.SetChaos(t, mailpittest.Chaos{Recipient: mailpittest.Trigger{ErrorCode: 451, Probability: 100}})
	temp := req("y@example.com", "13900000002")
	for attempt := 1; attempt <= 3; attempt++ {
		for ch, did := range temp.Deliveries {
			if err := b.a.NotifyDeliver(ctx, did); err != nil {
				t.Fatal(err)
			}
			d := b.delivery(t, did)
			want := "queued"
			if attempt == 3 {
				want = "failed"
			}
			if d.Status != want || d.Attempts != attempt {
				t.Fatalf("%s attempt %d: %+v", ch, attempt, d)
			}
			if attempt < 3 && !d.NextAttemptAt.After(time.Now().Add(-time.Second)) {
				t.Errorf("%s: no backoff: next attempt %v", ch, d.NextAttemptAt)
			}
			if attempt == 3 && !strings.HasPrefix(d.Reason, "gave up after 3 attempts") {
				t.Errorf("%s: reason %q", ch, d.Reason)
			}
		}
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
	if n := count(t, b.db, "SELECT COUNT(*) FROM river_job WHERE kind = 'notify.deliver'"); n != 8 {
		t.Errorf("delivery jobs = %d, want 8 (four first attempts, two channels × two scheduled retries)", n)
	}
}

func TestNotifyUnconfiguredChannels(t *testing.T) {
	t.Parallel()
	sec, _ := NewSecrets()
	db := storetest.Open(t)
	a, err := New(context.Background(), Config{DB: db, Secrets: sec})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ConfigureNotify(NotifyConfig{Unconfigured: "the sandbox has no SMTP server"}); err != nil {
		t.Fatal(err)
	}
	b := &nb{a: a, db: db}
	rec := b.notify(t, notify.Request{Event: notify.EventDeliveryCompleted, Vars: map[string]string{"order_id": "O1", "product": "p", "inspection_until": "x"}, Recipient: notify.Recipient{Email: "a@example.com"}})
	b.deliver(t, rec)
	if d := b.delivery(t, rec.Deliveries[notify.Email]); d.Status != "failed" || d.Reason != "not delivered: the sandbox has no SMTP server" {
		t.Errorf("%+v", d)
	}
	// Without Unconfigured (production without SMTP) the delivery waits for configuration.
	a2, _ := New(context.Background(), Config{DB: db, Secrets: sec})
	b2 := &nb{a: a2, db: db}
	rec = b2.notify(t, notify.Request{Event: notify.EventDeliveryCompleted, Vars: map[string]string{"order_id": "O2", "product": "p", "inspection_until": "x"}, Recipient: notify.Recipient{Email: "a@example.com"}})
	b2.deliver(t, rec)
	if d := b2.delivery(t, rec.Deliveries[notify.Email]); d.Status != "queued" || !strings.Contains(d.Reason, "--smtp-url") {
		t.Errorf("%+v", d)
	}
}

func TestNotifyMarketingOptOut(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	b := notifyApp(t, storetest.Open(t), mp, func(c *NotifyConfig) { c.UnsubscribeURL = "https://yuanxu.test/unsubscribe" })
	ctx := context.Background()
	if err := b.a.NotifySetOptOut(ctx, "acct-9", notify.Legal, notify.Email, true); !errors.Is(err, notify.ErrOptOutLegal) {
		t.Fatalf("opting out of legal notices: %v", err)
	}
	news := notify.Request{Event: notify.EventMarketingNewsletter, Vars: map[string]string{"title": "六月新品", "summary": "香港线路"}, Recipient: notify.Recipient{AccountID: "acct-9", Email: "m@example.com"}}
	first := b.notify(t, news)
	b.deliver(t, first)
	msgs := mp.WaitFor(t, 1, 10*time.Second)
	if h := mp.Headers(t, msgs[0].ID)["List-Unsubscribe"]; len(h) != 1 || h[0] != "<https://yuanxu.test/unsubscribe?n="+first.NotificationID+">" {
		t.Errorf("List-Unsubscribe = %v", h)
	}
	if err := b.a.NotifySetOptOut(ctx, "acct-9", notify.Marketing, notify.Email, true); err != nil {
		t.Fatal(err)
	}
	second := b.notify(t, news)
	if _, ok := second.Deliveries[notify.Email]; ok || second.Skipped[notify.Email] != "opted out" || second.Deliveries[notify.InApp] == "" {
		t.Errorf("after opting out: %+v", second)
	}
	legal := b.notify(t, notify.Request{Event: notify.EventAgreementRevised, Vars: map[string]string{"version": "2", "effective_at": "x"}, Recipient: notify.Recipient{AccountID: "acct-9", Email: "m@example.com"}})
	if legal.Deliveries[notify.Email] == "" {
		t.Error("an opt-out of marketing suppressed a legal notice")
	}
	if n, _ := b.a.InboxUnread(ctx, "acct-9"); n != 3 {
		t.Errorf("unread = %d, want 3", n)
	}
	if err := b.a.InboxMarkRead(ctx, "acct-9", legal.NotificationID); err != nil {
		t.Fatal(err)
	}
	if n, _ := b.a.InboxUnread(ctx, "acct-9"); n != 2 {
		t.Errorf("unread after reading one = %d", n)
	}
}

// TestNotifyBounceWindowAndBounce: an accepted email is "sent" until the
// bounce window passes in business time; a bounce afterwards takes it out
// of the notice times.
func TestNotifyBounceWindowAndBounce(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	start := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	clk := clock.NewManual(start)
	db := storetest.Open(t)
	sec, _ := NewSecrets()
	a, err := New(context.Background(), Config{DB: db, Secrets: sec, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	ep, _ := email.ParseURL(mp.SMTPURL("none"))
	ec, _ := email.New(email.Config{Endpoint: ep, From: "noreply@yuanxu.test"})
	if err := a.ConfigureNotify(NotifyConfig{Email: ec, BounceWindow: time.Hour}); err != nil {
		t.Fatal(err)
	}
	b := &nb{a: a, db: db, mp: mp}
	ctx := context.Background()
	rec := b.notify(t, notify.Request{Event: notify.EventAgreementRevised, Vars: map[string]string{"version": "2", "effective_at": "x"}, Recipient: notify.Recipient{Email: "z@example.com"}})
	b.deliver(t, rec)
	did := rec.Deliveries[notify.Email]
	if d := b.delivery(t, did); d.Status != "sent" || !d.SentAt.Equal(start) {
		t.Fatalf("after acceptance: %+v", d)
	}
	if notice, _ := a.NoticeDelivered(ctx, rec.NotificationID); len(notice) != 0 {
		t.Errorf("notice before the bounce window passed: %v", notice)
	}
	clk.Advance(61 * time.Minute)
	if err := a.RunSweeps(ctx); err != nil {
		t.Fatal(err)
	}
	notice, _ := a.NoticeDelivered(ctx, rec.NotificationID)
	if d := b.delivery(t, did); d.Status != "delivered" || !notice[notify.Email].Equal(start) {
		t.Fatalf("after the window: %+v, notice %v", d, notice)
	}
	ok, err := a.NotifyBounce(ctx, "<"+b.delivery(t, did).MessageKey+">", "550 5.1.1 mailbox unknown")
	if err != nil || !ok {
		t.Fatalf("bounce: %v %v", ok, err)
	}
	if notice, _ := a.NoticeDelivered(ctx, rec.NotificationID); len(notice) != 0 {
		t.Errorf("a bounced email still counts as notice: %v", notice)
	}
	if ok, _ := a.NotifyBounce(ctx, "unknown@x", "y"); ok {
		t.Error("bounced an unknown message")
	}
}
