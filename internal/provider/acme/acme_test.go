package acme_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"yuanxu/internal/errs"
	"yuanxu/internal/provider/acme"
)

func TestNormalizeDomains(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 64) + ".example.test"
	tests := []struct {
		name      string
		in        []string
		ch        acme.ChallengeType
		want      []string
		wantCode  string
		wantField string
		wantRule  string
	}{
		{name: "LowerCasedAndTrimmed", in: []string{"WWW.Example.COM.", " example.com"}, ch: acme.HTTP01, want: []string{"www.example.com", "example.com"}},
		{name: "IDNA", in: []string{"例子.中国"}, ch: acme.HTTP01, want: []string{"xn--fsqu00a.xn--fiqs8s"}},
		{name: "WildcardDNS", in: []string{"*.Example.com"}, ch: acme.DNS01, want: []string{"*.example.com"}},
		{name: "WildcardHTTP", in: []string{"*.example.com"}, ch: acme.HTTP01, wantCode: "acme.domain_invalid", wantField: "body.domains[0]", wantRule: "wildcard"},
		{name: "WildcardInside", in: []string{"a.*.example.com"}, ch: acme.DNS01, wantCode: "acme.domain_invalid", wantField: "body.domains[0]", wantRule: "syntax"},
		{name: "IPv4", in: []string{"203.0.113.9"}, ch: acme.HTTP01, wantCode: "acme.domain_invalid", wantField: "body.domains[0]", wantRule: "ip"},
		{name: "IPv6", in: []string{"example.com", "[2001:db8::1]"}, ch: acme.HTTP01, wantCode: "acme.domain_invalid", wantField: "body.domains[1]", wantRule: "ip"},
		{name: "SingleLabel", in: []string{"localhost"}, ch: acme.HTTP01, wantCode: "acme.domain_invalid", wantField: "body.domains[0]", wantRule: "syntax"},
		{name: "Underscore", in: []string{"a_b.example.com"}, ch: acme.HTTP01, wantCode: "acme.domain_invalid", wantField: "body.domains[0]", wantRule: "syntax"},
		{name: "LongLabel", in: []string{long}, ch: acme.HTTP01, wantCode: "acme.domain_invalid", wantField: "body.domains[0]", wantRule: "syntax"},
		{name: "Hyphen", in: []string{"-a.example.com"}, ch: acme.HTTP01, wantCode: "acme.domain_invalid", wantField: "body.domains[0]", wantRule: "syntax"},
		{name: "NumericTLD", in: []string{"example.123"}, ch: acme.HTTP01, wantCode: "acme.domain_invalid", wantField: "body.domains[0]", wantRule: "syntax"},
		{name: "Duplicate", in: []string{"example.com", "EXAMPLE.com"}, ch: acme.HTTP01, wantCode: "acme.domain_invalid", wantField: "body.domains[1]", wantRule: "duplicate"},
		{name: "Empty", in: nil, ch: acme.HTTP01, wantCode: "acme.domains_required", wantField: "body.domains", wantRule: "required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := acme.NormalizeDomains(tc.in, tc.ch)
			if tc.wantCode == "" {
				if err != nil || !slices.Equal(got, tc.want) {
					t.Fatalf("got %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != tc.wantCode || e.Kind != errs.Invalid || e.Fields[0].Field != tc.wantField || e.Fields[0].Rule != tc.wantRule {
				t.Fatalf("err = %#v, want %s %s %s", err, tc.wantCode, tc.wantField, tc.wantRule)
			}
		})
	}
}

func TestParseCSR(t *testing.T) {
	t.Parallel()
	rsa2048, _ := rsa.GenerateKey(rand.Reader, 2048)
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	good := csrPEM(t, p384, "", "a.example.test")
	tampered := func() []byte {
		blk, _ := pem.Decode(good)
		der := slices.Clone(blk.Bytes)
		der[len(der)-3] ^= 0xff // inside the signature
		return pem.EncodeToMemory(&pem.Block{Type: blk.Type, Bytes: der})
	}()
	tests := []struct {
		name     string
		in       []byte
		wantCode string
		wantRule string
	}{
		{"RSA2048", csrPEM(t, rsa2048, "a.example.test", "a.example.test"), "", ""},
		{"P384", good, "", ""},
		{"P521", csrPEM(t, p521, "", "a.example.test"), "acme.csr_weak_key", "curve"},
		{"Ed25519", csrPEM(t, ed, "", "a.example.test"), "acme.csr_weak_key", "key_type"},
		{"Certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), "acme.csr_invalid", "pem"},
		{"Trailing", append(slices.Clone(good), "junk"...), "acme.csr_invalid", "pem"},
		{"Garbage", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte("nope")}), "acme.csr_invalid", "der"},
		{"BadSignature", tampered, "acme.csr_invalid", "signature"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			csr, err := acme.ParseCSR(tc.in)
			if tc.wantCode == "" {
				if err != nil || csr == nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != tc.wantCode || e.Fields[0].Field != "body.csr" || e.Fields[0].Rule != tc.wantRule {
				t.Fatalf("err = %#v, want %s rule %s", err, tc.wantCode, tc.wantRule)
			}
		})
	}
}

