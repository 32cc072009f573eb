package store

import "context"

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
	var out AccountAuthz
	rows, err := q.Query(ctx, `SELECT 'r', role, '', '', 0, '' FROM account_role WHERE account_id = $1
UNION ALL SELECT 's', scope, '', '', 0, '' FROM account_scope WHERE account_id = $1
UNION ALL SELECT 'm', flag, reason, case_ref, since_ms, account_id FROM standing_measure
 WHERE (account_id = $1 OR account_id = $2) AND lifted_at_ms IS NULL
ORDER BY 1, 2`, accountID, ownerID)
	if err != nil {
		return out, err
	}
	defer rows.Close()
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
	return out, rows.Err()
}
