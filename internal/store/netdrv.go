package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"
)

// Network drivers (issue 13): VPN nodes' interfaces, WireGuard peers and
// CDN sites (migration 00019_netdrv).

// VPNNodeRow is a VPN node's interface as the server knows it.
type VPNNodeRow struct {
	NodeID, PublicKey, Endpoint string
	ListenPort                  int
	PoolV4, PoolV6, DNS         string
	UpdatedAt                   time.Time
}

// VPNNodePut inserts or replaces a VPN node's interface data. The public
// key is kept when r.PublicKey is "" (the agent reports it separately).
func (tx *Tx) VPNNodePut(ctx context.Context, r VPNNodeRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO vpn_node (node_id, public_key, endpoint, listen_port, pool_v4, pool_v6, dns, updated_at_ms)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
 ON CONFLICT (node_id) DO UPDATE SET public_key = CASE WHEN excluded.public_key = '' THEN vpn_node.public_key ELSE excluded.public_key END,
 endpoint = excluded.endpoint, listen_port = excluded.listen_port, pool_v4 = excluded.pool_v4, pool_v6 = excluded.pool_v6, dns = excluded.dns,
 updated_at_ms = excluded.updated_at_ms`,
		r.NodeID, r.PublicKey, r.Endpoint, r.ListenPort, r.PoolV4, r.PoolV6, r.DNS, Ms(r.UpdatedAt))
	return err
}

// VPNNodeSetKey records the public key a node's agent reports.
func (tx *Tx) VPNNodeSetKey(ctx context.Context, nodeID, publicKey string, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE vpn_node SET public_key = $2, updated_at_ms = $3 WHERE node_id = $1`, nodeID, publicKey, Ms(at))
	return n == 1, err
}

const vpnNodeCols = `v.node_id, v.public_key, v.endpoint, v.listen_port, v.pool_v4, v.pool_v6, v.dns, v.updated_at_ms`

func scanVPNNode(s scanner) (VPNNodeRow, error) {
	var r VPNNodeRow
	var port, at int64
	err := s.Scan(&r.NodeID, &r.PublicKey, &r.Endpoint, &port, &r.PoolV4, &r.PoolV6, &r.DNS, &at)
	r.ListenPort, r.UpdatedAt = int(port), FromMs(at)
	return r, err
}

// VPNNodeGet reads a VPN node's interface (errs.ErrNotFound: none).
func VPNNodeGet(ctx context.Context, q Querier, nodeID string) (VPNNodeRow, error) {
	r, err := scanVPNNode(q.QueryRow(ctx, `SELECT `+vpnNodeCols+` FROM vpn_node v WHERE v.node_id = $1`, nodeID))
	if err != nil {
		return r, errorf("store.VPNNodeGet", err)
	}
	return r, nil
}

