package acme_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/pebbletest"
	"yuanxu/internal/provider/acme"
)

const zone = "acme.yuanxu.test"

// bundle is one Pebble with a client registered at it.
type bundle struct {
	pebble   *pebbletest.Server
	client   *acme.Client
	cfg      acme.Config
	tokens   *acme.MemoryTokens
	records  *acme.MemoryTXT
	requests *atomic.Int64 // HTTP requests the client sent to the CA
}

type setupOpts struct {
	noResolver bool // skip the dns-01 pre-check
}

// setup starts our ZoneServer, Pebble resolving through challtestsrv with
// our zone delegated to the ZoneServer, the HTTP-01 handler on Pebble's
// validation port, and registers an account.
func setup(t *testing.T, o setupOpts) *bundle {
	t.Helper()
	b := &bundle{tokens: &acme.MemoryTokens{}, records: &acme.MemoryTXT{}, requests: &atomic.Int64{}}

	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- acme.NewZoneServer(zone, b.records).ServeConn(ctx, pc, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("zone server: %v", err)
		}
	})

	b.pebble = pebbletest.Start(t, pebbletest.Options{Delegations: map[string]string{zone: pc.LocalAddr().String()}})
	b.pebble.ServeHTTP01(t, acme.ChallengeHandler(b.tokens))

	hc := b.pebble.HTTPClient()
	hc.Transport = countingTransport{next: hc.Transport, n: b.requests}
	b.cfg = acme.Config{
		DirectoryURL: b.pebble.DirectoryURL,
		HTTPClient:   hc,
		Email:        "ops@yuanxu.test",
		Tokens:       b.tokens,
		Zone:         zone,
		Records:      b.records,
		Resolver:     b.pebble.ResolverAddr,
		PollInterval: 50 * time.Millisecond,
		StepTimeout:  30 * time.Second,
	}
	if o.noResolver {
		b.cfg.Resolver = ""
	}
	key, err := acme.NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	b.client, err = acme.New(t.Context(), b.cfg, key)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// states records state changes.
type states struct {
	mu  sync.Mutex
	all []acme.StateChange
}

func (s *states) add(c acme.StateChange) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, c)
}

func (s *states) names() []acme.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []acme.State
	for i, c := range s.all {
		if i > 0 && c.At.Before(s.all[i-1].At) {
			out = append(out, "time went backwards")
		}
		out = append(out, c.State)
	}
	return out
}

func csrPEM(t *testing.T, key crypto.Signer, cn string, names ...string) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}, DNSNames: names}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// verifyIssued checks the certificate chains to Pebble's root for every
// domain, and that it is for wantKey.
func verifyIssued(t *testing.T, b *bundle, cert *acme.Certificate, wantKey crypto.PublicKey) {
	t.Helper()
	blk, _ := pem.Decode(cert.CertPEM)
	if blk == nil {
		t.Fatal("no leaf PEM")
	}
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	inter := x509.NewCertPool()
	if !inter.AppendCertsFromPEM(cert.ChainPEM) {
		t.Fatal("no chain PEM")
	}
	for _, d := range cert.Domains {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: b.pebble.Roots(t), Intermediates: inter, DNSName: d}); err != nil {
			t.Errorf("verify for %s: %v", d, err)
		}
	}
	if !leaf.PublicKey.(interface{ Equal(crypto.PublicKey) bool }).Equal(wantKey) {
		t.Error("certificate is for another key")
	}
	if !cert.NotBefore.Equal(leaf.NotBefore) || !cert.NotAfter.Equal(leaf.NotAfter) || !cert.NotAfter.After(time.Now()) {
		t.Errorf("validity %v–%v, leaf %v–%v", cert.NotBefore, cert.NotAfter, leaf.NotBefore, leaf.NotAfter)
	}
}

func keyOf(t *testing.T, keyPEM []byte) crypto.PublicKey {
	t.Helper()
	blk, _ := pem.Decode(keyPEM)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		t.Fatalf("generated key PEM: %q", keyPEM)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		t.Fatalf("generated key is %T, want ECDSA P-256", k)
	}
	return ek.Public()
}

