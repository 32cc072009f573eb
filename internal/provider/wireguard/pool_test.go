package wireguard_test

import (
	"net/netip"
	"testing"

	"yuanxu/internal/provider/wireguard"
)

func addrs(ss ...string) []netip.Addr {
	out := make([]netip.Addr, len(ss))
	for i, s := range ss {
		out[i] = netip.MustParseAddr(s)
	}
	return out
}

func TestParsePool(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, v4, v6 string
		field, rule  string
		want         string // V4 V6 as printed
	}{
		{"v4 only", "10.8.0.0/24", "", "", "", "10.8.0.0/24 invalid Prefix"},
		{"masked", "10.8.0.7/24", "fd00:8::9/64", "", "", "10.8.0.0/24 fd00:8::/64"},
		{"smallest", "10.8.0.0/30", "fd00::/126", "", "", "10.8.0.0/30 fd00::/126"},
		{"v4 too small", "10.8.0.0/31", "", "v4", "too_small", ""},
		{"v6 too small", "10.8.0.0/24", "fd00::/127", "v6", "too_small", ""},
		{"v4 missing", "", "", "v4", "format", ""},
		{"v4 is v6", "fd00::/64", "", "v4", "format", ""},
		{"v6 is v4", "10.8.0.0/24", "10.9.0.0/24", "v6", "format", ""},
		{"v6 mapped v4", "10.8.0.0/24", "::ffff:10.9.0.0/120", "v6", "format", ""},
		{"garbage", "10.8.0.0/24\n", "", "v4", "format", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := wireguard.ParsePool(tc.v4, tc.v6)
			checkRule(t, err, "wireguard.pool_invalid", tc.rule)
			if err != nil {
				if f := errField(err); f != tc.field {
					t.Fatalf("field %q, want %q", f, tc.field)
				}
				return
			}
			if got := p.V4.String() + " " + p.V6.String(); got != tc.want {
				t.Fatalf("pool %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPoolAllocate(t *testing.T) {
	t.Parallel()
	v4 := wireguard.Pool{V4: netip.MustParsePrefix("10.8.0.0/24")}
	dual := wireguard.Pool{V4: netip.MustParsePrefix("10.8.0.0/24"), V6: netip.MustParsePrefix("fd00:8::/64")}
	tiny := wireguard.Pool{V4: netip.MustParsePrefix("192.168.7.0/30"), V6: netip.MustParsePrefix("fd00::/126")}
	tests := []struct {
		name  string
		pool  wireguard.Pool
		inUse []netip.Addr
		want  wireguard.Assignment
		field string // exhausted family
	}{
		{"empty pool gives .2", v4, nil, wireguard.Assignment{V4: netip.MustParseAddr("10.8.0.2")}, ""},
		{"lowest gap", v4, addrs("10.8.0.2", "10.8.0.3", "10.8.0.5"), wireguard.Assignment{V4: netip.MustParseAddr("10.8.0.4")}, ""},
		{"order of in-use does not matter", v4, addrs("10.8.0.5", "10.8.0.3", "10.8.0.2"), wireguard.Assignment{V4: netip.MustParseAddr("10.8.0.4")}, ""},
		{"outside addresses ignored", v4, addrs("10.9.0.2", "fd00::2"), wireguard.Assignment{V4: netip.MustParseAddr("10.8.0.2")}, ""},
		{"mapped in-use address counts", v4, addrs("::ffff:10.8.0.2"), wireguard.Assignment{V4: netip.MustParseAddr("10.8.0.3")}, ""},
		{"dual stack", dual, addrs("10.8.0.2", "fd00:8::2", "fd00:8::3"), wireguard.Assignment{V4: netip.MustParseAddr("10.8.0.3"), V6: netip.MustParseAddr("fd00:8::4")}, ""},
		{"tiny pool has one host", tiny, nil, wireguard.Assignment{V4: netip.MustParseAddr("192.168.7.2"), V6: netip.MustParseAddr("fd00::2")}, ""},
		{"broadcast never given", tiny, addrs("192.168.7.2"), wireguard.Assignment{}, "v4"},
		{"v6 exhausted", tiny, addrs("fd00::2", "fd00::3"), wireguard.Assignment{}, "v6"},
		{"last v4 host", v4, rangeAddrs("10.8.0.2", 252), wireguard.Assignment{V4: netip.MustParseAddr("10.8.0.254")}, ""},
		{"v4 exhausted", v4, rangeAddrs("10.8.0.2", 253), wireguard.Assignment{}, "v4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.pool.Allocate(tc.inUse)
			if tc.field != "" {
				checkRule(t, err, "wireguard.pool_exhausted", "exhausted")
				if f := errField(err); f != tc.field {
					t.Fatalf("exhausted %q, want %q", f, tc.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("Allocate = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPoolReservedAndGateway(t *testing.T) {
	t.Parallel()
	p, err := wireguard.ParsePool("10.8.0.0/24", "fd00:8::/64")
	if err != nil {
		t.Fatal(err)
	}
	if g := p.Gateway(); g.V4.String() != "10.8.0.1" || g.V6.String() != "fd00:8::1" {
		t.Fatalf("Gateway = %v", g)
	}
	p.Reserved = addrs("10.8.0.2", "fd00:8::2")
	a, err := p.Allocate(addrs("10.8.0.3"))
	if err != nil {
		t.Fatal(err)
	}
	if a.V4.String() != "10.8.0.4" || a.V6.String() != "fd00:8::3" {
		t.Fatalf("Allocate = %v", a)
	}
	pfx := a.Prefixes()
	if len(pfx) != 2 || pfx[0].String() != "10.8.0.4/32" || pfx[1].String() != "fd00:8::3/128" {
		t.Fatalf("Prefixes = %v", pfx)
	}
	// A large in-use set in a huge prefix stays linear.
	big, _ := wireguard.ParsePool("10.0.0.0/8", "fd00::/32")
	used := rangeAddrs("10.0.0.2", 50000)
	a, err = big.Allocate(used)
	if err != nil || a.V4.String() != "10.0.195.82" || a.V6.String() != "fd00::2" {
		t.Fatalf("Allocate in /8 = %v, %v", a, err)
	}
	if _, err := (wireguard.Pool{}).Allocate(nil); errField(err) != "v4" {
		t.Fatalf("zero pool: %v", err)
	}
}

func rangeAddrs(first string, n int) []netip.Addr {
	a := netip.MustParseAddr(first)
	out := make([]netip.Addr, 0, n)
	for range n {
		out = append(out, a)
		a = a.Next()
	}
	return out
}
