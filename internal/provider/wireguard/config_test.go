package wireguard_test

import (
	"bytes"
	"image/png"
	"net/netip"
	"strings"
	"testing"

	"yuanxu/internal/provider/wireguard"
)

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParsePrefix(s)
	}
	return out
}

func mustKey(t *testing.T, s string) wireguard.Key {
	t.Helper()
	k, err := wireguard.ParseKey(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// Fixed keys, so the golden texts below are readable.
const (
	clientPriv = "ME2b3cClHRpdk7sMIrMyMYOjiWOn0eNlHRcHS5Wpclw="
	nodePub    = "fCdkLwLAsSKnz/2sQ5sTSOVmX5DyQ82cQxB3347t6Xk="
	psk        = "KnvNZpjII8VnJpRkZ0E9fFivP47HHQ1Ly7V3Lxn0QVw="
)

func clientConfig(t *testing.T) wireguard.ClientConfig {
	return wireguard.ClientConfig{
		PrivateKey: mustKey(t, clientPriv),
		Address:    prefixes("10.8.0.2/32", "fd00:8::2/128"),
		DNS:        addrs("10.8.0.1", "fd00:8::1"),
		Peer: wireguard.ClientPeer{
			PublicKey:           mustKey(t, nodePub),
			PresharedKey:        mustKey(t, psk),
			Endpoint:            "vpn1.example.com:51820",
			AllowedIPs:          prefixes("0.0.0.0/0", "::/0"),
			PersistentKeepalive: 25,
		},
	}
}

func TestClientConfigRender(t *testing.T) {
	t.Parallel()
	got, err := clientConfig(t).Render()
	if err != nil {
		t.Fatal(err)
	}
	want := `[Interface]
PrivateKey = ME2b3cClHRpdk7sMIrMyMYOjiWOn0eNlHRcHS5Wpclw=
Address = 10.8.0.2/32, fd00:8::2/128
DNS = 10.8.0.1, fd00:8::1

[Peer]
PublicKey = fCdkLwLAsSKnz/2sQ5sTSOVmX5DyQ82cQxB3347t6Xk=
PresharedKey = KnvNZpjII8VnJpRkZ0E9fFivP47HHQ1Ly7V3Lxn0QVw=
Endpoint = vpn1.example.com:51820
AllowedIPs = 0.0.0.0/0, ::/0
PersistentKeepalive = 25
`
	if string(got) != want {
		t.Fatalf("Render:\n%s\nwant:\n%s", got, want)
	}

	minimal := clientConfig(t)
	minimal.DNS = nil
	minimal.Peer.PresharedKey = wireguard.Key{}
	minimal.Peer.PersistentKeepalive = 0
	minimal.Peer.Endpoint = "[2001:db8::1]:51820"
	got, err = minimal.Render()
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"DNS", "PresharedKey", "PersistentKeepalive"} {
		if bytes.Contains(got, []byte(absent)) {
			t.Errorf("minimal config has %s:\n%s", absent, got)
		}
	}
	if !bytes.Contains(got, []byte("Endpoint = [2001:db8::1]:51820\n")) {
		t.Errorf("IPv6 endpoint missing:\n%s", got)
	}
}

func TestClientConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(c *wireguard.ClientConfig)
		field  string
		rule   string
	}{
		{"no private key", func(c *wireguard.ClientConfig) { c.PrivateKey = wireguard.Key{} }, "private_key", "required"},
		{"no address", func(c *wireguard.ClientConfig) { c.Address = nil }, "address", "required"},
		{"bad address", func(c *wireguard.ClientConfig) { c.Address = []netip.Prefix{{}} }, "address[0]", "format"},
		{"bad dns", func(c *wireguard.ClientConfig) { c.DNS = []netip.Addr{{}} }, "dns[0]", "format"},
		{"zero peer key", func(c *wireguard.ClientConfig) { c.Peer.PublicKey = wireguard.Key{} }, "peer.public_key", "weak"},
		{"no endpoint", func(c *wireguard.ClientConfig) { c.Peer.Endpoint = "" }, "peer.endpoint", "required"},
		{"endpoint without port", func(c *wireguard.ClientConfig) { c.Peer.Endpoint = "vpn.example.com" }, "peer.endpoint", "format"},
		{"endpoint port zero", func(c *wireguard.ClientConfig) { c.Peer.Endpoint = "vpn.example.com:0" }, "peer.endpoint", "port"},
		{"endpoint port padded", func(c *wireguard.ClientConfig) { c.Peer.Endpoint = "vpn.example.com:051820" }, "peer.endpoint", "port"},
		{"injected line", func(c *wireguard.ClientConfig) {
			c.Peer.Endpoint = "vpn.example.com:51820\nPostUp = rm -rf /"
		}, "peer.endpoint", "port"},
		{"injected host", func(c *wireguard.ClientConfig) {
			c.Peer.Endpoint = "[vpn.example.com\nPostUp = id]:51820"
		}, "peer.endpoint", "host"},
		{"host with space", func(c *wireguard.ClientConfig) { c.Peer.Endpoint = "vpn example:51820" }, "peer.endpoint", "host"},
		{"bracketed name", func(c *wireguard.ClientConfig) { c.Peer.Endpoint = "[::1%eth0]:51820" }, "peer.endpoint", "format"},
		{"no allowed ips", func(c *wireguard.ClientConfig) { c.Peer.AllowedIPs = nil }, "peer.allowed_ips", "required"},
		{"keepalive range", func(c *wireguard.ClientConfig) { c.Peer.PersistentKeepalive = 70000 }, "peer.persistent_keepalive", "range"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := clientConfig(t)
			tc.mutate(&c)
			_, err := c.Render()
			code := "wireguard.config_invalid"
			if tc.rule == "weak" {
				code = "wireguard.key_invalid"
			}
			checkRule(t, err, code, tc.rule)
			if f := errField(err); f != tc.field {
				t.Fatalf("field %q, want %q", f, tc.field)
			}
		})
	}
}

