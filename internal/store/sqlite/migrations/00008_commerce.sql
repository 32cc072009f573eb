-- +goose Up
-- Commerce (issue 9, clauses 2 and 3, DESIGN.md §2, §3, §5): the catalog,
-- orders and their frozen lines, coupons and their uses, Idempotency-Key
-- records, payments, the double-entry ledger, withdrawals and fapiao
-- requests. Portable types only: TEXT and BIGINT; money is int64 fen; times
-- are Unix milliseconds UTC (NULL: not yet); structured values are JSON text.

-- A product and its kind's specification (JSON of the catalog spec).
CREATE TABLE product (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    name_en          TEXT NOT NULL,
    description      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    active           BIGINT NOT NULL,
    spec             TEXT NOT NULL,
    region           TEXT NOT NULL,   -- '' for products sold nationwide (certificates, packs)
    delivery_sla_ms  BIGINT NOT NULL,
    driver           TEXT NOT NULL,
    sort_key         BIGINT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    updated_at_ms    BIGINT NOT NULL
);
CREATE INDEX product_kind ON product (kind, sort_key);

-- A purchasable configuration with its prices per cycle (JSON
-- [{"cycle","amount_fen"}]). stock = -1: not counted; otherwise decremented
-- by a conditional update at checkout and given back on expiry.
CREATE TABLE product_plan (
    id               TEXT PRIMARY KEY,
    product_id       TEXT NOT NULL REFERENCES product (id),
    name             TEXT NOT NULL,
    prices           TEXT NOT NULL,
    stock            BIGINT NOT NULL,
    sort_key         BIGINT NOT NULL,
    CHECK (stock >= -1)
);
CREATE INDEX product_plan_product ON product_plan (product_id, sort_key);

-- An order. account_id is the customer that owns it (the enterprise for
-- its sub-users); placed_by the account that checked out. The agreement
-- version accepted at checkout and its acceptance record are kept with it
-- (policy.For(order)); the delivery deadline is set at payment.
CREATE TABLE orders (
    id                    TEXT PRIMARY KEY,
    account_id            TEXT NOT NULL,
    placed_by             TEXT NOT NULL,
    reseller_id           TEXT NOT NULL,
    channel               TEXT NOT NULL,
    state                 TEXT NOT NULL,
    agreement_version_id  TEXT NOT NULL,
    agreement_sha256      TEXT NOT NULL,
    acceptance_id         TEXT NOT NULL,
    acknowledged          TEXT NOT NULL,   -- comma-separated clause ids
    subtotal_fen          BIGINT NOT NULL,
    discount_fen          BIGINT NOT NULL,
    total_fen             BIGINT NOT NULL,
    coupon_code           TEXT NOT NULL,
    paid_fen              BIGINT NOT NULL, -- Σ succeeded payments
    created_at_ms         BIGINT NOT NULL,
    updated_at_ms         BIGINT NOT NULL,
    expires_at_ms         BIGINT NOT NULL,
    paid_at_ms            BIGINT,
    deliver_by_ms         BIGINT,
    delivered_at_ms       BIGINT,
    closed_at_ms          BIGINT,
    CHECK (discount_fen >= 0 AND discount_fen <= subtotal_fen AND total_fen = subtotal_fen - discount_fen),
    CHECK (paid_fen >= 0 AND paid_fen <= total_fen)
);
CREATE INDEX orders_account ON orders (account_id, id);
CREATE INDEX orders_state ON orders (state, expires_at_ms);

-- One line, frozen at checkout: price, refund class and the clause that
-- makes it so, the delivery SLA.
CREATE TABLE order_line (
    order_id         TEXT NOT NULL REFERENCES orders (id),
    idx              BIGINT NOT NULL,
    product_id       TEXT NOT NULL,
    plan_id          TEXT NOT NULL,
    product_name     TEXT NOT NULL,
    plan_name        TEXT NOT NULL,
    kind             TEXT NOT NULL,
    cycle            TEXT NOT NULL,
    quantity         BIGINT NOT NULL,
    unit_price_fen   BIGINT NOT NULL,
    total_fen        BIGINT NOT NULL,
    refund_class     TEXT NOT NULL,
    refund_clause    TEXT NOT NULL,
    delivery_sla_ms  BIGINT NOT NULL,
    attach_to        TEXT NOT NULL,
    PRIMARY KEY (order_id, idx)
);

