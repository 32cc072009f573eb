package acme

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	legoacme "github.com/go-acme/lego/v5/acme"

	"yuanxu/internal/errs"
)

// Request asks for one certificate.
type Request struct {
	// Domains are the names, the first one first; see NormalizeDomains.
	Domains []string
	// Challenge is HTTP01 or DNS01 (wildcards need DNS01).
	Challenge ChallengeType
	// DNSMode says who publishes dns-01 records; default CustomerTXT.
	DNSMode DNSMode
	// CSR is the customer's PEM CSR; it must name exactly Domains. Empty
	// means we generate an ECDSA P-256 key (Certificate.KeyPEM).
	CSR []byte
	// OnState, if set, is told each state change (Obtain only).
	OnState func(StateChange) `json:"-"`
}

// Order is an order open at the CA, with what to show the customer. It is
// plain data: the app may store it (JSON) between Client.Order, showing
// the records, and Client.Complete, after the customer says they are done.
type Order struct {
	URL         string        `json:"url"`
	FinalizeURL string        `json:"finalize_url"`
	Domains     []string      `json:"domains"` // normalised, in order
	Challenge   ChallengeType `json:"challenge"`
	DNSMode     DNSMode       `json:"dns_mode,omitempty"`
	CSR         []byte        `json:"csr,omitempty"` // the customer's PEM
	// Authorizations has one entry per domain, in the CA's order.
	Authorizations []Authorization `json:"authorizations"`
}

// Authorization is one domain's challenge.
type Authorization struct {
	Domain       string `json:"domain"` // as ordered ("*.example.com" for a wildcard)
	URL          string `json:"url"`
	ChallengeURL string `json:"challenge_url,omitempty"`
	Token        string `json:"token,omitempty"`
	KeyAuth      string `json:"key_auth,omitempty"`
	// Valid: the CA already holds a valid authorisation; nothing to do.
	Valid bool `json:"valid,omitempty"`
	// dns-01: the TXT record at TXTName with TXTValue, and for Delegated
	// the CNAME target the customer's TXTName must point to.
	TXTName     string `json:"txt_name,omitempty"`
	TXTValue    string `json:"txt_value,omitempty"`
	CNAMETarget string `json:"cname_target,omitempty"`
	// http-01: http://<domain><HTTPPath> must answer HTTPBody.
	HTTPPath string `json:"http_path,omitempty"`
	HTTPBody string `json:"http_body,omitempty"`
}

// State is a certificate order's state as the refund rules read it.
type State string

const (
	StateValidating State = "validating"      // the CA is checking control of the domains
	StateSubmitted  State = "submitted_to_ca" // validated; the CSR is with the CA
	StateIssued     State = "issued"
	StateRejected   State = "ca_rejected" // Reason holds the CA's detail
)

// StateChange is one transition with the time it happened (Config.Now).
type StateChange struct {
	State  State
	At     time.Time
	Reason string // for StateRejected
}

// Certificate is an issued certificate.
type Certificate struct {
	Domains   []string
	CertPEM   []byte // the leaf only
	ChainPEM  []byte // the issuer chain the CA sent, leaf excluded
	KeyPEM    []byte // PKCS#8, only when we generated the key; store it encrypted
	NotBefore time.Time
	NotAfter  time.Time
	URL       string // the certificate's URL at the CA
}

// Obtain is Order followed at once by Complete with req.OnState: for
// HTTP-01 served by Config.Tokens and for DNS-01 Delegated, where nobody
// has to act in between. With CustomerTXT it only succeeds when the
// customer's record already holds the value (a renewal reuses a valid
// authorisation, or the value is unchanged); otherwise use Order, show the
// record, then Complete.
func (c *Client) Obtain(ctx context.Context, req Request) (*Certificate, error) {
	o, err := c.Order(ctx, req)
	if err != nil {
		return nil, err
	}
	return c.Complete(ctx, o, req.OnState)
}

