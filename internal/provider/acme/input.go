package acme

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/idna"

	"yuanxu/internal/errs"
)

// MaxDomains bounds the names in one certificate (Let's Encrypt's limit).
const MaxDomains = 100

// MinRSABits is the smallest RSA modulus accepted in a customer CSR.
const MinRSABits = 2048

// ChallengeType is how the customer proves control of the domains.
type ChallengeType string

const (
	HTTP01 ChallengeType = "http-01"
	DNS01  ChallengeType = "dns-01"
)

var idnaProfile = idna.New(idna.MapForLookup(), idna.BidiRule(), idna.Transitional(false))

// NormalizeDomains checks and canonicalises the requested names: lower
// case, IDNA to its ASCII (punycode) form, no trailing dot. Order is kept.
// A name is refused (acme.domain_invalid, field body.domains[i]) when it is
// empty or malformed (rule syntax), an IP address (rule ip), a wildcard
// anywhere but as the whole first label (rule syntax) or a wildcard with a
// challenge other than dns-01 (rule wildcard), or a repeat (rule
// duplicate). An empty list is acme.domains_required; more than MaxDomains
// is acme.domains_too_many.
func NormalizeDomains(domains []string, ch ChallengeType) ([]string, error) {
	if len(domains) == 0 {
		return nil, errs.Invalidf("acme.domains_required", "body.domains", "required", nil)
	}
	if len(domains) > MaxDomains {
		return nil, errs.Invalidf("acme.domains_too_many", "body.domains", "max_items", map[string]any{"max": MaxDomains})
	}
	out := make([]string, 0, len(domains))
	for i, d := range domains {
		field := fmt.Sprintf("body.domains[%d]", i)
		bad := func(rule string) error {
			return errs.Invalidf("acme.domain_invalid", field, rule, map[string]any{"domain": d})
		}
		name := strings.TrimSuffix(strings.TrimSpace(d), ".")
		if _, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
			return nil, bad("ip")
		}
		wild := strings.HasPrefix(name, "*.")
		if wild {
			if ch != DNS01 {
				return nil, bad("wildcard")
			}
			name = name[2:]
		}
		ascii, err := idnaProfile.ToASCII(name)
		if err != nil || !validHostname(ascii) {
			return nil, bad("syntax")
		}
		ascii = strings.ToLower(ascii)
		if wild {
			ascii = "*." + ascii
		}
		if slices.Contains(out, ascii) {
			return nil, bad("duplicate")
		}
		out = append(out, ascii)
	}
	return out, nil
}

// validHostname reports whether name is an LDH host name with at least two
// labels and a non-numeric last label.
func validHostname(name string) bool {
	if len(name) == 0 || len(name) > 253 {
		return false
	}
	labels := strings.Split(name, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if len(l) == 0 || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, c := range l {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	return strings.Trim(tld, "0123456789") != ""
}

// ParseCSR decodes a customer CSR (one PEM "CERTIFICATE REQUEST" block,
// "NEW CERTIFICATE REQUEST" accepted) and checks its signature and key,
// without contacting anyone. Errors, all on field body.csr:
//   - acme.csr_invalid rule pem (no such PEM block), der (not a CSR),
//     signature (the CSR is not signed by its key);
//   - acme.csr_weak_key rule min_bits (RSA under MinRSABits, params
//     {min_bits, bits}), curve (ECDSA on other than P-256/P-384, params
//     {allowed}), key_type (any other key, params {allowed}).
func ParseCSR(pemBytes []byte) (*x509.CertificateRequest, error) {
	blk, rest := pem.Decode(pemBytes)
	if blk == nil || (blk.Type != "CERTIFICATE REQUEST" && blk.Type != "NEW CERTIFICATE REQUEST") || strings.TrimSpace(string(rest)) != "" {
		return nil, errs.Invalidf("acme.csr_invalid", "body.csr", "pem", nil)
	}
	csr, err := x509.ParseCertificateRequest(blk.Bytes)
	if err != nil {
		return nil, errs.E(errs.Invalid, "acme.csr_invalid", "body.csr: der", errs.FieldError{Field: "body.csr", Rule: "der"}, err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, errs.E(errs.Invalid, "acme.csr_invalid", "body.csr: signature", errs.FieldError{Field: "body.csr", Rule: "signature"}, err)
	}
	switch k := csr.PublicKey.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < MinRSABits {
			return nil, errs.Invalidf("acme.csr_weak_key", "body.csr", "min_bits", map[string]any{"min_bits": MinRSABits, "bits": bits})
		}
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() && k.Curve != elliptic.P384() {
			return nil, errs.Invalidf("acme.csr_weak_key", "body.csr", "curve", map[string]any{"allowed": []string{"P-256", "P-384"}})
		}
	default:
		return nil, errs.Invalidf("acme.csr_weak_key", "body.csr", "key_type", map[string]any{"allowed": []string{"RSA", "ECDSA"}})
	}
	return csr, nil
}

// CheckCSRNames requires the CSR to name exactly the (normalised) domains:
// its DNS SANs, lower-cased, are the same set, its Common Name (if any) is
// one of them, and it has no IP, e-mail or URI names. Otherwise
// acme.csr_names_mismatch on body.csr, rule names, params {want, got}.
func CheckCSRNames(csr *x509.CertificateRequest, domains []string) error {
	got := make([]string, 0, len(csr.DNSNames))
	for _, n := range csr.DNSNames {
		got = append(got, strings.ToLower(strings.TrimSuffix(n, ".")))
	}
	cn := strings.ToLower(csr.Subject.CommonName)
	want := slices.Clone(domains)
	slices.Sort(want)
	sortedGot := slices.Clone(got)
	slices.Sort(sortedGot)
	sortedGot = slices.Compact(sortedGot)
	ok := slices.Equal(want, sortedGot) && len(got) == len(sortedGot) &&
		(cn == "" || slices.Contains(want, cn)) &&
		len(csr.IPAddresses) == 0 && len(csr.EmailAddresses) == 0 && len(csr.URIs) == 0
	if !ok {
		if cn != "" && !slices.Contains(got, cn) {
			got = append(got, cn)
		}
		return errs.Invalidf("acme.csr_names_mismatch", "body.csr", "names", map[string]any{"want": domains, "got": got})
	}
	return nil
}