-- A payment of an order: by balance (succeeded at once, with the parts it
-- took from refund credit and cash) or a gateway attempt (pending until the
-- gateways capability verifies its notification).
CREATE TABLE payment (
    id                       TEXT PRIMARY KEY,
    order_id                 TEXT NOT NULL REFERENCES orders (id),
    account_id               TEXT NOT NULL,
    method                   TEXT NOT NULL,   -- balance, alipay, wechatpay
    state                    TEXT NOT NULL,   -- pending, succeeded, failed, cancelled
    amount_fen               BIGINT NOT NULL,
    from_refund_credit_fen   BIGINT NOT NULL,
    from_cash_fen            BIGINT NOT NULL,
    ledger_txn_id            TEXT NOT NULL,
    created_at_ms            BIGINT NOT NULL,
    settled_at_ms            BIGINT,
    CHECK (amount_fen > 0 AND from_refund_credit_fen >= 0 AND from_cash_fen >= 0)
);
CREATE INDEX payment_order ON payment (order_id, id);

-- Coupons and their uses: uses counts the uses in force (a use given back
-- by an expiry, cancellation or refund is no longer counted).
CREATE TABLE coupon (
    code                   TEXT PRIMARY KEY,
    kind                   TEXT NOT NULL,
    percent_bp             BIGINT NOT NULL,
    amount_fen             BIGINT NOT NULL,
    product_ids            TEXT NOT NULL,   -- comma-separated; '' = every product
    first_purchase_only    BIGINT NOT NULL,
    max_uses               BIGINT NOT NULL,
    max_uses_per_customer  BIGINT NOT NULL,
    valid_from_ms          BIGINT,
    valid_until_ms         BIGINT,
    uses                   BIGINT NOT NULL,
    active                 BIGINT NOT NULL,
    created_by             TEXT NOT NULL,
    created_at_ms          BIGINT NOT NULL,
    CHECK (uses >= 0)
);
CREATE TABLE coupon_customer (
    code         TEXT NOT NULL,
    account_id   TEXT NOT NULL,
    uses         BIGINT NOT NULL,
    PRIMARY KEY (code, account_id),
    CHECK (uses >= 0)
);
CREATE TABLE coupon_use (
    order_id         TEXT PRIMARY KEY,
    code             TEXT NOT NULL,
    account_id       TEXT NOT NULL,
    discount_fen     BIGINT NOT NULL,
    used_at_ms       BIGINT NOT NULL,
    restored_at_ms   BIGINT
);

-- Idempotency-Key records, scoped to the account (issue 9): the first
-- request's body hash, its state, and the stored response to replay.
-- locked_until_ms lets a retry take over a claim whose request died.
CREATE TABLE idempotency_key (
    account_id       TEXT NOT NULL,
    idem_key         TEXT NOT NULL,
    operation        TEXT NOT NULL,
    body_hash        TEXT NOT NULL,
    state            TEXT NOT NULL,
    status           BIGINT NOT NULL,
    response         TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    locked_until_ms  BIGINT NOT NULL,
    PRIMARY KEY (account_id, idem_key)
);
CREATE INDEX idempotency_key_created ON idempotency_key (created_at_ms);

