-- +goose Up
-- The instant a delivery's inspection window ends (clause 2.3): its
-- delivered_at plus the inspection.window of the order's agreement version,
-- recorded when it is delivered, so that the acceptance sweep selects only
-- the deliveries whose window has ended instead of resolving the policy of
-- every delivery still inside its window (ADR 20). NULL for deliveries
-- recorded before this migration: the sweep fills those in from their
-- order's policy, which a migration cannot read. The partial index holds
-- only the deliveries still awaiting acceptance.
ALTER TABLE service_delivery ADD COLUMN accept_due_ms BIGINT;
CREATE INDEX service_delivery_accept_due ON service_delivery (accept_due_ms)
    WHERE state = 'delivered' AND accepted_at_ms IS NULL;

-- +goose Down
DROP INDEX service_delivery_accept_due;
ALTER TABLE service_delivery DROP COLUMN accept_due_ms;
