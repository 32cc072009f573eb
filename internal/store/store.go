// Package store is yuanxu's storage layer over database/sql: one DB type for
// both engines (embedded SQLite and PostgreSQL), portable hand-written SQL with
// $n placeholders, and the one way to write: InTx.
//
// Engine packages (store/sqlite, store/postgres) open connections, translate
// driver errors into errs sentinels and carry their own migrations with the
// same version numbers; everything else lives here once. Rules do not live
// here: stores persist and enforce constraints, app and domain decide.
//
// Encoding, defined once: money is BIGINT fen (int64); instants are BIGINT
// Unix milliseconds UTC (Ms / FromMs); ids are UUIDv7 text made in Go.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river/riverdriver"

	"yuanxu/internal/audit"
	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
)

// Engine names a database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Dialect is what an engine package supplies. It stays deliberately narrow:
// add a member only when a real difference between the engines forces it.
type Dialect struct {
	Engine Engine
	// TranslateErr maps a driver error to an errs sentinel (ErrDuplicate,
	// ErrConflict for retryable serialisation or lock errors) wrapping the
	// cause, or returns err unchanged.
	TranslateErr func(error) error
	// Migrations holds NNNNN_name.sql goose files.
	Migrations fs.FS
	// Lock takes the cluster-wide migration lock on a dedicated connection
	// and returns its release. SQLite (one process) may return a no-op.
	Lock func(ctx context.Context, db *sql.DB) (release func(), err error)
	// Capabilities describe what tests may rely on.
	Capabilities Capabilities
	// River builds River's driver for this engine on the writer pool.
	River func(*sql.DB) riverdriver.Driver[*sql.Tx]
	// Pipeline, when set, sends stmts on driverConn (the driver's own
	// connection, from sql.Conn.Raw, inside the transaction begun on it)
	// in one round trip and returns the rows each affected; the first
	// failure stops the rest and is returned with the rows of the
	// statements before it (pipeline.go). Nil for an
	// engine without round trips (SQLite): Tx.Write then runs at once.
	Pipeline func(ctx context.Context, driverConn any, stmts []Stmt) ([]int64, error)
	// ReadPipeline, when set, runs reads on driverConn (from sql.Conn.Raw
	// on the reader pool, no transaction begun) in one round trip, each
	// read's Scan given its rows in order; the first failure stops the
	// rest and is returned (DB.ReadTogether). Nil: the reads run one by one.
	ReadPipeline func(ctx context.Context, driverConn any, reads []Read) error
	// Round, when set, sends items on driverConn (inside the transaction
	// begun on it) in one round trip and fills in each item's result, a
	// query's rows read into memory; the first failure skips the rest and
	// is returned with the number of items done before it. Batched
	// transactions (batch.go) need it; nil for an engine without them.
	Round func(ctx context.Context, driverConn any, items []RoundItem) (int, error)
}

// Capabilities are the engine differences that assertions may depend on.
type Capabilities struct {
	// ConcurrentWriters is false for SQLite: one writer at a time.
	ConcurrentWriters bool
}

// DB is an open database: a writer pool and a reader pool (the same pool on
// PostgreSQL; on SQLite one writer connection and a read-only pool).
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	clock   atomic.Pointer[clockBox]
	log     atomic.Pointer[slog.Logger]
	gc      atomic.Pointer[groupCommit] // nil: every InTx is its own transaction
	batch   atomic.Pointer[batcher]     // nil: every InTx is its own transaction
}

type clockBox struct{ clock.Clock }

// New wraps opened pools; engine packages call it. read may equal write.
func New(d Dialect, write, read *sql.DB) *DB {
	db := &DB{dialect: d, write: write, read: read}
	db.SetClock(clock.Wall{})
	db.SetLogger(slog.New(slog.DiscardHandler))
	return db
}

// SetClock sets the clock whose reading InTx hands to each transaction.
func (db *DB) SetClock(c clock.Clock) { db.clock.Store(&clockBox{c}) }

