-- +goose Up
-- Certificates by ACME (issue 13, the acme driver): the ACME account key
-- per directory (sealed with the PII key ring, AAD
-- acme_account/key_pem/<directory_url>); one certificate request per
-- service (the customer's domains and challenge choice, their CSR or the
-- key we generated, sealed, AAD acme_cert_request/key_pem/<service_id>;
-- the open order at the CA as JSON, the TXT record shown to the customer;
-- its state; the issued certificate and chain with their validity); the
-- HTTP-01 key authorisations and delegated TXT records any instance
-- answers (acme.HTTPTokens, acme.TXTRecords).
CREATE TABLE acme_account (
    directory_url  TEXT PRIMARY KEY,
    key_pem        TEXT NOT NULL,      -- sealed PEM
    account_url    TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);

CREATE TABLE acme_cert_request (
    service_id     TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    domains        TEXT NOT NULL,      -- JSON list, normalised
    challenge      TEXT NOT NULL,      -- http-01, dns-01
    dns_mode       TEXT NOT NULL,      -- customer_txt, delegated, '' for http-01
    csr_pem        TEXT NOT NULL,      -- the customer's CSR; '' when we generate the key
    state          TEXT NOT NULL,      -- submitted, awaiting_customer, confirmed, issued, rejected
    order_json     TEXT NOT NULL,      -- acme.Order at the CA; '' before it is opened
    orders_placed  BIGINT NOT NULL,    -- orders opened at the CA for this request
    lease_until_ms BIGINT NOT NULL,    -- a worker holds the request until then
    reason         TEXT NOT NULL,      -- the CA's reason, or why the customer must act
    key_pem        TEXT NOT NULL,      -- sealed PKCS#8 of the key we generated; '' otherwise
    cert_pem       TEXT NOT NULL,
    chain_pem      TEXT NOT NULL,
    not_before_ms  BIGINT,
    not_after_ms   BIGINT,
    cert_url       TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL
);
CREATE INDEX acme_cert_request_state ON acme_cert_request (state, updated_at_ms);

CREATE TABLE acme_http_token (
    token          TEXT PRIMARY KEY,
    key_auth       TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);

CREATE TABLE acme_txt_record (
    name           TEXT NOT NULL,
    value          TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (name, value)
);

-- +goose Down
DROP TABLE acme_txt_record;
DROP TABLE acme_http_token;
DROP TABLE acme_cert_request;
DROP TABLE acme_account;
