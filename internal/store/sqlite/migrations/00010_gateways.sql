-- +goose Up
-- Payment gateways (issue 10): one attempt per payment reference (32
-- characters, out_trade_no), the gateway events processed exactly once
-- (keyed by the gateway's trade number and the event kind, written in the
-- same transaction as the credit), finance flags (forged, unknown or
-- mismatched notifications, late payments), gateway refunds and
-- reconciliation differences. Times are Unix milliseconds UTC.
CREATE TABLE gateway_attempt (
    id                  TEXT PRIMARY KEY,
    ref                 TEXT NOT NULL UNIQUE,
    gateway             TEXT NOT NULL,   -- alipay, wechatpay
    kind                TEXT NOT NULL,   -- page, qr
    purpose             TEXT NOT NULL,   -- order, topup
    account_id          TEXT NOT NULL,
    order_id            TEXT NOT NULL,   -- '' for a top-up
    payment_id          TEXT NOT NULL,   -- the order's payment row; '' for a top-up
    amount_fen          BIGINT NOT NULL,
    state               TEXT NOT NULL,   -- creating, pending, succeeded, closed, failed
    gateway_trade_no    TEXT NOT NULL,
    pay_url             TEXT NOT NULL,
    qr_code             TEXT NOT NULL,
    error               TEXT NOT NULL,
    ledger_txn_id       TEXT NOT NULL,
    refunded_fen        BIGINT NOT NULL,
    expires_at_ms       BIGINT NOT NULL,
    created_at_ms       BIGINT NOT NULL,
    updated_at_ms       BIGINT NOT NULL,
    settled_at_ms       BIGINT,
    checked_at_ms       BIGINT,
    CHECK (amount_fen > 0 AND refunded_fen >= 0 AND refunded_fen <= amount_fen)
);
CREATE INDEX gateway_attempt_state ON gateway_attempt (state, created_at_ms);
CREATE INDEX gateway_attempt_account ON gateway_attempt (account_id, id);
CREATE INDEX gateway_attempt_order ON gateway_attempt (order_id);

CREATE TABLE gateway_event (
    gateway        TEXT NOT NULL,
    trade_no       TEXT NOT NULL,
    kind           TEXT NOT NULL,   -- paid, closed, refund:<refund ref>
    attempt_id     TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    PRIMARY KEY (gateway, trade_no, kind)
);

CREATE TABLE payment_flag (
    id              TEXT PRIMARY KEY,
    gateway         TEXT NOT NULL,
    ref             TEXT NOT NULL,
    attempt_id      TEXT NOT NULL,
    kind            TEXT NOT NULL,   -- bad_signature, malformed, unknown_attempt, wrong_merchant, amount_mismatch, late_payment, recon_difference
    detail          TEXT NOT NULL,
    amount_fen      BIGINT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    resolved_at_ms  BIGINT,
    resolved_by     TEXT NOT NULL,
    note            TEXT NOT NULL
);
CREATE INDEX payment_flag_open ON payment_flag (resolved_at_ms, created_at_ms);

CREATE TABLE gateway_refund (
    id               TEXT PRIMARY KEY,
    refund_ref       TEXT NOT NULL UNIQUE,
    attempt_id       TEXT NOT NULL,
    gateway          TEXT NOT NULL,
    amount_fen       BIGINT NOT NULL,
    purpose          TEXT NOT NULL,   -- withdrawal, refund, closure
    link_id          TEXT NOT NULL,
    state            TEXT NOT NULL,   -- requested, processing, succeeded, failed
    tries            BIGINT NOT NULL,
    next_try_at_ms   BIGINT NOT NULL,
    last_error       TEXT NOT NULL,
    gateway_refund_no TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    settled_at_ms    BIGINT,
    CHECK (amount_fen > 0)
);
CREATE INDEX gateway_refund_due ON gateway_refund (state, next_try_at_ms);

CREATE TABLE recon_diff (
    id              TEXT PRIMARY KEY,
    day             TEXT NOT NULL,   -- the bill day, YYYY-MM-DD (China time)
    gateway         TEXT NOT NULL,
    kind            TEXT NOT NULL,   -- only_gateway, only_ours, amount_differs
    ref             TEXT NOT NULL,
    entry           TEXT NOT NULL,   -- payment, refund
    ours_fen        BIGINT NOT NULL,
    theirs_fen      BIGINT NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    UNIQUE (day, gateway, kind, ref, entry)
);
CREATE TABLE recon_run (
    day            TEXT NOT NULL,
    gateway        TEXT NOT NULL,
    entries        BIGINT NOT NULL,
    differences    BIGINT NOT NULL,
    ran_at_ms      BIGINT NOT NULL,
    PRIMARY KEY (day, gateway)
);

-- +goose Down
DROP TABLE recon_run;
DROP TABLE recon_diff;
DROP TABLE gateway_refund;
DROP TABLE payment_flag;
DROP TABLE gateway_event;
DROP TABLE gateway_attempt;
