package wireguard

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"yuanxu/internal/errs"
)

// ClientConfig is what a customer imports into a WireGuard app: their own
// interface and the node as their one peer.
type ClientConfig struct {
	PrivateKey Key
	// Address is the client's tunnel addresses, normally
	// Assignment.Prefixes().
	Address []netip.Prefix
	// DNS servers the client uses while connected; may be empty.
	DNS []netip.Addr
	// Peer is the VPN node.
	Peer ClientPeer
}

// ClientPeer is the node as the client sees it.
type ClientPeer struct {
	PublicKey    Key
	PresharedKey Key // zero: none
	// Endpoint is the node's public "host:port" (a DNS name, an IPv4
	// address or a bracketed IPv6 address).
	Endpoint string
	// AllowedIPs routed into the tunnel: 0.0.0.0/0 and ::/0 for a full
	// tunnel, the pool's prefixes for a split one.
	AllowedIPs []netip.Prefix
	// PersistentKeepalive in seconds; 0 leaves it off. 25 is the usual
	// value for clients behind NAT.
	PersistentKeepalive int
}

// Validate checks that every part of c is well formed, so that Render
// cannot emit a line wg-quick would misread. Problems are *errs.Error
// values with code wireguard.config_invalid (or wireguard.key_invalid for
// keys), naming the field.
func (c ClientConfig) Validate() error {
	if c.PrivateKey.IsZero() {
		return configInvalid("private_key", "required", nil)
	}
	if len(c.Address) == 0 {
		return configInvalid("address", "required", nil)
	}
	for i, p := range c.Address {
		if !p.IsValid() {
			return configInvalid(fmt.Sprintf("address[%d]", i), "format", nil)
		}
	}
	for i, a := range c.DNS {
		if !a.IsValid() || a.Zone() != "" {
			return configInvalid(fmt.Sprintf("dns[%d]", i), "format", nil)
		}
	}
	if err := checkPublic("peer.public_key", c.Peer.PublicKey); err != nil {
		return err
	}
	if err := validEndpoint(c.Peer.Endpoint); err != nil {
		return err
	}
	if len(c.Peer.AllowedIPs) == 0 {
		return configInvalid("peer.allowed_ips", "required", nil)
	}
	for i, p := range c.Peer.AllowedIPs {
		if !p.IsValid() {
			return configInvalid(fmt.Sprintf("peer.allowed_ips[%d]", i), "format", nil)
		}
	}
	if c.Peer.PersistentKeepalive < 0 || c.Peer.PersistentKeepalive > 65535 {
		return configInvalid("peer.persistent_keepalive", "range", map[string]any{"min": 0, "max": 65535})
	}
	return nil
}

// validEndpoint accepts "host:port" where host is an IP address (IPv6 in
// brackets) or a DNS name of letters, digits, hyphens and dots.
func validEndpoint(ep string) error {
	const field = "peer.endpoint"
	if ep == "" {
		return configInvalid(field, "required", nil)
	}
	host, port, err := net.SplitHostPort(ep)
	if err != nil {
		return configInvalid(field, "format", nil)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return configInvalid(field, "port", nil)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" || (a.Is6() && !strings.HasPrefix(ep, "[")) {
			return configInvalid(field, "format", nil)
		}
		return nil
	}
	if !isHostname(host) {
		return configInvalid(field, "host", nil)
	}
	return nil
}

// isHostname reports whether s is a DNS name: dot-separated labels of
// 1–63 letters, digits and hyphens (not at either end), 253 bytes at most.
func isHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// Render returns the client configuration in wg-quick's format, after
// Validate. The output is the same for the same input.
func (c ClientConfig) Render() ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("[Interface]\n")
	fmt.Fprintf(&b, "PrivateKey = %s\n", c.PrivateKey)
	fmt.Fprintf(&b, "Address = %s\n", joinPrefixes(c.Address))
	if len(c.DNS) > 0 {
		s := make([]string, len(c.DNS))
		for i, a := range c.DNS {
			s[i] = a.String()
		}
		fmt.Fprintf(&b, "DNS = %s\n", strings.Join(s, ", "))
	}
	b.WriteString("\n[Peer]\n")
	fmt.Fprintf(&b, "PublicKey = %s\n", c.Peer.PublicKey)
	if !c.Peer.PresharedKey.IsZero() {
		fmt.Fprintf(&b, "PresharedKey = %s\n", c.Peer.PresharedKey)
	}
	fmt.Fprintf(&b, "Endpoint = %s\n", c.Peer.Endpoint)
	fmt.Fprintf(&b, "AllowedIPs = %s\n", joinPrefixes(c.Peer.AllowedIPs))
	if c.Peer.PersistentKeepalive > 0 {
		fmt.Fprintf(&b, "PersistentKeepalive = %d\n", c.Peer.PersistentKeepalive)
	}
	return b.Bytes(), nil
}

// QRSize is the default width and height, in pixels, of QRCode's image:
// large enough for a phone camera to read a full configuration from a
// screen.
const QRSize = 512

// qrQuiet is the quiet zone around a QR code, in modules (ISO/IEC 18004
// asks for 4).
const qrQuiet = 4

