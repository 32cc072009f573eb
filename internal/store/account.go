package store

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"yuanxu/internal/errs"
)

// Querier is what both a transaction and the reader pool offer; read
// helpers take it so that a use case can read inside its transaction or,
// for a read-only request, on the reader pool.
type Querier interface {
	QueryRow(ctx context.Context, query string, args ...any) *Row
	Query(ctx context.Context, query string, args ...any) (*Rows, error)
}

// AccountRow is one row of the account table. Sealed values (…Enc) are
// base64 envelopes of the PII key ring and indexes are hex blind indexes;
// the store neither seals nor opens them. An empty string is stored as
// NULL for the nullable columns, so that the UNIQUE blind indexes admit
// any number of accounts without an email or phone.
type AccountRow struct {
	ID, Kind, State, OwnerID, ResellerID string
	DisplayName, EnterpriseName, USCC    string // USCC: sealed, as declared at registration
	EmailEnc, EmailIndex, EmailMasked    string
	EmailVerifiedAt                      time.Time
	PhoneEnc, PhoneIndex, PhoneMasked    string
	PhoneVerifiedAt                      time.Time
	PasswordHash                         string
	PasswordChangedAt                    time.Time
	TOTPSecretEnc, TOTPPendingEnc        string
	TOTPLastStep                         int64
	TOTPEnabledAt                        time.Time
	Lang                                 string
	MarketingOptOut                      bool
	AgreementVersion                     string
	AgreementAcceptedAt                  time.Time
	AgreementIPEnc                       string
	DisabledReason                       string
	CreatedAt, UpdatedAt                 time.Time
}

const accountCols = `id, kind, state, owner_id, reseller_id, display_name, enterprise_name, uscc,
 email_enc, email_index, email_masked, email_verified_at_ms, phone_enc, phone_index, phone_masked, phone_verified_at_ms,
 password_hash, password_changed_at_ms, totp_secret_enc, totp_pending_enc, totp_last_step, totp_enabled_at_ms,
 lang, marketing_opt_out, agreement_version, agreement_accepted_at_ms, agreement_ip_enc, disabled_reason, created_at_ms, updated_at_ms`

