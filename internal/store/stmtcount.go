package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// StatementCount counts the SQL statements issued through the store on
// behalf of one context (CountStatements): inside transactions — the
// statements fn ran, the audit flush, savepoints, and one for each use of
// Tx.SQL by a library (River's job insert is one statement) — and reads on
// the reader pool. Answers from a transaction's memos are not statements
// and are not counted; neither are BEGIN and COMMIT (Txs counts the
// transactions, one per attempt). Trips counts the times a transaction
// went to the database: a statement on its own, or the writes Write
// queued together with the statement that sends them (pipeline.go) — on
// PostgreSQL the round trips inside transactions, BEGIN and COMMIT
// aside; on SQLite, which queues nothing, the same as InTx.
//
// Tests hold the hot paths to a statement budget with it (issue 19): the
// figure is a property of the code, unlike a duration, the same on every
// machine and run.
type StatementCount struct {
	InTx  atomic.Int64
	Pool  atomic.Int64
	Txs   atomic.Int64
	Trips atomic.Int64
	// PoolTrips counts the round trips of the reads on the pool: one per
	// read, but one for a batch of DB.ReadTogether on PostgreSQL.
	PoolTrips atomic.Int64

	mu    sync.Mutex
	reads []Statement // recorded reads on the pool (RecordStatements)
	rec   bool
}

// Statement is a read's text and arguments, as RecordStatements keeps it.
type Statement struct {
	SQL  string
	Args []any
}

// RecordStatements is CountStatements that also keeps the text and
// arguments of each read on the pool, for Reads: the plan tests hold a
// lookup to its index by explaining the very statement it sent.
func RecordStatements(ctx context.Context) (context.Context, *StatementCount) {
	ctx, c := CountStatements(ctx)
	c.rec = true
	return ctx, c
}

// Reads returns the reads on the pool recorded so far.
func (c *StatementCount) Reads() []Statement {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Statement(nil), c.reads...)
}

type countKey struct{}

// CountStatements returns a context under which the store counts the
// statements it issues into the returned StatementCount. Contexts derived
// from it count into the same one.
func CountStatements(ctx context.Context) (context.Context, *StatementCount) {
	c := &StatementCount{}
	return context.WithValue(ctx, countKey{}, c), c
}

// counter is ctx's StatementCount, or nil.
func counter(ctx context.Context) *StatementCount {
	c, _ := ctx.Value(countKey{}).(*StatementCount)
	return c
}

// countTx counts one statement of tx, when its context counts.
func (tx *Tx) countTx() {
	if tx.count != nil {
		tx.count.InTx.Add(1)
	}
}

// countTrip counts one trip of tx to the database.
func (tx *Tx) countTrip() {
	if tx.count != nil {
		tx.count.Trips.Add(1)
	}
}

// countPoolTrip counts one round trip of the reads on the pool under ctx.
func countPoolTrip(ctx context.Context) {
	if c := counter(ctx); c != nil {
		c.PoolTrips.Add(1)
	}
}

// countPool counts one read on the pool under ctx.
func countPool(ctx context.Context, query string, args []any) {
	if c := counter(ctx); c != nil {
		c.Pool.Add(1)
		if c.rec {
			c.mu.Lock()
			c.reads = append(c.reads, Statement{SQL: query, Args: args})
			c.mu.Unlock()
		}
	}
}

// newTx is a transaction of db on sqlTx for a fn called under ctx.
func newTx(ctx context.Context, db *DB, sqlTx *sql.Tx) *Tx {
	tx := &Tx{tx: sqlTx, db: db, Now: db.Clock().Now(), count: counter(ctx)}
	if tx.count != nil {
		tx.count.Txs.Add(1)
	}
	return tx
}