// QRCode renders the configuration as a QR code PNG of size×size pixels
// (QRSize when size is 0), error correction level M, as the WireGuard
// mobile apps scan it: whole pixels per module, a white quiet zone of at
// least four modules, the code centred. A size too small for the code
// and its quiet zone at one pixel per module is an error.
func (c ClientConfig) QRCode(size int) ([]byte, error) {
	text, err := c.Render()
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		size = QRSize
	}
	code, err := qr.Encode(string(text), qr.M, qr.Auto)
	if err != nil {
		return nil, fmt.Errorf("wireguard: qr encode: %w", err)
	}
	n := code.Bounds().Dx()
	factor := size / (n + 2*qrQuiet)
	if factor < 1 {
		return nil, fmt.Errorf("wireguard: a %d-module QR code needs at least %d pixels", n, n+2*qrQuiet)
	}
	scaled, err := barcode.Scale(code, n*factor, n*factor)
	if err != nil {
		return nil, fmt.Errorf("wireguard: qr scale: %w", err)
	}
	img := image.NewGray(image.Rect(0, 0, size, size))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	off := (size - n*factor) / 2
	draw.Draw(img, scaled.Bounds().Add(image.Pt(off, off)), scaled, image.Point{}, draw.Src)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		return nil, fmt.Errorf("wireguard: png: %w", err)
	}
	return b.Bytes(), nil
}

// NodeConfig is a VPN node's interface as `wg syncconf` takes it: its
// private key, listen port and the full peer list. Addresses of the
// interface itself are not part of it (they are wg-quick's business, set
// once when the interface is created).
type NodeConfig struct {
	PrivateKey Key
	ListenPort int // 1–65535
	Peers      []NodePeer
}

// NodePeer is one customer's peer on a node.
type NodePeer struct {
	PublicKey    Key
	PresharedKey Key // zero: none
	// AllowedIPs are the peer's own host routes, Assignment.Prefixes().
	AllowedIPs []netip.Prefix
}

// Validate checks the node configuration: a private key, a port in range,
// and peers with valid public keys, no public key twice and no allowed IP
// claimed by two peers (wg would silently give it to the last one).
// Problems are *errs.Error values with code wireguard.config_invalid or
// wireguard.key_invalid; peer fields are named "peers[i].…" in the
// order given.
func (n NodeConfig) Validate() error {
	if n.PrivateKey.IsZero() {
		return configInvalid("private_key", "required", nil)
	}
	if n.ListenPort < 1 || n.ListenPort > 65535 {
		return configInvalid("listen_port", "range", map[string]any{"min": 1, "max": 65535})
	}
	keys := map[Key]bool{}
	ips := map[netip.Prefix]bool{}
	for i, p := range n.Peers {
		field := fmt.Sprintf("peers[%d]", i)
		if err := checkPublic(field+".public_key", p.PublicKey); err != nil {
			return err
		}
		if keys[p.PublicKey] {
			return configInvalid(field+".public_key", "duplicate", nil)
		}
		keys[p.PublicKey] = true
		for j, pfx := range p.AllowedIPs {
			if !pfx.IsValid() {
				return configInvalid(fmt.Sprintf("%s.allowed_ips[%d]", field, j), "format", nil)
			}
			pfx = pfx.Masked()
			if ips[pfx] {
				return configInvalid(fmt.Sprintf("%s.allowed_ips[%d]", field, j), "duplicate", map[string]any{"prefix": pfx.String()})
			}
			ips[pfx] = true
		}
	}
	return nil
}

// Render returns the configuration in the format of `wg setconf` and
// `wg syncconf` (no Address, DNS or other wg-quick keys, which wg
// refuses), after Validate. Peers are ordered by public key and each
// peer's allowed IPs by address, so the same peer set always renders to
// the same bytes whatever order the caller listed it in.
//
// A peer without a preshared key gets an explicit all-zero PresharedKey
// line: syncconf leaves an omitted key as it is on the interface, so this
// is what removes a preshared key that was there before.
func (n NodeConfig) Render() ([]byte, error) {
	if err := n.Validate(); err != nil {
		return nil, err
	}
	peers := slices.Clone(n.Peers)
	slices.SortFunc(peers, func(a, b NodePeer) int { return strings.Compare(a.PublicKey.String(), b.PublicKey.String()) })
	var b bytes.Buffer
	b.WriteString("[Interface]\n")
	fmt.Fprintf(&b, "PrivateKey = %s\n", n.PrivateKey)
	fmt.Fprintf(&b, "ListenPort = %d\n", n.ListenPort)
	for _, p := range peers {
		b.WriteString("\n[Peer]\n")
		fmt.Fprintf(&b, "PublicKey = %s\n", p.PublicKey)
		fmt.Fprintf(&b, "PresharedKey = %s\n", p.PresharedKey)
		if len(p.AllowedIPs) > 0 {
			ips := make([]netip.Prefix, len(p.AllowedIPs))
			for i, pfx := range p.AllowedIPs {
				ips[i] = pfx.Masked()
			}
			slices.SortFunc(ips, comparePrefix)
			fmt.Fprintf(&b, "AllowedIPs = %s\n", joinPrefixes(ips))
		}
	}
	return b.Bytes(), nil
}

func comparePrefix(a, b netip.Prefix) int {
	if c := a.Addr().Compare(b.Addr()); c != 0 {
		return c
	}
	return a.Bits() - b.Bits()
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ", ")
}

func configInvalid(field, rule string, params map[string]any) error {
	return errs.Invalidf("wireguard.config_invalid", field, rule, params)
}