// Order checks the request without contacting anyone — domains
// (acme.domain_invalid …), challenge (acme.challenge_invalid), DNS mode
// (acme.dns_mode_invalid), the CSR (acme.csr_invalid, acme.csr_weak_key,
// acme.csr_names_mismatch) — then opens an order at the CA and returns
// the challenges. A refusal by the CA (say, a forbidden name) is a
// *RejectedError; the CA unreachable is acme.ca_unavailable.
func (c *Client) Order(ctx context.Context, req Request) (*Order, error) {
	const op errs.Op = "acme.Order"
	if req.Challenge != HTTP01 && req.Challenge != DNS01 {
		return nil, errs.Invalidf("acme.challenge_invalid", "body.challenge", "one_of", map[string]any{"allowed": []string{string(HTTP01), string(DNS01)}})
	}
	mode := DNSMode("")
	if req.Challenge == DNS01 {
		mode = req.DNSMode
		if mode == "" {
			mode = CustomerTXT
		}
		if mode != CustomerTXT && mode != Delegated {
			return nil, errs.Invalidf("acme.dns_mode_invalid", "body.dns_mode", "one_of", map[string]any{"allowed": []string{string(CustomerTXT), string(Delegated)}})
		}
		if mode == Delegated && (c.cfg.Zone == "" || c.cfg.Records == nil) {
			return nil, errs.E(op, errors.New("dns-01 delegation needs Config.Zone and Config.Records"))
		}
	}
	domains, err := NormalizeDomains(req.Domains, req.Challenge)
	if err != nil {
		return nil, err
	}
	if len(req.CSR) > 0 {
		csr, err := ParseCSR(req.CSR)
		if err != nil {
			return nil, err
		}
		if err := CheckCSRNames(csr, domains); err != nil {
			return nil, err
		}
	}

	ord, err := c.core.Orders.New(ctx, domains, nil)
	if err != nil {
		return nil, caError(op, "", err)
	}
	o := &Order{URL: ord.Location, FinalizeURL: ord.Finalize, Domains: domains, Challenge: req.Challenge, DNSMode: mode, CSR: req.CSR}
	for _, u := range ord.Authorizations {
		az, err := c.core.Authorizations.Get(ctx, u)
		if err != nil {
			return nil, caError(op, "", err)
		}
		a := Authorization{Domain: az.Identifier.Value, URL: u, Valid: az.Status == legoacme.StatusValid}
		if az.Wildcard {
			a.Domain = "*." + a.Domain
		}
		if !a.Valid {
			i := slices.IndexFunc(az.Challenges, func(ch legoacme.Challenge) bool { return ch.Type == string(req.Challenge) })
			if i < 0 {
				return nil, &RejectedError{Domain: a.Domain, Problem: Problem{Type: "yuanxu:challenge_unavailable", Detail: fmt.Sprintf("the CA offers no %s challenge for %s", req.Challenge, a.Domain)}}
			}
			ch := az.Challenges[i]
			keyAuth, err := c.core.GetKeyAuthorization(ch.Token)
			if err != nil {
				return nil, errs.E(op, err)
			}
			a.ChallengeURL, a.Token, a.KeyAuth = ch.URL, ch.Token, keyAuth
			switch req.Challenge {
			case HTTP01:
				a.HTTPPath, a.HTTPBody = HTTPTokensPath+ch.Token, keyAuth
			case DNS01:
				a.TXTName, a.TXTValue = ChallengeName(a.Domain), txtValue(keyAuth)
				if mode == Delegated {
					a.CNAMETarget = DelegationTarget(a.Domain, c.cfg.Zone)
				}
			}
		}
		o.Authorizations = append(o.Authorizations, a)
	}
	return o, nil
}

