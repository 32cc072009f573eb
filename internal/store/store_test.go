package store_test

import (
	"context"
	"slices"
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
