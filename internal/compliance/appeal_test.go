package compliance

import (
	"errors"
	"testing"
	"time"

	"yuanxu/internal/errs"
)

func TestFirstNotice(t *testing.T) {
	t.Parallel()
	t1, t2 := time.Date(2026, 9, 29, 3, 0, 0, 0, time.UTC), time.Date(2026, 9, 29, 5, 0, 0, 0, time.UTC)
	cases := []struct {
		name string
		in   map[string]time.Time
		want time.Time
		ok   bool
	}{
		{"nothing delivered", map[string]time.Time{}, time.Time{}, false},
		{"the earlier of email and SMS", map[string]time.Time{"email": t2, "sms": t1}, t1, true},
		{"a zero instant is no delivery", map[string]time.Time{"email": {}, "sms": t2}, t2, true},
	}
	for _, c := range cases {
		got, ok := FirstNotice(c.in)
		if ok != c.ok || !got.Equal(c.want) {
			t.Errorf("%s: %v %v, want %v %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestLateAppealNamesClauseAndDeadline(t *testing.T) {
	t.Parallel()
	err := LateAppeal(time.Date(2026, 10, 26, 16, 0, 0, 0, time.UTC))
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != CodeAppealLate || e.Kind != errs.Conflict || e.Params["clause"] != "6.2" || e.Params["deadline"] != "2026-10-27T00:00:00+08:00" {
		t.Fatalf("late appeal = %+v", err)
	}
}