func nullStr(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (r AccountRow) args() []any {
	return []any{r.ID, r.Kind, r.State, r.OwnerID, r.ResellerID, r.DisplayName, r.EnterpriseName, r.USCC,
		nullStr(r.EmailEnc), nullStr(r.EmailIndex), r.EmailMasked, NullMs(r.EmailVerifiedAt),
		nullStr(r.PhoneEnc), nullStr(r.PhoneIndex), r.PhoneMasked, NullMs(r.PhoneVerifiedAt),
		r.PasswordHash, NullMs(r.PasswordChangedAt), nullStr(r.TOTPSecretEnc), nullStr(r.TOTPPendingEnc), r.TOTPLastStep, NullMs(r.TOTPEnabledAt),
		r.Lang, boolInt(r.MarketingOptOut), r.AgreementVersion, NullMs(r.AgreementAcceptedAt), nullStr(r.AgreementIPEnc), r.DisabledReason,
		Ms(r.CreatedAt), Ms(r.UpdatedAt)}
}

func scanAccount(s scanner) (AccountRow, error) {
	var r AccountRow
	var eEnc, eIdx, pEnc, pIdx, tSec, tPend, agIP sql.NullString
	var eVer, pVer, pwAt, tEn, agAt sql.NullInt64
	var opt, created, updated int64
	err := s.Scan(&r.ID, &r.Kind, &r.State, &r.OwnerID, &r.ResellerID, &r.DisplayName, &r.EnterpriseName, &r.USCC,
		&eEnc, &eIdx, &r.EmailMasked, &eVer, &pEnc, &pIdx, &r.PhoneMasked, &pVer,
		&r.PasswordHash, &pwAt, &tSec, &tPend, &r.TOTPLastStep, &tEn,
		&r.Lang, &opt, &r.AgreementVersion, &agAt, &agIP, &r.DisabledReason, &created, &updated)
	if err != nil {
		return r, err
	}
	r.EmailEnc, r.EmailIndex, r.PhoneEnc, r.PhoneIndex = eEnc.String, eIdx.String, pEnc.String, pIdx.String
	r.TOTPSecretEnc, r.TOTPPendingEnc, r.AgreementIPEnc = tSec.String, tPend.String, agIP.String
	r.EmailVerifiedAt, r.PhoneVerifiedAt, r.PasswordChangedAt = FromNullMs(eVer), FromNullMs(pVer), FromNullMs(pwAt)
	r.TOTPEnabledAt, r.AgreementAcceptedAt = FromNullMs(tEn), FromNullMs(agAt)
	r.MarketingOptOut = opt != 0
	r.CreatedAt, r.UpdatedAt = FromMs(created), FromMs(updated)
	return r, nil
}

// AccountInsert writes a new account. A taken email or phone blind index
// fails with errs.ErrDuplicate (the app checks first to name the field;
// the constraint is what holds under concurrency).
func (tx *Tx) AccountInsert(ctx context.Context, r AccountRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO account (`+accountCols+`) VALUES
 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30)`, r.args()...)
	return err
}

// AccountUpdate writes every mutable column of r (all but id, kind and
// created_at). The caller read the row in the same transaction; updates
// that must not race (the TOTP step) use their own conditional method.
func (tx *Tx) AccountUpdate(ctx context.Context, r AccountRow) error {
	a := r.args()
	n, err := tx.Exec(ctx, `UPDATE account SET state = $3, owner_id = $4, reseller_id = $5, display_name = $6, enterprise_name = $7, uscc = $8,
 email_enc = $9, email_index = $10, email_masked = $11, email_verified_at_ms = $12, phone_enc = $13, phone_index = $14, phone_masked = $15,
 phone_verified_at_ms = $16, password_hash = $17, password_changed_at_ms = $18, totp_secret_enc = $19, totp_pending_enc = $20,
 totp_last_step = $21, totp_enabled_at_ms = $22, lang = $23, marketing_opt_out = $24, agreement_version = $25,
 agreement_accepted_at_ms = $26, agreement_ip_enc = $27, disabled_reason = $28, updated_at_ms = $29
 WHERE id = $1 AND kind = $2`, append(a[:28:28], a[29])...)
	if err == nil && n != 1 {
		return errorf("store.AccountUpdate", errs.ErrNotFound)
	}
	return err
}

// AccountTOTPAdvance stores step as the account's last used TOTP step, only
// if it is still old: of two logins with one code, one wins (ok=false for
// the other).
func (tx *Tx) AccountTOTPAdvance(ctx context.Context, accountID string, old, step int64) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE account SET totp_last_step = $1 WHERE id = $2 AND totp_last_step = $3`, step, accountID, old)
	return n == 1, err
}

// AccountGet reads an account by id (errs.ErrNotFound when absent).
func AccountGet(ctx context.Context, q Querier, id string) (AccountRow, error) {
	return scanAccount(q.QueryRow(ctx, `SELECT `+accountCols+` FROM account WHERE id = $1`, id))
}

// AccountByIndex reads the account whose email (column "email") or phone
// (column "phone") blind index is idx.
func AccountByIndex(ctx context.Context, q Querier, column, idx string) (AccountRow, error) {
	col := "email_index"
	if column == "phone" {
		col = "phone_index"
	}
	return scanAccount(q.QueryRow(ctx, `SELECT `+accountCols+` FROM account WHERE `+col+` = $1`, idx))
}

// AccountFilter selects accounts for lists and the console search. Exactly
// the set fields constrain; results are in id order after Cursor.
type AccountFilter struct {
	Kinds      []string
	NotKind    string
	OwnerID    string
	ResellerID string // customers this reseller onboarded
	ID         string
	EmailIndex string
	PhoneIndex string
	NamePrefix string
	Cursor     string
	Limit      int
}

