package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// cheap keeps tests fast; production uses DefaultKDF.
var cheap = KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	secret := []byte(`{"pii_keys":"k1:AAAA"}`)
	file, err := Seal(secret, "correct horse battery staple", cheap, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(file, secret) || bytes.Contains(file, []byte("k1:AAAA")) {
		t.Fatalf("the key file holds the plaintext: %s", file)
	}
	got, err := Open(file, "correct horse battery staple")
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	again, _ := Seal(secret, "correct horse battery staple", cheap, nil)
	if bytes.Equal(file, again) {
		t.Fatal("two seals of the same secret are identical: salt or nonce is not random")
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	const pass = "correct horse battery staple"
	file, err := Seal([]byte("secret"), pass, cheap, nil)
	if err != nil {
		t.Fatal(err)
	}
	alter := func(f func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(file, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	tests := []struct {
		name string
		file []byte
		pass string
		want error
	}{
		{"wrong passphrase", file, "correct horse battery stapler", ErrPassphrase},
		{"empty passphrase", file, "", ErrPassphrase},
		{"time lowered", alter(func(m map[string]any) { m["params"].(map[string]any)["time"] = 2 }), pass, ErrPassphrase},
		{"ciphertext flipped", alter(func(m map[string]any) { m["ciphertext"] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }), pass, ErrPassphrase},
		{"not json", []byte("k1:AAAA"), pass, ErrFormat},
		{"other format", alter(func(m map[string]any) { m["format"] = "yuanxu-secrets/2" }), pass, ErrFormat},
		{"other kdf", alter(func(m map[string]any) { m["kdf"] = "scrypt" }), pass, ErrFormat},
		{"huge memory", alter(func(m map[string]any) { m["params"].(map[string]any)["memory_kib"] = 1 << 30 }), pass, ErrFormat},
		{"short salt", alter(func(m map[string]any) { m["salt"] = "AAAA" }), pass, ErrFormat},
		{"short nonce", alter(func(m map[string]any) { m["nonce"] = "AAAA" }), pass, ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Open(tt.file, tt.pass)
			if !errors.Is(err, tt.want) || got != nil {
				t.Fatalf("Open = %q, %v; want %v", got, err, tt.want)
			}
			if strings.Contains(err.Error(), pass) {
				t.Fatalf("the error names the passphrase: %v", err)
			}
		})
	}
}

func TestSealRefusesWeakPassphraseAndBadParams(t *testing.T) {
	t.Parallel()
	if _, err := Seal([]byte("x"), "short", cheap, nil); !errors.Is(err, ErrWeakPassphrase) {
		t.Fatalf("short passphrase: %v", err)
	}
	if _, err := Seal([]byte("x"), "口令口令口令口令口令口令", cheap, nil); err != nil {
		t.Fatalf("12 Chinese characters are long enough: %v", err)
	}
	if _, err := Seal([]byte("x"), "correct horse battery staple", KDFParams{Time: 0, MemoryKiB: 64, Threads: 1}, nil); !errors.Is(err, ErrFormat) {
		t.Fatalf("t=0: %v", err)
	}
}

func TestParseManifest(t *testing.T) {
	t.Parallel()
	good := Manifest{Format: ManifestFormat, Engine: "sqlite", Database: SQLiteFile, SHA256: strings.Repeat("a", 64)}
	tests := []struct {
		name string
		edit func(*Manifest)
		ok   bool
	}{
		{"good", func(*Manifest) {}, true},
		{"postgres", func(m *Manifest) { m.Engine, m.Database = "postgres", PostgresFile }, true},
		{"path escapes", func(m *Manifest) { m.Database = "../../etc/passwd" }, false},
		{"engine mismatch", func(m *Manifest) { m.Engine = "postgres" }, false},
		{"no digest", func(m *Manifest) { m.SHA256 = "" }, false},
		{"format", func(m *Manifest) { m.Format = "x" }, false},
	}
	for _, tt := range tests {
		m := good
		tt.edit(&m)
		b, _ := json.Marshal(m)
		if _, err := ParseManifest(b); (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}
