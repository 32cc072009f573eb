package service

import (
	"math/big"
	"time"

	"yuanxu/internal/catalog"

	"yuanxu/internal/errs"
)

// CodeProrate is the error code of an impossible proration.
const CodeProrate = "service.prorate_invalid"

// DaysLeft returns the whole CST days from now to end, counting a started
// day as remaining (now in the middle of a day counts that day), and 0
// when end is not after now.
func DaysLeft(now, end time.Time) int {
	if !end.After(now) {
		return 0
	}
	a := dayStart(now)
	b := dayStart(end)
	n := int(b.Sub(a).Hours() / 24)
	if end.After(b) { // end is not at midnight: its day is partly in the term
		n++
	}
	return n
}

func dayStart(t time.Time) time.Time {
	l := t.In(CST)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, CST)
}

// Change is a plan change in the middle of a term.
type Change struct {
	OldPriceFen int64     // the price of the current plan for the cycle
	NewPriceFen int64     // the price of the new plan for the same cycle
	CycleStart  time.Time // the start of the current cycle
	CycleEnd    time.Time // its exclusive end (the term's end for the last cycle)
	At          time.Time // when the change takes effect
}

// Prorate returns what a plan change costs for the rest of the current
// cycle: (new − old) × days left ÷ days in the cycle, in fen, positive to
// charge and negative to credit. Rounding is in the customer's favour: a
// charge rounds down, a credit rounds up in magnitude. Computed exactly
// (no floats, no overflow). The change must fall inside the cycle.
func Prorate(c Change) (int64, error) {
	total := DaysLeft(c.CycleStart, c.CycleEnd)
	left := DaysLeft(c.At, c.CycleEnd)
	if c.OldPriceFen < 0 || c.NewPriceFen < 0 || total <= 0 || c.At.Before(c.CycleStart) || left > total {
		return 0, errs.E(errs.Op("service.Prorate"), errs.Invalid, CodeProrate, "the change must fall inside a cycle with non-negative prices")
	}
	diff := new(big.Int).Sub(big.NewInt(c.NewPriceFen), big.NewInt(c.OldPriceFen))
	num := new(big.Int).Mul(diff, big.NewInt(int64(left)))
	den := big.NewInt(int64(total))
	q, m := new(big.Int).QuoRem(num, den, new(big.Int)) // truncates toward zero
	if m.Sign() != 0 && num.Sign() < 0 {
		q.Sub(q, big.NewInt(1)) // a credit rounds up in magnitude
	}
	if !q.IsInt64() {
		return 0, errs.E(errs.Op("service.Prorate"), errs.Invalid, CodeProrate, "amount out of range")
	}
	return q.Int64(), nil
}

// CurrentCycle returns the cycle of a term ending at end that holds now —
// walking back from end one cycle at a time — and how many whole cycles
// follow it before end. A term that is not cycle-based (one_off) or has
// ended gives ok = false.
func CurrentCycle(end, now time.Time, c catalog.Cycle) (start, cycleEnd time.Time, after int, ok bool) {
	if !now.Before(end) || c == catalog.CycleOneOff || !c.Valid() {
		return time.Time{}, time.Time{}, 0, false
	}
	months := map[catalog.Cycle]int{catalog.CycleMonth: 1, catalog.CycleQuarter: 3, catalog.CycleYear: 12}[c]
	// Each boundary is counted from end itself, so that month-end
	// clamping does not drift (31 Jan − 1 month per step would reach 29
	// Jan by March).
	cycleEnd = end
	for i := 0; i < 1200; i++ {
		start = addMonths(end, -months*(i+1))
		if !now.Before(start) {
			return start, cycleEnd, i, true
		}
		cycleEnd = start
	}
	return time.Time{}, time.Time{}, 0, false
}

// ProrateTerm returns what changing from oldFen to newFen per cycle costs
// at now for a term ending at end: the prorated rest of the current cycle
// ([Prorate]) plus the full difference for each whole cycle after it.
func ProrateTerm(oldFen, newFen int64, c catalog.Cycle, now, end time.Time) (int64, error) {
	start, cycleEnd, after, ok := CurrentCycle(end, now, c)
	if !ok {
		return 0, errs.E(errs.Op("service.ProrateTerm"), errs.Invalid, CodeProrate, "no running cycle to change")
	}
	part, err := Prorate(Change{OldPriceFen: oldFen, NewPriceFen: newFen, CycleStart: start, CycleEnd: cycleEnd, At: now})
	if err != nil {
		return 0, err
	}
	rest := new(big.Int).Mul(new(big.Int).Sub(big.NewInt(newFen), big.NewInt(oldFen)), big.NewInt(int64(after)))
	total := rest.Add(rest, big.NewInt(part))
	if !total.IsInt64() {
		return 0, errs.E(errs.Op("service.ProrateTerm"), errs.Invalid, CodeProrate, "amount out of range")
	}
	return total.Int64(), nil
}
