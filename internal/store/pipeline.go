package store

import "context"

// Pipelined writes (ADR 0018). On PostgreSQL every statement is a round
// trip between two processes, and on a small machine the round trip — a
// system call and a wake-up on each side — costs more than executing a
// short insert: `pgbench -N` with its five messages pipelined commits 2.3
// times the transactions of the same script sent one message at a time.
// A write whose outcome fn does not need before its next statement —
// the insert of a new row, the update of a row tx inserted itself — is
// therefore queued by Write and sent with the statement after it: the
// queued writes and that statement go to the server in one round trip,
// in order, so nothing can observe them missing. SQLite has no round
// trips: there Write is Exec.

// maxPending bounds the writes one round trip carries.
const maxPending = 64

// Stmt is one statement of a pipeline: its SQL and arguments.
type Stmt struct {
	SQL  string
	Args []any
}

// Write runs a write whose outcome fn does not read: no rows-affected
// count and no error fn would handle other than by failing. A failed
// Write fails tx on every engine: tx cannot commit, and every later
// statement returns the write's error, unless the Nested step it belongs
// to rolls it back (the step then fails with it). It may be queued: its
// error then comes from the statement that sends it (tx's next Exec,
// Query, QueryRow, Nested step or commit). Use Exec for a write fn
// branches on (a conditional write, an insert whose duplicate is a
// business answer).
func (tx *Tx) Write(ctx context.Context, query string, args ...any) error {
	if tx.conn == nil {
		// Run at once; a failure still fails tx, as a queued one would.
		if _, err := tx.Exec(ctx, query, args...); err != nil {
			tx.failed = err
			return err
		}
		return nil
	}
	tx.countTx()
	if tx.failed != nil {
		return tx.failed
	}
	tx.pending = append(tx.pending, Stmt{SQL: query, Args: args})
	if len(tx.pending) >= maxPending {
		return tx.flush(ctx)
	}
	return nil
}

// flush sends the queued writes in one round trip.
func (tx *Tx) flush(ctx context.Context) error {
	if len(tx.pending) == 0 {
		return tx.failed
	}
	_, err := tx.flushWith(ctx, nil)
	return err
}

// flushWith sends the queued writes and then, when it is not nil, last, in
// one round trip, and returns the rows last affected. The first failure
// stops the rest; it is remembered in tx.failed (the server has aborted
// the transaction, or its savepoint) and returned, translated.
func (tx *Tx) flushWith(ctx context.Context, last *Stmt) (int64, error) {
	if tx.failed != nil {
		return 0, tx.failed
	}
	stmts := tx.pending
	tx.pending = nil
	if last != nil {
		stmts = append(stmts, *last)
	}
	tx.countTrip()
	var rows []int64
	err := tx.conn.Raw(func(dc any) error {
		var err error
		rows, err = tx.db.dialect.Pipeline(ctx, dc, stmts)
		return err
	})
	if err != nil {
		tx.failed = tx.db.wrapErr(err)
		return 0, tx.failed
	}
	if last == nil || len(rows) == 0 {
		return 0, nil
	}
	return rows[len(rows)-1], nil
}
