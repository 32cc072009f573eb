package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Violation cases, signals and evidence (issue 16).

// CaseRow is one violation case.
type CaseRow struct {
	ID, AccountID, ServiceID, Target, Rule, State string
	ReviewerID, DecisionText                      string
	Signals                                       int64
	CreatedAt, UpdatedAt, DecidedAt, RetainUntil  time.Time
}

const caseCols = `id, account_id, service_id, target, rule, state, reviewer_id, decision_text, signals, created_at_ms, updated_at_ms,
 decided_at_ms, retain_until_ms`

func scanCase(s scanner) (CaseRow, error) {
	var r CaseRow
	var created, updated int64
	var decided, retain sql.NullInt64
	if err := s.Scan(&r.ID, &r.AccountID, &r.ServiceID, &r.Target, &r.Rule, &r.State, &r.ReviewerID, &r.DecisionText, &r.Signals,
		&created, &updated, &decided, &retain); err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt, r.DecidedAt, r.RetainUntil = FromMs(created), FromMs(updated), FromNullMs(decided), FromNullMs(retain)
	return r, nil
}

// CaseInsert stores a new case.
func (tx *Tx) CaseInsert(ctx context.Context, r CaseRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO violation_case (`+caseCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		r.ID, r.AccountID, r.ServiceID, r.Target, r.Rule, r.State, r.ReviewerID, r.DecisionText, r.Signals, Ms(r.CreatedAt), Ms(r.UpdatedAt),
		NullMs(r.DecidedAt), NullMs(r.RetainUntil))
	return err
}

// CaseUpdate writes the mutable columns of r if the stored case is still
// in state from and unchanged since prevUpdated (ok=false otherwise).
func (tx *Tx) CaseUpdate(ctx context.Context, r CaseRow, from string, prevUpdated time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE violation_case SET account_id = $2, service_id = $3, state = $4, reviewer_id = $5, decision_text = $6,
 signals = $7, updated_at_ms = $8, decided_at_ms = $9, retain_until_ms = $10 WHERE id = $1 AND state = $11 AND updated_at_ms = $12`,
		r.ID, r.AccountID, r.ServiceID, r.State, r.ReviewerID, r.DecisionText, r.Signals, Ms(r.UpdatedAt), NullMs(r.DecidedAt),
		NullMs(r.RetainUntil), from, Ms(prevUpdated))
	return n == 1, err
}

