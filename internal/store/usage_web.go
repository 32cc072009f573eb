package store

import (
	"context"
	"time"
)

// QuarantineRow is one refused sample kept with its reason.
type QuarantineRow struct {
	ID, ServiceID, Payload, Reason, NodeID string
	Start, ReceivedAt                      time.Time
}

// QuarantineRecent lists the latest quarantined samples, newest first
// (limit ≤ 0: 100).
func QuarantineRecent(ctx context.Context, q Querier, limit int) ([]QuarantineRow, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := q.Query(ctx, `SELECT id, service_id, interval_start_ms, payload, reason, node_id, received_at_ms FROM usage_quarantine
 ORDER BY received_at_ms DESC, id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QuarantineRow
	for rows.Next() {
		var r QuarantineRow
		var start, recv int64
		if err := rows.Scan(&r.ID, &r.ServiceID, &start, &r.Payload, &r.Reason, &r.NodeID, &recv); err != nil {
			return nil, err
		}
		r.Start, r.ReceivedAt = FromMs(start), FromMs(recv)
		out = append(out, r)
	}
	return out, rows.Err()
}

// NodeServiceCounts counts the services placed on each node that are not
// terminated, by node id.
func NodeServiceCounts(ctx context.Context, q Querier) (map[string]int, error) {
	rows, err := q.Query(ctx, `SELECT node_id, COUNT(*) FROM service WHERE node_id <> '' AND state <> 'terminated' GROUP BY node_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// ServicesOnNode lists the ids of a node's live (not terminated) services
// of an account ("" for every account), oldest first.
func ServicesOnNode(ctx context.Context, q Querier, nodeID, accountID string) ([]string, error) {
	query, args := `SELECT id FROM service WHERE node_id = $1 AND state <> 'terminated'`, []any{nodeID}
	if accountID != "" {
		query, args = query+` AND account_id = $2`, append(args, accountID)
	}
	rows, err := q.Query(ctx, query+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
