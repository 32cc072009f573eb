package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// NodeRow is a node that reports usage.
type NodeRow struct {
	ID, Name, Region, TokenHash string
	Kind                        string // server, vpn, cdn (issue 13); "" reads as server
	Sandbox                     bool
	CreatedAt, DisabledAt       time.Time
}

// NodePut inserts a node (or does nothing when its id exists).
func (tx *Tx) NodePut(ctx context.Context, n NodeRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO node (id, name, region, token_hash, sandbox, created_at_ms, disabled_at_ms, kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
 ON CONFLICT (id) DO NOTHING`, n.ID, n.Name, n.Region, n.TokenHash, b2i(n.Sandbox), Ms(n.CreatedAt), NullMs(n.DisabledAt), nodeKind(n.Kind))
	return err
}

// NodeSetToken replaces a node's token hash.
func (tx *Tx) NodeSetToken(ctx context.Context, id, tokenHash string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE node SET token_hash = $2 WHERE id = $1`, id, tokenHash)
	return n == 1, err
}

func scanNode(s scanner) (NodeRow, error) {
	var n NodeRow
	var sb, created int64
	var disabled sql.NullInt64
	err := s.Scan(&n.ID, &n.Name, &n.Region, &n.TokenHash, &sb, &created, &disabled, &n.Kind)
	n.Sandbox, n.CreatedAt, n.DisabledAt = sb == 1, FromMs(created), FromNullMs(disabled)
	return n, err
}

// NodeByToken finds the enabled node with a token hash.
func NodeByToken(ctx context.Context, q Querier, tokenHash string) (NodeRow, error) {
	n, err := scanNode(q.QueryRow(ctx, `SELECT id, name, region, token_hash, sandbox, created_at_ms, disabled_at_ms, kind FROM node
 WHERE token_hash = $1 AND token_hash <> '' AND disabled_at_ms IS NULL`, tokenHash))
	if err != nil {
		return n, errorf("store.NodeByToken", err)
	}
	return n, nil
}

// Nodes lists every node.
func Nodes(ctx context.Context, q Querier) ([]NodeRow, error) {
	rows, err := q.Query(ctx, `SELECT id, name, region, token_hash, sandbox, created_at_ms, disabled_at_ms, kind FROM node ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []NodeRow
	for rows.Next() {
		n, err := scanNode(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// ServiceMeter is what metering reads and writes on a service row.
type ServiceMeter struct {
	NodeID          string
	QuotaLevel      int
	QuotaCycleStart time.Time
}

// ServiceMeterGet reads a service's node and quota alert state.
func ServiceMeterGet(ctx context.Context, q Querier, serviceID string) (ServiceMeter, error) {
	var m ServiceMeter
	var start int64
	err := q.QueryRow(ctx, `SELECT node_id, quota_level, quota_cycle_start_ms FROM service WHERE id = $1`, serviceID).Scan(&m.NodeID, &m.QuotaLevel, &start)
	m.QuotaCycleStart = FromMs(start)
	return m, err
}

// ServiceMeterSet writes a service's node and quota alert state.
func (tx *Tx) ServiceMeterSet(ctx context.Context, serviceID string, m ServiceMeter) error {
	_, err := tx.Exec(ctx, `UPDATE service SET node_id = $2, quota_level = $3, quota_cycle_start_ms = $4 WHERE id = $1`,
		serviceID, m.NodeID, m.QuotaLevel, Ms(m.QuotaCycleStart))
	return err
}

// SampleRow is one stored sample.
type SampleRow struct {
	ServiceID                     string
	Start                         time.Time
	Seconds                       int64
	RxBytes, TxBytes, BilledBytes int64
	Class, NodeID                 string
	ReceivedAt                    time.Time
}

// samplesPerInsert bounds the rows of one INSERT statement: SQLite names
// $n parameters and resolves each by a linear lookup while parsing, so a
// statement's parse time grows with the square of its parameters.
const samplesPerInsert = 50

// SamplesInsert stores samples with one multi-row INSERT … ON CONFLICT DO
// NOTHING per samplesPerInsert rows and reports, per sample, whether it
// was inserted. A sample whose (service, interval start) exists — stored
// before, or earlier in rows — is not; the caller reads the stored one
// (SampleGet) to tell a duplicate from a conflict. Rows are inserted in
// order, so of two samples with the same key in rows the first is stored.
func (tx *Tx) SamplesInsert(ctx context.Context, rows []SampleRow) ([]bool, error) {
	inserted := make([]bool, len(rows))
	type key struct {
		service string
		start   int64
	}
	for lo := 0; lo < len(rows); lo += samplesPerInsert {
		chunk := rows[lo:min(lo+samplesPerInsert, len(rows))]
		var q strings.Builder
		q.WriteString(`INSERT INTO usage_sample (service_id, interval_start_ms, interval_seconds, rx_bytes, tx_bytes, class, billed_bytes, node_id,
 received_at_ms) VALUES `)
		args := make([]any, 0, len(chunk)*9)
		for i, s := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			b := i * 9
			fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", b+1, b+2, b+3, b+4, b+5, b+6, b+7, b+8, b+9)
			args = append(args, s.ServiceID, Ms(s.Start), s.Seconds, s.RxBytes, s.TxBytes, s.Class, s.BilledBytes, s.NodeID, Ms(s.ReceivedAt))
		}
		q.WriteString(` ON CONFLICT (service_id, interval_start_ms) DO NOTHING RETURNING service_id, interval_start_ms`)
		rs, err := tx.Query(ctx, q.String(), args...)
		if err != nil {
			return nil, err
		}
		stored := map[key]bool{}
		for rs.Next() {
			var k key
			if err := rs.Scan(&k.service, &k.start); err != nil {
				rs.Close()
				return nil, err
			}
			stored[k] = true
		}
		if err := rs.Close(); err != nil {
			return nil, err
		}
		if err := rs.Err(); err != nil {
			return nil, err
		}
		for i, s := range chunk {
			k := key{s.ServiceID, Ms(s.Start)}
			if stored[k] {
				inserted[lo+i] = true
				delete(stored, k) // a later sample with the same key was not inserted
			}
		}
	}
	return inserted, nil
}

// SampleGet reads the stored sample of a service at an interval start.
func SampleGet(ctx context.Context, q Querier, serviceID string, start time.Time) (SampleRow, error) {
	var s SampleRow
	var startMs, recv int64
	err := q.QueryRow(ctx, `SELECT service_id, interval_start_ms, interval_seconds, rx_bytes, tx_bytes, class, billed_bytes, node_id, received_at_ms
 FROM usage_sample WHERE service_id = $1 AND interval_start_ms = $2`, serviceID, Ms(start)).Scan(&s.ServiceID, &startMs,
		&s.Seconds, &s.RxBytes, &s.TxBytes, &s.Class, &s.BilledBytes, &s.NodeID, &recv)
	s.Start, s.ReceivedAt = FromMs(startMs), FromMs(recv)
	return s, err
}

// QuarantineInsert keeps a refused sample with its reason.
func (tx *Tx) QuarantineInsert(ctx context.Context, id, serviceID string, start time.Time, payload, reason, nodeID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO usage_quarantine (id, service_id, interval_start_ms, payload, reason, node_id, received_at_ms)
 VALUES ($1, $2, $3, $4, $5, $6, $7)`, id, serviceID, Ms(start), payload, reason, nodeID, Ms(tx.Now))
	return err
}

