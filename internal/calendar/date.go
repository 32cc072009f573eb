package calendar

import (
	"cmp"
	"fmt"
	"time"

	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
)

// Date is a civil date (year, month, day) with no time of day and no zone,
// years 1 to 9999. The zero Date is "no date" (IsZero); every other value is
// a real calendar day, so == compares days and Date works as a map key.
//
// It marshals as text (and so as a JSON string) in the form YYYY-MM-DD.
type Date struct {
	y int
	m time.Month
	d int
}

// NewDate returns the date y-m-d, or an Invalid error if there is no such
// day (2026-02-29) or the year is outside 1..9999.
func NewDate(y int, m time.Month, d int) (Date, error) {
	if y < 1 || y > 9999 || m < time.January || m > time.December || d < 1 || d > daysIn(y, m) {
		return Date{}, errs.E(errs.Invalid, "calendar.date_invalid",
			fmt.Sprintf("%04d-%02d-%02d is not a date", y, int(m), d),
			errs.FieldError{Field: "date", Rule: "date"})
	}
	return Date{y, m, d}, nil
}

// MustDate parses s (YYYY-MM-DD) and panics if it is not a date. It is for
// constants in code and tests, never for input.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// ParseDate parses exactly YYYY-MM-DD (four-digit year, two-digit month and
// day, ASCII digits only). Anything else, including a day that does not
// exist, is an Invalid error with code calendar.date_invalid.
func ParseDate(s string) (Date, error) {
	bad := func() (Date, error) {
		return Date{}, errs.E(errs.Invalid, "calendar.date_invalid",
			fmt.Sprintf("%q is not a date (want YYYY-MM-DD)", s),
			errs.FieldError{Field: "date", Rule: "format"})
	}
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return bad()
	}
	num := func(p string) (int, bool) {
		n := 0
		for i := 0; i < len(p); i++ {
			c := p[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	y, ok1 := num(s[0:4])
	m, ok2 := num(s[5:7])
	d, ok3 := num(s[8:10])
	if !ok1 || !ok2 || !ok3 {
		return bad()
	}
	date, err := NewDate(y, time.Month(m), d)
	if err != nil {
		return bad()
	}
	return date, nil
}

// DateOf returns the civil date of the instant t in Asia/Shanghai, whatever
// t's own location: 2026-06-17T16:30:00Z is 2026-06-18.
func DateOf(t time.Time) Date {
	s := t.In(clock.Shanghai)
	return Date{s.Year(), s.Month(), s.Day()}
}

// Year, Month and Day return the date's parts (0 for the zero Date).
func (d Date) Year() int { return d.y }

// Month returns the month of the year.
func (d Date) Month() time.Month { return d.m }

// Day returns the day of the month.
func (d Date) Day() int { return d.d }

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// AddDays returns the date n days after d (before it when n < 0).
func (d Date) AddDays(n int) Date {
	t := time.Date(d.y, d.m, d.d+n, 0, 0, 0, 0, time.UTC)
	return Date{t.Year(), t.Month(), t.Day()}
}

// Next returns the following day; it is AddDays(1) without the time.Time
// round trip, as deadline computation walks day by day.
func (d Date) Next() Date {
	if d.d < daysIn(d.y, d.m) {
		return Date{d.y, d.m, d.d + 1}
	}
	if d.m < time.December {
		return Date{d.y, d.m + 1, 1}
	}
	return Date{d.y + 1, time.January, 1}
}

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	switch {
	case d.y != e.y:
		return cmp.Compare(d.y, e.y)
	case d.m != e.m:
		return cmp.Compare(d.m, e.m)
	}
	return cmp.Compare(d.d, e.d)
}

// Before reports whether d is before e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is after e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Start returns the instant the day begins in Asia/Shanghai (00:00 +08:00).
// The close of day d is d.Next().Start(), an exclusive instant.
func (d Date) Start() time.Time {
	return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, clock.Shanghai)
}

// String returns YYYY-MM-DD, or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.y, int(d.m), d.d)
}

// MarshalText encodes d as YYYY-MM-DD; the zero Date encodes as "".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes YYYY-MM-DD; "" decodes to the zero Date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func (d Date) utc() time.Time { return time.Date(d.y, d.m, d.d, 0, 0, 0, 0, time.UTC) }

func daysIn(y int, m time.Month) int {
	switch m {
	case time.April, time.June, time.September, time.November:
		return 30
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	}
	return 31
}
