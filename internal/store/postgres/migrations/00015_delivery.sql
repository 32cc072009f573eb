-- +goose Up
-- Delivery (issue 13): one provisioning record per service a driver
-- delivers (its task state, attempts and, once delivered, the delivery
-- itself: instant, sealed credentials, addresses, notes, sandbox flag,
-- acceptance after the inspection window, clause 2.3); the attempts log;
-- the certificate states staff or a driver record (clause 3.2.2); the
-- address history (who held which address when: Cybersecurity Law art. 21,
-- retention.network_logs_days); the sandbox driver's leases, keyed by the
-- idempotency token so an allocation is made once; the breach of an
-- order's delivery deadline (clause 2.2); nodes gain a kind.
CREATE TABLE service_delivery (
    service_id        TEXT PRIMARY KEY,
    order_id          TEXT NOT NULL,
    account_id        TEXT NOT NULL,
    driver            TEXT NOT NULL,
    sandbox           BIGINT NOT NULL,
    state             TEXT NOT NULL,      -- queued, pending, delivered, failed
    deliver_by_ms     BIGINT,
    delivered_at_ms   BIGINT,
    addresses         TEXT NOT NULL,      -- JSON list of strings
    credentials       TEXT NOT NULL,      -- sealed JSON (AAD service_delivery/credentials/service_id); '' when none
    notes             TEXT NOT NULL,
    attempts          BIGINT NOT NULL,
    last_error        TEXT NOT NULL,
    accepted_at_ms    BIGINT,
    issue_ticket_id   TEXT NOT NULL,
    created_at_ms     BIGINT NOT NULL,
    updated_at_ms     BIGINT NOT NULL
);
CREATE INDEX service_delivery_order ON service_delivery (order_id);
CREATE INDEX service_delivery_state ON service_delivery (state, deliver_by_ms);

CREATE TABLE provisioning_attempt (
    id            TEXT PRIMARY KEY,
    service_id    TEXT NOT NULL,
    driver        TEXT NOT NULL,
    outcome       TEXT NOT NULL,          -- delivered, pending, error
    detail        TEXT NOT NULL,
    at_ms         BIGINT NOT NULL
);
CREATE INDEX provisioning_attempt_service ON provisioning_attempt (service_id, at_ms);

CREATE TABLE certificate_state (
    service_id    TEXT NOT NULL,
    state         TEXT NOT NULL,
    at_ms         BIGINT NOT NULL,
    recorded_by   TEXT NOT NULL,
    note          TEXT NOT NULL,
    PRIMARY KEY (service_id, state)
);

CREATE TABLE address_assignment (
    id            TEXT PRIMARY KEY,
    address       TEXT NOT NULL,
    service_id    TEXT NOT NULL,
    account_id    TEXT NOT NULL,
    from_ms       BIGINT NOT NULL,
    until_ms      BIGINT
);
CREATE INDEX address_assignment_address ON address_assignment (address, from_ms);
CREATE INDEX address_assignment_service ON address_assignment (service_id);

CREATE TABLE sandbox_lease (
    token         TEXT PRIMARY KEY,
    address       TEXT NOT NULL,
    leased_at_ms  BIGINT NOT NULL
);
CREATE UNIQUE INDEX sandbox_lease_address ON sandbox_lease (address);

CREATE TABLE order_breach (
    order_id       TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    deliver_by_ms  BIGINT NOT NULL,
    breached_at_ms BIGINT NOT NULL
);

ALTER TABLE node ADD COLUMN kind TEXT NOT NULL DEFAULT 'server';

-- +goose Down
ALTER TABLE node DROP COLUMN kind;
DROP TABLE order_breach;
DROP TABLE sandbox_lease;
DROP TABLE address_assignment;
DROP TABLE certificate_state;
DROP TABLE provisioning_attempt;
DROP TABLE service_delivery;
