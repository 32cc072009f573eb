package app_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yuanxu/internal/app"
	"yuanxu/internal/backup"
	"yuanxu/internal/store/storetest"
)

// TestReadSecretStringsNeverGenerates: backup reads the secrets an install
// runs with and never makes new ones (a backup sealed with fresh keys could
// not read its own database); sealing and opening round-trip, and what
// opens is checked to be a usable set.
func TestReadSecretStringsNeverGenerates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.OpenSQLite(t)
	dir := t.TempDir()
	if _, _, err := app.ReadSecretStrings(ctx, db, app.SecretsConfig{DataDir: dir}); err == nil || !strings.Contains(err.Error(), "--data") {
		t.Fatalf("no secrets.json: %v, want an error naming --data", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "secrets.json")); err == nil {
		t.Fatal("ReadSecretStrings generated secrets")
	}
	if _, _, err := app.ReadSecretStrings(ctx, db, app.SecretsConfig{SessionKey: "x"}); err == nil {
		t.Fatal("one secret of three was accepted")
	}
	if _, _, err := app.ReadSecretStrings(ctx, db, app.SecretsConfig{Postgres: true}); !errors.Is(err, app.ErrSecretsRequired) {
		t.Fatalf("PostgreSQL without secrets: %v", err)
	}
	sk, pk, bk, err := app.GenerateSecrets()
	if err != nil {
		t.Fatal(err)
	}
	want := app.SecretStrings{SessionKey: sk, PIIKeys: pk, BlindIndexKey: bk}
	if err := app.WriteSecretsFile(dir, want); err != nil {
		t.Fatal(err)
	}
	got, source, err := app.ReadSecretStrings(ctx, db, app.SecretsConfig{DataDir: dir})
	if err != nil || got != want || source != "data-dir" {
		t.Fatalf("read %v from %q: %v", got == want, source, err)
	}
	other, _, _, _ := app.GenerateSecrets()
	if err := app.WriteSecretsFile(dir, app.SecretStrings{SessionKey: other, PIIKeys: pk, BlindIndexKey: bk}); err == nil {
		t.Fatal("WriteSecretsFile replaced other secrets")
	}
	cheap := backup.KDFParams{Time: 1, MemoryKiB: 64, Threads: 1}
	sealed, err := app.SealSecrets(want, "a passphrase for this test", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if opened, err := app.OpenSealedSecrets(sealed, "a passphrase for this test"); err != nil || opened != want {
		t.Fatalf("open: %v", err)
	}
	if _, err := app.OpenSealedSecrets(sealed, "another passphrase here"); !errors.Is(err, backup.ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	junk, _ := backup.Seal([]byte(`{"pii_keys":"not a key ring"}`), "a passphrase for this test", cheap, nil)
	if _, err := app.OpenSealedSecrets(junk, "a passphrase for this test"); !errors.Is(err, backup.ErrFormat) {
		t.Fatalf("a sealed non-secret: %v", err)
	}
}
