-- +goose Up
-- Real-name verification (issue 6, DESIGN.md §2 kyc). Personal information
-- (names, resident ID numbers, credit codes, phones, licence files) is
-- stored only as PII key-ring envelopes (AAD kyc_submission/<column>/<id>)
-- with masked copies for views; lookups and the one-verified-holder rule go
-- through the keyed blind index (identity_index), never a plain hash.

-- One row per customer that ever submitted: the state machine's current
-- state (kyc.State) and the submissions it points at.
CREATE TABLE kyc_profile (
    account_id              TEXT PRIMARY KEY REFERENCES account (id),
    state                   TEXT NOT NULL,
    subject                 TEXT NOT NULL,   -- individual | enterprise
    current_submission_id   TEXT NOT NULL,   -- the latest submission; ''
    approved_submission_id  TEXT NOT NULL,   -- the one that verified the customer; ''
    reason                  TEXT NOT NULL,   -- kyc.ReasonCode of the last rejection or request; ''
    note                    TEXT NOT NULL,
    closed_at_ms            BIGINT,          -- the account was closed: retention runs from here
    purged_at_ms            BIGINT,          -- retention ended: submissions deleted
    updated_at_ms           BIGINT NOT NULL
);
CREATE INDEX kyc_profile_state ON kyc_profile (state, updated_at_ms);
CREATE INDEX kyc_profile_closed ON kyc_profile (closed_at_ms);

CREATE TABLE kyc_submission (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES account (id),
    subject          TEXT NOT NULL,
    status           TEXT NOT NULL,   -- pending, info_requested, approved, rejected, superseded
    name_enc         BYTEA NOT NULL,   -- the person, or the enterprise's responsible person
    name_masked      TEXT NOT NULL,
    company_name     TEXT NOT NULL,   -- enterprises; ''
    identity_enc     BYTEA NOT NULL,   -- the resident ID number or the USCC
    identity_masked  TEXT NOT NULL,
    identity_index   BYTEA NOT NULL,
    phone_enc        BYTEA NOT NULL,
    phone_masked     TEXT NOT NULL,
    licence_enc      BYTEA,           -- enterprises: the licence file
    licence_mime     TEXT NOT NULL,
    licence_bytes    BIGINT NOT NULL,
    licence_sha256   TEXT NOT NULL,   -- hex digest of the file, for the audit trail
    warnings         TEXT NOT NULL,   -- space-separated warning codes
    verifier_ref     TEXT NOT NULL,
    reason           TEXT NOT NULL,
    note             TEXT NOT NULL,
    decided_by       TEXT NOT NULL,
    submitted_at_ms  BIGINT NOT NULL,
    decided_at_ms    BIGINT
);
CREATE INDEX kyc_submission_account ON kyc_submission (account_id, submitted_at_ms);
CREATE INDEX kyc_submission_queue ON kyc_submission (status, submitted_at_ms);

-- Who holds a verified identity. One holder per identity (linked_by '');
-- staff may link further accounts to it on purpose (linked_by: the staff
-- member, link_reason why).
CREATE TABLE kyc_identity (
    identity_index  BYTEA NOT NULL,
    account_id      TEXT NOT NULL REFERENCES account (id),
    linked_by       TEXT NOT NULL,
    link_reason     TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    PRIMARY KEY (identity_index, account_id)
);
CREATE UNIQUE INDEX kyc_identity_holder ON kyc_identity (identity_index) WHERE linked_by = '';
CREATE INDEX kyc_identity_account ON kyc_identity (account_id);

-- +goose Down
DROP TABLE kyc_identity;
DROP TABLE kyc_submission;
DROP TABLE kyc_profile;
