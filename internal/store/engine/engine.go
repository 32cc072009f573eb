// Package engine opens a store from a URL: a postgres:// or postgresql:// URL
// selects PostgreSQL; anything else is a SQLite file path (or sqlite:// URL).
package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"yuanxu/internal/store"
	"yuanxu/internal/store/postgres"
	"yuanxu/internal/store/sqlite"
)

// Config says which database to open.
type Config struct {
	URL     string // postgres://… or a SQLite path; empty means DataDir/yuanxu.db
	DataDir string // the data directory for the default SQLite file
	// PoolSize caps PostgreSQL connections (0: engine default).
	PoolSize int
	// IdleConns is how many idle PostgreSQL connections are kept (0: all
	// of the pool).
	IdleConns int
	// StatementTimeout, when positive, bounds every PostgreSQL statement
	// (0: the server's or the role's statement_timeout).
	StatementTimeout time.Duration
	// SQLiteNoGroupCommit turns SQLite group commit off: one physical
	// commit per InTx (ADR 0010). PostgreSQL ignores it.
	SQLiteNoGroupCommit bool
	// PostgresNoBatch turns PostgreSQL's batched transactions off: one
	// transaction per InTx (ADR 0030). SQLite ignores it.
	PostgresNoBatch bool
}

// IsPostgres reports whether url selects PostgreSQL.
func IsPostgres(url string) bool {
	return strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://")
}

// SQLitePath returns the SQLite file a config selects.
func SQLitePath(c Config) string {
	if c.URL == "" {
		return filepath.Join(c.DataDir, "yuanxu.db")
	}
	return strings.TrimPrefix(c.URL, "sqlite://")
}

// Open opens the configured database; it does not migrate. For SQLite the
// data directory is created if missing and must be writable.
func Open(ctx context.Context, c Config) (*store.DB, error) {
	if IsPostgres(c.URL) {
		db, err := postgres.Open(ctx, c.URL, postgres.Options{MaxConns: c.PoolSize, MaxIdleConns: c.IdleConns, StatementTimeout: c.StatementTimeout, NoBatch: c.PostgresNoBatch})
		if err != nil {
			return nil, fmt.Errorf("database %s unreachable: %w", redact(c.URL), err)
		}
		return db, nil
	}
	path := SQLitePath(c)
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory %s: %w", dir, err)
	}
	if err := checkWritable(dir); err != nil {
		return nil, err
	}
	return sqlite.Open(path, sqlite.Options{NoGroupCommit: c.SQLiteNoGroupCommit})
}

func checkWritable(dir string) error {
	f, err := os.CreateTemp(dir, ".write-check-*")
	if err != nil {
		return fmt.Errorf("data directory %s is not writable: %w", dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

// redact hides a password in a database URL for messages and logs.
func redact(url string) string {
	at := strings.LastIndex(url, "@")
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 {
		return url
	}
	userinfo := url[scheme+3 : at]
	if i := strings.Index(userinfo, ":"); i >= 0 {
		return url[:scheme+3] + userinfo[:i] + ":***" + url[at:]
	}
	return url
}

// Redact is redact, for callers that log URLs.
func Redact(url string) string { return redact(url) }
