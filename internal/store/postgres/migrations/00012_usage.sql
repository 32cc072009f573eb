-- +goose Up
-- Traffic metering (issue 14): nodes that report usage with a token,
-- immutable samples (one per service and interval start; a conflicting
-- resend is quarantined), hourly roll-ups of billed customer traffic, and
-- each service's node and quota alert state. Bytes are BIGINT (below 2^63).
CREATE TABLE node (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    region          TEXT NOT NULL,
    token_hash      TEXT NOT NULL,
    sandbox         BIGINT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    disabled_at_ms  BIGINT
);
CREATE UNIQUE INDEX node_token ON node (token_hash) WHERE token_hash <> '';

ALTER TABLE service ADD COLUMN node_id TEXT NOT NULL DEFAULT '';
ALTER TABLE service ADD COLUMN quota_level BIGINT NOT NULL DEFAULT 0;
ALTER TABLE service ADD COLUMN quota_cycle_start_ms BIGINT NOT NULL DEFAULT 0;
CREATE INDEX service_node ON service (node_id, id);

CREATE TABLE usage_sample (
    service_id         TEXT NOT NULL,
    interval_start_ms  BIGINT NOT NULL,
    interval_seconds   BIGINT NOT NULL,
    rx_bytes           BIGINT NOT NULL,
    tx_bytes           BIGINT NOT NULL,
    class              TEXT NOT NULL,
    billed_bytes       BIGINT NOT NULL,   -- in the service's billed direction at receipt; 0 unless customer traffic
    node_id            TEXT NOT NULL,
    received_at_ms     BIGINT NOT NULL,
    PRIMARY KEY (service_id, interval_start_ms),
    CHECK (rx_bytes >= 0 AND tx_bytes >= 0 AND billed_bytes >= 0)
);

CREATE TABLE usage_quarantine (
    id                 TEXT PRIMARY KEY,
    service_id         TEXT NOT NULL,
    interval_start_ms  BIGINT NOT NULL,
    payload            TEXT NOT NULL,   -- JSON of the refused sample
    reason             TEXT NOT NULL,
    node_id            TEXT NOT NULL,
    received_at_ms     BIGINT NOT NULL
);
CREATE INDEX usage_quarantine_service ON usage_quarantine (service_id, id);

-- Billed customer bytes per service and hour (a sample spanning hours is
-- split pro rata), so that "used between A and B" reads roll-ups and only
-- the samples of the edge hours.
CREATE TABLE usage_hour (
    service_id   TEXT NOT NULL,
    hour_ms      BIGINT NOT NULL,
    billed_bytes BIGINT NOT NULL,
    PRIMARY KEY (service_id, hour_ms)
);

-- +goose Down
DROP TABLE usage_hour;
DROP TABLE usage_quarantine;
DROP TABLE usage_sample;
DROP INDEX service_node;
ALTER TABLE service DROP COLUMN quota_cycle_start_ms;
ALTER TABLE service DROP COLUMN quota_level;
ALTER TABLE service DROP COLUMN node_id;
DROP TABLE node;
