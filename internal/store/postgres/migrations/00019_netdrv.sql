-- +goose Up
-- Network drivers (issue 13: wireguard and cdn). A VPN node's interface
-- as the server knows it: its public key (the private key never leaves
-- the node: its agent generates or reads it and reports the public half),
-- its endpoint, listen port and address pool. One WireGuard peer per VPN
-- service on one node: the client's public key, its private key and the
-- preshared key sealed (AAD wg_peer/<column>/service_id; shown to the
-- customer only after re-authentication), the addresses it holds (unique
-- per node while the peer exists). One CDN site per CDN service: its
-- domains, the ownership token, when the TXT record was verified, the
-- origin, the CNAME target and the edge node serving it.
CREATE TABLE vpn_node (
    node_id        TEXT PRIMARY KEY,
    public_key     TEXT NOT NULL,     -- '' until the agent reports it
    endpoint       TEXT NOT NULL,     -- host:port the clients dial
    listen_port    BIGINT NOT NULL,
    pool_v4        TEXT NOT NULL,
    pool_v6        TEXT NOT NULL,
    dns            TEXT NOT NULL,     -- comma-separated resolver addresses for clients
    updated_at_ms  BIGINT NOT NULL
);

CREATE TABLE wg_peer (
    service_id     TEXT PRIMARY KEY,
    node_id        TEXT NOT NULL,
    account_id     TEXT NOT NULL,
    public_key     TEXT NOT NULL,
    private_key    TEXT NOT NULL,     -- sealed
    preshared_key  TEXT NOT NULL,     -- sealed
    address_v4     TEXT NOT NULL,
    address_v6     TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    removed_at_ms  BIGINT
);
CREATE UNIQUE INDEX wg_peer_public_key ON wg_peer (public_key);
CREATE UNIQUE INDEX wg_peer_node_v4 ON wg_peer (node_id, address_v4) WHERE removed_at_ms IS NULL;
CREATE UNIQUE INDEX wg_peer_node_v6 ON wg_peer (node_id, address_v6) WHERE removed_at_ms IS NULL AND address_v6 <> '';

CREATE TABLE cdn_site (
    service_id      TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    domains         TEXT NOT NULL,    -- JSON list of normalised host names
    token           TEXT NOT NULL,    -- the ownership token of the TXT record
    origin          TEXT NOT NULL,    -- origin URL
    cname_target    TEXT NOT NULL,
    node_id         TEXT NOT NULL,    -- the edge serving it
    verified_at_ms  BIGINT,
    created_at_ms   BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL
);
CREATE INDEX cdn_site_node ON cdn_site (node_id);
CREATE UNIQUE INDEX cdn_site_domains ON cdn_site (domains);

-- +goose Down
DROP TABLE cdn_site;
DROP TABLE wg_peer;
DROP TABLE vpn_node;
