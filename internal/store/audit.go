package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"yuanxu/internal/audit"
	"yuanxu/internal/errs"
)

// AuditInsert records one audit event in the transaction. It touches no
// shared row: concurrent transactions never contend on it.
//
// The event is buffered on tx and written, with the transaction's other
// events, in as few multi-row INSERTs as possible when fn returns
// successfully — still inside the transaction (InTx, each group-commit
// member's savepoint), so it commits or rolls back exactly with the rest
// of fn's writes; a Nested step that fails drops the events it recorded.
// A write error (a duplicate id) therefore surfaces as InTx's error, not
// here. Reads of audit_event through tx (AuditOf) write the buffer first.
func (tx *Tx) AuditInsert(ctx context.Context, e audit.Event) error {
	tx.audits = append(tx.audits, e)
	return nil
}

// auditChunks are the multi-row statement sizes flushAudit uses: a buffer
// of up to 16 events (a checkout records 9) is written in one statement,
// a longer one in chunks of the largest size that fits, so eighteen
// statement texts serve every size and stay in the prepared-statement
// caches.
var auditChunks = [...]int{64, 32, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}

// flushAudit writes the events AuditInsert buffered and empties the
// buffer.
func (tx *Tx) flushAudit(ctx context.Context) error {
	evs := tx.audits
	tx.audits = nil
	for len(evs) > 0 {
		n := 1
		for _, c := range auditChunks {
			if c <= len(evs) {
				n = c
				break
			}
		}
		args := make([]any, 0, n*9)
		for _, e := range evs[:n] {
			args = append(args, e.ID, Ms(e.At), e.Actor, e.Action, e.SubjectType, e.SubjectID, e.ClientIP, e.RequestID, e.Data)
		}
		if err := tx.Write(ctx, auditInsertSQL(n), args...); err != nil {
			return err
		}
		evs = evs[n:]
	}
	return nil
}

var auditInsertSQLs [65]string

func init() {
	for _, n := range auditChunks {
		var b strings.Builder
		b.WriteString(`INSERT INTO audit_event (` + auditCols + `) VALUES `)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for j := 0; j < 9; j++ {
				if j > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, "$%d", i*9+j+1)
			}
			b.WriteString(")")
		}
		auditInsertSQLs[n] = b.String()
	}
}

// auditInsertSQL is the INSERT of n events (n one of auditChunks).
func auditInsertSQL(n int) string { return auditInsertSQLs[n] }

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
	// The events are claimed sealChunk at a time, one statement each; a
	// short last chunk repeats its last id (IN ignores the repeats), so
	// one statement text serves every batch.
	for i := 0; i < len(events); i += sealChunk {
		chunk := events[i:min(i+sealChunk, len(events))]
		args := make([]any, 1, sealChunk+1)
		args[0] = b.Seq
		for j := range sealChunk {
			args = append(args, chunk[min(j, len(chunk)-1)].ID)
		}
		n, err := tx.Exec(ctx, sealSQL, args...)
		if err != nil {
			return b, false, err
		}
		if n != int64(len(chunk)) {
			return b, false, &retryErr{errs.E(errs.Conflict, "audit.seal_race", "event sealed concurrently", errs.ErrConflict)}
		}
	}
	return b, true, nil
}

// sealChunk is how many events one sealing UPDATE claims.
const sealChunk = 100

// sealSQL claims sealChunk unsealed events ($2…) for batch $1.
var sealSQL = func() string {
	var b strings.Builder
	b.WriteString(`UPDATE audit_event SET batch_seq = $1 WHERE batch_seq IS NULL AND id IN (`)
	for i := range sealChunk {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "$%d", i+2)
	}
	b.WriteString(")")
	return b.String()
}()

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
