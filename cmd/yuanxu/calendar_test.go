package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// runCalendar runs the program with args, an empty environment and no
// database configured: the calendar commands must not need one.
func runCalendar(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	return out.String(), err
}

func TestCalendarDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		from        string
		n           string
		due         string
		at          string
		provisional string
	}{
		{"NationalDay2026", "2026-09-30T10:00:00+08:00", "3", "2026-10-10", "2026-10-11T00:00:00+08:00", "provisional: no"},
		{"SpringFestival2026", "2026-02-13T10:00:00+08:00", "3", "2026-02-25", "2026-02-26T00:00:00+08:00", "provisional: no"},
		{"DragonBoat2026", "2026-06-18T10:00:00+08:00", "3", "2026-06-24", "2026-06-25T00:00:00+08:00", "provisional: no"},
		{"NationalDay2025", "2025-09-30T10:00:00+08:00", "3", "2025-10-11", "2025-10-12T00:00:00+08:00", "provisional: no"},
		{"Into2027", "2026-12-31T10:00:00+08:00", "3", "2027-01-06", "2027-01-07T00:00:00+08:00", "provisional: yes (2027: imported from github.com/6tail/lunar-go"},
		{"Into2028", "2027-12-31T10:00:00+08:00", "1", "2028-01-03", "2028-01-04T00:00:00+08:00", "2028: no holiday data"},
		{"UTCNextDayInShanghai", "2026-09-29T16:00:00Z", "3", "2026-10-10", "2026-10-11T00:00:00+08:00", "provisional: no"},
		{"LastSecondOfTheDay", "2026-09-29T23:59:59+08:00", "3", "2026-10-09", "2026-10-10T00:00:00+08:00", "provisional: no"},
		{"Zero", "2026-10-01T10:00:00+08:00", "0", "2026-10-01", "2026-10-02T00:00:00+08:00", "provisional: no"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := runCalendar(t, "calendar", "deadline", "--from", tt.from, "--working-days", tt.n)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
			if lines[0] != tt.due {
				t.Errorf("first line %q, want %q alone", lines[0], tt.due)
			}
			if len(lines) < 3 || !strings.Contains(lines[1], tt.at) || !strings.Contains(lines[2], tt.provisional) {
				t.Errorf("output:\n%s\nwant %s and %q", out, tt.at, tt.provisional)
			}
		})
	}
}

func TestCalendarShow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		year  string
		want  []string
		lines int // day lines
	}{
		{"2026", []string{"source: 国务院办公厅关于2026年部分节假日安排的通知 (issued 2025-11-04; document number not recorded)", "confirmed: yes", "2026-10-10 Sat  make-up working day", "2026-02-15 Sun  holiday"}, 39},
		{"2025", []string{"国办发明电〔2024〕12号", "confirmed: yes", "2025-10-08 Wed  holiday", "2025-10-11 Sat  make-up working day"}, 33},
		{"2027", []string{"confirmed: no", "status: imported", "lunar-go v1.4.7"}, 34},
		{"2028", []string{"source: none", "confirmed: no", "status: missing", "Monday to Friday"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.year, func(t *testing.T) {
			t.Parallel()
			out, err := runCalendar(t, "calendar", "show", tt.year)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			days := 0
			for _, l := range strings.Split(out, "\n") {
				if strings.HasPrefix(l, tt.year+"-") {
					days++
				}
			}
			if days != tt.lines {
				t.Errorf("%d day lines, want %d", days, tt.lines)
			}
		})
	}
}

func TestCalendarBadInputExitsTwo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"DateOnly", []string{"calendar", "deadline", "--from", "2026-09-30", "--working-days", "3"}, "RFC 3339"},
		{"Words", []string{"calendar", "deadline", "--from", "yesterday", "--working-days", "3"}, "RFC 3339"},
		{"NoZone", []string{"calendar", "deadline", "--from", "2026-09-30T10:00:00", "--working-days", "3"}, "RFC 3339"},
		{"Negative", []string{"calendar", "deadline", "--from", "2026-09-30T10:00:00+08:00", "--working-days=-1"}, "out of range"},
		{"Huge", []string{"calendar", "deadline", "--from", "2026-09-30T10:00:00+08:00", "--working-days", "10001"}, "out of range"},
		{"NotANumber", []string{"calendar", "deadline", "--from", "2026-09-30T10:00:00+08:00", "--working-days", "three"}, "working-days"},
		{"MissingFrom", []string{"calendar", "deadline", "--working-days", "3"}, "--from"},
		{"YearWord", []string{"calendar", "show", "20x6"}, "20x6"},
		{"YearZero", []string{"calendar", "show", "0"}, "not a year"},
		{"YearTooBig", []string{"calendar", "show", "10000"}, "not a year"},
		{"NoYear", []string{"calendar", "show"}, "year"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := runCalendar(t, tt.args...)
			if err == nil {
				t.Fatalf("no error; output:\n%s", out)
			}
			if exitCode(err) != 2 {
				t.Errorf("exit code %d, want 2 (err: %v)", exitCode(err), err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(strings.TrimSpace(err.Error()), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}
