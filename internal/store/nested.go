package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// Nested runs fn inside a savepoint of tx: when fn returns an error (or a
// statement in it fails, queued writes included) everything fn wrote is
// rolled back, tx stays usable, and the functions fn registered with
// AfterCommit and Last and the audit events it recorded are dropped; when
// fn succeeds its writes stay part of tx, committed or rolled back with it.
// Use it for a step whose failure must not fail the transaction around it
// (a delivery attempted in the payment's transaction, which falls back to
// the job when it fails).
func (tx *Tx) Nested(ctx context.Context, fn func() error) error {
	// Named by depth, not by a counter: a name is released before it is
	// used again, and the few names keep PostgreSQL's statement cache
	// small when the savepoint goes out with queued writes (pipeline.go).
	tx.nested++
	defer func() { tx.nested-- }()
	if tx.batch != nil {
		return tx.nestedInBatch(fn)
	}
	name := fmt.Sprintf("yx_nested_%d", tx.nested)
	// The writes queued before it are tx's, not fn's: they go first, with
	// the SAVEPOINT, and their failure is tx's. When tx pipelines, the
	// SAVEPOINT is queued behind them and goes with fn's first statement
	// that is sent (one round trip less); no write of fn may amend an
	// insert queued before it, as the rollback would not undo that —
	// unless fn's first statement went ahead of them (ExecAhead), taking
	// the SAVEPOINT with it: tx's queued writes then reach the server
	// inside the savepoint, and a failed fn queues them again as they were
	// before it.
	f := &stepFrame{}
	if tx.conn == nil {
		if _, err := tx.Exec(ctx, "SAVEPOINT "+name); err != nil {
			return err
		}
	} else {
		f.saved, f.keyed = slices.Clone(tx.pending), tx.keyed
		if err := tx.Write(ctx, "SAVEPOINT "+name); err != nil {
			return err
		}
		tx.keyed = nil
		if n := len(tx.pending); n > 0 && tx.pending[n-1].SQL == "SAVEPOINT "+name {
			tx.pending[n-1].table = savepointTable
			f.queued, f.at, f.sent = true, n-1, tx.sent
		}
	}
	outer := tx.step
	tx.step = f
	defer func() { tx.step = outer }()
	after, audits, last := len(tx.after), len(tx.audits), len(tx.last)
	err := fn()
	if err == nil {
		// fn's queued writes reach the server with the RELEASE: a failure
		// among them is fn's, rolled back below.
		if _, err = tx.Exec(ctx, "RELEASE SAVEPOINT "+name); err == nil {
			return nil
		}
	}
	if f.queued && tx.sent == f.sent {
		// Nothing was sent since the SAVEPOINT was queued: fn's writes
		// are forgotten with it, tx's stay queued.
		tx.pending, tx.keyed = tx.pending[:f.at], f.keyed
	} else {
		tx.dropQueue() // fn's: never sent, or undone with the savepoint
		cause := tx.failed
		tx.failed = nil
		tx.countTx()
		tx.countTx()
		tx.countTrip()
		tx.countTrip()
		if _, rerr := tx.tx.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			// No savepoint to roll back to: a write queued before it
			// failed, which fails tx with its own error (a conflict is
			// retried, a duplicate is its caller's answer).
			if tx.failed = cause; cause == nil {
				tx.failed = tx.db.wrapErr(rerr)
			}
			return fmt.Errorf("%w (and rolling back to the savepoint: %v)", err, rerr)
		}
		_, _ = tx.tx.ExecContext(context.WithoutCancel(ctx), "RELEASE SAVEPOINT "+name)
		if f.ahead {
			// tx's writes queued before fn went to the server inside the
			// savepoint, or not at all: either way they are not there now.
			tx.pending, tx.keyed = f.saved, f.keyed
		}
	}
	tx.after = tx.after[:after]
	tx.audits = tx.audits[:audits] // the audit events fn recorded go with its writes
	tx.last = tx.last[:last]
	tx.Forget() // what tx read may have been rolled back
	return err
}

