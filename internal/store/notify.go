package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Notification is one row of the outbox: what to say (event, sealed
// variables, language) to whom (account) about what (subject).
type Notification struct {
	ID          string
	Event       string
	Category    string
	Lang        string
	AccountID   string
	SubjectType string
	SubjectID   string
	Vars        []byte // sealed by the caller
	CreatedAt   time.Time
}

// Delivery is one channel of a notification and its delivery log.
// Times other than NextAttemptAt and LeaseUntil (wall time) are business
// time.
type Delivery struct {
	ID                string
	NotificationID    string
	Channel           string
	Address           []byte // sealed; nil for inapp
	AddressIndex      []byte
	AddressMasked     string
	Status            string
	Attempts          int
	Provider          string
	ProviderMessageID string
	MessageKey        string
	Reason            string
	NextAttemptAt     time.Time
	LeaseUntil        time.Time
	// LeaseToken, with LeaseUntil, inserts a delivery already claimed by
	// its writer (the instance's dispatcher, ADR 22); scans leave it empty.
	LeaseToken       string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	SentAt           time.Time
	DeliveredAt      time.Time
	FirstDeliveredAt time.Time
	FailedAt         time.Time
	BouncedAt        time.Time
}

// NotificationInsert writes a notification in the business transaction.
func (tx *Tx) NotificationInsert(ctx context.Context, n Notification) error {
	err := tx.Write(ctx, `INSERT INTO notification (id, event, category, lang, account_id, subject_type, subject_id, vars, created_at_ms)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		n.ID, n.Event, n.Category, n.Lang, n.AccountID, n.SubjectType, n.SubjectID, n.Vars, Ms(n.CreatedAt))
	return err
}

// DeliveryInsert writes delivery rows, all in one statement. A second
// row for the same notification and channel fails with
// errs.ErrDuplicate, and then none is written.
func (tx *Tx) DeliveryInsert(ctx context.Context, ds ...Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	args := make([]any, 0, deliveryInsertArgs*len(ds))
	for _, d := range ds {
		var token any
		if d.LeaseToken != "" {
			token = d.LeaseToken
		}
		args = append(args, d.ID, d.NotificationID, d.Channel, d.Address, d.AddressIndex, d.AddressMasked, d.Status, d.Attempts,
			d.Provider, d.ProviderMessageID, d.MessageKey, d.Reason, Ms(d.NextAttemptAt), Ms(d.CreatedAt),
			NullMs(d.SentAt), NullMs(d.DeliveredAt), NullMs(d.FirstDeliveredAt), NullMs(d.FailedAt), NullMs(d.LeaseUntil), token)
	}
	err := tx.Write(ctx, deliveryInsertSQL(len(ds)), args...)
	return err
}

// deliveryInsertArgs is the number of arguments per row of DeliveryInsert.
const deliveryInsertArgs = 20

// deliveryInsertSQLs are the texts of DeliveryInsert for 1 to 4 rows (a
// notification has at most one row per channel).
var deliveryInsertSQLs = func() (out [5]string) {
	for n := 1; n < len(out); n++ {
		out[n] = buildDeliveryInsertSQL(n)
	}
	return out
}()

func deliveryInsertSQL(n int) string {
	if n < len(deliveryInsertSQLs) {
		return deliveryInsertSQLs[n]
	}
	return buildDeliveryInsertSQL(n)
}

func buildDeliveryInsertSQL(rows int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO notify_delivery (id, notification_id, channel, address, address_index, address_masked, status, attempts,
 provider, provider_message_id, message_key, reason, next_attempt_at_ms, created_at_ms, updated_at_ms, sent_at_ms, delivered_at_ms,
 first_delivered_at_ms, failed_at_ms, lease_until_ms, lease_token) VALUES `)
	for i := 0; i < rows; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		n := deliveryInsertArgs * i
		// created_at_ms is also updated_at_ms (the 14th argument twice).
		fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)",
			n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10, n+11, n+12, n+13, n+14, n+14, n+15, n+16, n+17, n+18, n+19, n+20)
	}
	return b.String()
}