// VPNNodesUsable lists the VPN nodes with an interface whose node is of
// kind vpn and not revoked, with their region, in id order.
func VPNNodesUsable(ctx context.Context, q Querier) ([]VPNNodeRow, []string, error) {
	rows, err := q.Query(ctx, `SELECT `+vpnNodeCols+`, n.region FROM vpn_node v JOIN node n ON n.id = v.node_id
 WHERE n.kind = 'vpn' AND n.disabled_at_ms IS NULL ORDER BY v.node_id`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []VPNNodeRow
	var regions []string
	for rows.Next() {
		var r VPNNodeRow
		var port, at int64
		var region string
		if err := rows.Scan(&r.NodeID, &r.PublicKey, &r.Endpoint, &port, &r.PoolV4, &r.PoolV6, &r.DNS, &at, &region); err != nil {
			return nil, nil, err
		}
		r.ListenPort, r.UpdatedAt = int(port), FromMs(at)
		out = append(out, r)
		regions = append(regions, region)
	}
	return out, regions, rows.Err()
}

// PeerRow is one WireGuard peer of a VPN service.
type PeerRow struct {
	ServiceID, NodeID, AccountID, PublicKey string
	PrivateKey, PresharedKey                string // sealed
	AddressV4, AddressV6                    string
	CreatedAt, RemovedAt                    time.Time
}

const peerCols = `p.service_id, p.node_id, p.account_id, p.public_key, p.private_key, p.preshared_key, p.address_v4, p.address_v6, p.created_at_ms, p.removed_at_ms`

func scanPeer(s scanner) (PeerRow, error) {
	var r PeerRow
	var created int64
	var removed sql.NullInt64
	err := s.Scan(&r.ServiceID, &r.NodeID, &r.AccountID, &r.PublicKey, &r.PrivateKey, &r.PresharedKey, &r.AddressV4, &r.AddressV6, &created, &removed)
	r.CreatedAt, r.RemovedAt = FromMs(created), FromNullMs(removed)
	return r, err
}

// PeerInsert records a peer; a clash on an address or key is a unique
// violation (InTx retries the transaction).
func (tx *Tx) PeerInsert(ctx context.Context, r PeerRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO wg_peer (service_id, node_id, account_id, public_key, private_key, preshared_key, address_v4, address_v6,
 created_at_ms, removed_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL)`,
		r.ServiceID, r.NodeID, r.AccountID, r.PublicKey, r.PrivateKey, r.PresharedKey, r.AddressV4, r.AddressV6, Ms(r.CreatedAt))
	return err
}

// PeerGet reads a service's peer (errs.ErrNotFound: none).
func PeerGet(ctx context.Context, q Querier, serviceID string) (PeerRow, error) {
	r, err := scanPeer(q.QueryRow(ctx, `SELECT `+peerCols+` FROM wg_peer p WHERE p.service_id = $1`, serviceID))
	if err != nil {
		return r, errorf("store.PeerGet", err)
	}
	return r, nil
}

// PeerAddressesInUse lists the addresses held by a node's current peers.
func PeerAddressesInUse(ctx context.Context, q Querier, nodeID string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT address_v4, address_v6 FROM wg_peer WHERE node_id = $1 AND removed_at_ms IS NULL`, nodeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v4, v6 string
		if err := rows.Scan(&v4, &v6); err != nil {
			return nil, err
		}
		out = append(out, v4)
		if v6 != "" {
			out = append(out, v6)
		}
	}
	return out, rows.Err()
}