// SetLogger sets the logger for retries and slow transactions.
func (db *DB) SetLogger(l *slog.Logger) { db.log.Store(l) }

// Clock returns the clock InTx reads.
func (db *DB) Clock() clock.Clock { return db.clock.Load().Clock }

// Engine names the engine.
func (db *DB) Engine() Engine { return db.dialect.Engine }

// Capabilities reports the engine's capabilities.
func (db *DB) Capabilities() Capabilities { return db.dialect.Capabilities }

// Writer is the pool writes go through; River and migrations use it.
func (db *DB) Writer() *sql.DB { return db.write }

// Reader is the pool for read-only queries outside transactions.
func (db *DB) Reader() *sql.DB { return db.read }

// RiverDriver returns River's driver on the writer pool.
func (db *DB) RiverDriver() riverdriver.Driver[*sql.Tx] { return db.dialect.River(db.write) }

// Close closes both pools.
func (db *DB) Close() error {
	if b := db.batch.Load(); b != nil {
		b.closeParked() // before the pool closes: a parked connection is out of it
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.write.PingContext(ctx) }

// maxAttempts bounds retries of a transaction that failed with a retryable
// error (serialisation failure, deadlock, SQLITE_BUSY).
const maxAttempts = 5

// InTx runs fn in one database transaction and commits it if fn returns nil.
//
// Contract for fn: it touches nothing outside tx — no network, no provider
// call, no clock read other than tx.Now — because InTx may run it again after
// a retryable conflict, and the store may run concurrent fns in one
// physical transaction: on SQLite a savepoint each (group commit, ADR 0010;
// see groupcommit.go for what a member may rely on), on PostgreSQL their
// statements sent together (batches, ADR 0030; batch.go). Side effects
// leave through the outbox and jobs enqueued on tx, or through
// tx.AfterCommit for in-memory state.
//
// InTx returns nil only once fn's writes are committed (durably, under the
// engine's synchronous setting); an error means none of them are.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		if gc := db.gc.Load(); gc != nil {
			err = gc.run(ctx, fn)
		} else if b := db.batch.Load(); b != nil {
			err = b.run(ctx, fn)
		} else {
			err = db.inTxOnce(ctx, fn)
		}
		if err == nil || !errors.Is(err, errs.ErrConflict) || ctx.Err() != nil || !db.retryable(err) {
			return err
		}
		db.log.Load().LogAttrs(ctx, slog.LevelDebug, "store: retrying transaction", slog.Int("attempt", attempt), slog.String("err", err.Error()))
		time.Sleep(time.Duration(attempt*attempt)*5*time.Millisecond + time.Duration(rand.IntN(5))*time.Millisecond)
	}
	return err
}

// retryable reports whether err came from the engine (not from fn returning
// errs.ErrConflict itself for a business reason).
func (db *DB) retryable(err error) bool {
	var re *retryErr
	return errors.As(err, &re)
}

type retryErr struct{ err error }

// Retry marks err, a conflict fn ran into (a row it read changed before
// its conditional write; err wraps errs.ErrConflict), as transient: InTx
// rolls fn back and runs it again on fresh reads, as for the engine's own
// serialisation failures, up to maxAttempts runs in all; the last run's
// error is returned as it is. An error that is not a conflict is returned
// unchanged (never retried).
func Retry(err error) error {
	if err == nil || !errors.Is(err, errs.ErrConflict) {
		return err
	}
	return &retryErr{err}
}

func (r *retryErr) Error() string { return r.err.Error() }
func (r *retryErr) Unwrap() error { return r.err }

func (db *DB) inTxOnce(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	after, err := db.commitTx(ctx, fn)
	if err != nil {
		return err
	}
	// The connection is back in the pool: a function may read on it.
	for _, f := range after {
		f()
	}
	return nil
}

