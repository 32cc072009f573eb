-- +goose Up
-- Agreement as code (issue 8, DESIGN.md §1, §3, §4): agreement versions with
-- their source and SHA256, acceptance records with per-clause
-- acknowledgement, the "explain this clause" log, the licence register, and
-- the working-day calendar's admin overrides and year confirmations (two
-- different admins). Portable types only: TEXT and BIGINT; times are Unix
-- milliseconds UTC (NULL: not yet); lists are comma-separated ids.
CREATE TABLE agreement_version (
    id                TEXT PRIMARY KEY,
    origin            TEXT NOT NULL,   -- 'builtin' (the embedded default) or 'staff'
    title             TEXT NOT NULL,
    source            TEXT NOT NULL,   -- the Markdown as written
    sha256            TEXT NOT NULL,   -- hex SHA-256 of the canonical bytes
    state             TEXT NOT NULL,   -- draft, scheduled, effective, superseded
    note              TEXT NOT NULL,   -- what changed, for the revision notice
    prepared_by       TEXT NOT NULL,
    signed_off_by     TEXT NOT NULL,   -- '' until scheduled
    material          BIGINT NOT NULL, -- 0/1: customers must accept it again
    created_at_ms     BIGINT NOT NULL,
    updated_at_ms     BIGINT NOT NULL,
    scheduled_at_ms   BIGINT,
    effective_at_ms   BIGINT,
    superseded_at_ms  BIGINT,
    superseded_by     TEXT NOT NULL,
    CHECK (signed_off_by = '' OR signed_off_by <> prepared_by)
);
-- The embedded default is stored once, whatever the number of instances
-- starting at the same time; at most one version is effective.
CREATE UNIQUE INDEX agreement_version_builtin ON agreement_version (origin) WHERE origin = 'builtin';
CREATE UNIQUE INDEX agreement_version_effective ON agreement_version (state) WHERE state = 'effective';
CREATE INDEX agreement_version_state ON agreement_version (state, effective_at_ms);

-- Proof of acceptance: immutable once written.
CREATE TABLE agreement_acceptance (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    version_id      TEXT NOT NULL REFERENCES agreement_version (id),
    sha256          TEXT NOT NULL,
    acknowledged    TEXT NOT NULL,   -- clause ids acknowledged one by one
    explained       TEXT NOT NULL,   -- clause ids whose explanation was opened
    occasion        TEXT NOT NULL,   -- registration, reacceptance, checkout
    order_id        TEXT NOT NULL,   -- the order of a checkout acceptance; ''
    accepted_at_ms  BIGINT NOT NULL,
    ip_enc          TEXT NOT NULL,   -- sealed (AAD agreement_acceptance/ip/id)
    ip_masked       TEXT NOT NULL,
    user_agent      TEXT NOT NULL,
    channel         TEXT NOT NULL,   -- web, api, reseller_invitation
    reseller_id     TEXT NOT NULL
);
CREATE INDEX agreement_acceptance_account ON agreement_acceptance (account_id, accepted_at_ms);
CREATE INDEX agreement_acceptance_version ON agreement_acceptance (version_id, accepted_at_ms);
CREATE INDEX agreement_acceptance_order ON agreement_acceptance (order_id);

-- "Explain this clause" requests (SPC interpretation art. 10: explained on
-- request, and the drafter must be able to prove it).
CREATE TABLE agreement_explain (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL,   -- '' when nobody was signed in
    version_id    TEXT NOT NULL,
    clause_id     TEXT NOT NULL,
    lang          TEXT NOT NULL,
    ip_masked     TEXT NOT NULL,
    channel       TEXT NOT NULL,
    at_ms         BIGINT NOT NULL
);
CREATE INDEX agreement_explain_account ON agreement_explain (account_id, at_ms);

-- The company's telecom licences; a product is sold only while one covers it.
CREATE TABLE licence (
    id              TEXT PRIMARY KEY,
    type            TEXT NOT NULL,   -- idc, cdn, isp, ip_vpn
    number          TEXT NOT NULL,
    holder          TEXT NOT NULL,
    scopes          TEXT NOT NULL,   -- VPN: domestic, cross_border; '' otherwise
    regions         TEXT NOT NULL,   -- '' nationwide, else province codes
    product_kinds   TEXT NOT NULL,   -- cloud_server, vpn, cdn, certificate, traffic_pack
    valid_from_ms   BIGINT NOT NULL,
    valid_until_ms  BIGINT NOT NULL, -- exclusive
    note            TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL,
    revoked_at_ms   BIGINT
);
CREATE UNIQUE INDEX licence_number ON licence (type, number);

-- Working-day calendar overrides and confirmations: effective once a second
-- admin approved what the first proposed.
CREATE TABLE calendar_override (
    id               TEXT PRIMARY KEY,
    day              TEXT NOT NULL,   -- YYYY-MM-DD
    working          BIGINT NOT NULL, -- 0/1
    reason           TEXT NOT NULL,
    proposed_by      TEXT NOT NULL,
    proposed_at_ms   BIGINT NOT NULL,
    approved_by      TEXT NOT NULL,   -- '' until approved
    approved_at_ms   BIGINT,
    withdrawn_at_ms  BIGINT,
    CHECK (approved_by = '' OR approved_by <> proposed_by)
);
CREATE UNIQUE INDEX calendar_override_day ON calendar_override (day) WHERE withdrawn_at_ms IS NULL;

CREATE TABLE calendar_confirmation (
    id               TEXT PRIMARY KEY,
    year             BIGINT NOT NULL,
    notice           TEXT NOT NULL,
    proposed_by      TEXT NOT NULL,
    proposed_at_ms   BIGINT NOT NULL,
    approved_by      TEXT NOT NULL,
    approved_at_ms   BIGINT,
    withdrawn_at_ms  BIGINT,
    CHECK (approved_by = '' OR approved_by <> proposed_by)
);
CREATE UNIQUE INDEX calendar_confirmation_year ON calendar_confirmation (year) WHERE withdrawn_at_ms IS NULL;

-- +goose Down
DROP TABLE calendar_confirmation;
DROP TABLE calendar_override;
DROP TABLE licence;
DROP TABLE agreement_explain;
DROP TABLE agreement_acceptance;
DROP TABLE agreement_version;
