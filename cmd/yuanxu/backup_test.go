package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"yuanxu/internal/app"
	"yuanxu/internal/backup"
	"yuanxu/internal/store/storetest"
)

const testPassphrase = "backup passphrase for tests"

// customerView is what a customer is served that depends on the database
// and the keys: the wallet (balances on the ledger) and the data export
// (personal information decrypted with the PII key ring).
func customerView(t *testing.T, base string) (wallet, export map[string]any) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	call := func(method, path string, body any) map[string]any {
		var rd *bytes.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		} else {
			rd = bytes.NewReader(nil)
		}
		req, _ := http.NewRequest(method, base+path, rd)
		req.Header.Set("Content-Type", "application/json")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s %s: status %d: %v", method, path, resp.StatusCode, out)
		}
		return out
	}
	// Logging in by email finds the account by its blind index: the
	// blind-index key must have survived too.
	call("POST", "/api/v1/auth/login", map[string]any{"login": "individual@demo.yuanxu.test", "password": "yuanxu-demo-individual"})
	wallet = call("GET", "/api/v1/wallet", nil)
	export = call("GET", "/api/v1/me/data-export", nil)
	delete(export, "exported_at")
	return wallet, export
}

// TestBackupRestoreEndToEnd: a populated install (the demo data: balances
// on the ledger, sealed phones, emails and ID numbers) is backed up while
// serve runs, restored into a new place, verifies, and the restored server
// serves the same balances and decrypts the same personal information. A
// wrong passphrase restores nothing.
func TestBackupRestoreEndToEnd(t *testing.T) {
	t.Parallel()
	engines := []string{"sqlite"} // the SQLite pass of CI
	if storetest.Engine() == "postgres" {
		engines = []string{"postgres"} // the PostgreSQL pass (YUANXU_TEST_DB=postgres)
	}
	for _, engine := range engines {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			testBackupRestore(t, engine)
		})
	}
}