// NodePeers lists the peers a node must carry: not removed, of services
// that are active, in public key order. Only this node's.
func NodePeers(ctx context.Context, q Querier, nodeID string) ([]PeerRow, error) {
	rows, err := q.Query(ctx, `SELECT `+peerCols+` FROM wg_peer p JOIN service s ON s.id = p.service_id
 WHERE p.node_id = $1 AND p.removed_at_ms IS NULL AND s.state = 'active' ORDER BY p.public_key`, nodeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PeerRow
	for rows.Next() {
		r, err := scanPeer(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SiteRow is a CDN site of a service.
type SiteRow struct {
	ServiceID, AccountID string
	Domains              []string
	Token, Origin        string
	CNAMETarget, NodeID  string
	VerifiedAt           time.Time
	CreatedAt, UpdatedAt time.Time
}

const siteCols = `service_id, account_id, domains, token, origin, cname_target, node_id, verified_at_ms, created_at_ms, updated_at_ms`

func scanSite(s scanner) (SiteRow, error) {
	var r SiteRow
	var doms string
	var verified sql.NullInt64
	var created, updated int64
	if err := s.Scan(&r.ServiceID, &r.AccountID, &doms, &r.Token, &r.Origin, &r.CNAMETarget, &r.NodeID, &verified, &created, &updated); err != nil {
		return r, err
	}
	r.VerifiedAt, r.CreatedAt, r.UpdatedAt = FromNullMs(verified), FromMs(created), FromMs(updated)
	err := json.Unmarshal([]byte(doms), &r.Domains)
	return r, err
}

// SitePut inserts or replaces a service's site (replacing resets the
// verification: a new domain must be proven again).
func (tx *Tx) SitePut(ctx context.Context, r SiteRow) error {
	doms, err := json.Marshal(r.Domains)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO cdn_site (`+siteCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
 ON CONFLICT (service_id) DO UPDATE SET domains = excluded.domains, token = excluded.token, origin = excluded.origin,
 cname_target = excluded.cname_target, node_id = excluded.node_id, verified_at_ms = excluded.verified_at_ms, updated_at_ms = excluded.updated_at_ms`,
		r.ServiceID, r.AccountID, string(doms), r.Token, r.Origin, r.CNAMETarget, r.NodeID, NullMs(r.VerifiedAt), Ms(r.CreatedAt), Ms(r.UpdatedAt))
	return err
}

// SiteVerify records the ownership check's success once (the site is not
// served by its edge until the edge's agent pulls it again).
func (tx *Tx) SiteVerify(ctx context.Context, serviceID string, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE cdn_site SET verified_at_ms = $2, served_at_ms = NULL, updated_at_ms = $2
 WHERE service_id = $1 AND verified_at_ms IS NULL`, serviceID, Ms(at))
	return n == 1, err
}

// SitesServed records that a node's agent pulled its verified sites at
// `at` (for each site, the first pull since its verification).
func (tx *Tx) SitesServed(ctx context.Context, nodeID string, at time.Time) (int64, error) {
	return tx.Exec(ctx, `UPDATE cdn_site SET served_at_ms = $2 WHERE node_id = $1 AND verified_at_ms IS NOT NULL AND served_at_ms IS NULL`,
		nodeID, Ms(at))
}

// SiteGet reads a service's site (errs.ErrNotFound: none).
func SiteGet(ctx context.Context, q Querier, serviceID string) (SiteRow, error) {
	r, err := scanSite(q.QueryRow(ctx, `SELECT `+siteCols+` FROM cdn_site WHERE service_id = $1`, serviceID))
	if err != nil {
		return r, errorf("store.SiteGet", err)
	}
	return r, nil
}

// SitesUnverified lists sites still waiting for their ownership check,
// oldest first (the sweep).
func SitesUnverified(ctx context.Context, q Querier, limit int) ([]SiteRow, error) {
	return sites(ctx, q, `verified_at_ms IS NULL ORDER BY created_at_ms LIMIT `+itoa(limit))
}

// NodeSites lists the verified sites an edge node serves, of services
// that are active. Only this node's.
func NodeSites(ctx context.Context, q Querier, nodeID string) ([]SiteRow, error) {
	return sites(ctx, q, `node_id = $1 AND verified_at_ms IS NOT NULL AND service_id IN (SELECT id FROM service WHERE state = 'active')
 ORDER BY service_id`, nodeID)
}

func sites(ctx context.Context, q Querier, where string, args ...any) ([]SiteRow, error) {
	rows, err := q.Query(ctx, `SELECT `+siteCols+` FROM cdn_site WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SiteRow
	for rows.Next() {
		r, err := scanSite(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// EdgeNodesUsable lists the ids and regions of cdn nodes not revoked.
func EdgeNodesUsable(ctx context.Context, q Querier) (ids, regions []string, err error) {
	rows, err := q.Query(ctx, `SELECT id, region FROM node WHERE kind = 'cdn' AND disabled_at_ms IS NULL ORDER BY id`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, region string
		if err := rows.Scan(&id, &region); err != nil {
			return nil, nil, err
		}
		ids, regions = append(ids, id), append(regions, region)
	}
	return ids, regions, rows.Err()
}

// SitesWithDomains lists the sites of other services than serviceID
// holding exactly domains (the unique index's key).
func SitesWithDomains(ctx context.Context, q Querier, domains []string, serviceID string) ([]SiteRow, error) {
	doms, err := json.Marshal(domains)
	if err != nil {
		return nil, err
	}
	return sites(ctx, q, `domains = $1 AND service_id <> $2`, string(doms), serviceID)
}

// PeerRemove marks a service's peer removed at `at` (its node's agent
// drops it at the next pull and its addresses are free for the pool);
// false when there was no peer still in place.
func (tx *Tx) PeerRemove(ctx context.Context, serviceID string, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE wg_peer SET removed_at_ms = $2 WHERE service_id = $1 AND removed_at_ms IS NULL`, serviceID, Ms(at))
	return n == 1, err
}

// ServicesOnNodes lists the ids of the services on any of nodes: a
// service metered on the node (service.node_id: cloud servers), a
// current WireGuard peer on it (VPN lines) or a CDN site it serves
// (edges). Nil nodes: nil.
func ServicesOnNodes(ctx context.Context, q Querier, nodes []string) ([]string, error) {
	if len(nodes) == 0 {
		return nil, nil
	}
	args := make([]any, len(nodes))
	ph := make([]string, len(nodes))
	for i, n := range nodes {
		args[i], ph[i] = n, "$"+itoa(i+1)
	}
	in := "(" + strings.Join(ph, ", ") + ")"
	return collect(ctx, q, `SELECT id FROM service WHERE node_id IN `+in+`
 UNION SELECT service_id FROM wg_peer WHERE removed_at_ms IS NULL AND node_id IN `+in+`
 UNION SELECT service_id FROM cdn_site WHERE node_id IN `+in, args, func(s scanner) (string, error) {
		var id string
		err := s.Scan(&id)
		return id, err
	})
}
