package calendar_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/calendar"
	"yuanxu/internal/errs"
)

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustNew(t *testing.T, opts calendar.Options) *calendar.Calendar {
	t.Helper()
	c, err := calendar.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestOverrides: an override needs two different admins; an effective one
// decides its date, and its answer is not provisional.
func TestOverrides(t *testing.T) {
	t.Parallel()
	tue := calendar.MustDate("2026-03-10") // an ordinary Tuesday
	sat := calendar.MustDate("2026-03-14") // an ordinary Saturday
	rest := func(proposer, approver string) calendar.Override {
		return calendar.Override{Date: tue, Working: false, Reason: "typhoon", ProposedBy: proposer, ApprovedBy: approver}
	}
	tests := []struct {
		name      string
		overrides []calendar.Override
		monday    string // due of Monday 2026-03-09 + 1
		friday    string // due of Friday 2026-03-13 + 1
	}{
		{"None", nil, "2026-03-10", "2026-03-16"},
		{"SingleAdmin", []calendar.Override{rest("admin-a", "admin-a")}, "2026-03-10", "2026-03-16"},
		{"SingleAdminPadded", []calendar.Override{rest("admin-a", " admin-a ")}, "2026-03-10", "2026-03-16"},
		{"NotApproved", []calendar.Override{rest("admin-a", "")}, "2026-03-10", "2026-03-16"},
		{"NoProposer", []calendar.Override{rest("", "admin-b")}, "2026-03-10", "2026-03-16"},
		{"RestDay", []calendar.Override{rest("admin-a", "admin-b")}, "2026-03-11", "2026-03-16"},
		{"WorkingSaturday", []calendar.Override{{Date: sat, Working: true, Reason: "make-up", ProposedBy: "a", ApprovedBy: "b"}}, "2026-03-10", "2026-03-14"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustNew(t, calendar.Options{Overrides: tt.overrides})
			if got := c.AddWorkingDays(at(t, "2026-03-09T09:00:00+08:00"), 1); got.Due.String() != tt.monday || got.Provisional {
				t.Errorf("Monday+1 = %s (provisional %t), want %s", got.Due, got.Provisional, tt.monday)
			}
			if got := c.AddWorkingDays(at(t, "2026-03-13T09:00:00+08:00"), 1); got.Due.String() != tt.friday {
				t.Errorf("Friday+1 = %s, want %s", got.Due, tt.friday)
			}
		})
	}
}

// TestOverrideInUnconfirmedYears: an effective override is authoritative
// even where the year's data is missing or unconfirmed.
func TestOverrideInUnconfirmedYears(t *testing.T) {
	t.Parallel()
	var calls []int
	c := mustNew(t, calendar.Options{
		Overrides: []calendar.Override{
			{Date: calendar.MustDate("2028-01-03"), Working: false, Reason: "holiday from the 2028 notice", ProposedBy: "a", ApprovedBy: "b"},
			{Date: calendar.MustDate("2027-01-04"), Working: true, Reason: "checked", ProposedBy: "a", ApprovedBy: "b"},
		},
		OnFallback: func(y int) { calls = append(calls, y) },
	})
	for _, tt := range []struct {
		date    string
		working bool
	}{{"2028-01-03", false}, {"2027-01-04", true}} {
		working, provisional := c.IsWorkingDay(calendar.MustDate(tt.date))
		if working != tt.working || provisional {
			t.Errorf("%s: working %t provisional %t", tt.date, working, provisional)
		}
	}
	if len(calls) != 0 {
		t.Errorf("OnFallback called for an overridden date: %v", calls)
	}
	if got := c.Overrides(); len(got) != 2 || got[0].Date.String() != "2027-01-04" {
		t.Errorf("Overrides() = %v", got)
	}
}

