// Package wgtest starts wireguard-go interfaces in fresh network
// namespaces, for the tests of the WireGuard driver and of the node agent.
package wgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"yuanxu/internal/provider/wireguard"
	"yuanxu/internal/testutil/proc"
)

// Namespace creates a network namespace nsPrefix-<random> with a
// wireguard-go interface ifPrefix<random> in it, and returns both names;
// process, interface and namespace are removed at cleanup. When the
// machine cannot (not root, ip, wg or wireguard-go missing, no
// /dev/net/tun) it calls skip, which must end the test (skip locally,
// fail in CI).
func Namespace(t *testing.T, nsPrefix, ifPrefix string, skip func(t *testing.T, why string)) (ns, iface string) {
	t.Helper()
	if os.Geteuid() != 0 {
		skip(t, "network namespaces need root")
	}
	for _, tool := range []string{"ip", "wg", "wireguard-go"} {
		if _, err := exec.LookPath(tool); err != nil {
			skip(t, tool+" is not installed")
		}
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		skip(t, "no /dev/net/tun")
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	suffix := hex.EncodeToString(r[:])
	ns, iface = nsPrefix+"-"+suffix, ifPrefix+suffix // the UAPI socket is named by the interface, outside the namespace
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
		// Cleanups run last-registered first: the socket goes once the
		// process has stopped.
		t.Cleanup(func() { _ = os.Remove("/var/run/wireguard/" + iface + ".sock") })
		cmd := exec.Command("ip", "netns", "exec", ns, "wireguard-go", "-f", iface)
		cmd.Env = append(os.Environ(), "WG_PROCESS_FOREGROUND=1")
		p := proc.Start(t, cmd, syscall.SIGTERM, 5*time.Second)
		if up(t, wg, iface, p, attempt < 3) {
			return ns, iface
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// up waits until wireguard-go answers on iface (true). When the process
// exits first, it reports false if retry is allowed and the exit was the
// UAPI bind failure, and fails the test otherwise.
func up(t *testing.T, wg wireguard.Command, iface string, p *proc.Process, retry bool) bool {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-p.Exited():
			if retry && strings.Contains(p.Output(), "Failed to listen on uapi socket") {
				t.Logf("wireguard-go could not bind its UAPI socket; starting it again: %s", p.Output())
				return false
			}
			t.Fatalf("wireguard-go exited: %s", p.Output())
		default:
		}
		if _, err := wg.Show(context.Background(), iface); err == nil {
			return true
		} else if time.Now().After(deadline) {
			t.Fatalf("wireguard-go not ready: %v; %s", err, p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
