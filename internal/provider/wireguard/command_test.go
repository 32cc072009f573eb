package wireguard_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/provider/wireguard"
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
// it and returns a Command that acts inside the namespace, and the
// interface name. Interface, process and namespace are removed at cleanup.
func startNode(t *testing.T) (wireguard.Command, string) {
	t.Helper()
	if os.Geteuid() != 0 {
		skipOrFail(t, "network namespaces need root")
	}
	for _, tool := range []string{"ip", "wg", "wireguard-go"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipOrFail(t, tool+" is not installed")
		}
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		skipOrFail(t, "no /dev/net/tun")
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	suffix := hex.EncodeToString(r[:])
	ns, iface := "yuanxu-wg-"+suffix, "yxwg"+suffix // the UAPI socket is named by the interface, outside the namespace
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
			t.Errorf("ip netns del: %v: %s", err, out)
		}
	})
	// ip netns exec execs wireguard-go, so the process is wireguard-go's.
	// wireguard-go listens on /var/run/wireguard/<iface>.sock; make sure
	// the directory is there before two tests start it at once (seen
	// failing with "Failed to listen on uapi socket" under a parallel run).
	if err := os.MkdirAll("/var/run/wireguard", 0o755); err != nil {
		t.Fatal(err)
	}
	wg := wireguard.Command{Prefix: []string{"ip", "netns", "exec", ns}}
	// wireguard-go sometimes fails to bind its UAPI socket when several
	// start at once ("Failed to listen on uapi socket: no such file or
	// directory", seen in CI although the directory exists): that start is
	// retried, twice at most; any other exit fails the test.
	for attempt := 1; ; attempt++ {
		cmd := exec.Command("ip", "netns", "exec", ns, "wireguard-go", "-f", iface)
		cmd.Env = append(os.Environ(), "WG_PROCESS_FOREGROUND=1")
		var logs strings.Builder
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
			_ = os.Remove("/var/run/wireguard/" + iface + ".sock")
		})
		if up(t, wg, iface, exited, &logs, attempt < 3) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The interface lives in the namespace, not here.
	if out, err := exec.Command("ip", "-n", ns, "link", "show", iface).CombinedOutput(); err != nil {
		t.Fatalf("interface not in namespace %s: %v: %s", ns, err, out)
	}
	return wg, iface
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

// up waits until wireguard-go answers on iface (true). When the process
// exits first, it reports false if retry is allowed and the exit was the
// UAPI bind failure, and fails the test otherwise.
func up(t *testing.T, wg wireguard.Command, iface string, exited <-chan struct{}, logs *strings.Builder, retry bool) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-exited:
			if retry && strings.Contains(logs.String(), "Failed to listen on uapi socket") {
				t.Logf("wireguard-go could not bind its UAPI socket; starting it again: %s", logs.String())
				return false
			}
			t.Fatalf("wireguard-go exited: %s", logs.String())
		default:
		}
		if _, err := wg.Show(context.Background(), iface); err == nil {
			return true
		} else if time.Now().After(deadline) {
			t.Fatalf("wireguard-go not ready: %v; %s", err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
