package order

import (
	"fmt"
	"math"
	"math/bits"

	"yuanxu/internal/errs"
)

// CodeAmountOverflow is the error code of an amount that does not fit in
// int64 fen, or of a negative price or quantity where none is allowed.
const CodeAmountOverflow = "order.amount_overflow"

// LineTotal returns unitFen × quantity. Both must be ≥ 0; a negative
// operand or a product above math.MaxInt64 is an *errs.Error of Kind
// Invalid and code CodeAmountOverflow. It never panics.
func LineTotal(unitFen, quantity int64) (int64, error) {
	if unitFen < 0 || quantity < 0 {
		return 0, errs.E(errs.Op("order.LineTotal"), errs.Invalid, CodeAmountOverflow,
			fmt.Sprintf("negative operand: %d × %d", unitFen, quantity))
	}
	hi, lo := bits.Mul64(uint64(unitFen), uint64(quantity))
	if hi != 0 || lo > math.MaxInt64 {
		return 0, errs.E(errs.Op("order.LineTotal"), errs.Invalid, CodeAmountOverflow,
			fmt.Sprintf("%d × %d overflows int64 fen", unitFen, quantity))
	}
	return int64(lo), nil
}

// SumFen adds non-negative amounts. A negative term or a sum above
// math.MaxInt64 is an *errs.Error with code CodeAmountOverflow.
func SumFen(amounts ...int64) (int64, error) {
	var s uint64
	for _, a := range amounts {
		if a < 0 {
			return 0, errs.E(errs.Op("order.SumFen"), errs.Invalid, CodeAmountOverflow, fmt.Sprintf("negative amount %d", a))
		}
		var carry uint64
		s, carry = bits.Add64(s, uint64(a), 0)
		if carry != 0 || s > math.MaxInt64 {
			return 0, errs.E(errs.Op("order.SumFen"), errs.Invalid, CodeAmountOverflow, "sum overflows int64 fen")
		}
	}
	return int64(s), nil
}

// percentOf returns round-half-up(amount × bp / 10000) for 0 ≤ amount and
// 0 ≤ bp ≤ 10000, exactly, without overflow: the result is ≤ amount.
func percentOf(amount, bp int64) int64 {
	hi, lo := bits.Mul64(uint64(amount), uint64(bp))
	lo, carry := bits.Add64(lo, 5000, 0)
	hi += carry
	q, _ := bits.Div64(hi, lo, 10000) // hi < 10000 because bp ≤ 10000 and amount < 2^63
	return int64(q)
}
