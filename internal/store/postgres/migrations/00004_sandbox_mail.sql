-- +goose Up
-- What the sandbox SMTP sink received (sandbox and demo mode only): the
-- recipient sealed and indexed, the text part kept so a person trying
-- yuanxu can read their verification codes in the console.
CREATE TABLE notify_sandbox_mail (
    id              TEXT PRIMARY KEY,
    rcpt            BYTEA NOT NULL,  -- sealed (AAD notify_sandbox_mail/rcpt/id)
    rcpt_index      BYTEA NOT NULL,
    rcpt_masked     TEXT NOT NULL,
    mail_from       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    text            TEXT NOT NULL,
    size_bytes      BIGINT NOT NULL,
    received_at_ms  BIGINT NOT NULL
);
CREATE INDEX notify_sandbox_mail_received ON notify_sandbox_mail (received_at_ms);
CREATE INDEX notify_sandbox_mail_rcpt ON notify_sandbox_mail (rcpt_index);

-- +goose Down
DROP TABLE notify_sandbox_mail;
