// Package sqlite opens yuanxu's embedded SQLite engine (modernc.org/sqlite,
// pure Go): WAL, synchronous=FULL, immediate write transactions, a busy
// timeout, one writer connection and a read-only pool, each connection with
// its own prepared-statement cache; concurrent InTx calls share one
// physical transaction (group commit) unless NoGroupCommit.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"yuanxu/internal/errs"
	"yuanxu/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns this engine's goose migrations.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// Options tune the pools.
type Options struct {
	ReadConns   int // read-only pool size; default 4
	BusyTimeout int // milliseconds; default 10000
	// NoGroupCommit makes every InTx its own physical transaction, one
	// fsync each, instead of sharing one with the InTx calls running
	// concurrently, a savepoint each (group commit, ADR 0010; on by
	// default: it keeps synchronous=FULL durability for every caller).
	NoGroupCommit bool
	// StmtCacheSize bounds the prepared statements each connection keeps
	// (stmtcache.go); default 256.
	StmtCacheSize int
}

// Open opens (creating if needed) the SQLite database file at path. The
// directory must exist and be writable. The caller migrates.
func Open(path string, o Options) (*store.DB, error) {
	if o.ReadConns <= 0 {
		o.ReadConns = 4
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 10000
	}
	if o.StmtCacheSize <= 0 {
		o.StmtCacheSize = connCacheSize
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(filepath.Dir(abs)); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("sqlite: directory %s does not exist", filepath.Dir(abs))
	}
	base := "file:" + (&url.URL{Path: abs}).EscapedPath()
	// temp_store(MEMORY): savepoint sub-journals (a group-commit member's,
	// a Nested step's) and sort files stay in memory. Neither is read in
	// crash recovery — the WAL is — so durability is unchanged, and the
	// one writer no longer pwrites every page a savepoint first touches
	// (ADR 15).
	pragmas := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)&_pragma=temp_store(MEMORY)", o.BusyTimeout)
	wc, err := newConnector(base+"?"+pragmas+"&_txlock=immediate", o.StmtCacheSize)
	if err != nil {
		return nil, err
	}
	write := sql.OpenDB(wc)
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// Create the file and switch to WAL before readers open it.
	if err := write.Ping(); err != nil {
		write.Close()
		return nil, translateErr(err)
	}
	rc, err := newConnector(base+"?"+pragmas+"&_pragma=query_only(1)", o.StmtCacheSize)
	if err != nil {
		write.Close()
		return nil, err
	}
	read := sql.OpenDB(rc)
	read.SetMaxOpenConns(o.ReadConns)
	read.SetMaxIdleConns(o.ReadConns)
	db := store.New(Dialect(), write, read)
	if !o.NoGroupCommit {
		db.SetGroupCommit(store.DefaultGroupCommitMembers)
	}
	return db, nil
}

// Dialect describes SQLite to the store.
func Dialect() store.Dialect {
	return store.Dialect{
		Engine:       store.SQLite,
		TranslateErr: translateErr,
		Migrations:   Migrations(),
		Lock: func(context.Context, *sql.DB) (func(), error) {
			// One writer connection: migrations are serialised by the pool.
			return func() {}, nil
		},
		River:        func(db *sql.DB) riverdriver.Driver[*sql.Tx] { return riversqlite.New(db) },
		Capabilities: store.Capabilities{ConcurrentWriters: false},
	}
}

// translateErr maps SQLite result codes to errs sentinels, by code, never by
// message text.
func translateErr(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return &errs.Error{Kind: errs.Conflict, Code: errs.ErrDuplicate.Code, Msg: errs.ErrDuplicate.Msg, Err: errors.Join(errs.ErrDuplicate, err)}
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_BUSY_SNAPSHOT:
		return &errs.Error{Kind: errs.Conflict, Code: errs.ErrConflict.Code, Msg: errs.ErrConflict.Msg, Err: errors.Join(errs.ErrConflict, err)}
	case sqlite3.SQLITE_CONSTRAINT_CHECK:
		return fmt.Errorf("%w: %w", store.ErrCheckViolation, err)
	}
	return err
}
