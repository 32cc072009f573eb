package app_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/provider/wireguard"
)

// useDriver switches a demo product to driver.
func (s commerceSUT) useDriver(t *testing.T, product, driver string) {
	t.Helper()
	ctx := context.Background()
	v, err := s.a.Product(ctx, nil, product)
	if err != nil {
		t.Fatal(err)
	}
	v.Driver = driver
	if _, err := s.a.ProductSave(ctx, s.catalog, v); err != nil {
		t.Fatal(err)
	}
}

// vpnNode creates a VPN node with its interface and returns its token.
func (s commerceSUT) vpnNode(t *testing.T, ops account.Principal, id, region, pool string) string {
	t.Helper()
	ctx := context.Background()
	nc, err := s.a.NodeCreate(ctx, ops, app.NodeInput{ID: id, Kind: "vpn", Name: id, Region: region})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.VPNNodeConfigure(ctx, ops, id, app.VPNNodeInput{Endpoint: id + ".example.test:51820", ListenPort: 51820, PoolV4: pool,
		DNS: []string{"10.66.0.1"}}); err != nil {
		t.Fatal(err)
	}
	return nc.Token
}

// TestWireGuardDriverDeliversPeers: without a VPN node a wireguard line
// waits (the job retries); once a node is configured it is delivered with
// the lowest free addresses of the node's pool, recorded in the address
// history; the driver answers the same peer for the same token; the
// client configuration needs a fresh re-authentication and the node's
// reported key; the node's agent gets exactly its own peers, and a revoked
// token nothing.
func TestWireGuardDriverDeliversPeers(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	s.useDriver(t, "vpn-domestic", "wireguard")
	r, p := s.buyer(t, 100000)

	o1 := s.buy(t, p, "vpn-domestic", "v10", "month")
	if o1.State != "provisioning" {
		t.Fatalf("order without a VPN node = %s", o1.State)
	}
	svc1 := s.serviceOf(t, p, o1.ID)
	wantCode(t, s.a.ProvisionService(ctx, svc1.ID), app.CodeVPNNoNode)

	// Node configuration is checked.
	if _, err := s.a.NodeCreate(ctx, ops, app.NodeInput{ID: "nc-edge", Kind: "cdn", Name: "edge"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.a.VPNNodeConfigure(ctx, ops, "nc-edge", app.VPNNodeInput{Endpoint: "e.example.test:51820", ListenPort: 51820, PoolV4: "10.9.0.0/24"})
	wantCode(t, err, "node.invalid")
	tokA := s.vpnNode(t, ops, "nc-vpn-a", "cn-jx-nanchang", "10.66.0.0/29")
	_, err = s.a.VPNNodeConfigure(ctx, ops, "nc-vpn-a", app.VPNNodeInput{Endpoint: "no-port", ListenPort: 51820, PoolV4: "10.66.0.0/29"})
	wantCode(t, err, app.CodeVPNNodeInvalid)
	if _, err := s.a.NodeCreate(ctx, ops, app.NodeInput{ID: "nc-vpn-b", Kind: "vpn", Name: "b", Region: "us-west"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.VPNNodeConfigure(ctx, ops, "nc-vpn-b", app.VPNNodeInput{Endpoint: "b.example.test:51820", ListenPort: 51820, PoolV4: "10.66.0.0/24"})
	wantCode(t, err, app.CodeVPNNodeInvalid) // overlaps node a's pool
	if _, err := s.a.VPNNodeConfigure(ctx, ops, "nc-vpn-b", app.VPNNodeInput{Endpoint: "b.example.test:51820", ListenPort: 51820,
		PoolV4: "10.77.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.VPNNodeConfigure(ctx, p, "nc-vpn-b", app.VPNNodeInput{Endpoint: "b.example.test:51820", ListenPort: 51820, PoolV4: "10.77.0.0/24"})
	wantKind(t, err, errs.Forbidden)

	// The job's retry delivers it: node a is in the product's region (cn-jx).
	if err := s.a.ProvisionService(ctx, svc1.ID); err != nil {
		t.Fatal(err)
	}
	o2 := s.buy(t, p, "vpn-domestic", "v10", "month") // inline: delivered at once
	if o2.State != "delivered" {
		t.Fatalf("second order = %s", o2.State)
	}
	svc2 := s.serviceOf(t, p, o2.ID)
	d1, err := s.a.ServiceDelivery(ctx, p, svc1.ID)
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := s.a.ServiceDelivery(ctx, p, svc2.ID)
	if d1.Status != "delivered" || d1.Sandbox || len(d1.Addresses) != 1 || d1.Addresses[0] != "10.66.0.2" || d2.Addresses[0] != "10.66.0.3" {
		t.Fatalf("deliveries %+v / %+v", d1, d2)
	}
	for _, q := range []struct {
		q    string
		want int
	}{
		{`SELECT COUNT(*) FROM address_assignment WHERE service_id = $1 AND address = '10.66.0.2' AND until_ms IS NULL`, 1},
		{`SELECT COUNT(*) FROM wg_peer WHERE service_id = $1 AND node_id = 'nc-vpn-a'`, 1},
		{`SELECT COUNT(*) FROM wg_peer WHERE service_id = $1 AND LENGTH(private_key) > 44 AND LENGTH(preshared_key) > 44`, 1}, // sealed, not a bare key
	} {
		if n := countRows(t, s.a, q.q, svc1.ID); n != q.want {
			t.Errorf("%s = %d, want %d", q.q, n, q.want)
		}
	}
	h, ok, err := s.a.AddressHolder(ctx, ops, app.LookupInput{Address: "10.66.0.3", At: s.clock.Now(), Purpose: "abuse_investigation"})
	if err != nil || !ok || h.ServiceID != svc2.ID {
		t.Fatalf("holder of 10.66.0.3 = %+v %v %v", h, ok, err)
	}

	// Idempotent per token: the driver answers the same peer again.
	req := app.ProvisionRequest{Token: svc1.ID, ServiceID: svc1.ID, AccountID: r.view.ID, ProductID: "vpn-domestic", Kind: "vpn"}
	again, err := s.a.WireGuardProvisionForTest(ctx, req)
	if err != nil || !again.Complete || len(again.Addresses) != 1 || again.Addresses[0] != "10.66.0.2" {
		t.Fatalf("again = %+v, %v", again, err)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM wg_peer WHERE account_id = $1`, r.view.ID); n != 2 {
		t.Fatalf("peers = %d, want 2", n)
	}

	// The client configuration: re-authentication, then the node's key.
	_, err = s.a.WireGuardConfig(ctx, p, "", svc1.ID)
	if err == nil {
		t.Fatal("configuration without a session")
	}
	_, res := s.login(t, r.email, goodPassword)
	_, err = s.a.WireGuardConfig(ctx, p, res.SessionToken, svc1.ID)
	wantCode(t, err, app.CodeVPNNodeKeyMissing)
	nodeKey, _ := wireguard.GenerateKeyPair(rand.Reader)
	wantCode(t, s.a.AgentReportKey(ctx, tokA, "not-a-key"), app.CodeVPNNodeInvalid)
	if err := s.a.AgentReportKey(ctx, tokA, nodeKey.Public.String()); err != nil {
		t.Fatal(err)
	}
	conf, err := s.a.WireGuardConfig(ctx, p, res.SessionToken, svc1.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Address = 10.66.0.2/32", "PublicKey = " + nodeKey.Public.String(), "Endpoint = nc-vpn-a.example.test:51820",
		"PrivateKey = ", "PresharedKey = ", "DNS = 10.66.0.1"} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("configuration lacks %q:\n%s", want, conf)
		}
	}
	png, err := s.a.WireGuardQR(ctx, p, res.SessionToken, svc1.ID, 384)
	if err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Fatalf("QR = %d bytes, %v", len(png), err)
	}
	_, other := s.buyer(t, 0)
	_, err = s.a.WireGuardConfig(ctx, other, res.SessionToken, svc1.ID)
	wantKind(t, err, errs.NotFound)
	_, err = s.a.WireGuardConfig(ctx, ops, res.SessionToken, svc1.ID)
	if err == nil {
		t.Fatal("staff read a customer's WireGuard key")
	}
	s.clock.Advance(6 * time.Minute)
	_, err = s.a.WireGuardConfig(ctx, p, res.SessionToken, svc1.ID)
	wantCode(t, err, "session.reauth_required")

	// The agent's view: exactly node a's two peers, with their keys.
	cfg, err := s.a.AgentConfigFor(ctx, tokA)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Kind != "vpn" || cfg.WireGuard == nil || len(cfg.WireGuard.Peers) != 2 || cfg.WireGuard.PublicKey != nodeKey.Public.String() ||
		cfg.WireGuard.ListenPort != 51820 || len(cfg.WireGuard.Address) != 1 || cfg.WireGuard.Address[0] != "10.66.0.1/29" {
		t.Fatalf("agent config %+v", cfg)
	}
	ips := map[string]bool{}
	for _, pe := range cfg.WireGuard.Peers {
		ips[pe.AllowedIPs[0]] = pe.PresharedKey != ""
	}
	if !ips["10.66.0.2/32"] || !ips["10.66.0.3/32"] {
		t.Fatalf("agent peers %+v", cfg.WireGuard.Peers)
	}
	if _, err := s.a.NodeRevoke(ctx, ops, "nc-vpn-a"); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.AgentConfigFor(ctx, tokA)
	wantCode(t, err, app.CodeNodeUnauthorized)
}

// TestWireGuardConcurrentProvisionsAgree: the provisioning job and the
// inline attempt after the payment may run the driver for one service at
// the same time, and two services may pick the same free address: the
// loser of either clash runs again on fresh reads (the committed peer,
// the next address) instead of failing with a duplicate — on PostgreSQL,
// where the two really overlap — and every service ends delivered with
// its own address and one peer.
func TestWireGuardConcurrentProvisionsAgree(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	s.useDriver(t, "vpn-domestic", "wireguard")
	_, p := s.buyer(t, 100000)
	var ids []string
	for range 3 { // no node yet: each waits for the job
		ids = append(ids, s.serviceOf(t, p, s.buy(t, p, "vpn-domestic", "v10", "month").ID).ID)
	}
	s.vpnNode(t, ops, "nc-vpn-a", "cn-jx-nanchang", "10.66.0.0/28")

	errc := make(chan error, 2*len(ids))
	for _, sid := range ids {
		for range 2 {
			go func() { errc <- s.a.ProvisionService(ctx, sid) }()
		}
	}
	for range 2 * len(ids) {
		// ErrConflict: the other call recorded the delivery first (the
		// inline attempt retries on it, the job ends).
		if err := <-errc; err != nil && !errors.Is(err, errs.ErrConflict) {
			t.Errorf("ProvisionService: %v", err)
		}
	}
	seen := map[string]bool{}
	for _, sid := range ids {
		d, err := s.a.ServiceDelivery(ctx, p, sid)
		if err != nil || d.Status != "delivered" || len(d.Addresses) != 1 || seen[d.Addresses[0]] {
			t.Fatalf("delivery of %s: %+v, %v", sid, d, err)
		}
		seen[d.Addresses[0]] = true
		if n := countRows(t, s.a, `SELECT COUNT(*) FROM wg_peer WHERE service_id = $1`, sid); n != 1 {
			t.Errorf("%s has %d peers", sid, n)
		}
	}
}
