package store

import (
	"context"
	"database/sql"
	"time"
)

// Webhooks (issue 11 item 4): endpoints of an account and the delivery
// log, an outbox written in the transaction of the event.

// WebhookEndpointRow is one endpoint.
type WebhookEndpointRow struct {
	ID, AccountID, URL, SecretEnc string
	Events                        []string // empty: every event
	Active                        bool
	CreatedAt, UpdatedAt          time.Time
}

const webhookEndpointCols = `id, account_id, url, secret_enc, events, active, created_at_ms, updated_at_ms`

func scanWebhookEndpoint(s scanner) (WebhookEndpointRow, error) {
	var r WebhookEndpointRow
	var events string
	var active, created, updated int64
	if err := s.Scan(&r.ID, &r.AccountID, &r.URL, &r.SecretEnc, &events, &active, &created, &updated); err != nil {
		return r, err
	}
	r.Events, r.Active, r.CreatedAt, r.UpdatedAt = parseList(events), active == 1, FromMs(created), FromMs(updated)
	return r, nil
}

// WebhookEndpointInsert stores a new endpoint.
func (tx *Tx) WebhookEndpointInsert(ctx context.Context, r WebhookEndpointRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO webhook_endpoint (`+webhookEndpointCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.ID, r.AccountID, r.URL, r.SecretEnc, jsonList(r.Events), boolInt(r.Active), Ms(r.CreatedAt), Ms(r.UpdatedAt))
	return err
}

// WebhookEndpointSetActive switches an endpoint on or off.
func (tx *Tx) WebhookEndpointSetActive(ctx context.Context, id string, active bool) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE webhook_endpoint SET active = $2, updated_at_ms = $3 WHERE id = $1`, id, boolInt(active), Ms(tx.Now))
	return n == 1, err
}