func TestClientConfigQRCode(t *testing.T) {
	t.Parallel()
	c := clientConfig(t)
	for _, size := range []int{0, 300} {
		b, err := c.QRCode(size)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		want := size
		if want == 0 {
			want = wireguard.QRSize
		}
		if r := img.Bounds(); r.Dx() != want || r.Dy() != want {
			t.Fatalf("QR image %v, want %dx%d", r, want, want)
		}
		// Mostly dark and light pixels, a white quiet zone, and the top
		// left finder pattern dark where the code starts.
		dark := func(x, y int) bool { r, _, _, _ := img.At(x, y).RGBA(); return r < 0x8000 }
		ndark := 0
		for y := 0; y < want; y += 4 {
			for x := 0; x < want; x += 4 {
				if dark(x, y) {
					ndark++
				}
			}
		}
		if ndark == 0 {
			t.Fatal("QR image has no dark pixels")
		}
		// On the diagonal: quiet zone, then the finder pattern's dark
		// outer ring, one module thick.
		first := 0
		for first < want && !dark(first, first) {
			first++
		}
		module := 0
		for first+module < want && dark(first+module, first+module) {
			module++
		}
		if module == 0 || first < 4*module {
			t.Fatalf("quiet zone %d pixels, module %d pixels; want at least 4 modules", first, module)
		}
		for x := 0; x < want; x++ {
			if dark(x, first-1) || dark(first-1, x) || dark(x, want-first+module/2) {
				t.Fatalf("quiet zone not white at %d", x)
			}
		}
	}
	if _, err := c.QRCode(10); err == nil {
		t.Fatal("a 10-pixel QR code was accepted")
	}
	c.PrivateKey = wireguard.Key{}
	if _, err := c.QRCode(0); errField(err) != "private_key" {
		t.Fatalf("invalid config gave %v", err)
	}
}

func nodePeers(t *testing.T, n int) []wireguard.NodePeer {
	t.Helper()
	pool, _ := wireguard.ParsePool("10.8.0.0/24", "fd00:8::/64")
	var used []netip.Addr
	var peers []wireguard.NodePeer
	for i := range n {
		kp, err := wireguard.GenerateKeyPair(seeded(byte(10 + i)))
		if err != nil {
			t.Fatal(err)
		}
		a, err := pool.Allocate(used)
		if err != nil {
			t.Fatal(err)
		}
		used = append(used, a.V4, a.V6)
		p := wireguard.NodePeer{PublicKey: kp.Public, AllowedIPs: a.Prefixes()}
		if i%2 == 0 {
			p.PresharedKey, _ = wireguard.GeneratePresharedKey(seeded(byte(100 + i)))
		}
		peers = append(peers, p)
	}
	return peers
}

