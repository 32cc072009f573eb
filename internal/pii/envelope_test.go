package pii_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"yuanxu/internal/pii"
)

var testAAD = pii.AAD{Table: "kyc_individual", Column: "id_number", Row: "0192d3c4-0000-7000-8000-000000000001"}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	r := mustRing(t, entry("k1", 1))
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{"Empty", []byte{}},
		{"Phone", []byte("13812345678")},
		{"IDNumber", []byte("110101199003078515")},
		{"Chinese", []byte("张三丰")},
		{"Binary", []byte{0, 1, 2, 0xff, 0xfe}},
		{"LicenceImage", bytes.Repeat([]byte{0x89, 'P', 'N', 'G'}, 64<<10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env, err := r.Seal(tt.plaintext, testAAD)
			if err != nil {
				t.Fatal(err)
			}
			if want := len(tt.plaintext) + 30 + len("k1"); len(env) != want {
				t.Errorf("envelope is %d bytes, want %d", len(env), want)
			}
			if env[0] != 1 || env[1] != 2 || string(env[2:4]) != "k1" {
				t.Errorf("header = % x, want 01 02 'k1'", env[:4])
			}
			if len(tt.plaintext) >= 4 && bytes.Contains(env, tt.plaintext) {
				t.Error("envelope contains the plaintext")
			}
			got, err := r.Open(env, testAAD)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Errorf("Open = %q, want %q", got, tt.plaintext)
			}
			env2, _ := r.Seal(tt.plaintext, testAAD)
			if bytes.Equal(env, env2) {
				t.Error("two seals of one plaintext are equal: nonce reused")
			}
		})
	}
}

func TestSealOpenString(t *testing.T) {
	t.Parallel()
	r := mustRing(t, entry("k1", 1))
	env, err := r.SealString("alice@example.com", testAAD)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := r.OpenString(env, testAAD); err != nil || s != "alice@example.com" {
		t.Fatalf("OpenString = %q, %v", s, err)
	}
	sec, err := r.OpenSecret(env, testAAD)
	if err != nil || sec.Reveal() != "alice@example.com" || sec.String() != "a***@example.com" {
		t.Fatalf("OpenSecret = %v (%q), %v", sec, sec.Reveal(), err)
	}
	if _, err := r.OpenString(env[:len(env)-1], testAAD); !errors.Is(err, pii.ErrDecrypt) {
		t.Fatalf("OpenString of a truncated envelope: %v, want ErrDecrypt", err)
	}
}

func TestOpenWrongAAD(t *testing.T) {
	t.Parallel()
	r := mustRing(t, entry("k1", 1))
	env, err := r.SealString("13812345678", testAAD)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		aad  pii.AAD
	}{
		{"OtherRow", pii.AAD{Table: testAAD.Table, Column: testAAD.Column, Row: "0192d3c4-0000-7000-8000-000000000002"}},
		{"OtherColumn", pii.AAD{Table: testAAD.Table, Column: "phone", Row: testAAD.Row}},
		{"OtherTable", pii.AAD{Table: "account", Column: testAAD.Column, Row: testAAD.Row}},
		// Same concatenation, different split: the encoding must be unambiguous.
		{"ShiftedBoundary", pii.AAD{Table: testAAD.Table + "i", Column: testAAD.Column[1:], Row: testAAD.Row}},
		{"Swapped", pii.AAD{Table: testAAD.Column, Column: testAAD.Table, Row: testAAD.Row}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, err := r.Open(env, tt.aad); !errors.Is(err, pii.ErrDecrypt) {
				t.Fatalf("Open = %q, %v; want ErrDecrypt", got, err)
			}
		})
	}
}

func TestEmptyAADRefused(t *testing.T) {
	t.Parallel()
	r := mustRing(t, entry("k1", 1))
	env, _ := r.SealString("x", testAAD)
	for _, aad := range []pii.AAD{{}, {Table: "t", Column: "c"}, {Table: "t", Row: "r"}, {Column: "c", Row: "r"}} {
		if _, err := r.SealString("x", aad); !errors.Is(err, pii.ErrAAD) {
			t.Errorf("Seal with %+v: %v, want ErrAAD", aad, err)
		}
		if _, err := r.Open(env, aad); !errors.Is(err, pii.ErrAAD) {
			t.Errorf("Open with %+v: %v, want ErrAAD", aad, err)
		}
	}
}

