package cdn_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"yuanxu/internal/errs"
	"yuanxu/internal/provider/cdn"
	"yuanxu/internal/testutil/dnstest"
)

// startDNS runs an authoritative-style DNS server on loopback (UDP and
// TCP on the same port) answering from zone: owner name (FQDN) to
// resource records. Names in servfail answer SERVFAIL. It returns
// "127.0.0.1:port".
func startDNS(t *testing.T, zone map[string][]dns.RR, servfail map[string]bool) string {
	t.Helper()
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		q := r.Question[0]
		name := strings.ToLower(q.Name)
		switch rrs, ok := zone[name]; {
		case servfail[name]:
			m.Rcode = dns.RcodeServerFailure
		case !ok:
			m.Rcode = dns.RcodeNameError
		default:
			for _, rr := range rrs {
				if rr.Header().Rrtype == q.Qtype || rr.Header().Rrtype == dns.TypeCNAME {
					m.Answer = append(m.Answer, rr)
				}
			}
		}
		if w.LocalAddr().Network() == "udp" {
			size := dns.MinMsgSize
			if opt := r.IsEdns0(); opt != nil {
				size = int(opt.UDPSize())
			}
			m.Truncate(size) // sets TC when it had to drop records
		}
		_ = w.WriteMsg(m)
	})
	return dnstest.Serve(t, handler)
}

func txt(t *testing.T, name string, values ...string) dns.RR {
	t.Helper()
	return &dns.TXT{Hdr: dns.RR_Header{Name: dns.Fqdn(name), Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: values}
}

func TestCheckOwnership(t *testing.T) {
	t.Parallel()
	token := "abcdefghijklmnopqrstuvwxyz234567"
	value := "yuanxu-verify=" + token
	// A value split into 255-byte strings, as long TXT values are.
	long := strings.Repeat("x", 300)
	zone := map[string][]dns.RR{
		"_yuanxu-verify.found.example.": {txt(t, "_yuanxu-verify.found.example", "v=spf1 -all"), txt(t, "_yuanxu-verify.found.example", value)},
		"_yuanxu-verify.split.example.": {txt(t, "_yuanxu-verify.split.example", "yuanxu-verify=", token)},
		"_yuanxu-verify.wrong.example.": {txt(t, "_yuanxu-verify.wrong.example", "yuanxu-verify=someoneelse234567abcdefghijklmnop")},
		"_yuanxu-verify.other.example.": {&dns.A{Hdr: dns.RR_Header{Name: "_yuanxu-verify.other.example.", Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: net.IPv4(192, 0, 2, 1)}},
		"_yuanxu-verify.big.example.":   bigTXT(t, "_yuanxu-verify.big.example", value, long),
	}
	addr := startDNS(t, zone, map[string]bool{"_yuanxu-verify.broken.example.": true})

	tests := []struct {
		domain string
		kind   errs.Kind
		code   string
	}{
		{"found.example", 0, ""},
		{"Found.Example.", 0, ""},
		{"split.example", 0, ""},
		{"big.example", 0, ""}, // truncated over UDP, found over TCP
		{"wrong.example", errs.Conflict, "cdn.ownership_mismatch"},
		{"missing.example", errs.Conflict, "cdn.ownership_missing"},
		{"other.example", errs.Conflict, "cdn.ownership_missing"},
		{"broken.example", errs.Unavailable, "cdn.dns_unavailable"},
		{"not a domain", errs.Invalid, "cdn.domain_invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.domain, func(t *testing.T) {
			t.Parallel()
			err := cdn.CheckOwnership(context.Background(), addr, tc.domain, token)
			if tc.code == "" {
				if err != nil {
					t.Fatalf("CheckOwnership(%s) = %v", tc.domain, err)
				}
				return
			}
			if errs.KindOf(err) != tc.kind || errs.CodeOf(err) != tc.code {
				t.Fatalf("CheckOwnership(%s) = %v, want %v %s", tc.domain, err, tc.kind, tc.code)
			}
		})
	}

	t.Run("params name the record", func(t *testing.T) {
		t.Parallel()
		err := cdn.CheckOwnership(context.Background(), addr, "missing.example", token)
		var e *errs.Error
		if !errorsAs(err, &e) || e.Params["name"] != "_yuanxu-verify.missing.example" || e.Params["value"] != value {
			t.Fatalf("params of %v", err)
		}
	})
	t.Run("unreachable server", func(t *testing.T) {
		t.Parallel()
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := pc.LocalAddr().String()
		pc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		err = cdn.CheckOwnership(ctx, dead, "found.example", token)
		if errs.KindOf(err) != errs.Unavailable || errs.CodeOf(err) != "cdn.dns_unavailable" {
			t.Fatalf("CheckOwnership(dead server) = %v", err)
		}
	})
}

// bigTXT returns the record with the value plus enough decoys that the
// answer exceeds 1232 bytes, the EDNS buffer CheckOwnership offers.
func bigTXT(t *testing.T, name, value, decoy string) []dns.RR {
	var rrs []dns.RR
	for range 6 {
		rrs = append(rrs, txt(t, name, decoy[:255], decoy[255:]))
	}
	return append(rrs, txt(t, name, value))
}
