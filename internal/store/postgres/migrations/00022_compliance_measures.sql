-- +goose Up
-- Measures imposed on a confirmed violation case, their notice, and the
-- customer's appeals (issue 16, clauses 4.2 and 6.2). Times are Unix
-- milliseconds UTC (NULL: never).
CREATE TABLE compliance_measure (
    id               TEXT PRIMARY KEY,
    case_id          TEXT NOT NULL REFERENCES violation_case (id),
    account_id       TEXT NOT NULL,
    service_id       TEXT NOT NULL,        -- '' when the measure is about the account
    kind             TEXT NOT NULL,        -- compliance.Measure: restrict, suspend, ban
    state            TEXT NOT NULL,        -- in_force, overturned, lapsed
    emergency        BIGINT NOT NULL,      -- 1: imposed by the traffic detector, lapses unless confirmed
    reason           TEXT NOT NULL,
    imposed_by       TEXT NOT NULL,        -- staff id, or 'detector'
    standing_id      TEXT NOT NULL,        -- the standing_measure row it set, or ''
    services         TEXT NOT NULL,        -- JSON array of the service ids it suspended
    frozen           BIGINT NOT NULL,      -- 1: the balance was frozen by it
    notification_id  TEXT NOT NULL,        -- the notice (its delivery log says when it reached the customer)
    escalated_at_ms  BIGINT,               -- the notice reached no channel: staff were told
    confirm_by_ms    BIGINT,               -- emergency: lapses at this instant unless confirmed
    confirmed_by     TEXT NOT NULL,
    confirmed_at_ms  BIGINT,
    created_at_ms    BIGINT NOT NULL,
    updated_at_ms    BIGINT NOT NULL,
    ended_at_ms      BIGINT,
    ended_by         TEXT NOT NULL,
    end_reason       TEXT NOT NULL
);
CREATE INDEX compliance_measure_account ON compliance_measure (account_id, created_at_ms);
CREATE INDEX compliance_measure_state ON compliance_measure (state, emergency, confirm_by_ms);

CREATE TABLE compliance_appeal (
    id             TEXT PRIMARY KEY,
    measure_id     TEXT NOT NULL REFERENCES compliance_measure (id),
    account_id     TEXT NOT NULL,
    filed_by       TEXT NOT NULL,
    ticket_id      TEXT NOT NULL,         -- the appeal's thread (attachments live there)
    state          TEXT NOT NULL,         -- open, under_review, upheld, overturned
    statement      TEXT NOT NULL,
    reviewer_id    TEXT NOT NULL,
    decision_text  TEXT NOT NULL,
    appeal_due_ms  BIGINT,                -- the appeal deadline as it stood when filed (NULL: the clock had not started)
    review_due_ms  BIGINT NOT NULL,
    overdue_at_ms  BIGINT,                -- the review missed review_due: staff were told
    created_at_ms  BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL,
    decided_at_ms  BIGINT
);
CREATE INDEX compliance_appeal_account ON compliance_appeal (account_id, created_at_ms);
CREATE INDEX compliance_appeal_state ON compliance_appeal (state, review_due_ms);
CREATE UNIQUE INDEX compliance_appeal_one_open ON compliance_appeal (measure_id) WHERE state IN ('open', 'under_review');

-- +goose Down
DROP TABLE compliance_appeal;
DROP TABLE compliance_measure;
