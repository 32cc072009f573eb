package calendar_test

import (
	"encoding/json"
	"testing"
	"time"

	"yuanxu/internal/calendar"
	"yuanxu/internal/errs"
)

func TestParseDate(t *testing.T) {
	t.Parallel()
	good := []string{"2026-10-10", "2028-02-29", "0001-01-01", "9999-12-31", "2000-02-29"}
	for _, s := range good {
		d, err := calendar.ParseDate(s)
		if err != nil {
			t.Errorf("ParseDate(%q): %v", s, err)
			continue
		}
		if d.String() != s {
			t.Errorf("ParseDate(%q).String() = %q", s, d.String())
		}
	}
	bad := []string{
		"", "2026-1-10", "2026/10/10", "2026-10-10T00:00:00Z", " 2026-10-10", "2026-10-10 ",
		"2026-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-10-00",
		"0000-01-01", "+026-10-10", "２０２６-10-10", "2026-1a-10", "20261010",
	}
	for _, s := range bad {
		_, err := calendar.ParseDate(s)
		if err == nil {
			t.Errorf("ParseDate(%q) accepted", s)
			continue
		}
		if errs.KindOf(err) != errs.Invalid || errs.CodeOf(err) != "calendar.date_invalid" {
			t.Errorf("ParseDate(%q): kind %v code %q, want invalid calendar.date_invalid", s, errs.KindOf(err), errs.CodeOf(err))
		}
	}
}

func TestNewDate(t *testing.T) {
	t.Parallel()
	if _, err := calendar.NewDate(2026, time.February, 29); err == nil {
		t.Error("2026-02-29 accepted")
	}
	d, err := calendar.NewDate(2028, time.February, 29)
	if err != nil || d.Year() != 2028 || d.Month() != time.February || d.Day() != 29 {
		t.Errorf("NewDate(2028-02-29) = %v, %v", d, err)
	}
	if !(calendar.Date{}).IsZero() || d.IsZero() {
		t.Error("IsZero wrong")
	}
}

// TestDateOf: the civil date is taken in Asia/Shanghai, whatever the
// instant's own location.
func TestDateOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want string
	}{
		{"2026-06-17T16:00:00Z", "2026-06-18"},
		{"2026-06-17T15:59:59.999Z", "2026-06-17"},
		{"2026-06-18T00:00:00+08:00", "2026-06-18"},
		{"2026-06-17T23:59:59+08:00", "2026-06-17"},
		{"2026-06-17T12:00:00-05:00", "2026-06-18"}, // 17:00Z = 01:00 +08:00
		{"2026-12-31T16:00:00Z", "2027-01-01"},
	}
	for _, tt := range tests {
		in, err := time.Parse(time.RFC3339Nano, tt.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := calendar.DateOf(in).String(); got != tt.want {
			t.Errorf("DateOf(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestDateArithmetic checks Next, AddDays, Compare, Weekday and Start
// against the standard library over several years, leap days included.
func TestDateArithmetic(t *testing.T) {
	t.Parallel()
	d := calendar.MustDate("2023-12-25")
	ref := time.Date(2023, 12, 25, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 6*366; i++ {
		if d.String() != ref.Format(time.DateOnly) {
			t.Fatalf("day %d: %s, want %s", i, d, ref.Format(time.DateOnly))
		}
		if d.Weekday() != ref.Weekday() {
			t.Fatalf("%s: weekday %v, want %v", d, d.Weekday(), ref.Weekday())
		}
		if s := d.Start(); s.Format(time.RFC3339) != ref.Format(time.DateOnly)+"T00:00:00+08:00" {
			t.Fatalf("%s: Start %s", d, s.Format(time.RFC3339))
		}
		next := d.Next()
		if next != d.AddDays(1) || next.AddDays(-1) != d || !d.Before(next) || !next.After(d) || d.Compare(d) != 0 {
			t.Fatalf("%s: Next/AddDays/Compare disagree", d)
		}
		d, ref = next, ref.AddDate(0, 0, 1)
	}
	if got := calendar.MustDate("2026-01-01").AddDays(-1).String(); got != "2025-12-31" {
		t.Errorf("AddDays(-1) = %s", got)
	}
}

func TestDateJSON(t *testing.T) {
	t.Parallel()
	type wrap struct {
		D calendar.Date `json:"d"`
	}
	b, err := json.Marshal(wrap{calendar.MustDate("2026-10-10")})
	if err != nil || string(b) != `{"d":"2026-10-10"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var w wrap
	if err := json.Unmarshal([]byte(`{"d":"2026-02-25"}`), &w); err != nil || w.D != calendar.MustDate("2026-02-25") {
		t.Fatalf("Unmarshal = %v, %v", w.D, err)
	}
	if err := json.Unmarshal([]byte(`{"d":"2026-02-30"}`), &w); err == nil {
		t.Error("Unmarshal accepted 2026-02-30")
	}
}

// FuzzParseDate: the parser never panics, accepts exactly what the standard
// library's YYYY-MM-DD layout accepts (years 1 to 9999), and an accepted
// date prints back as its input.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{
		"2026-10-10", "2028-02-29", "2026-02-29", "0000-01-01", "9999-12-31", "2026-1-1",
		"2026-10-10T00:00:00Z", "+026-10-10", "2026-10-1\x00", "２０２６-10-10", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := calendar.ParseDate(s)
		ref, refErr := time.Parse(time.DateOnly, s)
		stdOK := refErr == nil && ref.Year() >= 1 && ref.Format(time.DateOnly) == s
		if err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("ParseDate(%q): kind %v", s, errs.KindOf(err))
			}
			if stdOK {
				t.Fatalf("ParseDate(%q) rejected a date time.Parse accepts: %v", s, err)
			}
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q).String() = %q", s, d.String())
		}
		if !stdOK {
			t.Fatalf("ParseDate(%q) accepted what time.Parse rejects (%v)", s, refErr)
		}
	})
}
