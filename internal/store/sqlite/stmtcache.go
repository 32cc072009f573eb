package sqlite

import (
	"container/list"
	"context"
	"database/sql/driver"
	"errors"
	"reflect"

	"modernc.org/sqlite"
)

// A statement cache in each SQLite connection (issue 19).
//
// modernc.org/sqlite compiles a statement's text every time a query runs
// through database/sql's ad-hoc ExecContext/QueryContext. The store's own
// queries reach a prepared *sql.Stmt through store's stmtCache, but River's
// do not: its SQLite driver runs every query ad hoc on the *sql.Tx or
// *sql.DB it is handed, and its job insert — one statement in every
// checkout's transaction — is large: compiling it was ~15 % of a checkout's
// time in the writer. This cache sits below database/sql, in the
// connection, so it serves every caller of the pool, River included.
//
// The contract, per connection (database/sql never uses one connection
// from two goroutines at once, so the cache needs no lock):
//
//   - ExecContext and QueryContext look the query text up in an LRU of at
//     most Options.StmtCacheSize prepared statements; a miss prepares it (a
//     statement that fails to prepare is not cached) and caches it.
//   - One prepared statement runs one execution at a time: its rows are
//     read from the statement itself, and a second execution would reset
//     them. A statement is busy from QueryContext until its rows are
//     closed; a query whose statement is busy runs ad hoc, as without the
//     cache (a loop over one query's rows that runs the same query inside).
//   - An evicted statement is closed at once, or when its rows close if it
//     is busy; closing the connection closes every statement.
//   - Scripts (several statements in one text) still work: modernc re-parses
//     them at each execution, cached or not.

// connCacheSize is the default bound (Options.StmtCacheSize) of the
// statements one connection keeps prepared. A
// checkout's transaction runs ~50 distinct statements, River's loops a few
// dozen more; queries built with a variable number of parameters add one
// per arity.
const connCacheSize = 256

// connector opens modernc connections, each wrapped with its cache.
type connector struct {
	base driver.Connector
	size int
}

func newConnector(dsn string, size int) (*connector, error) {
	base, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return &connector{base: base, size: size}, nil
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	dc, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	inner, ok := dc.(sqliteConn)
	if !ok {
		_ = dc.Close()
		return nil, errors.New("sqlite: the driver's connection lacks the context interfaces the statement cache forwards")
	}
	return &cachedConn{sqliteConn: inner, size: c.size, entries: make(map[string]*list.Element)}, nil
}

func (c *connector) Driver() driver.Driver { return c.base.Driver() }

// sqliteConn is what every modernc connection implements (sqlite.NewConnector's
// documentation lists them); cachedConn forwards all of it.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type cachedConn struct {
	sqliteConn
	size    int
	lru     list.List // of *cachedStmt, most recently used first
	entries map[string]*list.Element
	hits    int64 // executions served by a statement already prepared (tests)
	open    int   // prepared statements not yet closed, cached or evicted (tests)
}

// cachedStmt is one prepared statement of one connection.
type cachedStmt struct {
	query   string
	stmt    driver.Stmt
	busy    bool // rows of it are open
	evicted bool // out of the cache: close when no longer busy
}

// stmtExec and stmtQuery are modernc's statement methods with a context.
type (
	stmtExec interface {
		ExecContext(context.Context, []driver.NamedValue) (driver.Result, error)
	}
	stmtQuery interface {
		QueryContext(context.Context, []driver.NamedValue) (driver.Rows, error)
	}
)

// Unwrap returns the modernc connection (sqlite.Limit and friends look for it).
func (c *cachedConn) Unwrap() driver.Conn { return c.sqliteConn }

// lookup returns the cached statement for query, preparing it on a miss;
// nil when it is busy or cannot be prepared (the caller runs it ad hoc,
// which reports the error as before).
func (c *cachedConn) lookup(ctx context.Context, query string) *cachedStmt {
	if e, ok := c.entries[query]; ok {
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil
		}
		c.lru.MoveToFront(e)
		c.hits++
		return cs
	}
	st, err := c.sqliteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.open++
	cs := &cachedStmt{query: query, stmt: st}
	c.entries[query] = c.lru.PushFront(cs)
	for c.lru.Len() > c.size {
		old := c.lru.Back()
		c.lru.Remove(old)
		ocs := old.Value.(*cachedStmt)
		delete(c.entries, ocs.query)
		ocs.evicted = true
		if !ocs.busy {
			c.closeStmt(ocs)
		}
	}
	return cs
}

func (c *cachedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if cs := c.lookup(ctx, query); cs != nil {
		return cs.stmt.(stmtExec).ExecContext(ctx, args)
	}
	return c.sqliteConn.ExecContext(ctx, query, args)
}

func (c *cachedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs := c.lookup(ctx, query)
	if cs == nil {
		return c.sqliteConn.QueryContext(ctx, query, args)
	}
	r, err := cs.stmt.(stmtQuery).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{Rows: r, c: c, cs: cs}, nil
}

func (c *cachedConn) closeStmt(cs *cachedStmt) {
	_ = cs.stmt.Close()
	c.open--
}

// Close closes every cached statement, then the connection.
func (c *cachedConn) Close() error {
	for e := c.lru.Front(); e != nil; e = e.Next() {
		cs := e.Value.(*cachedStmt)
		cs.evicted = true
		if !cs.busy {
			c.closeStmt(cs)
		}
	}
	c.lru.Init()
	clear(c.entries)
	return c.sqliteConn.Close()
}

// cachedRows frees its statement for the next execution when closed, and
// forwards the column-type interfaces of modernc's rows.
type cachedRows struct {
	driver.Rows
	c  *cachedConn
	cs *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	if cs := r.cs; cs != nil {
		r.cs = nil
		cs.busy = false
		if cs.evicted {
			r.c.closeStmt(cs)
		}
	}
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return t.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return t.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