// HourAdd adds billed bytes to a service's hour.
func (tx *Tx) HourAdd(ctx context.Context, serviceID string, hour time.Time, billed int64) error {
	if billed == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO usage_hour (service_id, hour_ms, billed_bytes) VALUES ($1, $2, $3)
 ON CONFLICT (service_id, hour_ms) DO UPDATE SET billed_bytes = usage_hour.billed_bytes + excluded.billed_bytes`, serviceID, Ms(hour), billed)
	return err
}

// HoursSum sums billed bytes of whole hours in [from, to).
func HoursSum(ctx context.Context, q Querier, serviceID string, from, to time.Time) (int64, error) {
	var n int64
	err := q.QueryRow(ctx, `SELECT COALESCE(SUM(billed_bytes), 0) FROM usage_hour WHERE service_id = $1 AND hour_ms >= $2 AND hour_ms < $3`,
		serviceID, Ms(from), Ms(to)).Scan(&n)
	return n, err
}

// Hours lists a service's hourly billed bytes in [from, to).
func Hours(ctx context.Context, q Querier, serviceID string, from, to time.Time) (map[time.Time]int64, error) {
	rows, err := q.Query(ctx, `SELECT hour_ms, billed_bytes FROM usage_hour WHERE service_id = $1 AND hour_ms >= $2 AND hour_ms < $3`, serviceID, Ms(from), Ms(to))
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

// SamplesOverlapping lists a service's samples whose interval overlaps
// [from, to) (an interval lasts at most a day).
func SamplesOverlapping(ctx context.Context, q Querier, serviceID string, from, to time.Time) ([]SampleRow, error) {
	rows, err := q.Query(ctx, `SELECT service_id, interval_start_ms, interval_seconds, rx_bytes, tx_bytes, class, billed_bytes, node_id, received_at_ms
 FROM usage_sample WHERE service_id = $1 AND interval_start_ms < $3 AND interval_start_ms >= $2 ORDER BY interval_start_ms`,
		serviceID, Ms(from.Add(-24*time.Hour)), Ms(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SampleRow
	for rows.Next() {
		var s SampleRow
		var start, recv int64
		if err := rows.Scan(&s.ServiceID, &start, &s.Seconds, &s.RxBytes, &s.TxBytes, &s.Class, &s.BilledBytes, &s.NodeID, &recv); err != nil {
			return nil, err
		}
		s.Start, s.ReceivedAt = FromMs(start), FromMs(recv)
		if s.Start.Add(time.Duration(s.Seconds) * time.Second).After(from) {
			out = append(out, s)
		}
	}
	return out, rows.Err()
}

// QuarantineCount counts a service's quarantined samples.
func QuarantineCount(ctx context.Context, q Querier, serviceID string) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM usage_quarantine WHERE service_id = $1`, serviceID).Scan(&n)
	return n, err
}
