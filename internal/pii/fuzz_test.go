package pii_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"yuanxu/internal/pii"
)

// fuzzPlaintexts are the only plaintexts ever sealed under the fuzz ring's
// keys, which are fixed so that every fuzz worker process shares them.
var fuzzPlaintexts = []string{"", "13812345678", "alice@example.com", "110101199003078515"}

// FuzzOpen feeds arbitrary envelopes and AAD rows to Open. It must never
// panic, and may succeed only for an envelope genuinely sealed by this test
// (one of fuzzPlaintexts, at testAAD's table and column and the row it
// was sealed for): forging a GCM tag is infeasible, so any other success is a
// parsing bug.
func FuzzOpen(f *testing.F) {
	r := mustRing(f, entry("k2", 2)+","+entry("k1", 1))
	old := mustRing(f, entry("k1", 1))
	for i, pt := range fuzzPlaintexts {
		for _, ring := range []*pii.KeyRing{r, old} {
			env, err := ring.SealString(pt, testAAD)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(env, testAAD.Row)
			if i == 1 {
				f.Add(env, "other-row")
				f.Add(env[:len(env)-1], testAAD.Row)
				f.Add(append(bytes.Clone(env), 0), testAAD.Row)
			}
		}
	}
	f.Add([]byte{}, "r")
	f.Add([]byte{1}, "r")
	f.Add([]byte{1, 0}, "r")
	f.Add([]byte{1, 32}, "r")
	f.Add([]byte{1, 255, 'k'}, "r")
	f.Add([]byte{2, 2, 'k', '1'}, "r")
	f.Add(append([]byte{1, 2, 'k', '9'}, make([]byte, 40)...), "r")
	f.Add(append([]byte{1, 2, 'k', '1'}, make([]byte, 28)...), "r")

	f.Fuzz(func(t *testing.T, env []byte, row string) {
		aad := pii.AAD{Table: testAAD.Table, Column: testAAD.Column, Row: row}
		pt, err := r.Open(env, aad)
		if row == "" {
			if !errors.Is(err, pii.ErrAAD) {
				t.Fatalf("empty row: err = %v, want ErrAAD", err)
			}
			return
		}
		if err != nil {
			if !errors.Is(err, pii.ErrDecrypt) && !errors.Is(err, pii.ErrUnknownKey) {
				t.Fatalf("unexpected error class: %v", err)
			}
			if pt != nil {
				t.Fatal("failed Open returned plaintext")
			}
			return
		}
		// Success: it must be one of ours, at the row it was sealed for, and
		// well-formed.
		if row != testAAD.Row {
			t.Fatalf("opened at row %q, sealed only at %q", row, testAAD.Row)
		}
		found := false
		for _, want := range fuzzPlaintexts {
			found = found || string(pt) == want
		}
		if !found {
			t.Fatalf("Open succeeded with a plaintext never sealed: %q", pt)
		}
		if env[0] != 1 || int(env[1]) != 2 || len(env) != 2+2+12+len(pt)+16 {
			t.Fatalf("Open accepted a malformed envelope % x", env)
		}
		if rot, err := r.Rotate(env, aad); err != nil || r.NeedsRotation(rot) {
			t.Fatalf("Rotate of an openable envelope: %v", err)
		}
	})
}

// FuzzParseKeyRing checks that parsing never panics, that errors never echo
// key material and that an accepted ring seals and opens.
func FuzzParseKeyRing(f *testing.F) {
	f.Add(entry("k1", 1))
	f.Add(entry("k2", 2) + "," + entry("k1", 1))
	f.Add(entry("k1", 1) + "," + entry("k1", 2))
	f.Add("k1:" + base64.RawURLEncoding.EncodeToString(testKey(3)))
	f.Add("k1:" + base64.StdEncoding.EncodeToString(testKey(3)[:31]))
	f.Add(base64.StdEncoding.EncodeToString(testKey(3)))
	f.Add("")
	f.Add(",")
	f.Add(":")
	f.Add("k1:,k2:")
	f.Add("k\x001:AAAA")

	f.Fuzz(func(t *testing.T, config string) {
		r, err := pii.ParseKeyRing(config)
		if err != nil {
			if r != nil {
				t.Fatal("ring returned with an error")
			}
			if !errors.Is(err, pii.ErrKeyConfig) {
				t.Fatalf("error does not wrap ErrKeyConfig: %v", err)
			}
			// Any id the error quotes has passed validation, so no run of
			// base64 longer than an id (32) can appear in the message.
			msg := err.Error()
			for _, field := range strings.FieldsFunc(config, func(r rune) bool { return r == ',' || r == ':' || r == ' ' }) {
				if len(field) > 32 && strings.Contains(msg, field) {
					t.Fatalf("error %q echoes input %q", msg, field)
				}
			}
			return
		}
		if len(r.KeyIDs()) == 0 || r.KeyIDs()[0] != r.PrimaryID() {
			t.Fatalf("ring ids %v, primary %q", r.KeyIDs(), r.PrimaryID())
		}
		env, err := r.SealString("x", testAAD)
		if err != nil {
			t.Fatal(err)
		}
		if s, err := r.OpenString(env, testAAD); err != nil || s != "x" {
			t.Fatalf("round trip: %q, %v", s, err)
		}
	})
}

// FuzzNormalizePhone checks that any accepted input normalizes to 11 ASCII
// digits 1[3-9]…, that the result is a fixed point, and that MaskPhone and
// Mask agree with it.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"13812345678", "+86 138-1234-5678", "008613812345678", "１３８１２３４５６７８", "＋８６１３８１２３４５６７８",
		"8613812345678", "+13812345678", "12812345678", "", "+", "++86", "0086", "138\u30001234\u20145678", "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := pii.NormalizePhone(s)
		if err != nil {
			if p != "" || !errors.Is(err, pii.ErrInvalidPhone) {
				t.Fatalf("NormalizePhone(%q) = %q, %v", s, p, err)
			}
			return
		}
		if len(p) != 11 || p[0] != '1' || p[1] < '3' || p[1] > '9' || strings.Trim(p, "0123456789") != "" {
			t.Fatalf("NormalizePhone(%q) = %q: not a mainland mobile number", s, p)
		}
		if again, err := pii.NormalizePhone(p); err != nil || again != p {
			t.Fatalf("not a fixed point: %q → %q, %v", p, again, err)
		}
		want := p[:3] + "****" + p[7:]
		if got := pii.MaskPhone(s); got != want {
			t.Fatalf("MaskPhone(%q) = %q, want %q", s, got, want)
		}
		if got := pii.Mask(s); got != want {
			t.Fatalf("Mask(%q) = %q, want %q", s, got, want)
		}
	})
}
