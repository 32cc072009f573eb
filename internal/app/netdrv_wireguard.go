package app

import (
	"context"
	"crypto/rand"
	"errors"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/provider/wireguard"
	"yuanxu/internal/store"
)

// The wireguard driver (issue 13). A VPN node's interface is configured
// by staff (endpoint, listen port, address pool); its agent keeps the
// private key and reports the public one. Provisioning a VPN service
// picks a node (the product's region first), generates the client's key
// pair and a preshared key (both sealed), allocates the lowest free
// addresses of the node's pool in the same transaction as the peer
// (unique per node, so a concurrent allocation clashes and is retried),
// and answers Complete with the tunnel addresses, which the delivery
// record puts in the address history. The peer, keyed by the service id
// (the idempotency token), is the driver's one effect. The node's agent
// pulls exactly its own peers of active services.

// WireGuard error codes.
const (
	CodeVPNNodeInvalid    = "wireguard.node_invalid"
	CodeVPNNoNode         = "wireguard.no_node"
	CodeVPNNodeKeyMissing = "wireguard.node_key_pending"
	CodeVPNNoPeer         = "wireguard.no_peer"
	CodeAgentKind         = "agent.wrong_kind"
)

// VPNNodeInput configures a VPN node's WireGuard interface.
type VPNNodeInput struct {
	Endpoint   string   `json:"endpoint" minLength:"3" maxLength:"255" example:"vpn1.example.cn:51820" doc:"host:port the clients dial."`
	ListenPort int      `json:"listen_port" minimum:"1" maximum:"65535" example:"51820"`
	PoolV4     string   `json:"pool_v4" maxLength:"43" example:"10.8.0.0/24" doc:"The node's IPv4 pool (its first host is the node's own address). Pools of nodes must not overlap."`
	PoolV6     string   `json:"pool_v6,omitempty" maxLength:"43" example:"fd00:8::/64"`
	DNS        []string `json:"dns,omitempty" maxItems:"4" example:"[\"10.8.0.1\"]" doc:"Resolvers clients use while connected."`
	PublicKey  string   `json:"public_key,omitempty" maxLength:"64" example:"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=" doc:"Usually reported by the node's agent (its private key stays on the node)."`
}

// VPNNodeView is a VPN node's interface.
type VPNNodeView struct {
	NodeID     string   `json:"node_id" example:"nc-vpn-1"`
	PublicKey  string   `json:"public_key" example:"xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg="`
	Endpoint   string   `json:"endpoint" example:"vpn1.example.cn:51820"`
	ListenPort int      `json:"listen_port" example:"51820"`
	PoolV4     string   `json:"pool_v4" example:"10.8.0.0/24"`
	PoolV6     string   `json:"pool_v6,omitempty" example:"fd00:8::/64"`
	DNS        []string `json:"dns,omitempty" example:"[\"10.8.0.1\"]"`
}

func vpnNodeView(r store.VPNNodeRow) VPNNodeView {
	v := VPNNodeView{NodeID: r.NodeID, PublicKey: r.PublicKey, Endpoint: r.Endpoint, ListenPort: r.ListenPort, PoolV4: r.PoolV4, PoolV6: r.PoolV6}
	if r.DNS != "" {
		v.DNS = strings.Split(r.DNS, ",")
	}
	return v
}

