// Package postgres opens yuanxu's PostgreSQL engine through pgx's
// database/sql driver, so that both engines share *sql.Tx.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"

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

// Options tune the pool.
type Options struct {
	MaxConns     int           // default 20
	MaxIdleConns int           // default MaxConns: idle connections are kept
	ConnLifetime time.Duration // default 30m
	// StatementTimeout, when positive, is sent as every connection's
	// statement_timeout unless the URL sets one; zero keeps the server's
	// (or the role's) setting.
	StatementTimeout time.Duration
	// NoBatch makes every InTx its own transaction. By default concurrent
	// InTx calls share batches (store.SetBatching, ADR 0030).
	NoBatch bool
}

// Open opens a pool on the PostgreSQL URL and checks that it answers.
func Open(ctx context.Context, url string, o Options) (*store.DB, error) {
	if o.MaxConns <= 0 {
		o.MaxConns = 20
	}
	if o.MaxIdleConns <= 0 {
		o.MaxIdleConns = o.MaxConns
	}
	if o.ConnLifetime <= 0 {
		o.ConnLifetime = 30 * time.Minute
	}
	if o.StatementTimeout > 0 && !strings.Contains(url, "statement_timeout=") {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		url += sep + "statement_timeout=" + strconv.FormatInt(o.StatementTimeout.Milliseconds(), 10)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(o.MaxConns)
	db.SetMaxIdleConns(o.MaxIdleConns)
	db.SetConnMaxLifetime(o.ConnLifetime)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, err
	}
	sdb := store.New(Dialect(), db, db)
	if !o.NoBatch {
		sdb.SetBatching(store.DefaultBatchMembers, store.DefaultBatchLanes)
	}
	return sdb, nil
}

// migrationLockKey is the advisory lock that serialises migrations (goose's
// and River's) across instances starting together.
const migrationLockKey = 0x79757830 // "yux0"

// Dialect describes PostgreSQL to the store.
func Dialect() store.Dialect {
	return store.Dialect{
		Engine:       store.Postgres,
		TranslateErr: translateErr,
		Migrations:   Migrations(),
		Lock:         lock,
		River:        func(db *sql.DB) riverdriver.Driver[*sql.Tx] { return riverdatabasesql.New(db) },
		Capabilities: store.Capabilities{ConcurrentWriters: true},
		Pipeline:     pipeline,
		ReadPipeline: readPipeline,
		Round:        round,
	}
}

func lock(ctx context.Context, db *sql.DB) (func(), error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", int64(migrationLockKey)); err != nil {
		conn.Close()
		return nil, fmt.Errorf("postgres: migration lock: %w", err)
	}
	return func() {
		_, _ = conn.ExecContext(context.Background(), "SELECT pg_advisory_unlock($1)", int64(migrationLockKey))
		conn.Close()
	}, nil
}

// translateErr maps SQLSTATE codes to errs sentinels.
func translateErr(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return err
	}
	switch pe.Code {
	case "23505": // unique_violation
		return &errs.Error{Kind: errs.Conflict, Code: errs.ErrDuplicate.Code, Msg: errs.ErrDuplicate.Msg, Err: errors.Join(errs.ErrDuplicate, err)}
	case "23514": // check_violation
		return fmt.Errorf("%w: %w", store.ErrCheckViolation, err)
	case "40001", "40P01": // serialization_failure, deadlock_detected
		return &errs.Error{Kind: errs.Conflict, Code: errs.ErrConflict.Code, Msg: errs.ErrConflict.Msg, Err: errors.Join(errs.ErrConflict, err)}
	}
	return err
}