func TestNodeConfigRender(t *testing.T) {
	t.Parallel()
	node, _ := wireguard.GenerateKeyPair(seeded(9))
	peers := nodePeers(t, 3)
	conf := wireguard.NodeConfig{PrivateKey: node.Private, ListenPort: 51820, Peers: peers}
	got, err := conf.Render()
	if err != nil {
		t.Fatal(err)
	}
	text := string(got)
	for _, forbidden := range []string{"Address", "DNS", "PostUp", "SaveConfig"} {
		if strings.Contains(text, forbidden) {
			t.Errorf("node config has wg-quick key %s:\n%s", forbidden, text)
		}
	}
	if !strings.HasPrefix(text, "[Interface]\nPrivateKey = "+node.Private.String()+"\nListenPort = 51820\n") {
		t.Errorf("interface section:\n%s", text)
	}
	if n := strings.Count(text, "[Peer]"); n != 3 {
		t.Errorf("%d peers rendered, want 3", n)
	}
	// Public keys appear sorted.
	var keys []string
	for line := range strings.SplitSeq(text, "\n") {
		if k, ok := strings.CutPrefix(line, "PublicKey = "); ok {
			keys = append(keys, k)
		}
	}
	for i := 1; i < len(keys); i++ {
		if keys[i-1] >= keys[i] {
			t.Errorf("peers not sorted by key: %v", keys)
		}
	}
	// A peer without a PSK gets the zero key, which clears one.
	if !strings.Contains(text, "PresharedKey = "+wireguard.Key{}.String()+"\n") {
		t.Errorf("no zero preshared key line:\n%s", text)
	}
	// Order and mask of input do not change the output.
	shuffled := wireguard.NodeConfig{PrivateKey: node.Private, ListenPort: 51820,
		Peers: []wireguard.NodePeer{peers[2], peers[0], peers[1]}}
	shuffled.Peers[0].AllowedIPs = []netip.Prefix{peers[2].AllowedIPs[1], peers[2].AllowedIPs[0]}
	again, _ := shuffled.Render()
	if string(again) != text {
		t.Errorf("peer order changed the output:\n%s\nvs\n%s", again, text)
	}
	if !strings.Contains(text, "AllowedIPs = 10.8.0.2/32, fd00:8::2/128\n") {
		t.Errorf("allowed IPs:\n%s", text)
	}
	empty, err := wireguard.NodeConfig{PrivateKey: node.Private, ListenPort: 51820}.Render()
	if err != nil || strings.Contains(string(empty), "[Peer]") {
		t.Errorf("empty node config: %s, %v", empty, err)
	}
}

func TestNodeConfigValidate(t *testing.T) {
	t.Parallel()
	node, _ := wireguard.GenerateKeyPair(seeded(9))
	tests := []struct {
		name   string
		mutate func(c *wireguard.NodeConfig)
		field  string
		rule   string
	}{
		{"no private key", func(c *wireguard.NodeConfig) { c.PrivateKey = wireguard.Key{} }, "private_key", "required"},
		{"port zero", func(c *wireguard.NodeConfig) { c.ListenPort = 0 }, "listen_port", "range"},
		{"port too big", func(c *wireguard.NodeConfig) { c.ListenPort = 65536 }, "listen_port", "range"},
		{"zero peer key", func(c *wireguard.NodeConfig) { c.Peers[1].PublicKey = wireguard.Key{} }, "peers[1].public_key", "weak"},
		{"duplicate peer", func(c *wireguard.NodeConfig) { c.Peers[2].PublicKey = c.Peers[0].PublicKey }, "peers[2].public_key", "duplicate"},
		{"shared address", func(c *wireguard.NodeConfig) { c.Peers[2].AllowedIPs = c.Peers[1].AllowedIPs }, "peers[2].allowed_ips[0]", "duplicate"},
		{"bad prefix", func(c *wireguard.NodeConfig) { c.Peers[0].AllowedIPs = []netip.Prefix{{}} }, "peers[0].allowed_ips[0]", "format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := wireguard.NodeConfig{PrivateKey: node.Private, ListenPort: 51820, Peers: nodePeers(t, 3)}
			tc.mutate(&c)
			_, err := c.Render()
			code := "wireguard.config_invalid"
			if tc.rule == "weak" {
				code = "wireguard.key_invalid"
			}
			checkRule(t, err, code, tc.rule)
			if f := errField(err); f != tc.field {
				t.Fatalf("field %q, want %q", f, tc.field)
			}
		})
	}
}
