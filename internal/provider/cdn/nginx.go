package cdn

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"yuanxu/internal/errs"
)

// HostHeader chooses the Host header the edge sends to the origin.
type HostHeader string

const (
	// HostHeaderOrigin sends the origin's own host (and port, when not the
	// default): right for origins that serve many names or sit behind
	// their own virtual hosting. The zero value means this.
	HostHeaderOrigin HostHeader = "origin"
	// HostHeaderCustomer passes on the host the visitor asked for, and
	// uses it as the TLS server name towards an https origin.
	HostHeaderCustomer HostHeader = "customer"
)

// Site is one customer site on an edge: the host names it answers to and
// the origin it forwards to. Sites come from the control plane and are
// validated again here; nothing in them is trusted.
type Site struct {
	// ID is the site's DNS label (ValidSiteID); it names the server block.
	ID string
	// Hosts are the customer's host names (NormalizeDomain), at least one.
	Hosts []string
	// Origin is the origin URL (ParseOrigin).
	Origin     string
	HostHeader HostHeader
	// TLS, when set, makes the site answer HTTPS too with this
	// certificate; nil serves HTTP only.
	TLS *TLSFiles
}

// TLSFiles are the PEM certificate chain and key on the edge's disk.
// Paths are absolute and made of letters, digits and . _ - / + @ = ,
// only; nginx must be able to read them at reload.
type TLSFiles struct {
	CertFile string
	KeyFile  string
}

// RenderOptions are the edge node's own settings.
type RenderOptions struct {
	// HTTPListen and HTTPSListen are nginx listen addresses: "80",
	// "127.0.0.1:8080", "[::]:443", "*:80". Defaults: "80" and "443".
	HTTPListen  []string
	HTTPSListen []string
	// DefaultStatus, when not 0, adds a catch-all default server on every
	// listen address that answers requests for unknown hosts with this
	// status (444 closes the connection without a response; 404 is
	// friendlier to monitoring). Leave it 0 when the main configuration
	// already has a default server. Its HTTPS side refuses the TLS
	// handshake (ssl_reject_handshake, nginx ≥ 1.19.4) and is only added
	// when some site has TLS.
	DefaultStatus int
	// OriginCAFile, when set, makes nginx verify https origins against
	// these PEM roots (for example /etc/ssl/certs/ca-certificates.crt);
	// when empty, origin certificates are not verified (nginx's default).
	OriginCAFile string
	// AllowPrivateOrigins is ParseOrigin's option of that name.
	AllowPrivateOrigins bool
	// ACMEChallengeUpstream, when set, is the control plane's base URL
	// (http(s)://host[:port], as ParseOrigin reads it; private addresses
	// allowed, it is the edge's own setting): every site forwards
	// /.well-known/acme-challenge/ there over HTTP, so that a CA
	// validating a site's certificate by HTTP-01 reaches the server that
	// ordered it through this edge.
	ACMEChallengeUpstream string
}

// FileName is the conventional name of the rendered file inside nginx's
// include directory.
const FileName = "yuanxu-sites.conf"

