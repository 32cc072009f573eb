package app

import (
	"context"
	"strconv"

	"yuanxu/internal/errs"
	"yuanxu/internal/provider/wireguard"
	"yuanxu/internal/store"
)

// The node agent's side (issue 13): `yuanxu agent` on a node pulls its
// configuration with the node's token — a VPN node exactly its own peers
// (of active services), a CDN edge exactly its own verified sites — and
// reports the VPN interface's public key. A revoked or unknown token is
// usage.node_unauthorized (401).

// AgentPeer is one peer a VPN node carries.
type AgentPeer struct {
	PublicKey    string   `json:"public_key" example:"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="`
	PresharedKey string   `json:"preshared_key" example:"FpCyhws9cxwWoV4xELtfJvjJN+zQVRPISllRWgeopVE="`
	AllowedIPs   []string `json:"allowed_ips" example:"[\"10.8.0.2/32\"]"`
}

// AgentWireGuard is a VPN node's interface configuration.
type AgentWireGuard struct {
	ListenPort int         `json:"listen_port" example:"51820"`
	Address    []string    `json:"address" example:"[\"10.8.0.1/24\"]" doc:"The interface's own addresses (the pool's gateway)."`
	PublicKey  string      `json:"public_key" example:"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" doc:"The public key the server knows ('' until reported)."`
	Peers      []AgentPeer `json:"peers"`
}

// AgentSite is one site a CDN edge serves.
type AgentSite struct {
	ID      string   `json:"id" example:"s0193a1b2c3d4"`
	Domains []string `json:"domains" example:"[\"www.example.cn\"]"`
	Origin  string   `json:"origin" example:"https://203.0.113.10:443"`
	// TLS is the site's certificate and key once issued: the edge serves
	// HTTPS with it (absent: HTTP only).
	TLS *AgentTLS `json:"tls,omitempty"`
}

// AgentConfig is what a node's agent applies.
type AgentConfig struct {
	NodeID    string          `json:"node_id" example:"nc-vpn-1"`
	Kind      string          `json:"kind" enum:"server,vpn,cdn" example:"vpn"`
	WireGuard *AgentWireGuard `json:"wireguard,omitempty"`
	Sites     []AgentSite     `json:"sites,omitempty"`
}

// AgentConfigFor answers a node's configuration: only its own peers or
// sites. A VPN node without an interface configured by staff is
// wireguard.node_invalid (409).
func (a *App) AgentConfigFor(ctx context.Context, token string) (AgentConfig, error) {
	n, err := a.AuthenticateNode(ctx, token)
	if err != nil {
		return AgentConfig{}, err
	}
	out := AgentConfig{NodeID: n.ID, Kind: n.Kind}
	switch n.Kind {
	case "vpn":
		v, err := store.VPNNodeGet(ctx, a.db, n.ID)
		if store.IsNotFound(err) {
			return AgentConfig{}, errs.E(errs.Op("app.AgentConfigFor"), errs.Conflict, CodeVPNNodeInvalid,
				"the node's WireGuard interface is not configured yet (PUT /api/v1/staff/nodes/{id}/wireguard)")
		} else if err != nil {
			return AgentConfig{}, err
		}
		pool, err := wireguard.ParsePool(v.PoolV4, v.PoolV6)
		if err != nil {
			return AgentConfig{}, err
		}
		g := pool.Gateway()
		wg := &AgentWireGuard{ListenPort: v.ListenPort, PublicKey: v.PublicKey, Peers: []AgentPeer{},
			Address: []string{netipPrefix(g.V4.String(), pool.V4.Bits())}}
		if g.V6.IsValid() {
			wg.Address = append(wg.Address, netipPrefix(g.V6.String(), pool.V6.Bits()))
		}
		peers, err := store.NodePeers(ctx, a.db, n.ID)
		if err != nil {
			return AgentConfig{}, err
		}
		for _, p := range peers {
			psk, err := a.open("wg_peer", "preshared_key", p.ServiceID, p.PresharedKey)
			if err != nil {
				return AgentConfig{}, err
			}
			ap := AgentPeer{PublicKey: p.PublicKey, PresharedKey: psk, AllowedIPs: []string{p.AddressV4 + "/32"}}
			if p.AddressV6 != "" {
				ap.AllowedIPs = append(ap.AllowedIPs, p.AddressV6+"/128")
			}
			wg.Peers = append(wg.Peers, ap)
		}
		out.WireGuard = wg
	case "cdn":
		// The sites pulled now are served from the agent's apply on: a
		// site's certificate is ordered from then on (netdrv_cdn_tls.go),
		// so the CA's HTTP-01 request finds the forwarded path.
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			_, err := tx.SitesServed(ctx, n.ID, tx.Now)
			return err
		}); err != nil {
			return AgentConfig{}, err
		}
		sites, err := store.NodeSites(ctx, a.db, n.ID)
		if err != nil {
			return AgentConfig{}, err
		}
		ids := make([]string, 0, len(sites))
		for _, s := range sites {
			ids = append(ids, s.ServiceID)
		}
		certs, err := store.SiteCertsOf(ctx, a.db, ids)
		if err != nil {
			return AgentConfig{}, err
		}
		out.Sites = []AgentSite{}
		for _, s := range sites {
			tls, err := a.siteTLS(certs[s.ServiceID], s)
			if err != nil {
				return AgentConfig{}, err
			}
			out.Sites = append(out.Sites, AgentSite{ID: siteID(s.ServiceID), Domains: s.Domains, Origin: s.Origin, TLS: tls})
		}
	}
	return out, nil
}

// AgentReportKey records the public key of a VPN node's interface, as its
// agent reports it (the private key never leaves the node). A node that
// is not a VPN node is agent.wrong_kind (409); a bad key
// wireguard.node_invalid (422).
func (a *App) AgentReportKey(ctx context.Context, token, publicKey string) error {
	const op = "app.AgentReportKey"
	n, err := a.AuthenticateNode(ctx, token)
	if err != nil {
		return err
	}
	if n.Kind != "vpn" {
		return errs.E(errs.Op(op), errs.Conflict, CodeAgentKind, "only a VPN node reports a WireGuard key")
	}
	k, err := wireguard.ParsePublicKey(publicKey)
	if err != nil {
		return fieldErr(op, CodeVPNNodeInvalid, errs.Invalid, "body.public_key", "format", "a WireGuard public key", nil)
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		cur, err := store.VPNNodeGet(ctx, tx, n.ID)
		if store.IsNotFound(err) {
			return errs.E(errs.Op(op), errs.Conflict, CodeVPNNodeInvalid, "the node's WireGuard interface is not configured yet")
		} else if err != nil {
			return err
		}
		if cur.PublicKey == k.String() {
			return nil
		}
		if _, err := tx.VPNNodeSetKey(ctx, n.ID, k.String(), tx.Now); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "node.wireguard_key_reported", SubjectType: "node", SubjectID: n.ID,
			Data: map[string]any{"public_key": k.String(), "previous": cur.PublicKey}})
	})
}

func netipPrefix(addr string, bits int) string { return addr + "/" + strconv.Itoa(bits) }

// siteID is a CDN site's DNS label: "s" and the service id's hex digits,
// lower case (its CNAME target's first label and its name at the edge).
func siteID(serviceID string) string {
	b := []byte{'s'}
	for i := 0; i < len(serviceID); i++ {
		c := serviceID[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		}
	}
	if len(b) > 63 {
		b = b[:63]
	}
	return string(b)
}
