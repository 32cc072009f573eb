package store

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// ErrNotSQLite is returned by SnapshotSQLite on PostgreSQL, whose backups
// are made with pg_dump (README "Backup and restore").
var ErrNotSQLite = errors.New("store: a file snapshot needs SQLite; back up PostgreSQL with pg_dump")

// SnapshotSQLite writes a consistent copy of the whole database to dest, a
// file that must not exist yet, with VACUUM INTO: one read transaction, so
// the copy is the database as of one commit, and in WAL mode other
// processes keep writing meanwhile. It runs on the writer connection (the
// read pool is query-only, which refuses VACUUM INTO): in a serving process
// writes wait for the copy, so call it from a separate process (`yuanxu
// admin backup`) on a live install.
func (db *DB) SnapshotSQLite(ctx context.Context, dest string) error {
	if db.dialect.Engine != SQLite {
		return ErrNotSQLite
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("store: snapshot: %s already exists", dest)
	}
	if _, err := db.write.ExecContext(ctx, `VACUUM INTO $1`, dest); err != nil {
		_ = os.Remove(dest)
		return fmt.Errorf("store: snapshot: %w", db.dialect.TranslateErr(err))
	}
	return nil
}

// SchemaVersion is the last goose migration applied (0 for an empty
// database).
func (db *DB) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := db.goose()
	if err != nil {
		return 0, err
	}
	cur, _, err := p.GetVersions(ctx)
	return cur, err
}

// SchemaEmpty reports whether the database holds no yuanxu schema at all
// (restore refuses to load a dump over one).
func (db *DB) SchemaEmpty(ctx context.Context) (bool, error) {
	q := `SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()`
	if db.dialect.Engine == SQLite {
		q = `SELECT count(*) FROM sqlite_master WHERE type = 'table'`
	}
	var n int
	if err := db.read.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return false, err
	}
	return n == 0, nil
}
