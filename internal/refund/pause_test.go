package refund

import (
	"testing"
	"time"
)

func TestExtendForPauses(t *testing.T) {
	t.Parallel()
	at := func(h int) time.Time {
		return time.Date(2026, 9, 29, 0, 0, 0, 0, time.UTC).Add(time.Duration(h) * time.Hour)
	}
	start, end := at(0), at(24)
	cases := []struct {
		name   string
		pauses []Span
		want   time.Time
	}{
		{"none", nil, end},
		{"a ban inside the window gives back its length", []Span{{at(1), at(73)}}, at(96)},
		{"a ban after the window gives nothing", []Span{{at(30), at(40)}}, end},
		{"a ban before the window counts from the start", []Span{{at(-10), at(5)}}, at(29)},
		{"a ban still in force (no end) gives nothing", []Span{{at(1), time.Time{}}}, end},
		{"two bans add up", []Span{{at(1), at(3)}, {at(20), at(30)}}, at(36)},
	}
	for _, c := range cases {
		if got := ExtendForPauses(start, end, c.pauses); !got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