const deliveryCols = `d.id, d.notification_id, d.channel, d.address, d.address_index, d.address_masked, d.status, d.attempts, d.provider,
 d.provider_message_id, d.message_key, d.reason, d.next_attempt_at_ms, d.lease_until_ms, d.created_at_ms, d.updated_at_ms, d.sent_at_ms,
 d.delivered_at_ms, d.first_delivered_at_ms, d.failed_at_ms, d.bounced_at_ms`

const notificationCols = `n.id, n.event, n.category, n.lang, n.account_id, n.subject_type, n.subject_id, n.vars, n.created_at_ms`

type scanner interface{ Scan(dest ...any) error }

func scanDelivery(s scanner, extra ...any) (Delivery, error) {
	var d Delivery
	var next, created, updated int64
	var lease, sent, delivered, first, failed, bounced sql.NullInt64
	dest := append([]any{&d.ID, &d.NotificationID, &d.Channel, &d.Address, &d.AddressIndex, &d.AddressMasked, &d.Status, &d.Attempts,
		&d.Provider, &d.ProviderMessageID, &d.MessageKey, &d.Reason, &next, &lease, &created, &updated, &sent, &delivered, &first, &failed, &bounced}, extra...)
	if err := s.Scan(dest...); err != nil {
		return d, err
	}
	d.NextAttemptAt, d.LeaseUntil, d.CreatedAt, d.UpdatedAt = FromMs(next), FromNullMs(lease), FromMs(created), FromMs(updated)
	d.SentAt, d.DeliveredAt, d.FirstDeliveredAt, d.FailedAt, d.BouncedAt = FromNullMs(sent), FromNullMs(delivered), FromNullMs(first), FromNullMs(failed), FromNullMs(bounced)
	return d, nil
}

// DeliveryClaim claims a queued delivery for one attempt: it succeeds
// (ok=true) only if the delivery is queued, due at wallNow and not leased
// by another worker, and then holds it until wallNow+lease under token and
// counts the attempt. Of any number of concurrent claimers exactly one
// wins. A lease that expires without DeliveryRecord (a crash between
// sending and recording) lets the next claimer try again.
func (tx *Tx) DeliveryClaim(ctx context.Context, id, token string, wallNow time.Time, lease time.Duration) (Delivery, Notification, bool, error) {
	n, err := tx.Exec(ctx, `UPDATE notify_delivery SET lease_until_ms = $1, lease_token = $2, attempts = attempts + 1, updated_at_ms = $3
WHERE id = $4 AND status = 'queued' AND next_attempt_at_ms <= $5 AND (lease_until_ms IS NULL OR lease_until_ms <= $5)`,
		Ms(wallNow.Add(lease)), token, Ms(tx.Now), id, Ms(wallNow))
	if err != nil || n != 1 {
		return Delivery{}, Notification{}, false, err
	}
	var no Notification
	var created int64
	d, err := scanDelivery(tx.QueryRow(ctx, `SELECT `+deliveryCols+`, `+notificationCols+`
FROM notify_delivery d JOIN notification n ON n.id = d.notification_id WHERE d.id = $1`, id),
		&no.ID, &no.Event, &no.Category, &no.Lang, &no.AccountID, &no.SubjectType, &no.SubjectID, &no.Vars, &created)
	no.CreatedAt = FromMs(created)
	return d, no, err == nil, err
}

// DeliveryOutcome is the result of one attempt.
type DeliveryOutcome struct {
	Status            string // queued (retry later), sent, delivered, failed
	Provider          string
	ProviderMessageID string
	Reason            string
	NextAttemptAt     time.Time // wall time of the retry, for queued
}

// DeliveryRecord records an attempt's outcome, at tx.Now, if token still
// holds the claim; ok=false means another worker reclaimed the delivery
// after this claim's lease expired, and nothing was written. Delivered
// sets first_delivered_at_ms once: later deliveries never move it.
func (tx *Tx) DeliveryRecord(ctx context.Context, id, token string, o DeliveryOutcome) (bool, error) {
	done, err := tx.DeliveryRecordMany(ctx, []DeliveryRecordItem{{ID: id, Token: token, Outcome: o}})
	return len(done) == 1, err
}

