package store

import (
	"context"
	"time"
)

// AcceptanceRow is one proof of acceptance: immutable once written (there
// is no update method).
type AcceptanceRow struct {
	ID, AccountID, VersionID, SHA256 string
	Acknowledged, Explained          []string // clause ids
	Occasion, OrderID                string
	At                               time.Time
	IPEnc, IPMasked, UserAgent       string
	Channel, ResellerID              string
}

// Acceptance occasions.
const (
	OccasionRegistration = "registration"
	OccasionReacceptance = "reacceptance"
	OccasionCheckout     = "checkout"
)

const acceptanceCols = `id, account_id, version_id, sha256, acknowledged, explained, occasion, order_id, accepted_at_ms,
 ip_enc, ip_masked, user_agent, channel, reseller_id`

func scanAcceptance(s scanner) (AcceptanceRow, error) {
	var r AcceptanceRow
	var ack, exp string
	var at int64
	if err := s.Scan(&r.ID, &r.AccountID, &r.VersionID, &r.SHA256, &ack, &exp, &r.Occasion, &r.OrderID, &at,
		&r.IPEnc, &r.IPMasked, &r.UserAgent, &r.Channel, &r.ResellerID); err != nil {
		return r, err
	}
	r.Acknowledged, r.Explained, r.At = splitIDs(ack), splitIDs(exp), FromMs(at)
	return r, nil
}

// AcceptanceInsert writes an acceptance record.
func (tx *Tx) AcceptanceInsert(ctx context.Context, r AcceptanceRow) error {
	err := tx.Write(ctx, `INSERT INTO agreement_acceptance (`+acceptanceCols+`) VALUES
 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.ID, r.AccountID, r.VersionID, r.SHA256, joinIDs(r.Acknowledged), joinIDs(r.Explained), r.Occasion, r.OrderID, Ms(r.At),
		r.IPEnc, r.IPMasked, r.UserAgent, r.Channel, r.ResellerID)
	return err
}

// AcceptanceFilter selects acceptance records; empty fields do not
// constrain. Before selects records accepted strictly before it.
type AcceptanceFilter struct {
	AccountID, VersionID, OrderID string
	Before                        time.Time
	Limit                         int // default and maximum 500
}

// Acceptances lists records matching f, newest first.
func Acceptances(ctx context.Context, q Querier, f AcceptanceFilter) ([]AcceptanceRow, error) {
	query := `SELECT ` + acceptanceCols + ` FROM agreement_acceptance WHERE 1 = 1`
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		query += " AND " + cond + itoa(len(args))
	}
	if f.AccountID != "" {
		add("account_id = $", f.AccountID)
	}
	if f.VersionID != "" {
		add("version_id = $", f.VersionID)
	}
	if f.OrderID != "" {
		add("order_id = $", f.OrderID)
	}
	if !f.Before.IsZero() {
		add("accepted_at_ms < $", Ms(f.Before))
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 500
	}
	args = append(args, f.Limit)
	query += " ORDER BY accepted_at_ms DESC, id DESC LIMIT $" + itoa(len(args))
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AcceptanceRow
	for rows.Next() {
		r, err := scanAcceptance(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AcceptanceLatestBefore returns the version id of the customer's latest
// acceptance strictly before at of a version that had taken effect by at
// (a scheduled version accepted early governs only once it is in force);
// ok is false when there is none.
//
// Every order records an acceptance, so a customer may have thousands, and
// the planner's statistics may think any customer has a few: with the
// version's test in the same scan, PostgreSQL read all of a customer's
// acceptances and sorted them (a generic plan estimating two rows, measured
// at 2,700 buffers a call after 3,400 checkouts). So the query takes only
// the latest acceptance, on the index on (account, accepted_at, id), whose
// one plan is to read one entry, and reports whether its version was in
// force; the rare acceptance of a version not yet in force (accepted
// early) is stepped over to the one before it.
func AcceptanceLatestBefore(ctx context.Context, q Querier, accountID string, at time.Time) (versionID string, ok bool, err error) {
	query, args := acceptanceLatest, []any{accountID, Ms(at)}
	for {
		var acceptedAt int64
		var id string
		var inForce bool
		versionID, acceptedAt, id, inForce, err = scanAcceptanceLatest(q.QueryRow(ctx, query, args...))
		if IsNotFound(err) {
			return "", false, nil
		}
		if err != nil {
			return "", false, err
		}
		if inForce {
			return versionID, true, nil
		}
		query, args = acceptanceLatestOlder, []any{accountID, Ms(at), acceptedAt, id}
	}
}

// scanAcceptanceLatest scans a row of acceptanceLatest (or ...Older).
func scanAcceptanceLatest(s scanner) (versionID string, acceptedAt int64, id string, inForce bool, err error) {
	err = s.Scan(&versionID, &acceptedAt, &id, &inForce)
	return versionID, acceptedAt, id, inForce, err
}

// acceptanceLatest is AcceptanceLatestBefore's query; acceptanceLatestOlder
// steps over the acceptance at ($3, $4) and those after it.
const (
	acceptanceLatestHead = `SELECT x.version_id, x.accepted_at_ms, x.id,
 COALESCE((SELECT v.effective_at_ms <= $2 AND v.state IN ('effective', 'superseded') FROM agreement_version v WHERE v.id = x.version_id), FALSE)
 FROM (SELECT a.version_id, a.accepted_at_ms, a.id FROM agreement_acceptance a WHERE a.account_id = $1 AND a.accepted_at_ms < $2`
	acceptanceLatestTail  = ` ORDER BY a.accepted_at_ms DESC, a.id DESC LIMIT 1) x`
	acceptanceLatest      = acceptanceLatestHead + acceptanceLatestTail
	acceptanceLatestOlder = acceptanceLatestHead + ` AND (a.accepted_at_ms < $3 OR (a.accepted_at_ms = $3 AND a.id < $4))` + acceptanceLatestTail
)
