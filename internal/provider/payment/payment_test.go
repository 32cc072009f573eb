package payment_test

import (
	"errors"
	"math/big"
	"testing"

	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
)

func TestNewRef(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	prev := ""
	for range 1000 {
		r := payment.NewRef()
		if !payment.ValidRef(r) {
			t.Fatalf("NewRef() = %q, not a valid ref", r)
		}
		if seen[r] {
			t.Fatalf("NewRef() repeated %q", r)
		}
		seen[r] = true
		if r[:12] < prev[:min(12, len(prev))] {
			t.Fatalf("refs go back in time: %q after %q", r, prev)
		}
		prev = r
	}
	for _, bad := range []string{"", "abc", "0123456789abcdef0123456789abcde-", "0123456789abcdef0123456789abcdef0"} {
		if payment.ValidRef(bad) {
			t.Errorf("ValidRef(%q) = true", bad)
		}
	}
}

func TestGatewayErrorIsNotFound(t *testing.T) {
	t.Parallel()
	var err error = &payment.GatewayError{Gateway: "alipay", Code: "ACQ.TRADE_NOT_EXIST", NotFound: true}
	if !errors.Is(err, payment.ErrNotFound) {
		t.Error("not-found gateway error is not ErrNotFound")
	}
	err = &payment.GatewayError{Gateway: "alipay", Code: "ACQ.SYSTEM_ERROR", Temporary: true}
	if errors.Is(err, payment.ErrNotFound) {
		t.Error("system error is ErrNotFound")
	}
	ne := &payment.NotificationError{Gateway: "wechatpay", Reason: payment.ErrBadSignature, Detail: "x", Err: errors.New("cause")}
	if !errors.Is(ne, payment.ErrBadSignature) || errors.Is(ne, payment.ErrMalformed) {
		t.Error("NotificationError does not unwrap to its reason")
	}
}

func TestParseAmount(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want money.Fen
		ok   bool
	}{
		{"0.01", 1, true}, {"12.3", 1230, true}, {"100000000.00", payment.MaxAmount, true},
		{"100000000.01", 0, false}, {"1e3", 0, false}, {"-0.01", 0, false}, {"0.001", 0, false}, {"", 0, false}, {" 1", 0, false},
	}
	for _, tt := range tests {
		got, err := payment.ParseAmount(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseAmount(%q) = %d, %v", tt.in, got, err)
		}
	}
	if got, err := payment.ParseSignedAmount("-0.05"); err != nil || got != -5 {
		t.Errorf("ParseSignedAmount(-0.05) = %d, %v", got, err)
	}
}

// FuzzParseAmount: the yuan path both clients and the sandbox use. A
// success is the exact value of the text, within the gateway range, and
// formats back to an equal amount; every amount in range round-trips.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0.01", "12.30", "100000000.00", "100000000.01", "-0.01", "1.", ".5", "0.001", "9223372036854775807", "1e2", "１"} {
		f.Add(s, int64(len(s)))
	}
	f.Fuzz(func(t *testing.T, s string, n int64) {
		for _, parse := range []func(string) (money.Fen, error){payment.ParseAmount, payment.ParseSignedAmount} {
			v, err := parse(s)
			if err != nil {
				continue
			}
			r, ok := new(big.Rat).SetString(s)
			if !ok {
				t.Fatalf("accepted %q, which is no number", s)
			}
			r.Mul(r, big.NewRat(100, 1))
			if !r.IsInt() || !r.Num().IsInt64() || r.Num().Int64() != int64(v) {
				t.Fatalf("parsed %q as %d fen; exact ×100 is %v", s, v, r)
			}
			if v > payment.MaxAmount || v < -payment.MaxAmount {
				t.Fatalf("parsed %q beyond MaxAmount", s)
			}
			if back, err := payment.ParseSignedAmount(v.Yuan()); err != nil || back != v {
				t.Fatalf("%q → %d → %q → %d, %v", s, v, v.Yuan(), back, err)
			}
		}
		fen := money.Fen(n % int64(payment.MaxAmount+1))
		if fen < 0 {
			fen = -fen
		}
		if got, err := payment.ParseAmount(fen.Yuan()); err != nil || got != fen {
			t.Fatalf("ParseAmount(%q) = %d, %v; want %d", fen.Yuan(), got, err, fen)
		}
	})
}