// DeliveryRecordItem is one outcome for DeliveryRecordMany: the delivery,
// the token of the claim it was attempted under, and what happened.
type DeliveryRecordItem struct {
	ID, Token string
	Outcome   DeliveryOutcome
}

// DeliveryRecordMany records several attempts' outcomes in one statement,
// as DeliveryRecord does one, and returns the ids it recorded: those
// whose token still held the claim. Ids must be distinct.
func (tx *Tx) DeliveryRecordMany(ctx context.Context, items []DeliveryRecordItem) ([]string, error) {
	if len(items) == 0 {
		return nil, nil
	}
	if tx.Engine() == Postgres {
		return tx.deliveryRecordArrays(ctx, items)
	}
	const per = 10
	args := make([]any, 0, per*len(items))
	var b strings.Builder
	// SQLite, which binds no arrays: the outcomes as a VALUES list, one
	// statement text per number of outcomes.
	b.WriteString(`WITH v (id, token, status, provider, provider_message_id, reason, next_ms, sent_ms, delivered_ms, failed_ms) AS (VALUES `)
	for i, it := range items {
		if i > 0 {
			b.WriteString(", ")
		}
		next, sent, delivered, failed := recordInstants(tx.Now, it.Outcome)
		n := per * i
		fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, CAST($%d AS BIGINT), CAST($%d AS BIGINT), CAST($%d AS BIGINT), CAST($%d AS BIGINT))",
			n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8, n+9, n+10)
		o := it.Outcome
		args = append(args, it.ID, it.Token, o.Status, o.Provider, o.ProviderMessageID, o.Reason, Ms(next), NullMs(sent), NullMs(delivered), NullMs(failed))
	}
	fmt.Fprintf(&b, ")\n"+deliveryRecordUpdate, per*len(items)+1)
	args = append(args, Ms(tx.Now))
	return tx.deliveryRecordQuery(ctx, b.String(), args)
}

// deliveryRecordUpdate is DeliveryRecordMany's UPDATE from the outcomes
// v, its one placeholder the instant of the update.
const deliveryRecordUpdate = `UPDATE notify_delivery SET status = v.status, provider = v.provider, provider_message_id = v.provider_message_id,
 reason = v.reason, next_attempt_at_ms = v.next_ms, lease_until_ms = NULL, lease_token = NULL, updated_at_ms = $%d,
 sent_at_ms = COALESCE(v.sent_ms, notify_delivery.sent_at_ms), delivered_at_ms = COALESCE(v.delivered_ms, notify_delivery.delivered_at_ms),
 first_delivered_at_ms = COALESCE(notify_delivery.first_delivered_at_ms, v.delivered_ms), failed_at_ms = COALESCE(v.failed_ms, notify_delivery.failed_at_ms)
FROM v WHERE notify_delivery.id = v.id AND notify_delivery.lease_token = v.token AND notify_delivery.status = 'queued'
RETURNING notify_delivery.id`

// postgresDeliveryRecord is DeliveryRecordMany on PostgreSQL: the outcomes
// come as one array per column, so that every number of outcomes is the
// same statement, prepared once per connection and planned generically.
// The VALUES list of SQLite's statement made a new text for each number,
// and the recorder's batches vary in size: PostgreSQL parsed and planned
// nearly every call afresh (issue 19, BENCHMARKS).
var postgresDeliveryRecord = `WITH v (id, token, status, provider, provider_message_id, reason, next_ms, sent_ms, delivered_ms, failed_ms) AS (
 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[]))
` + fmt.Sprintf(deliveryRecordUpdate, 11)