// TestOpenTampered flips each bit of an envelope in turn: none may open.
// Bytes of the key id may turn it into an unknown id instead.
func TestOpenTampered(t *testing.T) {
	t.Parallel()
	r := mustRing(t, entry("k1", 1)+","+entry("k0", 2)+","+entry("j1", 3))
	env, err := r.SealString("13812345678", testAAD)
	if err != nil {
		t.Fatal(err)
	}
	for i := range env {
		for bit := range 8 {
			bad := bytes.Clone(env)
			bad[i] ^= 1 << bit
			_, err := r.Open(bad, testAAD)
			inID := i >= 1 && i < 2+len("k1") // length byte or id
			switch {
			case err == nil:
				t.Fatalf("byte %d bit %d: tampered envelope opened", i, bit)
			case errors.Is(err, pii.ErrDecrypt):
			case inID && errors.Is(err, pii.ErrUnknownKey):
			default:
				t.Fatalf("byte %d bit %d: err = %v", i, bit, err)
			}
		}
	}
	for _, bad := range [][]byte{nil, {}, env[:1], env[:2], env[:len(env)-1], append(bytes.Clone(env), 0)} {
		if _, err := r.Open(bad, testAAD); !errors.Is(err, pii.ErrDecrypt) {
			t.Errorf("Open(% x…): %v, want ErrDecrypt", bad[:min(len(bad), 4)], err)
		}
	}
}

func TestOpenUnknownKey(t *testing.T) {
	t.Parallel()
	env, err := mustRing(t, entry("k1", 1)).SealString("13812345678", testAAD)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		config string
		want   error
	}{
		{"OtherID", entry("k2", 1), pii.ErrUnknownKey},
		{"SameIDOtherKey", entry("k1", 2), pii.ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := mustRing(t, tt.config).Open(env, testAAD)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
			if tt.want == pii.ErrUnknownKey && !strings.Contains(err.Error(), `"k1"`) {
				t.Errorf("error %q does not name the key id", err)
			}
		})
	}
}

// TestRotation walks one key rotation: k1 seals, k2 becomes primary with k1
// kept, every envelope is rotated, and then k1 is retired.
func TestRotation(t *testing.T) {
	t.Parallel()
	oldRing := mustRing(t, entry("k1", 1))
	newRing := mustRing(t, entry("k2", 2)+","+entry("k1", 1))
	finalRing := mustRing(t, entry("k2", 2))

	old, err := oldRing.SealString("110101199003078515", testAAD)
	if err != nil {
		t.Fatal(err)
	}
	if oldRing.NeedsRotation(old) {
		t.Error("old ring: NeedsRotation of its own envelope")
	}
	if s, err := newRing.OpenString(old, testAAD); err != nil || s != "110101199003078515" {
		t.Fatalf("new ring opens old envelope: %q, %v", s, err)
	}
	if !newRing.NeedsRotation(old) {
		t.Fatal("new ring: NeedsRotation(k1 envelope) = false")
	}
	if _, err := finalRing.Open(old, testAAD); !errors.Is(err, pii.ErrUnknownKey) {
		t.Fatalf("final ring opens k1 envelope: %v, want ErrUnknownKey", err)
	}

	rotated, err := newRing.Rotate(old, testAAD)
	if err != nil {
		t.Fatal(err)
	}
	if newRing.NeedsRotation(rotated) {
		t.Error("NeedsRotation after Rotate")
	}
	if s, err := finalRing.OpenString(rotated, testAAD); err != nil || s != "110101199003078515" {
		t.Fatalf("final ring opens rotated envelope: %q, %v", s, err)
	}
	again, err := newRing.Rotate(rotated, testAAD)
	if err != nil || !bytes.Equal(again, rotated) {
		t.Errorf("Rotate of a primary-key envelope changed it (err %v)", err)
	}

	if _, err := newRing.Rotate(old, pii.AAD{Table: "t", Column: "c", Row: "r"}); !errors.Is(err, pii.ErrDecrypt) {
		t.Errorf("Rotate with wrong AAD: %v, want ErrDecrypt", err)
	}
	if _, err := finalRing.Rotate(old, testAAD); !errors.Is(err, pii.ErrUnknownKey) {
		t.Errorf("Rotate without the old key: %v, want ErrUnknownKey", err)
	}
	for _, bad := range [][]byte{nil, {1}, {2, 2, 'k', '2'}} {
		if !newRing.NeedsRotation(bad) {
			t.Errorf("NeedsRotation(% x) = false for a malformed envelope", bad)
		}
	}
}
