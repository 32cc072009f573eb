package storetest

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// runNotify is the notification outbox's part of the conformance suite.
func runNotify(t *testing.T, h Harness) {
	t.Run("ClaimIsExclusive", func(t *testing.T) { t.Parallel(); testNotifyClaimExclusive(t, h.New(t)) })
	t.Run("ExpiredLeaseIsReclaimed", func(t *testing.T) { t.Parallel(); testNotifyLease(t, h.New(t)) })
	t.Run("InsertedClaimedRecordMany", func(t *testing.T) { t.Parallel(); testNotifyInsertedClaimed(t, h.New(t)) })
	t.Run("FirstDeliveryIsKept", func(t *testing.T) { t.Parallel(); testNotifyFirstDelivery(t, h.New(t)) })
	t.Run("OneDeliveryPerChannel", func(t *testing.T) { t.Parallel(); testNotifyOnePerChannel(t, h.New(t)) })
	t.Run("OnlyMarketingOptOut", func(t *testing.T) { t.Parallel(); testNotifyOptOut(t, h.New(t)) })
	t.Run("InboxReadUnread", func(t *testing.T) { t.Parallel(); testNotifyInbox(t, h.New(t)) })
	t.Run("SandboxSMSOutbox", func(t *testing.T) { t.Parallel(); testNotifySandboxSMS(t, h.New(t)) })
}

// NotifyFixture writes a notification with one delivery per channel
// (status queued, due now) and returns the delivery ids by channel.
func NotifyFixture(t testing.TB, db *store.DB, channels ...string) (notificationID string, deliveries map[string]string) {
	t.Helper()
	now := time.Now()
	notificationID = id.NewAt(now)
	deliveries = map[string]string{}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.NotificationInsert(ctx, store.Notification{ID: notificationID, Event: "refund.decided", Category: "legal", Lang: "zh-CN",
			AccountID: "acct-1", SubjectType: "refund", SubjectID: "RF-1", Vars: []byte{1, 2, 3}, CreatedAt: tx.Now}); err != nil {
			return err
		}
		for _, ch := range channels {
			did := id.NewAt(now)
			deliveries[ch] = did
			if err := tx.DeliveryInsert(ctx, store.Delivery{ID: did, NotificationID: notificationID, Channel: ch, Address: []byte("sealed"),
				AddressIndex: []byte("idx-" + ch), AddressMasked: "138****5678", Status: "queued", MessageKey: "key-" + did,
				NextAttemptAt: now.Add(-time.Second), CreatedAt: tx.Now}); err != nil {
				return err
			}
		}
		return nil
	})
	return notificationID, deliveries
}

func claim(t testing.TB, db *store.DB, did, token string, wall time.Time, lease time.Duration) (store.Delivery, bool) {
	t.Helper()
	var d store.Delivery
	var ok bool
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		d, _, ok, err = tx.DeliveryClaim(ctx, did, token, wall, lease)
		return err
	})
	return d, ok
}

func record(t testing.TB, db *store.DB, did, token string, o store.DeliveryOutcome) bool {
	t.Helper()
	var ok bool
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		ok, err = tx.DeliveryRecord(ctx, did, token, o)
		return err
	})
	return ok
}

func delivery(t testing.TB, db *store.DB, did string) store.DeliveryView {
	t.Helper()
	got, err := db.Deliveries(context.Background(), store.DeliveryFilter{ID: did})
	if err != nil || len(got) != 1 {
		t.Fatalf("delivery %s: %v, %v", did, got, err)
	}
	return got[0]
}

func testNotifyClaimExclusive(t *testing.T, db *store.DB) {
	_, ds := NotifyFixture(t, db, "email")
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ok := claim(t, db, ds["email"], id.New(), time.Now(), time.Minute)
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Fatalf("%d concurrent claims won, want exactly 1", wins)
	}
	if d := delivery(t, db, ds["email"]); d.Attempts != 1 || d.Event != "refund.decided" || d.SubjectID != "RF-1" {
		t.Errorf("after the claim: %+v", d)
	}
}