func TestObtain(t *testing.T) {
	t.Parallel()
	customerKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		// prepare plays the customer before the order: DNS they set up.
		prepare func(t *testing.T, b *bundle)
		req     acme.Request
		// between plays the customer after the order is shown (nil: Obtain).
		between func(t *testing.T, b *bundle, o *acme.Order)
		wantKey crypto.PublicKey // nil: a generated key
	}{
		{
			name: "HTTP01ServedByUs",
			prepare: func(t *testing.T, b *bundle) {
				b.pebble.AddA(t, "shop.example.test", "127.0.0.1")
				b.pebble.AddA(t, "www.shop.example.test", "127.0.0.1")
			},
			req: acme.Request{Domains: []string{"Shop.Example.Test", "www.shop.example.test"}, Challenge: acme.HTTP01},
		},
		{
			name: "DNS01TXTAddedByCustomer",
			req:  acme.Request{Domains: []string{"txt.example.test"}, Challenge: acme.DNS01, DNSMode: acme.CustomerTXT},
			between: func(t *testing.T, b *bundle, o *acme.Order) {
				for _, a := range o.Authorizations {
					if a.TXTName != "_acme-challenge.txt.example.test." || a.TXTValue == "" || a.CNAMETarget != "" {
						t.Fatalf("authorization to show: %+v", a)
					}
					b.pebble.AddTXT(t, a.TXTName, a.TXTValue)
				}
			},
		},
		{
			name: "DNS01DelegatedByCNAMEWithWildcard",
			prepare: func(t *testing.T, b *bundle) {
				b.pebble.SetCNAME(t, acme.ChallengeName("deleg.example.test"), acme.DelegationTarget("deleg.example.test", zone))
			},
			req: acme.Request{Domains: []string{"deleg.example.test", "*.deleg.example.test"}, Challenge: acme.DNS01, DNSMode: acme.Delegated},
		},
		{
			name: "CustomerCSR",
			prepare: func(t *testing.T, b *bundle) {
				b.pebble.AddA(t, "csr.example.test", "127.0.0.1")
			},
			req:     acme.Request{Domains: []string{"csr.example.test"}, Challenge: acme.HTTP01, CSR: csrPEM(t, customerKey, "csr.example.test", "csr.example.test")},
			wantKey: customerKey.Public(),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{})
			if tc.prepare != nil {
				tc.prepare(t, b)
			}
			var st states
			req := tc.req
			req.OnState = st.add
			var cert *acme.Certificate
			var err error
			if tc.between == nil {
				cert, err = b.client.Obtain(t.Context(), req)
			} else {
				o, oerr := b.client.Order(t.Context(), req)
				if oerr != nil {
					t.Fatalf("Order: %v", oerr)
				}
				tc.between(t, b, o)
				cert, err = b.client.Complete(t.Context(), o, st.add)
			}
			if err != nil {
				t.Fatalf("obtain: %v", err)
			}
			if want := []acme.State{acme.StateValidating, acme.StateSubmitted, acme.StateIssued}; !slices.Equal(st.names(), want) {
				t.Errorf("states = %v, want %v", st.names(), want)
			}
			wantKey := tc.wantKey
			if wantKey == nil {
				wantKey = keyOf(t, cert.KeyPEM)
			} else if cert.KeyPEM != nil {
				t.Error("a key was generated although the customer sent a CSR")
			}
			verifyIssued(t, b, cert, wantKey)
			// Nothing is left published.
			for _, d := range cert.Domains {
				if v, _ := b.records.TXT(t.Context(), acme.DelegationTarget(d, zone)); len(v) != 0 {
					t.Errorf("TXT left at %s: %v", acme.DelegationTarget(d, zone), v)
				}
			}
		})
	}
}

// A domain the customer does not control fails at Pebble's own validation.
func TestObtainRejectedByCA(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		prepare  func(t *testing.T, b *bundle)
		req      acme.Request
		wantType string
	}{
		{
			// Points at another host: nobody there serves our token.
			name:     "HTTP01DomainElsewhere",
			prepare:  func(t *testing.T, b *bundle) { b.pebble.AddA(t, "elsewhere.example.test", "127.0.0.2") },
			req:      acme.Request{Domains: []string{"elsewhere.example.test"}, Challenge: acme.HTTP01},
			wantType: "urn:ietf:params:acme:error:connection",
		},
		{
			name:     "DNS01NoTXTRecord",
			req:      acme.Request{Domains: []string{"notxt.example.test"}, Challenge: acme.DNS01},
			wantType: "urn:ietf:params:acme:error:unauthorized",
		},
		{
			name: "DNS01WrongTXTValue",
			prepare: func(t *testing.T, b *bundle) {
				b.pebble.AddTXT(t, "_acme-challenge.wrong.example.test", "not-the-value")
			},
			req:      acme.Request{Domains: []string{"wrong.example.test"}, Challenge: acme.DNS01},
			wantType: "urn:ietf:params:acme:error:unauthorized",
		},
		{
			// The customer never set the CNAME to our zone.
			name:     "DNS01DelegationMissing",
			req:      acme.Request{Domains: []string{"nocname.example.test"}, Challenge: acme.DNS01, DNSMode: acme.Delegated},
			wantType: "urn:ietf:params:acme:error:unauthorized",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t, setupOpts{noResolver: true}) // let the CA be the judge
			if tc.prepare != nil {
				tc.prepare(t, b)
			}
			var st states
			req := tc.req
			req.OnState = st.add
			_, err := b.client.Obtain(t.Context(), req)
			var re *acme.RejectedError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want *RejectedError", err)
			}
			if re.Domain != tc.req.Domains[0] || re.Problem.Type != tc.wantType || re.Problem.Detail == "" {
				t.Errorf("rejection = %+v, want domain %s type %s", re, tc.req.Domains[0], tc.wantType)
			}
			if errs.CodeOf(err) != "acme.ca_rejected" {
				t.Errorf("code = %q", errs.CodeOf(err))
			}
			if want := []acme.State{acme.StateValidating, acme.StateRejected}; !slices.Equal(st.names(), want) {
				t.Errorf("states = %v, want %v", st.names(), want)
			}
			if st.all[len(st.all)-1].Reason != re.Problem.Detail {
				t.Errorf("rejected reason %q, want the CA's %q", st.all[len(st.all)-1].Reason, re.Problem.Detail)
			}
		})
	}
}