// Render returns one nginx configuration file (http context: server
// blocks only, to be included from nginx.conf's http block) for sites.
// Every site and option is validated first: host names as
// NormalizeDomain, origins as ParseOrigin, IDs as ValidSiteID, file paths
// and listen addresses against a narrow character set, no host name in
// two sites and no ID twice. Mistakes are *errs.Error values
// (cdn.site_invalid, cdn.domain_invalid, cdn.origin_invalid with fields
// "sites[i]…"; cdn.config_invalid for options). Sites are rendered in
// order of ID and each site's hosts sorted, so the same set renders to the
// same bytes.
//
// Each site proxies "/" to its origin with Host as HostHeader says,
// X-Forwarded-For and X-Real-IP set to the visitor's address (a
// client-sent X-Forwarded-For is dropped, not extended: the edge is the
// first proxy), X-Forwarded-Proto, and HTTP/1.1 keep-alive to the origin.
// A DNS-named origin is resolved by nginx when it loads the file; a name
// that does not resolve fails the configuration test.
func Render(sites []Site, o RenderOptions) ([]byte, error) {
	httpL, httpsL, err := o.listens()
	if err != nil {
		return nil, err
	}
	if o.OriginCAFile != "" && !safePath(o.OriginCAFile) {
		return nil, errs.Invalidf("cdn.config_invalid", "origin_ca_file", "format", nil)
	}
	if o.DefaultStatus != 0 && (o.DefaultStatus < 200 || o.DefaultStatus > 599) {
		return nil, errs.Invalidf("cdn.config_invalid", "default_status", "range", map[string]any{"min": 200, "max": 599})
	}
	var acmeUp *Origin
	if o.ACMEChallengeUpstream != "" {
		up, err := parseOrigin("acme_challenge_upstream", o.ACMEChallengeUpstream, OriginOptions{AllowPrivateOrigins: true})
		if err != nil {
			return nil, errs.Invalidf("cdn.config_invalid", "acme_challenge_upstream", ruleOf(err), nil)
		}
		acmeUp = &up
	}
	type site struct {
		Site
		hosts  []string
		origin Origin
	}
	var all []site
	ids, hosts := map[string]bool{}, map[string]int{}
	anyTLS := false
	for i, s := range sites {
		f := fmt.Sprintf("sites[%d]", i)
		if err := validSiteID(f+".id", s.ID); err != nil {
			return nil, err
		}
		if ids[s.ID] {
			return nil, errs.Invalidf("cdn.site_invalid", f+".id", "duplicate", nil)
		}
		ids[s.ID] = true
		if len(s.Hosts) == 0 {
			return nil, errs.Invalidf("cdn.site_invalid", f+".hosts", "required", nil)
		}
		v := site{Site: s}
		for j, h := range s.Hosts {
			hf := fmt.Sprintf("%s.hosts[%d]", f, j)
			d, err := normalizeDomain(hf, h)
			if err != nil {
				return nil, err
			}
			if prev, ok := hosts[d]; ok {
				return nil, errs.Invalidf("cdn.site_invalid", hf, "duplicate", map[string]any{"site": prev})
			}
			hosts[d] = i
			v.hosts = append(v.hosts, d)
		}
		slices.Sort(v.hosts)
		if v.origin, err = parseOrigin(f+".origin", s.Origin, OriginOptions{AllowPrivateOrigins: o.AllowPrivateOrigins}); err != nil {
			return nil, err
		}
		switch s.HostHeader {
		case "", HostHeaderOrigin, HostHeaderCustomer:
		default:
			return nil, errs.Invalidf("cdn.site_invalid", f+".host_header", "enum", map[string]any{"values": []string{"origin", "customer"}})
		}
		if s.TLS != nil {
			anyTLS = true
			if !safePath(s.TLS.CertFile) {
				return nil, errs.Invalidf("cdn.site_invalid", f+".tls.cert_file", "format", nil)
			}
			if !safePath(s.TLS.KeyFile) {
				return nil, errs.Invalidf("cdn.site_invalid", f+".tls.key_file", "format", nil)
			}
		}
		all = append(all, v)
	}
	slices.SortFunc(all, func(a, b site) int { return strings.Compare(a.ID, b.ID) })

	w := &confWriter{}
	w.line(0, "# Generated by yuanxu for this edge node; changes here are overwritten.")
	w.line(0, fmt.Sprintf("# %d site(s).", len(all)))
	if o.DefaultStatus != 0 {
		w.line(0, "")
		w.line(0, "server {")
		for _, l := range httpL {
			w.directive(1, "listen", l, "default_server")
		}
		if anyTLS {
			for _, l := range httpsL {
				w.directive(1, "listen", l, "ssl", "default_server")
			}
			w.directive(1, "ssl_reject_handshake", "on")
		}
		w.directive(1, "server_name", "_")
		w.directive(1, "return", strconv.Itoa(o.DefaultStatus))
		w.line(0, "}")
	}
	for _, s := range all {
		w.line(0, "")
		w.line(0, "# site "+s.ID)
		w.line(0, "server {")
		for _, l := range httpL {
			w.directive(1, "listen", l)
		}
		if s.TLS != nil {
			for _, l := range httpsL {
				w.directive(1, "listen", l, "ssl")
			}
		}
		w.directive(1, "server_name", s.hosts...)
		if s.TLS != nil {
			w.directive(1, "ssl_certificate", s.TLS.CertFile)
			w.directive(1, "ssl_certificate_key", s.TLS.KeyFile)
		}
		if acmeUp != nil {
			w.line(1, "location /.well-known/acme-challenge/ {")
			w.directive(2, "proxy_pass", acmeUp.String())
			w.directive(2, "proxy_set_header", "Host", "$proxy_host")
			if acmeUp.Scheme == "https" {
				w.directive(2, "proxy_ssl_server_name", "on")
			}
			w.line(1, "}")
		}
		w.line(1, "location / {")
		w.directive(2, "proxy_pass", s.origin.String())
		if s.HostHeader == HostHeaderCustomer {
			w.directive(2, "proxy_set_header", "Host", "$host")
		} else {
			w.directive(2, "proxy_set_header", "Host", "$proxy_host")
		}
		w.directive(2, "proxy_set_header", "X-Forwarded-For", "$remote_addr")
		w.directive(2, "proxy_set_header", "X-Real-IP", "$remote_addr")
		w.directive(2, "proxy_set_header", "X-Forwarded-Proto", "$scheme")
		w.directive(2, "proxy_http_version", "1.1")
		w.directive(2, "proxy_set_header", "Connection", `""`)
		if s.origin.Scheme == "https" {
			w.directive(2, "proxy_ssl_server_name", "on")
			if s.HostHeader == HostHeaderCustomer {
				w.directive(2, "proxy_ssl_name", "$host")
			}
			if o.OriginCAFile != "" {
				w.directive(2, "proxy_ssl_verify", "on")
				w.directive(2, "proxy_ssl_trusted_certificate", o.OriginCAFile)
			}
		}
		w.line(1, "}")
		w.line(0, "}")
	}
	if w.err != nil {
		return nil, w.err
	}
	return w.buf.Bytes(), nil
}

