-- +goose Up
-- Delivery, the rest of issue 13. A CDN site's TLS certificate, issued by
-- ACME for its verified domains and renewed before expiry: the open order
-- at the CA (stored before anything else so a retry continues it), the
-- key we generated sealed (AAD cdn_site_cert/key_pem/<service_id>), the
-- certificate and chain the edge's agent pulls, a lease and back-off
-- (next_try_ms) so one worker acts at a time; a site is only certified
-- once its edge's agent has pulled it since its verification
-- (cdn_site.served_at_ms), so the CA's HTTP-01 request is forwarded. The
-- address history is purged by the end of its intervals
-- (retention.network_logs_days).
CREATE TABLE cdn_site_cert (
    service_id     TEXT PRIMARY KEY,
    domains        TEXT NOT NULL,      -- JSON list the certificate names
    order_json     TEXT NOT NULL,      -- acme.Order at the CA; '' when none is open
    key_pem        TEXT NOT NULL,      -- sealed PKCS#8; '' before the first issue
    cert_pem       TEXT NOT NULL,
    chain_pem      TEXT NOT NULL,
    not_after_ms   BIGINT,
    issued_at_ms   BIGINT,
    attempts       BIGINT NOT NULL,    -- failed attempts since the last issue
    reason         TEXT NOT NULL,      -- the last failure
    next_try_ms    BIGINT NOT NULL,    -- no attempt before this (lease, back-off)
    updated_at_ms  BIGINT NOT NULL
);
CREATE INDEX cdn_site_cert_not_after ON cdn_site_cert (not_after_ms);

CREATE INDEX address_assignment_until ON address_assignment (until_ms);

ALTER TABLE cdn_site ADD COLUMN served_at_ms BIGINT;

-- +goose Down
ALTER TABLE cdn_site DROP COLUMN served_at_ms;
DROP INDEX address_assignment_until;
DROP TABLE cdn_site_cert;
