package dnstest

import (
	"slices"
	"testing"

	"github.com/miekg/dns"
)

// TestTXTZone: a published name answers its TXT values over UDP and TCP,
// with or without the final dot and in any case; an unknown or removed
// name is NXDOMAIN.
func TestTXTZone(t *testing.T) {
	t.Parallel()
	z := NewTXTZone(t)
	z.Publish("_yuanxu-verify.Shop.Example.test", "a", "b")
	z.Publish("gone.example.test.", "x")
	z.Publish("gone.example.test")
	ask := func(net, name string) (int, []string) {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
		r, _, err := (&dns.Client{Net: net}).Exchange(m, z.Addr)
		if err != nil {
			t.Fatalf("%s %s: %v", net, name, err)
		}
		var got []string
		for _, rr := range r.Answer {
			got = append(got, rr.(*dns.TXT).Txt...)
		}
		return r.Rcode, got
	}
	for _, proto := range []string{"udp", "tcp"} {
		if code, got := ask(proto, "_yuanxu-verify.shop.example.test"); code != dns.RcodeSuccess || !slices.Equal(got, []string{"a", "b"}) {
			t.Errorf("%s: published name = %s %v, want a, b", proto, dns.RcodeToString[code], got)
		}
		for _, name := range []string{"gone.example.test", "never.example.test"} {
			if code, got := ask(proto, name); code != dns.RcodeNameError || len(got) != 0 {
				t.Errorf("%s: %s = %s %v, want NXDOMAIN", proto, name, dns.RcodeToString[code], got)
			}
		}
	}
}
