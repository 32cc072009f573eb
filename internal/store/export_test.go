package store

import "context"

// GroupWaiting reports how many InTx callers are queued for a group or a
// batch (0 when both are off), so tests can form them deterministically.
func GroupWaiting(db *DB) int {
	if b := db.batch.Load(); b != nil {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.waiting)
	}
	gc := db.gc.Load()
	if gc == nil {
		return 0
	}
	return gc.waitingLen()
}

// MigrateTo brings db's schema up to version v only, for tests of a
// migration's treatment of the data before it.
func MigrateTo(ctx context.Context, db *DB, v int64) error {
	p, err := db.goose()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, v)
	return err
}

// AuditHorizonOver returns the audit sealer's horizon (ADR 24) over a
// snapshot given in pg_snapshot's text form, for tests of the transactions
// it leaves out.
func AuditHorizonOver(ctx context.Context, tx *Tx, snapshot string) (int64, error) {
	var h int64
	err := tx.QueryRow(ctx, auditHorizonOver("$1::pg_snapshot"), snapshot).Scan(&h)
	return h, err
}

// AuditHorizon returns the audit sealer's horizon over tx's statement
// snapshot, as AuditSeal reads it (ADR 24).
func AuditHorizon(ctx context.Context, tx *Tx) (int64, error) {
	var h int64
	err := tx.QueryRow(ctx, auditHorizonSQL).Scan(&h)
	return h, err
}