func TestCheckCSRNames(t *testing.T) {
	t.Parallel()
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	domains := []string{"a.example.test", "b.example.test"}
	tests := []struct {
		name string
		cn   string
		sans []string
		ok   bool
	}{
		{"SameOrder", "", []string{"a.example.test", "b.example.test"}, true},
		{"OtherOrderUpperCase", "A.example.test", []string{"B.EXAMPLE.TEST", "a.example.test"}, true},
		{"Missing", "", []string{"a.example.test"}, false},
		{"Extra", "", []string{"a.example.test", "b.example.test", "c.example.test"}, false},
		{"Repeated", "", []string{"a.example.test", "b.example.test", "a.example.test"}, false},
		{"OtherCN", "c.example.test", []string{"a.example.test", "b.example.test"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			csr, err := acme.ParseCSR(csrPEM(t, k, tc.cn, tc.sans...))
			if err != nil {
				t.Fatal(err)
			}
			err = acme.CheckCSRNames(csr, domains)
			if tc.ok != (err == nil) || (err != nil && errs.CodeOf(err) != "acme.csr_names_mismatch") {
				t.Fatalf("err = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestAccountKey(t *testing.T) {
	t.Parallel()
	p, err := acme.NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := acme.ParseAccountKey(p)
	if err != nil {
		t.Fatal(err)
	}
	if ek, ok := k.(*ecdsa.PrivateKey); !ok || ek.Curve != elliptic.P256() {
		t.Fatalf("key is %T", k)
	}
	rk, _ := rsa.GenerateKey(rand.Reader, 2048)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)})
	if _, err := acme.ParseAccountKey(pkcs1); err != nil {
		t.Errorf("PKCS#1: %v", err)
	}
	for _, bad := range [][]byte{nil, []byte("x"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}})} {
		if _, err := acme.ParseAccountKey(bad); err == nil {
			t.Errorf("ParseAccountKey(%q) accepted", bad)
		}
	}
}

