package acme

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// HTTPTokensPath is where HTTP-01 validation fetches a token's key
// authorisation: http://<domain>/.well-known/acme-challenge/<token>.
const HTTPTokensPath = "/.well-known/acme-challenge/"

// HTTPTokens holds HTTP-01 key authorisations while a challenge is open.
// The app implements it over its database so that whichever instance the
// CA reaches can answer; MemoryTokens serves one process. Present and
// CleanUp are called by Client.Complete; KeyAuth by ChallengeHandler.
type HTTPTokens interface {
	// Present stores keyAuth under token (overwriting is fine).
	Present(ctx context.Context, token, keyAuth string) error
	// CleanUp forgets token; forgetting an unknown token is not an error.
	CleanUp(ctx context.Context, token string) error
	// KeyAuth returns the stored key authorisation, ok=false if none.
	KeyAuth(ctx context.Context, token string) (keyAuth string, ok bool, err error)
}

// MemoryTokens is an in-process HTTPTokens, safe for concurrent use.
type MemoryTokens struct {
	mu sync.Mutex
	m  map[string]string
}

func (s *MemoryTokens) Present(_ context.Context, token, keyAuth string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]string{}
	}
	s.m[token] = keyAuth
	return nil
}

func (s *MemoryTokens) CleanUp(_ context.Context, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, token)
	return nil
}

func (s *MemoryTokens) KeyAuth(_ context.Context, token string) (string, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[token]
	return v, ok, nil
}

// ChallengeHandler answers GET /.well-known/acme-challenge/{token} with the
// token's key authorisation (text/plain) and 404 for unknown or malformed
// tokens. Mount it on the plain-HTTP (port 80) listener of the host that the
// customers' domains point to, e.g. mux.Handle("GET "+HTTPTokensPath, h).
// A lookup failure is a 500 and is not detailed to the caller.
func ChallengeHandler(tokens HTTPTokens) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		token, ok := strings.CutPrefix(r.URL.Path, HTTPTokensPath)
		if !ok || !validToken(token) {
			http.NotFound(w, r)
			return
		}
		keyAuth, found, err := tokens.KeyAuth(r.Context(), token)
		if err != nil {
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		if !found {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(keyAuth))
	})
}

// validToken: ACME tokens are base64url without padding (RFC 8555 §8.3).
func validToken(t string) bool {
	if len(t) < 16 || len(t) > 256 {
		return false
	}
	for _, c := range t {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// DNSMode says who publishes a dns-01 TXT record.
type DNSMode string

const (
	// CustomerTXT: the customer adds the TXT record at
	// _acme-challenge.<domain> with the value we show them.
	CustomerTXT DNSMode = "customer_txt"
	// Delegated: the customer has a CNAME from _acme-challenge.<domain> to
	// DelegationTarget(domain, zone), a name in the zone our ZoneServer
	// answers, and we publish the TXT record there.
	Delegated DNSMode = "delegated"
)

// TXTRecords is the record set of the delegated zone: the TXT values that
// ZoneServer answers. The app may implement it over its database (so every
// instance's ZoneServer answers the same); MemoryTXT serves one process.
// Names are canonical: lower case, fully qualified ("x.acme.example.com.").
type TXTRecords interface {
	// AddTXT adds value at name (a second value is kept alongside).
	AddTXT(ctx context.Context, name, value string) error
	// RemoveTXT removes that one value; removing an absent one is fine.
	RemoveTXT(ctx context.Context, name, value string) error
	// TXT returns the values at name, none if there are none.
	TXT(ctx context.Context, name string) ([]string, error)
}

// MemoryTXT is an in-process TXTRecords, safe for concurrent use.
type MemoryTXT struct {
	mu sync.RWMutex
	m  map[string][]string
}

func (s *MemoryTXT) AddTXT(_ context.Context, name, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]string{}
	}
	name = dns.CanonicalName(name)
	if !slices.Contains(s.m[name], value) {
		s.m[name] = append(s.m[name], value)
	}
	return nil
}

func (s *MemoryTXT) RemoveTXT(_ context.Context, name, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	name = dns.CanonicalName(name)
	vs := slices.DeleteFunc(slices.Clone(s.m[name]), func(v string) bool { return v == value })
	if len(vs) == 0 {
		delete(s.m, name)
	} else {
		s.m[name] = vs
	}
	return nil
}

func (s *MemoryTXT) TXT(_ context.Context, name string) ([]string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.m[dns.CanonicalName(name)]), nil
}

// ChallengeName is the dns-01 record name for a domain (a wildcard's is its
// base domain's): "_acme-challenge.example.com." (fully qualified).
func ChallengeName(domain string) string {
	return dns.Fqdn("_acme-challenge." + strings.TrimPrefix(domain, "*."))
}

// DelegationTarget is the name in our zone that a customer's
// _acme-challenge.<domain> CNAME must point to. It depends only on the
// domain (a wildcard shares its base domain's), so the CNAME set once keeps
// working for renewals: a 16-character base32 label of SHA-256(domain)
// under zone, fully qualified.
func DelegationTarget(domain, zone string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimPrefix(domain, "*."))))
	label := strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:10]))
	return dns.Fqdn(label + "." + strings.TrimSuffix(zone, "."))
}

// txtValue is the dns-01 record value for a key authorisation (RFC 8555
// §8.4): base64url(SHA-256(keyAuth)) without padding.
func txtValue(keyAuth string) string {
	sum := sha256.Sum256([]byte(keyAuth))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// lookupTXT asks server (host:port) for name's TXT values with recursion
// desired, falling back to TCP when the UDP answer is truncated. A CNAME
// chain in the answer is followed by the server; values of every TXT in the
// answer are returned.
func lookupTXT(ctx context.Context, server, name string, timeout time.Duration) ([]string, error) {
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeTXT)
	m.RecursionDesired = true
	c := &dns.Client{Timeout: timeout}
	resp, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && resp.Truncated {
		c.Net = "tcp"
		resp, _, err = c.ExchangeContext(ctx, m, server)
	}
	if err != nil {
		return nil, err
	}
	if resp.Rcode != dns.RcodeSuccess && resp.Rcode != dns.RcodeNameError {
		return nil, &dnsRcodeError{name: name, rcode: resp.Rcode}
	}
	var out []string
	for _, rr := range resp.Answer {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, strings.Join(t.Txt, ""))
		}
	}
	return out, nil
}

type dnsRcodeError struct {
	name  string
	rcode int
}

func (e *dnsRcodeError) Error() string {
	return "dns: " + e.name + ": " + dns.RcodeToString[e.rcode]
}
