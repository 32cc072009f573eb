package store

import (
	"context"
	"fmt"
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
	name := fmt.Sprintf("yx_nested_%d", tx.nested)
	// The writes queued before it are tx's, not fn's: they go first, with
	// the SAVEPOINT, and their failure is tx's. When tx pipelines, the
	// SAVEPOINT is queued behind them and goes with fn's first statement
	// that is sent (one round trip less); no write of fn may amend an
	// insert queued before it, as the rollback would not undo that.
	queued, at, sent := false, 0, 0
	if tx.conn == nil {
		if _, err := tx.Exec(ctx, "SAVEPOINT "+name); err != nil {
			return err
		}
	} else {
		if err := tx.Write(ctx, "SAVEPOINT "+name); err != nil {
			return err
		}
		tx.keyed = nil
		if n := len(tx.pending); n > 0 && tx.pending[n-1].SQL == "SAVEPOINT "+name {
			tx.pending[n-1].table = savepointTable
			queued, at, sent = true, n-1, tx.sent
		}
	}
	after, audits, last := len(tx.after), len(tx.audits), len(tx.last)
	err := fn()
	if err == nil {
		// fn's queued writes reach the server with the RELEASE: a failure
		// among them is fn's, rolled back below.
		if _, err = tx.Exec(ctx, "RELEASE SAVEPOINT "+name); err == nil {
			return nil
		}
	}
	if queued && tx.sent == sent {
		// Nothing was sent since the SAVEPOINT was queued: fn's writes
		// are forgotten with it, tx's stay queued.
		tx.pending, tx.keyed = tx.pending[:at], nil
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
	}
	tx.after = tx.after[:after]
	tx.audits = tx.audits[:audits] // the audit events fn recorded go with its writes
	tx.last = tx.last[:last]
	tx.Forget() // what tx read may have been rolled back
	return err
}
