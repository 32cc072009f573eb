package store_test

import (
	"testing"
	"time"

	"yuanxu/internal/store"
)

// TestLaterMs: a write's updated_at is always a later millisecond than
// the version it replaces, whatever the clock says (ADR 17).
func TestLaterMs(t *testing.T) {
	t.Parallel()
	prev := time.Date(2026, 11, 27, 10, 0, 0, 5_000_000, time.UTC) // .005
	for _, c := range []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"a later clock", prev.Add(time.Second + 300*time.Microsecond), prev.Add(time.Second)},
		{"the same millisecond", prev.Add(400 * time.Microsecond), prev.Add(time.Millisecond)},
		{"a frozen clock", prev, prev.Add(time.Millisecond)},
		{"a clock behind", prev.Add(-time.Hour), prev.Add(time.Millisecond)},
	} {
		if got := store.LaterMs(prev, c.now); !got.Equal(c.want) {
			t.Errorf("%s: LaterMs(%v, %v) = %v, want %v", c.name, prev, c.now, got, c.want)
		}
	}
}