func testNotifyLease(t *testing.T, db *store.DB) {
	_, ds := NotifyFixture(t, db, "sms")
	did := ds["sms"]
	wall := time.Now()
	d, ok := claim(t, db, did, "first", wall, time.Minute)
	if !ok || d.Attempts != 1 || d.MessageKey != "key-"+did || !bytes.Equal(d.Address, []byte("sealed")) {
		t.Fatalf("first claim = %+v, %v", d, ok)
	}
	if _, ok := claim(t, db, did, "second", wall.Add(30*time.Second), time.Minute); ok {
		t.Fatal("claimed while another worker's lease holds")
	}
	// The first worker "crashed" after sending: its lease expires.
	d, ok = claim(t, db, did, "second", wall.Add(61*time.Second), time.Minute)
	if !ok || d.Attempts != 2 || d.MessageKey != "key-"+did {
		t.Fatalf("reclaim after expiry = %+v, %v (the message key must not change)", d, ok)
	}
	if record(t, db, did, "first", store.DeliveryOutcome{Status: "delivered"}) {
		t.Fatal("a stale claim recorded an outcome")
	}
	if !record(t, db, did, "second", store.DeliveryOutcome{Status: "delivered", Provider: "aliyun", ProviderMessageID: "biz-1"}) {
		t.Fatal("the live claim could not record")
	}
	if _, ok := claim(t, db, did, "third", wall.Add(time.Hour), time.Minute); ok {
		t.Fatal("a delivered delivery was claimed again")
	}
	// A retry is not due before its time.
	_, ds2 := NotifyFixture(t, db, "email")
	claim(t, db, ds2["email"], "a", wall, time.Minute)
	record(t, db, ds2["email"], "a", store.DeliveryOutcome{Status: "queued", Reason: "451 try later", NextAttemptAt: wall.Add(time.Hour)})
	if _, ok := claim(t, db, ds2["email"], "b", wall.Add(time.Minute), time.Minute); ok {
		t.Fatal("claimed before next_attempt_at")
	}
	due, err := db.DeliveriesDue(context.Background(), wall.Add(2*time.Hour), 10)
	if err != nil || len(due) != 1 || due[0] != ds2["email"] {
		t.Fatalf("due = %v, %v", due, err)
	}
	if _, ok := claim(t, db, ds2["email"], "b", wall.Add(2*time.Hour), time.Minute); !ok {
		t.Fatal("not claimable when due")
	}
}

func testNotifyFirstDelivery(t *testing.T, db *store.DB) {
	at := time.Date(2026, 6, 1, 8, 0, 0, 0, time.UTC)
	clk := &movable{t: at}
	db.SetClock(clk)
	_, ds := NotifyFixture(t, db, "email", "sms")
	wall := time.Now()
	claim(t, db, ds["sms"], "s", wall, time.Minute)
	record(t, db, ds["sms"], "s", store.DeliveryOutcome{Status: "delivered", ProviderMessageID: "p"})
	claim(t, db, ds["email"], "e", wall, time.Minute)
	record(t, db, ds["email"], "e", store.DeliveryOutcome{Status: "sent"})
	if d := delivery(t, db, ds["email"]); d.Status != "sent" || !d.SentAt.Equal(at) || !d.FirstDeliveredAt.IsZero() {
		t.Fatalf("sent email = %+v", d)
	}
	clk.t = at.Add(time.Hour)
	var settled []string
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		settled, err = tx.DeliverySettle(ctx, at.Add(30*time.Minute), 100)
		return err
	})
	if len(settled) != 1 || settled[0] != ds["email"] {
		t.Fatalf("settled = %v", settled)
	}
	for ch, did := range ds {
		d := delivery(t, db, did)
		if d.Status != "delivered" || !d.FirstDeliveredAt.Equal(at) || !d.DeliveredAt.Equal(at) {
			t.Errorf("%s: %+v, want delivered with first delivery at the sending instant", ch, d)
		}
	}
	var bounced bool
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		_, bounced, err = tx.DeliveryBounce(ctx, "key-"+ds["email"], "550 5.1.1 user unknown")
		return err
	})
	if d := delivery(t, db, ds["email"]); !bounced || d.Status != "bounced" || d.Reason != "550 5.1.1 user unknown" || !d.BouncedAt.Equal(clk.t) {
		t.Fatalf("after bounce: %+v", d)
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		_, bounced, err = tx.DeliveryBounce(ctx, "key-"+ds["sms"], "x")
		return err
	})
	if bounced {
		t.Error("an SMS bounced by message key")
	}
}