// commitTx runs fn in one transaction and commits it, returning the
// functions fn registered with AfterCommit.
func (db *DB) commitTx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) (after []func(), err error) {
	var conn *sql.Conn
	if db.dialect.Pipeline != nil {
		// The transaction keeps its connection in hand, so that Write can
		// pipeline on it (pipeline.go).
		if conn, err = db.write.Conn(ctx); err != nil {
			return nil, db.wrapErr(err)
		}
		defer conn.Close()
	}
	var sqlTx *sql.Tx
	if conn != nil {
		sqlTx, err = conn.BeginTx(ctx, nil)
	} else {
		sqlTx, err = db.write.BeginTx(ctx, nil)
	}
	if err != nil {
		return nil, db.wrapErr(err)
	}
	tx := newTx(ctx, db, sqlTx)
	tx.conn = conn
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(ctx, tx); err != nil {
		if tx.failed != nil {
			// A queued write failed first, and fn's error is what it ran
			// into next (say, a library's statement on the aborted
			// transaction): the write's error is the cause, and decides
			// whether InTx runs fn again.
			return nil, tx.failed
		}
		return nil, err
	}
	if err = tx.finish(ctx); err != nil {
		return nil, err
	}
	if tx.commitQueued && len(tx.pending) > 0 {
		// A write of the Last functions locks a row others wait for: it
		// goes with the COMMIT (commitWithQueue), and the transaction is
		// committed once that round trip succeeds.
		if err = tx.commitWithQueue(ctx); err != nil {
			return nil, err
		}
		if cerr := sqlTx.Commit(); cerr != nil { // the empty transaction commitWithQueue began
			db.log.Load().LogAttrs(ctx, slog.LevelWarn, "store: ending the connection's transaction after a committed one", slog.String("err", cerr.Error()))
		}
		return tx.after, nil
	}
	if err = sqlTx.Commit(); err != nil {
		return nil, db.wrapErr(err)
	}
	return tx.after, nil
}

// wrapErr translates a driver error; translated conflicts are marked
// retryable so InTx runs fn again.
func (db *DB) wrapErr(err error) error {
	if err == nil {
		return nil
	}
	t := db.dialect.TranslateErr(err)
	if errors.Is(t, errs.ErrConflict) {
		return &retryErr{t}
	}
	return t
}

// Tx is one write transaction as fn sees it. Now is its business instant,
// read once from the DB's clock when fn started (under group commit each
// member of a shared physical transaction reads its own).
type Tx struct {
	tx    *sql.Tx
	db    *DB
	after []func()
	Now   time.Time
	// audits are the events AuditInsert buffered, written by finish.
	audits []audit.Event
	// last are the functions Last registered, run by finish.
	last []func(context.Context) error
	// catalog are the products and plans tx read (catalog.go).
	catalog catalogMemo
	// orders are the orders tx read, as it since updated them (order.go);
	// services likewise (service.go).
	orders   map[string]OrderRow
	services map[string]ServiceRow
	// fresh are the rows tx inserted that no other transaction can see
	// before it commits: orders with their payments, and provisioning
	// records (fresh.go).
	fresh freshMemo
	// count counts tx's statements when its caller's context asked for it
	// (stmtcount.go); nil otherwise.
	count *StatementCount
	// conn is the connection tx runs on when the engine pipelines writes,
	// pending the writes Write queued and not yet sent, failed the error
	// of a pipelined write that failed: tx can no longer commit
	// (pipeline.go). nested numbers Nested's savepoints.
	conn    *sql.Conn
	pending []Stmt
	keyed   map[string]int // queued inserts a later write may amend: row key → index in pending
	failed  error
	nested  int
	sent    int        // how many times the queue was sent or dropped (Nested)
	step    *stepFrame // the innermost Nested step running (nested.go)
	// inLast is set while finish runs the Last functions; commitQueued,
	// when a write there asked for it, that the queued writes go to the
	// server with the COMMIT (commitWithQueue).
	inLast, commitQueued bool
	// batch is the batch tx runs in when concurrent transactions share
	// one (batch.go); member is tx's place in it.
	batch  *batchRun
	member *batchMember
}

