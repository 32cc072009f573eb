package money_test

import (
	"math/big"
	"testing"

	"yuanxu/internal/money"
)

// FuzzParseYuan: any formatted amount parses back to itself, and any text
// that parses formats back to its canonical form.
func FuzzParseYuan(f *testing.F) {
	for _, s := range []string{"0", "12.3", "12.30", "-0.01", "1e3", "92233720368547758.07", "-92233720368547758.08", "1.234", " 1", ""} {
		f.Add(int64(len(s)), s)
	}
	f.Fuzz(func(t *testing.T, n int64, s string) {
		fen := money.Fen(n)
		parse := money.ParseYuan
		if fen < 0 {
			parse = func(s string) (money.Fen, error) { return money.ParseSignedYuan(s, "amount") }
		}
		got, err := parse(fen.Yuan())
		if err != nil || got != fen {
			t.Fatalf("ParseYuan(%q) = %d, %v; want %d", fen.Yuan(), got, err, fen)
		}
		// Arbitrary text: a success must mean the exact value of the text.
		v, err := money.ParseSignedYuan(s, "amount")
		if err != nil {
			return
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("ParseSignedYuan accepted %q, which is no number", s)
		}
		r.Mul(r, big.NewRat(100, 1))
		if !r.IsInt() || r.Num().Int64() != int64(v) || !r.Num().IsInt64() {
			t.Fatalf("ParseSignedYuan(%q) = %d, exact value ×100 is %v", s, v, r)
		}
		if u, err := money.ParseYuan(s); err == nil && u != v {
			t.Fatalf("ParseYuan(%q) = %d, ParseSignedYuan = %d", s, u, v)
		}
	})
}

// FuzzAllocate: the parts sum to the total, none is negative, and each is
// within one fen of the exact proportion.
func FuzzAllocate(f *testing.F) {
	f.Add(int64(100), int64(1), int64(1), int64(1))
	f.Add(int64(7), int64(0), int64(5), int64(2))
	f.Add(int64(1)<<62, int64(1)<<61, int64(3), int64(1)<<60)
	f.Fuzz(func(t *testing.T, total, a, b, c int64) {
		ws := []money.Fen{money.Fen(a), money.Fen(b), money.Fen(c)}
		parts, err := money.Allocate(money.Fen(total), ws)
		if err != nil {
			return
		}
		sumW := new(big.Int)
		for _, w := range ws {
			sumW.Add(sumW, big.NewInt(int64(w)))
		}
		var sum big.Int
		for i, p := range parts {
			if p < 0 {
				t.Fatalf("part %d = %d < 0", i, p)
			}
			sum.Add(&sum, big.NewInt(int64(p)))
			// |p - total*w/W| < 1  ⇔  |p*W - total*w| < W
			diff := new(big.Int).Mul(big.NewInt(int64(p)), sumW)
			diff.Sub(diff, new(big.Int).Mul(big.NewInt(total), big.NewInt(int64(ws[i]))))
			if sumW.Sign() > 0 && diff.Abs(diff).Cmp(sumW) >= 0 {
				t.Fatalf("Allocate(%d, %v) = %v: part %d off by ≥ 1 fen", total, ws, parts, i)
			}
			if total <= sumW.Int64() && p > ws[i] && sumW.IsInt64() {
				t.Fatalf("part %d = %d exceeds its weight %d", i, p, ws[i])
			}
		}
		if sum.Cmp(big.NewInt(total)) != 0 {
			t.Fatalf("Allocate(%d, %v) = %v sums to %v", total, ws, parts, &sum)
		}
	})
}