func TestChallengeHandler(t *testing.T) {
	t.Parallel()
	tokens := &acme.MemoryTokens{}
	const token = "Jc1LwodKvetH1dlbZh2f4sxzvZ05MPLRiYhkLpQnczg"
	if err := tokens.Present(t.Context(), token, token+".thumb"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(acme.ChallengeHandler(tokens))
	t.Cleanup(srv.Close)
	get := func(method, path string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("GET", acme.HTTPTokensPath+token); code != 200 || body != token+".thumb" {
		t.Errorf("known token: %d %q", code, body)
	}
	for _, p := range []string{acme.HTTPTokensPath + "unknownunknownunknown", acme.HTTPTokensPath + "../../etc/passwd", "/other/" + token, acme.HTTPTokensPath} {
		if code, _ := get("GET", p); code != 404 {
			t.Errorf("GET %s: %d, want 404", p, code)
		}
	}
	if code, _ := get("POST", acme.HTTPTokensPath+token); code != 405 {
		t.Errorf("POST: %d, want 405", code)
	}
	_ = tokens.CleanUp(t.Context(), token)
	if code, _ := get("GET", acme.HTTPTokensPath+token); code != 404 {
		t.Errorf("after CleanUp: %d, want 404", code)
	}
}

func TestZoneServer(t *testing.T) {
	t.Parallel()
	records := &acme.MemoryTXT{}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- acme.NewZoneServer("Acme.Yuanxu.Test.", records, "ns1.yuanxu.test").ServeConn(ctx, pc, ln)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ServeConn: %v", err)
		}
	})
	target := acme.DelegationTarget("Shop.Example.com", "acme.yuanxu.test")
	if target != acme.DelegationTarget("*.shop.example.com", "acme.yuanxu.test.") || !strings.HasSuffix(target, ".acme.yuanxu.test.") {
		t.Fatalf("DelegationTarget = %q: must be stable per base domain and inside the zone", target)
	}
	_ = records.AddTXT(t.Context(), target, "v1")
	_ = records.AddTXT(t.Context(), strings.ToUpper(target), "v2")

	ask := func(net, name string, qtype uint16) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		addr := pc.LocalAddr().String()
		if net == "tcp" {
			addr = ln.Addr().String()
		}
		resp, _, err := (&dns.Client{Net: net, Timeout: 2 * time.Second}).Exchange(m, addr)
		if err != nil {
			t.Fatalf("%s %s: %v", net, name, err)
		}
		return resp
	}
	for _, nw := range []string{"udp", "tcp"} {
		resp := ask(nw, target, dns.TypeTXT)
		var got []string
		for _, rr := range resp.Answer {
			got = append(got, rr.(*dns.TXT).Txt...)
		}
		if !resp.Authoritative || resp.Rcode != dns.RcodeSuccess || !slices.Equal(got, []string{"v1", "v2"}) {
			t.Errorf("%s TXT: aa=%v rcode=%d %v", nw, resp.Authoritative, resp.Rcode, got)
		}
	}
	if resp := ask("udp", "nothing.acme.yuanxu.test.", dns.TypeTXT); resp.Rcode != dns.RcodeNameError || len(resp.Ns) != 1 {
		t.Errorf("absent name: rcode %d ns %v", resp.Rcode, resp.Ns)
	}
	if resp := ask("udp", "example.com.", dns.TypeTXT); resp.Rcode != dns.RcodeRefused {
		t.Errorf("outside the zone: rcode %d", resp.Rcode)
	}
	if resp := ask("udp", "acme.yuanxu.test.", dns.TypeSOA); len(resp.Answer) != 1 || resp.Answer[0].Header().Rrtype != dns.TypeSOA {
		t.Errorf("SOA: %v", resp.Answer)
	}
	if resp := ask("udp", "acme.yuanxu.test.", dns.TypeNS); len(resp.Answer) != 1 || resp.Answer[0].(*dns.NS).Ns != "ns1.yuanxu.test." {
		t.Errorf("NS: %v", resp.Answer)
	}
	_ = records.RemoveTXT(t.Context(), target, "v1")
	_ = records.RemoveTXT(t.Context(), target, "v2")
	if resp := ask("udp", target, dns.TypeTXT); resp.Rcode != dns.RcodeNameError {
		t.Errorf("after removal: rcode %d", resp.Rcode)
	}
}

// FuzzParseCSR: the parser and validator never panic, and whatever they
// accept is a CSR signed by an allowed key whose names CheckCSRNames
// accepts back.
func FuzzParseCSR(f *testing.F) {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{"a.example.test"}}, k)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	f.Add([]byte("-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		csr, err := acme.ParseCSR(in)
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != "body.csr" {
				t.Fatalf("error is not a body.csr field error: %#v", err)
			}
			return
		}
		if err := csr.CheckSignature(); err != nil {
			t.Fatalf("accepted a CSR with a bad signature: %v", err)
		}
		switch pk := csr.PublicKey.(type) {
		case *rsa.PublicKey:
			if pk.N.BitLen() < acme.MinRSABits {
				t.Fatal("accepted a weak RSA key")
			}
		case *ecdsa.PublicKey:
			if pk.Curve != elliptic.P256() && pk.Curve != elliptic.P384() {
				t.Fatal("accepted a weak curve")
			}
		default:
			t.Fatalf("accepted a %T key", pk)
		}
		names, err := acme.NormalizeDomains(csr.DNSNames, acme.DNS01)
		if err != nil {
			return
		}
		if len(csr.IPAddresses)+len(csr.EmailAddresses)+len(csr.URIs) == 0 && (csr.Subject.CommonName == "" || slices.Contains(names, strings.ToLower(csr.Subject.CommonName))) {
			if err := acme.CheckCSRNames(csr, names); err != nil && slices.Equal(names, lowerAll(csr.DNSNames)) {
				t.Fatalf("CheckCSRNames refused the CSR's own names %v: %v", names, err)
			}
		}
	})
}

func lowerAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = strings.TrimSuffix(strings.ToLower(s), ".")
	}
	return out
}