// Forget drops what tx remembers of rows it read or inserted (orders and
// their payments, services, provisioning records, catalog), so that the next read goes to the database. Call it after
// writing such rows with a raw Exec; the typed writers keep the memos
// right themselves.
func (tx *Tx) Forget() {
	tx.orders, tx.services = nil, nil
	tx.fresh = freshMemo{}
	tx.forgetCatalog()
}

// finish writes what fn buffered on tx (the audit events), then runs the
// functions registered with Last; InTx and each group-commit member call
// it after fn succeeded, before committing (or releasing the member's
// savepoint).
func (tx *Tx) finish(ctx context.Context) error {
	if err := tx.flushAudit(ctx); err != nil {
		return err
	}
	last := tx.last
	tx.last = nil
	tx.inLast = true
	for _, f := range last {
		if err := f(ctx); err != nil {
			tx.inLast = false
			return err
		}
	}
	tx.inLast = false
	if err := tx.flushAudit(ctx); err != nil { // events the last functions recorded
		return err
	}
	if tx.commitQueued && tx.failed == nil && len(tx.pending) > 0 || tx.batch != nil {
		return tx.failed // they go with the COMMIT (commitTx; a batch's, batch.go)
	}
	return tx.flush(ctx) // the writes still queued (pipeline.go)
}

// Last registers f to run once fn has returned nil and the buffered audit
// events are written: f's statements are the transaction's last before
// COMMIT (or, under group commit, before the member's savepoint is
// released), in registration order. It is for the one write that locks a
// row other transactions wait for — a conditional debit of a balance — so
// that on PostgreSQL the lock is held from that write to the commit and
// no longer. An error from f fails the transaction and is what InTx
// returns (retried when retryable, like fn's own). f must not assume
// anything fn read stays true: make its write conditional. A Nested step
// that fails drops the functions it registered.
func (tx *Tx) Last(f func(ctx context.Context) error) { tx.last = append(tx.last, f) }

// Engine names the engine, for the rare query that must differ.
func (tx *Tx) Engine() Engine { return tx.db.dialect.Engine }

// SQL exposes the raw transaction for libraries that enqueue inside it
// (River's InsertTx). Do not commit or roll it back, and do not keep it
// past fn: under group commit it is shared with the other members of the
// group, and this member's part of it is a savepoint. A library's
// statements reach the database at once, ahead of the writes Write has
// queued (pipeline.go; in a batch, between two of its rounds): they must
// not read fn's writes (River's insert writes its own table and reads
// none of ours). A Nested step's queued
// SAVEPOINT is sent first, with the writes before it, so that a library's
// statements in a step are rolled back with the step.
func (tx *Tx) SQL() *sql.Tx {
	if tx.batch != nil {
		// The batch's transaction: the statements run in it between its
		// rounds, one member's at a time, and tx's failure must then fail
		// the batch (batch.go).
		tx.libraryStatements()
	}
	if slices.ContainsFunc(tx.pending, func(s Stmt) bool { return s.table == savepointTable }) {
		_ = tx.flush(context.Background()) // a failure is kept in tx.failed: tx cannot commit
	}
	tx.countTx() // a library's statement (stmtcount.go)
	tx.countTrip()
	return tx.tx
}

// AfterCommit registers f to run after a successful commit (never on
// rollback). Use it for in-memory caches, never for I/O that must not be lost.
func (tx *Tx) AfterCommit(f func()) { tx.after = append(tx.after, f) }

// Exec runs a statement and returns the number of rows it affected.
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tx.countTx()
	if len(tx.pending) > 0 || tx.failed != nil || tx.batch != nil {
		// One round trip for the queued writes and this one (pipeline.go).
		return tx.flushWith(ctx, &Stmt{SQL: query, Args: args})
	}
	tx.countTrip()
	res, err := tx.tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, tx.db.wrapErr(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, tx.db.wrapErr(err)
	}
	return n, nil
}