// CaseGet reads one case.
func CaseGet(ctx context.Context, q Querier, id string) (CaseRow, error) {
	r, err := scanCase(q.QueryRow(ctx, `SELECT `+caseCols+` FROM violation_case WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.CaseGet", err)
	}
	return r, nil
}

// OpenCaseFor finds the open case about target under rule, if any (the
// one a duplicate report joins).
func OpenCaseFor(ctx context.Context, q Querier, target, rule string) (CaseRow, error) {
	r, err := scanCase(q.QueryRow(ctx, `SELECT `+caseCols+` FROM violation_case WHERE target = $1 AND rule = $2
 AND state IN ('detected', 'under_review') ORDER BY created_at_ms LIMIT 1`, target, rule))
	if err != nil {
		return r, errorf("store.OpenCaseFor", err)
	}
	return r, nil
}

// CaseFilter selects cases; zero fields constrain nothing.
type CaseFilter struct {
	AccountID string
	States    []string
	Limit     int // ≤ 0 or > 500: 500
}

// Cases lists cases matching f, oldest first (the queue's order).
func Cases(ctx context.Context, q Querier, f CaseFilter) ([]CaseRow, error) {
	var where []string
	var args []any
	if f.AccountID != "" {
		args = append(args, f.AccountID)
		where = append(where, "account_id = $"+itoa(len(args)))
	}
	if len(f.States) > 0 {
		var ph []string
		for _, s := range f.States {
			args = append(args, s)
			ph = append(ph, "$"+itoa(len(args)))
		}
		where = append(where, "state IN ("+strings.Join(ph, ", ")+")")
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	query := `SELECT ` + caseCols + ` FROM violation_case`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	rows, err := q.Query(ctx, query+` ORDER BY created_at_ms, id LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CaseRow
	for rows.Next() {
		r, err := scanCase(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SignalRow is one signal of a case.
type SignalRow struct {
	ID, CaseID, Source, Rule, Target string
	ObservedAt                       time.Time
	Detail                           string
	ReporterEnc, ReporterMasked      string
	CreatedBy                        string
	CreatedAt                        time.Time
}

// SignalInsert stores a signal.
func (tx *Tx) SignalInsert(ctx context.Context, r SignalRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO violation_signal (id, case_id, source, rule, target, observed_at_ms, detail, reporter_enc, reporter_masked,
 created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`, r.ID, r.CaseID, r.Source, r.Rule, r.Target, Ms(r.ObservedAt),
		r.Detail, r.ReporterEnc, r.ReporterMasked, r.CreatedBy, Ms(r.CreatedAt))
	return err
}

// Signals lists a case's signals, oldest first.
func Signals(ctx context.Context, q Querier, caseID string) ([]SignalRow, error) {
	rows, err := q.Query(ctx, `SELECT id, case_id, source, rule, target, observed_at_ms, detail, reporter_enc, reporter_masked, created_by,
 created_at_ms FROM violation_signal WHERE case_id = $1 ORDER BY created_at_ms, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SignalRow
	for rows.Next() {
		var r SignalRow
		var observed, created int64
		if err := rows.Scan(&r.ID, &r.CaseID, &r.Source, &r.Rule, &r.Target, &observed, &r.Detail, &r.ReporterEnc, &r.ReporterMasked,
			&r.CreatedBy, &created); err != nil {
			return nil, err
		}
		r.ObservedAt, r.CreatedAt = FromMs(observed), FromMs(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// EvidenceRow is one piece of evidence of a case.
type EvidenceRow struct {
	ID, CaseID, BlobHash, Filename, ContentType string
	SizeBytes                                   int64
	Note, AddedBy                               string
	CreatedAt                                   time.Time
}

// EvidenceInsert stores an evidence row (its blob is put first).
func (tx *Tx) EvidenceInsert(ctx context.Context, r EvidenceRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO case_evidence (id, case_id, blob_hash, filename, content_type, size_bytes, note, added_by, created_at_ms)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, r.ID, r.CaseID, r.BlobHash, r.Filename, r.ContentType, r.SizeBytes, r.Note, r.AddedBy,
		Ms(r.CreatedAt))
	return err
}

// Evidence lists a case's evidence, oldest first.
func Evidence(ctx context.Context, q Querier, caseID string) ([]EvidenceRow, error) {
	rows, err := q.Query(ctx, `SELECT id, case_id, blob_hash, filename, content_type, size_bytes, note, added_by, created_at_ms
 FROM case_evidence WHERE case_id = $1 ORDER BY created_at_ms, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []EvidenceRow
	for rows.Next() {
		var r EvidenceRow
		var created int64
		if err := rows.Scan(&r.ID, &r.CaseID, &r.BlobHash, &r.Filename, &r.ContentType, &r.SizeBytes, &r.Note, &r.AddedBy, &created); err != nil {
			return nil, err
		}
		r.CreatedAt = FromMs(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// EvidenceGet reads one evidence row of a case.
func EvidenceGet(ctx context.Context, q Querier, caseID, id string) (EvidenceRow, error) {
	var r EvidenceRow
	var created int64
	err := q.QueryRow(ctx, `SELECT id, case_id, blob_hash, filename, content_type, size_bytes, note, added_by, created_at_ms
 FROM case_evidence WHERE case_id = $1 AND id = $2`, caseID, id).Scan(&r.ID, &r.CaseID, &r.BlobHash, &r.Filename, &r.ContentType,
		&r.SizeBytes, &r.Note, &r.AddedBy, &created)
	if err != nil {
		return r, errorf("store.EvidenceGet", err)
	}
	r.CreatedAt = FromMs(created)
	return r, nil
}

// HourOutAdd adds outbound customer bytes to a service's hour.
func (tx *Tx) HourOutAdd(ctx context.Context, serviceID string, hour time.Time, bytes int64) error {
	if bytes == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO usage_hour_out (service_id, hour_ms, tx_bytes) VALUES ($1, $2, $3)
 ON CONFLICT (service_id, hour_ms) DO UPDATE SET tx_bytes = usage_hour_out.tx_bytes + excluded.tx_bytes`, serviceID, Ms(hour), bytes)
	return err
}

// HoursOut lists a service's outbound bytes per hour in [from, to).
func HoursOut(ctx context.Context, q Querier, serviceID string, from, to time.Time) (map[time.Time]int64, error) {
	rows, err := q.Query(ctx, `SELECT hour_ms, tx_bytes FROM usage_hour_out WHERE service_id = $1 AND hour_ms >= $2 AND hour_ms < $3`,
		serviceID, Ms(from), Ms(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[time.Time]int64{}
	for rows.Next() {
		var h, b int64
		if err := rows.Scan(&h, &b); err != nil {
			return nil, err
		}
		out[FromMs(h)] = b
	}
	return out, rows.Err()
}

// ServicesOutAt lists the services with outbound bytes in the hour, not
// yet judged by the detector.
func ServicesOutAt(ctx context.Context, q Querier, hour time.Time, limit int) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT o.service_id FROM usage_hour_out o LEFT JOIN detector_hour d ON d.service_id = o.service_id AND d.hour_ms = o.hour_ms
 WHERE o.hour_ms = $1 AND d.service_id IS NULL ORDER BY o.service_id LIMIT $2`, Ms(hour), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DetectorMark records that the detector judged a service's hour, once:
// ok=false when another run judged it first.
func (tx *Tx) DetectorMark(ctx context.Context, serviceID string, hour time.Time, fired bool) (bool, error) {
	n, err := tx.Exec(ctx, `INSERT INTO detector_hour (service_id, hour_ms, fired) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
		serviceID, Ms(hour), boolInt(fired))
	return n == 1, err
}

// FirstHourOut is a service's first hour with outbound bytes (zero: none).
func FirstHourOut(ctx context.Context, q Querier, serviceID string) (time.Time, error) {
	var ms sql.NullInt64
	if err := q.QueryRow(ctx, `SELECT MIN(hour_ms) FROM usage_hour_out WHERE service_id = $1`, serviceID).Scan(&ms); err != nil {
		return time.Time{}, err
	}
	return FromNullMs(ms), nil
}

// BlockRow is one blocklist entry.
type BlockRow struct {
	ID, Kind, BlindIndex, Masked, Reason, AuthorityRef, CreatedBy string
	CreatedAt, LiftedAt                                           time.Time
	LiftedBy                                                      string
}

// BlockInsert stores an entry.
func (tx *Tx) BlockInsert(ctx context.Context, r BlockRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO blocklist_entry (id, kind, blind_index, masked, reason, authority_ref, created_by, created_at_ms, lifted_at_ms,
 lifted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, '')`, r.ID, r.Kind, r.BlindIndex, r.Masked, r.Reason, r.AuthorityRef, r.CreatedBy, Ms(r.CreatedAt))
	return err
}

// BlockLift lifts an entry in force: ok=false when it was not.
func (tx *Tx) BlockLift(ctx context.Context, id, by string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE blocklist_entry SET lifted_at_ms = $2, lifted_by = $3 WHERE id = $1 AND lifted_at_ms IS NULL`, id, Ms(tx.Now), by)
	return n == 1, err
}

// Blocked reports whether an entry of kind with the index is in force.
func Blocked(ctx context.Context, q Querier, kind, index string) (bool, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM blocklist_entry WHERE kind = $1 AND blind_index = $2 AND lifted_at_ms IS NULL`, kind, index).Scan(&n)
	return n > 0, err
}

// Blocks lists the entries, newest first.
func Blocks(ctx context.Context, q Querier) ([]BlockRow, error) {
	rows, err := q.Query(ctx, `SELECT id, kind, blind_index, masked, reason, authority_ref, created_by, created_at_ms, lifted_at_ms, lifted_by
 FROM blocklist_entry ORDER BY created_at_ms DESC, id DESC LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BlockRow
	for rows.Next() {
		var r BlockRow
		var created int64
		var lifted sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Kind, &r.BlindIndex, &r.Masked, &r.Reason, &r.AuthorityRef, &r.CreatedBy, &created, &lifted, &r.LiftedBy); err != nil {
			return nil, err
		}
		r.CreatedAt, r.LiftedAt = FromMs(created), FromNullMs(lifted)
		out = append(out, r)
	}
	return out, rows.Err()
}
