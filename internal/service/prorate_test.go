package service

import (
	"testing"
	"time"

	"yuanxu/internal/catalog"
)

func TestDaysLeftCountsStartedDays(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		now, end time.Time
		want     int
	}{
		{cst(2026, 2, 1, 0, 0), cst(2026, 3, 1, 0, 0), 28},
		{cst(2028, 2, 1, 0, 0), cst(2028, 3, 1, 0, 0), 29},
		{cst(2026, 2, 15, 13, 0), cst(2026, 3, 1, 0, 0), 14},
		{cst(2026, 2, 28, 23, 59), cst(2026, 3, 1, 0, 0), 1},
		{cst(2026, 1, 31, 10, 0), cst(2026, 2, 28, 10, 0), 29}, // 31 Jan to 28 Feb, both partial days
		{cst(2026, 3, 1, 0, 0), cst(2026, 3, 1, 0, 0), 0},
		{cst(2026, 3, 2, 0, 0), cst(2026, 3, 1, 0, 0), 0},
	} {
		if got := DaysLeft(c.now, c.end); got != c.want {
			t.Errorf("DaysLeft(%s, %s) = %d, want %d", c.now, c.end, got, c.want)
		}
	}
}

func TestProrateMonthEndsAndLeapDays(t *testing.T) {
	t.Parallel()
	feb := func(y int) (time.Time, time.Time) {
		s := cst(y, 2, 1, 0, 0)
		return s, AddCycles(s, catalog.CycleMonth, 1)
	}
	s26, e26 := feb(2026)
	s28, e28 := feb(2028)
	for _, c := range []struct {
		name string
		ch   Change
		want int64
	}{
		// ¥99 → ¥199 on 15 Feb of a common year: 14 of 28 days left.
		{"upgrade mid-February", Change{9900, 19900, s26, e26, cst(2026, 2, 15, 9, 0)}, 5000},
		// The same day of a leap year: 15 of 29 days left; 10000×15/29 = 5172.41 → 5172 (charge rounds down).
		{"upgrade mid-February, leap year", Change{9900, 19900, s28, e28, cst(2028, 2, 15, 9, 0)}, 5172},
		// On 29 Feb itself: one day left of 29; 10000/29 = 344.8 → 344.
		{"upgrade on a leap day", Change{9900, 19900, s28, e28, cst(2028, 2, 29, 23, 0)}, 344},
		// A downgrade credits, rounded up in magnitude: −10000×15/29 = −5172.41 → −5173.
		{"downgrade, leap year", Change{19900, 9900, s28, e28, cst(2028, 2, 15, 9, 0)}, -5173},
		{"at the start: the whole difference", Change{9900, 19900, s26, e26, s26}, 10000},
		{"same price", Change{9900, 9900, s26, e26, cst(2026, 2, 15, 9, 0)}, 0},
		// A 31-day January cycle ending on 28 Feb after clamping: 31 Jan → 28 Feb.
		{"clamped cycle", Change{3100, 6200, cst(2026, 1, 31, 10, 0), cst(2026, 2, 28, 10, 0), cst(2026, 2, 14, 10, 0)}, 1603},
	} {
		got, err := Prorate(c.ch)
		if err != nil || got != c.want {
			t.Errorf("%s: %d, %v; want %d", c.name, got, err, c.want)
		}
	}
	if _, err := Prorate(Change{9900, 19900, s26, e26, cst(2026, 1, 1, 0, 0)}); err == nil {
		t.Error("a change before the cycle was accepted")
	}
	if _, err := Prorate(Change{-1, 19900, s26, e26, s26}); err == nil {
		t.Error("a negative price was accepted")
	}
	huge := int64(1) << 62
	if got, err := Prorate(Change{0, huge, s26, e26, s26.Add(time.Hour)}); err != nil || got != huge {
		t.Errorf("no overflow: %d, %v", got, err)
	}
}

func TestCurrentCycleAndProrateTerm(t *testing.T) {
	t.Parallel()
	// A year paid by months from 31 Jan 2028 (leap year): the term ends 31 Jan 2029.
	end := cst(2029, 1, 31, 10, 0)
	start, cycleEnd, after, ok := CurrentCycle(end, cst(2028, 2, 15, 12, 0), catalog.CycleMonth)
	if !ok || !start.Equal(cst(2028, 1, 31, 10, 0)) || !cycleEnd.Equal(cst(2028, 2, 29, 10, 0)) || after != 11 {
		t.Fatalf("cycle = %s – %s, %d after, %v", start, cycleEnd, after, ok)
	}
	// ¥10 → ¥40 a month on 15 Feb 2028: cycle 31 Jan 10:00 – 29 Feb 10:00 (30 started days),
	// 15 of them left → 3000×15/30 = 1500; plus 11 whole months × 3000.
	got, err := ProrateTerm(1000, 4000, catalog.CycleMonth, cst(2028, 2, 15, 12, 0), end)
	if err != nil || got != 1500+11*3000 {
		t.Fatalf("ProrateTerm = %d, %v", got, err)
	}
	if _, _, _, ok := CurrentCycle(end, end, catalog.CycleMonth); ok {
		t.Fatal("a cycle at the end of the term")
	}
	if _, err := ProrateTerm(1000, 4000, catalog.CycleOneOff, cst(2028, 2, 15, 12, 0), end); err == nil {
		t.Fatal("a one-off term prorated")
	}
	if got := addMonths(cst(2026, 1, 15, 0, 0), -1); !got.Equal(cst(2025, 12, 15, 0, 0)) {
		t.Fatalf("back across a year: %s", got)
	}
}
