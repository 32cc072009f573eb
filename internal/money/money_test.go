package money_test

import (
	"errors"
	"math"
	"testing"

	"yuanxu/internal/errs"
	"yuanxu/internal/money"
)

func code(t *testing.T, err error) string {
	t.Helper()
	var e *errs.Error
	if err == nil {
		return ""
	}
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not *errs.Error", err)
	}
	return e.Code
}

func TestParseYuan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want money.Fen
		code string
	}{
		{"12", 1200, ""},
		{"12.3", 1230, ""},
		{"12.30", 1230, ""},
		{"0.01", 1, ""},
		{"0", 0, ""},
		{"007.5", 750, ""},
		{"92233720368547758.07", money.MaxFen, ""},
		{"92233720368547758.08", 0, money.CodeOverflow},
		{"99999999999999999999999999", 0, money.CodeOverflow},
		{"-0.01", 0, money.CodeNegative},
		{"-1", 0, money.CodeNegative},
		{"1.234", 0, money.CodePrecision},
		{"1.230", 0, money.CodePrecision},
		{"", 0, money.CodeFormat},
		{"1e3", 0, money.CodeFormat},
		{"1E3", 0, money.CodeFormat},
		{" 1", 0, money.CodeFormat},
		{"1 ", 0, money.CodeFormat},
		{"+1", 0, money.CodeFormat},
		{"1.", 0, money.CodeFormat},
		{".5", 0, money.CodeFormat},
		{"1,000", 0, money.CodeFormat},
		{"1.2.3", 0, money.CodeFormat},
		{"0x10", 0, money.CodeFormat},
		{"NaN", 0, money.CodeFormat},
		{"Inf", 0, money.CodeFormat},
		{"１２", 0, money.CodeFormat}, // full-width digits
		{"¥12", 0, money.CodeFormat},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := money.ParseYuan(tt.in)
			if c := code(t, err); c != tt.code {
				t.Fatalf("ParseYuan(%q) code = %q, want %q (err %v)", tt.in, c, tt.code, err)
			}
			if err != nil {
				if errs.KindOf(err) != errs.Invalid {
					t.Errorf("kind = %v, want invalid", errs.KindOf(err))
				}
				var e *errs.Error
				errors.As(err, &e)
				if len(e.Fields) != 1 || e.Fields[0].Field != money.DefaultField {
					t.Errorf("fields = %+v, want one on %q", e.Fields, money.DefaultField)
				}
				return
			}
			if got != tt.want {
				t.Errorf("ParseYuan(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseYuanFieldNamesTheField(t *testing.T) {
	t.Parallel()
	_, err := money.ParseYuanField("1e3", "body.price")
	var e *errs.Error
	if !errors.As(err, &e) || e.Fields[0].Field != "body.price" || e.Fields[0].Rule != "format" {
		t.Fatalf("err = %#v", err)
	}
}

func TestParseSignedYuan(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want money.Fen
		code string
	}{
		{"-0.01", -1, ""},
		{"-0", 0, ""},
		{"5.5", 550, ""},
		{"-92233720368547758.08", money.MinFen, ""},
		{"-92233720368547758.09", 0, money.CodeOverflow},
		{"92233720368547758.08", 0, money.CodeOverflow},
		{"--1", 0, money.CodeFormat},
		{"-", 0, money.CodeFormat},
		{"-1.001", 0, money.CodePrecision},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := money.ParseSignedYuan(tt.in, "body.amount")
			if c := code(t, err); c != tt.code || (err == nil && got != tt.want) {
				t.Fatalf("ParseSignedYuan(%q) = %d, %v; want %d, code %q", tt.in, got, err, tt.want, tt.code)
			}
		})
	}
}

func TestYuanAndFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f            money.Fen
		yuan, zh, en string
	}{
		{0, "0.00", "¥0.00", "CN¥0.00"},
		{1, "0.01", "¥0.01", "CN¥0.01"},
		{1230, "12.30", "¥12.30", "CN¥12.30"},
		{-1, "-0.01", "-¥0.01", "-CN¥0.01"},
		{123456, "1234.56", "¥1,234.56", "CN¥1,234.56"},
		{100000000, "1000000.00", "¥1,000,000.00", "CN¥1,000,000.00"},
		{money.MaxFen, "92233720368547758.07", "¥92,233,720,368,547,758.07", "CN¥92,233,720,368,547,758.07"},
		{money.MinFen, "-92233720368547758.08", "-¥92,233,720,368,547,758.08", "-CN¥92,233,720,368,547,758.08"},
	}
	for _, tt := range tests {
		t.Run(tt.yuan, func(t *testing.T) {
			t.Parallel()
			if got := tt.f.Yuan(); got != tt.yuan {
				t.Errorf("Yuan() = %q, want %q", got, tt.yuan)
			}
			if got := tt.f.Format("zh-CN"); got != tt.zh {
				t.Errorf("Format(zh-CN) = %q, want %q", got, tt.zh)
			}
			if got := tt.f.Format(""); got != tt.zh {
				t.Errorf("Format(\"\") = %q, want %q", got, tt.zh)
			}
			if got := tt.f.Format("en-US"); got != tt.en {
				t.Errorf("Format(en-US) = %q, want %q", got, tt.en)
			}
		})
	}
}

