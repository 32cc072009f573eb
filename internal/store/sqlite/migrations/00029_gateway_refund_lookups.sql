-- +goose Up
-- Two lookups of gateway refunds that read every refund ever sent:
--   - by attempt: a withdrawal routed to a customer's top-ups sums, for
--     each of them, the refunds still on their way (requested or
--     processing);
--   - by link: a withdrawal or an order's refund counts its parts not yet
--     settled, to know when it is paid.
CREATE INDEX gateway_refund_attempt ON gateway_refund (attempt_id, state);
CREATE INDEX gateway_refund_link ON gateway_refund (link_id, purpose);

-- +goose Down
DROP INDEX gateway_refund_link;
DROP INDEX gateway_refund_attempt;
