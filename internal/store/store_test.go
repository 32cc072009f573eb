package store_test

import (
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
