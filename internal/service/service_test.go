package service

import (
	"testing"
	"time"

	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
)

func cst(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, CST) }

func TestAddCyclesClampsToMonthEnd(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		from  time.Time
		cycle catalog.Cycle
		n     int
		want  time.Time
	}{
		{"31 Jan + month, common year", cst(2026, 1, 31, 0, 30), catalog.CycleMonth, 1, cst(2026, 2, 28, 0, 30)},
		{"31 Jan + month, leap year", cst(2028, 1, 31, 0, 30), catalog.CycleMonth, 1, cst(2028, 2, 29, 0, 30)},
		{"31 Jan + 2 months", cst(2026, 1, 31, 12, 0), catalog.CycleMonth, 2, cst(2026, 3, 31, 12, 0)},
		{"30 Nov + quarter", cst(2026, 11, 30, 9, 0), catalog.CycleQuarter, 1, cst(2027, 2, 28, 9, 0)},
		{"29 Feb + year", cst(2028, 2, 29, 8, 0), catalog.CycleYear, 1, cst(2029, 2, 28, 8, 0)},
		{"29 Feb + 4 years", cst(2028, 2, 29, 8, 0), catalog.CycleYear, 4, cst(2032, 2, 29, 8, 0)},
		{"31 Dec + month", cst(2026, 12, 31, 23, 59), catalog.CycleMonth, 1, cst(2027, 1, 31, 23, 59)},
		{"one_off has no term", cst(2026, 5, 5, 5, 5), catalog.CycleOneOff, 1, cst(2026, 5, 5, 5, 5)},
		{"zero cycles", cst(2026, 5, 5, 5, 5), catalog.CycleMonth, 0, cst(2026, 5, 5, 5, 5)},
	} {
		if got := AddCycles(c.from, c.cycle, c.n); !got.Equal(c.want) {
			t.Errorf("%s: %s, want %s", c.name, got.In(CST), c.want)
		}
	}
	// In CST, not UTC: 31 Jan 00:30 CST is 30 Jan 16:30 UTC.
	utc := cst(2026, 1, 31, 0, 30).UTC()
	if got := AddCycles(utc, catalog.CycleMonth, 1); !got.Equal(cst(2026, 2, 28, 0, 30)) || got.Location() != time.UTC {
		t.Errorf("from UTC: %s", got)
	}
}

func TestRenewalEndFromTermOrFromNow(t *testing.T) {
	t.Parallel()
	end := cst(2026, 6, 1, 10, 0)
	if got := RenewalEnd(end, end.Add(-24*time.Hour), catalog.CycleMonth, 1); !got.Equal(cst(2026, 7, 1, 10, 0)) {
		t.Errorf("early renewal: %s", got)
	}
	late := end.Add(3 * 24 * time.Hour)
	if got := RenewalEnd(end, late, catalog.CycleMonth, 2); !got.Equal(cst(2026, 8, 4, 10, 0)) {
		t.Errorf("overdue renewal: %s", got)
	}
}

