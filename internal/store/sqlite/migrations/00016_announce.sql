-- +goose Up
-- Announcements, maintenance windows, incidents and assignment notices
-- (issue 17; clauses 6.2, 7 and 9.3). Times are Unix milliseconds UTC
-- (NULL: never). Lists are JSON arrays of strings.

-- A news item in both languages; public once published_at_ms has passed.
CREATE TABLE announcement (
    id               TEXT PRIMARY KEY,
    title_zh         TEXT NOT NULL,
    title_en         TEXT NOT NULL,
    body_zh          TEXT NOT NULL,   -- plain text, rendered escaped
    body_en          TEXT NOT NULL,
    published_at_ms  BIGINT,          -- NULL: draft
    created_by       TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    updated_at_ms    BIGINT NOT NULL
);
CREATE INDEX announcement_published ON announcement (published_at_ms);

-- Planned work (6.2). Affected services are resolved from products and
-- regions when it is published; nodes are free strings for now.
CREATE TABLE maintenance_window (
    id                TEXT PRIMARY KEY,
    title_zh          TEXT NOT NULL,
    title_en          TEXT NOT NULL,
    body_zh           TEXT NOT NULL,
    body_en           TEXT NOT NULL,
    products          TEXT NOT NULL,
    regions           TEXT NOT NULL,
    nodes             TEXT NOT NULL,
    start_ms          BIGINT NOT NULL,
    end_ms            BIGINT NOT NULL,
    emergency         BIGINT NOT NULL,   -- 1: less notice than policy, flagged, never exempt (7.3)
    notice_hours      BIGINT NOT NULL,   -- maintenance.notice_hours in force when it was published
    state             TEXT NOT NULL,     -- scheduled | in_progress | completed | cancelled
    reminded_at_ms    BIGINT,
    started_at_ms     BIGINT,
    completed_at_ms   BIGINT,
    created_by        TEXT NOT NULL,
    created_at_ms     BIGINT NOT NULL,
    updated_at_ms     BIGINT NOT NULL
);
CREATE INDEX maintenance_window_start ON maintenance_window (state, start_ms);

-- One notice per affected customer and window: which services, and the
-- notification whose email/SMS deliveries say when the customer was reached.
CREATE TABLE maintenance_notice (
    window_id        TEXT NOT NULL REFERENCES maintenance_window (id),
    account_id       TEXT NOT NULL,
    service_ids      TEXT NOT NULL,
    notification_id  TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    PRIMARY KEY (window_id, account_id)
);
CREATE INDEX maintenance_notice_account ON maintenance_notice (account_id);

-- An outage with a cause tag (clause 7) and, for maintenance, its window.
CREATE TABLE incident (
    id               TEXT PRIMARY KEY,
    title_zh         TEXT NOT NULL,
    title_en         TEXT NOT NULL,
    body_zh          TEXT NOT NULL,
    body_en          TEXT NOT NULL,
    cause            TEXT NOT NULL,
    window_id        TEXT NOT NULL,     -- '' unless maintenance
    state            TEXT NOT NULL,     -- open | resolved
    started_at_ms    BIGINT NOT NULL,
    ended_at_ms      BIGINT,
    created_by       TEXT NOT NULL,
    resolved_by      TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    updated_at_ms    BIGINT NOT NULL
);
CREATE INDEX incident_started ON incident (started_at_ms);

-- An affected service and, once resolved, the decision of clause 7.
CREATE TABLE incident_service (
    incident_id      TEXT NOT NULL REFERENCES incident (id),
    service_id       TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    decided          BIGINT NOT NULL,   -- 1 once judged
    exempt           BIGINT NOT NULL,
    clause           TEXT NOT NULL,
    notified         BIGINT NOT NULL,   -- the maintenance notice record used
    extension_ms     BIGINT NOT NULL,
    PRIMARY KEY (incident_id, service_id)
);
CREATE INDEX incident_service_account ON incident_service (account_id);

-- An assignment of the agreement (9.3), noticed notice_days ahead.
CREATE TABLE assignment (
    id               TEXT PRIMARY KEY,
    assignee         TEXT NOT NULL,
    effective_at_ms  BIGINT NOT NULL,
    notice_days      BIGINT NOT NULL,
    notified         BIGINT NOT NULL,   -- customers noticed
    created_by       TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL
);

-- A customer's objection: it may leave with the unused term refunded
-- pro rata (amounts JSON: [{service_id, order_id, fen}]).
CREATE TABLE assignment_objection (
    assignment_id    TEXT NOT NULL REFERENCES assignment (id),
    account_id       TEXT NOT NULL,
    amounts          TEXT NOT NULL,
    total_fen        BIGINT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    PRIMARY KEY (assignment_id, account_id)
);

-- +goose Down
DROP TABLE assignment_objection;
DROP TABLE assignment;
DROP TABLE incident_service;
DROP TABLE incident;
DROP TABLE maintenance_notice;
DROP TABLE maintenance_window;
DROP TABLE announcement;
