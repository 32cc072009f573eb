package pii_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	"yuanxu/internal/pii"
)

// testKey is a deterministic, non-zero 32-byte key.
func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, pii.KeySize) }

// entry is one "id:base64" key-ring entry with testKey(b).
func entry(id string, b byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString(testKey(b))
}

func mustRing(t testing.TB, config string) *pii.KeyRing {
	t.Helper()
	r, err := pii.ParseKeyRing(config)
	if err != nil {
		t.Fatalf("ParseKeyRing: %v", err)
	}
	return r
}

func TestParseKeyRing(t *testing.T) {
	t.Parallel()
	raw := testKey(7)
	tests := []struct {
		name    string
		config  string
		primary string
		ids     []string
	}{
		{"One", entry("k1", 1), "k1", []string{"k1"}},
		{"FirstIsPrimary", entry("k2", 2) + "," + entry("k1", 1), "k2", []string{"k2", "k1"}},
		{"SpacesIgnored", " " + entry("k2", 2) + " , " + entry("k1", 1) + " ", "k2", []string{"k2", "k1"}},
		{"RawURL", "a_b-C9:" + base64.RawURLEncoding.EncodeToString(raw), "a_b-C9", []string{"a_b-C9"}},
		{"URL", "u:" + base64.URLEncoding.EncodeToString(raw), "u", []string{"u"}},
		{"RawStd", "s:" + base64.RawStdEncoding.EncodeToString(raw), "s", []string{"s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := mustRing(t, tt.config)
			if got := r.PrimaryID(); got != tt.primary {
				t.Errorf("PrimaryID = %q, want %q", got, tt.primary)
			}
			if got := r.KeyIDs(); fmt.Sprint(got) != fmt.Sprint(tt.ids) {
				t.Errorf("KeyIDs = %v, want %v", got, tt.ids)
			}
		})
	}
}

func TestParseKeyRingErrors(t *testing.T) {
	t.Parallel()
	secret := base64.StdEncoding.EncodeToString(testKey(9))
	short := base64.StdEncoding.EncodeToString(testKey(9)[:31])
	tests := []struct {
		name   string
		config string
		want   string // substring of the error
	}{
		{"Empty", "", "empty"},
		{"Blank", "  ", "empty"},
		{"NoID", secret, "entry 1: want ID:BASE64KEY"},
		{"EmptyID", ":" + secret, "entry 1: key id"},
		{"BadIDChars", "k.1:" + secret, "entry 1: key id"},
		{"IDTooLong", strings.Repeat("k", 33) + ":" + secret, "entry 1: key id"},
		{"KeyAsID", secret + ":" + secret, "entry 1: key id"},
		{"Duplicate", entry("k1", 1) + "," + entry("k1", 2), `entry 2: duplicate key id "k1"`},
		{"TrailingComma", entry("k1", 1) + ",", "entry 2"},
		{"EmptyKey", "k1:", `key "k1": key is empty`},
		{"NotBase64", "k1:" + secret[:20] + "!!" + secret[22:], `key "k1": not valid base64`},
		{"Short", "k1:" + short, "decodes to 31 bytes, want 32"},
		{"Long", "k1:" + base64.StdEncoding.EncodeToString(append(testKey(9), 1)), "decodes to 33 bytes"},
		{"AllZero", "k1:" + base64.StdEncoding.EncodeToString(make([]byte, 32)), "all zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := pii.ParseKeyRing(tt.config)
			if err == nil {
				t.Fatalf("ParseKeyRing succeeded: %v", r)
			}
			if !errors.Is(err, pii.ErrKeyConfig) {
				t.Errorf("error %v does not wrap ErrKeyConfig", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			for _, material := range []string{secret, secret[:16], short[:16]} {
				if strings.Contains(err.Error(), material) {
					t.Errorf("error %q echoes key material", err)
				}
			}
		})
	}
}

func TestGenerateKeyRing(t *testing.T) {
	t.Parallel()
	r, config, err := pii.GenerateKeyRing(nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.PrimaryID() != "k1" || !strings.HasPrefix(config, "k1:") {
		t.Fatalf("primary %q, config prefix %q", r.PrimaryID(), config[:3])
	}
	aad := pii.AAD{Table: "t", Column: "c", Row: "r"}
	env, err := r.SealString("x", aad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := mustRing(t, config).OpenString(env, aad); err != nil || got != "x" {
		t.Fatalf("reparsed ring opens %q, %v", got, err)
	}
	_, config2, err := pii.GenerateKeyRing(nil)
	if err != nil {
		t.Fatal(err)
	}
	if config == config2 {
		t.Fatal("two generated rings share a key")
	}
	if _, _, err := pii.GenerateKeyRing(strings.NewReader("too short")); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short reader: err = %v, want ErrUnexpectedEOF", err)
	}
}

// TestKeyRingNeverPrintsKeys checks every way a ring or index might be
// printed or logged by mistake.
func TestKeyRingNeverPrintsKeys(t *testing.T) {
	t.Parallel()
	key := testKey(0x41) // "AAAA…" in raw bytes, "QUFB…" in base64
	r := mustRing(t, entry("k2", 0x41)+","+entry("k1", 1))
	bi, err := pii.NewBlindIndex(key)
	if err != nil {
		t.Fatal(err)
	}
	var outs []string
	for _, v := range []any{r, *r, bi, *bi} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%d", "%q"} {
			outs = append(outs, fmt.Sprintf(verb, v))
		}
		outs = append(outs, fmt.Sprintf("%v", struct{ V any }{v}))
		var buf bytes.Buffer
		slog.New(slog.NewJSONHandler(&buf, nil)).Info("m", "ring", v)
		slog.New(slog.NewTextHandler(&buf, nil)).Info("m", "ring", v)
		outs = append(outs, buf.String())
	}
	for _, out := range outs {
		for _, leak := range []string{string(key[:8]), base64.StdEncoding.EncodeToString(key)[:8], "41414141"} {
			if strings.Contains(out, leak) {
				t.Errorf("output %q contains key material %q", out, leak)
			}
		}
	}
	if got := fmt.Sprint(r); !strings.Contains(got, "k2") || !strings.Contains(got, "k1") {
		t.Errorf("ring prints as %q, want its key ids", got)
	}
}
