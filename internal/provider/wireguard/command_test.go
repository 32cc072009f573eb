package wireguard_test

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"yuanxu/internal/errs"
	"yuanxu/internal/provider/wireguard"
	"yuanxu/internal/provider/wireguard/wgtest"
)

// skipOrFail skips the test locally and fails it in CI, where the tools
// are installed by .ci/run and may not be skipped.
func skipOrFail(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s; it may not be skipped in CI (apt-get install wireguard-go wireguard-tools iproute2, run as root)", why)
	}
	t.Skip(why)
}

// startNode creates a network namespace with a wireguard-go interface in
// it (wgtest.Namespace) and returns a Command that acts inside the
// namespace, and the interface name. Interface, process and namespace are
// removed at cleanup.
func startNode(t *testing.T) (wireguard.Command, string) {
	t.Helper()
	ns, iface := wgtest.Namespace(t, "yuanxu-wg", "yxwg", skipOrFail)
	// The interface lives in the namespace, not here.
	if out, err := exec.Command("ip", "-n", ns, "link", "show", iface).CombinedOutput(); err != nil {
		t.Fatalf("interface not in namespace %s: %v: %s", ns, err, out)
	}
	return wireguard.Command{Prefix: []string{"ip", "netns", "exec", ns}}, iface
}

func TestApplySyncsPeers(t *testing.T) {
	t.Parallel()
	wg, iface := startNode(t)
	ctx := context.Background()
	node, _ := wireguard.GenerateKeyPair(seeded(50))
	all := nodePeers(t, 4)

	check := func(t *testing.T, want []wireguard.NodePeer) {
		t.Helper()
		d, err := wg.Show(ctx, iface)
		if err != nil {
			t.Fatal(err)
		}
		if d.Interface.PublicKey != node.Public || d.Interface.ListenPort != 51820 {
			t.Fatalf("interface %+v, want key %v port 51820", d.Interface, node.Public)
		}
		got := map[wireguard.Key]wireguard.PeerStatus{}
		for _, p := range d.Peers {
			got[p.PublicKey] = p
		}
		if len(got) != len(want) || len(d.Peers) != len(want) {
			t.Fatalf("wg show has %d peers, want %d", len(d.Peers), len(want))
		}
		for _, w := range want {
			p, ok := got[w.PublicKey]
			if !ok {
				t.Fatalf("peer %v missing from wg show", w.PublicKey)
			}
			if p.PresharedKey != w.PresharedKey {
				t.Errorf("peer %v preshared key %v, want %v", w.PublicKey, p.PresharedKey, w.PresharedKey)
			}
			gotIPs, wantIPs := prefixStrings(p.AllowedIPs), prefixStrings(w.AllowedIPs)
			if !slices.Equal(gotIPs, wantIPs) {
				t.Errorf("peer %v allowed IPs %v, want %v", w.PublicKey, gotIPs, wantIPs)
			}
		}
	}

	first := all[:3]
	if err := wg.Apply(ctx, iface, wireguard.NodeConfig{PrivateKey: node.Private, ListenPort: 51820, Peers: first}); err != nil {
		t.Fatal(err)
	}
	check(t, first)
	peers, err := wg.Peers(ctx, iface)
	if err != nil || len(peers) != 3 {
		t.Fatalf("Peers = %d peers, %v", len(peers), err)
	}

	// Remove peer 1, add peer 3, and drop peer 0's preshared key.
	second := []wireguard.NodePeer{all[0], all[2], all[3]}
	second[0].PresharedKey = wireguard.Key{}
	if err := wg.Apply(ctx, iface, wireguard.NodeConfig{PrivateKey: node.Private, ListenPort: 51820, Peers: second}); err != nil {
		t.Fatal(err)
	}
	check(t, second)

	// Everything gone.
	if err := wg.Apply(ctx, iface, wireguard.NodeConfig{PrivateKey: node.Private, ListenPort: 51820}); err != nil {
		t.Fatal(err)
	}
	check(t, nil)

	// Refusals never reach wg.
	bad := wireguard.NodeConfig{PrivateKey: node.Private, ListenPort: 0}
	if err := wg.Apply(ctx, iface, bad); !errs.Is(errs.Invalid, err) {
		t.Fatalf("Apply(port 0) = %v", err)
	}
	if err := wg.Apply(ctx, "-oops", wireguard.NodeConfig{PrivateKey: node.Private, ListenPort: 1}); errField(err) != "interface" {
		t.Fatalf("Apply(-oops) = %v", err)
	}
	// A missing interface is wg's error, with its output.
	if _, err := wg.Show(ctx, "yxwgmissing"); err == nil || !strings.Contains(err.Error(), "wg show yxwgmissing dump") {
		t.Fatalf("Show(missing) = %v", err)
	}
}

func prefixStrings[T interface{ String() string }](ps []T) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.String()
	}
	slices.Sort(out)
	return out
}
