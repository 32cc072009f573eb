package ticket

import (
	"fmt"
	"time"

	"yuanxu/internal/calendar"
)

// Span is a target length: hours of wall-clock time, or PRC working days
// (the day of receipt not counted; the close of the last day, in
// Asia/Shanghai, on the embedded statutory calendar with 调休 days).
type Span struct {
	Hours       int
	WorkingDays int
}

// String is "4h" or "2wd".
func (s Span) String() string {
	if s.WorkingDays > 0 {
		return fmt.Sprintf("%dwd", s.WorkingDays)
	}
	return fmt.Sprintf("%dh", s.Hours)
}

// Due is the instant a span started at from ends (exclusive).
func (s Span) Due(cal *calendar.Calendar, from time.Time) time.Time {
	if s.WorkingDays > 0 {
		return cal.AddWorkingDays(from, s.WorkingDays).At
	}
	return from.Add(time.Duration(s.Hours) * time.Hour)
}

// Target is the service target of a category and priority: the first
// staff answer within FirstResponse, the ticket closed within Resolution.
// Targets are the company's service goals, not numbers of the agreement.
type Target struct {
	FirstResponse, Resolution Span
}

// firstResponse by priority; complaints and privacy requests are answered
// at least as fast as high-priority tickets.
var firstResponse = map[Priority]Span{
	PriorityUrgent: {Hours: 2},
	PriorityHigh:   {Hours: 4},
	PriorityNormal: {WorkingDays: 1},
	PriorityLow:    {WorkingDays: 2},
}

var resolution = map[Priority]Span{
	PriorityUrgent: {WorkingDays: 1},
	PriorityHigh:   {WorkingDays: 2},
	PriorityNormal: {WorkingDays: 5},
	PriorityLow:    {WorkingDays: 10},
}

// TargetFor returns the target of category c at priority p.
func TargetFor(c Category, p Priority) Target {
	if !p.Valid() {
		p = PriorityNormal
	}
	t := Target{FirstResponse: firstResponse[p], Resolution: resolution[p]}
	switch c {
	case CategoryComplaint, CategoryPrivacyRequest, CategoryDeliveryIssue:
		if p == PriorityLow || p == PriorityNormal {
			t.FirstResponse = firstResponse[PriorityHigh]
		}
	case CategorySuggestion:
		t.Resolution = Span{WorkingDays: 15}
	}
	return t
}

// Deadlines are a ticket's target instants.
type Deadlines struct {
	FirstResponseDue, ResolutionDue time.Time
}

// DeadlinesFor computes the targets of a ticket opened at openedAt.
func DeadlinesFor(cal *calendar.Calendar, c Category, p Priority, openedAt time.Time) Deadlines {
	t := TargetFor(c, p)
	return Deadlines{FirstResponseDue: t.FirstResponse.Due(cal, openedAt), ResolutionDue: t.Resolution.Due(cal, openedAt)}
}

// Timer is what staff see of one target.
type Timer struct {
	Due      time.Time
	Met      bool          // the answer or close came in time
	Breached bool          // the target passed unmet (or was met late)
	Left     time.Duration // until Due (negative once passed); zero when met
}

// TimerAt reports the state of a target due at due, done at doneAt (zero:
// not yet), at now.
func TimerAt(due, doneAt, now time.Time) Timer {
	t := Timer{Due: due}
	if due.IsZero() {
		return t
	}
	if !doneAt.IsZero() {
		t.Met = doneAt.Before(due)
		t.Breached = !t.Met
		return t
	}
	t.Left = due.Sub(now)
	t.Breached = !now.Before(due)
	return t
}
