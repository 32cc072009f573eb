package calendar

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/errs"
)

//go:generate go run ./internal/gen -o holidays_data.go

// Day is a date that a notice treats specially: a holiday rest day (which
// may fall on a weekend inside the holiday period) or a 调休 make-up working
// day (a Saturday or Sunday worked).
type Day struct {
	Date    Date   `json:"date"`
	Working bool   `json:"working"` // true: a make-up working day; false: a rest day
	Name    string `json:"name"`    // the festival as the data names it: 春节, 国庆中秋 …
}

// yearData is one year of the generated data (holidays_data.go).
type yearData struct {
	year      int
	notice    string // the notice's title; "" when not identified
	number    string // its document number; "" when not verified
	issued    Date
	confirmed bool
	days      []Day // in date order
}

// Status says how far a year's data can be trusted.
type Status int

const (
	// Missing: no data. Monday to Friday are working days, and every
	// answer that depends on the year is provisional.
	Missing Status = iota
	// Imported: data from lunar-go that staff have not yet compared with
	// the notice. It is used, and answers that depend on it are provisional.
	Imported
	// Confirmed: staff compared the data with the notice.
	Confirmed
)

var statusNames = [...]string{"missing", "imported", "confirmed"}

// String returns "missing", "imported" or "confirmed".
func (s Status) String() string {
	if int(s) < len(statusNames) && s >= 0 {
		return statusNames[s]
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// MarshalText encodes s as its String.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Year describes the data held for one year.
type Year struct {
	Year        int      `json:"year"`
	Notice      string   `json:"notice,omitempty"` // title of the source notice; "" when not identified
	Number      string   `json:"number,omitempty"` // its document number; "" when not verified
	Issued      Date     `json:"issued,omitzero"`  // when the notice was issued
	Source      string   `json:"source"`           // where the dates were imported from
	Status      Status   `json:"status"`
	Confirmed   bool     `json:"confirmed"`
	ConfirmedBy []string `json:"confirmed_by,omitempty"` // the two staff of a run-time Confirmation
	Days        []Day    `json:"days"`                   // holidays and make-up days, in date order
}

// Override makes one date a working day or a rest day, whatever the data
// says. It takes effect only when two different people stand behind it:
// ProposedBy and ApprovedBy both set and different (see Effective); the app
// enforces who may propose and approve. An effective override is
// authoritative, so answers for its date are never provisional.
type Override struct {
	Date       Date   `json:"date"`
	Working    bool   `json:"working"`
	Reason     string `json:"reason"`
	ProposedBy string `json:"proposed_by"`
	ApprovedBy string `json:"approved_by"`
}

// Effective reports whether two different people proposed and approved o.
func (o Override) Effective() bool { return twoPeople(o.ProposedBy, o.ApprovedBy) }

// Confirmation records that staff compared an imported year's data with the
// State Council notice named in Notice. Like Override, it takes effect only
// when ProposedBy and ApprovedBy are both set and different.
type Confirmation struct {
	Year       int    `json:"year"`
	Notice     string `json:"notice"`
	ProposedBy string `json:"proposed_by"`
	ApprovedBy string `json:"approved_by"`
}

// Effective reports whether two different people proposed and approved c.
func (c Confirmation) Effective() bool { return twoPeople(c.ProposedBy, c.ApprovedBy) }

func twoPeople(a, b string) bool {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	return a != "" && b != "" && a != b
}

// Options adjusts a Calendar built from the embedded data.
type Options struct {
	// Overrides are the admin overrides; those that are not Effective are
	// validated and then ignored.
	Overrides []Override
	// Confirmations confirm imported years at run time; those that are
	// not Effective are validated and then ignored.
	Confirmations []Confirmation
	// OnFallback, when set, is called with a year that has no data each
	// time an answer had to fall back to Monday–Friday for it (at most once
	// per year per call of IsWorkingDay or AddWorkingDays). The app raises
	// its alert there. It is called synchronously and must be safe for
	// concurrent use.
	OnFallback func(year int)
}

// Calendar answers which days are PRC working days. It is immutable and safe
// for concurrent use; build a new one when overrides or confirmations change.
type Calendar struct {
	years      map[int]*Year
	special    map[Date]Day
	overrides  map[Date]Override
	onFallback func(year int)
}

var embedded = mustNew()

func mustNew() *Calendar {
	c, err := New(Options{})
	if err != nil {
		panic("calendar: embedded data: " + err.Error())
	}
	return c
}

// Embedded returns the calendar of the embedded data alone: no overrides,
// no run-time confirmations, no fallback hook. It is shared and immutable.
func Embedded() *Calendar { return embedded }

// New builds a Calendar from the embedded data and opts. Every problem in
// opts is reported at once, as one Invalid error (code calendar.invalid)
// whose fields name the offending entries ("overrides[2].reason"): a zero
// date, a blank reason, two effective overrides of one date, a confirmation
// of a year without data or without a notice.
func New(opts Options) (*Calendar, error) {
	c := &Calendar{
		years:      make(map[int]*Year, len(embeddedYears)),
		special:    map[Date]Day{},
		overrides:  map[Date]Override{},
		onFallback: opts.OnFallback,
	}
	for _, yd := range embeddedYears {
		y := &Year{
			Year: yd.year, Notice: yd.notice, Number: yd.number, Issued: yd.issued,
			Source: dataSource, Confirmed: yd.confirmed, Status: Imported, Days: yd.days,
		}
		if y.Confirmed {
			y.Status = Confirmed
		}
		c.years[yd.year] = y
		for _, d := range yd.days {
			c.special[d.Date] = d
		}
	}

	var bad []errs.FieldError
	fail := func(field, rule string, params map[string]any) {
		bad = append(bad, errs.FieldError{Field: field, Rule: rule, Params: params})
	}
	for i, o := range opts.Overrides {
		f, before := fmt.Sprintf("overrides[%d]", i), len(bad)
		if o.Date.IsZero() {
			fail(f+".date", "required", nil)
		}
		if strings.TrimSpace(o.Reason) == "" {
			fail(f+".reason", "required", nil)
		}
		if !o.Effective() || len(bad) > before {
			continue
		}
		if _, dup := c.overrides[o.Date]; dup {
			fail(f+".date", "duplicate", map[string]any{"date": o.Date.String()})
			continue
		}
		c.overrides[o.Date] = o
	}
	for i, cf := range opts.Confirmations {
		f := fmt.Sprintf("confirmations[%d]", i)
		y, ok := c.years[cf.Year]
		if !ok {
			fail(f+".year", "no_data", map[string]any{"year": cf.Year})
		}
		if strings.TrimSpace(cf.Notice) == "" {
			fail(f+".notice", "required", nil)
		}
		if !ok || !cf.Effective() || strings.TrimSpace(cf.Notice) == "" {
			continue
		}
		y.Notice, y.Confirmed, y.Status = cf.Notice, true, Confirmed
		y.ConfirmedBy = []string{cf.ProposedBy, cf.ApprovedBy}
	}
	if len(bad) > 0 {
		return nil, errs.E(errs.Invalid, "calendar.invalid",
			fmt.Sprintf("%d calendar override or confirmation problem(s)", len(bad)), bad)
	}
	return c, nil
}

// IsWorkingDay reports whether d is a working day, and whether that answer
// is provisional: d's year is Imported (not confirmed) or Missing (Monday to
// Friday assumed, and OnFallback called). An effective override decides its
// date and is never provisional.
func (c *Calendar) IsWorkingDay(d Date) (working, provisional bool) {
	working, status, overridden := c.classify(d)
	if status == Missing && !overridden && c.onFallback != nil {
		c.onFallback(d.Year())
	}
	return working, !overridden && status != Confirmed
}

// classify is IsWorkingDay without the hook; status is d's year status.
func (c *Calendar) classify(d Date) (working bool, status Status, overridden bool) {
	if o, ok := c.overrides[d]; ok {
		return o.Working, c.Status(d.Year()), true
	}
	status = c.Status(d.Year())
	if status != Missing {
		if s, ok := c.special[d]; ok {
			return s.Working, status, false
		}
	}
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday, status, false
}

// Status reports the status of a year's data.
func (c *Calendar) Status(year int) Status {
	if y, ok := c.years[year]; ok {
		return y.Status
	}
	return Missing
}

// Year returns the data of one year (a copy), or false when it has none.
func (c *Calendar) Year(year int) (Year, bool) {
	y, ok := c.years[year]
	if !ok {
		return Year{}, false
	}
	out := *y
	out.Days = slices.Clone(y.Days)
	out.ConfirmedBy = slices.Clone(y.ConfirmedBy)
	return out, true
}

// Years returns the years that have data, ascending.
func (c *Calendar) Years() []int {
	out := make([]int, 0, len(c.years))
	for y := range c.years {
		out = append(out, y)
	}
	slices.Sort(out)
	return out
}

// MissingYears returns the years in [from, to] without data, ascending. The
// app's alert sweep asks for the current and the next year: the State
// Council usually publishes the next year's notice in November.
func (c *Calendar) MissingYears(from, to int) []int {
	var out []int
	for y := from; y <= to; y++ {
		if _, ok := c.years[y]; !ok {
			out = append(out, y)
		}
	}
	return out
}

// Overrides returns the effective overrides in date order.
func (c *Calendar) Overrides() []Override {
	out := make([]Override, 0, len(c.overrides))
	for _, o := range c.overrides {
		out = append(out, o)
	}
	slices.SortFunc(out, func(a, b Override) int { return a.Date.Compare(b.Date) })
	return out
}