type movable struct{ t time.Time }

func (m *movable) Now() time.Time { return m.t }

func testNotifyOnePerChannel(t *testing.T, db *store.DB) {
	nid, _ := NotifyFixture(t, db, "email")
	err := db.InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		return tx.DeliveryInsert(ctx, store.Delivery{ID: id.New(), NotificationID: nid, Channel: "email", Status: "queued", MessageKey: id.New(), CreatedAt: tx.Now})
	})
	if !errors.Is(err, errs.ErrDuplicate) {
		t.Fatalf("second email delivery: %v, want ErrDuplicate", err)
	}
}

func testNotifyOptOut(t *testing.T, db *store.DB) {
	ctx := context.Background()
	var changed bool
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		changed, err = tx.OptOutSet(ctx, "acct-1", "marketing", "sms", true)
		return err
	})
	if !changed {
		t.Fatal("opt-out not recorded")
	}
	err := db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.OptOutSet(ctx, "acct-1", "legal", "sms", true)
		return err
	})
	if err == nil {
		t.Fatal("the store accepted an opt-out of legal notices")
	}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		got, err := tx.OptOuts(ctx, "acct-1")
		if err != nil || len(got) != 1 || len(got["marketing"]) != 1 || got["marketing"][0] != "sms" {
			t.Errorf("opt-outs = %v, %v", got, err)
		}
		if again, err := tx.OptOutSet(ctx, "acct-1", "marketing", "sms", true); again || err != nil {
			t.Errorf("repeated opt-out changed=%v err=%v", again, err)
		}
		removed, err := tx.OptOutSet(ctx, "acct-1", "marketing", "sms", false)
		if !removed || err != nil {
			t.Errorf("opt back in: %v %v", removed, err)
		}
		return nil
	})
}

func testNotifyInbox(t *testing.T, db *store.DB) {
	ctx := context.Background()
	nid, _ := NotifyFixture(t, db)
	nid2, _ := NotifyFixture(t, db)
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		for _, n := range []string{nid, nid2} {
			if err := tx.InboxInsert(ctx, store.InboxItem{NotificationID: n, AccountID: "acct-1", Event: "refund.decided", Title: "标题", Body: "正文", CreatedAt: tx.Now}); err != nil {
				return err
			}
		}
		return nil
	})
	if n, err := db.InboxUnread(ctx, "acct-1"); err != nil || n != 2 {
		t.Fatalf("unread = %d, %v", n, err)
	}
	var changed bool
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if other, err := tx.InboxMarkRead(ctx, "acct-2", nid); other || err != nil {
			t.Errorf("another account marked the item read: %v %v", other, err)
		}
		var err error
		changed, err = tx.InboxMarkRead(ctx, "acct-1", nid)
		return err
	})
	items, err := db.Inbox(ctx, "acct-1", true, 10)
	if !changed || err != nil || len(items) != 1 || items[0].NotificationID != nid2 || items[0].Title != "标题" {
		t.Fatalf("unread items = %+v, %v", items, err)
	}
	all, _ := db.Inbox(ctx, "acct-1", false, 10)
	if len(all) != 2 {
		t.Fatalf("all items = %d", len(all))
	}
}

func testNotifySandboxSMS(t *testing.T, db *store.DB) {
	ctx := context.Background()
	for i, idx := range [][]byte{{1}, {2}, {1}} {
		mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
			return tx.SandboxSMSInsert(ctx, store.SandboxSMS{ID: id.New(), Provider: "aliyun", Phone: []byte("sealed"), PhoneIndex: idx,
				PhoneMasked: "138****5678", TemplateCode: "YX", Params: `[]`, Text: "验证码", IdempotencyKey: "k", ProviderMessageID: "b",
				ReceivedAt: time.Now().Add(time.Duration(i) * time.Second)})
		})
	}
	all, err := db.SandboxSMSList(ctx, nil, 10)
	if err != nil || len(all) != 3 {
		t.Fatalf("all = %d, %v", len(all), err)
	}
	one, err := db.SandboxSMSList(ctx, []byte{1}, 10)
	if err != nil || len(one) != 2 || !one[0].ReceivedAt.After(one[1].ReceivedAt) {
		t.Fatalf("by phone = %+v, %v", one, err)
	}
}

