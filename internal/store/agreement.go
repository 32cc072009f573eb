package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"yuanxu/internal/errs"
)

// AgreementVersionRow is one row of agreement_version. The store keeps the
// source and its SHA256 as given; app parses, lints and moves the state.
type AgreementVersionRow struct {
	ID, Origin, Title, Source, SHA256, State, Note string
	PreparedBy, SignedOffBy                        string
	Material                                       bool
	CreatedAt, UpdatedAt                           time.Time
	ScheduledAt, EffectiveAt, SupersededAt         time.Time // zero: not yet
	SupersededBy                                   string
}

// Agreement version origins.
const (
	AgreementOriginBuiltin = "builtin" // the embedded default, stored once
	AgreementOriginStaff   = "staff"
)

const agreementCols = `id, origin, title, source, sha256, state, note, prepared_by, signed_off_by, material,
 created_at_ms, updated_at_ms, scheduled_at_ms, effective_at_ms, superseded_at_ms, superseded_by`

// agreementListCols leaves out the source (lists do not need it).
const agreementListCols = `id, origin, title, '' AS source, sha256, state, note, prepared_by, signed_off_by, material,
 created_at_ms, updated_at_ms, scheduled_at_ms, effective_at_ms, superseded_at_ms, superseded_by`

func scanAgreementVersion(s scanner) (AgreementVersionRow, error) {
	var r AgreementVersionRow
	var material, created, updated int64
	var sched, eff, sup sql.NullInt64
	if err := s.Scan(&r.ID, &r.Origin, &r.Title, &r.Source, &r.SHA256, &r.State, &r.Note, &r.PreparedBy, &r.SignedOffBy, &material,
		&created, &updated, &sched, &eff, &sup, &r.SupersededBy); err != nil {
		return r, err
	}
	r.Material = material != 0
	r.CreatedAt, r.UpdatedAt = FromMs(created), FromMs(updated)
	r.ScheduledAt, r.EffectiveAt, r.SupersededAt = FromNullMs(sched), FromNullMs(eff), FromNullMs(sup)
	return r, nil
}

func (r AgreementVersionRow) args() []any {
	return []any{r.ID, r.Origin, r.Title, r.Source, r.SHA256, r.State, r.Note, r.PreparedBy, r.SignedOffBy, boolInt(r.Material),
		Ms(r.CreatedAt), Ms(r.UpdatedAt), NullMs(r.ScheduledAt), NullMs(r.EffectiveAt), NullMs(r.SupersededAt), r.SupersededBy}
}

// AgreementVersionInsert writes a new version. ok is false, and nothing is
// written, when the row conflicts with a unique constraint that makes the
// insert redundant: a second builtin version, or a second effective one
// (first start of several instances at once).
func (tx *Tx) AgreementVersionInsert(ctx context.Context, r AgreementVersionRow) (ok bool, err error) {
	n, err := tx.Exec(ctx, `INSERT INTO agreement_version (`+agreementCols+`) VALUES
 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING`, r.args()...)
	return n == 1, err
}

// AgreementVersionUpdate writes every mutable column of r, only if the
// stored state is still fromState (a compare-and-set: of two concurrent
// transitions one wins). It returns errs.ErrConflict (wrapped) when the
// state moved, errs.ErrNotFound when there is no such version.
func (tx *Tx) AgreementVersionUpdate(ctx context.Context, r AgreementVersionRow, fromState string) error {
	a := r.args()
	a = append(a[:10:10], a[11], a[12], a[13], a[14], a[15], fromState) // all but created_at
	n, err := tx.Exec(ctx, `UPDATE agreement_version SET title = $3, source = $4, sha256 = $5, state = $6, note = $7, prepared_by = $8,
 signed_off_by = $9, material = $10, updated_at_ms = $11, scheduled_at_ms = $12, effective_at_ms = $13, superseded_at_ms = $14,
 superseded_by = $15 WHERE id = $1 AND origin = $2 AND state = $16`, a...)
	if err != nil {
		return err
	}
	if n != 1 {
		if _, gerr := AgreementVersionGet(ctx, tx, r.ID); gerr != nil {
			return errorf("store.AgreementVersionUpdate", gerr)
		}
		return errorf("store.AgreementVersionUpdate", errs.ErrConflict)
	}
	return nil
}