// nestedInBatch is Nested for a member of a batch (batch.go), without a
// savepoint: PostgreSQL's savepoints are one stack for the transaction, so
// a member's RELEASE would release the savepoints its neighbours took
// after it, and a rollback to it would undo their writes. A step that
// fails before anything of it was sent is forgotten as Nested forgets it;
// one that sent something fails tx, and so the batch: tx then runs alone,
// where the step has its savepoint.
func (tx *Tx) nestedInBatch(fn func() error) error {
	// fn may amend an insert queued before it: its failure restores them.
	saved, keyed, sent := slices.Clone(tx.pending), maps.Clone(tx.keyed), tx.sent
	after, audits, last := len(tx.after), len(tx.audits), len(tx.last)
	err := fn()
	if err == nil {
		return nil
	}
	if tx.sent == sent && tx.failed == nil {
		tx.pending, tx.keyed = saved, keyed
	} else {
		tx.dropQueue()
		if tx.failed == nil {
			tx.failed = errNotInBatch
		}
	}
	tx.after = tx.after[:after]
	tx.audits = tx.audits[:audits]
	tx.last = tx.last[:last]
	tx.Forget()
	return err
}

// stepFrame is what Nested keeps of a running step for ExecAhead and for
// its own rollback: the writes tx had queued when the step began (saved)
// and their amendable inserts (keyed), where its SAVEPOINT was queued
// (queued, at, and tx.sent then), and whether it went ahead of them.
type stepFrame struct {
	saved  []Stmt
	keyed  map[string]int
	queued bool
	at     int
	sent   int
	ahead  bool
}

// ExecAhead is Exec for a statement that reads and writes no table a
// queued write writes and has no foreign key to one (a lease of the
// sandbox pool): on PostgreSQL it goes to the server ahead of the queued
// writes, which stay queued, so that a later write may still amend them
// (writeKeyed). As the first statement of a Nested step it takes the
// step's SAVEPOINT with it: tx's queued writes then reach the server
// inside the savepoint, a write of the step may amend them, and a failed
// step queues them again as they were before it (Nested). Its failure is
// its caller's, as Exec's. Elsewhere it is Exec.
func (tx *Tx) ExecAhead(ctx context.Context, query string, args ...any) (int64, error) {
	if tx.conn == nil || len(tx.pending) == 0 || tx.failed != nil {
		return tx.Exec(ctx, query, args...)
	}
	s := Stmt{SQL: query, Args: args}
	n, savepoints := len(tx.pending), 0
	for _, p := range tx.pending {
		if p.table == savepointTable {
			savepoints++
		}
	}
	f := tx.step
	switch {
	case savepoints == 0:
		// No step's SAVEPOINT is waiting: tx's writes stay queued.
		return tx.sendAhead(ctx, []Stmt{s})
	case savepoints == 1 && f != nil && f.queued && f.at == n-1 && tx.sent == f.sent:
		// The step's SAVEPOINT is the last write queued: the step has
		// queued nothing of its own.
		sp := tx.pending[n-1]
		tx.pending = tx.pending[:n-1]
		f.ahead = true
		tx.keyed = maps.Clone(f.keyed)
		return tx.sendAhead(ctx, []Stmt{sp, s})
	}
	return tx.Exec(ctx, query, args...)
}

// sendAhead sends stmts, the last of them an ExecAhead's, in one round
// trip while the queue waits, and returns the rows the last affected.
func (tx *Tx) sendAhead(ctx context.Context, stmts []Stmt) (int64, error) {
	tx.countTx()
	tx.sent++ // what the server holds changed: a step's rollback must go to it (Nested)
	rows, err := tx.send(ctx, stmts, true)
	if err != nil {
		if len(rows) < len(stmts)-1 {
			tx.failed = err // the SAVEPOINT itself: tx cannot go on
		}
		return 0, err
	}
	return rows[len(rows)-1], nil
}
