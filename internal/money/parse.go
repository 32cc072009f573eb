package money

import (
	"math"

	"yuanxu/internal/errs"
)

// Stable error codes of this package; each keys a message in the web
// layer's bilingual catalog.
const (
	CodeFormat    = "money.format"    // not a plain decimal amount ("1e3", " 1", "1.", ".5", "+1", "１")
	CodePrecision = "money.precision" // more than two decimals: CNY has no unit below the fen
	CodeOverflow  = "money.overflow"  // beyond int64 fen, in parsing or arithmetic
	CodeNegative  = "money.negative"  // a minus sign where only a non-negative amount is allowed
	CodeAllocate  = "money.allocate"  // Allocate called with weights that define no proportion
)

// DefaultField names the offending field of errors from [ParseYuan].
const DefaultField = "amount"

// ParseYuan reads a non-negative amount of yuan as a customer or an operator
// types it: digits, optionally a dot and one or two decimals ("12",
// "12.3", "12.30", "0.01"). It refuses, as *errs.Error Kind Invalid on the
// field "amount":
//   - a sign, exponent, spaces, grouping commas, a bare or leading dot,
//     non-ASCII digits, the empty string: [CodeFormat];
//   - a minus sign: [CodeNegative] (prices, top-ups, refunds and
//     withdrawals are never negative; use [ParseSignedYuan] where the sign
//     means a direction, as in a manual adjustment);
//   - three or more decimals, even trailing zeros ("1.230"): [CodePrecision];
//   - more than [MaxFen]: [CodeOverflow].
//
// Use [ParseYuanField] to name the form field in the error.
func ParseYuan(s string) (Fen, error) { return ParseYuanField(s, DefaultField) }

// ParseYuanField is [ParseYuan] reporting field (a JSON-pointer-like path,
// "body.amount") in the error.
func ParseYuanField(s, field string) (Fen, error) {
	if len(s) > 0 && s[0] == '-' {
		return 0, errs.Invalidf(CodeNegative, field, "min", map[string]any{"min": "0.00"})
	}
	return parse(s, field, false)
}

// ParseSignedYuan is [ParseYuan] that also accepts a leading "-"
// ("-0.01"), down to [MinFen]. It is for amounts whose sign is meaningful,
// such as a manual adjustment; "-0" is 0.
func ParseSignedYuan(s, field string) (Fen, error) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	return parse(s, field, neg)
}

func parse(s, field string, neg bool) (Fen, error) {
	bad := func() (Fen, error) {
		return 0, errs.Invalidf(CodeFormat, field, "format", map[string]any{"pattern": `^[0-9]+(\.[0-9]{1,2})?$`})
	}
	i := 0
	var u uint64 // magnitude in fen; overflow checked as we go
	overflow := false
	mulAdd := func(d uint64) {
		if u > (math.MaxUint64-d)/10 {
			overflow = true
			return
		}
		u = u*10 + d
	}
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		if !overflow {
			mulAdd(uint64(s[i] - '0'))
		}
		i++
	}
	if i == 0 {
		return bad()
	}
	decimals := 0
	if i < len(s) {
		if s[i] != '.' {
			return bad()
		}
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start || i != len(s) {
			return bad()
		}
		decimals = i - start
		if decimals > 2 {
			return 0, errs.Invalidf(CodePrecision, field, "precision", map[string]any{"max_decimals": 2})
		}
		for _, c := range s[start:i] {
			if !overflow {
				mulAdd(uint64(c - '0'))
			}
		}
	}
	for ; decimals < 2 && !overflow; decimals++ {
		mulAdd(0)
	}
	limit := uint64(math.MaxInt64)
	if neg {
		limit++ // MinFen's magnitude
	}
	if overflow || u > limit {
		max := MaxFen
		if neg {
			max = MinFen
		}
		return 0, errs.Invalidf(CodeOverflow, field, "overflow", map[string]any{"max": max.Yuan()})
	}
	if neg {
		return Fen(-u), nil // two's complement: u = 2^63 gives MinFen
	}
	return Fen(u), nil
}
