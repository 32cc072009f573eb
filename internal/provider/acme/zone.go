package acme

import (
	"context"
	"net"
	"time"

	"github.com/miekg/dns"
)

// ZoneServer is a small authoritative DNS server for the delegation zone
// (e.g. "acme.yuanxu.example"): TXT questions for names under the zone are
// answered from a TXTRecords set; the apex answers SOA and, when
// configured, NS; other types get an empty answer with the SOA (NODATA); a
// name with no TXT value is NXDOMAIN; names outside the zone are REFUSED.
// Answers carry TTL 60 and the AA bit. It implements dns.Handler.
//
// In production it listens on port 53 of the hosts named in the zone's NS
// delegation at the parent; ServeConn runs it on a socket the caller
// opened.
type ZoneServer struct {
	zone    string
	records TXTRecords
	ns      []string
}

// NewZoneServer answers for zone from records; nameservers (host names,
// optional) are returned for NS questions at the apex and in the SOA.
func NewZoneServer(zone string, records TXTRecords, nameservers ...string) *ZoneServer {
	s := &ZoneServer{zone: dns.CanonicalName(zone), records: records}
	for _, n := range nameservers {
		s.ns = append(s.ns, dns.CanonicalName(n))
	}
	return s
}

const zoneTTL = 60

// lookupTimeout bounds one TXTRecords lookup: a resolver retries after a
// few seconds anyway.
const lookupTimeout = 2 * time.Second

func (s *ZoneServer) soa() dns.RR {
	mname := "ns." + s.zone
	if len(s.ns) > 0 {
		mname = s.ns[0]
	}
	return &dns.SOA{
		Hdr:  dns.RR_Header{Name: s.zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: zoneTTL},
		Ns:   mname,
		Mbox: "hostmaster." + s.zone,
		// The serial is constant: the records are short-lived and no
		// secondary transfers this zone.
		Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, Minttl: zoneTTL,
	}
}

// ServeDNS answers one query; see ZoneServer.
func (s *ZoneServer) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	if len(req.Question) != 1 {
		m.SetRcode(req, dns.RcodeFormatError)
		_ = w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	name := dns.CanonicalName(q.Name)
	if !dns.IsSubDomain(s.zone, name) {
		m.Authoritative = false
		m.SetRcode(req, dns.RcodeRefused)
		_ = w.WriteMsg(m)
		return
	}
	apex := name == s.zone
	switch {
	case apex && q.Qtype == dns.TypeSOA:
		m.Answer = append(m.Answer, s.soa())
	case apex && q.Qtype == dns.TypeNS && len(s.ns) > 0:
		for _, n := range s.ns {
			m.Answer = append(m.Answer, &dns.NS{Hdr: dns.RR_Header{Name: s.zone, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: zoneTTL}, Ns: n})
		}
	case q.Qtype == dns.TypeTXT || q.Qtype == dns.TypeANY:
		ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
		values, err := s.records.TXT(ctx, name)
		cancel()
		if err != nil {
			m.SetRcode(req, dns.RcodeServerFailure)
			_ = w.WriteMsg(m)
			return
		}
		for _, v := range values {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: zoneTTL}, Txt: splitTXT(v)})
		}
		if len(values) == 0 && !apex {
			m.Rcode = dns.RcodeNameError
		}
	}
	if len(m.Answer) == 0 {
		m.Ns = append(m.Ns, s.soa())
	}
	_ = w.WriteMsg(m)
}

// splitTXT cuts a value into the 255-octet strings a TXT record holds.
func splitTXT(v string) []string {
	var out []string
	for len(v) > 255 {
		out = append(out, v[:255])
		v = v[255:]
	}
	return append(out, v)
}

// ServeConn answers on pc (UDP) and, if ln is not nil, on ln (TCP) until
// ctx is done, then shuts down and returns nil; a serving error stops both
// and is returned.
func (s *ZoneServer) ServeConn(ctx context.Context, pc net.PacketConn, ln net.Listener) error {
	servers := []*dns.Server{{PacketConn: pc, Handler: s}}
	if ln != nil {
		servers = append(servers, &dns.Server{Listener: ln, Handler: s})
	}
	errc := make(chan error, len(servers))
	var running []*dns.Server
	var first error
	for _, srv := range servers {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { errc <- srv.ActivateAndServe() }()
		select {
		case <-started:
			running = append(running, srv)
		case first = <-errc:
		}
		if first != nil {
			break
		}
	}
	if first == nil {
		select {
		case <-ctx.Done():
		case first = <-errc:
		}
	}
	for _, srv := range running {
		_ = srv.Shutdown()
	}
	return first
}
