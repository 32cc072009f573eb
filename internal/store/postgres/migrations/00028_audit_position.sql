-- +goose Up
-- Audit events carry their position in the chain from the moment they are
-- written, and a batch is the run of positions after its predecessor's last
-- (ADR 24, amending ADR 3). Until now the sealer claimed each event with an
-- UPDATE of batch_seq: every event was written twice, each time into every
-- index of the table, and the two indexes that found unsealed and sealed
-- events cost every insert two more entries. issue 19's checkout writes nine
-- events; with this, each is one row and three index entries, written once.
--
-- The position is (txid, id), given by the INSERT (store.flushAudit); the
-- column has no default, so that an insert naming no position fails
-- instead of landing inside a sealed run (SQLite cannot drop a default, so
-- its table is rebuilt). On PostgreSQL txid is the writing transaction's id
-- plus audit_txid_base.base: every transaction below the oldest one still
-- running has finished, so the sealer takes only positions below that
-- horizon and no event can later appear inside a sealed run. The base is
-- raised at start (store.Migrate) when the cluster's transaction ids are
-- behind the chain, as after a restore into another cluster. On SQLite,
-- whose one writer shows the sealer every event that will commit before
-- it, the INSERT gives its rows one more than the greatest txid.
--
-- Existing events keep their batches: an event of batch k gets the position
-- k - 2^62 (so a batch's events, in id order as they were hashed, are again
-- one run), an unsealed one 0, before every new position.
ALTER TABLE audit_event ADD COLUMN txid BIGINT NOT NULL DEFAULT 0; -- engine-specific
UPDATE audit_event SET txid = batch_seq - 4611686018427387904 WHERE batch_seq IS NOT NULL; -- engine-specific
ALTER TABLE audit_event ALTER COLUMN txid DROP DEFAULT; -- engine-specific
DROP INDEX audit_event_unsealed; -- engine-specific
DROP INDEX audit_event_batch; -- engine-specific
ALTER TABLE audit_event DROP COLUMN batch_seq; -- engine-specific
CREATE INDEX audit_event_position ON audit_event (txid, id);
CREATE TABLE audit_txid_base (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    base  BIGINT NOT NULL
);
INSERT INTO audit_txid_base (id, base) VALUES (1, 0);
ALTER TABLE audit_batch ADD COLUMN last_txid BIGINT NOT NULL DEFAULT 0;
UPDATE audit_batch SET last_txid = seq - 4611686018427387904;
ALTER TABLE audit_batch ALTER COLUMN last_txid DROP DEFAULT; -- engine-specific

-- +goose Down
-- Each event goes back to the batch whose run holds it. Batches sealed
-- after the Up were hashed in position order, not id order: the old
-- verifier reads them as altered.
ALTER TABLE audit_event ADD COLUMN batch_seq BIGINT;
UPDATE audit_event e SET batch_seq = (SELECT MIN(b.seq) FROM audit_batch b WHERE (b.last_txid, b.last_id) >= (e.txid, e.id)); -- engine-specific
DROP INDEX audit_event_position;
DROP TABLE audit_txid_base;
ALTER TABLE audit_event DROP COLUMN txid;
ALTER TABLE audit_batch DROP COLUMN last_txid;
CREATE INDEX audit_event_unsealed ON audit_event (id) WHERE batch_seq IS NULL;
CREATE INDEX audit_event_batch ON audit_event (batch_seq, id);
