// Package clock is the one source of business time. Every rule that compares
// instants (refund windows, deadlines, expiries) reads a Clock that was
// injected, never time.Now directly.
//
// Wall time stays in charge of what outside parties check (TOTP, gateway
// timestamps, TLS, rate limits, logs); only business time is sandboxed.
package clock

import (
	"sync"
	"sync/atomic"
	"time"
)

// Clock tells business time. Implementations are safe for concurrent use.
type Clock interface {
	Now() time.Time
}

// Wall is the real time, truncated to milliseconds (the storage precision).
type Wall struct{}

// Now returns the wall time in UTC, truncated to milliseconds.
func (Wall) Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// Sandbox is the sandbox test clock: wall time plus an offset that only grows.
// Time keeps flowing between advances (so sessions and timestamps still
// differ), and Advance/Set move it forward at once. The offset is persisted
// by the app (table sandbox_clock) so that instances share it and restarts
// keep it; this type only holds the in-memory copy.
type Sandbox struct {
	offset atomic.Int64 // nanoseconds
	wall   func() time.Time
	mu     sync.Mutex // serialises Raise so the offset is monotonic
}

// NewSandbox returns a sandbox clock with the given offset from wall time.
// wall may be nil (time.Now).
func NewSandbox(offset time.Duration, wall func() time.Time) *Sandbox {
	if wall == nil {
		wall = time.Now
	}
	s := &Sandbox{wall: wall}
	s.offset.Store(int64(offset))
	return s
}

// Now returns wall time plus the offset, in UTC, truncated to milliseconds.
func (s *Sandbox) Now() time.Time {
	return s.wall().Add(time.Duration(s.offset.Load())).UTC().Truncate(time.Millisecond)
}

// Offset returns the current offset from wall time.
func (s *Sandbox) Offset() time.Duration { return time.Duration(s.offset.Load()) }

// Raise sets the offset to off if that is larger than the current one, and
// reports the offset in effect afterwards. The clock never moves back.
func (s *Sandbox) Raise(off time.Duration) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	if int64(off) > s.offset.Load() {
		s.offset.Store(int64(off))
	}
	return time.Duration(s.offset.Load())
}

// OffsetFor returns the offset that makes Now() equal to t at this instant.
func (s *Sandbox) OffsetFor(t time.Time) time.Duration { return t.Sub(s.wall()) }

// Manual is a clock for tests that moves only when told to.
type Manual struct {
	mu  sync.Mutex
	now time.Time
}

// NewManual returns a Manual clock stopped at t.
func NewManual(t time.Time) *Manual { return &Manual{now: t.UTC().Truncate(time.Millisecond)} }

// Now returns the clock's instant.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Advance moves the clock forward by d (negative d is ignored).
func (m *Manual) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	m.mu.Lock()
	m.now = m.now.Add(d)
	m.mu.Unlock()
}

// Shanghai is the Asia/Shanghai zone, embedded via time/tzdata so hosts
// without zoneinfo behave the same. Deadlines shown to people use it.
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}
