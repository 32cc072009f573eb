-- +goose Up
-- Refund swaps (issue 15): the replacement order of a swap names the order
-- it replaced, whose refund anchor it keeps (SEED-REQUIREMENTS A21).
ALTER TABLE orders ADD COLUMN swapped_from TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE orders DROP COLUMN swapped_from;
