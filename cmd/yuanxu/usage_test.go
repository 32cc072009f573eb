package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/store"
)

// demoDB seeds a demo database in a temporary data directory, as
// `serve --demo` does, and returns the directory and the demo
// individual's first running server on the sandbox node.
func demoDB(t *testing.T) (dir, serviceID string) {
	t.Helper()
	ctx := context.Background()
	dir = t.TempDir()
	db := openFor(t, []string{"--data", dir})
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	sec, err := app.LoadSecrets(ctx, db, app.SecretsConfig{Demo: true, DataDir: dir}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Config{DB: db, Secrets: sec, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SandboxAdvance(ctx, 3*time.Hour); err != nil { // three hours of traffic to fill
		t.Fatal(err)
	}
	ids, err := store.ServicesOnNode(ctx, db, app.SandboxNode, "")
	if err != nil || len(ids) == 0 {
		t.Fatalf("sandbox services %v, %v", ids, err)
	}
	return dir, ids[0]
}

func runUsage(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"admin", "usage"}, args...), func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	return out.String() + errb.String(), err
}

func TestAdminUsageRecordCountsOnceAndQuarantinesConflicts(t *testing.T) {
	t.Parallel()
	dir, svc := demoDB(t)
	start := time.Now().Add(-time.Hour).UTC().Truncate(time.Second).Format(time.RFC3339)
	rec := func(tx string) (string, error) {
		return runUsage(t, "record", "--data", dir, "--demo", "--service", svc, "--tx", tx, "--rx", "0", "--start", start, "--seconds", "60")
	}
	if out, err := rec("1000"); err != nil || !strings.Contains(out, "accepted 1, duplicates 0, quarantined 0, rejected 0") {
		t.Fatalf("record: %v\n%s", err, out)
	}
	if out, err := rec("1000"); err != nil || !strings.Contains(out, "accepted 0, duplicates 1") {
		t.Fatalf("resend: %v\n%s", err, out)
	}
	if out, err := rec("2000"); err == nil || exitCode(err) != 1 || !strings.Contains(out, "quarantined 1") || !strings.Contains(out, "conflict") {
		t.Fatalf("conflict: %v\n%s", err, out)
	}
	if out, err := runUsage(t, "record", "--data", dir, "--demo", "--service", "nope", "--tx", "1", "--rx", "1"); err == nil ||
		!strings.Contains(out, "unknown_service") {
		t.Fatalf("unknown service: %v\n%s", err, out)
	}
	if _, err := runUsage(t, "record", "--data", dir, "--demo", "--service", svc, "--tx", "1", "--rx", "1", "--class", "bogus"); exitCode(err) != 2 {
		t.Fatalf("bad class: %v", err)
	}
}

func TestAdminUsageDemoPassesTheOneGigabyteRule(t *testing.T) {
	t.Parallel()
	dir, _ := demoDB(t)
	out, err := runUsage(t, "demo", "--data", dir, "--demo")
	if err != nil || !strings.Contains(out, "demo traffic: ") || strings.Contains(out, "samples for 0 services") ||
		!strings.Contains(out, "quarantined 0, rejected 0") {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	// Every sandbox service of the demo individual now used more than
	// 2^30 billed bytes (or 85 % of its quota); a second run adds more,
	// never conflicting with the first.
	ctx := context.Background()
	db := openFor(t, []string{"--data", dir})
	defer db.Close()
	sec, err := app.LoadSecrets(ctx, db, app.SecretsConfig{Demo: true, DataDir: dir}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Config{DB: db, Secrets: sec, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	ids, err := store.ServicesOnNode(ctx, db, app.SandboxNode, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		used, err := a.UsageBetween(ctx, db, id, time.Time{}.Add(time.Hour), a.Now())
		if err != nil || used <= 1<<30 {
			t.Errorf("service %s used %d after the demo, %v", id, used, err)
		}
	}
	if out, err := runUsage(t, "demo", "--data", dir, "--demo"); err != nil || strings.Contains(out, "conflict") || !strings.Contains(out, "nothing to fill") {
		t.Fatalf("second demo: %v\n%s", err, out)
	}
}
