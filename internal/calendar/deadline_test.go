package calendar_test

import (
	"encoding/json"
	"testing"
	"time"

	"yuanxu/internal/calendar"
)

// TestReceiptBoundaries: the day of receipt is the Asia/Shanghai civil date
// of the instant, so 23:59:59 and 00:00 +08:00 fall on different days, and
// an instant given in UTC counts by its Shanghai date.
func TestReceiptBoundaries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		from string
		n    int
		due  string
	}{
		{"LastSecondTuesday", "2026-03-10T23:59:59+08:00", 3, "2026-03-13"},
		{"LastNanosecondTuesday", "2026-03-10T23:59:59.999999999+08:00", 3, "2026-03-13"},
		{"MidnightWednesday", "2026-03-11T00:00:00+08:00", 3, "2026-03-16"},
		{"UTCStillTuesday", "2026-03-10T15:59:59Z", 3, "2026-03-13"},
		{"UTCAlreadyWednesday", "2026-03-10T16:00:00Z", 3, "2026-03-16"},
		{"UTCBeforeSpringFestival", "2026-02-12T15:59:59Z", 3, "2026-02-24"}, // Thu 02-12: 02-13, make-up 02-14, 02-24
		{"UTCIsFridayInShanghai", "2026-02-12T16:00:00Z", 3, "2026-02-25"},
		{"UTCNewYearsEveIsNewYear", "2025-12-31T16:00:00Z", 1, "2026-01-04"}, // received 2026-01-01
		{"OtherZone", "2026-09-30T12:00:00-04:00", 3, "2026-10-10"},          // 10-01 00:00 +08:00
		{"ZeroTodayIsToday", "2026-10-01T10:00:00+08:00", 0, "2026-10-01"},   // even a holiday
		{"ZeroLastSecond", "2026-03-10T23:59:59+08:00", 0, "2026-03-10"},
		{"OneFromFriday", "2026-03-13T08:00:00+08:00", 1, "2026-03-16"},
	}
	cal := calendar.Embedded()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dl := cal.AddWorkingDays(at(t, tt.from), tt.n)
			if dl.Due.String() != tt.due {
				t.Errorf("due %s, want %s", dl.Due, tt.due)
			}
			wantAt := calendar.MustDate(tt.due).AddDays(1).String() + "T00:00:00+08:00"
			if got := dl.At.Format(time.RFC3339Nano); got != wantAt {
				t.Errorf("at %s, want %s", got, wantAt)
			}
			if dl.Provisional {
				t.Error("provisional")
			}
		})
	}
}

