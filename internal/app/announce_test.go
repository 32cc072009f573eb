package app_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/announce"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/notify"
	"yuanxu/internal/store"
)

// announceSUT is a commerce app with an operations officer and two
// customers: one with a Nanchang cloud server (cs-nc-bw), one with a VPN
// line only.
type announceSUT struct {
	commerceSUT
	ops          account.Principal
	a1, a2       account.Principal
	id1, id2     string
	svc1, svcVPN app.ServiceView
}

func newAnnounceApp(t *testing.T) announceSUT {
	t.Helper()
	s := announceSUT{commerceSUT: newCommerceApp(t)}
	s.ops = s.staff(t, nil, "ops", account.RoleOperations)
	r1, p1 := s.buyer(t, 100000)
	r2, p2 := s.buyer(t, 100000)
	s.a1, s.a2, s.id1, s.id2 = p1, p2, r1.view.ID, r2.view.ID
	s.svc1 = s.buyService(t, p1, "cs-nc-bw", "s1")
	s.svcVPN = s.buyService(t, p2, "vpn-domestic", "v10")
	return s
}

func (s announceSUT) window(t *testing.T, startIn time.Duration, emergency bool) app.WindowView {
	t.Helper()
	now := s.clock.Now()
	w, err := s.a.ScheduleWindow(context.Background(), s.ops, app.WindowInput{TitleZh: "交换机升级", TitleEn: "Switch upgrade",
		Products: []string{"cs-nc-bw"}, Start: now.Add(startIn), End: now.Add(startIn + 2*time.Hour), Emergency: emergency})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// deliver marks the window notice's delivery on ch as delivered at at
// (zero: failed), as the delivery workers would.
func (s announceSUT) deliver(t *testing.T, windowID, accountID, ch string, at time.Time) {
	t.Helper()
	ns, err := store.Notices(context.Background(), s.a.DB(), windowID, accountID)
	if err != nil || len(ns) != 1 {
		t.Fatalf("notices: %v %v", ns, err)
	}
	status, first := "delivered", store.NullMs(at)
	if at.IsZero() {
		status = "failed"
	}
	err = s.a.DB().InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE notify_delivery SET status = $1, first_delivered_at_ms = $2, delivered_at_ms = $2 WHERE notification_id = $3
 AND channel = $4`, status, first, ns[0].NotificationID, ch)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (s announceSUT) reach(t *testing.T, windowID string) app.ReachView {
	t.Helper()
	d, err := s.a.MaintenanceWindow(context.Background(), s.ops, windowID)
	if err != nil || len(d.Reach) != 1 || d.Reach[0].AccountID != s.id1 {
		t.Fatalf("reach: %+v %v", d, err)
	}
	return d.Reach[0]
}

func TestMaintenanceNoticeHoursFromTheDeliveryLog(t *testing.T) {
	t.Parallel()
	s := newAnnounceApp(t)
	start := 100 * time.Hour
	for _, c := range []struct {
		name       string
		email, sms time.Duration // delivered this long after publication; <0: failed; 0: never
		want       bool
	}{
		{"email exactly at the boundary", 28 * time.Hour, 0, true},
		{"email one second short", 28*time.Hour + time.Second, 0, false},
		{"email failed, SMS in time", -1, time.Minute, true},
		{"inbox only", 0, 0, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := s.window(t, start, false)
			pub := s.clock.Now()
			for ch, d := range map[string]time.Duration{"email": c.email, "sms": c.sms} {
				switch {
				case d < 0:
					s.deliver(t, w.ID, s.id1, ch, time.Time{})
				case d > 0:
					s.deliver(t, w.ID, s.id1, ch, pub.Add(d))
				}
			}
			r := s.reach(t, w.ID)
			if r.Notified != c.want || r.NoticeHours != 72 || !r.NoticeBy.Equal(w.Start.Add(-72*time.Hour)) {
				t.Fatalf("reach = %+v, want notified %v", r, c.want)
			}
		})
	}
}

func TestMaintenanceWindowBadInputAndEmergency(t *testing.T) {
	t.Parallel()
	s := newAnnounceApp(t)
	ctx := context.Background()
	now := s.clock.Now()
	for _, c := range []struct {
		name        string
		start, end  time.Duration
		field, rule string
	}{
		{"in the past", -time.Hour, time.Hour, "body.start", "in_future"},
		{"end before start", 100 * time.Hour, 99 * time.Hour, "body.end", "after_start"},
		{"notice shorter than policy", 71 * time.Hour, 73 * time.Hour, "body.start", "notice_too_short"},
	} {
		_, err := s.a.ScheduleWindow(ctx, s.ops, app.WindowInput{TitleZh: "维护", TitleEn: "Maintenance", Products: []string{"cs-nc-bw"},
			Start: now.Add(c.start), End: now.Add(c.end)})
		var e *errs.Error
		if !errors.As(err, &e) || e.Code != announce.CodeWindowInvalid || !hasFieldRule(e, c.field, c.rule) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	if _, err := s.a.ScheduleWindow(ctx, s.a1, app.WindowInput{TitleZh: "x", TitleEn: "x", Products: []string{"cs-nc-bw"},
		Start: now.Add(100 * time.Hour), End: now.Add(101 * time.Hour)}); errs.KindOf(err) != errs.Forbidden {
		t.Errorf("a customer scheduled a window: %v", err)
	}
	// Emergency: accepted with short notice, flagged, never notified.
	w := s.window(t, time.Hour, true)
	if !w.Emergency || w.NoticeHours != 72 {
		t.Fatalf("emergency window = %+v", w)
	}
	s.deliver(t, w.ID, s.id1, "email", now)
	if s.reach(t, w.ID).Notified {
		t.Error("emergency work counted as notified")
	}
	if n := s.notices(t, s.id1, notify.EventMaintenance); n != 1 {
		t.Errorf("%d notices to the affected customer", n)
	}
	if n := s.notices(t, s.id2, notify.EventMaintenance); n != 0 {
		t.Errorf("%d notices to an unaffected customer", n)
	}
}

func hasFieldRule(e *errs.Error, field, rule string) bool {
	for _, f := range e.Fields {
		if f.Field == field && f.Rule == rule {
			return true
		}
	}
	return false
}

func TestAffectedWindowsRemindersAndUpdates(t *testing.T) {
	t.Parallel()
	s := newAnnounceApp(t)
	ctx := context.Background()
	w := s.window(t, 100*time.Hour, false)
	got, err := s.a.AffectedWindows(ctx, s.a1, "")
	if err != nil || len(got) != 1 || got[0].Window.ID != w.ID || len(got[0].Services) != 1 || got[0].Services[0] != s.svc1.ID {
		t.Fatalf("affected = %+v %v", got, err)
	}
	if got, err := s.a.AffectedWindows(ctx, s.a2, ""); err != nil || len(got) != 0 {
		t.Fatalf("unaffected customer sees %+v %v", got, err)
	}
	if _, err := s.a.AffectedWindows(ctx, s.a2, s.id1); errs.KindOf(err) != errs.NotFound {
		t.Fatalf("another customer's list: %v", err)
	}
	// The reminder goes once, a day before the start.
	s.sweepTo(t, w.Start.Add(-25*time.Hour))
	if n := s.notices(t, s.id1, notify.EventMaintenanceUpdate); n != 0 {
		t.Fatalf("%d reminders too early", n)
	}
	s.sweepTo(t, w.Start.Add(-24*time.Hour))
	s.sweepTo(t, w.Start.Add(-23*time.Hour))
	if n := s.notices(t, s.id1, notify.EventMaintenanceUpdate); n != 1 {
		t.Fatalf("%d reminders", n)
	}
	s.sweepTo(t, w.Start)
	for _, act := range []app.WindowAction{{Action: "start"}, {Action: "extend", End: w.End.Add(time.Hour)}, {Action: "complete"}} {
		if _, err := s.a.ActOnWindow(ctx, s.ops, w.ID, act); err != nil {
			t.Fatalf("%s: %v", act.Action, err)
		}
	}
	if n := s.notices(t, s.id1, notify.EventMaintenanceUpdate); n != 4 {
		t.Fatalf("%d updates", n)
	}
	if _, err := s.a.ActOnWindow(ctx, s.ops, w.ID, app.WindowAction{Action: "start"}); errs.CodeOf(err) != "announce.bad_transition" {
		t.Fatalf("restart of a completed window: %v", err)
	}
	if got, _ := s.a.AffectedWindows(ctx, s.a1, ""); len(got) != 0 {
		t.Fatalf("completed window still shown: %+v", got)
	}
}

func TestIncidentExemptionsPerCauseAndTermExtension(t *testing.T) {
	t.Parallel()
	down := 90 * time.Minute
	for _, c := range []struct {
		cause    announce.Cause
		notified bool // the maintenance notice reached the customer in time
		extended bool
		clause   string
	}{
		{announce.CauseForceMajeure, false, false, "7.1"},
		{announce.CauseCustomer, false, false, "7.2"},
		{announce.CauseThirdParty, false, false, "7.4"},
		{announce.CauseProviderFault, false, true, "7"},
		{announce.CauseMaintenanceNotice, true, false, "7.3"},
		{announce.CauseMaintenanceNotice, false, true, "7"},
		{announce.CauseMaintenanceNoNotice, true, true, "7"},
	} {
		t.Run(string(c.cause), func(t *testing.T) {
			t.Parallel()
			s := newAnnounceApp(t)
			ctx := context.Background()
			in := app.IncidentInput{TitleZh: "中断", TitleEn: "Outage", Cause: string(c.cause), ServiceIDs: []string{s.svc1.ID}}
			if c.cause == announce.CauseMaintenanceNotice || c.cause == announce.CauseMaintenanceNoNotice {
				w := s.window(t, 100*time.Hour, false)
				if c.notified {
					s.deliver(t, w.ID, s.id1, "sms", s.clock.Now())
				}
				in.WindowID, in.ServiceIDs = w.ID, nil
				s.sweepTo(t, w.Start)
			}
			in.StartedAt = s.clock.Now()
			inc, err := s.a.OpenIncident(ctx, s.ops, in)
			if err != nil || len(inc.Services) != 1 {
				t.Fatalf("open: %+v %v", inc, err)
			}
			before, _ := s.a.Service(ctx, s.a1, s.svc1.ID)
			s.clock.Advance(down)
			inc, err = s.a.ResolveIncident(ctx, s.ops, inc.ID, app.ResolveInput{})
			if err != nil {
				t.Fatal(err)
			}
			d := inc.Services[0]
			after, _ := s.a.Service(ctx, s.a1, s.svc1.ID)
			ext := after.ExpiresAt.Sub(before.ExpiresAt)
			if !d.Decided || d.Exempt == c.extended || d.Clause != c.clause || (c.extended && ext != down) || (!c.extended && ext != 0) {
				t.Fatalf("decision %+v, term moved by %v", d, ext)
			}
			if c.extended && after.Events[len(after.Events)-1].Reason != "outage" {
				t.Errorf("history: %+v", after.Events)
			}
			if n := s.notices(t, s.id1, notify.EventOutageDecided); n != 1 {
				t.Errorf("%d outcome notices", n)
			}
			mine, err := s.a.CustomerIncidents(ctx, s.a1, "")
			if err != nil || len(mine) != 1 {
				t.Errorf("customer incidents %+v %v", mine, err)
			}
			if _, err := s.a.CustomerIncidents(ctx, s.a2, s.id1); errs.KindOf(err) != errs.NotFound {
				t.Errorf("another customer's incidents: %v", err)
			}
			if _, err := s.a.ResolveIncident(ctx, s.ops, inc.ID, app.ResolveInput{}); errs.CodeOf(err) != "announce.bad_transition" {
				t.Errorf("resolved twice: %v", err)
			}
		})
	}
}

func TestIncidentBadInput(t *testing.T) {
	t.Parallel()
	s := newAnnounceApp(t)
	_, err := s.a.OpenIncident(context.Background(), s.ops, app.IncidentInput{Cause: "act_of_god", StartedAt: s.clock.Now().Add(time.Hour)})
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != app.CodeAnnounceInvalid {
		t.Fatalf("%v", err)
	}
	for _, f := range [][2]string{{"body.title_zh", "required"}, {"body.cause", "enum"}, {"body.started_at", "not_after_now"}, {"body.service_ids", "required"}} {
		if !hasFieldRule(e, f[0], f[1]) {
			t.Errorf("missing %v in %+v", f, e.Fields)
		}
	}
}

func TestAssignmentNoticeObjectionAndProRata(t *testing.T) {
	t.Parallel()
	s := newAnnounceApp(t)
	ctx := context.Background()
	now := s.clock.Now()
	_, err := s.a.CreateAssignment(ctx, s.ops, app.AssignmentInput{Assignee: "受让公司", EffectiveAt: now.AddDate(0, 0, 29)})
	if errs.CodeOf(err) != app.CodeAnnounceInvalid {
		t.Fatalf("29 days' notice accepted: %v", err)
	}
	as, err := s.a.CreateAssignment(ctx, s.ops, app.AssignmentInput{Assignee: "受让公司", EffectiveAt: now.AddDate(0, 0, 30)})
	if err != nil || as.Notified < 2 || as.NoticeDays != 30 {
		t.Fatalf("assignment %+v %v", as, err)
	}
	if n := s.notices(t, s.id2, notify.EventAssignment); n != 1 {
		t.Fatalf("%d assignment notices", n)
	}
	// Ten days into the month-long term, two thirds (rounded up) are owed.
	s.clock.Advance(s.svc1.ExpiresAt.Sub(now) / 3)
	o, err := s.a.ObjectToAssignment(ctx, s.a1, as.ID)
	if err != nil || len(o.Amounts) != 1 || o.Amounts[0].ServiceID != s.svc1.ID {
		t.Fatalf("objection %+v %v", o, err)
	}
	term := s.svc1.ExpiresAt.Sub(s.svc1.ExpiresAt.AddDate(0, -1, 0))
	want := announce.ProRata(3900, s.svc1.ExpiresAt.Add(-term), s.svc1.ExpiresAt, s.clock.Now())
	if o.TotalFen != want || want < 2590 || want > 2610 {
		t.Fatalf("pro rata %d, want %d", o.TotalFen, want)
	}
	// The customer leaves: paid back to the balance it paid from, at once.
	if len(o.Refunds) != 1 || o.Refunds[0].State != app.RefundPaid || o.Refunds[0].AmountFen != want || o.Refunds[0].OrderID != s.svc1.OrderID {
		t.Fatalf("refunds %+v", o.Refunds)
	}
	if sv, err := s.a.Service(ctx, s.a1, s.svc1.ID); err != nil || sv.State != "terminated" {
		t.Fatalf("service after leaving %+v %v", sv, err)
	}
	if r, err := s.a.Refund(ctx, s.a1, o.Refunds[0].ID); err != nil || r.Kind != app.RefundKindAssignment || r.Destination != "original_route" {
		t.Fatalf("refund %+v %v", r, err)
	}
	if _, err := s.a.ObjectToAssignment(ctx, s.a1, as.ID); errs.CodeOf(err) != "announce.already_objected" {
		t.Fatalf("objected twice: %v", err)
	}
	s.clock.Advance(31 * 24 * time.Hour)
	if _, err := s.a.ObjectToAssignment(ctx, s.a2, as.ID); errs.CodeOf(err) != "announce.objection_closed" {
		t.Fatalf("objection after the effective date: %v", err)
	}
	mine, err := s.a.Assignments(ctx, s.a2)
	if err != nil || len(mine) != 1 || len(mine[0].Objections) != 0 {
		t.Fatalf("another customer sees objections: %+v %v", mine, err)
	}
	all, err := s.a.Assignments(ctx, s.ops)
	if err != nil || len(all[0].Objections) != 1 {
		t.Fatalf("staff view %+v %v", all, err)
	}
}

// TestMaintenanceWindowOnNodesReachesTheirCustomersOnly: a window naming a
// node reaches the customers whose services are on it — a cloud server
// metered on node A, a VPN line whose WireGuard peer is on node B — and no
// one else: one notice each, the banner (AffectedWindows) for them only.
// A node that does not exist is refused naming body.nodes.
func TestMaintenanceWindowOnNodesReachesTheirCustomersOnly(t *testing.T) {
	t.Parallel()
	s := newAnnounceApp(t)
	ctx := context.Background()
	for _, n := range []string{"nc-a", "nc-b"} {
		if _, err := s.a.NodeCreate(ctx, s.ops, app.NodeInput{ID: n, Kind: "server", Name: n, Region: "cn-jx-nanchang"}); err != nil {
			t.Fatal(err)
		}
	}
	err := s.a.DB().InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.ServiceMeterSet(ctx, s.svc1.ID, store.ServiceMeter{NodeID: "nc-a"}); err != nil {
			return err
		}
		return tx.PeerInsert(ctx, store.PeerRow{ServiceID: s.svcVPN.ID, NodeID: "nc-b", AccountID: s.id2, PublicKey: "pk-test-" + s.svcVPN.ID,
			AddressV4: "10.8.0.2", CreatedAt: tx.Now})
	})
	if err != nil {
		t.Fatal(err)
	}
	now := s.clock.Now()
	schedule := func(nodes ...string) (app.WindowView, error) {
		return s.a.ScheduleWindow(ctx, s.ops, app.WindowInput{TitleZh: "节点维护", TitleEn: "Node maintenance", Nodes: nodes,
			Start: now.Add(100 * time.Hour), End: now.Add(102 * time.Hour)})
	}
	var e *errs.Error
	if _, err := schedule("nc-a", "nc-zz"); !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "body.nodes" || e.Fields[0].Rule != "unknown" {
		t.Fatalf("unknown node: %v", err)
	}
	for _, c := range []struct {
		node     string
		on, off  account.Principal
		onID     string
		services []string
	}{
		{"nc-a", s.a1, s.a2, s.id1, []string{s.svc1.ID}},
		{"nc-b", s.a2, s.a1, s.id2, []string{s.svcVPN.ID}},
	} {
		w, err := schedule(c.node)
		if err != nil {
			t.Fatal(err)
		}
		d, err := s.a.MaintenanceWindow(ctx, s.ops, w.ID)
		if err != nil || len(d.Reach) != 1 || d.Reach[0].AccountID != c.onID {
			t.Fatalf("%s reach %+v %v", c.node, d.Reach, err)
		}
		banner := func(p account.Principal) []app.CustomerWindow {
			var mine []app.CustomerWindow
			ws, err := s.a.AffectedWindows(ctx, p, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, cw := range ws {
				if cw.Window.ID == w.ID {
					mine = append(mine, cw)
				}
			}
			return mine
		}
		if got := banner(c.on); len(got) != 1 || len(got[0].Services) != 1 || got[0].Services[0] != c.services[0] {
			t.Errorf("%s: affected customer's banner %+v", c.node, got)
		}
		if got := banner(c.off); len(got) != 0 {
			t.Errorf("%s: another customer's banner %+v", c.node, got)
		}
	}
	if n := s.notices(t, s.id1, notify.EventMaintenance); n != 1 {
		t.Errorf("%d maintenance notices to the customer on node A", n)
	}
	if n := s.notices(t, s.id2, notify.EventMaintenance); n != 1 {
		t.Errorf("%d maintenance notices to the customer on node B", n)
	}
}

// TestAssignmentObjectionPaysOnceAndWaitsForAnOpenRefund: an objection
// while a refund request of the same order is open is refund.duplicate and
// changes nothing; once it is withdrawn, eight concurrent objections leave
// exactly one objection, one assignment refund and one refund_to_balance
// transaction, and the balance grows by the pro-rata amount once.
func TestAssignmentObjectionPaysOnceAndWaitsForAnOpenRefund(t *testing.T) {
	t.Parallel()
	s := newAnnounceApp(t)
	ctx := context.Background()
	as, err := s.a.CreateAssignment(ctx, s.ops, app.AssignmentInput{Assignee: "受让公司", EffectiveAt: s.clock.Now().AddDate(0, 0, 31)})
	if err != nil {
		t.Fatal(err)
	}
	rq, err := s.a.RequestRefund(ctx, s.a1, refundIn(s.svc1.OrderID, "balance"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.ObjectToAssignment(ctx, s.a1, as.ID); errs.CodeOf(err) != app.CodeRefundDuplicate {
		t.Fatalf("objection over an open refund: %v", err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM assignment_objection WHERE account_id = $1`, s.id1); n != 0 {
		t.Fatalf("%d objections recorded", n)
	}
	if _, err := s.a.WithdrawRefund(ctx, s.a1, rq.ID); err != nil {
		t.Fatal(err)
	}
	w0, err := s.a.Wallet(ctx, s.a1, s.id1, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	b0 := w0.Balance
	var wg sync.WaitGroup
	var ok atomic.Int32
	var paid atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := s.a.ObjectToAssignment(ctx, s.a1, as.ID)
			switch {
			case err == nil:
				ok.Add(1)
				paid.Store(o.TotalFen)
			case errs.CodeOf(err) != "announce.already_objected":
				t.Errorf("concurrent objection: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || paid.Load() < 3800 {
		t.Fatalf("%d objections succeeded, %d fen", ok.Load(), paid.Load())
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM refund_request WHERE kind = 'assignment' AND order_id = $1`, s.svc1.OrderID); n != 1 {
		t.Errorf("%d assignment refunds", n)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM ledger_txn WHERE reason = 'refund_to_balance' AND links LIKE $1`, "%"+s.svc1.OrderID+"%"); n != 1 {
		t.Errorf("%d refund transactions", n)
	}
	w1, err := s.a.Wallet(ctx, s.a1, s.id1, "", 1)
	if err != nil {
		t.Fatal(err)
	}
	b1 := w1.Balance
	if b1.CashFen+b1.RefundCreditFen-b0.CashFen-b0.RefundCreditFen != paid.Load() {
		t.Errorf("balance %+v → %+v, paid %d", b0, b1, paid.Load())
	}
	if r, err := s.a.LedgerVerify(ctx); err != nil || !r.OK() {
		t.Errorf("ledger %+v %v", r, err)
	}
}

// TestAssignmentRefundOfADiscountedOrder: with a coupon the term cost what
// was paid, so leaving at once refunds exactly what the order captured,
// never the list price.
func TestAssignmentRefundOfADiscountedOrder(t *testing.T) {
	t.Parallel()
	s := newAnnounceApp(t)
	ctx := context.Background()
	_, p := s.buyer(t, 100000)
	v, _, err := s.a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{line("cs-nc-bw", "s1", "month")}, CouponCode: "SERVER20", Agreement: ack()},
		app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if v, err = s.a.PayOrder(ctx, p, v.ID, app.PayRequest{Method: app.MethodBalance}); err != nil || v.PaidFen >= 3900 || v.PaidFen == 0 {
		t.Fatalf("discounted order %+v %v", v, err)
	}
	as, err := s.a.CreateAssignment(ctx, s.ops, app.AssignmentInput{Assignee: "受让公司", EffectiveAt: s.clock.Now().AddDate(0, 0, 31)})
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.a.ObjectToAssignment(ctx, p, as.ID)
	if err != nil || len(o.Refunds) != 1 || o.Refunds[0].AmountFen != v.PaidFen || o.Refunds[0].State != app.RefundPaid {
		t.Fatalf("objection %+v %v (paid %d)", o, err, v.PaidFen)
	}
}
