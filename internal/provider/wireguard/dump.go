package wireguard

import (
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Dump is what `wg show <iface> dump` reports about one interface.
type Dump struct {
	Interface InterfaceStatus
	Peers     []PeerStatus
}

// InterfaceStatus is the first line of a dump.
type InterfaceStatus struct {
	PrivateKey Key // zero: none set
	PublicKey  Key
	ListenPort int
	FwMark     uint32 // 0: off
}

// PeerStatus is one peer line of a dump.
type PeerStatus struct {
	PublicKey    Key
	PresharedKey Key            // zero: none
	Endpoint     netip.AddrPort // zero: not known yet
	AllowedIPs   []netip.Prefix
	// LatestHandshake is the zero Time when there has been none.
	LatestHandshake     time.Time
	RxBytes, TxBytes    uint64
	PersistentKeepalive int // seconds; 0: off
}

// ParseDump parses the output of `wg show <iface> dump` (one interface,
// without the leading interface column that `wg show all dump` adds):
// a tab-separated interface line (private key, public key, listen port,
// fwmark), then one tab-separated line per peer (public key, preshared
// key, endpoint, allowed IPs, latest handshake, rx, tx, keepalive), with
// "(none)" and "off" for absent values. Malformed input is an error
// naming the line; ParseDump never panics.
func ParseDump(b []byte) (Dump, error) {
	var d Dump
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) == 0 || len(lines[0]) == 0 {
		return Dump{}, fmt.Errorf("wireguard dump: empty")
	}
	f := strings.Split(string(lines[0]), "\t")
	if len(f) != 4 {
		return Dump{}, dumpErr(1, "interface line has %d fields, want 4", len(f))
	}
	var err error
	if d.Interface.PrivateKey, err = dumpKey(f[0]); err != nil {
		return Dump{}, dumpErr(1, "private key: %v", err)
	}
	if d.Interface.PublicKey, err = dumpKey(f[1]); err != nil {
		return Dump{}, dumpErr(1, "public key: %v", err)
	}
	if d.Interface.ListenPort, err = dumpUint(f[2], 16); err != nil {
		return Dump{}, dumpErr(1, "listen port: %v", err)
	}
	if f[3] != "off" {
		m, err := strconv.ParseUint(f[3], 0, 32)
		if err != nil {
			return Dump{}, dumpErr(1, "fwmark: %v", err)
		}
		d.Interface.FwMark = uint32(m)
	}
	for i, line := range lines[1:] {
		n := i + 2
		p, err := parsePeerLine(string(line))
		if err != nil {
			return Dump{}, dumpErr(n, "%v", err)
		}
		d.Peers = append(d.Peers, p)
	}
	return d, nil
}

func parsePeerLine(line string) (PeerStatus, error) {
	var p PeerStatus
	f := strings.Split(line, "\t")
	if len(f) != 8 {
		return p, fmt.Errorf("peer line has %d fields, want 8", len(f))
	}
	var err error
	if p.PublicKey, err = dumpKey(f[0]); err != nil {
		return p, fmt.Errorf("public key: %v", err)
	}
	if p.PublicKey.IsZero() {
		return p, fmt.Errorf("public key: none")
	}
	if p.PresharedKey, err = dumpKey(f[1]); err != nil {
		return p, fmt.Errorf("preshared key: %v", err)
	}
	if f[2] != "(none)" {
		// wg prints IPv6 endpoints as [addr]:port, possibly with a zone.
		if p.Endpoint, err = netip.ParseAddrPort(f[2]); err != nil {
			return p, fmt.Errorf("endpoint: %v", err)
		}
	}
	if f[3] != "(none)" {
		for s := range strings.SplitSeq(f[3], ",") {
			pfx, err := netip.ParsePrefix(s)
			if err != nil {
				return p, fmt.Errorf("allowed ips: %v", err)
			}
			p.AllowedIPs = append(p.AllowedIPs, pfx)
		}
	}
	hs, err := strconv.ParseInt(f[4], 10, 64)
	if err != nil || hs < 0 {
		return p, fmt.Errorf("latest handshake: %q", f[4])
	}
	if hs > 0 {
		p.LatestHandshake = time.Unix(hs, 0).UTC()
	}
	if p.RxBytes, err = strconv.ParseUint(f[5], 10, 64); err != nil {
		return p, fmt.Errorf("rx: %v", err)
	}
	if p.TxBytes, err = strconv.ParseUint(f[6], 10, 64); err != nil {
		return p, fmt.Errorf("tx: %v", err)
	}
	if f[7] != "off" {
		if p.PersistentKeepalive, err = dumpUint(f[7], 16); err != nil {
			return p, fmt.Errorf("persistent keepalive: %v", err)
		}
	}
	return p, nil
}

func dumpKey(s string) (Key, error) {
	if s == "(none)" {
		return Key{}, nil
	}
	return ParseKey(s)
}

func dumpUint(s string, bits int) (int, error) {
	n, err := strconv.ParseUint(s, 10, bits)
	return int(n), err
}

func dumpErr(line int, format string, args ...any) error {
	return fmt.Errorf("wireguard dump line %d: %s", line, fmt.Sprintf(format, args...))
}
