-- +goose Up
-- Authorised resellers (issue 11, clause 2.1, SEED-REQUIREMENTS A22).
-- Times are Unix milliseconds UTC (NULL: never).

-- An authorisation lets a reseller account sell some product kinds in some
-- regions for a period. Anyone may check a code on the public page.
CREATE TABLE reseller_authorisation (
    id              TEXT PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,   -- public check code, YXR-XXXX-XXXX
    reseller_id     TEXT NOT NULL REFERENCES account (id),
    company_name    TEXT NOT NULL,
    kinds           TEXT NOT NULL,          -- JSON array of product kinds
    regions         TEXT NOT NULL,          -- JSON array of regions; [] = every region
    mode            TEXT NOT NULL,          -- wholesale | commission
    rate_bp         BIGINT NOT NULL,        -- wholesale discount or commission, basis points
    valid_from_ms   BIGINT NOT NULL,
    valid_until_ms  BIGINT NOT NULL,
    state           TEXT NOT NULL,          -- active | suspended | revoked
    state_reason    TEXT NOT NULL,
    created_by      TEXT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL
);
CREATE INDEX reseller_authorisation_reseller ON reseller_authorisation (reseller_id, valid_until_ms);

-- An invitation: the customer completes registration, KYC and acceptance
-- themselves through the link (the token is stored hashed).
CREATE TABLE reseller_invitation (
    id              TEXT PRIMARY KEY,
    reseller_id     TEXT NOT NULL REFERENCES account (id),
    token_hash      TEXT NOT NULL UNIQUE,
    kind            TEXT NOT NULL,          -- individual | enterprise
    email_enc       TEXT NOT NULL,          -- sealed (AAD reseller_invitation/email/id)
    email_index     TEXT NOT NULL,
    email_masked    TEXT NOT NULL,
    note            TEXT NOT NULL,          -- the reseller's own reference
    state           TEXT NOT NULL,          -- pending | accepted | revoked
    account_id      TEXT NOT NULL,          -- the account made on acceptance; ''
    expires_at_ms   BIGINT NOT NULL,
    accepted_at_ms  BIGINT,
    created_at_ms   BIGINT NOT NULL
);
CREATE INDEX reseller_invitation_reseller ON reseller_invitation (reseller_id, created_at_ms);

-- The commission of one order of a commission-mode reseller.
CREATE TABLE reseller_commission (
    order_id           TEXT PRIMARY KEY,
    reseller_id        TEXT NOT NULL,
    customer_id        TEXT NOT NULL,
    authorisation_id   TEXT NOT NULL,
    base_fen           BIGINT NOT NULL,
    rate_bp            BIGINT NOT NULL,
    amount_fen         BIGINT NOT NULL,
    accrued_txn        TEXT NOT NULL,
    accrued_at_ms      BIGINT NOT NULL,
    clawed_back_fen    BIGINT NOT NULL,
    shortfall_fen      BIGINT NOT NULL,      -- clawback neither commission nor cash could cover
    clawback_txn       TEXT NOT NULL,
    clawed_back_at_ms  BIGINT
);
CREATE INDEX reseller_commission_reseller ON reseller_commission (reseller_id, accrued_at_ms);

-- Statements settled: unsettled commission moved into the reseller's cash.
CREATE TABLE reseller_settlement (
    id             TEXT PRIMARY KEY,
    reseller_id    TEXT NOT NULL,
    amount_fen     BIGINT NOT NULL,
    txn_id         TEXT NOT NULL,
    settled_by     TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX reseller_settlement_reseller ON reseller_settlement (reseller_id, created_at_ms);

-- Orders of a reseller: how it is paid (wholesale: by the reseller's
-- wallet at the wholesale price; commission: by the customer).
ALTER TABLE orders ADD COLUMN reseller_mode TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN reseller_auth_id TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_reseller ON orders (reseller_id, id);
CREATE INDEX account_reseller ON account (reseller_id, id);

-- A customer's delegation of its tickets to its reseller.
CREATE TABLE reseller_delegation (
    account_id     TEXT PRIMARY KEY REFERENCES account (id),
    tickets        BIGINT NOT NULL,      -- 0/1
    updated_at_ms  BIGINT NOT NULL
);

-- Webhooks to resellers: endpoints and the delivery log (an outbox:
-- events are written in the transaction that causes them).
CREATE TABLE webhook_endpoint (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES account (id),
    url            TEXT NOT NULL,
    secret_enc     TEXT NOT NULL,          -- sealed HMAC secret (AAD webhook_endpoint/secret/id)
    events         TEXT NOT NULL,          -- JSON array; [] = every event
    active         BIGINT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL
);
CREATE INDEX webhook_endpoint_account ON webhook_endpoint (account_id);

CREATE TABLE webhook_delivery (
    id                  TEXT PRIMARY KEY,
    endpoint_id         TEXT NOT NULL REFERENCES webhook_endpoint (id),
    account_id          TEXT NOT NULL,
    event_id            TEXT NOT NULL,
    event_type          TEXT NOT NULL,
    payload             TEXT NOT NULL,
    state               TEXT NOT NULL,      -- pending | delivered | failed
    attempts            BIGINT NOT NULL,
    next_attempt_at_ms  BIGINT NOT NULL,    -- wall time
    lease_until_ms      BIGINT NOT NULL,
    last_status         BIGINT NOT NULL,
    last_error          TEXT NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    delivered_at_ms     BIGINT
);
CREATE UNIQUE INDEX webhook_delivery_event ON webhook_delivery (endpoint_id, event_id);
CREATE INDEX webhook_delivery_due ON webhook_delivery (state, next_attempt_at_ms);
CREATE INDEX webhook_delivery_account ON webhook_delivery (account_id, created_at_ms);

-- +goose Down
DROP TABLE webhook_delivery;
DROP TABLE webhook_endpoint;
DROP TABLE reseller_delegation;
DROP INDEX account_reseller;
DROP INDEX orders_reseller;
ALTER TABLE orders DROP COLUMN reseller_auth_id;
ALTER TABLE orders DROP COLUMN reseller_mode;
DROP TABLE reseller_settlement;
DROP TABLE reseller_commission;
DROP TABLE reseller_invitation;
DROP TABLE reseller_authorisation;
