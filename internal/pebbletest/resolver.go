package pebbletest

import (
	"net"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// resolver is the recursive resolver Pebble uses when Options.Delegations
// is set. It asks upstream (challtestsrv); a question inside a delegated
// zone goes to that zone's server instead, and a CNAME answer whose target
// is inside a delegated zone is followed there, its answer appended — the
// part of recursion the tests need (no caching, no referrals).
type resolver struct {
	upstream    string
	delegations map[string]string // fqdn zone → addr
	client      *dns.Client
}

func startResolver(upstream string, delegations map[string]string) (addr string, stop func(), err error) {
	r := &resolver{upstream: upstream, delegations: map[string]string{}, client: &dns.Client{Timeout: 3 * time.Second}}
	for zone, a := range delegations {
		r.delegations[dns.CanonicalName(zone)] = a
	}
	// Pebble asks over TCP (its dns.Client has Net "tcp"); serve UDP too,
	// on the same port.
	var ln net.Listener
	var pc net.PacketConn
	for attempt := 0; ; attempt++ {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		pc, err = net.ListenPacket("udp", ln.Addr().String())
		if err == nil {
			break
		}
		ln.Close()
		if attempt == 5 {
			return "", nil, err
		}
	}
	var servers []*dns.Server
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: r}, {Listener: ln, Handler: r}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		servers = append(servers, srv)
	}
	stop = func() {
		for _, srv := range servers {
			_ = srv.Shutdown()
		}
	}
	return pc.LocalAddr().String(), stop, nil
}

func (r *resolver) delegated(name string) (string, bool) {
	name = dns.CanonicalName(name)
	for zone, addr := range r.delegations {
		if dns.IsSubDomain(zone, name) {
			return addr, true
		}
	}
	return "", false
}

func (r *resolver) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	fail := func() {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeServerFailure)
		_ = w.WriteMsg(m)
	}
	if len(req.Question) != 1 {
		fail()
		return
	}
	q := req.Question[0]
	server := r.upstream
	if addr, ok := r.delegated(q.Name); ok {
		server = addr
	}
	resp, err := r.ask(server, q)
	if err != nil {
		fail()
		return
	}
	// Follow CNAMEs into delegated zones (at most a few hops).
	for hop := 0; hop < 8 && q.Qtype != dns.TypeCNAME; hop++ {
		target := lastCNAME(resp.Answer, q.Name)
		if target == "" || hasType(resp.Answer, target, q.Qtype) {
			break
		}
		addr, ok := r.delegated(target)
		if !ok {
			break
		}
		next, err := r.ask(addr, dns.Question{Name: target, Qtype: q.Qtype, Qclass: dns.ClassINET})
		if err != nil {
			fail()
			return
		}
		resp.Answer = append(resp.Answer, next.Answer...)
		resp.Rcode = next.Rcode
		q.Name = target
	}
	resp.SetReply(req)
	resp.RecursionAvailable = true
	resp.Authoritative = false
	_ = w.WriteMsg(resp)
}

func (r *resolver) ask(server string, q dns.Question) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(q.Name, q.Qtype)
	resp, _, err := r.client.Exchange(m, server)
	return resp, err
}

// lastCNAME follows the CNAME chain from name within answers and returns
// its final target, or "" when name has no CNAME.
func lastCNAME(answers []dns.RR, name string) string {
	target := ""
	cur := dns.CanonicalName(name)
	for i := 0; i < len(answers); i++ {
		found := false
		for _, rr := range answers {
			if c, ok := rr.(*dns.CNAME); ok && strings.EqualFold(c.Hdr.Name, cur) {
				cur = dns.CanonicalName(c.Target)
				target = cur
				found = true
				break
			}
		}
		if !found {
			break
		}
	}
	return target
}

func hasType(answers []dns.RR, name string, qtype uint16) bool {
	for _, rr := range answers {
		if rr.Header().Rrtype == qtype && strings.EqualFold(rr.Header().Name, name) {
			return true
		}
	}
	return false
}
