package webhook

import (
	"strings"
	"testing"
	"time"

	"yuanxu/internal/errs"
)

func TestSignVerify(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	body := []byte(`{"id":"e1","type":"order.paid"}`)
	h := Sign("whsec_a", now, body)
	cases := []struct {
		name, header, secret string
		body                 []byte
		at                   time.Time
		rule                 string // "" = accepted
	}{
		{"good", h, "whsec_a", body, now, ""},
		{"good within tolerance", h, "whsec_a", body, now.Add(4 * time.Minute), ""},
		{"rotation: second v1 matches", "t=" + strings.Split(h, ",")[0][2:] + ",v1=" + strings.Repeat("00", 32) + "," + strings.Split(h, ",")[1], "whsec_a", body, now, ""},
		{"wrong secret", h, "whsec_b", body, now, "mismatch"},
		{"body changed", h, "whsec_a", []byte(`{"id":"e1","type":"order.paid "}`), now, "mismatch"},
		{"replayed later", h, "whsec_a", body, now.Add(6 * time.Minute), "tolerance"},
		{"from the future", h, "whsec_a", body, now.Add(-6 * time.Minute), "tolerance"},
		{"no timestamp", "v1=" + strings.Repeat("ab", 32), "whsec_a", body, now, "timestamp"},
		{"no v1", "t=1", "whsec_a", body, now, "format"},
		{"short v1", "t=1,v1=abcd", "whsec_a", body, now, "format"},
		{"garbage", "hello", "whsec_a", body, now, "format"},
		{"two timestamps", "t=1,t=2,v1=" + strings.Repeat("ab", 32), "whsec_a", body, now, "timestamp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			err := Verify(c.header, c.secret, c.body, c.at, 5*time.Minute)
			if c.rule == "" {
				if err != nil {
					t.Fatalf("refused a good signature: %v", err)
				}
				return
			}
			e, ok := err.(*errs.Error)
			if !ok || e.Code != CodeSignatureInvalid || len(e.Fields) != 1 || e.Fields[0].Rule != c.rule {
				t.Fatalf("got %v, want rule %s", err, c.rule)
			}
		})
	}
}

func TestScheduleGrowsAndCaps(t *testing.T) {
	t.Parallel()
	prev := time.Duration(0)
	for n := 1; n < MaxAttempts; n++ {
		d := Schedule(n)
		if d <= prev {
			t.Fatalf("Schedule(%d) = %v, not after %v", n, d, prev)
		}
		prev = d
	}
	if Schedule(100) != Schedule(MaxAttempts-1) || Schedule(0) != Schedule(1) {
		t.Fatal("schedule is not capped at both ends")
	}
}

func TestTypesAreValid(t *testing.T) {
	t.Parallel()
	for _, ty := range Types() {
		if !ValidType(ty) {
			t.Fatalf("%s not valid", ty)
		}
	}
	if ValidType("order.deleted") {
		t.Fatal("unknown type accepted")
	}
	if s := NewSecret(); !strings.HasPrefix(s, "whsec_") || len(s) != 54 || s == NewSecret() {
		t.Fatalf("secret %q", s)
	}
}

func FuzzParseSignature(f *testing.F) {
	for _, s := range []string{"t=1,v1=" + strings.Repeat("ab", 32), "t=x", "", ",,,", "v1=zz", "t=1,v0=aa,v1=" + strings.Repeat("00", 32)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		s, err := ParseSignature(h)
		if err != nil {
			if _, ok := err.(*errs.Error); !ok {
				t.Fatalf("untyped error %T", err)
			}
			return
		}
		if s.Timestamp <= 0 || len(s.V1) == 0 {
			t.Fatalf("accepted %q without a timestamp or v1", h)
		}
		for _, v := range s.V1 {
			if len(v) != 32 {
				t.Fatalf("accepted a v1 of %d bytes", len(v))
			}
		}
	})
}
