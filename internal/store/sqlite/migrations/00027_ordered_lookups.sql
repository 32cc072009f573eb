-- +goose Up
-- Indexes that serve a lookup's filter and its whole ORDER BY, so that it
-- reads the rows it returns instead of every row of an account's or the
-- platform's history and sorting them (found by the plans of issue 19's
-- benchmark; store/plan_test.go holds each lookup to its index; ADR 23).
--
-- The checkout's "latest acceptance before" ends its ORDER BY with id: the
-- old index stopped at accepted_at_ms, so every checkout sorted all the
-- account's acceptances, one more after each checkout.
DROP INDEX agreement_acceptance_account;
CREATE INDEX agreement_acceptance_account ON agreement_acceptance (account_id, accepted_at_ms, id);
-- Whether an account has accepted a version (the re-acceptance banner on
-- every portal page, renewals): one index range instead of a sort of the
-- account's acceptances, or a walk of every customer's acceptances of the
-- version.
CREATE INDEX agreement_acceptance_account_version ON agreement_acceptance (account_id, version_id, accepted_at_ms, id);
-- An order's refund requests in any state set (refund preview and
-- request): the partial indexes cannot serve a state list that is a
-- parameter.
CREATE INDEX refund_request_order ON refund_request (order_id, id);
-- An account's fapiao requests (the order page of every paid order).
CREATE INDEX invoice_request_account ON invoice_request (account_id, id);
-- Terminated services whose data destruction is still to be requested,
-- oldest termination first (the lifecycle sweep, once the retention after
-- termination has passed). The sweep used to read the 200 terminated services
-- of earliest expiry and skip those already requested in Go, so that after
-- its first 200 it never reached another.
-- (The state leads, so that SQLite prefers it to service_state_expiry; the
-- NULL test is the predicate, as PostgreSQL orders by the columns after an
-- equality but not after IS NULL.)
CREATE INDEX service_destroy_due ON service (state, terminated_at_ms, id) WHERE data_destroy_requested_at_ms IS NULL;
-- An account's inbox, newest first, and its unread items (the inbox page
-- and API): one more row per in-app notice, never removed.
DROP INDEX notify_inbox_account;
CREATE INDEX notify_inbox_account ON notify_inbox (account_id, created_at_ms, notification_id);
CREATE INDEX notify_inbox_unread ON notify_inbox (account_id, created_at_ms, notification_id) WHERE read_at_ms IS NULL;

-- +goose Down
DROP INDEX notify_inbox_unread;
DROP INDEX notify_inbox_account;
CREATE INDEX notify_inbox_account ON notify_inbox (account_id, created_at_ms);
DROP INDEX service_destroy_due;
DROP INDEX invoice_request_account;
DROP INDEX refund_request_order;
DROP INDEX agreement_acceptance_account_version;
DROP INDEX agreement_acceptance_account;
CREATE INDEX agreement_acceptance_account ON agreement_acceptance (account_id, accepted_at_ms);
