package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/money"
	"yuanxu/internal/provider/wireguard"
	"yuanxu/internal/provider/wireguard/wgtest"
	"yuanxu/internal/webtest"
)

// skipOrFail skips a test that needs root and tools locally and fails it
// in CI, where .ci/run installs them.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s; it may not be skipped in CI (apt-get install wireguard-go wireguard-tools iproute2 nginx, run as root)", why)
	}
	t.Skip(why)
}

// wgNamespace creates a network namespace with a wireguard-go interface
// in it (wgtest.Namespace, as internal/provider/wireguard's tests do) and
// returns both names; everything is removed at cleanup.
func wgNamespace(t *testing.T) (ns, iface string) {
	t.Helper()
	return wgtest.Namespace(t, "yuanxu-ag", "yxag", skipOrFail)
}

// agentServer is a sandbox test server with the demo seeded, its demo
// individual (a fresh session), an operations member and an administrator.
func agentServer(t *testing.T) (s *webtest.Server, cust account.Principal, custSession string, ops, admin account.Principal) {
	t.Helper()
	ctx := context.Background()
	s = webtest.NewServer(t, &webtest.Options{Sandbox: true})
	if _, err := s.App.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	custSession = s.SessionFor(t, "individual@demo.yuanxu.test", "yuanxu-demo-individual", false, webtest.UniqueIP())
	cust, _, err := s.App.Authenticate(ctx, custSession)
	if err != nil {
		t.Fatal(err)
	}
	staff := func(r account.Role) account.Principal {
		m := s.NewStaff(t, r)
		p, _, err := s.App.Authenticate(ctx, s.SessionFor(t, m.Email, m.Password, true, webtest.UniqueIP()))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ops, admin = staff(account.RoleOperations), staff(account.RoleAdmin)
	if _, err := s.App.SandboxTopUp(ctx, cust, money.Fen(500000)); err != nil {
		t.Fatal(err)
	}
	// The demo's sandbox nodes are taken out of the way: the tests place
	// services on nodes of their own.
	for _, n := range []string{app.DemoVPNNode, app.DemoEdgeNode} {
		if _, err := s.App.NodeRevoke(ctx, ops, n); err != nil {
			t.Fatal(err)
		}
	}
	return s, cust, custSession, ops, admin
}

func useDriver(t *testing.T, a *app.App, admin account.Principal, product, driver string) {
	t.Helper()
	ctx := context.Background()
	v, err := a.Product(ctx, nil, product)
	if err != nil {
		t.Fatal(err)
	}
	v.Driver = driver
	if _, err := a.ProductSave(ctx, admin, v); err != nil {
		t.Fatal(err)
	}
}

// buyOne checks out and pays one month of product/plan by balance and
// returns the service id.
func buyOne(t *testing.T, a *app.App, p account.Principal, product, plan string) string {
	t.Helper()
	ctx := context.Background()
	o, _, err := a.Checkout(ctx, p, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: product, PlanID: plan, Cycle: "month", Quantity: 1}},
		Agreement: app.AgreementAck{Acknowledged: app.DefaultKeyClauses()}}, app.Idem{})
	if err != nil {
		t.Fatal(err)
	}
	if o, err = a.PayOrder(ctx, p, o.ID, app.PayRequest{Method: app.MethodBalance}); err != nil {
		t.Fatal(err)
	}
	svcs, err := a.Services(ctx, p, app.ServiceListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range svcs {
		if v.OrderID == o.ID {
			return v.ID
		}
	}
	t.Fatalf("no service of order %s", o.ID)
	return ""
}

func runAgent(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, append([]string{"agent"}, args...), func(string) string { return "" }, strings.NewReader(""), &out, &errb)
	return out.String() + errb.String(), err
}

