package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"yuanxu/internal/audit"
)

// Authorities (issue 16 item 6): the disclosure register, authority holds
// and re-verification flags. Lists are space-separated in their columns.

// DisclosureRow is one entry of the disclosure register.
type DisclosureRow struct {
	ID, Authority, OfficerEnc, OfficerMasked string
	DocType, DocNumber, DocHash, DocFilename string
	AccountIDs, ServiceIDs, Fields           []string
	CaseID, Note, DisclosedBy                string
	DisclosedAt, CreatedAt                   time.Time
}

const disclosureCols = `id, authority, officer_enc, officer_masked, doc_type, doc_number, doc_hash, doc_filename, account_ids, service_ids,
 fields, case_id, note, disclosed_at_ms, disclosed_by, created_at_ms`

func scanDisclosure(s scanner) (DisclosureRow, error) {
	var r DisclosureRow
	var accts, svcs, fields string
	var at, created int64
	if err := s.Scan(&r.ID, &r.Authority, &r.OfficerEnc, &r.OfficerMasked, &r.DocType, &r.DocNumber, &r.DocHash, &r.DocFilename, &accts, &svcs,
		&fields, &r.CaseID, &r.Note, &at, &r.DisclosedBy, &created); err != nil {
		return r, err
	}
	r.AccountIDs, r.ServiceIDs, r.Fields = strings.Fields(accts), strings.Fields(svcs), strings.Fields(fields)
	r.DisclosedAt, r.CreatedAt = FromMs(at), FromMs(created)
	return r, nil
}

// DisclosureInsert stores a register entry (entries are never changed).
func (tx *Tx) DisclosureInsert(ctx context.Context, r DisclosureRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO authority_disclosure (`+disclosureCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
 $14, $15, $16)`, r.ID, r.Authority, r.OfficerEnc, r.OfficerMasked, r.DocType, r.DocNumber, r.DocHash, r.DocFilename,
		strings.Join(r.AccountIDs, " "), strings.Join(r.ServiceIDs, " "), strings.Join(r.Fields, " "), r.CaseID, r.Note, Ms(r.DisclosedAt),
		r.DisclosedBy, Ms(r.CreatedAt))
	return err
}

// DisclosureGet reads one entry.
func DisclosureGet(ctx context.Context, q Querier, id string) (DisclosureRow, error) {
	r, err := scanDisclosure(q.QueryRow(ctx, `SELECT `+disclosureCols+` FROM authority_disclosure WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.DisclosureGet", err)
	}
	return r, nil
}

// Disclosures lists the register, newest disclosure first (at most 500).
func Disclosures(ctx context.Context, q Querier) ([]DisclosureRow, error) {
	rows, err := q.Query(ctx, `SELECT `+disclosureCols+` FROM authority_disclosure ORDER BY disclosed_at_ms DESC, id DESC LIMIT 500`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DisclosureRow
	for rows.Next() {
		r, err := scanDisclosure(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// HoldRow is one authority hold on an account.
type HoldRow struct {
	ID, AccountID, Authority, DocType, DocNumber, DocHash, DocFilename string
	Reason, PlacedBy, LiftedBy, LiftReason                             string
	PlacedAt, LiftedAt                                                 time.Time
}

const holdCols = `id, account_id, authority, doc_type, doc_number, doc_hash, doc_filename, reason, placed_by, placed_at_ms, lifted_at_ms,
 lifted_by, lift_reason`

func scanHold(s scanner) (HoldRow, error) {
	var r HoldRow
	var placed int64
	var lifted sql.NullInt64
	if err := s.Scan(&r.ID, &r.AccountID, &r.Authority, &r.DocType, &r.DocNumber, &r.DocHash, &r.DocFilename, &r.Reason, &r.PlacedBy, &placed,
		&lifted, &r.LiftedBy, &r.LiftReason); err != nil {
		return r, err
	}
	r.PlacedAt, r.LiftedAt = FromMs(placed), FromNullMs(lifted)
	return r, nil
}

// HoldInsert stores a hold in force.
func (tx *Tx) HoldInsert(ctx context.Context, r HoldRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO authority_hold (`+holdCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, '', '')`,
		r.ID, r.AccountID, r.Authority, r.DocType, r.DocNumber, r.DocHash, r.DocFilename, r.Reason, r.PlacedBy, Ms(r.PlacedAt))
	return err
}

// HoldLift lifts a hold in force at tx.Now: ok=false when it was not.
func (tx *Tx) HoldLift(ctx context.Context, id, by, reason string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE authority_hold SET lifted_at_ms = $2, lifted_by = $3, lift_reason = $4 WHERE id = $1 AND lifted_at_ms IS NULL`,
		id, Ms(tx.Now), by, reason)
	return n == 1, err
}

