package usage

import (
	"math/big"
	"time"

	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
)

// Class is whose traffic a sample measures.
type Class string

// Classes. Only Customer is billed or counted for refunds.
const (
	Customer  Class = "customer"
	Provider  Class = "provider"
	Mitigated Class = "mitigated"
)

// Valid reports whether c is known.
func (c Class) Valid() bool { return c == Customer || c == Provider || c == Mitigated }

// Sample is the bytes one service moved in one interval (deltas).
type Sample struct {
	ServiceID string
	Start     time.Time
	Seconds   int64
	RxBytes   uint64
	TxBytes   uint64
	Class     Class
}

// End is the exclusive end of the interval.
func (s Sample) End() time.Time { return s.Start.Add(time.Duration(s.Seconds) * time.Second) }

// Limits of a sample.
const (
	MaxSeconds = 86400 // one day
	// MaxBytesPerSecond bounds a sample's rate: 100 Gbit/s each way. More
	// is a broken meter, not traffic.
	MaxBytesPerSecond = 100_000_000_000 / 8
	// MaxFuture is how far ahead of the server's clock an interval may end
	// (meters' clocks drift).
	MaxFuture = 5 * time.Minute
)

// Error codes.
const (
	CodeSampleInvalid = "usage.sample_invalid"
)

// Validate checks one sample against now: a service id, a known class, an
// interval of 1 s to a day that does not end more than MaxFuture ahead,
// and byte counts a meter could have produced. field prefixes the field
// names ("samples[3]").
func (s Sample) Validate(now time.Time, field string) error {
	var fes []errs.FieldError
	bad := func(f, rule string, params map[string]any) {
		fes = append(fes, errs.FieldError{Field: field + "." + f, Rule: rule, Params: params})
	}
	if s.ServiceID == "" || len(s.ServiceID) > 64 {
		bad("service_id", "required", nil)
	}
	if !s.Class.Valid() {
		bad("class", "enum", map[string]any{"values": []string{"customer", "provider", "mitigated"}})
	}
	if s.Seconds < 1 || s.Seconds > MaxSeconds {
		bad("interval_seconds", "range", map[string]any{"min": 1, "max": MaxSeconds})
	}
	if s.Start.IsZero() {
		bad("interval_start", "required", nil)
	} else if s.Seconds >= 1 && s.End().After(now.Add(MaxFuture)) {
		bad("interval_start", "future", nil)
	}
	limit := uint64(max(s.Seconds, 1)) * MaxBytesPerSecond
	if s.RxBytes > limit {
		bad("rx_bytes", "absurd", map[string]any{"max": limit})
	}
	if s.TxBytes > limit {
		bad("tx_bytes", "absurd", map[string]any{"max": limit})
	}
	if len(fes) > 0 {
		return errs.E(errs.Op("usage.Sample.Validate"), errs.Invalid, CodeSampleInvalid, "the sample is not valid", fes)
	}
	return nil
}

// Same reports whether two samples of one (service, start) carry the same
// figures: a resend to ignore rather than a conflict to quarantine.
func (s Sample) Same(o Sample) bool {
	return s.ServiceID == o.ServiceID && s.Start.Equal(o.Start) && s.Seconds == o.Seconds && s.RxBytes == o.RxBytes && s.TxBytes == o.TxBytes &&
		s.Class == o.Class
}

// Billed is the bytes of s counted in direction d: zero for anything but
// customer traffic.
func (s Sample) Billed(d catalog.Direction) uint64 {
	if s.Class != Customer {
		return 0
	}
	return catalog.BilledBytes(d, s.RxBytes, s.TxBytes)
}

// BilledAsOf is the bytes of s counted at instant at: all of it when the
// interval ended by then, none when it starts after, and the part before
// at of a straddling interval, pro rata by time (rounded down).
func (s Sample) BilledAsOf(d catalog.Direction, at time.Time) uint64 {
	b := s.Billed(d)
	switch {
	case !at.After(s.Start):
		return 0
	case !at.Before(s.End()):
		return b
	}
	part := at.Sub(s.Start)
	whole := s.End().Sub(s.Start)
	q := new(big.Int).Mul(new(big.Int).SetUint64(b), big.NewInt(int64(part)))
	q.Quo(q, big.NewInt(int64(whole)))
	return q.Uint64()
}

// Pack is a traffic pack attached to a server.
type Pack struct {
	ID        string
	Bytes     uint64
	From      time.Time // when it was attached (its order paid)
	Until     time.Time // exclusive end of its validity
	Purchased time.Time // purchase order: earlier packs are consumed first
}

// Allowance is what a server may use in a cycle: its quota plus the packs
// valid in it.
type Allowance struct {
	Quota uint64
	Packs []Pack
}

// Total is the quota plus every pack valid at at.
func (a Allowance) Total(at time.Time) uint64 {
	t := a.Quota
	for _, p := range a.Packs {
		if !at.Before(p.From) && at.Before(p.Until) {
			t += p.Bytes
		}
	}
	return t
}

// PackUse is how much of each pack used bytes consume beyond the quota,
// packs taken in purchase order (valid at at).
func (a Allowance) PackUse(used uint64, at time.Time) map[string]uint64 {
	out := map[string]uint64{}
	over := uint64(0)
	if used > a.Quota {
		over = used - a.Quota
	}
	packs := append([]Pack(nil), a.Packs...)
	for i := 1; i < len(packs); i++ { // insertion sort: few packs
		for j := i; j > 0 && packs[j].Purchased.Before(packs[j-1].Purchased); j-- {
			packs[j], packs[j-1] = packs[j-1], packs[j]
		}
	}
	for _, p := range packs {
		if at.Before(p.From) || !at.Before(p.Until) {
			continue
		}
		take := min(over, p.Bytes)
		out[p.ID] = take
		over -= take
	}
	return out
}

// Level is where usage stands against an allowance.
type Level int

// Levels: alerts go out when a level is first reached in a cycle.
const (
	LevelOK        Level = 0
	LevelWarning   Level = 80  // 80 % used
	LevelExhausted Level = 100 // 100 %: suspend (reason quota)
)

// LevelOf is the level of used bytes against total.
func LevelOf(used, total uint64) Level {
	switch {
	case total == 0 || used >= total:
		return LevelExhausted
	case used*5 >= total*4: // ≥ 80 % without floats or overflow for realistic figures
		return LevelWarning
	}
	return LevelOK
}