// VPNNodeConfigure sets a VPN node's interface (provisioning.manage).
// Problems are wireguard.node_invalid naming the field; a node of another
// kind is node.invalid (field kind).
func (a *App) VPNNodeConfigure(ctx context.Context, p account.Principal, nodeID string, in VPNNodeInput) (VPNNodeView, error) {
	const op = "app.VPNNodeConfigure"
	if err := a.Authorize(ctx, p, "provisioning.manage", account.Object{Type: "node"}); err != nil {
		return VPNNodeView{}, err
	}
	bad := func(field, rule, msg string) (VPNNodeView, error) {
		return VPNNodeView{}, fieldErr(op, CodeVPNNodeInvalid, errs.Invalid, "body."+field, rule, msg, nil)
	}
	in.Endpoint = strings.TrimSpace(in.Endpoint)
	if host, port, err := net.SplitHostPort(in.Endpoint); err != nil || host == "" || port == "" {
		return bad("endpoint", "format", "host:port")
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return bad("endpoint", "format", "host:port")
	}
	if in.ListenPort < 1 || in.ListenPort > 65535 {
		return bad("listen_port", "range", "1–65535")
	}
	pool, err := wireguard.ParsePool(in.PoolV4, in.PoolV6)
	if err != nil {
		field := "pool_v4"
		var e *errs.Error
		if errors.As(err, &e) && len(e.Fields) > 0 && e.Fields[0].Field == "v6" {
			field = "pool_v6"
		}
		return bad(field, "format", "an IPv4 prefix of /30 or larger (IPv6: /126 or larger)")
	}
	for i, d := range in.DNS {
		if _, err := netip.ParseAddr(strings.TrimSpace(d)); err != nil {
			return bad("dns["+strconv.Itoa(i)+"]", "ip", "an IP address")
		}
		in.DNS[i] = strings.TrimSpace(d)
	}
	if in.PublicKey != "" {
		if _, err := wireguard.ParsePublicKey(in.PublicKey); err != nil {
			return bad("public_key", "format", "a WireGuard public key")
		}
	}
	var out store.VPNNodeRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		n, err := store.NodeGet(ctx, tx, nodeID)
		if store.IsNotFound(err) {
			return errNotFound("node")
		} else if err != nil {
			return err
		}
		if n.Kind != "vpn" {
			return fieldErr(op, "node.invalid", errs.Invalid, "path.id", "enum", "not a VPN node", nil)
		}
		others, _, err := store.VPNNodesUsable(ctx, tx)
		if err != nil {
			return err
		}
		for _, o := range others {
			if o.NodeID == nodeID {
				continue
			}
			if op4, err := netip.ParsePrefix(o.PoolV4); err == nil && op4.Overlaps(pool.V4) {
				return fieldErr(op, CodeVPNNodeInvalid, errs.Invalid, "body.pool_v4", "overlap", "the pool overlaps node "+o.NodeID+"'s", nil)
			}
		}
		row := store.VPNNodeRow{NodeID: nodeID, PublicKey: in.PublicKey, Endpoint: in.Endpoint, ListenPort: in.ListenPort, PoolV4: pool.V4.String(),
			DNS: strings.Join(in.DNS, ","), UpdatedAt: tx.Now}
		if pool.V6.IsValid() {
			row.PoolV6 = pool.V6.String()
		}
		if err := tx.VPNNodePut(ctx, row); err != nil {
			return err
		}
		if out, err = store.VPNNodeGet(ctx, tx, nodeID); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "node.wireguard_configured", SubjectType: "node", SubjectID: nodeID,
			Data: map[string]any{"endpoint": row.Endpoint, "listen_port": row.ListenPort, "pool_v4": row.PoolV4, "pool_v6": row.PoolV6}})
	})
	return vpnNodeView(out), err
}

// VPNNode reads a VPN node's interface (provisioning.manage).
func (a *App) VPNNode(ctx context.Context, p account.Principal, nodeID string) (VPNNodeView, error) {
	if err := a.Authorize(ctx, p, "provisioning.manage", account.Object{Type: "node"}); err != nil {
		return VPNNodeView{}, err
	}
	r, err := store.VPNNodeGet(ctx, a.db, nodeID)
	if store.IsNotFound(err) {
		return VPNNodeView{}, errNotFound("node")
	}
	return vpnNodeView(r), err
}

// wireguardDriver provisions VPN lines as WireGuard peers (see above).
type wireguardDriver struct{ a *App }

func (d wireguardDriver) Local() bool { return true }

