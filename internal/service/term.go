package service

import (
	"time"

	"yuanxu/internal/catalog"
)

// AddCycles returns t plus n billing cycles in CST: a month is the same
// day and clock time of the next month, clamped to that month's last day
// (31 January → 28 or 29 February); a quarter is three months, a year
// twelve (29 February → 28 February in a common year). A one_off cycle
// has no term: t is returned unchanged. n ≤ 0 returns t.
func AddCycles(t time.Time, c catalog.Cycle, n int) time.Time {
	months := 0
	switch c {
	case catalog.CycleMonth:
		months = n
	case catalog.CycleQuarter:
		months = 3 * n
	case catalog.CycleYear:
		months = 12 * n
	}
	if months <= 0 {
		return t
	}
	return addMonths(t, months)
}

func addMonths(t time.Time, months int) time.Time {
	l := t.In(CST)
	y, m, d := l.Date()
	total := y*12 + int(m) - 1 + months // months since year 0; may go back
	ty, tm := total/12, time.Month(total%12+1)
	last := daysIn(ty, tm)
	if d > last {
		d = last
	}
	return time.Date(ty, tm, d, l.Hour(), l.Minute(), l.Second(), l.Nanosecond(), CST).In(t.Location())
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// RenewalEnd returns the new end of a term renewed at at for n cycles: the
// cycles are added to the current end, or to at when the service has
// already expired (an overdue renewal does not pay for the lapsed time).
func RenewalEnd(expiresAt, at time.Time, c catalog.Cycle, n int) time.Time {
	from := expiresAt
	if at.After(from) {
		from = at
	}
	return AddCycles(from, c, n)
}

// Phase is where a service stands against its term at an instant.
type Phase string

// Phases of expiry (issue 12 item 3).
const (
	PhaseInTerm      Phase = "in_term"      // before ExpiresAt
	PhaseGrace       Phase = "grace"        // expired, within the grace period: suspended (overdue) but kept
	PhaseTerminate   Phase = "terminate"    // the grace period is over: terminate
	PhaseDestroyData Phase = "destroy_data" // terminated for longer than the retention: ask the driver to destroy data
)

// Lifecycle holds the configurable periods of expiry.
type Lifecycle struct {
	Grace     time.Duration // after ExpiresAt, suspended but kept
	Retention time.Duration // after termination, data kept
}

// PhaseAt returns the phase of s at now under l: in term before ExpiresAt
// (exclusive), grace until ExpiresAt+Grace, then terminate; a terminated
// service is in destroy_data once Retention has passed since
// TerminatedAt, else in terminate (nothing left to do).
func (l Lifecycle) PhaseAt(s Service, now time.Time) Phase {
	if s.State == StateTerminated {
		if !now.Before(s.TerminatedAt.Add(l.Retention)) {
			return PhaseDestroyData
		}
		return PhaseTerminate
	}
	switch {
	case s.ExpiresAt.IsZero() || now.Before(s.ExpiresAt):
		return PhaseInTerm
	case now.Before(s.ExpiresAt.Add(l.Grace)):
		return PhaseGrace
	}
	return PhaseTerminate
}

// ReminderDays are the days before expiry a reminder goes out (issue 12).
var ReminderDays = []int{7, 3, 1}

// DueReminder returns the most urgent reminder due at now for a term
// ending at expiresAt that has not been sent (sent lists the days already
// reminded), and ok = false when none is. A reminder for d days is due
// from expiresAt − d×24h; once a more urgent one is due, the less urgent
// ones are skipped, never sent late (a service renewed by mistake into a
// two-day term gets only the one-day reminder).
func DueReminder(expiresAt, now time.Time, sent []int) (days int, ok bool) {
	if !now.Before(expiresAt) {
		return 0, false
	}
	best := 0
	for _, d := range ReminderDays {
		if !now.Before(expiresAt.Add(-time.Duration(d) * 24 * time.Hour)) {
			if best == 0 || d < best {
				best = d
			}
		}
	}
	if best == 0 {
		return 0, false
	}
	for _, s := range sent {
		if s <= best {
			return 0, false
		}
	}
	return best, true
}
