package wireguard

import (
	"net/netip"

	"yuanxu/internal/errs"
)

// Pool is the address space of one VPN node. V4 is required; V6 is
// optional (the zero Prefix means IPv4 only). The first host of each
// prefix (10.8.0.1, fd00:8::1) is the node's own address (the gateway);
// the network address and, in IPv4, the broadcast address are never
// handed out either, and neither is any address in Reserved.
type Pool struct {
	V4       netip.Prefix
	V6       netip.Prefix
	Reserved []netip.Addr
}

// Assignment is the address pair given to one peer. V6 is the zero Addr
// when the pool has no IPv6 prefix.
type Assignment struct {
	V4 netip.Addr
	V6 netip.Addr
}

// Prefixes returns the assignment as host routes (/32 and /128): the
// client's Address and the peer's AllowedIPs on the node.
func (a Assignment) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	if a.V4.IsValid() {
		out = append(out, netip.PrefixFrom(a.V4, 32))
	}
	if a.V6.IsValid() {
		out = append(out, netip.PrefixFrom(a.V6, 128))
	}
	return out
}

// ParsePool parses the configured prefixes; v6 may be empty. The prefixes
// are masked to their network ("10.8.0.7/24" means 10.8.0.0/24). An IPv4
// pool must be /30 or larger and an IPv6 pool /126 or larger, so that at
// least one peer fits. Bad input is an *errs.Error with code
// wireguard.pool_invalid and field "v4" or "v6".
func ParsePool(v4, v6 string) (Pool, error) {
	var p Pool
	pfx, err := netip.ParsePrefix(v4)
	if err != nil || !pfx.Addr().Is4() {
		return Pool{}, errs.Invalidf("wireguard.pool_invalid", "v4", "format", nil)
	}
	p.V4 = pfx.Masked()
	if v6 != "" {
		pfx, err := netip.ParsePrefix(v6)
		if err != nil || !pfx.Addr().Is6() || pfx.Addr().Is4In6() {
			return Pool{}, errs.Invalidf("wireguard.pool_invalid", "v6", "format", nil)
		}
		p.V6 = pfx.Masked()
	}
	if err := p.Validate(); err != nil {
		return Pool{}, err
	}
	return p, nil
}

// Validate checks the sizes ParsePool documents and that both prefixes
// are of the right family.
func (p Pool) Validate() error {
	if !p.V4.IsValid() || !p.V4.Addr().Is4() {
		return errs.Invalidf("wireguard.pool_invalid", "v4", "required", nil)
	}
	if p.V4.Bits() > 30 {
		return errs.Invalidf("wireguard.pool_invalid", "v4", "too_small", map[string]any{"max_bits": 30})
	}
	if p.V6.IsValid() {
		if !p.V6.Addr().Is6() || p.V6.Addr().Is4In6() {
			return errs.Invalidf("wireguard.pool_invalid", "v6", "format", nil)
		}
		if p.V6.Bits() > 126 {
			return errs.Invalidf("wireguard.pool_invalid", "v6", "too_small", map[string]any{"max_bits": 126})
		}
	}
	return nil
}

// Gateway returns the node's own addresses: the first host of each
// prefix (V6 is the zero Addr without an IPv6 prefix).
func (p Pool) Gateway() Assignment {
	g := Assignment{V4: p.V4.Masked().Addr().Next()}
	if p.V6.IsValid() {
		g.V6 = p.V6.Masked().Addr().Next()
	}
	return g
}

// Allocate returns the lowest free address of each family: not the
// network address, the gateway, the IPv4 broadcast address, a Reserved
// address or one in inUse (addresses of either family may be mixed in
// inUse; addresses outside the pool are ignored). The result depends on
// nothing else, so two calls with the same arguments agree. When either
// family has no free address left the result is an *errs.Error with
// Kind Conflict and code wireguard.pool_exhausted.
//
// The search is linear in len(inUse)+len(Reserved), whatever the size of
// the prefix.
func (p Pool) Allocate(inUse []netip.Addr) (Assignment, error) {
	if err := p.Validate(); err != nil {
		return Assignment{}, err
	}
	taken := make(map[netip.Addr]bool, len(inUse)+len(p.Reserved))
	for _, a := range inUse {
		taken[a.Unmap().WithZone("")] = true
	}
	for _, a := range p.Reserved {
		taken[a.Unmap().WithZone("")] = true
	}
	var out Assignment
	var ok bool
	if out.V4, ok = lowestFree(p.V4, taken, true); !ok {
		return Assignment{}, exhausted("v4", p.V4)
	}
	if p.V6.IsValid() {
		if out.V6, ok = lowestFree(p.V6, taken, false); !ok {
			return Assignment{}, exhausted("v6", p.V6)
		}
	}
	return out, nil
}

// lowestFree walks pfx from its second host upwards, skipping taken
// addresses; it stops at the end of the prefix (before the broadcast
// address when broadcast is set).
func lowestFree(pfx netip.Prefix, taken map[netip.Addr]bool, broadcast bool) (netip.Addr, bool) {
	pfx = pfx.Masked()
	a := pfx.Addr().Next().Next() // skip network and gateway
	for a.IsValid() && pfx.Contains(a) {
		if broadcast && !pfx.Contains(a.Next()) {
			return netip.Addr{}, false // a is the broadcast address
		}
		if !taken[a] {
			return a, true
		}
		a = a.Next()
	}
	return netip.Addr{}, false
}

func exhausted(field string, pfx netip.Prefix) error {
	return &errs.Error{
		Kind:   errs.Conflict,
		Code:   "wireguard.pool_exhausted",
		Msg:    "no free address in " + pfx.String(),
		Fields: []errs.FieldError{{Field: field, Rule: "exhausted", Params: map[string]any{"prefix": pfx.String()}}},
	}
}