// Complete proves control, finalises and downloads the certificate. It
// reports StateValidating when it starts, StateSubmitted when every domain
// is validated and the CSR goes to the CA, then StateIssued or — when the
// CA refuses — StateRejected with the CA's reason; onState may be nil and
// must not block. Errors:
//   - acme.dns_txt_missing (Conflict; field body.domains[i], params name
//     and value): Config.Resolver does not show the dns-01 value, so the
//     CA was not asked; the order stays open and Complete may be retried;
//   - acme.dns_check_failed (Unavailable): the resolver did not answer;
//   - *RejectedError: the CA's validation or issuance failed; the order is
//     dead, a new one is needed;
//   - acme.ca_unavailable / acme.ca_timeout (Unavailable): retry later.
//
// Published tokens and TXT records are removed before it returns.
func (c *Client) Complete(ctx context.Context, o *Order, onState func(StateChange)) (*Certificate, error) {
	const op errs.Op = "acme.Complete"
	emit := func(s State, reason string) {
		if onState != nil {
			onState(StateChange{State: s, At: c.cfg.Now(), Reason: reason})
		}
	}
	reject := func(err error) error {
		var re *RejectedError
		if errors.As(err, &re) {
			emit(StateRejected, re.Problem.Detail)
		}
		return err
	}
	emit(StateValidating, "")

	cleanup, err := c.present(ctx, o)
	defer cleanup()
	if err != nil {
		return nil, errs.E(op, err)
	}
	if err := c.checkDNS(ctx, o); err != nil {
		return nil, err
	}
	for _, a := range o.Authorizations {
		if a.Valid {
			continue
		}
		ch, err := c.core.Challenges.New(ctx, a.ChallengeURL)
		if err != nil {
			return nil, reject(caError(op, a.Domain, err))
		}
		if ch.Status == legoacme.StatusInvalid && ch.Error != nil {
			return nil, reject(rejected(a.Domain, ch.Error))
		}
	}
	for _, a := range o.Authorizations {
		if a.Valid {
			continue
		}
		if err := c.waitAuthorization(ctx, a); err != nil {
			return nil, reject(err)
		}
	}

	csrDER, keyPEM, pub, err := c.csrFor(o)
	if err != nil {
		return nil, errs.E(op, err)
	}
	emit(StateSubmitted, "")
	ord, err := c.core.Orders.UpdateForCSR(ctx, o.FinalizeURL, csrDER)
	if err != nil {
		return nil, reject(caError(op, "", err))
	}
	deadline := time.Now().Add(c.cfg.StepTimeout)
	for ord.Status != legoacme.StatusValid || ord.Certificate == "" {
		if ord.Status == legoacme.StatusInvalid {
			pd := ord.Error
			if pd == nil {
				pd = &legoacme.ProblemDetails{Type: "yuanxu:order_invalid", Detail: "the CA marked the order invalid"}
			}
			return nil, reject(rejected("", pd))
		}
		if err := c.pause(ctx, deadline); err != nil {
			return nil, err
		}
		if ord, err = c.core.Orders.Get(ctx, o.URL); err != nil {
			return nil, reject(caError(op, "", err))
		}
	}
	raw, err := c.core.Certificates.Get(ctx, ord.Certificate, false)
	if err != nil {
		return nil, reject(caError(op, "", err))
	}
	cert, err := parseIssued(raw.Cert, raw.Issuer, pub, o.Domains)
	if err != nil {
		return nil, errs.E(op, err)
	}
	cert.KeyPEM, cert.URL = keyPEM, ord.Certificate
	emit(StateIssued, "")
	return cert, nil
}

// present publishes what the CA will look for: HTTP-01 tokens (when
// Config.Tokens is set) and Delegated TXT records. The returned cleanup
// removes them, even after ctx ends.
func (c *Client) present(ctx context.Context, o *Order) (cleanup func(), err error) {
	var undo []func(context.Context) error
	cleanup = func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		for _, f := range undo {
			_ = f(cctx) // best effort: a stale token or record is harmless
		}
	}
	for _, a := range o.Authorizations {
		if a.Valid {
			continue
		}
		switch {
		case o.Challenge == HTTP01 && c.cfg.Tokens != nil:
			if err := c.cfg.Tokens.Present(ctx, a.Token, a.KeyAuth); err != nil {
				return cleanup, err
			}
			undo = append(undo, func(ctx context.Context) error { return c.cfg.Tokens.CleanUp(ctx, a.Token) })
		case o.Challenge == DNS01 && o.DNSMode == Delegated:
			if err := c.cfg.Records.AddTXT(ctx, a.CNAMETarget, a.TXTValue); err != nil {
				return cleanup, err
			}
			undo = append(undo, func(ctx context.Context) error { return c.cfg.Records.RemoveTXT(ctx, a.CNAMETarget, a.TXTValue) })
		}
	}
	return cleanup, nil
}

