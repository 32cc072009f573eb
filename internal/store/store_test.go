package store_test

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"yuanxu/internal/store"
	"yuanxu/internal/store/postgres"
	"yuanxu/internal/store/sqlite"
	"yuanxu/internal/store/storetest"
)

// TestConformance runs the storage suite on every engine (DESIGN.md §6: the
// PostgreSQL half skips without YUANXU_TEST_POSTGRES, and fails in CI).
func TestConformance(t *testing.T) {
	t.Parallel()
	for _, h := range storetest.Engines() {
		t.Run(h.Name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, h)
		})
	}
}

// TestMigrationVersionsMatch: both engines carry the same version numbers.
func TestMigrationVersionsMatch(t *testing.T) {
	t.Parallel()
	s, err := store.MigrationVersions(sqlite.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	p, err := store.MigrationVersions(postgres.Migrations())
	if err != nil {
		t.Fatal(err)
	}
	if len(s) == 0 || !slices.Equal(s, p) {
		t.Fatalf("sqlite versions %v, postgres versions %v: they must match", s, p)
	}
}

// TestInstancesMigrateTogether: several instances starting at once on an
// empty PostgreSQL database all succeed; migrations ran once.
func TestInstancesMigrateTogether(t *testing.T) {
	t.Parallel()
	url := storetest.NewEmptyPostgresDatabase(t)
	const n = 3
	errc := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() {
			db, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 4})
			if err != nil {
				errc <- err
				return
			}
			defer db.Close()
			errc <- db.Migrate(context.Background())
		}()
	}
	for i := 0; i < n; i++ {
		if err := <-errc; err != nil {
			t.Errorf("instance %d: %v", i, err)
		}
	}
	db, err := postgres.Open(context.Background(), url, postgres.Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CheckMigrations(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestMigrationsAgreeAcrossEngines: each version's SQL is the same on both
// engines but for the binary type's name (BLOB on SQLite, BYTEA on
// PostgreSQL) and white space, so the two schemas cannot drift apart
// silently. A line that must differ carries the comment "-- engine-specific".
func TestMigrationsAgreeAcrossEngines(t *testing.T) {
	t.Parallel()
	norm := func(b []byte, sqliteSide bool) string {
		var out []string
		for _, line := range strings.Split(string(b), "\n") {
			if strings.Contains(line, "-- engine-specific") {
				continue
			}
			if sqliteSide {
				line = strings.ReplaceAll(line, "BLOB", "BYTEA")
			}
			if f := strings.Join(strings.Fields(line), " "); f != "" {
				out = append(out, f)
			}
		}
		return strings.Join(out, "\n")
	}
	entries, err := fs.ReadDir(sqlite.Migrations(), ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		s, err := fs.ReadFile(sqlite.Migrations(), e.Name())
		if err != nil {
			t.Fatal(err)
		}
		p, err := fs.ReadFile(postgres.Migrations(), e.Name())
		if err != nil {
			t.Errorf("%s: no PostgreSQL migration of that name: %v", e.Name(), err)
			continue
		}
		if norm(s, true) != norm(p, false) {
			t.Errorf("%s differs between the engines beyond BLOB/BYTEA; mark deliberate differences with -- engine-specific", e.Name())
		}
	}
}
