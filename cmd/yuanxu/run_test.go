package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/store/storetest"
)

// runArgs runs the program with args and a private environment.
func runArgs(t *testing.T, ctx context.Context, envv map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return envv[k] }
	err = run(ctx, args, getenv, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

func TestBadInvocationsExitTwo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "bad.json")
	os.WriteFile(corrupt, []byte("{\n  \"addr\": \"x\",\n  oops\n}"), 0o600)
	unknown := filepath.Join(dir, "unknown.json")
	os.WriteFile(unknown, []byte(`{"adr": "127.0.0.1:1"}`), 0o600)
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, []byte("x"), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // in the error
	}{
		{"UnknownFlag", []string{"serve", "--nope"}, nil, "unknown flag --nope"},
		{"UnknownCommand", []string{"frobnicate"}, nil, "unexpected argument frobnicate"},
		{"CorruptConfig", []string{"--config", corrupt, "serve"}, nil, "line 3"},
		{"UnknownConfigKey", []string{"--config", unknown, "serve"}, nil, `unknown key "adr"`},
		{"ConfigFromEnvMissing", []string{"serve"}, map[string]string{"YUANXU_CONFIG": filepath.Join(dir, "missing.json")}, "missing.json"},
		{"DataDirNotADirectory", []string{"migrate", "--data", filepath.Join(notDir, "sub")}, nil, "data directory"},
		{"UnreachableDatabase", []string{"migrate", "--db", "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=2"}, nil, "unreachable"},
		{"BadSandboxStart", []string{"serve", "--sandbox-start", "June"}, nil, "sandbox-start"},
		{"BadTrustedProxy", []string{"serve", "--data", filepath.Join(dir, "d1"), "--trusted-proxies", "10.0.0.0/33"}, nil, "trusted-proxies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := runArgs(t, context.Background(), tt.env, tt.args...)
			if err == nil {
				t.Fatal("want an error")
			}
			if exitCode(err) != 2 {
				t.Errorf("exit code %d, want 2 (err: %v)", exitCode(err), err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Count(strings.TrimSpace(err.Error()), "\n") != 0 {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
	// Nothing half-created: the failing data dir left no database behind.
	if _, err := os.Stat(filepath.Join(dir, "d1", "yuanxu.db")); err == nil {
		t.Error("a failed serve left a database file behind")
	}
}

func TestPostgresWithoutSecretsRefusesToStart(t *testing.T) {
	t.Parallel()
	url := storetest.NewPostgresDatabase(t)
	_, _, err := runArgs(t, context.Background(), nil, "serve", "--db", url, "--addr", "127.0.0.1:0")
	if err == nil || exitCode(err) != 2 || !strings.Contains(err.Error(), "secrets must come from configuration") {
		t.Fatalf("err = %v (exit %d), want a secrets-required usage error", err, exitCode(err))
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	out, _, err := runArgs(t, context.Background(), nil, "version")
	if err != nil || !strings.HasPrefix(out, "yuanxu ") {
		t.Fatalf("version: %q, %v", out, err)
	}
}

func TestGenSecretsAreAccepted(t *testing.T) {
	t.Parallel()
	out, _, err := runArgs(t, context.Background(), nil, "admin", "gen-secrets")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(line, "=")
		env[k] = v
	}
	for _, k := range []string{"YUANXU_SESSION_KEY", "YUANXU_PII_KEYS", "YUANXU_BLIND_INDEX_KEY"} {
		if env[k] == "" {
			t.Fatalf("gen-secrets printed no %s", k)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServe runs `yuanxu serve` in the background and waits for /readyz.
func startServe(t *testing.T, envv map[string]string, args ...string) (base string, stop func() error) {
	t.Helper()
	addr := freeAddr(t)
	done, stop := inBackground(t, "serve", func(ctx context.Context) error {
		_, _, err := runArgs(t, ctx, envv, append([]string{"serve", "--addr", addr}, args...)...)
		return err
	})
	base = "http://" + addr
	deadline := time.Now().Add(3 * time.Minute) // a hang guard, not a timing assertion: --demo seeds a lot under -race on a busy machine
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("serve did not become ready")
		}
		time.Sleep(50 * time.Millisecond)
	}
	return base, stop
}

// inBackground runs fn in a goroutine until stop cancels its context.
// stop waits (at most 40 s) and returns fn's error the first time, nil
// afterwards; it also runs at cleanup. done receives fn's error if fn
// ends by itself.
func inBackground(t *testing.T, what string, fn func(ctx context.Context) error) (done <-chan error, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan error, 1)
	go func() { ch <- fn(ctx) }()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-ch:
			return err
		case <-time.After(40 * time.Second):
			return fmt.Errorf("%s did not stop", what)
		}
	}
	t.Cleanup(func() { _ = stop() })
	return ch, stop
}

// TestServeDemoThenVerify: a demo server is ready, answers on the sandbox
// clock, stops cleanly on cancellation; `admin verify` then passes, and
// fails after an audit row is altered by hand.
func TestServeDemoThenVerify(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	dbArgs := []string{"--data", data}
	if storetest.Engine() == "postgres" {
		dbArgs = []string{"--db", storetest.NewPostgresDatabase(t)}
	}
	base, stop := startServe(t, nil, append([]string{"--demo", "--sandbox-start", "2026-06-01T09:00:00+08:00"}, dbArgs...)...)
	resp, err := http.Post(base+"/api/v1/sandbox/clock", "application/json", strings.NewReader(`{"advance":"25h"}`))
	if err != nil {
		t.Fatal(err)
	}
	var body struct{ Now time.Time }
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	want := time.Date(2026, 6, 2, 10, 0, 0, 0, time.FixedZone("", 8*3600))
	if resp.StatusCode != 200 || body.Now.Before(want) {
		t.Fatalf("advance: status %d now %v, want ≥ %v", resp.StatusCode, body.Now, want)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve stop: %v", err)
	}
	// The advance left an audit event; verify seals nothing itself, so seal
	// through a second short serve run is not needed: the event is unsealed
	// or sealed, and either way the chain verifies.
	out, _, err := runArgs(t, context.Background(), nil, append([]string{"admin", "verify"}, dbArgs...)...)
	if err != nil || !strings.Contains(out, "audit chain: ok") {
		t.Fatalf("verify on a fresh demo: %q, %v", out, err)
	}
	db := openFor(t, dbArgs)
	// Unseal every event (ADR 24: the batch rows are the seal).
	if _, err := db.Writer().Exec(`DELETE FROM audit_batch`); err != nil {
		t.Fatal(err)
	}
	sealAll(t, db)
	if _, err := db.Writer().Exec(`UPDATE audit_event SET data = '{"to":"forged"}' WHERE action = 'sandbox.clock_advanced'`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, _, err = runArgs(t, context.Background(), nil, append([]string{"admin", "verify"}, dbArgs...)...)
	if err == nil || exitCode(err) != 1 || !strings.Contains(out, "BROKEN at batch") {
		t.Fatalf("verify after tampering: %q, %v; want a failure naming the batch", out, err)
	}
}

// TestEnvironmentSetsServeFlagsOnly: YUANXU_* variables configure serve
// (and the database flags shared with migrate and admin), never another
// command's own options.
func TestEnvironmentSetsServeFlagsOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, _, err := runArgs(t, context.Background(), map[string]string{"YUANXU_DATA": dir}, "migrate")
	if err != nil || !strings.Contains(out, "migrations applied") {
		t.Fatalf("migrate with YUANXU_DATA: %q, %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "yuanxu.db")); err != nil {
		t.Fatalf("YUANXU_DATA was not used: %v", err)
	}
	out, _, err = runArgs(t, context.Background(), map[string]string{"YUANXU_WORKING_DAYS": "5"}, "calendar", "deadline", "--from", "2026-09-30T10:00:00+08:00", "--working-days", "3")
	if err != nil || !strings.HasPrefix(out, "2026-10-10\n") {
		t.Fatalf("calendar deadline: %q, %v", out, err)
	}
	if _, _, err := runArgs(t, context.Background(), map[string]string{"YUANXU_WORKING_DAYS": "3"}, "calendar", "deadline", "--from", "2026-09-30T10:00:00+08:00"); err == nil {
		t.Fatal("calendar deadline took --working-days from the environment")
	}
}