// checkDNS requires every dns-01 value to be visible through
// Config.Resolver (skipped when it is empty), retrying for DNSCheckWait.
func (c *Client) checkDNS(ctx context.Context, o *Order) error {
	if o.Challenge != DNS01 || c.cfg.Resolver == "" {
		return nil
	}
	deadline := time.Now().Add(c.cfg.DNSCheckWait)
	for i, a := range o.Authorizations {
		if a.Valid {
			continue
		}
		for {
			values, err := lookupTXT(ctx, c.cfg.Resolver, a.TXTName, c.cfg.DNSTimeout)
			if err == nil && slices.Contains(values, a.TXTValue) {
				break
			}
			if time.Now().After(deadline) {
				if err != nil {
					return errs.E(errs.Op("acme.Complete"), errs.Unavailable, "acme.dns_check_failed", "the DNS resolver did not answer", err)
				}
				return &errs.Error{Op: "acme.Complete", Kind: errs.Conflict, Code: "acme.dns_txt_missing",
					Msg:    fmt.Sprintf("%s has no TXT record %q", a.TXTName, a.TXTValue),
					Fields: []errs.FieldError{{Field: fmt.Sprintf("body.domains[%d]", i), Rule: "txt_missing", Params: map[string]any{"name": a.TXTName, "value": a.TXTValue, "cname_target": a.CNAMETarget}}}}
			}
			if err := sleep(ctx, 500*time.Millisecond); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitAuthorization polls a until the CA decides.
func (c *Client) waitAuthorization(ctx context.Context, a Authorization) error {
	deadline := time.Now().Add(c.cfg.StepTimeout)
	for {
		az, err := c.core.Authorizations.Get(ctx, a.URL)
		if err != nil {
			return caError("acme.Complete", a.Domain, err)
		}
		switch az.Status {
		case legoacme.StatusValid:
			return nil
		case legoacme.StatusPending, legoacme.StatusProcessing:
		case legoacme.StatusInvalid:
			for _, ch := range az.Challenges {
				if ch.Error != nil {
					return rejected(a.Domain, ch.Error)
				}
			}
			fallthrough
		default:
			return &RejectedError{Domain: a.Domain, Problem: Problem{Type: "yuanxu:authorization_" + az.Status, Detail: "the CA marked the authorisation " + az.Status}}
		}
		if err := c.pause(ctx, deadline); err != nil {
			return err
		}
	}
}

// pause waits PollInterval, or fails with acme.ca_timeout past deadline.
func (c *Client) pause(ctx context.Context, deadline time.Time) error {
	if time.Now().After(deadline) {
		return errs.E(errs.Op("acme.Complete"), errs.Unavailable, "acme.ca_timeout", "the CA did not decide in time")
	}
	return sleep(ctx, c.cfg.PollInterval)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// csrFor returns the CSR to finalise with: the customer's, or a new one
// for a generated ECDSA P-256 key (returned as PKCS#8 PEM).
func (c *Client) csrFor(o *Order) (der, keyPEM []byte, pub crypto.PublicKey, err error) {
	if len(o.CSR) > 0 {
		csr, err := ParseCSR(o.CSR)
		if err != nil {
			return nil, nil, nil, err
		}
		return csr.Raw, nil, csr.PublicKey, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	der, err = x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: o.Domains}, key)
	if err != nil {
		return nil, nil, nil, err
	}
	keyPEM, err = marshalKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return der, keyPEM, key.Public(), nil
}

// parseIssued checks that the CA's certificate is for our key and names
// and splits leaf from chain.
func parseIssued(certPEM, chainPEM []byte, pub crypto.PublicKey, domains []string) (*Certificate, error) {
	blk, _ := pem.Decode(certPEM)
	if blk == nil || blk.Type != "CERTIFICATE" {
		return nil, errors.New("the CA sent no certificate")
	}
	leaf, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the CA's certificate: %w", err)
	}
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if k, ok := leaf.PublicKey.(equaler); !ok || !k.Equal(pub) {
		return nil, errors.New("the CA's certificate is for another key")
	}
	for _, d := range domains {
		if !slices.ContainsFunc(leaf.DNSNames, func(n string) bool { return strings.EqualFold(n, d) }) {
			return nil, fmt.Errorf("the CA's certificate does not name %s", d)
		}
	}
	return &Certificate{
		Domains:   domains,
		CertPEM:   pem.EncodeToMemory(blk),
		ChainPEM:  chainPEM,
		NotBefore: leaf.NotBefore,
		NotAfter:  leaf.NotAfter,
	}, nil
}