// With a resolver configured, a missing TXT record is caught before the CA
// is asked; the same order completes once the customer adds it.
func TestCompleteChecksTXTFirst(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	o, err := b.client.Order(t.Context(), acme.Request{Domains: []string{"later.example.test"}, Challenge: acme.DNS01})
	if err != nil {
		t.Fatal(err)
	}
	var st states
	_, err = b.client.Complete(t.Context(), o, st.add)
	var e *errs.Error
	if !errors.As(err, &e) || e.Code != "acme.dns_txt_missing" || e.Kind != errs.Conflict ||
		len(e.Fields) != 1 || e.Fields[0].Field != "body.domains[0]" || e.Fields[0].Params["value"] != o.Authorizations[0].TXTValue {
		t.Fatalf("err = %#v, want acme.dns_txt_missing on body.domains[0]", err)
	}
	if want := []acme.State{acme.StateValidating}; !slices.Equal(st.names(), want) {
		t.Errorf("states = %v, want %v", st.names(), want)
	}

	b.pebble.AddTXT(t, o.Authorizations[0].TXTName, o.Authorizations[0].TXTValue)
	cert, err := b.client.Complete(t.Context(), o, nil)
	if err != nil {
		t.Fatalf("Complete after the TXT was added: %v", err)
	}
	verifyIssued(t, b, cert, keyOf(t, cert.KeyPEM))
}

// Bad input is refused before any request reaches the CA.
func TestOrderRefusedBeforeCA(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	rsa1024, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		req       acme.Request
		wantCode  string
		wantField string
		wantRule  string
	}{
		{"WeakRSAKey", acme.Request{Domains: []string{"a.example.test"}, Challenge: acme.HTTP01, CSR: csrPEM(t, rsa1024, "", "a.example.test")}, "acme.csr_weak_key", "body.csr", "min_bits"},
		{"WeakCurve", acme.Request{Domains: []string{"a.example.test"}, Challenge: acme.HTTP01, CSR: csrPEM(t, p224, "", "a.example.test")}, "acme.csr_weak_key", "body.csr", "curve"},
		{"CSRForOtherNames", acme.Request{Domains: []string{"a.example.test"}, Challenge: acme.HTTP01, CSR: csrPEM(t, p256, "", "a.example.test", "b.example.test")}, "acme.csr_names_mismatch", "body.csr", "names"},
		{"CSRCommonNameOther", acme.Request{Domains: []string{"a.example.test"}, Challenge: acme.HTTP01, CSR: csrPEM(t, p256, "evil.example.test", "a.example.test")}, "acme.csr_names_mismatch", "body.csr", "names"},
		{"CSRNotPEM", acme.Request{Domains: []string{"a.example.test"}, Challenge: acme.HTTP01, CSR: []byte("hello")}, "acme.csr_invalid", "body.csr", "pem"},
		{"WildcardOverHTTP", acme.Request{Domains: []string{"*.a.example.test"}, Challenge: acme.HTTP01}, "acme.domain_invalid", "body.domains[0]", "wildcard"},
		{"IPAddress", acme.Request{Domains: []string{"a.example.test", "192.0.2.1"}, Challenge: acme.DNS01}, "acme.domain_invalid", "body.domains[1]", "ip"},
		{"NoChallenge", acme.Request{Domains: []string{"a.example.test"}}, "acme.challenge_invalid", "body.challenge", "one_of"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := b.requests.Load()
			_, err := b.client.Order(t.Context(), tc.req)
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != tc.wantCode || e.Kind != errs.Invalid || len(e.Fields) != 1 ||
				e.Fields[0].Field != tc.wantField || e.Fields[0].Rule != tc.wantRule {
				t.Fatalf("err = %#v, want %s %s %s", err, tc.wantCode, tc.wantField, tc.wantRule)
			}
			if tc.wantRule == "min_bits" && e.Fields[0].Params["min_bits"] != acme.MinRSABits {
				t.Errorf("params = %v", e.Fields[0].Params)
			}
			if n := b.requests.Load() - before; n != 0 {
				t.Errorf("%d requests reached the CA", n)
			}
		})
	}
}

// An account key kept by the caller finds the same account again.
func TestNewSameAccount(t *testing.T) {
	t.Parallel()
	b := setup(t, setupOpts{})
	key, err := acme.NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	c1, err := acme.New(t.Context(), b.cfg, key)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := acme.New(t.Context(), b.cfg, key)
	if err != nil {
		t.Fatal(err)
	}
	if c1.AccountURL() == "" || c1.AccountURL() != c2.AccountURL() || c1.AccountURL() == b.client.AccountURL() {
		t.Errorf("accounts %q %q (other %q)", c1.AccountURL(), c2.AccountURL(), b.client.AccountURL())
	}
}