func (d wireguardDriver) Provision(ctx context.Context, req ProvisionRequest) (ProvisionResult, error) {
	const op = "app.wireguardDriver"
	a := d.a
	region := ""
	if pv, err := loadProduct(ctx, a.db, req.ProductID); err == nil {
		region = pv.Region
	}
	var peer store.PeerRow
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if peer, err = store.PeerGet(ctx, tx, req.Token); err == nil {
			return nil // done before: answer it
		} else if !store.IsNotFound(err) {
			return err
		}
		nodes, regions, err := store.VPNNodesUsable(ctx, tx)
		if err != nil {
			return err
		}
		// The product's region first (a node's region equal to it or
		// within it: cn-jx-nanchang is in cn-jx), then any node; within
		// each, the node with the fewest peers, then by id.
		used := make([][]string, len(nodes))
		for i, n := range nodes {
			if used[i], err = store.PeerAddressesInUse(ctx, tx, n.NodeID); err != nil {
				return err
			}
		}
		idx := make([]int, len(nodes))
		for i := range idx {
			idx[i] = i
		}
		match := func(i int) bool {
			return region != "" && (regions[i] == region || strings.HasPrefix(regions[i], region+"-"))
		}
		sort.SliceStable(idx, func(x, y int) bool {
			i, j := idx[x], idx[y]
			if match(i) != match(j) {
				return match(i)
			}
			return len(used[i]) < len(used[j])
		})
		kp, err := wireguard.GenerateKeyPair(rand.Reader)
		if err != nil {
			return err
		}
		psk, err := wireguard.GeneratePresharedKey(rand.Reader)
		if err != nil {
			return err
		}
		for _, i := range idx {
			n := nodes[i]
			pool, err := wireguard.ParsePool(n.PoolV4, n.PoolV6)
			if err != nil {
				continue
			}
			var inUse []netip.Addr
			for _, u := range used[i] {
				if ad, err := netip.ParseAddr(u); err == nil {
					inUse = append(inUse, ad)
				}
			}
			as, err := pool.Allocate(inUse)
			if err != nil {
				continue // full: the next node
			}
			peer = store.PeerRow{ServiceID: req.Token, NodeID: n.NodeID, AccountID: req.AccountID, PublicKey: kp.Public.String(),
				AddressV4: as.V4.String(), CreatedAt: tx.Now}
			if as.V6.IsValid() {
				peer.AddressV6 = as.V6.String()
			}
			if peer.PrivateKey, err = a.seal("wg_peer", "private_key", req.Token, kp.Private.String()); err != nil {
				return err
			}
			if peer.PresharedKey, err = a.seal("wg_peer", "preshared_key", req.Token, psk.String()); err != nil {
				return err
			}
			if err := tx.PeerInsert(ctx, peer); err != nil {
				if errors.Is(err, errs.ErrDuplicate) {
					// A concurrent allocation committed first: this service's
					// peer (the job and the inline attempt racing) or this
					// address for another service. Run again on fresh reads:
					// PeerGet answers the first, the allocation skips the
					// second's address.
					return store.Retry(errs.E(errs.Op(op), errs.Conflict, CodeDeliveryChanged, "a concurrent allocation took the peer or the address; retry", errs.ErrConflict))
				}
				return err
			}
			return a.Audit(ctx, tx, AuditEntry{Action: "wireguard.peer_created", SubjectType: "service", SubjectID: req.Token,
				Data: map[string]any{"node": n.NodeID, "public_key": peer.PublicKey, "address_v4": peer.AddressV4, "address_v6": peer.AddressV6}})
		}
		return errs.E(errs.Op(op), errs.Unavailable, CodeVPNNoNode, "no VPN node with a free address")
	})
	if err != nil {
		return ProvisionResult{}, err
	}
	res := ProvisionResult{Complete: true, Addresses: []string{peer.AddressV4},
		Notes: "WireGuard peer on node " + peer.NodeID + " (public key " + peer.PublicKey + "); download the configuration or scan its QR code on the service page"}
	if peer.AddressV6 != "" {
		res.Addresses = append(res.Addresses, peer.AddressV6)
	}
	return res, nil
}

