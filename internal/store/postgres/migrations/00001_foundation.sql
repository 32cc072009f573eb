-- +goose Up
-- The sandbox test clock: business time = wall time + offset_ms (DESIGN.md §6).
CREATE TABLE sandbox_clock (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    offset_ms      BIGINT NOT NULL,
    started_at_ms  BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL
);

-- Audit events, inserted in the business transaction; batch_seq is set when
-- a sealer puts the event into the hash chain.
CREATE TABLE audit_event (
    id            TEXT PRIMARY KEY,
    at_ms         BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject_type  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    client_ip     TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    data          TEXT NOT NULL,
    batch_seq     BIGINT
);
CREATE INDEX audit_event_unsealed ON audit_event (id) WHERE batch_seq IS NULL;
CREATE INDEX audit_event_batch ON audit_event (batch_seq, id);
CREATE INDEX audit_event_subject ON audit_event (subject_type, subject_id, at_ms);

CREATE TABLE audit_batch (
    seq           BIGINT PRIMARY KEY,
    sealed_at_ms  BIGINT NOT NULL,
    event_count   BIGINT NOT NULL,
    first_id      TEXT NOT NULL,
    last_id       TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);

-- Secrets generated for a demo or single-instance install (DESIGN.md §6).
CREATE TABLE secret (
    name           TEXT PRIMARY KEY,
    value          TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);

-- Fixed-window rate-limit counters shared by every instance. key is a keyed
-- blind index (never a raw phone, email or address).
CREATE TABLE rate_limit (
    key              TEXT NOT NULL,
    window_start_ms  BIGINT NOT NULL,
    count            BIGINT NOT NULL,
    expires_at_ms    BIGINT NOT NULL,
    PRIMARY KEY (key, window_start_ms)
);
CREATE INDEX rate_limit_expiry ON rate_limit (expires_at_ms);

-- Last run of each registered sweep, for operators.
CREATE TABLE sweep_run (
    name            TEXT PRIMARY KEY,
    business_at_ms  BIGINT NOT NULL,
    wall_at_ms      BIGINT NOT NULL,
    affected        BIGINT NOT NULL,
    last_error      TEXT NOT NULL
);

-- +goose Down
DROP TABLE sweep_run;
DROP TABLE rate_limit;
DROP TABLE secret;
DROP TABLE audit_batch;
DROP TABLE audit_event;
DROP TABLE sandbox_clock;
