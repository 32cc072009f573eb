package money

import (
	"math"
	"strconv"
	"strings"
)

// Fen is an amount in fen (分), the minor unit of CNY. Its zero value is
// ¥0.00. Conversions from user text go through [ParseYuan]; Fen(n) on a
// trusted integer (a database column, a constant) is fine.
type Fen int64

// Bounds of a Fen.
const (
	MaxFen Fen = math.MaxInt64
	MinFen Fen = math.MinInt64
)

// Yuan returns f as it would be typed: "12.30", "-0.01", "0.00"; always two
// decimals, no grouping, no symbol. [ParseYuan] (or [ParseSignedYuan] for a
// negative f) reads it back exactly.
func (f Fen) Yuan() string {
	var buf [24]byte
	return string(f.appendYuan(buf[:0], false))
}

// Format returns f for people in the given language, following CLDR:
// "¥1,234.50" for zh-CN (the default, also for "" and unknown languages),
// "CN¥1,234.50" for English ("en", "en-US", …); a negative amount gets a
// leading "-" ("-¥0.01").
func (f Fen) Format(lang string) string {
	var b []byte
	if f < 0 {
		b = append(b, '-')
	}
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		b = append(b, "CN"...)
	}
	b = append(b, "¥"...)
	return string(f.appendYuan(b, true))
}

// String is Yuan, so that %v in logs shows yuan, not a bare fen count.
func (f Fen) String() string { return f.Yuan() }

// appendYuan appends |f| (with a "-" unless the caller wrote the sign
// already, which grouped output signals) as yuan with two decimals.
func (f Fen) appendYuan(b []byte, grouped bool) []byte {
	u := uint64(f) // two's complement: correct magnitude for MinFen too
	if f < 0 {
		u = -u
		if !grouped {
			b = append(b, '-')
		}
	}
	whole := strconv.FormatUint(u/100, 10)
	if grouped {
		for i, c := range []byte(whole) {
			if i > 0 && (len(whole)-i)%3 == 0 {
				b = append(b, ',')
			}
			b = append(b, c)
		}
	} else {
		b = append(b, whole...)
	}
	frac := u % 100
	return append(b, '.', byte('0'+frac/10), byte('0'+frac%10))
}
