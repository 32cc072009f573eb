package store

import (
	"context"
	"database/sql"
	"time"
)

// KYCProfileRow is a customer's real-name verification state (kyc.State)
// and the submissions it points at.
type KYCProfileRow struct {
	AccountID            string
	State, Subject       string
	CurrentSubmissionID  string
	ApprovedSubmissionID string
	Reason, Note         string
	ClosedAt, PurgedAt   time.Time // zero: not closed, not purged
	UpdatedAt            time.Time
}

const kycProfileCols = `account_id, state, subject, current_submission_id, approved_submission_id, reason, note, closed_at_ms, purged_at_ms, updated_at_ms`

func scanKYCProfile(s scanner) (KYCProfileRow, error) {
	var r KYCProfileRow
	var closed, purged sql.NullInt64
	var upd int64
	if err := s.Scan(&r.AccountID, &r.State, &r.Subject, &r.CurrentSubmissionID, &r.ApprovedSubmissionID, &r.Reason, &r.Note, &closed, &purged, &upd); err != nil {
		return r, err
	}
	r.ClosedAt, r.PurgedAt, r.UpdatedAt = FromNullMs(closed), FromNullMs(purged), FromMs(upd)
	return r, nil
}

// KYCProfileGet reads a customer's profile; errs.ErrNotFound when the
// customer never submitted.
func KYCProfileGet(ctx context.Context, q Querier, accountID string) (KYCProfileRow, error) {
	return scanKYCProfile(q.QueryRow(ctx, kycProfileSQL, accountID))
}

// kycProfileSQL is KYCProfileGet's query ($1 the account).
const kycProfileSQL = `SELECT ` + kycProfileCols + ` FROM kyc_profile WHERE account_id = $1`

// KYCProfilePut inserts or replaces a profile. The caller read the profile
// in the same transaction and decided the move; the store does not judge it.
func (tx *Tx) KYCProfilePut(ctx context.Context, r KYCProfileRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO kyc_profile (`+kycProfileCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (account_id) DO UPDATE SET state = excluded.state, subject = excluded.subject,
 current_submission_id = excluded.current_submission_id, approved_submission_id = excluded.approved_submission_id,
 reason = excluded.reason, note = excluded.note, closed_at_ms = excluded.closed_at_ms, purged_at_ms = excluded.purged_at_ms,
 updated_at_ms = excluded.updated_at_ms`,
		r.AccountID, r.State, r.Subject, r.CurrentSubmissionID, r.ApprovedSubmissionID, r.Reason, r.Note, NullMs(r.ClosedAt), NullMs(r.PurgedAt), Ms(r.UpdatedAt))
	return err
}

