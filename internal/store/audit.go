package store

import (
	"context"
	"errors"
	"fmt"

	"yuanxu/internal/audit"
	"yuanxu/internal/errs"
)

// AuditInsert writes one audit event in the transaction. It touches no shared
// row: concurrent transactions never contend on it.
func (tx *Tx) AuditInsert(ctx context.Context, e audit.Event) error {
	_, err := tx.Exec(ctx, `INSERT INTO audit_event (id, at_ms, actor, action, subject_type, subject_id, client_ip, request_id, data)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, Ms(e.At), e.Actor, e.Action, e.SubjectType, e.SubjectID, e.ClientIP, e.RequestID, e.Data)
	return err
}

const auditCols = `id, at_ms, actor, action, subject_type, subject_id, client_ip, request_id, data`

func scanEvents(rows *Rows) ([]audit.Event, error) {
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		var e audit.Event
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.SubjectType, &e.SubjectID, &e.ClientIP, &e.RequestID, &e.Data); err != nil {
			return nil, err
		}
		e.At = FromMs(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AuditSeal seals up to limit unsealed events (id order) into the next batch
// and returns it, or ok=false when nothing was unsealed. Two sealers racing
// cannot both succeed: the batch sequence is a primary key and the events
// are claimed with batch_seq IS NULL.
func (tx *Tx) AuditSeal(ctx context.Context, limit int) (b audit.Batch, ok bool, err error) {
	rows, err := tx.Query(ctx, `SELECT `+auditCols+` FROM audit_event WHERE batch_seq IS NULL ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return b, false, err
	}
	events, err := scanEvents(rows)
	if err != nil || len(events) == 0 {
		return b, false, err
	}
	prev := audit.GenesisHash
	var lastSeq int64
	err = tx.QueryRow(ctx, `SELECT seq, hash FROM audit_batch ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &prev)
	if err != nil && !errors.Is(err, errs.ErrNotFound) {
		return b, false, err
	}
	b = audit.Batch{
		Seq: lastSeq + 1, SealedAt: tx.Now, EventCount: int64(len(events)),
		FirstID: events[0].ID, LastID: events[len(events)-1].ID, PrevHash: prev,
	}
	b.Hash = audit.BatchHash(prev, b.Seq, events)
	if _, err := tx.Exec(ctx, `INSERT INTO audit_batch (seq, sealed_at_ms, event_count, first_id, last_id, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		b.Seq, Ms(b.SealedAt), b.EventCount, b.FirstID, b.LastID, b.PrevHash, b.Hash); err != nil {
		return b, false, err
	}
	for _, e := range events {
		n, err := tx.Exec(ctx, `UPDATE audit_event SET batch_seq = $1 WHERE id = $2 AND batch_seq IS NULL`, b.Seq, e.ID)
		if err != nil {
			return b, false, err
		}
		if n != 1 {
			return b, false, &retryErr{errs.E(errs.Conflict, "audit.seal_race", "event sealed concurrently", errs.ErrConflict)}
		}
	}
	return b, true, nil
}

// AuditReport is the result of verifying the whole chain.
type AuditReport struct {
	Batches  int64
	Sealed   int64
	Unsealed int64
	Break    *audit.Break // nil when the chain verifies
}

// AuditVerify walks every batch in order on the reader pool and recomputes
// the chain. It stops at the first break.
func (db *DB) AuditVerify(ctx context.Context) (AuditReport, error) {
	var r AuditReport
	if err := db.QueryRow(ctx, `SELECT COUNT(*) FROM audit_event WHERE batch_seq IS NULL`).Scan(&r.Unsealed); err != nil {
		return r, err
	}
	rows, err := db.Query(ctx, `SELECT seq, sealed_at_ms, event_count, first_id, last_id, prev_hash, hash FROM audit_batch ORDER BY seq`)
	if err != nil {
		return r, err
	}
	var batches []audit.Batch
	for rows.Next() {
		var b audit.Batch
		var at int64
		if err := rows.Scan(&b.Seq, &at, &b.EventCount, &b.FirstID, &b.LastID, &b.PrevHash, &b.Hash); err != nil {
			rows.Close()
			return r, err
		}
		b.SealedAt = FromMs(at)
		batches = append(batches, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	prev := audit.GenesisHash
	for i, b := range batches {
		if b.Seq != int64(i+1) {
			r.Break = &audit.Break{Seq: b.Seq, Reason: fmt.Sprintf("batch %d missing", i+1)}
			return r, nil
		}
		erows, err := db.Query(ctx, `SELECT `+auditCols+` FROM audit_event WHERE batch_seq = $1 ORDER BY id`, b.Seq)
		if err != nil {
			return r, err
		}
		events, err := scanEvents(erows)
		if err != nil {
			return r, err
		}
		if err := audit.VerifyBatch(prev, b, events); err != nil {
			var br *audit.Break
			errors.As(err, &br)
			r.Break = br
			return r, nil
		}
		r.Batches++
		r.Sealed += int64(len(events))
		prev = b.Hash
	}
	return r, nil
}
