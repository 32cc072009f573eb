// Package cdn is the library half of the `cdn` provisioning driver
// (issue 13): onboarding a customer's domain (an ownership token, the TXT
// record that proves control, checked against a configured DNS server, and
// the CNAME target to point the domain at), validation of the origin the
// edge forwards to, and the edge side: rendering one nginx configuration
// file for all sites of an edge node, writing it atomically, and testing
// and reloading nginx.
//
// Every string that ends up in the nginx configuration is validated
// against a narrow character set first, so a customer's host name, origin
// or file path cannot add a directive. User mistakes are *errs.Error
// values with stable codes (cdn.domain_invalid, cdn.origin_invalid,
// cdn.site_invalid, cdn.config_invalid, cdn.ownership_missing,
// cdn.ownership_mismatch, cdn.dns_unavailable); failures of nginx are
// plain errors carrying its output.
package cdn

import (
	"encoding/base32"
	"fmt"
	"io"
	"strings"

	"yuanxu/internal/errs"
)

// NormalizeDomain validates a customer's domain name and returns it in
// canonical form: surrounding space and one trailing dot removed, lower
// case. The name must be ASCII (an IDN in its xn-- form), 253 bytes at
// most, of at least two dot-separated labels of 1–63 letters, digits and
// hyphens, no label starting or ending with a hyphen, and a top-level
// label that is not all digits (so an IPv4 address is not a domain).
// Wildcards are refused. Mistakes are *errs.Error with code
// cdn.domain_invalid, field "domain" and rules required, ascii,
// max_length, format, label_length, charset, hyphen, labels, numeric_tld.
func NormalizeDomain(s string) (string, error) { return normalizeDomain("domain", s) }

func normalizeDomain(field, s string) (string, error) {
	bad := func(rule string, params map[string]any) (string, error) {
		return "", errs.Invalidf("cdn.domain_invalid", field, rule, params)
	}
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ".")
	if s == "" {
		return bad("required", nil)
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return bad("ascii", nil)
		}
	}
	s = strings.ToLower(s)
	if len(s) > 253 {
		return bad("max_length", map[string]any{"max": 253})
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" {
			return bad("format", nil)
		}
		if len(l) > 63 {
			return bad("label_length", map[string]any{"max": 63})
		}
		if !isLDH(l) {
			return bad("charset", nil)
		}
		if l[0] == '-' || l[len(l)-1] == '-' {
			return bad("hyphen", nil)
		}
	}
	if len(labels) < 2 {
		return bad("labels", map[string]any{"min": 2})
	}
	if tld := labels[len(labels)-1]; strings.Trim(tld, "0123456789") == "" {
		return bad("numeric_tld", nil)
	}
	return s, nil
}

// isLDH reports whether s has only lower-case letters, digits and hyphens.
func isLDH(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s != ""
}

// Onboarding constants: the customer publishes
// TXT "<VerifyLabel>.<domain>" with the value "<VerifyPrefix><token>".
const (
	VerifyLabel  = "_yuanxu-verify"
	VerifyPrefix = "yuanxu-verify="
)

// tokenEncoding is lower-case base32 without padding: safe in DNS, URLs
// and nginx alike, and unambiguous to read aloud.
var tokenEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewToken returns a fresh ownership token: 20 bytes from r
// (crypto/rand.Reader in production) as 32 lower-case base32 characters.
// The caller stores it with the site until the check succeeds.
func NewToken(r io.Reader) (string, error) {
	var b [20]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("cdn: reading randomness: %w", err)
	}
	return tokenEncoding.EncodeToString(b[:]), nil
}

// TXTRecord is a DNS TXT record the customer must publish.
type TXTRecord struct {
	Name  string // fully qualified, without the trailing dot
	Value string
}

// OwnershipRecord returns the TXT record that proves control of domain
// for token: _yuanxu-verify.<domain> TXT "yuanxu-verify=<token>". The
// domain is normalized; a bad domain is cdn.domain_invalid and a token
// that NewToken could not have made is cdn.site_invalid (field "token").
func OwnershipRecord(domain, token string) (TXTRecord, error) {
	d, err := NormalizeDomain(domain)
	if err != nil {
		return TXTRecord{}, err
	}
	if err := validToken(token); err != nil {
		return TXTRecord{}, err
	}
	return TXTRecord{Name: VerifyLabel + "." + d, Value: VerifyPrefix + token}, nil
}

func validToken(token string) error {
	b, err := tokenEncoding.DecodeString(token)
	if err != nil || len(b) < 16 {
		return errs.Invalidf("cdn.site_invalid", "token", "format", nil)
	}
	return nil
}

// CNAMETarget returns the name the customer points their domain at:
// "<siteID>.<zone>", where zone is our CDN zone (configuration) and
// siteID is the site's DNS label (ValidSiteID). A bad zone is
// cdn.domain_invalid with field "zone".
func CNAMETarget(siteID, zone string) (string, error) {
	if err := ValidSiteID(siteID); err != nil {
		return "", err
	}
	z, err := normalizeDomain("zone", zone)
	if err != nil {
		return "", err
	}
	return siteID + "." + z, nil
}

// ValidSiteID checks a site identifier: one DNS label of 1–63 lower-case
// letters, digits and hyphens, not starting or ending with a hyphen. It is
// the CNAME target's first label and names the site in the nginx
// configuration. A bad one is cdn.site_invalid with field "site_id".
func ValidSiteID(id string) error { return validSiteID("site_id", id) }

func validSiteID(field, id string) error {
	if id == "" || len(id) > 63 || !isLDH(id) || id[0] == '-' || id[len(id)-1] == '-' {
		return errs.Invalidf("cdn.site_invalid", field, "format", nil)
	}
	return nil
}
