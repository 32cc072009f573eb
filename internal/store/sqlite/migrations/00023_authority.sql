-- +goose Up
-- Authorities (issue 16 item 6; clause 4.2, Cybersecurity Law arts. 21,
-- 28): the disclosure register, authority holds on accounts, and
-- compliance's re-verification flags. Times are Unix milliseconds UTC
-- (NULL: never). Legal documents are stored once by SHA-256 in ticket_blob.

-- What was handed to an authority, on what legal document, when and by
-- whom. The officer's name and contact are personal information: sealed
-- (AAD authority_disclosure/officer/id) and kept masked for views.
CREATE TABLE authority_disclosure (
    id              TEXT PRIMARY KEY,
    authority       TEXT NOT NULL,        -- the requesting body (a public security bureau, a court…)
    officer_enc     TEXT NOT NULL,
    officer_masked  TEXT NOT NULL,
    doc_type        TEXT NOT NULL,        -- compliance.DocType
    doc_number      TEXT NOT NULL,
    doc_hash        TEXT NOT NULL,        -- the scanned document in ticket_blob ('' if none yet)
    doc_filename    TEXT NOT NULL,
    account_ids     TEXT NOT NULL,        -- space-separated account ids disclosed about
    service_ids     TEXT NOT NULL,        -- space-separated service ids
    fields          TEXT NOT NULL,        -- space-separated compliance.DisclosureField values
    case_id         TEXT NOT NULL,        -- the violation case it concerns, '' if none
    note            TEXT NOT NULL,
    disclosed_at_ms BIGINT NOT NULL,
    disclosed_by    TEXT NOT NULL,        -- staff id who handed it over
    created_at_ms   BIGINT NOT NULL
);
CREATE INDEX authority_disclosure_at ON authority_disclosure (disclosed_at_ms);

-- An authority's order holding an account: closure and the payout of its
-- balance are refused until the hold is lifted.
CREATE TABLE authority_hold (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    authority       TEXT NOT NULL,
    doc_type        TEXT NOT NULL,
    doc_number      TEXT NOT NULL,
    doc_hash        TEXT NOT NULL,
    doc_filename    TEXT NOT NULL,
    reason          TEXT NOT NULL,
    placed_by       TEXT NOT NULL,
    placed_at_ms    BIGINT NOT NULL,
    lifted_at_ms    BIGINT,
    lifted_by       TEXT NOT NULL,
    lift_reason     TEXT NOT NULL
);
CREATE INDEX authority_hold_account ON authority_hold (account_id, lifted_at_ms);

-- A compliance flag requiring the customer to verify again (ATFL art. 22):
-- checkout refuses while it is open; approval of a new KYC submission
-- clears it.
CREATE TABLE reverify_flag (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    reason          TEXT NOT NULL,
    case_id         TEXT NOT NULL,
    flagged_by      TEXT NOT NULL,
    flagged_at_ms   BIGINT NOT NULL,
    cleared_at_ms   BIGINT,
    cleared_by      TEXT NOT NULL         -- the approved KYC submission id
);
CREATE INDEX reverify_flag_account ON reverify_flag (account_id, cleared_at_ms);

-- +goose Down
DROP TABLE reverify_flag;
DROP TABLE authority_hold;
DROP TABLE authority_disclosure;
