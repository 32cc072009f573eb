-- +goose Up
-- Index entries a purchase wrote for keys no lookup asks for (issue 19:
-- the write-ahead log the benchmark now counts per checkout). Every
-- in-app delivery entered the address index under NULL, every service
-- bought on its own the parent index under '', every direct customer's
-- order the reseller index under '', and every new service the
-- destroy-due index, which its sweep reads only for terminated services;
-- the ledger's roll-up index held every posting, the customer's live
-- debit (rolled when written) too, and took a second entry when the
-- roll-up marked the revenue credit rolled.
-- Each index now holds only the rows its lookup can return; the lookups
-- spell the predicate (store.Services, store.Orders), so that a generic
-- plan can prove it. The parent lookup's index also carries its order.
DROP INDEX notify_delivery_address;
CREATE INDEX notify_delivery_address ON notify_delivery (address_index) WHERE address_index IS NOT NULL;
DROP INDEX service_parent;
CREATE INDEX service_parent ON service (parent_id, id) WHERE parent_id <> '';
DROP INDEX orders_reseller;
CREATE INDEX orders_reseller ON orders (reseller_id, id) WHERE reseller_id <> '';
DROP INDEX service_destroy_due;
CREATE INDEX service_destroy_due ON service (state, terminated_at_ms, id) WHERE state = 'terminated' AND data_destroy_requested_at_ms IS NULL;
DROP INDEX ledger_posting_unrolled;
CREATE INDEX ledger_posting_unrolled ON ledger_posting (account) WHERE rolled = 0;

-- +goose Down
DROP INDEX ledger_posting_unrolled;
CREATE INDEX ledger_posting_unrolled ON ledger_posting (rolled, account);
DROP INDEX service_destroy_due;
CREATE INDEX service_destroy_due ON service (state, terminated_at_ms, id) WHERE data_destroy_requested_at_ms IS NULL;
DROP INDEX orders_reseller;
CREATE INDEX orders_reseller ON orders (reseller_id, id);
DROP INDEX service_parent;
CREATE INDEX service_parent ON service (parent_id);
DROP INDEX notify_delivery_address;
CREATE INDEX notify_delivery_address ON notify_delivery (address_index);