// clientConfig assembles a service's client configuration for its owner
// after re-authentication (like ServiceCredentials): audited.
func (a *App) clientConfig(ctx context.Context, p account.Principal, sessionToken, serviceID, purpose string) (wireguard.ClientConfig, error) {
	const op = "app.WireGuardConfig"
	if _, err := a.loadService(ctx, a.db, p, serviceID, "service.manage", "service.manage"); err != nil {
		return wireguard.ClientConfig{}, err
	}
	if p.Kind == account.KindStaff {
		return wireguard.ClientConfig{}, errNotFound("service") // staff never read a customer's keys
	}
	if _, err := a.recentSession(ctx, a.db, p, sessionToken, a.Now()); err != nil {
		return wireguard.ClientConfig{}, err
	}
	peer, err := store.PeerGet(ctx, a.db, serviceID)
	if store.IsNotFound(err) {
		return wireguard.ClientConfig{}, errs.E(errs.Op(op), errs.NotFound, CodeVPNNoPeer, "this service has no WireGuard configuration")
	} else if err != nil {
		return wireguard.ClientConfig{}, err
	}
	node, err := store.VPNNodeGet(ctx, a.db, peer.NodeID)
	if err != nil {
		return wireguard.ClientConfig{}, err
	}
	if node.PublicKey == "" {
		return wireguard.ClientConfig{}, errs.E(errs.Op(op), errs.Conflict, CodeVPNNodeKeyMissing, "the VPN node has not reported its key yet; try again shortly")
	}
	priv, err := a.open("wg_peer", "private_key", serviceID, peer.PrivateKey)
	if err != nil {
		return wireguard.ClientConfig{}, err
	}
	psk, err := a.open("wg_peer", "preshared_key", serviceID, peer.PresharedKey)
	if err != nil {
		return wireguard.ClientConfig{}, err
	}
	var c wireguard.ClientConfig
	if c.PrivateKey, err = wireguard.ParseKey(priv); err != nil {
		return c, err
	}
	if c.Peer.PresharedKey, err = wireguard.ParseKey(psk); err != nil {
		return c, err
	}
	if c.Peer.PublicKey, err = wireguard.ParsePublicKey(node.PublicKey); err != nil {
		return c, err
	}
	c.Address = wireguard.Assignment{V4: netip.MustParseAddr(peer.AddressV4)}.Prefixes()
	c.Peer.AllowedIPs = []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
	if peer.AddressV6 != "" {
		c.Address = append(c.Address, netip.PrefixFrom(netip.MustParseAddr(peer.AddressV6), 128))
		c.Peer.AllowedIPs = append(c.Peer.AllowedIPs, netip.MustParsePrefix("::/0"))
	}
	for _, d := range strings.Split(node.DNS, ",") {
		if ad, err := netip.ParseAddr(d); err == nil {
			c.DNS = append(c.DNS, ad)
		}
	}
	c.Peer.Endpoint, c.Peer.PersistentKeepalive = node.Endpoint, 25
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return a.Audit(ctx, tx, AuditEntry{Action: "service.wireguard_config_read", SubjectType: "service", SubjectID: serviceID,
			Data: map[string]any{"purpose": purpose}})
	})
	return c, err
}

// WireGuardConfig renders a VPN service's client configuration (the .conf
// a WireGuard app imports) for its owner's session re-authenticated within
// the window (session.reauth_required otherwise); API keys and staff never
// read it. Each reading is audited.
func (a *App) WireGuardConfig(ctx context.Context, p account.Principal, sessionToken, serviceID string) ([]byte, error) {
	c, err := a.clientConfig(ctx, p, sessionToken, serviceID, "configuration file")
	if err != nil {
		return nil, err
	}
	return c.Render()
}

// WireGuardQR is the client configuration as a QR code PNG (size pixels
// square), under the same rules as WireGuardConfig.
func (a *App) WireGuardQR(ctx context.Context, p account.Principal, sessionToken, serviceID string, size int) ([]byte, error) {
	c, err := a.clientConfig(ctx, p, sessionToken, serviceID, "QR code")
	if err != nil {
		return nil, err
	}
	return c.QRCode(size)
}

var _ = catalog.DriverWireGuard