// deliveryRecordArrays is DeliveryRecordMany on PostgreSQL.
func (tx *Tx) deliveryRecordArrays(ctx context.Context, items []DeliveryRecordItem) ([]string, error) {
	n := len(items)
	ids, tokens, statuses, providers, pids, reasons := make([]string, n), make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n)
	nexts, sents, delivereds, faileds := make([]int64, n), make([]*int64, n), make([]*int64, n), make([]*int64, n)
	for i, it := range items {
		o := it.Outcome
		next, sent, delivered, failed := recordInstants(tx.Now, o)
		ids[i], tokens[i], statuses[i], providers[i], pids[i], reasons[i] = it.ID, it.Token, o.Status, o.Provider, o.ProviderMessageID, o.Reason
		nexts[i], sents[i], delivereds[i], faileds[i] = Ms(next), msOrNil(sent), msOrNil(delivered), msOrNil(failed)
	}
	return tx.deliveryRecordQuery(ctx, postgresDeliveryRecord,
		[]any{ids, tokens, statuses, providers, pids, reasons, nexts, sents, delivereds, faileds, Ms(tx.Now)})
}

// recordInstants are the instants an outcome records at now: the retry's
// (epoch when none), and sent, delivered and failed (zero: unchanged).
func recordInstants(now time.Time, o DeliveryOutcome) (next, sent, delivered, failed time.Time) {
	switch o.Status {
	case "sent":
		sent = now
	case "delivered":
		sent, delivered = now, now
	case "failed":
		failed = now
	}
	next = o.NextAttemptAt
	if next.IsZero() {
		next = time.UnixMilli(0)
	}
	return next, sent, delivered, failed
}

// msOrNil is t in milliseconds, nil for the zero time: an element of a
// nullable bigint array.
func msOrNil(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := Ms(t)
	return &ms
}

// deliveryRecordQuery runs a DeliveryRecordMany statement and returns the
// ids it recorded.
func (tx *Tx) deliveryRecordQuery(ctx context.Context, q string, args []any) ([]string, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var done []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		done = append(done, id)
	}
	return done, rows.Err()
}

// DeliverySettle marks every email sent at or before cutoff (and not
// bounced since) as delivered as of its sending instant, and returns their
// ids. Business time: the bounce window is a business rule.
func (tx *Tx) DeliverySettle(ctx context.Context, cutoff time.Time, limit int) ([]string, error) {
	rows, err := tx.Query(ctx, `SELECT id FROM notify_delivery WHERE status = 'sent' AND sent_at_ms <= $1 ORDER BY sent_at_ms LIMIT $2`, Ms(cutoff), limit)
	if err != nil {
		return nil, err
	}
	var ids, done []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, id := range ids {
		n, err := tx.Exec(ctx, `UPDATE notify_delivery SET status = 'delivered', delivered_at_ms = sent_at_ms,
 first_delivered_at_ms = COALESCE(first_delivered_at_ms, sent_at_ms), updated_at_ms = $1 WHERE id = $2 AND status = 'sent'`, Ms(tx.Now), id)
		if err != nil {
			return nil, err
		}
		if n == 1 {
			done = append(done, id)
		}
	}
	return done, nil
}

