-- +goose Up
-- The open holding of an address: a delivery closes the other services'
-- holdings of the address it assigns and opens its own unless one is open
-- (clause 3.2's records of who held an address when). Both statements
-- read only the open holdings of one address; the index on until_ms alone
-- also held every open holding under NULL, and a planner that chose it
-- read all of them for each delivery. The release sweep reads only closed
-- holdings, so that index now holds only those.
CREATE INDEX address_assignment_open ON address_assignment (address, service_id) WHERE until_ms IS NULL;
DROP INDEX address_assignment_until;
CREATE INDEX address_assignment_until ON address_assignment (until_ms) WHERE until_ms IS NOT NULL;

-- +goose Down
DROP INDEX address_assignment_until;
CREATE INDEX address_assignment_until ON address_assignment (until_ms);
DROP INDEX address_assignment_open;
