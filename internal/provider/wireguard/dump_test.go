package wireguard_test

import (
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/provider/wireguard"
)

// A dump captured from wg v1.0.20210914 against wireguard-go, with one
// peer that has talked and one that has not.
const sampleDump = "MHNz/D2nvSCM4ih52x9X+IlXBJhO3OBrGAMUKsvqqEU=\tfCdkLwLAsSKnz/2sQ5sTSOVmX5DyQ82cQxB3347t6Xk=\t51820\t0xca6c\n" +
	"KnvNZpjII8VnJpRkZ0E9fFivP47HHQ1Ly7V3Lxn0QVw=\t(none)\t(none)\t10.0.0.2/32,fd00::2/128\t0\t0\t0\toff\n" +
	"ME2b3cClHRpdk7sMIrMyMYOjiWOn0eNlHRcHS5Wpclw=\tKnvNZpjII8VnJpRkZ0E9fFivP47HHQ1Ly7V3Lxn0QVw=\t[2001:db8::7]:40000\t10.0.0.3/32\t1764150000\t1234\t5678\t25\n"

func TestParseDump(t *testing.T) {
	t.Parallel()
	d, err := wireguard.ParseDump([]byte(sampleDump))
	if err != nil {
		t.Fatal(err)
	}
	want := wireguard.Dump{
		Interface: wireguard.InterfaceStatus{
			PrivateKey: mustKey(t, "MHNz/D2nvSCM4ih52x9X+IlXBJhO3OBrGAMUKsvqqEU="),
			PublicKey:  mustKey(t, "fCdkLwLAsSKnz/2sQ5sTSOVmX5DyQ82cQxB3347t6Xk="),
			ListenPort: 51820,
			FwMark:     0xca6c,
		},
		Peers: []wireguard.PeerStatus{
			{
				PublicKey:  mustKey(t, "KnvNZpjII8VnJpRkZ0E9fFivP47HHQ1Ly7V3Lxn0QVw="),
				AllowedIPs: prefixes("10.0.0.2/32", "fd00::2/128"),
			},
			{
				PublicKey:           mustKey(t, "ME2b3cClHRpdk7sMIrMyMYOjiWOn0eNlHRcHS5Wpclw="),
				PresharedKey:        mustKey(t, "KnvNZpjII8VnJpRkZ0E9fFivP47HHQ1Ly7V3Lxn0QVw="),
				Endpoint:            netip.MustParseAddrPort("[2001:db8::7]:40000"),
				AllowedIPs:          prefixes("10.0.0.3/32"),
				LatestHandshake:     time.Unix(1764150000, 0).UTC(),
				RxBytes:             1234,
				TxBytes:             5678,
				PersistentKeepalive: 25,
			},
		},
	}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("ParseDump =\n%+v\nwant\n%+v", d, want)
	}
}

func TestParseDumpErrors(t *testing.T) {
	t.Parallel()
	lines := strings.Split(strings.TrimSuffix(sampleDump, "\n"), "\n")
	iface, peer := lines[0], lines[1]
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "empty"},
		{"fresh interface", "(none)\t(none)\t57174\toff\n", ""},
		{"no trailing newline", iface, ""},
		{"interface fields", "(none)\t(none)\t1\n", "line 1: interface line has 3 fields"},
		{"bad port", "(none)\t(none)\t70000\toff", "line 1: listen port"},
		{"bad fwmark", "(none)\t(none)\t1\tmaybe", "line 1: fwmark"},
		{"bad key", "nope\t(none)\t1\toff", "line 1: private key"},
		{"all dump format", "wg0\t" + iface, "line 1: interface line has 5 fields"},
		{"peer fields", iface + "\n" + peer + "\textra", "line 2: peer line has 9 fields"},
		{"peer without key", iface + "\n(none)" + peer[44:], "line 2: public key: none"},
		{"bad endpoint", iface + "\n" + strings.Replace(peer, "\t(none)\t10.0", "\tsomewhere\t10.0", 1), "line 2: endpoint"},
		{"bad allowed ip", iface + "\n" + strings.Replace(peer, "10.0.0.2/32", "10.0.0.2/33", 1), "line 2: allowed ips"},
		{"negative handshake", iface + "\n" + strings.Replace(peer, "\t0\t0\t0\t", "\t-1\t0\t0\t", 1), "line 2: latest handshake"},
		{"bad keepalive", iface + "\n" + strings.Replace(peer, "\toff", "\tsoon", 1), "line 2: persistent keepalive"},
		{"blank peer line", iface + "\n\n" + peer, "line 2: peer line has 1 fields"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := wireguard.ParseDump([]byte(tc.in))
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

// formatDump writes d the way wg does, for the round trip in the fuzz
// target.
func formatDump(d wireguard.Dump) string {
	key := func(k wireguard.Key) string {
		if k.IsZero() {
			return "(none)"
		}
		return k.String()
	}
	off := func(n uint64, hex bool) string {
		switch {
		case n == 0:
			return "off"
		case hex:
			return fmt.Sprintf("0x%x", n)
		}
		return strconv.FormatUint(n, 10)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\t%s\t%d\t%s\n", key(d.Interface.PrivateKey), key(d.Interface.PublicKey), d.Interface.ListenPort, off(uint64(d.Interface.FwMark), true))
	for _, p := range d.Peers {
		ep := "(none)"
		if p.Endpoint.IsValid() {
			ep = p.Endpoint.String()
		}
		ips := "(none)"
		if len(p.AllowedIPs) > 0 {
			s := make([]string, len(p.AllowedIPs))
			for i, a := range p.AllowedIPs {
				s[i] = a.String()
			}
			ips = strings.Join(s, ",")
		}
		var hs int64
		if !p.LatestHandshake.IsZero() {
			hs = p.LatestHandshake.Unix()
		}
		fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", key(p.PublicKey), key(p.PresharedKey), ep, ips, hs, p.RxBytes, p.TxBytes, off(uint64(p.PersistentKeepalive), false))
	}
	return b.String()
}

// FuzzParseDump: ParseDump never panics, and whatever it accepts formats
// back to a dump that parses to the same value. Seeds live in
// testdata/fuzz/FuzzParseDump.
func FuzzParseDump(f *testing.F) {
	f.Add([]byte(sampleDump))
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := wireguard.ParseDump(b)
		if err != nil {
			return
		}
		again, err := wireguard.ParseDump([]byte(formatDump(d)))
		if err != nil {
			t.Fatalf("formatted dump does not parse: %v\n%s", err, formatDump(d))
		}
		if !reflect.DeepEqual(d, again) {
			t.Fatalf("round trip changed the dump:\n%+v\n%+v", d, again)
		}
	})
}