// DeliveryBounce marks the sent or delivered email whose message key is
// key as bounced, with reason; ok=false when there is none.
func (tx *Tx) DeliveryBounce(ctx context.Context, key, reason string) (id string, ok bool, err error) {
	err = tx.QueryRow(ctx, `SELECT id FROM notify_delivery WHERE message_key = $1 AND channel = 'email' AND status IN ('sent', 'delivered')`, key).Scan(&id)
	if IsNotFound(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	_, err = tx.Exec(ctx, `UPDATE notify_delivery SET status = 'bounced', bounced_at_ms = $1, reason = $2, updated_at_ms = $1 WHERE id = $3`, Ms(tx.Now), reason, id)
	return id, err == nil, err
}

// DeliveriesDue lists queued deliveries due before wallBefore whose lease
// (if any) expired: work that lost its job, for the redrive.
func (db *DB) DeliveriesDue(ctx context.Context, wallBefore time.Time, limit int) ([]string, error) {
	rows, err := db.Query(ctx, `SELECT id FROM notify_delivery WHERE status = 'queued' AND next_attempt_at_ms <= $1
 AND (lease_until_ms IS NULL OR lease_until_ms <= $1) ORDER BY next_attempt_at_ms LIMIT $2`, Ms(wallBefore), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// DeliveryView is a delivery with its notification, for the delivery log.
type DeliveryView struct {
	Delivery
	Event       string
	Lang        string
	AccountID   string
	SubjectType string
	SubjectID   string
}

// DeliveryFilter selects deliveries; zero fields match everything.
type DeliveryFilter struct {
	ID             string
	NotificationID string
	SubjectType    string
	SubjectID      string
	Limit          int // default 100
}

// Deliveries lists deliveries newest first.
func (db *DB) Deliveries(ctx context.Context, f DeliveryFilter) ([]DeliveryView, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	// Only the filters that are set, each a plain term: "($1 = '' OR
	// d.notification_id = $1)" made SQLite read the whole delivery log for
	// one notification's rows.
	query := `SELECT ` + deliveryCols + `, n.event, n.lang, n.account_id, n.subject_type, n.subject_id
FROM notify_delivery d JOIN notification n ON n.id = d.notification_id WHERE 1 = 1`
	var args []any
	for _, c := range []struct{ col, v string }{{"d.id", f.ID}, {"d.notification_id", f.NotificationID},
		{"n.subject_type", f.SubjectType}, {"n.subject_id", f.SubjectID}} {
		if c.v != "" {
			args = append(args, c.v)
			query += ` AND ` + c.col + ` = $` + itoa(len(args))
		}
	}
	args = append(args, f.Limit)
	rows, err := db.Query(ctx, query+` ORDER BY d.created_at_ms DESC, d.id DESC LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DeliveryView
	for rows.Next() {
		var v DeliveryView
		d, err := scanDelivery(rows, &v.Event, &v.Lang, &v.AccountID, &v.SubjectType, &v.SubjectID)
		if err != nil {
			return nil, err
		}
		v.Delivery = d
		out = append(out, v)
	}
	return out, rows.Err()
}

// InboxItem is one notification in an account's inbox.
type InboxItem struct {
	NotificationID string
	AccountID      string
	Event          string
	Title          string
	Body           string
	CreatedAt      time.Time
	ReadAt         time.Time // zero while unread
}

// InboxInsert adds an item to an account's inbox.
func (tx *Tx) InboxInsert(ctx context.Context, it InboxItem) error {
	err := tx.Write(ctx, `INSERT INTO notify_inbox (notification_id, account_id, event, title, body, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
		it.NotificationID, it.AccountID, it.Event, it.Title, it.Body, Ms(it.CreatedAt))
	return err
}

// Inbox lists an account's items newest first; unreadOnly filters.
func (db *DB) Inbox(ctx context.Context, accountID string, unreadOnly bool, limit int) ([]InboxItem, error) {
	if limit <= 0 {
		limit = 50
	}
	q := `SELECT notification_id, account_id, event, title, body, created_at_ms, read_at_ms FROM notify_inbox WHERE account_id = $1`
	if unreadOnly {
		q += ` AND read_at_ms IS NULL`
	}
	rows, err := db.Query(ctx, q+` ORDER BY created_at_ms DESC, notification_id DESC LIMIT $2`, accountID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []InboxItem
	for rows.Next() {
		var it InboxItem
		var created int64
		var read sql.NullInt64
		if err := rows.Scan(&it.NotificationID, &it.AccountID, &it.Event, &it.Title, &it.Body, &created, &read); err != nil {
			return nil, err
		}
		it.CreatedAt, it.ReadAt = FromMs(created), FromNullMs(read)
		out = append(out, it)
	}
	return out, rows.Err()
}

// InboxUnread counts an account's unread items.
func (db *DB) InboxUnread(ctx context.Context, accountID string) (int, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT COUNT(*) FROM notify_inbox WHERE account_id = $1 AND read_at_ms IS NULL`, accountID).Scan(&n)
	return n, err
}

// InboxMarkRead marks an unread item of the account read at tx.Now;
// changed=false when it was read already or is not the account's.
func (tx *Tx) InboxMarkRead(ctx context.Context, accountID, notificationID string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE notify_inbox SET read_at_ms = $1 WHERE notification_id = $2 AND account_id = $3 AND read_at_ms IS NULL`,
		Ms(tx.Now), notificationID, accountID)
	return n == 1, err
}

// OptOutSet records (optOut) or removes an opt-out of category on channel
// and reports whether anything changed. The table accepts only
// "marketing": any other category fails (a CHECK constraint).
func (tx *Tx) OptOutSet(ctx context.Context, accountID, category, channel string, optOut bool) (bool, error) {
	var n int64
	var err error
	if optOut {
		n, err = tx.Exec(ctx, `INSERT INTO notify_optout (account_id, category, channel, created_at_ms) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
			accountID, category, channel, Ms(tx.Now))
	} else {
		n, err = tx.Exec(ctx, `DELETE FROM notify_optout WHERE account_id = $1 AND category = $2 AND channel = $3`, accountID, category, channel)
	}
	return n == 1, err
}

// OptOuts returns the channels an account opted out of, by category.
func (tx *Tx) OptOuts(ctx context.Context, accountID string) (map[string][]string, error) {
	rows, err := tx.Query(ctx, `SELECT category, channel FROM notify_optout WHERE account_id = $1 ORDER BY category, channel`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var cat, ch string
		if err := rows.Scan(&cat, &ch); err != nil {
			return nil, err
		}
		out[cat] = append(out[cat], ch)
	}
	return out, rows.Err()
}

// SandboxSMS is a message the embedded sandbox provider received.
type SandboxSMS struct {
	ID                string
	Provider          string
	Phone             []byte // sealed
	PhoneIndex        []byte
	PhoneMasked       string
	SignName          string
	TemplateCode      string
	Params            string // JSON
	Text              string
	IdempotencyKey    string
	ProviderMessageID string
	ReceivedAt        time.Time // wall time
}

// SandboxSMSInsert stores a received message. It is the sandbox provider's
// own short transaction, not a business one.
func (tx *Tx) SandboxSMSInsert(ctx context.Context, m SandboxSMS) error {
	err := tx.Write(ctx, `INSERT INTO notify_sandbox_sms (id, provider, phone, phone_index, phone_masked, sign_name, template_code, params, text,
 idempotency_key, provider_message_id, received_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		m.ID, m.Provider, m.Phone, m.PhoneIndex, m.PhoneMasked, m.SignName, m.TemplateCode, m.Params, m.Text, m.IdempotencyKey, m.ProviderMessageID, Ms(m.ReceivedAt))
	return err
}

// SandboxSMSList lists received messages newest first; a non-nil
// phoneIndex selects one phone's.
func (db *DB) SandboxSMSList(ctx context.Context, phoneIndex []byte, limit int) ([]SandboxSMS, error) {
	if limit <= 0 {
		limit = 50
	}
	q := `SELECT id, provider, phone, phone_index, phone_masked, sign_name, template_code, params, text, idempotency_key, provider_message_id, received_at_ms
FROM notify_sandbox_sms`
	args := []any{limit}
	if phoneIndex != nil {
		q += ` WHERE phone_index = $2`
		args = append(args, phoneIndex)
	}
	rows, err := db.Query(ctx, q+` ORDER BY received_at_ms DESC, id DESC LIMIT $1`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SandboxSMS
	for rows.Next() {
		var m SandboxSMS
		var at int64
		if err := rows.Scan(&m.ID, &m.Provider, &m.Phone, &m.PhoneIndex, &m.PhoneMasked, &m.SignName, &m.TemplateCode, &m.Params, &m.Text,
			&m.IdempotencyKey, &m.ProviderMessageID, &at); err != nil {
			return nil, err
		}
		m.ReceivedAt = FromMs(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// DeliveryRequeue puts a failed or bounced email or SMS delivery back in
// the queue for a resend (attempts start again; the Message-ID or
// idempotency key stays). It reports whether the row was in such a state.
func (tx *Tx) DeliveryRequeue(ctx context.Context, id string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE notify_delivery SET status = 'queued', reason = '', attempts = 0, next_attempt_at_ms = 0,
 lease_until_ms = NULL, lease_token = NULL, failed_at_ms = NULL, bounced_at_ms = NULL, updated_at_ms = $1
WHERE id = $2 AND status IN ('failed', 'bounced') AND channel <> 'inapp' AND address IS NOT NULL`, Ms(tx.Now), id)
	return n == 1, err
}
