package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/notify"
	"yuanxu/internal/store/storetest"
	"yuanxu/internal/ticket"
)

var pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{1}, 64)...)

type ticketSUT struct {
	acctSUT
	cust, other account.Principal
	custReg     registered
	staff       account.Principal
	lead        account.Principal
}

// newTicketApp is an App on the sandbox test clock (2026-06-01 09:00 +08,
// a Monday) with two customers, a support agent and a support lead.
func newTicketApp(t *testing.T) ticketSUT {
	t.Helper()
	start := time.Date(2026, 6, 1, 1, 0, 0, 0, time.UTC)
	a, _ := newApp(t, storetest.Open(t), app.Config{Sandbox: true, SandboxStart: start})
	if err := a.ConfigureAccounts(app.AccountConfig{Hash: account.TestParams, HashConcurrency: 4}); err != nil {
		t.Fatal(err)
	}
	s := ticketSUT{acctSUT: acctSUT{a: a}}
	s.custReg = s.register(t, "individual")
	s.cust, _ = s.login(t, s.custReg.email, goodPassword)
	o := s.register(t, "individual")
	s.other, _ = s.login(t, o.email, goodPassword)
	s.staff = s.staffMember(t, account.RoleSupport)
	s.lead = s.staffMember(t, account.RoleSupportLead)
	return s
}

func (s ticketSUT) staffMember(t *testing.T, r account.Role) account.Principal {
	t.Helper()
	email, _ := uniq()
	v, err := s.a.CreateStaff(context.Background(), nil, app.CreateStaffInput{Email: email, DisplayName: "Agent " + string(r), Password: goodPassword, Roles: []account.Role{r}})
	if err != nil {
		t.Fatal(err)
	}
	return account.Principal{AccountID: v.ID, Kind: account.KindStaff, Roles: []account.Role{r}}
}

func (s ticketSUT) open(t *testing.T, p account.Principal, subject string) app.TicketView {
	t.Helper()
	v, err := s.a.TicketCreate(ipCtx("198.51.100.7"), p, app.TicketInput{Subject: subject, Category: "consult", Body: "SSH times out",
		Attachments: []app.AttachmentInput{{Name: "shot.png", Data: pngBytes}}})
	if err != nil {
		t.Fatalf("TicketCreate: %v", err)
	}
	return v
}

func countEvent(t *testing.T, a *app.App, ev notify.Event, ticketID string) int {
	t.Helper()
	return countRows(t, a, `SELECT COUNT(*) FROM notification WHERE event = $1 AND subject_id = $2`, string(ev), ticketID)
}