// Query runs a query inside the transaction.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	tx.countTx()
	if tx.batch != nil {
		r, err := tx.batchQuery(ctx, query, args)
		if err != nil {
			return nil, err
		}
		return &Rows{rows: r, db: tx.db}, nil
	}
	if err := tx.flushFor(ctx, query); err != nil {
		return nil, err
	}
	tx.countTrip()
	rows, err := tx.tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, tx.db.wrapErr(err)
	}
	return &Rows{rows: rows, db: tx.db}, nil
}

// QueryRow runs a query expected to return at most one row; Scan returns
// errs.ErrNotFound (wrapped) when there is none.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *Row {
	tx.countTx()
	if tx.batch != nil {
		r, err := tx.batchQuery(ctx, query, args)
		return &Row{buf: r, err: err, db: tx.db}
	}
	if err := tx.flushFor(ctx, query); err != nil {
		return &Row{err: err, db: tx.db}
	}
	tx.countTrip()
	return &Row{row: tx.tx.QueryRowContext(ctx, query, args...), db: tx.db}
}

// Query runs a read-only query on the reader pool.
func (db *DB) Query(ctx context.Context, query string, args ...any) (*Rows, error) {
	countPool(ctx, query, args)
	countPoolTrip(ctx)
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, db.wrapErr(err)
	}
	return &Rows{rows: rows, db: db}, nil
}

// QueryRow runs a read-only single-row query on the reader pool.
func (db *DB) QueryRow(ctx context.Context, query string, args ...any) *Row {
	countPool(ctx, query, args)
	countPoolTrip(ctx)
	return &Row{row: db.read.QueryRowContext(ctx, query, args...), db: db}
}

// Row is a single-row result with translated errors.
type Row struct {
	row *sql.Row
	buf ResultRows // the query's rows, when it ran in a batch (batch.go)
	err error      // the queued writes before the query failed (pipeline.go)
	db  *DB
}

// Scan copies the row's columns; it returns an error wrapping
// errs.ErrNotFound when there was no row. sql.ErrNoRows never leaks.
func (r *Row) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	if r.buf != nil {
		if !r.buf.Next() {
			return errs.ErrNotFound
		}
		return r.db.wrapErr(r.buf.Scan(dest...))
	}
	err := r.row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.ErrNotFound
	}
	return r.db.wrapErr(err)
}

// Rows is a result set with translated errors.
type Rows struct {
	rows ResultRows // *sql.Rows, or a batch's rows in memory
	db   *DB
}

// ResultRows is what Rows reads: *sql.Rows, or the rows of a query a
// batch ran (Dialect.Round).
type ResultRows interface {
	Next() bool
	Scan(dest ...any) error
	Close() error
	Err() error
}

// Next prepares the next row for Scan; false when there is none left.
func (r *Rows) Next() bool { return r.rows.Next() }

// Columns returns the column names (rows a batch ran have none: an error).
func (r *Rows) Columns() ([]string, error) {
	if sr, ok := r.rows.(*sql.Rows); ok {
		return sr.Columns()
	}
	return nil, errors.New("store: no column names for a batch's rows")
}

// Close closes the rows; Next then returns false.
func (r *Rows) Close() error { return r.rows.Close() }

// Err returns the iteration error, translated.
func (r *Rows) Err() error { return r.db.wrapErr(r.rows.Err()) }

// Scan copies the current row's columns, translating errors.
func (r *Rows) Scan(dest ...any) error { return r.db.wrapErr(r.rows.Scan(dest...)) }

// scanFunc is a function as a scanner: a scan of one row by two scan
// functions (SessionWithAccount), each given the other's destinations.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// qualified prefixes each column of a column list with a table alias.
func qualified(cols, alias string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

// Ms encodes an instant as Unix milliseconds UTC, the storage encoding.
func Ms(t time.Time) int64 { return t.UnixMilli() }

// FromMs decodes Unix milliseconds into a UTC time.
func FromMs(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// NullMs encodes an optional instant (zero time → NULL).
func NullMs(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}

// FromNullMs decodes an optional instant (NULL → zero time).
func FromNullMs(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return FromMs(n.Int64)
}

// errorf wraps err with an operation name.
func errorf(op string, err error) error { return fmt.Errorf("%s: %w", op, err) }
