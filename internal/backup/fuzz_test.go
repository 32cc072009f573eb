package backup

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzOpen: a key file is outside bytes (restore reads whatever the
// operator points it at). Open never panics, never succeeds on bytes it did
// not seal with this passphrase unless they are a genuine key file, and
// fails only with ErrFormat or ErrPassphrase.
func FuzzOpen(f *testing.F) {
	const pass = "correct horse battery staple"
	good, err := Seal([]byte("secret"), pass, cheap, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, pass)
	f.Add(good, "wrong passphrase!")
	f.Add([]byte(`{"format":"yuanxu-secrets/1","kdf":"argon2id","params":{"time":1,"memory_kib":64,"threads":1},"salt":"AAAAAAAAAAAAAAAAAAAAAA==","cipher":"AES-256-GCM","nonce":"AAAAAAAAAAAAAAAA","ciphertext":""}`), pass)
	f.Add([]byte(`{"params":{"time":4294967295,"memory_kib":4294967295,"threads":255}}`), pass)
	f.Add([]byte("null"), "")
	f.Fuzz(func(t *testing.T, file []byte, passphrase string) {
		if k, err := parse(file); err == nil && (k.Params.MemoryKiB > 4096 || k.Params.Time > 2) {
			t.Skip("valid but expensive parameters: not what fuzzing is for")
		}
		out, err := Open(file, passphrase)
		if err != nil {
			if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrPassphrase) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			if out != nil {
				t.Fatal("output with an error")
			}
			return
		}
		if bytes.Equal(file, good) && passphrase != pass {
			t.Fatalf("opened the seed with passphrase %q", passphrase)
		}
	})
}