// TestAgentAppliesExactlyItsOwnPeers: two VPN nodes; three wireguard
// lines are delivered, two on node a (the least loaded node is chosen) and
// one on node b. The agent of node a, run once inside a network namespace
// with wireguard-go, reports its public key and leaves exactly node a's two
// peers on the interface — the customer's downloaded configuration names
// one of them; after the token is revoked the agent fails with a clear
// error.
func TestAgentAppliesExactlyItsOwnPeers(t *testing.T) {
	t.Parallel()
	ns, iface := wgNamespace(t)
	s, cust, session, ops, admin := agentServer(t)
	ctx := context.Background()
	useDriver(t, s.App, admin, "vpn-domestic", "wireguard")
	nodes := map[string]string{}
	for id, pool := range map[string]string{"nc-vpn-a": "10.66.0.0/24", "nc-vpn-b": "10.67.0.0/24"} {
		nc, err := s.App.NodeCreate(ctx, ops, app.NodeInput{ID: id, Kind: "vpn", Name: id, Region: "cn-jx-nanchang"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.App.VPNNodeConfigure(ctx, ops, id, app.VPNNodeInput{Endpoint: id + ".example.test:51820", ListenPort: 51820, PoolV4: pool}); err != nil {
			t.Fatal(err)
		}
		nodes[id] = nc.Token
	}
	var svcs []string
	for range 3 {
		svcs = append(svcs, buyOne(t, s.App, cust, "vpn-domestic", "v10"))
	}
	want := []string{}
	for _, id := range svcs {
		d, err := s.App.ServiceDelivery(ctx, cust, id)
		if err != nil || d.Status != "delivered" || len(d.Addresses) != 1 {
			t.Fatalf("delivery of %s = %+v, %v", id, d, err)
		}
		if strings.HasPrefix(d.Addresses[0], "10.66.") {
			want = append(want, d.Addresses[0]+"/32")
		}
	}
	slices.Sort(want)
	if len(want) != 2 {
		t.Fatalf("node a holds %v, want two peers", want)
	}

	dir := t.TempDir()
	tokFile, keyFile := filepath.Join(dir, "token"), filepath.Join(dir, "wg.key")
	if err := os.WriteFile(tokFile, []byte(nodes["nc-vpn-a"]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"--server", s.URL, "--token-file", tokFile, "--once", "--wg-interface", iface, "--wg-netns", ns, "--wg-key-file", keyFile}
	if out, err := runAgent(t, args...); err != nil {
		t.Fatalf("agent: %v\n%s", err, out)
	}
	wg := wireguard.Command{Prefix: []string{"ip", "netns", "exec", ns}}
	d, err := wg.Show(ctx, iface)
	if err != nil {
		t.Fatal(err)
	}
	keyText, _ := os.ReadFile(keyFile)
	nodeKey, err := wireguard.ParseKey(strings.TrimSpace(string(keyText)))
	if err != nil {
		t.Fatal(err)
	}
	if d.Interface.PublicKey != nodeKey.PublicKey() || d.Interface.ListenPort != 51820 {
		t.Fatalf("interface %+v", d.Interface)
	}
	var got []string
	keys := map[wireguard.Key]bool{}
	for _, p := range d.Peers {
		for _, pfx := range p.AllowedIPs {
			got = append(got, pfx.String())
		}
		keys[p.PublicKey] = true
		if p.PresharedKey.IsZero() {
			t.Errorf("peer %v without its preshared key", p.PublicKey)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("wg show lists %v, want exactly node a's %v", got, want)
	}
	if v, err := s.App.VPNNode(ctx, ops, "nc-vpn-a"); err != nil || v.PublicKey != nodeKey.PublicKey().String() {
		t.Fatalf("node key on the server = %+v, %v", v, err)
	}

	// The customer's configuration of a line on node a names this node and
	// a peer the interface carries.
	checked := 0
	for _, id := range svcs {
		conf, err := s.App.WireGuardConfig(ctx, cust, session, id)
		if err != nil && strings.Contains(err.Error(), app.CodeVPNNodeKeyMissing) {
			continue // on node b, whose agent never ran
		} else if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(conf), "nc-vpn-a.example.test") {
			continue
		}
		m := regexp.MustCompile(`PrivateKey = (\S+)`).FindSubmatch(conf)
		k, err := wireguard.ParseKey(string(m[1]))
		if err != nil || !keys[k.PublicKey()] || !strings.Contains(string(conf), "PublicKey = "+nodeKey.PublicKey().String()) {
			t.Fatalf("client configuration does not match the interface (%v):\n%s", err, conf)
		}
		checked++
	}
	if checked != 2 {
		t.Fatalf("%d configurations on node a, want 2", checked)
	}

	// A second run changes nothing; a revoked token fails clearly.
	if out, err := runAgent(t, args...); err != nil {
		t.Fatalf("agent again: %v\n%s", err, out)
	}
	if _, err := s.App.NodeRevoke(ctx, ops, "nc-vpn-a"); err != nil {
		t.Fatal(err)
	}
	out, err := runAgent(t, args...)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "revoked") || !strings.Contains(err.Error(), app.CodeNodeUnauthorized) {
		t.Fatalf("agent with a revoked token = %v\n%s", err, out)
	}
	if peers, err := wg.Peers(ctx, iface); err != nil || len(peers) != 2 {
		t.Fatalf("peers after a refused pull = %d, %v (left as they were)", len(peers), err)
	}
}

// TestAgentRefusesPlainHTTPToOtherHosts: the answer carries preshared
// keys, so plain http is for loopback tests only.
func TestAgentRefusesPlainHTTPToOtherHosts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	_ = os.WriteFile(tok, []byte("ynode_x"), 0o600)
	_, err := runAgent(t, "--server", "http://vpn.example.com", "--token-file", tok, "--once")
	if err == nil || !strings.Contains(err.Error(), "loopback") || exitCode(err) != 2 {
		t.Fatalf("plain http to a remote host = %v", err)
	}
	_, err = runAgent(t, "--server", "https://vpn.example.com", "--once")
	if err == nil || !strings.Contains(err.Error(), "node token") {
		t.Fatalf("no token = %v", err)
	}
}

// TestAgentLoopFollowsPeerChanges: `yuanxu agent` left running (every
// 200 ms) against a VPN node picks up a line bought after it started,
// drops the line that ended (the grace period over, on the sandbox clock)
// and picks up the next customer's line on the address that ended line
// freed — without being restarted.
func TestAgentLoopFollowsPeerChanges(t *testing.T) {
	t.Parallel()
	ns, iface := wgNamespace(t)
	s, cust, _, ops, admin := agentServer(t)
	ctx := context.Background()
	useDriver(t, s.App, admin, "vpn-domestic", "wireguard")
	nc, err := s.App.NodeCreate(ctx, ops, app.NodeInput{ID: "nc-vpn-loop", Kind: "vpn", Name: "loop", Region: "cn-jx-nanchang"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.VPNNodeConfigure(ctx, ops, "nc-vpn-loop", app.VPNNodeInput{Endpoint: "loop.example.test:51820", ListenPort: 51820,
		PoolV4: "10.68.0.0/24"}); err != nil {
		t.Fatal(err)
	}
	first := buyOne(t, s.App, cust, "vpn-domestic", "v10")

	dir := t.TempDir()
	tokFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokFile, []byte(nc.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer // read only once the agent stopped
	_, stop := inBackground(t, "the agent", func(ctx context.Context) error {
		return run(ctx, []string{"agent", "--server", s.URL, "--token-file", tokFile, "--interval", "200ms", "--wg-interface", iface,
			"--wg-netns", ns, "--wg-key-file", filepath.Join(dir, "wg.key")}, func(string) string { return "" }, strings.NewReader(""), &out, &out)
	})

	wg := wireguard.Command{Prefix: []string{"ip", "netns", "exec", ns}}
	waitPeers := func(what string, want ...string) {
		t.Helper()
		slices.Sort(want)
		deadline := time.Now().Add(20 * time.Second)
		var got []string
		for {
			got = got[:0]
			peers, err := wg.Peers(ctx, iface)
			if err == nil {
				for _, p := range peers {
					for _, pfx := range p.AllowedIPs {
						got = append(got, pfx.String())
					}
				}
				slices.Sort(got)
				if slices.Equal(got, want) {
					return
				}
			}
			if time.Now().After(deadline) {
				err := stop()
				t.Fatalf("%s: the interface carries %v (%v), want %v; agent: %v\n%s", what, got, err, want, err, out.String())
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	addr := func(svc string) string {
		t.Helper()
		d, err := s.App.ServiceDelivery(ctx, cust, svc)
		if err != nil || len(d.Addresses) != 1 {
			t.Fatalf("delivery of %s = %+v, %v", svc, d, err)
		}
		return d.Addresses[0] + "/32"
	}
	firstAddr := addr(first)
	waitPeers("the first line", firstAddr)

	if _, err := s.App.SandboxAdvance(ctx, 20*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	second := buyOne(t, s.App, cust, "vpn-domestic", "v10")
	waitPeers("a line bought while the agent runs", firstAddr, addr(second))

	v, err := s.App.Service(ctx, cust, first)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.SandboxAdvance(ctx, v.ExpiresAt.Add(app.DefaultServiceLifecycle.Grace).Sub(s.App.Now())+time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, err = s.App.Service(ctx, cust, first); err != nil || v.State != "terminated" {
		t.Fatalf("first line after its grace period: %+v, %v", v, err)
	}
	waitPeers("after the first line ended", addr(second))

	third := buyOne(t, s.App, cust, "vpn-domestic", "v10")
	if addr(third) != firstAddr {
		t.Errorf("the freed address %s was not reused (got %s)", firstAddr, addr(third))
	}
	waitPeers("the freed address's new holder", addr(second), addr(third))
	if err := stop(); err != nil {
		t.Fatalf("the agent's loop ended with %v\n%s", err, out.String())
	}
}
