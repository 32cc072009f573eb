package app

import (
	"context"
	"crypto/sha256"

	"yuanxu/internal/provider/wireguard"
	"yuanxu/internal/store"
)

// The demo's network (serve --demo; issue 13): a sandbox VPN node and a
// sandbox CDN edge, and two products delivered through them (the
// wireguard and nginx drivers), so that a WireGuard line (configuration
// file and QR code) and a CDN domain (TXT record, CNAME target, check)
// can be tried. The nodes' tokens are fixed and public — demo only: with
// them `yuanxu agent` (as root) applies the demo's peers and sites.
const (
	DemoVPNNode   = "demo-vpn-1"
	DemoEdgeNode  = "demo-edge-1"
	DemoVPNToken  = "ynode_demo_vpn_1_sandbox_only"
	DemoEdgeToken = "ynode_demo_edge_1_sandbox_only"
)

// demoNetworkProducts are the demo's products on the network drivers.
func demoNetworkProducts() []ProductView {
	monthly := func(fen int64) []PriceView { return []PriceView{{Cycle: "month", AmountFen: fen}} }
	return []ProductView{
		{ID: "vpn-wireguard", Name: "WireGuard VPN 专线（演示节点）", NameEn: "WireGuard VPN line (demo node)", Kind: "vpn", Active: true, Region: "cn-jx",
			Description: "演示：在沙箱 VPN 节点上分配真实的 WireGuard 密钥与地址。Demo: real WireGuard keys and addresses on the sandbox VPN node.",
			Spec:        ProductSpec{VPN: &VPNSpec{Line: "standard", Scope: "domestic"}},
			Plans:       []PlanView{{ID: "w10", Name: "10 Mbps", Prices: monthly(9900), Stock: -1}}, DeliverySLAMinutes: 30, Driver: "wireguard", SortKey: 45},
		{ID: "cdn-edge", Name: "CDN 加速（演示边缘节点）", NameEn: "CDN on our edge (demo node)", Kind: "cdn", Active: true,
			Description: "演示：添加域名、发布 TXT 记录并检查后，站点在沙箱边缘节点启用。Demo: add a domain, publish the TXT record, check it; the site goes live on the sandbox edge.",
			Spec:        ProductSpec{CDN: &CDNSpec{Plan: "traffic", QuotaBytes: 100 << 30}},
			Plans:       []PlanView{{ID: "e100", Name: "100 GiB/月", Prices: monthly(1900), Stock: -1}}, DeliverySLAMinutes: 60 * 24, Driver: "nginx", SortKey: 75},
	}
}

// seedDemoNetwork creates the demo's nodes and products once.
func (a *App) seedDemoNetwork(ctx context.Context) error {
	if _, err := store.NodeGet(ctx, a.db, DemoVPNNode); err == nil {
		return nil
	} else if !store.IsNotFound(err) {
		return err
	}
	ctx = WithActor(ctx, Actor{ID: "system", ClientIP: "127.0.0.1"})
	// The demo node's key is derived from a fixed seed, so client
	// configurations work before any agent runs (an agent reports its
	// own key and replaces it).
	seed := sha256.Sum256([]byte("yuanxu demo vpn node"))
	var priv wireguard.Key
	copy(priv[:], seed[:])
	priv[0] &= 248
	priv[31] = (priv[31] & 127) | 64
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		for _, n := range []store.NodeRow{
			{ID: DemoVPNNode, Kind: "vpn", Name: "演示 VPN 节点 (sandbox)", Region: "cn-jx-nanchang", Sandbox: true, TokenHash: tokenHash(DemoVPNToken)},
			{ID: DemoEdgeNode, Kind: "cdn", Name: "演示 CDN 边缘 (sandbox)", Region: "cn-jx-nanchang", Sandbox: true, TokenHash: tokenHash(DemoEdgeToken)},
		} {
			n.CreatedAt = tx.Now
			if err := tx.NodePut(ctx, n); err != nil {
				return err
			}
		}
		if err := tx.VPNNodePut(ctx, store.VPNNodeRow{NodeID: DemoVPNNode, PublicKey: priv.PublicKey().String(), Endpoint: "vpn.demo.yuanxu.test:51820",
			ListenPort: 51820, PoolV4: "10.66.0.0/24", DNS: "10.66.0.1", UpdatedAt: tx.Now}); err != nil {
			return err
		}
		for _, p := range demoNetworkProducts() {
			if _, err := store.ProductGet(ctx, tx, p.ID); err == nil {
				continue
			}
			if err := validateProduct(p); err != nil {
				return err
			}
			if err := a.putProduct(ctx, tx, p, false, ProductView{}); err != nil {
				return err
			}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "node.demo_seeded", SubjectType: "node", SubjectID: DemoVPNNode,
			Data: map[string]any{"nodes": []string{DemoVPNNode, DemoEdgeNode}}})
	})
}