// AgreementVersionGet reads one version with its source.
func AgreementVersionGet(ctx context.Context, q Querier, id string) (AgreementVersionRow, error) {
	return scanAgreementVersion(q.QueryRow(ctx, `SELECT `+agreementCols+` FROM agreement_version WHERE id = $1`, id))
}

// AgreementVersionInForce returns the version that governs instant at: the
// effective or superseded version with the latest effective_at not after
// at; before the first one took effect, the first one (the versions before
// it do not exist). errs.ErrNotFound when no version ever took effect.
func AgreementVersionInForce(ctx context.Context, q Querier, at time.Time) (AgreementVersionRow, error) {
	return agreementVersionInForce(ctx, q, agreementCols, at)
}

// inForceAt is the version effective at $1, after the columns.
const inForceAt = ` FROM agreement_version
 WHERE state IN ('effective', 'superseded') AND effective_at_ms <= $1 ORDER BY effective_at_ms DESC, id DESC LIMIT 1`

func agreementVersionInForce(ctx context.Context, q Querier, cols string, at time.Time) (AgreementVersionRow, error) {
	r, err := scanAgreementVersion(q.QueryRow(ctx, `SELECT `+cols+inForceAt, Ms(at)))
	if !IsNotFound(err) {
		return r, err
	}
	return scanAgreementVersion(q.QueryRow(ctx, `SELECT `+cols+` FROM agreement_version
 WHERE state IN ('effective', 'superseded') ORDER BY effective_at_ms, id LIMIT 1`))
}

// AgreementVersionFilter selects versions; empty fields do not constrain.
type AgreementVersionFilter struct {
	States []string
	// DueBy selects scheduled versions whose effective_at is not after it.
	DueBy time.Time
}

// AgreementVersions lists versions without their source, newest first
// (by effective_at, then id).
func AgreementVersions(ctx context.Context, q Querier, f AgreementVersionFilter) ([]AgreementVersionRow, error) {
	var where []string
	var args []any
	if len(f.States) > 0 {
		var ph []string
		for _, s := range f.States {
			args = append(args, s)
			ph = append(ph, "$"+itoa(len(args)))
		}
		where = append(where, "state IN ("+strings.Join(ph, ", ")+")")
	}
	if !f.DueBy.IsZero() {
		args = append(args, Ms(f.DueBy))
		where = append(where, "state = 'scheduled' AND effective_at_ms <= $"+itoa(len(args)))
	}
	query := `SELECT ` + agreementListCols + ` FROM agreement_version`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY COALESCE(effective_at_ms, created_at_ms) DESC, id DESC LIMIT 500"
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AgreementVersionRow
	for rows.Next() {
		r, err := scanAgreementVersion(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AgreementExplainRow is one "explain this clause" request.
type AgreementExplainRow struct {
	ID, AccountID, VersionID, ClauseID, Lang, IPMasked, Channel string
	At                                                          time.Time
}

// AgreementExplainInsert logs an explanation request.
func (tx *Tx) AgreementExplainInsert(ctx context.Context, r AgreementExplainRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO agreement_explain (id, account_id, version_id, clause_id, lang, ip_masked, channel, at_ms)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.ID, r.AccountID, r.VersionID, r.ClauseID, r.Lang, r.IPMasked, r.Channel, Ms(r.At))
	return err
}

// AgreementExplains lists an account's explanation requests, oldest first
// ("" lists the anonymous ones).
func AgreementExplains(ctx context.Context, q Querier, accountID string, limit int) ([]AgreementExplainRow, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := q.Query(ctx, `SELECT id, account_id, version_id, clause_id, lang, ip_masked, channel, at_ms FROM agreement_explain
 WHERE account_id = $1 ORDER BY at_ms, id LIMIT $2`, accountID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AgreementExplainRow
	for rows.Next() {
		var r AgreementExplainRow
		var at int64
		if err := rows.Scan(&r.ID, &r.AccountID, &r.VersionID, &r.ClauseID, &r.Lang, &r.IPMasked, &r.Channel, &at); err != nil {
			return nil, err
		}
		r.At = FromMs(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// joinIDs and splitIDs encode the comma-separated id lists.
func joinIDs(ids []string) string { return strings.Join(ids, ",") }

func splitIDs(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