func TestArithmetic(t *testing.T) {
	t.Parallel()
	type op func() (money.Fen, error)
	tests := []struct {
		name string
		op   op
		want money.Fen
		ovf  bool
	}{
		{"add", func() (money.Fen, error) { return money.Fen(1).Add(2) }, 3, false},
		{"add max", func() (money.Fen, error) { return money.MaxFen.Add(1) }, 0, true},
		{"add min", func() (money.Fen, error) { return money.MinFen.Add(-1) }, 0, true},
		{"add neg ok", func() (money.Fen, error) { return money.MaxFen.Add(money.MinFen) }, -1, false},
		{"sub", func() (money.Fen, error) { return money.Fen(1).Sub(3) }, -2, false},
		{"sub min", func() (money.Fen, error) { return money.MinFen.Sub(1) }, 0, true},
		{"sub from zero min", func() (money.Fen, error) { return money.Fen(0).Sub(money.MinFen) }, 0, true},
		{"sub max", func() (money.Fen, error) { return money.Fen(-2).Sub(money.MaxFen) }, 0, true},
		{"mul", func() (money.Fen, error) { return money.Fen(1000).Mul(12) }, 12000, false},
		{"mul neg", func() (money.Fen, error) { return money.Fen(-1000).Mul(3) }, -3000, false},
		{"mul overflow", func() (money.Fen, error) { return money.MaxFen.Mul(2) }, 0, true},
		{"mul min by -1", func() (money.Fen, error) { return money.MinFen.Mul(-1) }, 0, true},
		{"mul min by 1", func() (money.Fen, error) { return money.MinFen.Mul(1) }, money.MinFen, false},
		{"mul -1 by min", func() (money.Fen, error) { return money.Fen(1).Mul(math.MinInt64) }, money.MinFen, false},
		{"sum", func() (money.Fen, error) { return money.Sum(1, 2, 3) }, 6, false},
		{"sum none", func() (money.Fen, error) { return money.Sum() }, 0, false},
		{"sum overflow", func() (money.Fen, error) { return money.Sum(money.MaxFen, 1, -5) }, 0, true},
		{"neg min", func() (money.Fen, error) { return money.MinFen.Neg() }, 0, true},
		{"neg", func() (money.Fen, error) { return money.Fen(5).Neg() }, -5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.op()
			if tt.ovf {
				if code(t, err) != money.CodeOverflow || errs.KindOf(err) != errs.Invalid {
					t.Fatalf("got %d, %v; want overflow", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}

func TestPercent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    money.Fen
		bp   int64
		r    money.Rounding
		want money.Fen
		ovf  bool
	}{
		{1999, 1500, money.RoundDown, 299, false},   // 299.85
		{1999, 1500, money.RoundHalfUp, 300, false}, // 299.85
		{1999, 1500, money.RoundUp, 300, false},
		{1000, 1500, money.RoundUp, 150, false}, // exact: no rounding
		{5, 1000, money.RoundHalfUp, 1, false},  // 0.5 → 1
		{5, 1000, money.RoundDown, 0, false},
		{4, 1000, money.RoundHalfUp, 0, false}, // 0.4 → 0
		{-5, 1000, money.RoundHalfUp, -1, false},
		{-1999, 1500, money.RoundDown, -299, false},
		{1999, -1500, money.RoundDown, -299, false},
		{money.MaxFen, 10000, money.RoundDown, money.MaxFen, false},
		{money.MaxFen, 10001, money.RoundDown, 0, true},
		{money.MaxFen, 5000, money.RoundHalfUp, 4611686018427387904, false}, // (2^63-1)/2 rounds up
		{money.MinFen, 10000, money.RoundDown, money.MinFen, false},
		{money.MinFen, -10000, money.RoundDown, 0, true},
		{0, 1 << 62, money.RoundUp, 0, false},
	}
	for _, tt := range tests {
		got, err := money.Percent(tt.f, tt.bp, tt.r)
		if tt.ovf {
			if code(t, err) != money.CodeOverflow {
				t.Errorf("Percent(%d, %d, %v) = %d, %v; want overflow", tt.f, tt.bp, tt.r, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Percent(%d, %d, %v) = %d, %v; want %d", tt.f, tt.bp, tt.r, got, err, tt.want)
		}
	}
	if _, err := money.Percent(1, 1, money.Rounding(99)); errs.KindOf(err) != errs.Internal {
		t.Errorf("unknown rounding: err = %v", err)
	}
}

func TestAllocate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		total   money.Fen
		weights []money.Fen
		want    []money.Fen
		code    string
	}{
		{"even", 100, []money.Fen{1, 1}, []money.Fen{50, 50}, ""},
		{"thirds tie to first", 100, []money.Fen{1, 1, 1}, []money.Fen{34, 33, 33}, ""},
		{"largest remainder", 10, []money.Fen{3, 3, 4}, []money.Fen{3, 3, 4}, ""},
		{"largest remainder uneven", 7, []money.Fen{2, 5}, []money.Fen{2, 5}, ""},
		{"remainder goes to larger fraction", 5, []money.Fen{1, 2}, []money.Fen{2, 3}, ""}, // 1.67 / 3.33
		{"full refund restores weights", 3000, []money.Fen{1000, 2000}, []money.Fen{1000, 2000}, ""},
		{"zero weight gets zero", 99, []money.Fen{0, 7, 0}, []money.Fen{0, 99, 0}, ""},
		{"zero total", 0, []money.Fen{0, 0}, []money.Fen{0, 0}, ""},
		{"huge", money.MaxFen, []money.Fen{money.MaxFen / 2, money.MaxFen / 2}, []money.Fen{money.MaxFen/2 + 1, money.MaxFen / 2}, ""},
		{"negative total", -1, []money.Fen{1}, nil, money.CodeNegative},
		{"negative weight", 1, []money.Fen{2, -1}, nil, money.CodeAllocate},
		{"no weights", 1, nil, nil, money.CodeAllocate},
		{"all zero", 1, []money.Fen{0, 0}, nil, money.CodeAllocate},
		{"weights overflow", 1, []money.Fen{money.MaxFen, 1}, nil, money.CodeOverflow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := money.Allocate(tt.total, tt.weights)
			if c := code(t, err); c != tt.code {
				t.Fatalf("code = %q, want %q (%v)", c, tt.code, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}
