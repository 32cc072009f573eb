package store

import (
	"context"
	"database/sql"
	"time"

	"yuanxu/internal/errs"
)

// LicenceRow is one telecom licence of the company (the licence register).
type LicenceRow struct {
	ID, Type, Number, Holder        string
	Scopes, Regions, ProductKinds   []string
	ValidFrom, ValidUntil           time.Time // ValidUntil is exclusive
	Note, CreatedBy                 string
	CreatedAt, UpdatedAt, RevokedAt time.Time // RevokedAt zero: in the register
}

const licenceCols = `id, type, number, holder, scopes, regions, product_kinds, valid_from_ms, valid_until_ms, note, created_by,
 created_at_ms, updated_at_ms, revoked_at_ms`

func scanLicence(s scanner) (LicenceRow, error) {
	var r LicenceRow
	var scopes, regions, kinds string
	var from, until, created, updated int64
	var revoked sql.NullInt64
	if err := s.Scan(&r.ID, &r.Type, &r.Number, &r.Holder, &scopes, &regions, &kinds, &from, &until, &r.Note, &r.CreatedBy,
		&created, &updated, &revoked); err != nil {
		return r, err
	}
	r.Scopes, r.Regions, r.ProductKinds = splitIDs(scopes), splitIDs(regions), splitIDs(kinds)
	r.ValidFrom, r.ValidUntil, r.CreatedAt, r.UpdatedAt, r.RevokedAt = FromMs(from), FromMs(until), FromMs(created), FromMs(updated), FromNullMs(revoked)
	return r, nil
}

func (r LicenceRow) args() []any {
	return []any{r.ID, r.Type, r.Number, r.Holder, joinIDs(r.Scopes), joinIDs(r.Regions), joinIDs(r.ProductKinds),
		Ms(r.ValidFrom), Ms(r.ValidUntil), r.Note, r.CreatedBy, Ms(r.CreatedAt), Ms(r.UpdatedAt), NullMs(r.RevokedAt)}
}

// LicenceInsert adds a licence; a second licence with the same type and
// number fails with errs.ErrDuplicate.
func (tx *Tx) LicenceInsert(ctx context.Context, r LicenceRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO licence (`+licenceCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`, r.args()...)
	return err
}

// LicenceUpdate writes every mutable column of r (errs.ErrNotFound when
// there is no such licence).
func (tx *Tx) LicenceUpdate(ctx context.Context, r LicenceRow) error {
	a := r.args()
	n, err := tx.Exec(ctx, `UPDATE licence SET type = $2, number = $3, holder = $4, scopes = $5, regions = $6, product_kinds = $7,
 valid_from_ms = $8, valid_until_ms = $9, note = $10, updated_at_ms = $11, revoked_at_ms = $12 WHERE id = $1`,
		a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[12], a[13])
	if err == nil && n != 1 {
		return errorf("store.LicenceUpdate", errs.ErrNotFound)
	}
	return err
}

// LicenceGet reads one licence.
func LicenceGet(ctx context.Context, q Querier, id string) (LicenceRow, error) {
	return scanLicence(q.QueryRow(ctx, `SELECT `+licenceCols+` FROM licence WHERE id = $1`, id))
}

// Licences lists the register (revoked licences included), by type and
// number.
func Licences(ctx context.Context, q Querier) ([]LicenceRow, error) {
	rows, err := q.Query(ctx, licencesSQL)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out, err := scanLicences(rows)
	if err != nil {
		return nil, err
	}
	return out, rows.Err()
}

// licencesSQL is Licences' query, scanned by scanLicences.
const licencesSQL = `SELECT ` + licenceCols + ` FROM licence ORDER BY type, number LIMIT 1000`

func scanLicences(rows RowScanner) ([]LicenceRow, error) {
	var out []LicenceRow
	for rows.Next() {
		r, err := scanLicence(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
