package calendar_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/calendar"
)

// The published State Council notices, written out by hand from their text
// and independent of the generated data: rest days (放假) and make-up working
// days (调休上班). Ranges are inclusive.
var notices = map[int]struct {
	rest, makeUp []string
}{
	// 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号, 2024-11-12).
	2025: {
		rest: []string{
			"2025-01-01",             // 元旦, no make-up day
			"2025-01-28..2025-02-04", // 春节 (from 除夕)
			"2025-04-04..2025-04-06", // 清明节
			"2025-05-01..2025-05-05", // 劳动节
			"2025-05-31..2025-06-02", // 端午节
			"2025-10-01..2025-10-08", // 国庆节、中秋节
		},
		makeUp: []string{"2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"},
	},
	// 国务院办公厅关于2026年部分节假日安排的通知 (2025-11-04).
	2026: {
		rest: []string{
			"2026-01-01..2026-01-03", // 元旦
			"2026-02-15..2026-02-23", // 春节
			"2026-04-04..2026-04-06", // 清明节
			"2026-05-01..2026-05-05", // 劳动节
			"2026-06-19..2026-06-21", // 端午节
			"2026-09-25..2026-09-27", // 中秋节
			"2026-10-01..2026-10-07", // 国庆节
		},
		makeUp: []string{"2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"},
	},
}

func expand(t *testing.T, specs []string) map[calendar.Date]bool {
	t.Helper()
	out := map[calendar.Date]bool{}
	for _, s := range specs {
		from, to, ok := strings.Cut(s, "..")
		if !ok {
			to = from
		}
		for d := calendar.MustDate(from); !d.After(calendar.MustDate(to)); d = d.Next() {
			out[d] = true
		}
	}
	return out
}

// TestEveryDayMatchesTheNotices classifies every day of 2025 and 2026 and
// compares it with the hand-written notices: Monday to Friday work, minus
// the rest days, plus the make-up days; no answer is provisional.
func TestEveryDayMatchesTheNotices(t *testing.T) {
	t.Parallel()
	cal := calendar.Embedded()
	for year, n := range notices {
		t.Run(fmt.Sprint(year), func(t *testing.T) {
			t.Parallel()
			rest, makeUp := expand(t, n.rest), expand(t, n.makeUp)
			for d := range makeUp {
				if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
					t.Fatalf("test data: make-up day %s is a %v", d, wd)
				}
			}
			days := 0
			for d := calendar.MustDate(fmt.Sprintf("%d-01-01", year)); d.Year() == year; d = d.Next() {
				days++
				wd := d.Weekday()
				want := (wd != time.Saturday && wd != time.Sunday && !rest[d]) || makeUp[d]
				got, provisional := cal.IsWorkingDay(d)
				if got != want || provisional {
					t.Errorf("%s (%v): working %t provisional %t, want working %t, not provisional", d, wd, got, provisional, want)
				}
			}
			if days != 365 {
				t.Fatalf("walked %d days", days)
			}
			y, ok := cal.Year(year)
			if !ok || !y.Confirmed || y.Status != calendar.Confirmed || y.Notice == "" || y.Source == "" {
				t.Errorf("year %d: %+v, want confirmed with a notice and a source", year, y)
			}
		})
	}
}

// TestGoldenDeadlines: the examples of issue 8 and SEED-REQUIREMENTS.md 三(一),
// computed from the published notices.
func TestGoldenDeadlines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from        string // RFC 3339
		n           int
		due         string
		provisional bool
		years       []int
	}{
		{"2026-09-30T10:00:00+08:00", 3, "2026-10-10", false, []int{2026}}, // National Day, then make-up Saturday 10-10
		{"2026-02-13T10:00:00+08:00", 3, "2026-02-25", false, []int{2026}}, // make-up Saturday 02-14, then 春节
		{"2026-06-18T10:00:00+08:00", 3, "2026-06-24", false, []int{2026}}, // 端午
		{"2026-12-31T10:00:00+08:00", 3, "2027-01-06", true, []int{2026, 2027}},
		{"2025-09-30T10:00:00+08:00", 3, "2025-10-11", false, []int{2025}}, // 国庆中秋 10-01..08, make-up Saturday 10-11
		{"2025-09-26T10:00:00+08:00", 3, "2025-09-30", false, []int{2025}}, // make-up Sunday 09-28 counts
		{"2025-01-24T10:00:00+08:00", 5, "2025-02-07", false, []int{2025}}, // make-up Sunday 01-26, then 春节
		{"2025-12-31T10:00:00+08:00", 1, "2026-01-04", false, []int{2025, 2026}},
		{"2026-04-30T10:00:00+08:00", 3, "2026-05-08", false, []int{2026}},
		{"2026-04-30T10:00:00+08:00", 4, "2026-05-09", false, []int{2026}},
		{"2026-09-18T10:00:00+08:00", 1, "2026-09-20", false, []int{2026}},
		{"2026-09-24T10:00:00+08:00", 1, "2026-09-28", false, []int{2026}},
		{"2026-06-20T10:00:00+08:00", 3, "2026-06-24", false, []int{2026}}, // received on a holiday: still not counted
	}
	cal := calendar.Embedded()
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s+%d", tt.from[:10], tt.n), func(t *testing.T) {
			t.Parallel()
			from, err := time.Parse(time.RFC3339, tt.from)
			if err != nil {
				t.Fatal(err)
			}
			dl := cal.AddWorkingDays(from, tt.n)
			if dl.Due.String() != tt.due {
				t.Errorf("due %s, want %s", dl.Due, tt.due)
			}
			wantAt := calendar.MustDate(tt.due).AddDays(1).String() + "T00:00:00+08:00"
			if got := dl.At.Format(time.RFC3339); got != wantAt {
				t.Errorf("at %s, want %s", got, wantAt)
			}
			if dl.Provisional != tt.provisional {
				t.Errorf("provisional %t, want %t", dl.Provisional, tt.provisional)
			}
			if !slices.Equal(dl.Years, tt.years) {
				t.Errorf("years %v, want %v", dl.Years, tt.years)
			}
			if dl.Received != calendar.DateOf(from) || dl.WorkingDays != tt.n {
				t.Errorf("received %s n %d", dl.Received, dl.WorkingDays)
			}
		})
	}
}

// TestEmbeddedYears: 2025 and 2026 confirmed, 2027 imported (provisional),
// nothing after.
func TestEmbeddedYears(t *testing.T) {
	t.Parallel()
	cal := calendar.Embedded()
	want := map[int]calendar.Status{2024: calendar.Missing, 2025: calendar.Confirmed, 2026: calendar.Confirmed, 2027: calendar.Imported, 2028: calendar.Missing}
	for y, s := range want {
		if got := cal.Status(y); got != s {
			t.Errorf("Status(%d) = %v, want %v", y, got, s)
		}
	}
	if got := cal.Years(); !slices.Equal(got, []int{2025, 2026, 2027}) {
		t.Errorf("Years() = %v", got)
	}
	if got := cal.MissingYears(2026, 2028); !slices.Equal(got, []int{2028}) {
		t.Errorf("MissingYears(2026, 2028) = %v", got)
	}
	y, _ := cal.Year(2027)
	if y.Confirmed || len(y.Days) == 0 || !strings.Contains(y.Source, "lunar-go") {
		t.Errorf("2027: %+v", y)
	}
	if _, provisional := cal.IsWorkingDay(calendar.MustDate("2027-03-01")); !provisional {
		t.Error("a 2027 answer is not provisional")
	}
}