// HoldGet reads one hold.
func HoldGet(ctx context.Context, q Querier, id string) (HoldRow, error) {
	r, err := scanHold(q.QueryRow(ctx, `SELECT `+holdCols+` FROM authority_hold WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.HoldGet", err)
	}
	return r, nil
}

// Holds lists holds, newest first (at most 500): of one account when
// accountID is set, only those in force when inForce.
func Holds(ctx context.Context, q Querier, accountID string, inForce bool) ([]HoldRow, error) {
	cond := `($1 = '' OR account_id = $1)`
	if inForce {
		cond += ` AND lifted_at_ms IS NULL`
	}
	rows, err := q.Query(ctx, `SELECT `+holdCols+` FROM authority_hold WHERE `+cond+` ORDER BY placed_at_ms DESC, id DESC LIMIT 500`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HoldRow
	for rows.Next() {
		r, err := scanHold(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ReverifyRow is a compliance re-verification flag.
type ReverifyRow struct {
	ID, AccountID, Reason, CaseID, FlaggedBy, ClearedBy string
	FlaggedAt, ClearedAt                                time.Time
}

// ReverifyInsert stores an open flag.
func (tx *Tx) ReverifyInsert(ctx context.Context, r ReverifyRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO reverify_flag (id, account_id, reason, case_id, flagged_by, flagged_at_ms, cleared_at_ms, cleared_by)
 VALUES ($1, $2, $3, $4, $5, $6, NULL, '')`, r.ID, r.AccountID, r.Reason, r.CaseID, r.FlaggedBy, Ms(r.FlaggedAt))
	return err
}

// ReverifyClear clears the account's open flags at tx.Now, naming what
// cleared them; it returns how many it cleared.
func (tx *Tx) ReverifyClear(ctx context.Context, accountID, by string) (int64, error) {
	return tx.Exec(ctx, `UPDATE reverify_flag SET cleared_at_ms = $2, cleared_by = $3 WHERE account_id = $1 AND cleared_at_ms IS NULL`,
		accountID, Ms(tx.Now), by)
}

// ReverifyOpen returns the account's oldest open flag: ok=false if none.
func ReverifyOpen(ctx context.Context, q Querier, accountID string) (ReverifyRow, bool, error) {
	r, err := scanReverifyOpen(q.QueryRow(ctx, reverifyOpenSQL, accountID))
	if IsNotFound(err) {
		return r, false, nil
	}
	return r, err == nil, err
}

// reverifyOpenSQL is ReverifyOpen's query ($1 the account), scanned by
// scanReverifyOpen.
const reverifyOpenSQL = `SELECT id, account_id, reason, case_id, flagged_by, flagged_at_ms FROM reverify_flag
 WHERE account_id = $1 AND cleared_at_ms IS NULL ORDER BY flagged_at_ms, id LIMIT 1`

func scanReverifyOpen(s scanner) (ReverifyRow, error) {
	var r ReverifyRow
	var at int64
	if err := s.Scan(&r.ID, &r.AccountID, &r.Reason, &r.CaseID, &r.FlaggedBy, &at); err != nil {
		return ReverifyRow{}, err
	}
	r.FlaggedAt = FromMs(at)
	return r, nil
}

// OpenCaseCount counts the account's violation cases not yet decided.
func OpenCaseCount(ctx context.Context, q Querier, accountID string) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM violation_case WHERE account_id = $1 AND state IN ('detected', 'under_review')`, accountID).Scan(&n)
	return n, err
}

// AuditOf lists the audit events about one subject, oldest first (at
// most limit).
func AuditOf(ctx context.Context, q Querier, subjectType, subjectID string, limit int) ([]audit.Event, error) {
	if tx, ok := q.(*Tx); ok {
		if err := tx.flushAudit(ctx); err != nil { // its own buffered events count too
			return nil, err
		}
	}
	rows, err := q.Query(ctx, `SELECT `+auditCols+` FROM audit_event WHERE subject_type = $1 AND subject_id = $2 ORDER BY id LIMIT $3`,
		subjectType, subjectID, limit)
	if err != nil {
		return nil, err
	}
	return scanEvents(rows)
}
