-- +goose Up
-- Refunds (issue 15, clauses 3 and 6.2): one request per order at a time,
-- with the evidence snapshot and the eligibility decision (its trace) as
-- JSON, the review deadline in working days stored at submission, dual
-- control above refund.dual_control_fen, the destination the customer
-- chose, and the suspension of the order's services while under review.
CREATE TABLE refund_request (
    id                TEXT PRIMARY KEY,
    order_id          TEXT NOT NULL REFERENCES orders (id),
    account_id        TEXT NOT NULL,
    requested_by      TEXT NOT NULL,
    kind              TEXT NOT NULL,   -- no_fault, delivery_breach
    state             TEXT NOT NULL,   -- under_review, approved, rejected, withdrawn, paying, paid
    destination       TEXT NOT NULL,   -- original_route, balance, swap
    reason            TEXT NOT NULL,
    statement         TEXT NOT NULL,   -- the customer's own statement of use
    evidence          TEXT NOT NULL,   -- JSON snapshot at the request instant
    decision          TEXT NOT NULL,   -- JSON: refund.Decision (outcome, trace)
    amount_fen        BIGINT NOT NULL,
    review_due_ms     BIGINT NOT NULL, -- exclusive deadline of the review
    review_provisional BIGINT NOT NULL,
    reminded_at_ms    BIGINT,
    escalated_at_ms   BIGINT,
    first_approver    TEXT NOT NULL,
    second_approver   TEXT NOT NULL,
    decided_by        TEXT NOT NULL,
    reason_code       TEXT NOT NULL,
    decision_text     TEXT NOT NULL,
    ticket_id         TEXT NOT NULL,
    created_at_ms     BIGINT NOT NULL,
    updated_at_ms     BIGINT NOT NULL,
    decided_at_ms     BIGINT,
    paid_at_ms        BIGINT,
    CHECK (second_approver = '' OR second_approver <> first_approver)
);
CREATE UNIQUE INDEX refund_request_open ON refund_request (order_id) WHERE state IN ('under_review', 'approved', 'paying');
CREATE UNIQUE INDEX refund_request_done ON refund_request (order_id) WHERE state IN ('paid');
CREATE INDEX refund_request_account ON refund_request (account_id, id);
CREATE INDEX refund_request_queue ON refund_request (state, review_due_ms);

-- +goose Down
DROP TABLE refund_request;