// TestFallbackYear: a year without data is Monday–Friday, provisional, and
// raises the alert hook once per computation.
func TestFallbackYear(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var calls []int
	c := mustNew(t, calendar.Options{OnFallback: func(y int) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, y)
	}})
	// 2028-01-01 is a Saturday and would be 元旦 in any notice: without data
	// it is an ordinary weekend, and Monday 01-03 an ordinary working day.
	working, provisional := c.IsWorkingDay(calendar.MustDate("2028-01-03"))
	if !working || !provisional {
		t.Errorf("2028-01-03: working %t provisional %t, want true true", working, provisional)
	}
	dl := c.AddWorkingDays(at(t, "2028-03-01T12:00:00+08:00"), 10) // Wednesday
	if dl.Due.String() != "2028-03-15" || !dl.Provisional || !slices.Equal(dl.Years, []int{2028}) {
		t.Errorf("2028-03-01+10 = %+v, want 2028-03-15 provisional", dl)
	}
	if !slices.Equal(calls, []int{2028, 2028}) {
		t.Errorf("OnFallback calls %v, want [2028 2028]", calls)
	}
	// Crossing from imported 2027 into missing 2028.
	calls = nil
	dl = c.AddWorkingDays(at(t, "2027-12-30T12:00:00+08:00"), 3) // Thursday
	if dl.Due.String() != "2028-01-04" || !dl.Provisional || !slices.Equal(dl.Years, []int{2027, 2028}) {
		t.Errorf("2027-12-30+3 = %+v", dl)
	}
	if !slices.Equal(calls, []int{2028}) {
		t.Errorf("OnFallback calls %v, want [2028]", calls)
	}
	// Confirmed years never call the hook.
	calls = nil
	c.AddWorkingDays(at(t, "2026-09-30T12:00:00+08:00"), 3)
	if len(calls) != 0 {
		t.Errorf("OnFallback called for 2026: %v", calls)
	}
}

// TestConfirmation: a two-admin confirmation turns 2027 from imported to
// confirmed, and deadlines in it stop being provisional.
func TestConfirmation(t *testing.T) {
	t.Parallel()
	from := at(t, "2026-12-31T10:00:00+08:00")
	for _, tt := range []struct {
		name      string
		confirmer string
		want      bool
	}{{"SingleAdmin", "admin-a", true}, {"TwoAdmins", "admin-b", false}} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := mustNew(t, calendar.Options{Confirmations: []calendar.Confirmation{
				{Year: 2027, Notice: "国务院办公厅关于2027年部分节假日安排的通知", ProposedBy: "admin-a", ApprovedBy: tt.confirmer},
			}})
			dl := c.AddWorkingDays(from, 3)
			if dl.Due.String() != "2027-01-06" || dl.Provisional != tt.want {
				t.Errorf("due %s provisional %t, want 2027-01-06 provisional %t", dl.Due, dl.Provisional, tt.want)
			}
			y, _ := c.Year(2027)
			if y.Confirmed == tt.want {
				t.Errorf("2027 confirmed %t", y.Confirmed)
			}
		})
	}
	// The shared embedded calendar is untouched.
	if calendar.Embedded().Status(2027) != calendar.Imported {
		t.Error("a confirmation leaked into Embedded()")
	}
}

// TestNewRejectsBadOptions: every problem is reported at once, naming the
// entry; nothing is built.
func TestNewRejectsBadOptions(t *testing.T) {
	t.Parallel()
	d := calendar.MustDate("2026-03-10")
	c, err := calendar.New(calendar.Options{
		Overrides: []calendar.Override{
			{Reason: "no date", ProposedBy: "a", ApprovedBy: "b"},
			{Date: d, ProposedBy: "a", ApprovedBy: "b"},
			{Date: d, Reason: "first", ProposedBy: "a", ApprovedBy: "b"},
			{Date: d, Reason: "second", ProposedBy: "a", ApprovedBy: "c"},
			{Date: d, Reason: "pending, so no conflict", ProposedBy: "a"},
		},
		Confirmations: []calendar.Confirmation{
			{Year: 2030, Notice: "x", ProposedBy: "a", ApprovedBy: "b"},
			{Year: 2027, ProposedBy: "a", ApprovedBy: "b"},
		},
	})
	if c != nil || err == nil {
		t.Fatal("New accepted bad options")
	}
	if errs.KindOf(err) != errs.Invalid || errs.CodeOf(err) != "calendar.invalid" {
		t.Fatalf("err %v: kind %v code %q", err, errs.KindOf(err), errs.CodeOf(err))
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("%T is not an *errs.Error", err)
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field+":"+f.Rule)
	}
	want := []string{
		"overrides[0].date:required", "overrides[1].reason:required", "overrides[3].date:duplicate",
		"confirmations[0].year:no_data", "confirmations[1].notice:required",
	}
	if !slices.Equal(got, want) {
		t.Errorf("fields %v, want %v", got, want)
	}
}
