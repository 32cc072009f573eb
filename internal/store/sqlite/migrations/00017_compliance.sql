-- +goose Up
-- Violation cases, their signals and evidence (issue 16, clause 4.2).
-- Times are Unix milliseconds UTC (NULL: never). Evidence content is
-- stored once by SHA-256 in ticket_blob (the content-addressed store).
CREATE TABLE violation_case (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,        -- '' until attributed
    service_id      TEXT NOT NULL,        -- '' when the case is about the account
    target          TEXT NOT NULL,        -- normalised: an IP address, a domain or a service id
    rule            TEXT NOT NULL,        -- compliance.Rule
    state           TEXT NOT NULL,        -- detected, under_review, confirmed, dismissed
    reviewer_id     TEXT NOT NULL,
    decision_text   TEXT NOT NULL,
    signals         BIGINT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL,
    decided_at_ms   BIGINT,
    retain_until_ms BIGINT
);
CREATE INDEX violation_case_account ON violation_case (account_id, state);
CREATE INDEX violation_case_open ON violation_case (state, created_at_ms);
CREATE INDEX violation_case_target ON violation_case (target, rule, state);

CREATE TABLE violation_signal (
    id              TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL REFERENCES violation_case (id),
    source          TEXT NOT NULL,        -- abuse_report, staff_finding
    rule            TEXT NOT NULL,
    target          TEXT NOT NULL,
    observed_at_ms  BIGINT NOT NULL,      -- when the reported activity happened
    detail          TEXT NOT NULL,
    reporter_enc    TEXT NOT NULL,        -- sealed contact of an outside reporter (AAD violation_signal/reporter/id)
    reporter_masked TEXT NOT NULL,
    created_by      TEXT NOT NULL,        -- staff id, or 'public'
    created_at_ms   BIGINT NOT NULL
);
CREATE INDEX violation_signal_case ON violation_signal (case_id, created_at_ms);

CREATE TABLE case_evidence (
    id              TEXT PRIMARY KEY,
    case_id         TEXT NOT NULL REFERENCES violation_case (id),
    blob_hash       TEXT NOT NULL REFERENCES ticket_blob (hash),
    filename        TEXT NOT NULL,
    content_type    TEXT NOT NULL,
    size_bytes      BIGINT NOT NULL,
    note            TEXT NOT NULL,
    added_by        TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL
);
CREATE INDEX case_evidence_case ON case_evidence (case_id, created_at_ms);

-- Outbound customer-class bytes per service and hour (a sample spanning
-- hours is split pro rata), what the traffic detector judges; and the
-- hours it has judged, so that each is judged once.
CREATE TABLE usage_hour_out (
    service_id   TEXT NOT NULL,
    hour_ms      BIGINT NOT NULL,
    tx_bytes     BIGINT NOT NULL,
    PRIMARY KEY (service_id, hour_ms)
);
CREATE INDEX usage_hour_out_hour ON usage_hour_out (hour_ms);
CREATE TABLE detector_hour (
    service_id   TEXT NOT NULL,
    hour_ms      BIGINT NOT NULL,
    fired        BIGINT NOT NULL,
    PRIMARY KEY (service_id, hour_ms)
);

-- The re-registration blocklist (Anti-Telecom-Fraud Law art. 31, after an
-- authority-ordered ban): keyed blind indexes of ID numbers, USCCs and
-- phones, never the values or a plain hash.
CREATE TABLE blocklist_entry (
    id             TEXT PRIMARY KEY,
    kind           TEXT NOT NULL,      -- id_number, uscc, phone
    blind_index    TEXT NOT NULL,
    masked         TEXT NOT NULL,
    reason         TEXT NOT NULL,
    authority_ref  TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    lifted_at_ms   BIGINT,
    lifted_by      TEXT NOT NULL
);
CREATE INDEX blocklist_entry_index ON blocklist_entry (kind, blind_index);

-- +goose Down
DROP TABLE blocklist_entry;
DROP TABLE detector_hour;
DROP TABLE usage_hour_out;
DROP TABLE case_evidence;
DROP TABLE violation_signal;
DROP TABLE violation_case;
