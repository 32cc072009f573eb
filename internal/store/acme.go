package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"
)

// ACME driver storage (issue 13; migration 00018_acme.sql).

// ACMEAccountGet reads the sealed account key and account URL kept for a
// CA directory.
func ACMEAccountGet(ctx context.Context, q Querier, directoryURL string) (keyEnc, accountURL string, err error) {
	err = q.QueryRow(ctx, `SELECT key_pem, account_url FROM acme_account WHERE directory_url = $1`, directoryURL).Scan(&keyEnc, &accountURL)
	return keyEnc, accountURL, err
}

// ACMEAccountInsert keeps the account key for a directory unless one is
// kept already (the first instance to start wins; the others read it).
func (tx *Tx) ACMEAccountInsert(ctx context.Context, directoryURL, keyEnc string) error {
	_, err := tx.Exec(ctx, `INSERT INTO acme_account (directory_url, key_pem, account_url, created_at_ms) VALUES ($1, $2, '', $3) ON CONFLICT DO NOTHING`,
		directoryURL, keyEnc, Ms(tx.Now))
	return err
}

// ACMEAccountSetURL records the account's URL at the CA.
func (tx *Tx) ACMEAccountSetURL(ctx context.Context, directoryURL, accountURL string) error {
	_, err := tx.Exec(ctx, `UPDATE acme_account SET account_url = $2 WHERE directory_url = $1`, directoryURL, accountURL)
	return err
}

// ACMERequestRow is one service's certificate request.
type ACMERequestRow struct {
	ServiceID, AccountID       string
	Domains                    []string
	Challenge, DNSMode, CSRPEM string
	State, OrderJSON           string
	OrdersPlaced               int
	LeaseUntil                 time.Time
	Reason, KeyEnc             string
	CertPEM, ChainPEM, CertURL string
	NotBefore, NotAfter        time.Time
	CreatedAt, UpdatedAt       time.Time
}

const acmeRequestCols = `service_id, account_id, domains, challenge, dns_mode, csr_pem, state, order_json, orders_placed, lease_until_ms, reason,
 key_pem, cert_pem, chain_pem, not_before_ms, not_after_ms, cert_url, created_at_ms, updated_at_ms`

// ACMERequestGet reads a service's certificate request.
func ACMERequestGet(ctx context.Context, q Querier, serviceID string) (ACMERequestRow, error) {
	var r ACMERequestRow
	var doms string
	var lease, created, updated int64
	var nb, na sql.NullInt64
	err := q.QueryRow(ctx, `SELECT `+acmeRequestCols+` FROM acme_cert_request WHERE service_id = $1`, serviceID).Scan(
		&r.ServiceID, &r.AccountID, &doms, &r.Challenge, &r.DNSMode, &r.CSRPEM, &r.State, &r.OrderJSON, &r.OrdersPlaced, &lease, &r.Reason,
		&r.KeyEnc, &r.CertPEM, &r.ChainPEM, &nb, &na, &r.CertURL, &created, &updated)
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(doms), &r.Domains); err != nil {
		return r, err
	}
	r.LeaseUntil, r.NotBefore, r.NotAfter, r.CreatedAt, r.UpdatedAt = FromMs(lease), FromNullMs(nb), FromNullMs(na), FromMs(created), FromMs(updated)
	return r, nil
}

func (r ACMERequestRow) args() ([]any, error) {
	doms, err := json.Marshal(r.Domains)
	if err != nil {
		return nil, err
	}
	return []any{r.ServiceID, r.AccountID, string(doms), r.Challenge, r.DNSMode, r.CSRPEM, r.State, r.OrderJSON, r.OrdersPlaced, Ms(r.LeaseUntil),
		r.Reason, r.KeyEnc, r.CertPEM, r.ChainPEM, NullMs(r.NotBefore), NullMs(r.NotAfter), r.CertURL, Ms(r.CreatedAt), Ms(r.UpdatedAt)}, nil
}

// ACMERequestInsert stores a new request.
func (tx *Tx) ACMERequestInsert(ctx context.Context, r ACMERequestRow) error {
	args, err := r.args()
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO acme_cert_request (`+acmeRequestCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
 $15, $16, $17, $18, $19)`, args...)
	return err
}

// ACMERequestUpdate writes r over the stored row if it is still in state
// from and updated at fromUpdated (optimistic: ok=false otherwise).
func (tx *Tx) ACMERequestUpdate(ctx context.Context, r ACMERequestRow, from string, fromUpdated time.Time) (bool, error) {
	args, err := r.args()
	if err != nil {
		return false, err
	}
	n, err := tx.Exec(ctx, `UPDATE acme_cert_request SET account_id = $2, domains = $3, challenge = $4, dns_mode = $5, csr_pem = $6, state = $7,
 order_json = $8, orders_placed = $9, lease_until_ms = $10, reason = $11, key_pem = $12, cert_pem = $13, chain_pem = $14, not_before_ms = $15,
 not_after_ms = $16, cert_url = $17, created_at_ms = $18, updated_at_ms = $19 WHERE service_id = $1 AND state = $20 AND updated_at_ms = $21`,
		append(args, from, Ms(fromUpdated))...)
	return n == 1, err
}

