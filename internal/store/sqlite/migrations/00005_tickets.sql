-- +goose Up
-- Support tickets (issue 7, clause 5): the conversation every customer
-- request and staff answer runs through. Times are Unix milliseconds UTC.
CREATE TABLE ticket (
    id                        TEXT PRIMARY KEY,
    owner_account_id          TEXT NOT NULL,  -- the customer (the enterprise for what its sub-users open)
    owner_parent_id           TEXT NOT NULL DEFAULT '',
    reseller_id               TEXT NOT NULL DEFAULT '',
    created_by                TEXT NOT NULL,  -- the account that opened it (a sub-user, say)
    subject                   TEXT NOT NULL,
    category                  TEXT NOT NULL,
    priority                  TEXT NOT NULL,
    department                TEXT NOT NULL,
    state                     TEXT NOT NULL,
    assignee_id               TEXT NOT NULL DEFAULT '',
    link_type                 TEXT NOT NULL DEFAULT '',
    link_id                   TEXT NOT NULL DEFAULT '',
    lang                      TEXT NOT NULL DEFAULT 'zh-CN',
    created_at_ms             BIGINT NOT NULL,
    updated_at_ms             BIGINT NOT NULL,
    waiting_since_ms          BIGINT,         -- staff owe an answer since (NULL: they do not)
    first_response_due_ms     BIGINT NOT NULL,
    first_response_at_ms      BIGINT,
    resolution_due_ms         BIGINT NOT NULL,
    last_staff_answer_at_ms   BIGINT,
    auto_close_warn_at_ms     BIGINT,
    auto_close_at_ms          BIGINT,
    auto_close_warned_at_ms   BIGINT,
    closed_at_ms              BIGINT,
    closed_by                 TEXT NOT NULL DEFAULT '',
    first_response_breached_at_ms BIGINT,
    resolution_breached_at_ms BIGINT
);
CREATE INDEX ticket_owner ON ticket (owner_account_id, id);
CREATE INDEX ticket_queue ON ticket (department, state, waiting_since_ms);
CREATE INDEX ticket_assignee ON ticket (assignee_id, state);
CREATE INDEX ticket_auto_close ON ticket (state, auto_close_at_ms);
CREATE INDEX ticket_first_due ON ticket (first_response_due_ms);
CREATE INDEX ticket_resolution_due ON ticket (resolution_due_ms);

-- One message of a conversation. internal = 1 marks a staff-only note:
-- never shown to customers, never sent to them.
CREATE TABLE ticket_message (
    id             TEXT PRIMARY KEY,
    ticket_id      TEXT NOT NULL REFERENCES ticket (id),
    author_id      TEXT NOT NULL,
    author_kind    TEXT NOT NULL,  -- customer, staff, system
    author_name    TEXT NOT NULL DEFAULT '',
    internal       BIGINT NOT NULL DEFAULT 0,
    body           TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX ticket_message_ticket ON ticket_message (ticket_id, id);

-- Uploaded content, stored once per SHA-256 (every instance sees it).
CREATE TABLE ticket_blob (
    hash           TEXT PRIMARY KEY,
    content        BLOB NOT NULL,
    content_type   TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);

CREATE TABLE ticket_attachment (
    id             TEXT PRIMARY KEY,
    ticket_id      TEXT NOT NULL REFERENCES ticket (id),
    message_id     TEXT NOT NULL REFERENCES ticket_message (id),
    blob_hash      TEXT NOT NULL REFERENCES ticket_blob (hash),
    filename       TEXT NOT NULL,
    content_type   TEXT NOT NULL,
    size_bytes     BIGINT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);
CREATE INDEX ticket_attachment_message ON ticket_attachment (message_id);
CREATE INDEX ticket_attachment_ticket ON ticket_attachment (ticket_id);

-- Canned replies staff insert into answers, per department ('' for all).
CREATE TABLE ticket_canned_reply (
    id             TEXT PRIMARY KEY,
    department     TEXT NOT NULL DEFAULT '',
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL
);

-- +goose Down
DROP TABLE ticket_canned_reply;
DROP TABLE ticket_attachment;
DROP TABLE ticket_blob;
DROP TABLE ticket_message;
DROP TABLE ticket;