// listens validates and defaults the listen addresses.
func (o RenderOptions) listens() (httpL, httpsL []string, err error) {
	httpL, httpsL = o.HTTPListen, o.HTTPSListen
	if len(httpL) == 0 {
		httpL = []string{"80"}
	}
	if len(httpsL) == 0 {
		httpsL = []string{"443"}
	}
	seen := map[string]bool{}
	for _, set := range []struct {
		field string
		ls    []string
	}{{"http_listen", httpL}, {"https_listen", httpsL}} {
		for i, l := range set.ls {
			if !validListen(l) {
				return nil, nil, errs.Invalidf("cdn.config_invalid", fmt.Sprintf("%s[%d]", set.field, i), "format", nil)
			}
			if seen[l] {
				return nil, nil, errs.Invalidf("cdn.config_invalid", fmt.Sprintf("%s[%d]", set.field, i), "duplicate", nil)
			}
			seen[l] = true
		}
	}
	return httpL, httpsL, nil
}

// validListen accepts "port", "*:port", "ipv4:port" and "[ipv6]:port".
func validListen(l string) bool {
	host, port := "", l
	if i := strings.LastIndexByte(l, ':'); i >= 0 {
		host, port = l[:i], l[i+1:]
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != port {
		return false
	}
	switch {
	case host == "" && !strings.Contains(l, ":"), host == "*":
		return true
	case strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]"):
		a, err := netip.ParseAddr(host[1 : len(host)-1])
		return err == nil && a.Is6() && a.Zone() == ""
	default:
		a, err := netip.ParseAddr(host)
		return err == nil && a.Is4()
	}
}

// safePath accepts absolute paths of letters, digits and . _ - / + @ = ,
// — nothing nginx would read as a separator, quote, comment, block or
// variable.
func safePath(p string) bool {
	if len(p) < 2 || p[0] != '/' || len(p) > 4096 {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._-/+@=,", c) >= 0) {
			return false
		}
	}
	return true
}

// ruleOf is the rule of a validation error's first field ("format").
func ruleOf(err error) string {
	if e, ok := err.(*errs.Error); ok && len(e.Fields) > 0 {
		return e.Fields[0].Rule
	}
	return "format"
}

// confWriter writes nginx directives, refusing any argument that could
// end a directive or open a block, comment, quote or variable. Validation
// above already guarantees that; this is the second lock.
type confWriter struct {
	buf bytes.Buffer
	err error
}

// fixedArgs are the literal arguments Render itself writes that fall
// outside the safe set.
var fixedArgs = map[string]bool{`""`: true, "$host": true, "$proxy_host": true, "$remote_addr": true, "$scheme": true}

func (w *confWriter) directive(depth int, name string, args ...string) {
	for _, a := range args {
		if fixedArgs[a] {
			continue
		}
		if a == "" || strings.ContainsFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-/+@=,:[]*", r))
		}) {
			if w.err == nil {
				w.err = fmt.Errorf("cdn: unsafe nginx argument %q for %s", a, name)
			}
			return
		}
	}
	w.line(depth, name+" "+strings.Join(args, " ")+";")
}

func (w *confWriter) line(depth int, s string) {
	if s == "" {
		w.buf.WriteByte('\n')
		return
	}
	w.buf.WriteString(strings.Repeat("    ", depth))
	w.buf.WriteString(s)
	w.buf.WriteByte('\n')
}
