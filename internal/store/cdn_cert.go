package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"
)

// SiteCertRow is the TLS certificate of a CDN site (cdn_site_cert).
type SiteCertRow struct {
	ServiceID string
	Domains   []string
	OrderJSON string // the open ACME order; "" when none
	KeyEnc    string // sealed PKCS#8
	CertPEM   string
	ChainPEM  string
	NotAfter  time.Time
	IssuedAt  time.Time
	Attempts  int
	Reason    string
	NextTry   time.Time
	UpdatedAt time.Time
}

const siteCertCols = `service_id, domains, order_json, key_pem, cert_pem, chain_pem, not_after_ms, issued_at_ms, attempts, reason, next_try_ms, updated_at_ms`

func scanSiteCert(s scanner) (SiteCertRow, error) {
	var r SiteCertRow
	var doms string
	var notAfter, issued sql.NullInt64
	var next, updated int64
	if err := s.Scan(&r.ServiceID, &doms, &r.OrderJSON, &r.KeyEnc, &r.CertPEM, &r.ChainPEM, &notAfter, &issued, &r.Attempts, &r.Reason,
		&next, &updated); err != nil {
		return r, err
	}
	r.NotAfter, r.IssuedAt, r.NextTry, r.UpdatedAt = FromNullMs(notAfter), FromNullMs(issued), FromMs(next), FromMs(updated)
	return r, json.Unmarshal([]byte(doms), &r.Domains)
}

// SiteCertGet reads a site's certificate row (errs.ErrNotFound: none).
func SiteCertGet(ctx context.Context, q Querier, serviceID string) (SiteCertRow, error) {
	r, err := scanSiteCert(q.QueryRow(ctx, `SELECT `+siteCertCols+` FROM cdn_site_cert WHERE service_id = $1`, serviceID))
	if err != nil {
		return r, errorf("store.SiteCertGet", err)
	}
	return r, nil
}

// SiteCertsOf reads the certificate rows of services, by service id.
func SiteCertsOf(ctx context.Context, q Querier, serviceIDs []string) (map[string]SiteCertRow, error) {
	out := map[string]SiteCertRow{}
	for _, id := range serviceIDs {
		r, err := SiteCertGet(ctx, q, id)
		if IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = r
	}
	return out, nil
}

// SiteCertPut writes r if the row is still as the caller read it
// (updated_at_ms equal to prev; a zero prev inserts a new row): false when
// someone else changed it meanwhile.
func (tx *Tx) SiteCertPut(ctx context.Context, r SiteCertRow, prev time.Time) (bool, error) {
	doms, err := json.Marshal(r.Domains)
	if err != nil {
		return false, err
	}
	args := []any{r.ServiceID, string(doms), r.OrderJSON, r.KeyEnc, r.CertPEM, r.ChainPEM, NullMs(r.NotAfter), NullMs(r.IssuedAt), r.Attempts,
		r.Reason, Ms(r.NextTry), Ms(r.UpdatedAt)}
	var n int64
	if prev.IsZero() {
		n, err = tx.Exec(ctx, `INSERT INTO cdn_site_cert (`+siteCertCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
 ON CONFLICT (service_id) DO NOTHING`, args...)
	} else {
		n, err = tx.Exec(ctx, `UPDATE cdn_site_cert SET domains = $2, order_json = $3, key_pem = $4, cert_pem = $5, chain_pem = $6,
 not_after_ms = $7, issued_at_ms = $8, attempts = $9, reason = $10, next_try_ms = $11, updated_at_ms = $12
 WHERE service_id = $1 AND updated_at_ms = $13`, append(args, Ms(prev))...)
	}
	return n == 1, err
}

// SitesNeedingCert lists at most limit verified sites of active services,
// pulled by their edge since the verification, whose certificate is
// missing, names other domains than the site, or ends at or before
// renewBy — and whose next attempt is due at now.
func SitesNeedingCert(ctx context.Context, q Querier, renewBy, now time.Time, limit int) ([]SiteRow, error) {
	return sites(ctx, q, `verified_at_ms IS NOT NULL AND served_at_ms IS NOT NULL AND service_id IN (SELECT id FROM service WHERE state = 'active')
 AND NOT EXISTS (SELECT 1 FROM cdn_site_cert c WHERE c.service_id = cdn_site.service_id
   AND (c.next_try_ms > $2 OR (c.cert_pem <> '' AND c.not_after_ms > $1 AND c.domains = cdn_site.domains)))
 ORDER BY service_id LIMIT `+itoa(limit), Ms(renewBy), Ms(now))
}
