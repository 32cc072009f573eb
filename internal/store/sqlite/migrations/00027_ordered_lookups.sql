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
-- The ticket sweeps' first-response and resolution targets: only the
-- tickets that can still breach, not every ticket ever opened (these two
-- indexes have no other user).
DROP INDEX ticket_first_due;
DROP INDEX ticket_resolution_due;
CREATE INDEX ticket_first_due ON ticket (first_response_due_ms)
    WHERE state <> 'closed' AND first_response_at_ms IS NULL AND first_response_breached_at_ms IS NULL;
CREATE INDEX ticket_resolution_due ON ticket (resolution_due_ms) WHERE state <> 'closed' AND resolution_breached_at_ms IS NULL;
-- An account's tickets waiting for an answer (the "too many waiting" check
-- when a ticket, a refund request or an appeal is opened).
CREATE INDEX ticket_waiting ON ticket (owner_account_id) WHERE waiting_since_ms IS NOT NULL;
-- The latest code sent to an address (login, registration, password
-- reset); codes are kept.
DROP INDEX verification_code_target;
CREATE INDEX verification_code_target ON verification_code (purpose, target_index, created_at_ms, id);
-- An account's live sessions (the security page, ending them all);
-- sessions are kept.
CREATE INDEX account_session_live ON account_session (account_id, created_at_ms) WHERE ended_at_ms IS NULL;
-- Closed KYC profiles still to purge (the retention sweep), not those
-- purged already (no other user).
DROP INDEX kyc_profile_closed;
CREATE INDEX kyc_profile_closed ON kyc_profile (closed_at_ms, account_id) WHERE purged_at_ms IS NULL AND closed_at_ms IS NOT NULL;
-- An account's settled top-ups, oldest first (routing a withdrawal's or a
-- closure's pay-back to the channels the money came in by).
CREATE INDEX gateway_attempt_account_purpose ON gateway_attempt (account_id, purpose, state, created_at_ms, id);

-- +goose Down
DROP INDEX gateway_attempt_account_purpose;
DROP INDEX kyc_profile_closed;
CREATE INDEX kyc_profile_closed ON kyc_profile (closed_at_ms);
DROP INDEX account_session_live;
DROP INDEX verification_code_target;
CREATE INDEX verification_code_target ON verification_code (purpose, target_index, created_at_ms);
DROP INDEX ticket_waiting;
DROP INDEX ticket_resolution_due;
DROP INDEX ticket_first_due;
CREATE INDEX ticket_first_due ON ticket (first_response_due_ms);
CREATE INDEX ticket_resolution_due ON ticket (resolution_due_ms);
DROP INDEX notify_inbox_unread;
DROP INDEX notify_inbox_account;
CREATE INDEX notify_inbox_account ON notify_inbox (account_id, created_at_ms);
DROP INDEX service_destroy_due;
DROP INDEX invoice_request_account;
DROP INDEX refund_request_order;
DROP INDEX agreement_acceptance_account_version;
DROP INDEX agreement_acceptance_account;
CREATE INDEX agreement_acceptance_account ON agreement_acceptance (account_id, accepted_at_ms);
