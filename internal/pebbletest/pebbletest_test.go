package pebbletest_test

import (
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"

	"yuanxu/internal/pebbletest"
)

func query(t *testing.T, server, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), qtype)
	c := &dns.Client{Timeout: 3 * time.Second}
	resp, _, err := c.Exchange(m, server)
	if err != nil {
		t.Fatalf("query %s: %v", name, err)
	}
	return resp
}

func txts(m *dns.Msg) []string {
	var out []string
	for _, rr := range m.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, t.Txt...)
		}
	}
	return out
}

func TestStart(t *testing.T) {
	t.Parallel()
	s := pebbletest.Start(t, pebbletest.Options{})

	resp, err := s.HTTPClient().Get(s.DirectoryURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("directory: HTTP %d", resp.StatusCode)
	}
	if s.ResolverAddr != s.DNSAddr {
		t.Errorf("ResolverAddr = %s, want challtestsrv %s", s.ResolverAddr, s.DNSAddr)
	}

	t.Run("Records", func(t *testing.T) {
		if got := query(t, s.DNSAddr, "nowhere.test", dns.TypeA).Answer; len(got) != 0 {
			t.Errorf("unknown name answered %v; want no default address", got)
		}
		s.AddA(t, "www.example.test", "127.0.0.1")
		ans := query(t, s.DNSAddr, "www.example.test", dns.TypeA).Answer
		if len(ans) != 1 || !ans[0].(*dns.A).A.Equal(net.IPv4(127, 0, 0, 1)) {
			t.Errorf("A = %v", ans)
		}
		s.ClearA(t, "www.example.test")
		if ans := query(t, s.DNSAddr, "www.example.test", dns.TypeA).Answer; len(ans) != 0 {
			t.Errorf("A after clear = %v", ans)
		}

		s.AddTXT(t, "_acme-challenge.example.test", "v1")
		s.AddTXT(t, "_acme-challenge.example.test", "v2")
		if got := txts(query(t, s.DNSAddr, "_acme-challenge.example.test", dns.TypeTXT)); !slices.Equal(got, []string{"v1", "v2"}) {
			t.Errorf("TXT = %v", got)
		}
		s.ClearTXT(t, "_acme-challenge.example.test")
		if got := txts(query(t, s.DNSAddr, "_acme-challenge.example.test", dns.TypeTXT)); len(got) != 0 {
			t.Errorf("TXT after clear = %v", got)
		}

		s.SetCNAME(t, "alias.example.test", "target.example.test")
		s.AddTXT(t, "target.example.test", "through")
		if got := txts(query(t, s.DNSAddr, "alias.example.test", dns.TypeTXT)); !slices.Equal(got, []string{"through"}) {
			t.Errorf("TXT via CNAME = %v", got)
		}
		s.ClearCNAME(t, "alias.example.test")
	})

	t.Run("Roots", func(t *testing.T) {
		root, inter := s.RootPEM(t), s.IntermediatePEM(t)
		if len(root) == 0 || len(inter) == 0 || string(root) == string(inter) {
			t.Fatal("root and intermediate must be two certificates")
		}
		if s.Roots(t) == nil {
			t.Fatal("no pool")
		}
	})
}

// A delegated zone answered by a server of the test's own, reached through
// a CNAME that challtestsrv holds.
func TestDelegations(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	zone := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		q := r.Question[0]
		if q.Name == "abc.zone.test." && q.Qtype == dns.TypeTXT {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 1}, Txt: []string{"delegated"}})
		}
		_ = w.WriteMsg(m)
	})
	srv := &dns.Server{PacketConn: pc, Handler: zone}
	go func() { _ = srv.ActivateAndServe() }()
	t.Cleanup(func() { _ = srv.Shutdown() })

	s := pebbletest.Start(t, pebbletest.Options{Delegations: map[string]string{"zone.test": pc.LocalAddr().String()}})
	if s.ResolverAddr == s.DNSAddr {
		t.Fatal("a delegating resolver was expected")
	}
	s.SetCNAME(t, "_acme-challenge.customer.test", "abc.zone.test")
	if got := txts(query(t, s.ResolverAddr, "_acme-challenge.customer.test", dns.TypeTXT)); !slices.Equal(got, []string{"delegated"}) {
		t.Errorf("TXT through delegation = %v", got)
	}
	if got := txts(query(t, s.ResolverAddr, "abc.zone.test", dns.TypeTXT)); !slices.Equal(got, []string{"delegated"}) {
		t.Errorf("TXT inside the zone = %v", got)
	}
	s.AddTXT(t, "plain.test", "upstream")
	if got := txts(query(t, s.ResolverAddr, "plain.test", dns.TypeTXT)); !slices.Equal(got, []string{"upstream"}) {
		t.Errorf("TXT outside the zone = %v", got)
	}
}
