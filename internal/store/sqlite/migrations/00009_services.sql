-- +goose Up
-- Services (issue 12): what an order delivers, with its term, suspension
-- reasons (several at once), renewal reminders and history; orders learn
-- their purpose (a new purchase, a renewal or an upgrade of a service).
-- Times are Unix milliseconds UTC (NULL: not yet).
ALTER TABLE orders ADD COLUMN purpose TEXT NOT NULL DEFAULT 'new';
ALTER TABLE orders ADD COLUMN service_id TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN target_plan_id TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_service ON orders (service_id, id);

CREATE TABLE service (
    id                   TEXT PRIMARY KEY,
    account_id           TEXT NOT NULL,   -- the customer that owns it
    order_id             TEXT NOT NULL,   -- the order that created it
    line_idx             BIGINT NOT NULL,
    unit                 BIGINT NOT NULL, -- 0..quantity-1 of that line
    product_id           TEXT NOT NULL,
    plan_id              TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    cycle                TEXT NOT NULL,
    name                 TEXT NOT NULL,
    parent_id            TEXT NOT NULL,   -- a traffic pack's server
    state                TEXT NOT NULL,
    starts_at_ms         BIGINT,
    expires_at_ms        BIGINT,
    auto_renew           BIGINT NOT NULL,
    renewal_paused       TEXT NOT NULL,   -- why auto-renewal is paused ('' = not paused)
    reminders_sent       TEXT NOT NULL,   -- days before the current expiry already reminded (comma-separated)
    terminated_at_ms     BIGINT,
    data_destroy_requested_at_ms BIGINT,
    created_at_ms        BIGINT NOT NULL,
    updated_at_ms        BIGINT NOT NULL,
    UNIQUE (order_id, line_idx, unit)
);
CREATE INDEX service_account ON service (account_id, id);
CREATE INDEX service_state_expiry ON service (state, expires_at_ms);
CREATE INDEX service_parent ON service (parent_id);

CREATE TABLE service_suspension (
    service_id   TEXT NOT NULL REFERENCES service (id),
    reason       TEXT NOT NULL,
    since_ms     BIGINT NOT NULL,
    PRIMARY KEY (service_id, reason)
);

-- The history a customer sees: activation, suspensions, renewals,
-- extensions with their reason, plan changes, termination.
CREATE TABLE service_event (
    id           TEXT PRIMARY KEY,
    service_id   TEXT NOT NULL REFERENCES service (id),
    kind         TEXT NOT NULL,
    reason       TEXT NOT NULL,
    data         TEXT NOT NULL,   -- JSON
    at_ms        BIGINT NOT NULL
);
CREATE INDEX service_event_service ON service_event (service_id, id);

-- +goose Down
DROP TABLE service_event;
DROP TABLE service_suspension;
DROP TABLE service;
DROP INDEX orders_service;
ALTER TABLE orders DROP COLUMN target_plan_id;
ALTER TABLE orders DROP COLUMN service_id;
ALTER TABLE orders DROP COLUMN purpose;
