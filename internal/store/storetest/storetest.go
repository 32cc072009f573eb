// Package storetest opens isolated, migrated stores for tests on either
// engine and holds the storage conformance suite (Run) that every engine must
// pass.
//
// Environment (DESIGN.md §6):
//   - YUANXU_TEST_POSTGRES: a PostgreSQL URL. Without it PostgreSQL tests
//     skip — unless CI is set, where they fail.
//   - YUANXU_TEST_DB=postgres: Open returns PostgreSQL stores instead of
//     SQLite, for the app, web and end-to-end tests.
//
// SQLite stores are one WAL file per test in t.TempDir(), copied from a
// file migrated once per test process. PostgreSQL stores
// are one database per test, created from a template database that is
// migrated once per schema digest and shared by every test process.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"yuanxu/internal/store"
	"yuanxu/internal/store/postgres"
	"yuanxu/internal/store/sqlite"
)

// Harness opens fresh stores of one engine.
type Harness struct {
	Name string
	New  func(t testing.TB) *store.DB
}

// Engines returns the harnesses available here: SQLite always, PostgreSQL
// when YUANXU_TEST_POSTGRES is set (when it is not and CI is set, the
// PostgreSQL harness fails the test that uses it).
func Engines() []Harness {
	return []Harness{
		{Name: "sqlite", New: func(t testing.TB) *store.DB { return OpenSQLite(t) }},
		{Name: "postgres", New: func(t testing.TB) *store.DB { return OpenPostgres(t) }},
	}
}

// Open returns a migrated store of the engine YUANXU_TEST_DB selects
// (default sqlite), closed at cleanup.
func Open(t testing.TB) *store.DB {
	t.Helper()
	if Engine() == store.Postgres {
		return OpenPostgres(t)
	}
	return OpenSQLite(t)
}

// Engine reports the engine YUANXU_TEST_DB selects.
func Engine() store.Engine {
	if strings.EqualFold(os.Getenv("YUANXU_TEST_DB"), "postgres") {
		return store.Postgres
	}
	return store.SQLite
}

// URL returns a database URL for the engine YUANXU_TEST_DB selects: a fresh
// migrated PostgreSQL database, or a SQLite path in a temp dir. For tests that
// start whole servers.
func URL(t testing.TB) string {
	t.Helper()
	if Engine() == store.Postgres {
		return NewPostgresDatabase(t)
	}
	return filepath.Join(t.TempDir(), "yuanxu.db")
}

// OpenSQLite returns a migrated SQLite store in t.TempDir(): a copy of
// a template file this process migrated once (sqliteTemplate), which is
// what a fresh file migrated by Migrate holds, at a fraction of the cost.
func OpenSQLite(t testing.TB) *store.DB {
	t.Helper()
	tmpl, err := sqliteTemplate()
	if err != nil {
		t.Fatalf("sqlite template: %v", err)
	}
	path := filepath.Join(t.TempDir(), "test.db")
	if err := os.WriteFile(path, tmpl, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sqliteTemplate returns the bytes of a SQLite file migrated by Migrate,
// made once per process (migratedSQLiteFile).
var sqliteTemplate = sync.OnceValues(migratedSQLiteFile)

// migratedSQLiteFile migrates a file in a scratch directory, folds its WAL
// into the main file (wal_checkpoint(TRUNCATE)), closes and reads it, and
// removes the directory.
func migratedSQLiteFile() ([]byte, error) {
	dir, err := os.MkdirTemp("", "yuanxu-storetest-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "template.db")
	db, err := sqlite.Open(path, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	err = db.Migrate(ctx)
	if err == nil {
		_, err = db.Writer().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return os.ReadFile(path)
}

// PostgresURL returns YUANXU_TEST_POSTGRES, skipping the test when it is
// unset — or failing it when CI is set.
func PostgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv("YUANXU_TEST_POSTGRES")
	if u == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("YUANXU_TEST_POSTGRES is not set; PostgreSQL tests may not be skipped in CI")
		}
		t.Skip("YUANXU_TEST_POSTGRES is not set")
	}
	return u
}

// OpenPostgres returns a store on a fresh database cloned from the migrated
// template, dropped at cleanup.
func OpenPostgres(t testing.TB) *store.DB {
	t.Helper()
	u := NewPostgresDatabase(t)
	db, err := postgres.Open(context.Background(), u, postgres.Options{MaxConns: 8})
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// NewPostgresDatabase creates a fresh database from the migrated template and
// returns its URL; the database is dropped at cleanup.
func NewPostgresDatabase(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	tmpl, err := template(base)
	if err != nil {
		t.Fatalf("postgres template: %v", err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "yuanxu_t_" + randHex(8)
	var createErr error
	for attempt := 0; attempt < 20; attempt++ {
		_, createErr = admin.Exec(fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl))
		if createErr == nil || !strings.Contains(createErr.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if createErr != nil {
		t.Fatalf("create test database: %v", createErr)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return withDatabase(base, name)
}

// NewEmptyPostgresDatabase creates an empty, unmigrated database and returns
// its URL; it is dropped at cleanup. For tests of migration itself.
func NewEmptyPostgresDatabase(t testing.TB) string {
	t.Helper()
	base := PostgresURL(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "yuanxu_t_" + randHex(8)
	if _, err := admin.Exec(fmt.Sprintf("CREATE DATABASE %s", name)); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec(fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
	})
	return withDatabase(base, name)
}

var (
	templateOnce sync.Mutex
	templateName string
)

// template returns the name of the migrated template database, creating it
// under an advisory lock if no test process has yet.
func template(base string) (string, error) {
	templateOnce.Lock()
	defer templateOnce.Unlock()
	if templateName != "" {
		return templateName, nil
	}
	name := "yuanxu_tmpl_" + store.SchemaDigest(postgres.Migrations()) + "_" + riverVersion
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7975781)"); err != nil {
		return "", err
	}
	defer conn.ExecContext(ctx, "SELECT pg_advisory_unlock(7975781)")
	var exists bool
	if err := conn.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", name).Scan(&exists); err != nil {
		return "", err
	}
	if !exists {
		_, _ = conn.ExecContext(ctx, fmt.Sprintf("DROP DATABASE IF EXISTS %s WITH (FORCE)", name))
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE DATABASE %s", name)); err != nil {
			return "", err
		}
		db, err := postgres.Open(ctx, withDatabase(base, name), postgres.Options{MaxConns: 2})
		if err != nil {
			return "", err
		}
		err = db.Migrate(ctx)
		db.Close()
		if err != nil {
			return "", err
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER DATABASE %s WITH IS_TEMPLATE true ALLOW_CONNECTIONS false", name)); err != nil {
			return "", err
		}
	}
	templateName = name
	return name, nil
}

// riverVersion is part of the template key: a River upgrade changes its
// migrations without changing ours.
const riverVersion = "river0512"

func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	u.Path = "/" + name
	return u.String()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
