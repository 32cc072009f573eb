// Package dnstest runs DNS servers on loopback for tests: a customer's
// DNS provider answering TXT records the test publishes, or any handler.
package dnstest

import (
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/dns"
)

// Serve answers queries with h on one loopback port over UDP and TCP (a
// resolver retries over TCP when a UDP answer is truncated) until the
// test ends, and returns "127.0.0.1:port". It calls t.Fatal when no port
// is free for both.
func Serve(t testing.TB, h dns.Handler) string {
	t.Helper()
	var pc net.PacketConn
	var ln net.Listener
	for attempt := 0; ln == nil; attempt++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err != nil {
			pc.Close() // the same TCP port is taken: try another
			if attempt == 10 {
				t.Fatalf("dnstest: no port free for both UDP and TCP: %v", err)
			}
		}
	}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	return pc.LocalAddr().String()
}

// TXTZone is an authoritative server answering TXT queries from the
// records published on it; any other name is NXDOMAIN, and other types of
// a published name get an empty answer.
type TXTZone struct {
	// Addr is the server's "127.0.0.1:port", for a resolver setting.
	Addr string

	mu  sync.Mutex
	txt map[string][]string // by lower-case FQDN
}

// NewTXTZone starts a TXTZone for the length of the test.
func NewTXTZone(t testing.TB) *TXTZone {
	t.Helper()
	z := &TXTZone{txt: map[string][]string{}}
	z.Addr = Serve(t, dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		q := r.Question[0]
		z.mu.Lock()
		vals, ok := z.txt[strings.ToLower(q.Name)]
		z.mu.Unlock()
		if !ok {
			m.Rcode = dns.RcodeNameError
		} else if q.Qtype == dns.TypeTXT {
			for _, v := range vals {
				m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{v}})
			}
		}
		_ = w.WriteMsg(m)
	}))
	return z
}

// Publish sets the TXT values of name (with or without the final dot);
// no values removes the name.
func (z *TXTZone) Publish(name string, values ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	name = strings.ToLower(strings.TrimSuffix(name, ".")) + "."
	if len(values) == 0 {
		delete(z.txt, name)
		return
	}
	z.txt[name] = values
}