func testBackupRestore(t *testing.T, engine string) {
	ctx := context.Background()
	dir := t.TempDir()
	src, dst, wrong := filepath.Join(dir, "src"), filepath.Join(dir, "dst"), filepath.Join(dir, "wrong")
	bak := filepath.Join(dir, "backup")
	passFile := filepath.Join(dir, "passphrase")
	os.WriteFile(passFile, []byte(testPassphrase+"\n"), 0o600)
	sessionKey, piiKeys, blindKey, err := app.GenerateSecrets()
	if err != nil {
		t.Fatal(err)
	}
	secretEnv := map[string]string{"YUANXU_SESSION_KEY": sessionKey, "YUANXU_PII_KEYS": piiKeys, "YUANXU_BLIND_INDEX_KEY": blindKey}
	srcArgs, dstArgs, wrongArgs := []string{"--data", src}, []string{"--data", dst}, []string{"--data", wrong}
	backupEnv, restoreExtra := map[string]string{}, []string{}
	secretsOut := filepath.Join(dir, "restored.env")
	if engine == "postgres" {
		// PostgreSQL takes its secrets from configuration; restore writes them
		// to a file for it.
		srcArgs = []string{"--db", storetest.NewPostgresDatabase(t)}
		dstArgs = []string{"--db", storetest.NewEmptyPostgresDatabase(t)}
		wrongArgs = []string{"--db", storetest.NewEmptyPostgresDatabase(t)}
		backupEnv = secretEnv
		restoreExtra = []string{"--secrets-out", secretsOut}
	} else {
		// A single-instance install keeps its generated secrets in the data
		// directory: put them there, and hand the same to the demo seed.
		os.MkdirAll(src, 0o700)
		if err := app.WriteSecretsFile(src, app.SecretStrings{SessionKey: sessionKey, PIIKeys: piiKeys, BlindIndexKey: blindKey}); err != nil {
			t.Fatal(err)
		}
	}
	base, stop := startServe(t, secretEnv, append([]string{"--demo", "--sandbox-start", "2026-06-01T09:00:00+08:00"}, srcArgs...)...)
	wantWallet, wantExport := customerView(t, base)
	if acc, _ := wantExport["account"].(map[string]any); acc["phone"] != "13800000001" {
		t.Fatalf("the source serves phone %v, want the demo's 13800000001 in clear", acc["phone"])
	}

	// Online: serve is still running.
	out, _, err := runArgs(t, ctx, backupEnv, append([]string{"admin", "backup", "--out", bak, "--passphrase-file", passFile}, srcArgs...)...)
	if err != nil || !strings.Contains(out, "backup written to") {
		t.Fatalf("backup: %q, %v", out, err)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve stop: %v", err)
	}
	for _, f := range []string{backup.ManifestFile, backup.KeyFile, backup.SQLiteFile, backup.PostgresFile} {
		if st, err := os.Stat(filepath.Join(bak, f)); err == nil && st.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, st.Mode().Perm())
		}
	}
	kf, _ := os.ReadFile(filepath.Join(bak, backup.KeyFile))
	for _, secret := range []string{sessionKey, piiKeys, blindKey, "13800000001"} {
		if bytes.Contains(kf, []byte(secret)) {
			t.Fatal("the key file holds a secret in clear")
		}
	}
	if _, _, err := runArgs(t, ctx, backupEnv, append([]string{"admin", "backup", "--out", bak, "--passphrase-file", passFile}, srcArgs...)...); err == nil || exitCode(err) != 2 {
		t.Fatalf("backup over an existing directory: %v, want a usage error", err)
	}

	// A wrong passphrase fails clearly and restores nothing.
	_, _, err = runArgs(t, ctx, map[string]string{passphraseEnv: "not the passphrase at all"},
		append([]string{"admin", "restore", "--from", bak, "--secrets-out", filepath.Join(dir, "wrong.env")}, wrongArgs...)...)
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "wrong passphrase") {
		t.Fatalf("restore with a wrong passphrase: %v, want a clear usage error", err)
	}
	if _, err := os.Stat(filepath.Join(wrong, "yuanxu.db")); err == nil {
		t.Fatal("a refused restore left a database behind")
	}
	if _, err := os.Stat(filepath.Join(dir, "wrong.env")); err == nil {
		t.Fatal("a refused restore wrote secrets")
	}

	out, _, err = runArgs(t, ctx, map[string]string{passphraseEnv: testPassphrase},
		append(append([]string{"admin", "restore", "--from", bak}, restoreExtra...), dstArgs...)...)
	if err != nil || !strings.Contains(out, "restored") || !strings.Contains(out, "ledger: ok") {
		t.Fatalf("restore: %q, %v", out, err)
	}
	if _, _, err := runArgs(t, ctx, map[string]string{passphraseEnv: testPassphrase},
		append(append([]string{"admin", "restore", "--from", bak}, restoreExtra...), dstArgs...)...); err == nil {
		t.Fatal("a second restore over the restored database succeeded")
	}
	out, _, err = runArgs(t, ctx, nil, append([]string{"admin", "verify"}, dstArgs...)...)
	if err != nil || !strings.Contains(out, "audit chain: ok") || !strings.Contains(out, "ledger: ok") {
		t.Fatalf("verify the restored database: %q, %v", out, err)
	}

	// The restored server runs on the restored keys alone: SQLite reads
	// dst/secrets.json, PostgreSQL the lines restore wrote.
	restoredEnv := map[string]string{}
	if engine == "postgres" {
		b, err := os.ReadFile(secretsOut)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			k, v, _ := strings.Cut(line, "=")
			restoredEnv[k] = v
		}
		if st, _ := os.Stat(secretsOut); st.Mode().Perm() != 0o600 {
			t.Fatalf("secrets file mode %v, want 0600", st.Mode().Perm())
		}
	}
	base2, _ := startServe(t, restoredEnv, append([]string{"--sandbox"}, dstArgs...)...)
	gotWallet, gotExport := customerView(t, base2)
	if !jsonEqual(gotWallet, wantWallet) {
		t.Errorf("restored wallet %v, want %v", gotWallet, wantWallet)
	}
	if !jsonEqual(gotExport, wantExport) {
		t.Errorf("restored data export %v, want %v", gotExport, wantExport)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
