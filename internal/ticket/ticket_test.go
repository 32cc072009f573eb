package ticket_test

import (
	"testing"
	"time"

	"yuanxu/internal/calendar"
	"yuanxu/internal/errs"
	"yuanxu/internal/ticket"
)

func TestStateMachine(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		from ticket.State
		ev   ticket.Event
		want ticket.State
		code string
	}{
		{ticket.StateOpen, ticket.EvCustomerReply, ticket.StateOpen, ""},
		{ticket.StateOpen, ticket.EvStaffAnswer, ticket.StateAnswered, ""},
		{ticket.StateAnswered, ticket.EvCustomerReply, ticket.StateCustomerReply, ""},
		{ticket.StateCustomerReply, ticket.EvStaffAnswer, ticket.StateAnswered, ""},
		{ticket.StateAnswered, ticket.EvClose, ticket.StateClosed, ""},
		{ticket.StateClosed, ticket.EvCustomerReply, ticket.StateClosed, "ticket.closed"},
		{ticket.StateClosed, ticket.EvStaffAnswer, ticket.StateClosed, "ticket.closed"},
		{ticket.StateClosed, ticket.EvClose, ticket.StateClosed, "ticket.already_closed"},
		{ticket.StateOpen, ticket.EvReopen, ticket.StateOpen, "ticket.not_closed"},
		{ticket.StateClosed, ticket.EvReopen, ticket.StateCustomerReply, ""},
	}
	for _, c := range cases {
		got, err := ticket.Next(c.from, c.ev, now, now.Add(time.Hour))
		if got != c.want || errs.CodeOf(err) != c.code && !(c.code == "" && err == nil) {
			t.Errorf("%s --%s--> %s, %v; want %s, %q", c.from, c.ev, got, err, c.want, c.code)
		}
	}
	if _, err := ticket.Next(ticket.StateClosed, ticket.EvReopen, now, now.Add(ticket.ReopenWindow)); errs.CodeOf(err) != "ticket.reopen_window_passed" {
		t.Errorf("reopen at the window's end: %v", err)
	}
}

func TestAutoCloseClause5(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)
	ac := ticket.AutoCloseAfter(at, 7)
	if !ac.CloseAt.Equal(at.Add(7*24*time.Hour)) || !ac.WarnAt.Equal(at.Add(6*24*time.Hour)) {
		t.Fatalf("auto close = %+v", ac)
	}
}

func TestTargetsInWorkingDays(t *testing.T) {
	t.Parallel()
	cst := time.FixedZone("CST", 8*3600)
	// Friday 2026-09-25 10:00: the National Day holidays (10-01..10-08) and
	// the weekend are not working days.
	from := time.Date(2026, 9, 25, 10, 0, 0, 0, cst)
	d := ticket.DeadlinesFor(calendar.Embedded(), ticket.CategoryConsult, ticket.PriorityNormal, from)
	want := calendar.Embedded().AddWorkingDays(from, 1).At
	if !d.FirstResponseDue.Equal(want) || !d.FirstResponseDue.After(from.Add(24*time.Hour)) {
		t.Fatalf("first response due %v, want %v", d.FirstResponseDue, want)
	}
	u := ticket.DeadlinesFor(calendar.Embedded(), ticket.CategoryConsult, ticket.PriorityUrgent, from)
	if !u.FirstResponseDue.Equal(from.Add(2 * time.Hour)) {
		t.Fatalf("urgent due %v", u.FirstResponseDue)
	}
	if c := ticket.TargetFor(ticket.CategoryComplaint, ticket.PriorityLow); c.FirstResponse.Hours != 4 {
		t.Fatalf("complaints are answered within 4h, got %v", c.FirstResponse)
	}
	tm := ticket.TimerAt(want, time.Time{}, want)
	if !tm.Breached {
		t.Fatal("a target is breached at its due instant")
	}
}

func TestAttachmentRules(t *testing.T) {
	t.Parallel()
	ok := map[string][]byte{
		"a.png": []byte("\x89PNG\r\n\x1a\nxxxx"), "a.jpg": {0xff, 0xd8, 0xff, 0xe0}, "a.pdf": []byte("%PDF-1.7"), "a.txt": []byte("日志"),
	}
	for name, b := range ok {
		if _, err := ticket.CheckFile(name, b, "f"); err != nil {
			t.Errorf("%s refused: %v", name, err)
		}
	}
	bad := map[string][]byte{
		"a.exe": []byte("MZ\x90"), "a.png": []byte("\x7fELF"), "run.sh": []byte("echo"), "x.zip": []byte("PK\x03\x04"), "b.bin": {0, 0, 1},
	}
	for name, b := range bad {
		if _, err := ticket.CheckFile(name, b, "f"); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	big := make([]byte, ticket.MaxAttachmentBytes+1)
	if _, err := ticket.CheckFile("big.txt", big, "f"); errs.KindOf(err) != errs.TooLarge {
		t.Errorf("oversized: %v", err)
	}
	f, _ := ticket.CheckFile(`C:\evil\..\"a".txt`, []byte("x"), "f")
	if f.Name != "a.txt" {
		t.Errorf("clean name %q", f.Name)
	}
}
