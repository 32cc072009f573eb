package store

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// Prepared statements for SQLite (issue 19).
//
// database/sql's ad-hoc ExecContext/QueryContext hands the driver the
// query text each time, and modernc.org/sqlite parses and compiles it
// each time (the parser was about a third of on-CPU time). A *sql.Stmt
// keeps the compiled statement per connection: modernc's driver stmt
// holds the sqlite3_stmt and only resets it between executions. So each
// SQLite pool gets a bounded cache of *sql.Stmt by query text, and a
// transaction binds a cached statement to its connection with
// sql.Tx.StmtContext, which reuses the statement already prepared on that
// connection instead of preparing it again.
//
// PostgreSQL has no cache here: pgx's database/sql adapter (stdlib) runs
// every query in QueryExecModeCacheStatement, which prepares a statement
// once per connection and keeps it in the connection's own LRU (512 by
// default).
//
// Three things keep it safe:
//
//   - A statement is prepared on the pool in the background, never on the
//     caller's path: SQLite's writer pool has one connection, which the
//     calling transaction holds, so preparing there would wait for itself.
//     The first uses of a query run ad hoc, as before.
//   - A query is admitted on its second sighting and the cache holds at
//     most stmtCacheSize statements per pool, least recently used evicted;
//     queries built with a variable number of parameters cannot grow it
//     without bound, and one-off queries are never prepared twice.
//   - One SQLite statement runs one execution at a time: binding it while
//     its rows are still being read would reset them. So a transaction
//     marks a statement busy from execution until its rows are closed (or
//     read to the end, or the Row scanned); a query whose statement is busy
//     in the same transaction runs ad hoc. The reader pool needs no mark:
//     open rows hold their connection, so two executions of one *sql.Stmt
//     always run on different connections.
//
// Closing an evicted statement while a transaction still uses it is safe:
// database/sql closes it once its last user is done.

// stmtCacheSize bounds the statements one pool's cache holds.
const stmtCacheSize = 256

// stmtCache is a bounded LRU of statements prepared on one pool.
type stmtCache struct {
	pool *sql.DB
	max  int

	mu      sync.Mutex
	lru     list.List // of *stmtEntry, most recently used first
	entries map[string]*list.Element
	seen    map[string]struct{} // sighted once, not yet admitted
	pending map[string]struct{} // queued for the preparer
	queue   chan string
	start   sync.Once
	closed  bool

	ctx    context.Context
	cancel context.CancelFunc
	done   sync.WaitGroup

	hits, misses atomic.Int64 // for tests and benchmarks
}

type stmtEntry struct {
	query string
	stmt  *sql.Stmt
}

func newStmtCache(pool *sql.DB, max int) *stmtCache {
	ctx, cancel := context.WithCancel(context.Background())
	return &stmtCache{pool: pool, max: max, entries: map[string]*list.Element{}, seen: map[string]struct{}{},
		pending: map[string]struct{}{}, queue: make(chan string, 64), ctx: ctx, cancel: cancel}
}

// get returns the cached statement for query, or nil when there is none
// yet (the caller runs the query ad hoc); on a query's second sighting it
// queues its preparation.
func (c *stmtCache) get(query string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[query]; ok {
		c.lru.MoveToFront(el)
		c.hits.Add(1)
		return el.Value.(*stmtEntry).stmt
	}
	c.misses.Add(1)
	if c.closed {
		return nil
	}
	if _, ok := c.pending[query]; ok {
		return nil
	}
	if _, ok := c.seen[query]; !ok {
		if len(c.seen) >= 4*c.max {
			clear(c.seen)
		}
		c.seen[query] = struct{}{}
		return nil
	}
	c.start.Do(func() {
		c.done.Add(1)
		go c.prepareLoop()
	})
	select {
	case c.queue <- query:
		delete(c.seen, query)
		c.pending[query] = struct{}{}
	default: // the preparer is behind; a later sighting queues it
	}
	return nil
}

// prepareLoop prepares queued queries on the pool, whenever the pool has a
// connection free, and adds them to the cache.
func (c *stmtCache) prepareLoop() {
	defer c.done.Done()
	for query := range c.queue {
		st, err := c.pool.PrepareContext(c.ctx, query)
		c.mu.Lock()
		delete(c.pending, query)
		if err != nil || c.closed {
			c.mu.Unlock()
			if st != nil {
				_ = st.Close()
			}
			continue // a query that does not prepare keeps running ad hoc, with its error
		}
		c.entries[query] = c.lru.PushFront(&stmtEntry{query: query, stmt: st})
		var evicted []*sql.Stmt
		for c.lru.Len() > c.max {
			e := c.lru.Remove(c.lru.Back()).(*stmtEntry)
			delete(c.entries, e.query)
			evicted = append(evicted, e.stmt)
		}
		c.mu.Unlock()
		for _, st := range evicted {
			_ = st.Close()
		}
	}
}

// len reports how many statements the cache holds.
func (c *stmtCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}

// close stops the preparer and closes every cached statement; get returns
// nil from then on. Call it before closing the pool.
func (c *stmtCache) close() error {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.cancel()
	close(c.queue)
	c.mu.Unlock()
	c.done.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for el := c.lru.Front(); el != nil; el = el.Next() {
		if e := el.Value.(*stmtEntry).stmt.Close(); e != nil && err == nil {
			err = e
		}
	}
	c.lru.Init()
	clear(c.entries)
	return err
}

// txStmts are the cached statements a transaction has bound to its
// connection, each with whether an execution of it is still open.
type txStmts struct {
	mu sync.Mutex
	m  map[string]*txStmt
}

type txStmt struct {
	stmt *sql.Stmt
	busy bool
}

// stmt returns the cached statement for query bound to tx and marks it
// busy until release is called, or returns nil (run the query ad hoc) when
// there is no cached statement yet or it is busy in this transaction.
func (tx *Tx) stmt(ctx context.Context, query string) (st *sql.Stmt, release func()) {
	c := tx.db.wstmts
	if c == nil {
		return nil, nil
	}
	tx.stmts.mu.Lock()
	defer tx.stmts.mu.Unlock()
	ts := tx.stmts.m[query]
	if ts == nil {
		parent := c.get(query)
		if parent == nil {
			return nil, nil
		}
		ts = &txStmt{stmt: tx.tx.StmtContext(ctx, parent)}
		if tx.stmts.m == nil {
			tx.stmts.m = map[string]*txStmt{}
		}
		tx.stmts.m[query] = ts
	} else {
		c.hits.Add(1)
	}
	if ts.busy {
		return nil, nil
	}
	ts.busy = true
	var once sync.Once
	return ts.stmt, func() {
		once.Do(func() {
			tx.stmts.mu.Lock()
			ts.busy = false
			tx.stmts.mu.Unlock()
		})
	}
}

// Next advances to the next row; at the end it releases the statement the
// rows came from (the rows are closed by then).
func (r *Rows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	if r.done != nil {
		r.done()
	}
	return false
}

// Close closes the rows and releases the statement they came from.
func (r *Rows) Close() error {
	err := r.Rows.Close()
	if r.done != nil {
		r.done()
	}
	return err
}

// initStmtCaches gives each SQLite pool its statement cache (one shared
// cache when the pools are one).
func (db *DB) initStmtCaches() {
	if db.dialect.Engine != SQLite {
		return
	}
	db.wstmts = newStmtCache(db.write, stmtCacheSize)
	db.rstmts = db.wstmts
	if db.read != db.write {
		db.rstmts = newStmtCache(db.read, stmtCacheSize)
	}
}
