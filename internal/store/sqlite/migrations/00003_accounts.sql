-- +goose Up
-- Accounts and access (issue 5, DESIGN.md §2 account). Portable types only:
-- TEXT and BIGINT. Times are Unix milliseconds UTC (NULL: never). Personal
-- information (email, phone, client IPs, TOTP secrets) is stored as base64
-- envelopes of the PII key ring (AAD <table>/<column>/<row id>) with a hex
-- blind index for lookups; masked copies serve views and logs.
CREATE TABLE account (
    id                        TEXT PRIMARY KEY,
    kind                      TEXT NOT NULL,
    state                     TEXT NOT NULL,
    owner_id                  TEXT NOT NULL,   -- the enterprise of a sub-user; '' otherwise
    reseller_id               TEXT NOT NULL,   -- the reseller that onboarded the customer; ''
    display_name              TEXT NOT NULL,
    enterprise_name           TEXT NOT NULL,
    uscc                      TEXT NOT NULL,
    email_enc                 TEXT,
    email_index               TEXT UNIQUE,
    email_masked              TEXT NOT NULL,
    email_verified_at_ms      BIGINT,
    phone_enc                 TEXT,
    phone_index               TEXT UNIQUE,
    phone_masked              TEXT NOT NULL,
    phone_verified_at_ms      BIGINT,
    password_hash             TEXT NOT NULL,   -- argon2id PHC; '' = no password set yet
    password_changed_at_ms    BIGINT,
    totp_secret_enc           TEXT,            -- in force when totp_enabled_at_ms is set
    totp_pending_enc          TEXT,            -- being set up, not yet confirmed
    totp_last_step            BIGINT NOT NULL, -- last accepted RFC 6238 step (replay protection)
    totp_enabled_at_ms        BIGINT,
    lang                      TEXT NOT NULL,
    marketing_opt_out         BIGINT NOT NULL, -- 0/1
    agreement_version         TEXT NOT NULL,
    agreement_accepted_at_ms  BIGINT,
    agreement_ip_enc          TEXT,
    disabled_reason           TEXT NOT NULL,
    created_at_ms             BIGINT NOT NULL,
    updated_at_ms             BIGINT NOT NULL
);
CREATE INDEX account_owner ON account (owner_id, kind);
CREATE INDEX account_kind ON account (kind, id);
CREATE INDEX account_name ON account (display_name);

-- Staff roles and sub-user scopes, as data.
CREATE TABLE account_role (
    account_id     TEXT NOT NULL REFERENCES account (id),
    role           TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (account_id, role)
);
CREATE TABLE account_scope (
    account_id     TEXT NOT NULL REFERENCES account (id),
    scope          TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (account_id, scope)
);

-- Standing measures; history is kept (lifted_at_ms). At most one measure
-- per flag is in force.
CREATE TABLE standing_measure (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES account (id),
    flag            TEXT NOT NULL,
    reason          TEXT NOT NULL,
    case_ref        TEXT NOT NULL,
    imposed_by      TEXT NOT NULL,
    since_ms        BIGINT NOT NULL,
    lifted_at_ms    BIGINT,
    lifted_by       TEXT NOT NULL,
    lift_reason     TEXT NOT NULL
);
CREATE UNIQUE INDEX standing_measure_in_force ON standing_measure (account_id, flag) WHERE lifted_at_ms IS NULL;

-- Server-side sessions: only the SHA-256 of the cookie token is stored.
-- mfa_completed_at_ms NULL: the second factor is still due.
CREATE TABLE account_session (
    token_hash           TEXT PRIMARY KEY,
    id                   TEXT NOT NULL UNIQUE,   -- public id for the sessions list
    account_id           TEXT NOT NULL REFERENCES account (id),
    created_at_ms        BIGINT NOT NULL,
    last_seen_at_ms      BIGINT NOT NULL,
    idle_ms              BIGINT NOT NULL,
    expires_at_ms        BIGINT NOT NULL,
    mfa_completed_at_ms  BIGINT,
    reauth_at_ms         BIGINT NOT NULL,
    ended_at_ms          BIGINT,
    end_reason           TEXT NOT NULL,
    client_ip_enc        TEXT,
    user_agent           TEXT NOT NULL
);
CREATE INDEX account_session_account ON account_session (account_id, created_at_ms);

-- Known devices (login throttle): hash of the device cookie.
CREATE TABLE account_device (
    token_hash      TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES account (id),
    created_at_ms   BIGINT NOT NULL,
    last_used_at_ms BIGINT NOT NULL,
    expires_at_ms   BIGINT NOT NULL
);
CREATE INDEX account_device_account ON account_device (account_id);

-- Addresses that logged into an account recently (blind index of the IP).
CREATE TABLE account_known_ip (
    account_id      TEXT NOT NULL REFERENCES account (id),
    ip_index        TEXT NOT NULL,
    last_login_at_ms BIGINT NOT NULL,
    PRIMARY KEY (account_id, ip_index)
);

-- Login throttle counters, shared by every instance. Keys are built from
-- ids and blind indexes, never from raw identifiers or addresses.
CREATE TABLE login_throttle (
    key        TEXT PRIMARY KEY,
    failures   BIGINT NOT NULL,
    last_ms    BIGINT NOT NULL
);

-- Verification codes: HMAC of the digits, never the digits.
CREATE TABLE verification_code (
    id              TEXT PRIMARY KEY,
    purpose         TEXT NOT NULL,
    channel         TEXT NOT NULL,
    target_index    TEXT NOT NULL,  -- blind index of the address it was sent to
    account_id      TEXT NOT NULL,  -- '' when issued before an account exists
    mac             TEXT NOT NULL,  -- hex
    created_at_ms   BIGINT NOT NULL,
    expires_at_ms   BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    used_at_ms      BIGINT
);
CREATE INDEX verification_code_target ON verification_code (purpose, target_index, created_at_ms);

-- Two-factor recovery codes (keyed HMAC, hex), single use.
CREATE TABLE recovery_code (
    account_id     TEXT NOT NULL REFERENCES account (id),
    hash           TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    used_at_ms     BIGINT,
    PRIMARY KEY (account_id, hash)
);

-- API keys: the prefix is public and unique; the hash is SHA-256 (hex) of
-- the whole key. scopes: space-separated permission ids.
CREATE TABLE api_key (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES account (id),
    name             TEXT NOT NULL,
    prefix           TEXT NOT NULL UNIQUE,
    hash             TEXT NOT NULL,
    scopes           TEXT NOT NULL,
    created_at_ms    BIGINT NOT NULL,
    expires_at_ms    BIGINT,
    revoked_at_ms    BIGINT,
    last_used_at_ms  BIGINT
);
CREATE INDEX api_key_account ON api_key (account_id, created_at_ms);

-- +goose Down
DROP TABLE api_key;
DROP TABLE recovery_code;
DROP TABLE verification_code;
DROP TABLE login_throttle;
DROP TABLE account_known_ip;
DROP TABLE account_device;
DROP TABLE account_session;
DROP TABLE standing_measure;
DROP TABLE account_scope;
DROP TABLE account_role;
DROP TABLE account;