// AccountList lists accounts matching f.
func AccountList(ctx context.Context, q Querier, f AccountFilter) ([]AccountRow, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if len(f.Kinds) > 0 {
		var ph []string
		for _, k := range f.Kinds {
			args = append(args, k)
			ph = append(ph, "$"+itoa(len(args)))
		}
		where = append(where, "kind IN ("+strings.Join(ph, ", ")+")")
	}
	if f.NotKind != "" {
		add("kind <> ?", f.NotKind)
	}
	if f.OwnerID != "" {
		add("owner_id = ?", f.OwnerID)
	}
	if f.ResellerID != "" {
		add("reseller_id = ?", f.ResellerID)
	}
	if f.ID != "" {
		add("id = ?", f.ID)
	}
	if f.EmailIndex != "" {
		add("email_index = ?", f.EmailIndex)
	}
	if f.PhoneIndex != "" {
		add("phone_index = ?", f.PhoneIndex)
	}
	if f.NamePrefix != "" {
		add("display_name >= ?", f.NamePrefix)
		add("display_name < ?", f.NamePrefix+"\U0010FFFF")
	}
	if f.Cursor != "" {
		add("id > ?", f.Cursor)
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	query := `SELECT ` + accountCols + ` FROM account`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, f.Limit)
	query += " ORDER BY id LIMIT $" + itoa(len(args))
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AccountRow
	for rows.Next() {
		r, err := scanAccount(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// AccountRolesSet replaces the roles of an account.
func (tx *Tx) AccountRolesSet(ctx context.Context, accountID string, roles []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM account_role WHERE account_id = $1`, accountID); err != nil {
		return err
	}
	for _, r := range roles {
		if _, err := tx.Exec(ctx, `INSERT INTO account_role (account_id, role, created_at_ms) VALUES ($1, $2, $3)`, accountID, r, Ms(tx.Now)); err != nil {
			return err
		}
	}
	return nil
}

// AccountScopesSet replaces the scopes of a sub-user.
func (tx *Tx) AccountScopesSet(ctx context.Context, accountID string, scopes []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM account_scope WHERE account_id = $1`, accountID); err != nil {
		return err
	}
	for _, s := range scopes {
		if _, err := tx.Exec(ctx, `INSERT INTO account_scope (account_id, scope, created_at_ms) VALUES ($1, $2, $3)`, accountID, s, Ms(tx.Now)); err != nil {
			return err
		}
	}
	return nil
}

func strList(ctx context.Context, q Querier, query string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, query, args...)
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

// AccountRoles lists an account's roles, sorted.
func AccountRoles(ctx context.Context, q Querier, accountID string) ([]string, error) {
	return strList(ctx, q, `SELECT role FROM account_role WHERE account_id = $1 ORDER BY role`, accountID)
}

// AccountScopes lists a sub-user's scopes, sorted.
func AccountScopes(ctx context.Context, q Querier, accountID string) ([]string, error) {
	return strList(ctx, q, `SELECT scope FROM account_scope WHERE account_id = $1 ORDER BY scope`, accountID)
}

// MeasureRow is one standing measure, in force while LiftedAt is zero.
type MeasureRow struct {
	ID, AccountID, Flag, Reason, CaseRef, ImposedBy string
	Since                                           time.Time
	LiftedAt                                        time.Time
	LiftedBy, LiftReason                            string
}

// MeasureInsert records a measure. A second measure in force with the same
// flag fails with errs.ErrDuplicate.
func (tx *Tx) MeasureInsert(ctx context.Context, m MeasureRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO standing_measure (id, account_id, flag, reason, case_ref, imposed_by, since_ms, lifted_by, lift_reason)
VALUES ($1, $2, $3, $4, $5, $6, $7, '', '')`, m.ID, m.AccountID, m.Flag, m.Reason, m.CaseRef, m.ImposedBy, Ms(m.Since))
	return err
}

// MeasureLift lifts the measure in force with flag; ok=false when none is.
func (tx *Tx) MeasureLift(ctx context.Context, accountID, flag, by, reason string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE standing_measure SET lifted_at_ms = $1, lifted_by = $2, lift_reason = $3
WHERE account_id = $4 AND flag = $5 AND lifted_at_ms IS NULL`, Ms(tx.Now), by, reason, accountID, flag)
	return n == 1, err
}

// Measures lists an account's measures, newest first; inForce keeps only
// those not lifted.
func Measures(ctx context.Context, q Querier, accountID string, inForce bool) ([]MeasureRow, error) {
	query := `SELECT id, account_id, flag, reason, case_ref, imposed_by, since_ms, lifted_at_ms, lifted_by, lift_reason FROM standing_measure WHERE account_id = $1`
	if inForce {
		query += ` AND lifted_at_ms IS NULL`
	}
	rows, err := q.Query(ctx, query+` ORDER BY since_ms DESC, id DESC`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MeasureRow
	for rows.Next() {
		var m MeasureRow
		var since int64
		var lifted sql.NullInt64
		if err := rows.Scan(&m.ID, &m.AccountID, &m.Flag, &m.Reason, &m.CaseRef, &m.ImposedBy, &since, &lifted, &m.LiftedBy, &m.LiftReason); err != nil {
			return nil, err
		}
		m.Since, m.LiftedAt = FromMs(since), FromNullMs(lifted)
		out = append(out, m)
	}
	return out, rows.Err()
}
