package cdn

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"yuanxu/internal/errs"
)

// Origin is where an edge forwards a site's requests.
type Origin struct {
	Scheme string // "http" or "https"
	// Host is a lower-case DNS name or an IP address (IPv6 without
	// brackets).
	Host string
	Port int // 0: the scheme's default
}

// String returns the origin as a URL without a path:
// "https://origin.example.com", "http://[2001:db8::1]:8080".
func (o Origin) String() string {
	h := o.Host
	if strings.Contains(h, ":") {
		h = "[" + h + "]"
	}
	if o.Port != 0 {
		h += ":" + strconv.Itoa(o.Port)
	}
	return o.Scheme + "://" + h
}

// OriginOptions tune ParseOrigin.
type OriginOptions struct {
	// AllowPrivateOrigins accepts loopback, private, link-local and other
	// non-public addresses and single-label or localhost names. Off in
	// production, so that a customer cannot make the edge fetch from the
	// operator's own network; tests turn it on for loopback origins.
	AllowPrivateOrigins bool
}

// ParseOrigin validates an origin URL: http or https, a host (a domain
// as NormalizeDomain accepts it, or an IP address), an optional port
// 1–65535, no user information, and no path other than "/", no query
// and no fragment. Unless o.AllowPrivateOrigins is set, hosts that are
// not public are refused: loopback, RFC 1918 and unique-local, link-local,
// shared (100.64.0.0/10), unspecified, multicast and reserved addresses,
// "localhost" and names without a dot. A name that resolves to such an
// address is not detected here (the edge resolves it).
//
// Mistakes are *errs.Error with code cdn.origin_invalid, field "origin"
// and rules required, format, scheme, userinfo, host, port, path,
// private.
func ParseOrigin(raw string, o OriginOptions) (Origin, error) {
	return parseOrigin("origin", raw, o)
}

func parseOrigin(field, raw string, o OriginOptions) (Origin, error) {
	bad := func(rule string) (Origin, error) {
		return Origin{}, errs.Invalidf("cdn.origin_invalid", field, rule, nil)
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return bad("required")
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] <= ' ' || raw[i] >= 0x7f {
			return bad("format")
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return bad("format")
	}
	var out Origin
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		out.Scheme = strings.ToLower(u.Scheme)
	default:
		return bad("scheme")
	}
	if u.User != nil {
		return bad("userinfo")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.RawFragment != "" {
		return bad("path")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p {
			return bad("port")
		}
		out.Port = n
	} else if strings.HasSuffix(u.Host, ":") {
		return bad("port")
	}
	host := u.Hostname()
	if host == "" {
		return bad("host")
	}
	private := false
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" || (a.Is6() && !strings.HasPrefix(u.Host, "[")) {
			return bad("host")
		}
		a = a.Unmap()
		out.Host = a.String()
		private = !isPublic(a)
	} else {
		h := strings.ToLower(host)
		if !strings.Contains(h, ".") && isLDH(h) && h[0] != '-' && h[len(h)-1] != '-' {
			out.Host, private = h, true // an intranet name
		} else if d, err := normalizeDomain(field, h); err == nil && d == h {
			out.Host = d
			private = d == "localhost" || strings.HasSuffix(d, ".localhost")
		} else {
			return bad("host")
		}
	}
	if private && !o.AllowPrivateOrigins {
		return bad("private")
	}
	return out, nil
}

// nonPublic lists the special-purpose ranges (RFC 6890 and successors)
// that netip's predicates do not cover.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("fec0::/10"),
}

func isPublic(a netip.Addr) bool {
	if a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}
