package store

import (
	"context"
	"fmt"
	"sync/atomic"
)

var nestedSeq atomic.Uint64

// Nested runs fn inside a savepoint of tx: when fn returns an error (or a
// statement in it fails) everything fn wrote is rolled back, tx stays
// usable, and the functions fn registered with AfterCommit and Last and
// the audit events it recorded are dropped; when fn succeeds its writes stay part of tx, committed or rolled back
// with it. Use it for a step whose failure must not fail the transaction
// around it (a delivery attempted in the payment's transaction, which
// falls back to the job when it fails).
func (tx *Tx) Nested(ctx context.Context, fn func() error) error {
	name := fmt.Sprintf("yx_nested_%d", nestedSeq.Add(1))
	tx.countTx()
	if _, err := tx.tx.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return tx.db.wrapErr(err)
	}
	after, audits, last := len(tx.after), len(tx.audits), len(tx.last)
	if err := fn(); err != nil {
		tx.countTx()
		tx.countTx()
		if _, rerr := tx.tx.ExecContext(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
			return fmt.Errorf("%w (and rolling back to the savepoint: %v)", err, rerr)
		}
		tx.after = tx.after[:after]
		tx.audits = tx.audits[:audits] // the audit events fn recorded go with its writes
		tx.last = tx.last[:last]
		tx.Forget() // what tx read may have been rolled back
		_, _ = tx.tx.ExecContext(context.WithoutCancel(ctx), "RELEASE SAVEPOINT "+name)
		return err
	}
	tx.countTx()
	if _, err := tx.tx.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return tx.db.wrapErr(err)
	}
	return nil
}