-- The double-entry ledger. A transaction and its postings (Σ = 0) are
-- written once and never changed, except that a roll-up marks postings of
-- the high-traffic company accounts as counted (rolled = 1).
CREATE TABLE ledger_txn (
    id             TEXT PRIMARY KEY,
    reason         TEXT NOT NULL,
    memo           TEXT NOT NULL,
    links          TEXT NOT NULL,   -- JSON object
    customer_id    TEXT NOT NULL,   -- the customer whose sub-balances it moves, or ''
    created_by     TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX ledger_txn_customer ON ledger_txn (customer_id, id);
CREATE TABLE ledger_posting (
    txn_id         TEXT NOT NULL REFERENCES ledger_txn (id),
    seq            BIGINT NOT NULL,
    account        TEXT NOT NULL,
    amount_fen     BIGINT NOT NULL,
    rolled         BIGINT NOT NULL,
    PRIMARY KEY (txn_id, seq),
    CHECK (amount_fen <> 0)
);
CREATE INDEX ledger_posting_account ON ledger_posting (account, txn_id);
CREATE INDEX ledger_posting_unrolled ON ledger_posting (rolled, account);
-- Balances kept live (customer sub-balances and what the company owes:
-- the non-negative accounts, changed by conditional updates) and rolled-up
-- balances of the others (revenue, clearing, adjustments), which checkouts
-- never update, so that they do not serialise on one row.
CREATE TABLE ledger_balance (
    account        TEXT PRIMARY KEY,
    balance_fen    BIGINT NOT NULL,
    live           BIGINT NOT NULL,
    updated_at_ms  BIGINT NOT NULL,
    CHECK (live = 0 OR balance_fen >= 0)
);

-- Withdrawals of cash to their original route, and the pay-backs when an
-- account ends (kind closure: cash and refund credit to their routes).
CREATE TABLE withdrawal (
    id                  TEXT PRIMARY KEY,
    account_id          TEXT NOT NULL,
    kind                TEXT NOT NULL,   -- withdrawal, closure
    source              TEXT NOT NULL,   -- cash, refund_credit
    amount_fen          BIGINT NOT NULL,
    state               TEXT NOT NULL,   -- requested, approved, paid, rejected, cancelled
    route               TEXT NOT NULL,   -- where it is paid: bank (manual transfer) until gateways route it back
    destination_enc     TEXT NOT NULL,   -- the bank account, sealed
    destination_masked  TEXT NOT NULL,
    note                TEXT NOT NULL,
    requested_at_ms     BIGINT NOT NULL,
    first_approver      TEXT NOT NULL,
    first_approved_at_ms BIGINT,
    second_approver     TEXT NOT NULL,
    second_approved_at_ms BIGINT,
    decided_by          TEXT NOT NULL,
    reject_reason       TEXT NOT NULL,
    paid_by             TEXT NOT NULL,
    paid_at_ms          BIGINT,
    transfer_ref        TEXT NOT NULL,
    updated_at_ms       BIGINT NOT NULL,
    CHECK (amount_fen > 0),
    CHECK (second_approver = '' OR second_approver <> first_approver)
);
CREATE INDEX withdrawal_account ON withdrawal (account_id, id);
CREATE INDEX withdrawal_state ON withdrawal (state, id);

-- 发票 (fapiao) requests, recorded for finance.
CREATE TABLE invoice_request (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL,
    order_id         TEXT NOT NULL REFERENCES orders (id),
    invoice_type     TEXT NOT NULL,   -- normal (普通发票), special (增值税专用发票)
    title            TEXT NOT NULL,
    tax_id           TEXT NOT NULL,
    email            TEXT NOT NULL,
    amount_fen       BIGINT NOT NULL,
    state            TEXT NOT NULL,   -- requested, issued, rejected
    note             TEXT NOT NULL,
    invoice_no       TEXT NOT NULL,
    handled_by       TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    handled_at_ms    BIGINT
);
CREATE UNIQUE INDEX invoice_request_order ON invoice_request (order_id) WHERE state <> 'rejected';
CREATE INDEX invoice_request_state ON invoice_request (state, id);

-- Carts: what a customer collected before checkout (prices are read again
-- at checkout; nothing here is charged).
CREATE TABLE cart_item (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    product_id     TEXT NOT NULL,
    plan_id        TEXT NOT NULL,
    cycle          TEXT NOT NULL,
    quantity       BIGINT NOT NULL,
    attach_to      TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX cart_item_account ON cart_item (account_id, id);

-- +goose Down
DROP TABLE cart_item;
DROP TABLE invoice_request;
DROP TABLE withdrawal;
DROP TABLE ledger_balance;
DROP TABLE ledger_posting;
DROP TABLE ledger_txn;
DROP TABLE idempotency_key;
DROP TABLE coupon_use;
DROP TABLE coupon_customer;
DROP TABLE coupon;
DROP TABLE payment;
DROP TABLE order_line;
DROP TABLE orders;
DROP TABLE product_plan;
DROP TABLE product;