// testNotifyInsertedClaimed: a delivery inserted with a lease (the
// dispatcher's first attempt, ADR 22) is held by its writer until the
// lease ends; DeliveryRecordMany records, in one statement, exactly the
// outcomes whose token still holds, each with its own status and times.
func testNotifyInsertedClaimed(t *testing.T, db *store.DB) {
	wall := time.Now()
	nid := id.NewAt(wall)
	ids := []string{id.NewAt(wall), id.NewAt(wall), id.NewAt(wall)}
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.NotificationInsert(ctx, store.Notification{ID: nid, Event: "refund.decided", Category: "legal", Lang: "zh-CN",
			Vars: []byte{1}, CreatedAt: tx.Now}); err != nil {
			return err
		}
		var ds []store.Delivery
		for i, ch := range []string{"email", "sms", "inapp"} {
			ds = append(ds, store.Delivery{ID: ids[i], NotificationID: nid, Channel: ch, Address: []byte("sealed"), Status: "queued",
				Attempts: 1, MessageKey: "key-" + ids[i], NextAttemptAt: time.UnixMilli(0), CreatedAt: tx.Now,
				LeaseUntil: wall.Add(time.Minute), LeaseToken: "tok-" + ids[i]})
		}
		return tx.DeliveryInsert(ctx, ds...)
	})
	if _, ok := claim(t, db, ids[0], "river", wall.Add(30*time.Second), time.Minute); ok {
		t.Fatal("a delivery inserted with a lease was claimed while the lease holds")
	}
	if got := delivery(t, db, ids[0]); got.Attempts != 1 || got.LeaseUntil.UnixMilli() != wall.Add(time.Minute).UnixMilli() {
		t.Fatalf("inserted claimed delivery = %+v", got)
	}
	var done []string
	mustTx(t, db, func(ctx context.Context, tx *store.Tx) error {
		var err error
		done, err = tx.DeliveryRecordMany(ctx, []store.DeliveryRecordItem{
			{ID: ids[0], Token: "tok-" + ids[0], Outcome: store.DeliveryOutcome{Status: "sent", Provider: "smtp", ProviderMessageID: "<m1>"}},
			{ID: ids[1], Token: "stale", Outcome: store.DeliveryOutcome{Status: "delivered"}},
			{ID: ids[2], Token: "tok-" + ids[2], Outcome: store.DeliveryOutcome{Status: "queued", Reason: "451 later", NextAttemptAt: wall.Add(time.Hour)}},
		})
		return err
	})
	if len(done) != 2 || !(done[0] == ids[0] && done[1] == ids[2] || done[0] == ids[2] && done[1] == ids[0]) {
		t.Fatalf("recorded %v, want %s and %s (not the stale token's %s)", done, ids[0], ids[2], ids[1])
	}
	sent, held, retry := delivery(t, db, ids[0]), delivery(t, db, ids[1]), delivery(t, db, ids[2])
	if sent.Status != "sent" || sent.Provider != "smtp" || sent.ProviderMessageID != "<m1>" || sent.SentAt.IsZero() || !sent.DeliveredAt.IsZero() ||
		!sent.LeaseUntil.IsZero() {
		t.Errorf("sent outcome recorded as %+v", sent)
	}
	if held.Status != "queued" || held.LeaseUntil.IsZero() {
		t.Errorf("the stale token's delivery changed: %+v", held)
	}
	if retry.Status != "queued" || retry.Reason != "451 later" || retry.NextAttemptAt.UnixMilli() != wall.Add(time.Hour).UnixMilli() ||
		!retry.LeaseUntil.IsZero() || !retry.SentAt.IsZero() {
		t.Errorf("retry outcome recorded as %+v", retry)
	}
	// Once its lease has ended, the held delivery is anyone's again.
	if _, ok := claim(t, db, ids[1], "river", wall.Add(61*time.Second), time.Minute); !ok {
		t.Error("a delivery inserted with a lease was not claimable after the lease ended")
	}
}
