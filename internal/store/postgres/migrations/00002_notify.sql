-- +goose Up
-- Notifications (issue 4, DESIGN.md §2 notify). A notification is written in
-- the business transaction that causes it; each channel of the channel
-- matrix gets one delivery row, delivered by a background job.
CREATE TABLE notification (
    id             TEXT PRIMARY KEY,
    event          TEXT NOT NULL,
    category       TEXT NOT NULL,
    lang           TEXT NOT NULL,
    account_id     TEXT NOT NULL,   -- '' when the recipient is not an account
    subject_type   TEXT NOT NULL,   -- what it is about ('refund', …), for deadline lookups
    subject_id     TEXT NOT NULL,
    vars           BYTEA NOT NULL,  -- sealed JSON of the template variables (AAD notification/vars/id)
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX notification_subject ON notification (subject_type, subject_id, event);
CREATE INDEX notification_account ON notification (account_id, created_at_ms);

-- The delivery log. Times: *_at_ms are business time (deadlines start from
-- first_delivered_at_ms); next_attempt_at_ms and lease_until_ms are wall time
-- (when a worker may try, how long a claim holds). message_key is the stable
-- Message-ID (email) or provider idempotency key (SMS) of every attempt.
CREATE TABLE notify_delivery (
    id                     TEXT PRIMARY KEY,
    notification_id        TEXT NOT NULL REFERENCES notification (id),
    channel                TEXT NOT NULL,
    address                BYTEA,   -- sealed phone or email (AAD notify_delivery/address/id); NULL for inapp
    address_index          BYTEA,   -- keyed blind index of the normalized address
    address_masked         TEXT NOT NULL,
    status                 TEXT NOT NULL,
    attempts               BIGINT NOT NULL,
    provider               TEXT NOT NULL,
    provider_message_id    TEXT NOT NULL,
    message_key            TEXT NOT NULL,
    reason                 TEXT NOT NULL,
    next_attempt_at_ms     BIGINT NOT NULL,
    lease_until_ms         BIGINT,
    lease_token            TEXT,
    created_at_ms          BIGINT NOT NULL,
    updated_at_ms          BIGINT NOT NULL,
    sent_at_ms             BIGINT,
    delivered_at_ms        BIGINT,
    first_delivered_at_ms  BIGINT,
    failed_at_ms           BIGINT,
    bounced_at_ms          BIGINT,
    UNIQUE (notification_id, channel)
);
CREATE UNIQUE INDEX notify_delivery_key ON notify_delivery (message_key);
CREATE INDEX notify_delivery_due ON notify_delivery (next_attempt_at_ms) WHERE status = 'queued';
CREATE INDEX notify_delivery_sent ON notify_delivery (sent_at_ms) WHERE status = 'sent';
CREATE INDEX notify_delivery_address ON notify_delivery (address_index);
CREATE INDEX notify_delivery_created ON notify_delivery (created_at_ms);

-- The in-app inbox: one item per notification to an account, rendered in
-- the recipient's language when written.
CREATE TABLE notify_inbox (
    notification_id  TEXT PRIMARY KEY REFERENCES notification (id),
    account_id       TEXT NOT NULL,
    event            TEXT NOT NULL,
    title            TEXT NOT NULL,
    body             TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    read_at_ms       BIGINT
);
CREATE INDEX notify_inbox_account ON notify_inbox (account_id, created_at_ms);

-- Opt-outs. Only marketing can be opted out of; the CHECK keeps it so.
CREATE TABLE notify_optout (
    account_id     TEXT NOT NULL,
    category       TEXT NOT NULL CHECK (category = 'marketing'),
    channel        TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (account_id, category, channel)
);

-- What the embedded sandbox SMS provider received (sandbox mode only), so
-- that every instance and `yuanxu admin outbox` can read it.
CREATE TABLE notify_sandbox_sms (
    id                   TEXT PRIMARY KEY,
    provider             TEXT NOT NULL,
    phone                BYTEA NOT NULL,  -- sealed (AAD notify_sandbox_sms/phone/id)
    phone_index          BYTEA NOT NULL,
    phone_masked         TEXT NOT NULL,
    sign_name            TEXT NOT NULL,
    template_code        TEXT NOT NULL,
    params               TEXT NOT NULL,
    text                 TEXT NOT NULL,
    idempotency_key      TEXT NOT NULL,
    provider_message_id  TEXT NOT NULL,
    received_at_ms       BIGINT NOT NULL
);
CREATE INDEX notify_sandbox_sms_received ON notify_sandbox_sms (received_at_ms);

-- +goose Down
DROP TABLE notify_sandbox_sms;
DROP TABLE notify_optout;
DROP TABLE notify_inbox;
DROP TABLE notify_delivery;
DROP TABLE notification;