// KYCProfilesClosedBefore lists the accounts whose profile was closed at or
// before cutoff and is not purged yet, oldest first, at most limit.
func KYCProfilesClosedBefore(ctx context.Context, q Querier, cutoff time.Time, limit int) ([]KYCProfileRow, error) {
	rows, err := q.Query(ctx, `SELECT `+kycProfileCols+` FROM kyc_profile WHERE closed_at_ms IS NOT NULL AND closed_at_ms <= $1 AND purged_at_ms IS NULL
ORDER BY closed_at_ms, account_id LIMIT $2`, Ms(cutoff), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KYCProfileRow
	for rows.Next() {
		r, err := scanKYCProfile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// KYCSubmissionRow is one submitted form. …Enc columns hold PII key-ring
// envelopes (raw bytes) that the store neither seals nor opens;
// IdentityIndex is the keyed blind index of the ID number or USCC.
type KYCSubmissionRow struct {
	ID, AccountID, Subject, Status string
	NameEnc                        []byte
	NameMasked, CompanyName        string
	IdentityEnc                    []byte
	IdentityMasked                 string
	IdentityIndex                  []byte
	PhoneEnc                       []byte
	PhoneMasked                    string
	LicenceEnc                     []byte // nil for individuals
	LicenceMIME                    string
	LicenceBytes                   int64
	LicenceSHA256                  string
	Warnings                       string // space-separated codes
	VerifierRef, Reason, Note      string
	DecidedBy                      string
	SubmittedAt, DecidedAt         time.Time
}

const kycSubmissionCols = `id, account_id, subject, status, name_enc, name_masked, company_name, identity_enc, identity_masked, identity_index,
 phone_enc, phone_masked, licence_enc, licence_mime, licence_bytes, licence_sha256, warnings, verifier_ref, reason, note, decided_by,
 submitted_at_ms, decided_at_ms`

// kycSubmissionListCols leave the licence file out: lists never need it.
const kycSubmissionListCols = `id, account_id, subject, status, name_enc, name_masked, company_name, identity_enc, identity_masked, identity_index,
 phone_enc, phone_masked, NULL, licence_mime, licence_bytes, licence_sha256, warnings, verifier_ref, reason, note, decided_by,
 submitted_at_ms, decided_at_ms`

func scanKYCSubmission(s scanner) (KYCSubmissionRow, error) {
	var r KYCSubmissionRow
	var sub int64
	var dec sql.NullInt64
	if err := s.Scan(&r.ID, &r.AccountID, &r.Subject, &r.Status, &r.NameEnc, &r.NameMasked, &r.CompanyName, &r.IdentityEnc, &r.IdentityMasked,
		&r.IdentityIndex, &r.PhoneEnc, &r.PhoneMasked, &r.LicenceEnc, &r.LicenceMIME, &r.LicenceBytes, &r.LicenceSHA256, &r.Warnings,
		&r.VerifierRef, &r.Reason, &r.Note, &r.DecidedBy, &sub, &dec); err != nil {
		return r, err
	}
	r.SubmittedAt, r.DecidedAt = FromMs(sub), FromNullMs(dec)
	return r, nil
}

// KYCSubmissionInsert stores a submission.
func (tx *Tx) KYCSubmissionInsert(ctx context.Context, r KYCSubmissionRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO kyc_submission (`+kycSubmissionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)`,
		r.ID, r.AccountID, r.Subject, r.Status, r.NameEnc, r.NameMasked, r.CompanyName, r.IdentityEnc, r.IdentityMasked, r.IdentityIndex,
		r.PhoneEnc, r.PhoneMasked, r.LicenceEnc, r.LicenceMIME, r.LicenceBytes, r.LicenceSHA256, r.Warnings, r.VerifierRef, r.Reason, r.Note,
		r.DecidedBy, Ms(r.SubmittedAt), NullMs(r.DecidedAt))
	return err
}

// KYCSubmissionGet reads a submission with its licence file.
func KYCSubmissionGet(ctx context.Context, q Querier, id string) (KYCSubmissionRow, error) {
	return scanKYCSubmission(q.QueryRow(ctx, `SELECT `+kycSubmissionCols+` FROM kyc_submission WHERE id = $1`, id))
}

func kycSubmissions(ctx context.Context, q Querier, query string, args ...any) ([]KYCSubmissionRow, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KYCSubmissionRow
	for rows.Next() {
		r, err := scanKYCSubmission(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// KYCSubmissionsOf lists a customer's submissions newest first, without
// their licence files.
func KYCSubmissionsOf(ctx context.Context, q Querier, accountID string) ([]KYCSubmissionRow, error) {
	return kycSubmissions(ctx, q, `SELECT `+kycSubmissionListCols+` FROM kyc_submission WHERE account_id = $1 ORDER BY submitted_at_ms DESC, id DESC`, accountID)
}

// KYCSubmissionsByStatus lists submissions in one status oldest first (the
// review queue), without their licence files, at most limit.
func KYCSubmissionsByStatus(ctx context.Context, q Querier, status string, limit int) ([]KYCSubmissionRow, error) {
	return kycSubmissions(ctx, q, `SELECT `+kycSubmissionListCols+` FROM kyc_submission WHERE status = $1 ORDER BY submitted_at_ms, id LIMIT $2`, status, limit)
}

// KYCSubmissionDecision is the outcome written onto a submission.
type KYCSubmissionDecision struct {
	Status, Reason, Note, DecidedBy, VerifierRef string
	DecidedAt                                    time.Time
}

// KYCSubmissionDecide moves a submission from status from to d.Status only
// if it is still in from: a decision is taken once, whoever races for it.
// ok=false means the submission was not in from (or does not exist).
func (tx *Tx) KYCSubmissionDecide(ctx context.Context, id, from string, d KYCSubmissionDecision) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE kyc_submission SET status = $1, reason = $2, note = $3, decided_by = $4, verifier_ref = $5, decided_at_ms = $6
WHERE id = $7 AND status = $8`, d.Status, d.Reason, d.Note, d.DecidedBy, d.VerifierRef, NullMs(d.DecidedAt), id, from)
	return n == 1, err
}

// KYCSealedIDs lists submission ids after the id after, in id order, at
// most limit: the key-rotation job walks the table with it.
func KYCSealedIDs(ctx context.Context, q Querier, after string, limit int) ([]string, error) {
	return strList(ctx, q, `SELECT id FROM kyc_submission WHERE id > $1 ORDER BY id LIMIT $2`, after, limit)
}

// KYCSubmissionReseal replaces the envelopes of a submission (key
// rotation). A nil LicenceEnc leaves the licence column as it is.
func (tx *Tx) KYCSubmissionReseal(ctx context.Context, r KYCSubmissionRow) error {
	_, err := tx.Exec(ctx, `UPDATE kyc_submission SET name_enc = $1, identity_enc = $2, phone_enc = $3, licence_enc = COALESCE($4, licence_enc) WHERE id = $5`,
		r.NameEnc, r.IdentityEnc, r.PhoneEnc, r.LicenceEnc, r.ID)
	return err
}

// KYCIdentityRow is one account's claim on a verified identity.
type KYCIdentityRow struct {
	Index                []byte
	AccountID            string
	LinkedBy, LinkReason string // "" for the verified holder
	CreatedAt            time.Time
}

// KYCIdentityClaim records that accountID holds (linkedBy "") or is linked
// to (linkedBy: the staff member) the identity. A claim the account holds
// already is kept as it is; a second holder is errs.ErrDuplicate.
func (tx *Tx) KYCIdentityClaim(ctx context.Context, r KYCIdentityRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO kyc_identity (identity_index, account_id, linked_by, link_reason, created_at_ms) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (identity_index, account_id) DO NOTHING`, r.Index, r.AccountID, r.LinkedBy, r.LinkReason, Ms(r.CreatedAt))
	return err
}

// KYCIdentityClaims lists every claim on an identity, holder first.
func KYCIdentityClaims(ctx context.Context, q Querier, index []byte) ([]KYCIdentityRow, error) {
	rows, err := q.Query(ctx, `SELECT identity_index, account_id, linked_by, link_reason, created_at_ms FROM kyc_identity WHERE identity_index = $1
ORDER BY linked_by, account_id`, index)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []KYCIdentityRow
	for rows.Next() {
		var r KYCIdentityRow
		var at int64
		if err := rows.Scan(&r.Index, &r.AccountID, &r.LinkedBy, &r.LinkReason, &at); err != nil {
			return nil, err
		}
		r.CreatedAt = FromMs(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// KYCIdentityRelease drops the identities accountID holds (not those it is
// linked to by staff) other than keep (nil: all of them).
func (tx *Tx) KYCIdentityRelease(ctx context.Context, accountID string, keep []byte) error {
	if keep == nil {
		keep = []byte{}
	}
	_, err := tx.Exec(ctx, `DELETE FROM kyc_identity WHERE account_id = $1 AND linked_by = '' AND identity_index <> $2`, accountID, keep)
	return err
}

// KYCPurge deletes a customer's submissions and identity claims and marks
// the profile purged at tx.Now (retention ended). It reports how many
// submissions it deleted.
func (tx *Tx) KYCPurge(ctx context.Context, accountID string) (int64, error) {
	n, err := tx.Exec(ctx, `DELETE FROM kyc_submission WHERE account_id = $1`, accountID)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM kyc_identity WHERE account_id = $1`, accountID); err != nil {
		return 0, err
	}
	_, err = tx.Exec(ctx, `UPDATE kyc_profile SET purged_at_ms = $1, current_submission_id = '', approved_submission_id = '', note = '', updated_at_ms = $1
WHERE account_id = $2`, Ms(tx.Now), accountID)
	return n, err
}