func TestTicketConversation(t *testing.T) {
	t.Parallel()
	s := newTicketApp(t)
	ctx := context.Background()
	tk := s.open(t, s.cust, "服务器无法连接")
	if tk.State != ticket.StateOpen || len(tk.Messages) != 1 || len(tk.Messages[0].Attachments) != 1 {
		t.Fatalf("opened = %+v", tk)
	}
	if countEvent(t, s.a, notify.EventTicketOpened, tk.ID) != 1 {
		t.Fatal("no ticket.opened notice")
	}
	// Another customer: not found, exactly like a missing ticket.
	for _, err := range []error{
		func() error { _, err := s.a.TicketGet(ctx, s.other, tk.ID); return err }(),
		func() error { _, err := s.a.TicketReply(ctx, s.other, tk.ID, app.ReplyInput{Body: "hi"}); return err }(),
		func() error { _, err := s.a.TicketClose(ctx, s.other, tk.ID); return err }(),
		func() error {
			_, _, err := s.a.TicketAttachment(ctx, s.other, tk.ID, tk.Messages[0].Attachments[0].ID)
			return err
		}(),
	} {
		wantCode(t, err, "ticket.not_found")
	}
	// Staff note: never in the customer's view, never notified.
	if _, err := s.a.TicketAnswer(ctx, s.staff, tk.ID, app.ReplyInput{Body: "INTERNAL: customer on old kernel", Internal: true,
		Attachments: []app.AttachmentInput{{Name: "log.txt", Data: []byte("kernel 3.10")}}}); err != nil {
		t.Fatal(err)
	}
	ans, err := s.a.TicketAnswer(ctx, s.staff, tk.ID, app.ReplyInput{Body: "请重启后再试。"})
	if err != nil {
		t.Fatal(err)
	}
	if ans.State != ticket.StateAnswered || ans.AssigneeID != s.staff.AccountID || !ans.FirstResponse.Met || ans.AutoCloseAt.IsZero() {
		t.Fatalf("answered = %+v", ans)
	}
	cv, err := s.a.TicketGet(ctx, s.cust, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(cv.Messages) != 2 {
		t.Fatalf("customer sees %d messages, want 2 (no note)", len(cv.Messages))
	}
	for _, m := range cv.Messages {
		if m.Internal || strings.Contains(m.Body, "INTERNAL") || len(m.Attachments) > 0 && m.Attachments[0].Filename == "log.txt" {
			t.Fatalf("internal note leaked: %+v", m)
		}
	}
	sv, _ := s.a.TicketGet(ctx, s.staff, tk.ID)
	if len(sv.Messages) != 3 {
		t.Fatalf("staff sees %d messages, want 3", len(sv.Messages))
	}
	noteAtt := sv.Messages[1].Attachments[0].ID
	if _, _, err := s.a.TicketAttachment(ctx, s.cust, tk.ID, noteAtt); !errs.Is(errs.NotFound, err) {
		t.Fatalf("customer read a note's attachment: %v", err)
	}
	if countEvent(t, s.a, notify.EventTicketAnswered, tk.ID) != 1 {
		t.Fatal("answer not notified once")
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM notification WHERE subject_id = $1`, tk.ID); n != 2 {
		t.Fatalf("notifications = %d, want 2 (opened, answered; the note sends none)", n)
	}
	// Customer replies, then closes; replying to a closed ticket is refused.
	rv, err := s.a.TicketReply(ctx, s.cust, tk.ID, app.ReplyInput{Body: "还是不行"})
	if err != nil || rv.State != ticket.StateCustomerReply {
		t.Fatalf("reply = %v, %v", rv.State, err)
	}
	if _, err := s.a.TicketClose(ctx, s.cust, tk.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.TicketReply(ctx, s.cust, tk.ID, app.ReplyInput{Body: "again"})
	wantCode(t, err, "ticket.closed")
	_, err = s.a.TicketAnswer(ctx, s.staff, tk.ID, app.ReplyInput{Body: "again"})
	wantCode(t, err, "ticket.closed")
	if countEvent(t, s.a, notify.EventTicketClosed, tk.ID) != 1 {
		t.Fatal("close not notified")
	}
	// Reopen within the window; not after.
	if v, err := s.a.TicketReopen(ctx, s.cust, tk.ID); err != nil || v.State != ticket.StateCustomerReply {
		t.Fatalf("reopen = %v, %v", v.State, err)
	}
	if _, err := s.a.TicketClose(ctx, s.staff, tk.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.SandboxAdvance(ctx, ticket.ReopenWindow+time.Hour); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.TicketReopen(ctx, s.cust, tk.ID)
	wantCode(t, err, "ticket.reopen_window_passed")
	// Every state change wrote one audit event.
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE subject_type = 'ticket' AND subject_id = $1`, tk.ID); n != 7 {
		t.Fatalf("audit events = %d, want 7", n)
	}
}

func TestTicketBadInput(t *testing.T) {
	t.Parallel()
	s := newTicketApp(t)
	ctx := ipCtx("198.51.100.8")
	cases := []struct {
		name string
		att  app.AttachmentInput
		code string
	}{
		{"exe", app.AttachmentInput{Name: "setup.exe", Data: append([]byte("MZ"), make([]byte, 100)...)}, "ticket.attachment_executable"},
		{"elf renamed", app.AttachmentInput{Name: "photo.png", Data: []byte("\x7fELF\x02\x01\x01")}, "ticket.attachment_executable"},
		{"script name", app.AttachmentInput{Name: "run.bat", Data: []byte("echo hi")}, "ticket.attachment_executable"},
		{"zip", app.AttachmentInput{Name: "logs.zip", Data: []byte("PK\x03\x04....")}, "ticket.attachment_executable"},
		{"binary", app.AttachmentInput{Name: "x.dat", Data: []byte{0, 1, 2, 0xff}}, "ticket.attachment_type"},
		{"oversized", app.AttachmentInput{Name: "big.txt", Data: bytes.Repeat([]byte("a"), ticket.MaxAttachmentBytes+1)}, "ticket.attachment_too_large"},
	}
	for _, c := range cases {
		_, err := s.a.TicketCreate(ctx, s.cust, app.TicketInput{Subject: "x", Category: "consult", Body: "y", Attachments: []app.AttachmentInput{c.att}})
		if errs.CodeOf(err) != c.code {
			t.Errorf("%s: %v, want %s", c.name, err, c.code)
		}
	}
	_, err := s.a.TicketCreate(ctx, s.cust, app.TicketInput{Subject: "x", Category: "nonsense", Priority: "urgent", Body: ""})
	var e *errs.Error
	if !errorsAs(err, &e) || e.Code != "ticket.invalid" || len(e.Fields) != 3 {
		t.Fatalf("invalid ticket: %v", err)
	}
	// Staff cannot open tickets; customers cannot read queues.
	_, err = s.a.TicketCreate(ctx, s.staff, app.TicketInput{Subject: "x", Category: "consult", Body: "y"})
	wantKind(t, err, errs.Forbidden)
	_, _, err = s.a.TicketQueue(ctx, s.cust, app.TicketQueueQuery{})
	wantKind(t, err, errs.Forbidden)
	// L1 support may not reassign; the lead may, and sets urgent.
	tk := s.open(t, s.cust, "p")
	urgent := "urgent"
	_, err = s.a.TicketUpdate(ctx, s.staff, tk.ID, app.TicketUpdateInput{Priority: &urgent})
	wantKind(t, err, errs.Forbidden)
	if v, err := s.a.TicketUpdate(ctx, s.lead, tk.ID, app.TicketUpdateInput{Priority: &urgent, AssigneeID: &s.staff.AccountID}); err != nil || v.Priority != ticket.PriorityUrgent {
		t.Fatalf("update: %v", err)
	}
	bogus := s.cust.AccountID
	_, err = s.a.TicketUpdate(ctx, s.lead, tk.ID, app.TicketUpdateInput{AssigneeID: &bogus})
	wantCode(t, err, "ticket.assignee_invalid")
	// Urgent: the answer goes by SMS too.
	if _, err := s.a.TicketAnswer(ctx, s.staff, tk.ID, app.ReplyInput{Body: "on it"}); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM notify_delivery d JOIN notification n ON n.id = d.notification_id
 WHERE n.subject_id = $1 AND n.event = $2 AND d.channel = 'sms'`, tk.ID, string(notify.EventTicketAnswered)); n != 1 {
		t.Fatalf("urgent answer sms deliveries = %d", n)
	}
}

func TestTicketAutoCloseOnSandboxClock(t *testing.T) {
	t.Parallel()
	s := newTicketApp(t)
	ctx := context.Background()
	tk := s.open(t, s.cust, "auto")
	if _, err := s.a.TicketAnswer(ctx, s.staff, tk.ID, app.ReplyInput{Body: "answer"}); err != nil {
		t.Fatal(err)
	}
	// ticket.auto_close_days defaults to 7: warned after 6 days, closed after 7.
	if _, err := s.a.SandboxAdvance(ctx, 6*24*time.Hour-time.Minute); err != nil {
		t.Fatal(err)
	}
	if countEvent(t, s.a, notify.EventTicketAutoCloseWarning, tk.ID) != 0 {
		t.Fatal("warned too early")
	}
	if _, err := s.a.SandboxAdvance(ctx, 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	if countEvent(t, s.a, notify.EventTicketAutoCloseWarning, tk.ID) != 1 {
		t.Fatal("no warning a day before")
	}
	if v, _ := s.a.TicketGet(ctx, s.cust, tk.ID); v.State != ticket.StateAnswered {
		t.Fatalf("closed early: %v", v.State)
	}
	if _, err := s.a.SandboxAdvance(ctx, 24*time.Hour); err != nil {
		t.Fatal(err)
	}
	v, _ := s.a.TicketGet(ctx, s.cust, tk.ID)
	if v.State != ticket.StateClosed || countEvent(t, s.a, notify.EventTicketClosed, tk.ID) != 1 || countEvent(t, s.a, notify.EventTicketAutoCloseWarning, tk.ID) != 1 {
		t.Fatalf("auto-close: state %v", v.State)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'ticket.auto_closed' AND subject_id = $1 AND data LIKE '%"clause":"5"%'`, tk.ID); n != 1 {
		t.Fatalf("auto_closed audit with clause 5 = %d", n)
	}
	// A customer reply stops the auto-close.
	tk2 := s.open(t, s.cust, "kept")
	s.a.TicketAnswer(ctx, s.staff, tk2.ID, app.ReplyInput{Body: "a"})
	s.a.TicketReply(ctx, s.cust, tk2.ID, app.ReplyInput{Body: "b"})
	if _, err := s.a.SandboxAdvance(ctx, 30*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.a.TicketGet(ctx, s.cust, tk2.ID); v.State != ticket.StateCustomerReply {
		t.Fatalf("replied ticket closed: %v", v.State)
	}
}

func TestTicketTargetsOnSandboxClock(t *testing.T) {
	t.Parallel()
	s := newTicketApp(t)
	ctx := context.Background()
	// Opened Monday 2026-06-01 09:00 +08: consult/normal → first response
	// within 1 working day (by the end of Tuesday 06-02).
	tk := s.open(t, s.cust, "targets")
	sv, _ := s.a.TicketGet(ctx, s.staff, tk.ID)
	wantDue := time.Date(2026, 6, 3, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if !sv.FirstResponse.Due.Equal(wantDue) {
		t.Fatalf("first response due %v, want %v", sv.FirstResponse.Due, wantDue)
	}
	c, err := s.a.TicketCounts(ctx, s.staff)
	if err != nil || c.AwaitingStaff != 1 || c.Breached != 0 {
		t.Fatalf("counts = %+v, %v", c, err)
	}
	if _, err := s.a.SandboxAdvance(ctx, 39*time.Hour); err != nil { // 06-03 00:00 +08
		t.Fatal(err)
	}
	c, _ = s.a.TicketCounts(ctx, s.staff)
	sv, _ = s.a.TicketGet(ctx, s.staff, tk.ID)
	if c.Breached != 1 || !sv.FirstResponse.Breached || sv.FirstResponseBreachedAt.IsZero() {
		t.Fatalf("after due: counts %+v, timer %+v", c, sv.FirstResponse)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'ticket.target_breached' AND subject_id = $1`, tk.ID); n != 1 {
		t.Fatalf("breach audit events = %d", n)
	}
	// Running the sweeps again changes nothing.
	if err := s.a.RunSweeps(ctx); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'ticket.target_breached' AND subject_id = $1`, tk.ID); n != 1 {
		t.Fatalf("breach audit events after rerun = %d", n)
	}
}

func TestTicketQueueIsFair(t *testing.T) {
	t.Parallel()
	s := newTicketApp(t)
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		s.open(t, s.cust, "flood")
	}
	quiet := s.open(t, s.other, "quiet")
	q, next, err := s.a.TicketQueue(ctx, s.staff, app.TicketQueueQuery{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 2 || q[1].ID != quiet.ID || next == "" {
		t.Fatalf("queue page 1 = %v (next %q): the quiet customer's ticket must come second", q, next)
	}
	seen := map[string]bool{q[0].ID: true, q[1].ID: true}
	for next != "" {
		var page []app.TicketView
		page, next, err = s.a.TicketQueue(ctx, s.staff, app.TicketQueueQuery{Limit: 2, Cursor: next})
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page {
			if seen[v.ID] {
				t.Fatalf("ticket %s twice", v.ID)
			}
			seen[v.ID] = true
		}
	}
	if len(seen) != 6 {
		t.Fatalf("paged through %d tickets, want 6", len(seen))
	}
	_, _, err = s.a.TicketQueue(ctx, s.staff, app.TicketQueueQuery{Cursor: "garbage"})
	wantCode(t, err, "request.invalid_cursor")
	own, _, err := s.a.TicketListOwn(ctx, s.other, app.TicketListQuery{})
	if err != nil || len(own) != 1 {
		t.Fatalf("own list = %d, %v", len(own), err)
	}
}