// TestDeadlineIsExclusive: the deadline's last instant is 23:59:59.999… of
// the due day; At itself has passed.
func TestDeadlineIsExclusive(t *testing.T) {
	t.Parallel()
	dl := calendar.Embedded().AddWorkingDays(at(t, "2026-09-30T10:00:00+08:00"), 3)
	if dl.Passed(at(t, "2026-10-10T23:59:59.999999999+08:00")) {
		t.Error("passed before the close of the due day")
	}
	if !dl.Passed(at(t, "2026-10-11T00:00:00+08:00")) || !dl.Passed(at(t, "2026-10-10T16:00:00Z")) {
		t.Error("not passed at the exclusive instant")
	}
	if !dl.At.Equal(time.Date(2026, 10, 10, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("At = %s", dl.At)
	}
	b, err := json.Marshal(dl)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"received":"2026-09-30","working_days":3,"due":"2026-10-10","at":"2026-10-11T00:00:00+08:00","provisional":false,"years":[2026]}`
	if string(b) != want {
		t.Errorf("JSON %s\nwant %s", b, want)
	}
}

func TestAddWorkingDaysNegativePanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	calendar.Embedded().AddWorkingDays(time.Now(), -1)
}

// TestWithinWindow: hour windows are exact instants and include their end.
func TestWithinWindow(t *testing.T) {
	t.Parallel()
	start := at(t, "2026-06-18T10:00:00+08:00")
	tests := []struct {
		name string
		t    string
		d    time.Duration
		want bool
	}{
		{"Start", "2026-06-18T10:00:00+08:00", 24 * time.Hour, true},
		{"BeforeStart", "2026-06-18T09:59:59.999999999+08:00", 24 * time.Hour, false},
		{"End", "2026-06-19T10:00:00+08:00", 24 * time.Hour, true},
		{"EndInUTC", "2026-06-19T02:00:00Z", 24 * time.Hour, true},
		{"AfterEnd", "2026-06-19T10:00:00.000000001+08:00", 24 * time.Hour, false},
		{"MidnightIsNotTheEnd", "2026-06-19T00:00:00+08:00", 24 * time.Hour, true},
		{"ZeroWindow", "2026-06-18T10:00:00+08:00", 0, true},
		{"NegativeWindow", "2026-06-18T10:00:00+08:00", -time.Hour, false},
	}
	for _, tt := range tests {
		if got := calendar.WithinWindow(start, tt.d, at(t, tt.t)); got != tt.want {
			t.Errorf("%s: WithinWindow = %t, want %t", tt.name, got, tt.want)
		}
	}
}

// TestNeverShorten: a deadline already shown is never moved earlier.
func TestNeverShorten(t *testing.T) {
	t.Parallel()
	mk := func(due string, provisional bool) calendar.Deadline {
		d := calendar.MustDate(due)
		return calendar.Deadline{
			Received: calendar.MustDate("2027-12-30"), WorkingDays: 3, Due: d, At: d.Next().Start(),
			Provisional: provisional, Years: []int{2027, d.Year()},
		}
	}
	shown := mk("2028-01-04", true) // Monday–Friday fallback
	tests := []struct {
		name       string
		previous   calendar.Deadline
		recomputed calendar.Deadline
		due        string
		provis     bool
	}{
		{"NeverShown", calendar.Deadline{}, mk("2028-01-05", true), "2028-01-05", true},
		{"Longer", shown, mk("2028-01-06", false), "2028-01-06", false},
		{"Same", shown, mk("2028-01-04", false), "2028-01-04", false},
		{"ShorterKeepsShown", shown, mk("2027-12-31", false), "2028-01-04", false},
		{"ShorterStillProvisional", shown, mk("2027-12-31", true), "2028-01-04", true},
		{"RecomputedZero", shown, calendar.Deadline{}, "2028-01-04", true},
	}
	for _, tt := range tests {
		got := calendar.NeverShorten(tt.previous, tt.recomputed)
		if got.Due.String() != tt.due || got.Provisional != tt.provis {
			t.Errorf("%s: due %s provisional %t, want %s %t", tt.name, got.Due, got.Provisional, tt.due, tt.provis)
		}
		if !got.At.Equal(calendar.MustDate(tt.due).Next().Start()) {
			t.Errorf("%s: at %s", tt.name, got.At)
		}
		if got.Years[len(got.Years)-1] != got.Due.Year() {
			t.Errorf("%s: years %v for due %s", tt.name, got.Years, got.Due)
		}
	}
}

func BenchmarkAddWorkingDays(b *testing.B) {
	cal := calendar.Embedded()
	withOverrides, err := calendar.New(calendar.Options{Overrides: []calendar.Override{
		{Date: calendar.MustDate("2026-10-09"), Reason: "bench", ProposedBy: "a", ApprovedBy: "b"},
	}})
	if err != nil {
		b.Fatal(err)
	}
	from := time.Date(2026, 9, 30, 10, 0, 0, 0, time.UTC)
	for _, bc := range []struct {
		name string
		cal  *calendar.Calendar
		n    int
	}{
		{"3", cal, 3},
		{"15", cal, 15},
		{"250", cal, 250},
		{"3/Overrides", withOverrides, 3},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.cal.AddWorkingDays(from, bc.n)
			}
		})
	}
}

func BenchmarkIsWorkingDay(b *testing.B) {
	cal := calendar.Embedded()
	d := calendar.MustDate("2026-10-10")
	b.ReportAllocs()
	for b.Loop() {
		cal.IsWorkingDay(d)
	}
}