func TestSuspensionReasonsStack(t *testing.T) {
	t.Parallel()
	t0 := cst(2026, 6, 1, 0, 0)
	s := Service{ID: "s", State: StatePending}
	if _, err := s.Suspend(ReasonQuota, t0); errs.CodeOf(err) != CodeBadTransition {
		t.Fatalf("suspend pending: %v", err)
	}
	if err := s.Activate(t0, AddCycles(t0, catalog.CycleMonth, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Activate(t0, t0.Add(time.Hour)); errs.CodeOf(err) != CodeBadTransition {
		t.Fatalf("activate twice: %v", err)
	}
	if ch, err := s.Suspend(ReasonRefundPending, t0.Add(time.Hour)); !ch || err != nil || s.State != StateSuspended {
		t.Fatalf("suspend: %v %v %s", ch, err, s.State)
	}
	if ch, _ := s.Suspend(ReasonRefundPending, t0.Add(2*time.Hour)); ch {
		t.Fatal("suspending twice for one reason changed something")
	}
	if _, err := s.Suspend(ReasonCompliance, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	held, err := s.Resume(ReasonRefundPending, t0.Add(5*time.Hour))
	if err != nil || held != 4*time.Hour || s.State != StateSuspended || !s.Holds(ReasonCompliance) {
		t.Fatalf("resume one of two: %s %v %+v", held, err, s)
	}
	if held, _ := s.Resume(ReasonQuota, t0.Add(5*time.Hour)); held != 0 {
		t.Fatal("resuming a reason not in force returned a duration")
	}
	if _, err := s.Resume(ReasonCompliance, t0.Add(9*time.Hour)); err != nil || s.State != StateActive {
		t.Fatalf("resume last: %v %s", err, s.State)
	}
	if err := s.Extend(4*time.Hour, ExtendRefundRejected); err != nil || !s.ExpiresAt.Equal(cst(2026, 7, 1, 4, 0)) {
		t.Fatalf("extend: %v %s", err, s.ExpiresAt)
	}
	for _, bad := range []struct {
		d time.Duration
		r ExtensionReason
	}{{0, ExtendGoodwill}, {-time.Hour, ExtendGoodwill}, {MaxExtension + 1, ExtendGoodwill}, {time.Hour, "because"}} {
		if err := s.Extend(bad.d, bad.r); errs.CodeOf(err) != CodeInvalid {
			t.Errorf("extend %v %q: %v", bad.d, bad.r, err)
		}
	}
	if err := s.Terminate(t0.Add(40 * 24 * time.Hour)); err != nil || s.State != StateTerminated {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"renew":     s.Renew(t0.AddDate(1, 0, 0), t0),
		"terminate": s.Terminate(t0),
		"extend":    s.Extend(time.Hour, ExtendGoodwill),
	} {
		if errs.KindOf(err) != errs.Conflict {
			t.Errorf("%s after termination: %v", name, err)
		}
	}
	if _, err := s.Suspend(ReasonQuota, t0); errs.CodeOf(err) != CodeTerminated {
		t.Errorf("suspend after termination: %v", err)
	}
}

func TestRenewLiftsOverdue(t *testing.T) {
	t.Parallel()
	t0 := cst(2026, 6, 1, 0, 0)
	s := Service{State: StatePending}
	if err := s.Activate(t0, AddCycles(t0, catalog.CycleMonth, 1)); err != nil {
		t.Fatal(err)
	}
	late := s.ExpiresAt.Add(time.Hour)
	if _, err := s.Suspend(ReasonOverdue, late); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Suspend(ReasonCompliance, late); err != nil {
		t.Fatal(err)
	}
	if err := s.Renew(RenewalEnd(s.ExpiresAt, late, catalog.CycleMonth, 1), late); err != nil {
		t.Fatal(err)
	}
	if s.Holds(ReasonOverdue) || !s.Holds(ReasonCompliance) || s.State != StateSuspended {
		t.Fatalf("after renewal: %+v", s)
	}
	if err := s.Renew(s.ExpiresAt, late); errs.CodeOf(err) != CodeInvalid {
		t.Fatalf("renewal that does not extend: %v", err)
	}
}

func TestLifecyclePhases(t *testing.T) {
	t.Parallel()
	end := cst(2026, 7, 1, 0, 0)
	l := Lifecycle{Grace: 7 * 24 * time.Hour, Retention: 30 * 24 * time.Hour}
	s := Service{State: StateActive, ExpiresAt: end}
	for _, c := range []struct {
		at   time.Time
		want Phase
	}{
		{end.Add(-time.Nanosecond), PhaseInTerm},
		{end, PhaseGrace},
		{end.Add(l.Grace - time.Nanosecond), PhaseGrace},
		{end.Add(l.Grace), PhaseTerminate},
	} {
		if got := l.PhaseAt(s, c.at); got != c.want {
			t.Errorf("at %s: %s, want %s", c.at, got, c.want)
		}
	}
	term := Service{State: StateTerminated, TerminatedAt: end}
	if l.PhaseAt(term, end.Add(l.Retention-time.Second)) != PhaseTerminate || l.PhaseAt(term, end.Add(l.Retention)) != PhaseDestroyData {
		t.Error("retention boundary")
	}
}

func TestDueReminder(t *testing.T) {
	t.Parallel()
	end := cst(2026, 7, 10, 12, 0)
	day := 24 * time.Hour
	for _, c := range []struct {
		name string
		now  time.Time
		sent []int
		want int
	}{
		{"8 days before", end.Add(-8 * day), nil, 0},
		{"exactly 7 days before", end.Add(-7 * day), nil, 7},
		{"7 sent", end.Add(-6 * day), []int{7}, 0},
		{"3 days before, 7 sent", end.Add(-3 * day), []int{7}, 3},
		{"2 days before, nothing sent: only 3", end.Add(-2 * day), nil, 3},
		{"12 hours before, 7 sent: 1, skipping 3", end.Add(-12 * time.Hour), []int{7}, 1},
		{"1 sent", end.Add(-time.Hour), []int{7, 3, 1}, 0},
		{"expired", end, nil, 0},
	} {
		got, ok := DueReminder(end, c.now, c.sent)
		if got != c.want || ok != (c.want != 0) {
			t.Errorf("%s: %d %v, want %d", c.name, got, ok, c.want)
		}
	}
}