// WebhookEndpointGet reads one endpoint.
func WebhookEndpointGet(ctx context.Context, q Querier, id string) (WebhookEndpointRow, error) {
	r, err := scanWebhookEndpoint(q.QueryRow(ctx, `SELECT `+webhookEndpointCols+` FROM webhook_endpoint WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.WebhookEndpointGet", err)
	}
	return r, nil
}

// WebhookEndpoints lists an account's endpoints (activeOnly: those on).
func WebhookEndpoints(ctx context.Context, q Querier, accountID string, activeOnly bool) ([]WebhookEndpointRow, error) {
	query := `SELECT ` + webhookEndpointCols + ` FROM webhook_endpoint WHERE account_id = $1`
	if activeOnly {
		query += ` AND active = 1`
	}
	rows, err := q.Query(ctx, query+` ORDER BY created_at_ms, id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WebhookEndpointRow
	for rows.Next() {
		r, err := scanWebhookEndpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// WebhookDeliveryRow is one event for one endpoint and its delivery.
type WebhookDeliveryRow struct {
	ID, EndpointID, AccountID, EventID, EventType, Payload, State string
	Attempts                                                      int64
	NextAttemptAt, LeaseUntil                                     time.Time // wall time
	LastStatus                                                    int64
	LastError                                                     string
	CreatedAt, DeliveredAt                                        time.Time
}

const webhookDeliveryCols = `id, endpoint_id, account_id, event_id, event_type, payload, state, attempts, next_attempt_at_ms, lease_until_ms,
 last_status, last_error, created_at_ms, delivered_at_ms`

func scanWebhookDelivery(s scanner) (WebhookDeliveryRow, error) {
	var r WebhookDeliveryRow
	var next, lease, created int64
	var delivered sql.NullInt64
	if err := s.Scan(&r.ID, &r.EndpointID, &r.AccountID, &r.EventID, &r.EventType, &r.Payload, &r.State, &r.Attempts, &next, &lease,
		&r.LastStatus, &r.LastError, &created, &delivered); err != nil {
		return r, err
	}
	r.NextAttemptAt, r.LeaseUntil, r.CreatedAt, r.DeliveredAt = FromMs(next), FromMs(lease), FromMs(created), FromNullMs(delivered)
	return r, nil
}

// WebhookDeliveryInsert queues an event for an endpoint, once per
// (endpoint, event): a repeat is ignored.
func (tx *Tx) WebhookDeliveryInsert(ctx context.Context, r WebhookDeliveryRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO webhook_delivery (`+webhookDeliveryCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
 $12, $13, $14) ON CONFLICT DO NOTHING`, r.ID, r.EndpointID, r.AccountID, r.EventID, r.EventType, r.Payload, r.State, r.Attempts,
		Ms(r.NextAttemptAt), Ms(r.LeaseUntil), r.LastStatus, r.LastError, Ms(r.CreatedAt), NullMs(r.DeliveredAt))
	return err
}

// WebhookDeliveriesDue lists pending deliveries due at wall time now whose
// lease has run out, oldest first.
func WebhookDeliveriesDue(ctx context.Context, q Querier, now time.Time, limit int) ([]WebhookDeliveryRow, error) {
	rows, err := q.Query(ctx, `SELECT `+webhookDeliveryCols+` FROM webhook_delivery WHERE state = 'pending' AND next_attempt_at_ms <= $1
 AND lease_until_ms <= $1 ORDER BY next_attempt_at_ms LIMIT $2`, Ms(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WebhookDeliveryRow
	for rows.Next() {
		r, err := scanWebhookDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// WebhookDeliveryLease claims a due delivery until lease (wall time) so
// that one instance sends it: ok=false when another claimed it first.
func (tx *Tx) WebhookDeliveryLease(ctx context.Context, id string, now, lease time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE webhook_delivery SET lease_until_ms = $2, attempts = attempts + 1 WHERE id = $1 AND state = 'pending'
 AND next_attempt_at_ms <= $3 AND lease_until_ms <= $3`, id, Ms(lease), Ms(now))
	return n == 1, err
}

// WebhookDeliveryResult records an attempt's outcome: state delivered,
// pending (retry at next) or failed (no more retries).
func (tx *Tx) WebhookDeliveryResult(ctx context.Context, id, state string, status int64, lastErr string, next time.Time, deliveredAt time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE webhook_delivery SET state = $2, last_status = $3, last_error = $4, next_attempt_at_ms = $5,
 lease_until_ms = 0, delivered_at_ms = $6 WHERE id = $1`, id, state, status, lastErr, Ms(next), NullMs(deliveredAt))
	return err
}

// WebhookDeliveryRetry puts a failed delivery back in the queue now.
func (tx *Tx) WebhookDeliveryRetry(ctx context.Context, id string, now time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE webhook_delivery SET state = 'pending', next_attempt_at_ms = $2, lease_until_ms = 0 WHERE id = $1
 AND state = 'failed'`, id, Ms(now))
	return n == 1, err
}

// WebhookDeliveryGet reads one delivery.
func WebhookDeliveryGet(ctx context.Context, q Querier, id string) (WebhookDeliveryRow, error) {
	r, err := scanWebhookDelivery(q.QueryRow(ctx, `SELECT `+webhookDeliveryCols+` FROM webhook_delivery WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.WebhookDeliveryGet", err)
	}
	return r, nil
}

// WebhookDeliveries lists an account's deliveries ("" for every
// account's), newest first.
func WebhookDeliveries(ctx context.Context, q Querier, accountID string, limit int) ([]WebhookDeliveryRow, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	query, args := `SELECT `+webhookDeliveryCols+` FROM webhook_delivery`, []any{}
	if accountID != "" {
		query += ` WHERE account_id = $1`
		args = append(args, accountID)
	}
	args = append(args, limit)
	rows, err := q.Query(ctx, query+` ORDER BY created_at_ms DESC, id DESC LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []WebhookDeliveryRow
	for rows.Next() {
		r, err := scanWebhookDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
