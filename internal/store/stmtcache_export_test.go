package store

import (
	"runtime"
	"time"
)

// StmtCacheSize is the bound of one pool's statement cache.
const StmtCacheSize = stmtCacheSize

// StmtCacheStats reports the writer and reader caches' sizes and hits, or
// ok false when the engine has no cache (PostgreSQL).
func StmtCacheStats(db *DB) (writer, reader int, hits int64, ok bool) {
	if db.wstmts == nil {
		return 0, 0, 0, false
	}
	hits = db.wstmts.hits.Load()
	if db.rstmts != db.wstmts {
		hits += db.rstmts.hits.Load()
	}
	return db.wstmts.len(), db.rstmts.len(), hits, true
}

// StmtCacheSettle waits until neither cache has a statement queued for
// preparation (a hang guard, not a timing assertion: the test's own
// timeout bounds it).
func StmtCacheSettle(db *DB) {
	for _, c := range []*stmtCache{db.wstmts, db.rstmts} {
		for c != nil {
			c.mu.Lock()
			n := len(c.pending)
			c.mu.Unlock()
			if n == 0 {
				break
			}
			runtime.Gosched()
			time.Sleep(time.Millisecond)
		}
	}
}

// SetStmtCacheMax lowers the caches' bound (before use).
func SetStmtCacheMax(db *DB, max int) {
	for _, c := range []*stmtCache{db.wstmts, db.rstmts} {
		if c != nil {
			c.mu.Lock()
			c.max = max
			c.mu.Unlock()
		}
	}
}

// StmtCacheClosed reports whether both caches are closed and empty.
func StmtCacheClosed(db *DB) bool {
	for _, c := range []*stmtCache{db.wstmts, db.rstmts} {
		if c == nil {
			continue
		}
		c.mu.Lock()
		closed, n := c.closed, c.lru.Len()
		c.mu.Unlock()
		if !closed || n != 0 {
			return false
		}
	}
	return true
}
