package notify

import "time"

// Status is a delivery's state (DESIGN.md §2): queued → sent →
// delivered / bounced; queued → failed, after retries or at once on a
// permanent refusal. Email is sent when the relay accepted it and becomes
// delivered when no permanent bounce followed within the bounce window; an
// SMS is delivered when the provider accepted it; an inbox item is
// delivered when written.
type Status string

const (
	StatusQueued    Status = "queued"
	StatusSent      Status = "sent"
	StatusDelivered Status = "delivered"
	StatusBounced   Status = "bounced"
	StatusFailed    Status = "failed"
)

// Final reports whether no further transition can happen.
func (s Status) Final() bool {
	return s == StatusDelivered || s == StatusBounced || s == StatusFailed
}

// CanTransition reports whether from → to is allowed. A delivered email may
// still bounce (a late DSN); nothing leaves bounced or failed.
func CanTransition(from, to Status) bool {
	switch from {
	case StatusQueued:
		return to == StatusSent || to == StatusDelivered || to == StatusFailed || to == StatusQueued
	case StatusSent:
		return to == StatusDelivered || to == StatusBounced
	case StatusDelivered:
		return to == StatusBounced
	}
	return false
}

// RetryPolicy is exponential backoff: attempt n (1-based) failing
// temporarily waits Base·2^(n-1), at most Max, and attempt MaxAttempts
// failing temporarily fails the delivery.
type RetryPolicy struct {
	Base        time.Duration
	Max         time.Duration
	MaxAttempts int
}

// DefaultRetry waits 30s, 1m, 2m, … up to 1h between attempts, 10 attempts
// (about 4.5 hours in all): long enough to ride out a relay outage or a
// provider's rate limit.
var DefaultRetry = RetryPolicy{Base: 30 * time.Second, Max: time.Hour, MaxAttempts: 10}

// Delay returns the wait after failed attempt n (n ≥ 1).
func (p RetryPolicy) Delay(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := p.Base
	for i := 1; i < n && d < p.Max; i++ {
		d *= 2
	}
	if d > p.Max {
		d = p.Max
	}
	return d
}

// GiveUp reports whether a delivery that has made n attempts, the last
// failing temporarily, should fail instead of retrying.
func (p RetryPolicy) GiveUp(n int) bool { return n >= p.MaxAttempts }