// ACMETokenPut stores an HTTP-01 key authorisation.
func (tx *Tx) ACMETokenPut(ctx context.Context, token, keyAuth string) error {
	_, err := tx.Exec(ctx, `INSERT INTO acme_http_token (token, key_auth, created_at_ms) VALUES ($1, $2, $3)
ON CONFLICT (token) DO UPDATE SET key_auth = excluded.key_auth`, token, keyAuth, Ms(tx.Now))
	return err
}

// ACMETokenDelete removes an HTTP-01 key authorisation.
func (tx *Tx) ACMETokenDelete(ctx context.Context, token string) error {
	_, err := tx.Exec(ctx, `DELETE FROM acme_http_token WHERE token = $1`, token)
	return err
}

// ACMETokenGet reads an HTTP-01 key authorisation.
func ACMETokenGet(ctx context.Context, q Querier, token string) (string, error) {
	var k string
	err := q.QueryRow(ctx, `SELECT key_auth FROM acme_http_token WHERE token = $1`, token).Scan(&k)
	return k, err
}

// ACMETXTAdd publishes a delegated TXT value.
func (tx *Tx) ACMETXTAdd(ctx context.Context, name, value string) error {
	_, err := tx.Exec(ctx, `INSERT INTO acme_txt_record (name, value, created_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, name, value, Ms(tx.Now))
	return err
}

// ACMETXTRemove withdraws a delegated TXT value.
func (tx *Tx) ACMETXTRemove(ctx context.Context, name, value string) error {
	_, err := tx.Exec(ctx, `DELETE FROM acme_txt_record WHERE name = $1 AND value = $2`, name, value)
	return err
}

// ACMETXT lists the TXT values published at name.
func ACMETXT(ctx context.Context, q Querier, name string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT value FROM acme_txt_record WHERE name = $1 ORDER BY created_at_ms, value`, name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ACMERenewalsDue lists at most limit services whose issued certificate
// should be renewed: an active service, a certificate held, not leased,
// and either issued and ending at or before renewBy, or a renewal under
// way (submitted, confirmed) — in both cases untouched since retryBy, so a
// failed attempt waits. Issued certificates of dns mode skipMode are left
// out (the customer must ask for those); a renewal the customer asked for
// and then left interrupted is continued like the others.
func ACMERenewalsDue(ctx context.Context, q Querier, renewBy, retryBy, now time.Time, skipMode string, limit int) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT r.service_id FROM acme_cert_request r JOIN service s ON s.id = r.service_id
 WHERE s.state = 'active' AND r.cert_pem <> '' AND r.lease_until_ms <= $3 AND r.updated_at_ms <= $2
 AND ((r.state = 'issued' AND r.not_after_ms <= $1 AND r.dns_mode <> $4) OR r.state IN ('submitted', 'confirmed'))
 ORDER BY r.not_after_ms LIMIT `+itoa(limit), Ms(renewBy), Ms(retryBy), Ms(now), skipMode)
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

// ACMERenewalNoticesDue lists the services whose issued certificate, proved
// in mode (the customer's TXT record), ends after now and by noticeBy and
// whose customer was not told about that certificate yet
// (acme_renewal_notice), soonest end first.
func ACMERenewalNoticesDue(ctx context.Context, q Querier, noticeBy, now time.Time, mode string, limit int) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT r.service_id FROM acme_cert_request r JOIN service s ON s.id = r.service_id
 WHERE s.state = 'active' AND r.state = 'issued' AND r.cert_pem <> '' AND r.dns_mode = $3 AND r.not_after_ms <= $1 AND r.not_after_ms > $2
 AND NOT EXISTS (SELECT 1 FROM acme_renewal_notice n WHERE n.service_id = r.service_id AND n.not_after_ms = r.not_after_ms)
 ORDER BY r.not_after_ms, r.service_id LIMIT `+itoa(limit), Ms(noticeBy), Ms(now), mode)
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

// ACMERenewalNoticeInsert records that the customer was told about the
// certificate of serviceID ending at notAfter; ok=false when it was
// recorded already (another instance or an earlier run told them).
func (tx *Tx) ACMERenewalNoticeInsert(ctx context.Context, serviceID string, notAfter time.Time, notificationID string) (bool, error) {
	n, err := tx.Exec(ctx, `INSERT INTO acme_renewal_notice (service_id, not_after_ms, notification_id, created_at_ms) VALUES ($1, $2, $3, $4)
 ON CONFLICT DO NOTHING`, serviceID, Ms(notAfter), notificationID, Ms(tx.Now))
	return n == 1, err
}

// ACMERenewalNoticedAt returns when the customer was told about the
// certificate of serviceID ending at notAfter (zero: not told).
func ACMERenewalNoticedAt(ctx context.Context, q Querier, serviceID string, notAfter time.Time) (time.Time, error) {
	var at int64
	err := q.QueryRow(ctx, `SELECT created_at_ms FROM acme_renewal_notice WHERE service_id = $1 AND not_after_ms = $2`, serviceID, Ms(notAfter)).Scan(&at)
	if IsNotFound(err) || errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	return FromMs(at), nil
}
