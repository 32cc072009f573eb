package wireguard_test

import (
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"yuanxu/internal/errs"
	"yuanxu/internal/provider/wireguard"
)

// seeded returns a deterministic randomness source for key generation.
func seeded(b byte) *rand.ChaCha8 {
	var seed [32]byte
	seed[0] = b
	return rand.NewChaCha8(seed)
}

func TestPublicKeyRFC7748(t *testing.T) {
	t.Parallel()
	// RFC 7748 §6.1, Alice.
	priv, _ := hex.DecodeString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
	want, _ := hex.DecodeString("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
	var k wireguard.Key
	copy(k[:], priv)
	if got := k.PublicKey(); hex.EncodeToString(got[:]) != hex.EncodeToString(want) {
		t.Fatalf("public key %x, want %x", got, want)
	}
}

func TestGenerateKeyPair(t *testing.T) {
	t.Parallel()
	kp, err := wireguard.GenerateKeyPair(seeded(1))
	if err != nil {
		t.Fatal(err)
	}
	if kp.Private[0]&7 != 0 || kp.Private[31]&128 != 0 || kp.Private[31]&64 == 0 {
		t.Errorf("private key not clamped: %x", kp.Private)
	}
	if kp.Public != kp.Private.PublicKey() || kp.Public.IsZero() {
		t.Errorf("public key %v does not match private key", kp.Public)
	}
	again, _ := wireguard.GenerateKeyPair(seeded(1))
	if again != kp {
		t.Error("the same randomness gave different keys")
	}
	other, _ := wireguard.GenerateKeyPair(seeded(2))
	if other == kp {
		t.Error("different randomness gave the same keys")
	}
	s := kp.Public.String()
	if len(s) != 44 || !strings.HasSuffix(s, "=") {
		t.Errorf("String() = %q, want 44 base64 characters", s)
	}
	back, err := wireguard.ParsePublicKey(s)
	if err != nil || back != kp.Public {
		t.Errorf("ParsePublicKey(String()) = %v, %v", back, err)
	}
	if _, err := wireguard.GenerateKeyPair(iotest.ErrReader(errors.New("no entropy"))); err == nil {
		t.Error("a failing reader gave a key")
	}
	psk, err := wireguard.GeneratePresharedKey(seeded(3))
	if err != nil || psk.IsZero() {
		t.Errorf("GeneratePresharedKey = %v, %v", psk, err)
	}
}

func TestParseKey(t *testing.T) {
	t.Parallel()
	valid := "KnvNZpjII8VnJpRkZ0E9fFivP47HHQ1Ly7V3Lxn0QVw="
	tests := []struct {
		name   string
		in     string
		public bool
		rule   string // "" = accepted
	}{
		{"valid", valid, false, ""},
		{"valid public", valid, true, ""},
		{"zero key is a key", strings.Repeat("A", 43) + "=", false, ""},
		{"zero public key", strings.Repeat("A", 43) + "=", true, "weak"},
		// 1 is a point of order 4 (RFC 7748 §5 low-order inputs).
		{"low-order public key", "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", true, "weak"},
		{"empty", "", false, "format"},
		{"short", valid[:43], false, "format"},
		{"long", valid + "A", false, "format"},
		{"no padding", strings.TrimSuffix(valid, "=") + "A", false, "format"},
		{"url alphabet", "-" + valid[1:], false, "format"},
		{"not base64", "*" + valid[1:], false, "format"},
		{"non-canonical last char", valid[:42] + "x=", false, "format"},
		{"newline", valid[:43] + "\n", false, "format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tc.public {
				_, err = wireguard.ParsePublicKey(tc.in)
			} else {
				_, err = wireguard.ParseKey(tc.in)
			}
			checkRule(t, err, "wireguard.key_invalid", tc.rule)
		})
	}
}

func TestKeyText(t *testing.T) {
	t.Parallel()
	kp, _ := wireguard.GenerateKeyPair(seeded(4))
	b, _ := kp.Public.MarshalText()
	var k wireguard.Key
	if err := k.UnmarshalText(b); err != nil || k != kp.Public {
		t.Fatalf("UnmarshalText(MarshalText()) = %v, %v", k, err)
	}
	if err := k.UnmarshalText([]byte("nope")); errs.CodeOf(err) != "wireguard.key_invalid" {
		t.Fatalf("UnmarshalText(nope) = %v", err)
	}
}

// checkRule asserts that err is nil when rule is "", else an *errs.Error
// with the code and the rule.
func checkRule(t *testing.T, err error, code, rule string) {
	t.Helper()
	if rule == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v, want *errs.Error %s/%s", err, code, rule)
	}
	if e.Code != code || len(e.Fields) == 0 || e.Fields[0].Rule != rule {
		t.Fatalf("error %s %+v, want %s rule %s", e.Code, e.Fields, code, rule)
	}
}

// errField returns the first field of an *errs.Error, or "".
func errField(err error) string {
	var e *errs.Error
	if errors.As(err, &e) && len(e.Fields) > 0 {
		return e.Fields[0].Field
	}
	return ""
}
