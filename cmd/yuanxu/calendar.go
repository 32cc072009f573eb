package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/calendar"
)

// calendarCmd answers from the embedded holiday data alone: it opens no
// database, so admin overrides and run-time confirmations (stored by the
// server) do not apply here.
type calendarCmd struct {
	Deadline calendarDeadlineCmd `cmd:"" help:"Print the deadline N working days after an instant of receipt."`
	Show     calendarShowCmd     `cmd:"" help:"List a year's holidays and make-up working days, with their source notice."`
}

// maxWorkingDays bounds --working-days: the longest window in the policy is
// a few weeks, and the computation is linear in N.
const maxWorkingDays = 10000

type calendarDeadlineCmd struct {
	From        string `required:"" placeholder:"TIME" help:"Instant of receipt, RFC 3339 (2026-09-30T10:00:00+08:00). Its date in Asia/Shanghai is not counted."`
	WorkingDays int    `required:"" placeholder:"N" help:"Number of working days (0 to 10000)."`
}

// Run prints the due date alone on the first line (for scripts), then the
// exclusive deadline instant, whether it is provisional and why.
func (c *calendarDeadlineCmd) Run(e *env) error {
	from, err := time.Parse(time.RFC3339, c.From)
	if err != nil {
		return usage("--from %q is not an RFC 3339 instant (like 2026-09-30T10:00:00+08:00)", c.From)
	}
	if c.WorkingDays < 0 || c.WorkingDays > maxWorkingDays {
		return usage("--working-days %d is out of range (0 to %d)", c.WorkingDays, maxWorkingDays)
	}
	cal := calendar.Embedded()
	dl := cal.AddWorkingDays(from, c.WorkingDays)
	w := e.stdout
	fmt.Fprintln(w, dl.Due)
	fmt.Fprintf(w, "deadline: %s (exclusive: the close of %s in Asia/Shanghai)\n", dl.At.Format(time.RFC3339), dl.Due)
	if !dl.Provisional {
		fmt.Fprintln(w, "provisional: no")
	} else {
		var why []string
		for _, y := range dl.Years {
			if s := cal.Status(y); s != calendar.Confirmed {
				why = append(why, fmt.Sprintf("%d: %s", y, statusText(cal, y)))
			}
		}
		fmt.Fprintf(w, "provisional: yes (%s)\n", strings.Join(why, "; "))
	}
	fmt.Fprintf(w, "received: %s (not counted), working days: %d\n", dl.Received, dl.WorkingDays)
	return nil
}

type calendarShowCmd struct {
	Year string `arg:"" help:"Year (1 to 9999)."`
}

// Run lists the year's data; a year without data is not an error (it is
// reported as missing, with the fallback that applies).
func (c *calendarShowCmd) Run(e *env) error {
	year, err := strconv.Atoi(c.Year)
	if err != nil || year < 1 || year > 9999 {
		return usage("year %q is not a year from 1 to 9999", c.Year)
	}
	cal := calendar.Embedded()
	writeYear(e.stdout, cal, year)
	return nil
}

func writeYear(w io.Writer, cal *calendar.Calendar, year int) {
	fmt.Fprintf(w, "year: %d\n", year)
	y, ok := cal.Year(year)
	if !ok {
		fmt.Fprintln(w, "source: none")
		fmt.Fprintln(w, "confirmed: no")
		fmt.Fprintf(w, "status: missing (%s)\n", statusText(cal, year))
		return
	}
	source := y.Notice
	if source == "" {
		source = "notice not identified"
	}
	var notes []string
	if !y.Issued.IsZero() {
		notes = append(notes, "issued "+y.Issued.String())
	}
	if y.Number != "" {
		notes = append(notes, y.Number)
	} else if y.Notice != "" {
		notes = append(notes, "document number not recorded")
	}
	if len(notes) > 0 {
		source += " (" + strings.Join(notes, "; ") + ")"
	}
	fmt.Fprintf(w, "source: %s\n", source)
	fmt.Fprintf(w, "data: %s\n", y.Source)
	fmt.Fprintf(w, "confirmed: %s\n", yesNo(y.Confirmed))
	fmt.Fprintf(w, "status: %s (%s)\n", y.Status, statusText(cal, year))
	fmt.Fprintln(w)
	for _, d := range y.Days {
		kind := "holiday"
		if d.Working {
			kind = "make-up working day"
		}
		fmt.Fprintf(w, "%s %s  %-19s  %s\n", d.Date, d.Date.Weekday().String()[:3], kind, d.Name)
	}
}

func statusText(cal *calendar.Calendar, year int) string {
	switch cal.Status(year) {
	case calendar.Confirmed:
		return "compared with the notice by staff"
	case calendar.Imported:
		y, _ := cal.Year(year)
		return "imported from " + y.Source + ", not yet confirmed against the notice"
	}
	return "no holiday data: Monday to Friday assumed"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
