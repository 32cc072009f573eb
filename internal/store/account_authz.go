package store

import (
	"context"

	"yuanxu/internal/errs"
)

// AccountAuthz is what authorisation needs of an account beyond its row:
// its roles and scopes (sorted) and the standing measures in force on it
// and on its enterprise, read in one statement (issue 19: every
// authenticated request read them in three or four).
type AccountAuthz struct {
	Roles, Scopes []string
	// Own and Owner are the measures in force (lifted_at_ms IS NULL) on the
	// account and on ownerID. Only AccountID, Flag, Reason, CaseRef and
	// Since are read: what a standing is made of.
	Own, Owner []MeasureRow
}

// AccountAuthzOf reads accountID's roles, scopes and measures in force,
// and ownerID's measures in force when ownerID is not "" — the same rows as
// AccountRoles, AccountScopes and Measures(…, true) of each, in one
// statement.
func AccountAuthzOf(ctx context.Context, q Querier, accountID, ownerID string) (AccountAuthz, error) {
	rows, err := q.Query(ctx, `SELECT 'r', role, '', '', 0, '' FROM account_role WHERE account_id = $1
UNION ALL SELECT 's', scope, '', '', 0, '' FROM account_scope WHERE account_id = $1
UNION ALL SELECT 'm', flag, reason, case_ref, since_ms, account_id FROM standing_measure
 WHERE (account_id = $1 OR account_id = $2) AND lifted_at_ms IS NULL
ORDER BY 1, 2`, accountID, ownerID)
	if err != nil {
		return AccountAuthz{}, err
	}
	defer rows.Close()
	return scanAuthz(rows, accountID, ownerID)
}

// scanAuthz reads AccountAuthzOf's rows for accountID and ownerID.
func scanAuthz(rows RowScanner, accountID, ownerID string) (AccountAuthz, error) {
	var out AccountAuthz
	for rows.Next() {
		var kind, a, reason, caseRef, acc string
		var since int64
		if err := rows.Scan(&kind, &a, &reason, &caseRef, &since, &acc); err != nil {
			return out, err
		}
		switch kind {
		case "r":
			out.Roles = append(out.Roles, a)
		case "s":
			out.Scopes = append(out.Scopes, a)
		case "m":
			m := MeasureRow{AccountID: acc, Flag: a, Reason: reason, CaseRef: caseRef, Since: FromMs(since)}
			if acc == accountID {
				out.Own = append(out.Own, m)
			} else if ownerID != "" {
				out.Owner = append(out.Owner, m)
			}
		}
	}
	return out, nil
}

// AuthzOwner is the account whose measures also bind row (AccountAuthzOf's
// ownerID): a sub-user's enterprise, "" for any other account.
func AuthzOwner(row AccountRow) string {
	if row.Kind == "sub_user" && row.OwnerID != "" {
		return row.OwnerID
	}
	return ""
}

// SessionAuthz reads the session whose token hashes to h, its account
// and the account's AccountAuthzOf (its owner's measures for a sub-user,
// AuthzOwner) — authentication's reads, on every authenticated request —
// in one round trip on PostgreSQL (DB.ReadTogether): the authorisation is
// read by the token, so that it waits for no answer. errs.ErrNotFound
// when the session or its account is missing.
func SessionAuthz(ctx context.Context, db *DB, h string) (SessionRow, AccountRow, AccountAuthz, error) {
	var sess SessionRow
	var acc AccountRow
	var az AccountAuthz
	found := false
	err := db.ReadTogether(ctx, Read{
		SQL: `SELECT ` + qualified(sessionCols, "s") + `, ` + qualified(accountCols, "a") + `
 FROM account_session s JOIN account a ON a.id = s.account_id WHERE s.token_hash = $1`,
		Args: []any{h},
		Scan: func(rows RowScanner) error {
			if !rows.Next() {
				return nil
			}
			var err error
			sess, acc, err = scanSessionAccount(rows)
			found = err == nil
			return err
		},
	}, Read{
		SQL: `WITH acc AS (SELECT a.id, CASE WHEN a.kind = 'sub_user' THEN a.owner_id ELSE '' END AS owner
 FROM account_session s JOIN account a ON a.id = s.account_id WHERE s.token_hash = $1)
SELECT 'r', role, '', '', 0, '' FROM account_role WHERE account_id = (SELECT id FROM acc)
UNION ALL SELECT 's', scope, '', '', 0, '' FROM account_scope WHERE account_id = (SELECT id FROM acc)
UNION ALL SELECT 'm', flag, reason, case_ref, since_ms, account_id FROM standing_measure
 WHERE account_id IN (SELECT id FROM acc UNION ALL SELECT owner FROM acc) AND lifted_at_ms IS NULL
ORDER BY 1, 2`,
		Args: []any{h},
		Scan: func(rows RowScanner) error {
			var err error
			az, err = scanAuthz(rows, acc.ID, AuthzOwner(acc))
			return err
		},
	})
	if err == nil && !found {
		err = errs.ErrNotFound
	}
	return sess, acc, az, err
}
