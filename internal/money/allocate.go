package money

import (
	"math/bits"
	"slices"

	"yuanxu/internal/errs"
)

// Allocate splits total in proportion to weights by the largest-remainder
// (Hamilton) method, the split used for refunds of an order paid over
// several routes (issue 9 item 4: "refunds of split payments go back to
// each route in proportion") and of a balance payment across sub-balances
// (DESIGN §3). Guarantees, for a nil error:
//   - len(parts) == len(weights), and the parts sum to total exactly;
//   - every part is ≥ 0, and a zero weight gets 0;
//   - each part is floor or ceil of the exact share total×w/Σw, so it is
//     within one fen of it; if total ≤ Σw, no part exceeds its weight, and
//     total == Σw gives back the weights themselves;
//   - the leftover fen go to the largest remainders; equal remainders go
//     to the earlier weight, so callers order weights by whom a tie should
//     favour.
//
// It computes in 128 bits and never overflows. It returns an *errs.Error
// (Kind Invalid, [CodeNegative] or [CodeAllocate]) for a negative total, a
// negative weight, no weights, all-zero weights with a non-zero total, or
// weights whose sum leaves int64.
func Allocate(total Fen, weights []Fen) ([]Fen, error) {
	const op = errs.Op("money.Allocate")
	if total < 0 {
		return nil, errs.E(errs.Invalid, CodeNegative, "total must not be negative", op)
	}
	if len(weights) == 0 {
		return nil, errs.E(errs.Invalid, CodeAllocate, "no weights", op)
	}
	var sum Fen
	for _, w := range weights {
		if w < 0 {
			return nil, errs.E(errs.Invalid, CodeAllocate, "negative weight", op)
		}
		var err error
		if sum, err = sum.Add(w); err != nil {
			return nil, errs.E(errs.Invalid, CodeOverflow, "weights sum out of range", op)
		}
	}
	parts := make([]Fen, len(weights))
	if total == 0 {
		return parts, nil
	}
	if sum == 0 {
		return nil, errs.E(errs.Invalid, CodeAllocate, "all weights are zero", op)
	}
	rems := make([]uint64, len(weights))
	var given Fen
	for i, w := range weights {
		hi, lo := bits.Mul64(uint64(total), uint64(w))
		// total×w/sum ≤ total < 2^63, so hi < sum and Div64 cannot panic.
		q, r := bits.Div64(hi, lo, uint64(sum))
		parts[i], rems[i] = Fen(q), r
		given += Fen(q) // ≤ total: no overflow
	}
	left := int(total - given) // < number of non-zero remainders ≤ len(weights)
	if left == 0 {
		return parts, nil
	}
	idx := make([]int, len(weights))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		switch {
		case rems[a] > rems[b]:
			return -1
		case rems[a] < rems[b]:
			return 1
		}
		return 0
	})
	for _, i := range idx[:left] {
		parts[i]++
	}
	return parts, nil
}
