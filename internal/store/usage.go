package store

import (
	"context"
	"database/sql"
	"strings"
	"sync"
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

// OrderServiceMeter is what refund eligibility needs of one service of an
// order to total its metered traffic: its kind, when its term started and
// the node that meters it ("" until one does). RefundContextOf reads them.
type OrderServiceMeter struct {
	ID, Kind, NodeID string
	StartsAt         time.Time
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
	if tx.amendWith("service:"+serviceID, func(a []any) { a[21], a[22], a[23] = m.NodeID, m.QuotaLevel, Ms(m.QuotaCycleStart) }) {
		return nil // its insert not sent yet (ServiceInsert) writes the meter
	}
	err := tx.Write(ctx, `UPDATE service SET node_id = $2, quota_level = $3, quota_cycle_start_ms = $4 WHERE id = $1`,
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

// maxSamplesPerInsert is the largest SQLite statement of SamplesInsert
// (512 rows, 4,608 parameters, under SQLite's 32,766).
const maxSamplesPerInsert = 512

// sampleColumns are usage_sample's columns in the order SamplesInsert
// binds them.
const sampleColumns = `service_id, interval_start_ms, interval_seconds, rx_bytes, tx_bytes, class, billed_bytes, node_id, received_at_ms`

// sqliteSampleInserts[k] inserts 2^k rows with anonymous ? parameters:
// SQLite resolves a named $n parameter by a linear search of the names
// when parsing and again when binding, so a statement's cost grows with
// the square of its $n parameters, while ? costs the same each. A batch
// goes in as statements of power-of-two sizes (1,000 rows: 512 + 256 +
// 128 + 64 + 32 + 8), so the few texts are prepared once and then served
// from each connection's statement cache (sqlite/stmtcache.go). plain has no RETURNING clause,
// returning does.
var sqliteSampleInserts = sync.OnceValue(func() (texts struct{ plain, returning []string }) {
	for n := 1; n <= maxSamplesPerInsert; n *= 2 {
		var q strings.Builder
		q.WriteString(`INSERT INTO usage_sample (` + sampleColumns + `) VALUES `)
		for i := range n {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?,?,?,?,?,?,?,?)")
		}
		q.WriteString(` ON CONFLICT (service_id, interval_start_ms) DO NOTHING`)
		texts.plain = append(texts.plain, q.String())
		texts.returning = append(texts.returning, q.String()+` RETURNING service_id, interval_start_ms`)
	}
	return texts
})

// postgresSamplesInsert inserts any number of rows in one statement from
// one array per column, in the arrays' order (WITH ORDINALITY … ORDER BY);
// postgresSamplesInsertReturning also returns which went in.
const (
	postgresSamplesInsert = `INSERT INTO usage_sample (` + sampleColumns + `)
 SELECT s, st, sec, rx, tx, cl, bb, nd, ra FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::text[],
 $7::bigint[], $8::text[], $9::bigint[]) WITH ORDINALITY AS u(s, st, sec, rx, tx, cl, bb, nd, ra, ord) ORDER BY ord
 ON CONFLICT (service_id, interval_start_ms) DO NOTHING`
	postgresSamplesInsertReturning = postgresSamplesInsert + ` RETURNING service_id, interval_start_ms`
)

// sampleKey is a sample's primary key.
type sampleKey struct {
	service string
	start   int64
}

// SamplesInsert stores samples with INSERT … ON CONFLICT DO NOTHING (one
// statement on PostgreSQL, statements of power-of-two sizes up to
// maxSamplesPerInsert rows on SQLite) and reports, per sample, whether it
// was inserted. A sample whose (service, interval start) exists — stored
// before, or earlier in rows — is not; the caller reads the stored one
// (SampleGet) to tell a duplicate from a conflict. Rows are inserted in
// order, so of two samples with the same key in rows the first is stored.
//
// Most batches are all new, so the rows go in without RETURNING (reading
// the returned rows back cost more than the inserts) inside a savepoint;
// only when fewer rows went in than were sent does it roll back to the
// savepoint and insert them again, returning which went in.
func (tx *Tx) SamplesInsert(ctx context.Context, rows []SampleRow) ([]bool, error) {
	inserted := make([]bool, len(rows))
	if len(rows) == 0 {
		return inserted, nil
	}
	if _, err := tx.Exec(ctx, `SAVEPOINT samples_insert`); err != nil {
		return nil, err
	}
	stored, err := tx.samplesInsert(ctx, rows, nil)
	if err != nil {
		return nil, err
	}
	if stored == int64(len(rows)) {
		for i := range inserted {
			inserted[i] = true
		}
		_, err := tx.Exec(ctx, `RELEASE SAVEPOINT samples_insert`)
		return inserted, err
	}
	for _, q := range []string{`ROLLBACK TO SAVEPOINT samples_insert`, `RELEASE SAVEPOINT samples_insert`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return nil, err
		}
	}
	if _, err := tx.samplesInsert(ctx, rows, inserted); err != nil {
		return nil, err
	}
	return inserted, nil
}

// samplesInsert inserts rows and returns how many went in; with inserted
// (as long as rows) it also marks which, with RETURNING.
func (tx *Tx) samplesInsert(ctx context.Context, rows []SampleRow, inserted []bool) (int64, error) {
	if tx.Engine() == Postgres {
		if inserted == nil {
			return tx.Exec(ctx, postgresSamplesInsert, samplesArrays(rows)...)
		}
		return 0, tx.samplesInsertChunk(ctx, postgresSamplesInsertReturning, samplesArrays(rows), rows, inserted)
	}
	texts := sqliteSampleInserts()
	var stored int64
	err := tx.sqliteSamplesChunks(rows, func(k, lo int, args []any) error {
		if inserted == nil {
			n, err := tx.Exec(ctx, texts.plain[k], args...)
			stored += n
			return err
		}
		return tx.samplesInsertChunk(ctx, texts.returning[k], args, rows[lo:lo+1<<k], inserted[lo:lo+1<<k])
	})
	return stored, err
}

// sqliteSamplesChunks cuts rows into chunks of power-of-two sizes, largest
// first, and calls run with each one's size exponent k, its first index
// and its arguments (valid during the call).
func (tx *Tx) sqliteSamplesChunks(rows []SampleRow, run func(k, lo int, args []any) error) error {
	args := make([]any, 0, 9*min(len(rows), maxSamplesPerInsert))
	for lo := 0; lo < len(rows); {
		k := 0
		for 1<<(k+1) <= min(len(rows)-lo, maxSamplesPerInsert) {
			k++
		}
		args = args[:0]
		for _, s := range rows[lo : lo+1<<k] {
			args = append(args, s.ServiceID, Ms(s.Start), s.Seconds, s.RxBytes, s.TxBytes, s.Class, s.BilledBytes, s.NodeID, Ms(s.ReceivedAt))
		}
		if err := run(k, lo, args); err != nil {
			return err
		}
		lo += 1 << k
	}
	return nil
}

// samplesArrays is rows as the nine column arrays of postgresSamplesInsert.
func samplesArrays(rows []SampleRow) []any {
	n := len(rows)
	svc, class, node := make([]string, n), make([]string, n), make([]string, n)
	start, secs, rx, txb, billed, recv := make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
	for i, s := range rows {
		svc[i], start[i], secs[i], rx[i], txb[i] = s.ServiceID, Ms(s.Start), s.Seconds, s.RxBytes, s.TxBytes
		class[i], billed[i], node[i], recv[i] = s.Class, s.BilledBytes, s.NodeID, Ms(s.ReceivedAt)
	}
	return []any{svc, start, secs, rx, txb, class, billed, node, recv}
}

// samplesInsertChunk runs one insert of chunk and marks in inserted (as
// long as chunk) the rows it returned.
func (tx *Tx) samplesInsertChunk(ctx context.Context, query string, args []any, chunk []SampleRow, inserted []bool) error {
	rs, err := tx.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	stored := make(map[sampleKey]bool, len(chunk))
	for rs.Next() {
		var k sampleKey
		if err := rs.Scan(&k.service, &k.start); err != nil {
			rs.Close()
			return err
		}
		stored[k] = true
	}
	if err := rs.Close(); err != nil {
		return err
	}
	if err := rs.Err(); err != nil {
		return err
	}
	for i, s := range chunk {
		k := sampleKey{s.ServiceID, Ms(s.Start)}
		if stored[k] {
			inserted[i] = true
			delete(stored, k) // a later sample with the same key was not inserted
		}
	}
	return nil
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
