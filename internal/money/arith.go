package money

import (
	"math/bits"

	"yuanxu/internal/errs"
)

func overflowErr(op string) error {
	return errs.E(errs.Invalid, CodeOverflow, "amount out of range", errs.Op("money."+op))
}

// Add returns f+g, or an error with [CodeOverflow] when the sum leaves int64.
func (f Fen) Add(g Fen) (Fen, error) {
	s := f + g
	if (s > f) != (g > 0) {
		return 0, overflowErr("Add")
	}
	return s, nil
}

// Sub returns f-g, or an error with [CodeOverflow] when the difference
// leaves int64.
func (f Fen) Sub(g Fen) (Fen, error) {
	d := f - g
	if (d < f) != (g > 0) {
		return 0, overflowErr("Sub")
	}
	return d, nil
}

// Mul returns f×n (a quantity, a number of cycles), or an error with
// [CodeOverflow] when the product leaves int64.
func (f Fen) Mul(n int64) (Fen, error) {
	hi, lo := bits.Mul64(abs(int64(f)), abs(n))
	neg := (f < 0) != (n < 0)
	r, ok := signed(hi, lo, neg)
	if !ok {
		return 0, overflowErr("Mul")
	}
	return r, nil
}

// Sum returns the sum of fs (0 for none), or an error with [CodeOverflow]
// as soon as a partial sum leaves int64 — even if a later term would have
// brought it back: totals must be meaningful at every step.
func Sum(fs ...Fen) (Fen, error) {
	var s Fen
	for _, f := range fs {
		var err error
		if s, err = s.Add(f); err != nil {
			return 0, overflowErr("Sum")
		}
	}
	return s, nil
}

// Neg returns -f, or an error with [CodeOverflow] for [MinFen].
func (f Fen) Neg() (Fen, error) {
	if f == MinFen {
		return 0, overflowErr("Neg")
	}
	return -f, nil
}

// Rounding says how [Percent] treats a fraction of a fen. Rounding is
// symmetric: the magnitude is rounded and the sign put back, so
// Percent(-x) == -Percent(x).
type Rounding int

const (
	// RoundDown drops the fraction (towards zero): what a cap or a fee
	// uses when it must never exceed the exact amount.
	RoundDown Rounding = iota
	// RoundHalfUp rounds to the nearest fen, a half fen away from zero
	// (四舍五入), the rule customers expect on a receipt.
	RoundHalfUp
	// RoundUp rounds any fraction away from zero.
	RoundUp
)

func (r Rounding) String() string {
	switch r {
	case RoundDown:
		return "down"
	case RoundHalfUp:
		return "half_up"
	case RoundUp:
		return "up"
	}
	return "rounding(?)"
}

// BasisPoints in 100 %: 10000 basis points = 100 %, 1 bp = 0.01 %.
const BasisPoints = 10000

// Percent returns f × basisPoints / 10000 rounded by r (a 15 % coupon on
// ¥19.99 is Percent(1999, 1500, r)). It computes exactly in 128 bits and
// reports [CodeOverflow] only when the result itself leaves int64. An
// unknown Rounding is an error (Internal: a programming mistake).
func Percent(f Fen, basisPoints int64, r Rounding) (Fen, error) {
	if r != RoundDown && r != RoundHalfUp && r != RoundUp {
		return 0, errs.E(errs.Internal, "money.rounding", "unknown rounding", errs.Op("money.Percent"))
	}
	hi, lo := bits.Mul64(abs(int64(f)), abs(basisPoints))
	// 128/64 division in two steps so that hi ≥ divisor cannot panic.
	qhi, rhi := hi/BasisPoints, hi%BasisPoints
	qlo, rem := bits.Div64(rhi, lo, BasisPoints)
	round := false
	switch r {
	case RoundHalfUp:
		round = rem*2 >= BasisPoints
	case RoundUp:
		round = rem > 0
	}
	if round {
		var c uint64
		qlo, c = bits.Add64(qlo, 1, 0)
		qhi += c
	}
	res, ok := signed(qhi, qlo, (f < 0) != (basisPoints < 0))
	if !ok {
		return 0, overflowErr("Percent")
	}
	return res, nil
}

// abs returns |n| as uint64, exact for math.MinInt64.
func abs(n int64) uint64 {
	if n < 0 {
		return -uint64(n)
	}
	return uint64(n)
}

// signed turns the 128-bit magnitude hi:lo and a sign into a Fen, reporting
// whether it fits.
func signed(hi, lo uint64, neg bool) (Fen, bool) {
	if hi != 0 {
		return 0, false
	}
	if neg {
		if lo > 1<<63 {
			return 0, false
		}
		return Fen(-lo), true
	}
	if lo > 1<<63-1 {
		return 0, false
	}
	return Fen(lo), true
}
