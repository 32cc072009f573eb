package acme

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"time"

	legoacme "github.com/go-acme/lego/v5/acme"
	"github.com/go-acme/lego/v5/acme/api"

	"yuanxu/internal/errs"
)

// Config is what a Client needs from the app's configuration.
type Config struct {
	// DirectoryURL is the CA's ACME directory.
	DirectoryURL string
	// HTTPClient talks to the CA; give it the CA's trust roots (a custom
	// x509.CertPool for a private CA). Nil means a client with a 60 s
	// timeout and the system roots.
	HTTPClient *http.Client
	// UserAgent is sent to the CA (lego adds its own).
	UserAgent string
	// Email is the account's contact (optional).
	Email string

	// Tokens stores HTTP-01 key authorisations for ChallengeHandler. Nil
	// means the customer serves the file themselves (Authorization.HTTPPath
	// and HTTPBody are shown to them).
	Tokens HTTPTokens
	// Zone and Records serve DNSMode Delegated: TXT values are published in
	// Records under DelegationTarget(domain, Zone).
	Zone    string
	Records TXTRecords
	// Resolver (host:port) is the DNS server used before asking the CA to
	// validate a dns-01 challenge: the TXT value must be visible there, or
	// Complete fails early with acme.dns_txt_missing. Empty skips the check.
	Resolver string
	// DNSCheckWait is how long the check keeps retrying (every 500 ms)
	// before giving up; 0 checks once.
	DNSCheckWait time.Duration
	// DNSTimeout bounds one DNS query; default 5 s.
	DNSTimeout time.Duration

	// PollInterval is the pause between polls of an authorisation or order
	// at the CA; default 2 s.
	PollInterval time.Duration
	// StepTimeout bounds waiting for the CA's validation and, separately,
	// for issuance; default 2 min. ctx bounds everything.
	StepTimeout time.Duration
	// Now stamps state changes; default time.Now.
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	if c.DNSTimeout <= 0 {
		c.DNSTimeout = 5 * time.Second
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 2 * time.Second
	}
	if c.StepTimeout <= 0 {
		c.StepTimeout = 2 * time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Client is an ACME account at one CA. It is safe for concurrent use.
type Client struct {
	cfg  Config
	core *api.Core
	acct string
}

// NewAccountKey generates an account key (ECDSA P-256) and returns it as
// PKCS#8 PEM. The caller stores it (encrypted) and passes it to New on
// every start: the key is the account.
func NewAccountKey() ([]byte, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	return marshalKey(k)
}

func marshalKey(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseAccountKey reads an account key PEM: PKCS#8 ("PRIVATE KEY"), SEC 1
// ("EC PRIVATE KEY") or PKCS#1 ("RSA PRIVATE KEY"); ECDSA or RSA only.
func ParseAccountKey(pemBytes []byte) (crypto.Signer, error) {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil {
		return nil, errors.New("acme: account key: no PEM block")
	}
	var key any
	var err error
	switch blk.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(blk.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(blk.Bytes)
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(blk.Bytes)
	default:
		return nil, fmt.Errorf("acme: account key: unexpected PEM type %q", blk.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("acme: account key: %w", err)
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		return k, nil
	case *rsa.PrivateKey:
		return k, nil
	}
	return nil, fmt.Errorf("acme: account key: unsupported key type %T", key)
}

// New reads the CA's directory and registers the account for
// accountKeyPEM, agreeing to the CA's terms of service (see
// TermsOfService); registering a key that already has an account returns
// that account, so New is safe on every start. Errors: a bad key or
// configuration (internal), the CA unreachable (acme.ca_unavailable,
// Unavailable), or the CA's refusal (*RejectedError).
func New(ctx context.Context, cfg Config, accountKeyPEM []byte) (*Client, error) {
	const op errs.Op = "acme.New"
	cfg.defaults()
	if cfg.DirectoryURL == "" {
		return nil, errs.E(op, errors.New("no directory URL"))
	}
	key, err := ParseAccountKey(accountKeyPEM)
	if err != nil {
		return nil, errs.E(op, err)
	}
	core, err := api.New(cfg.HTTPClient, cfg.UserAgent, cfg.DirectoryURL, "", key)
	if err != nil {
		return nil, caError(op, "", err)
	}
	msg := legoacme.Account{TermsOfServiceAgreed: true, Contact: []string{}}
	if cfg.Email != "" {
		msg.Contact = []string{"mailto:" + cfg.Email}
	}
	acct, err := core.Accounts.New(ctx, msg)
	if err != nil {
		return nil, caError(op, "", err)
	}
	return &Client{cfg: cfg, core: core, acct: acct.Location}, nil
}

// AccountURL is the account's URL at the CA (its "kid").
func (c *Client) AccountURL() string { return c.acct }

// TermsOfService is the CA's terms URL from its directory ("" if none).
func (c *Client) TermsOfService() string { return c.core.GetDirectory().Meta.TermsOfService }

// Problem is an RFC 7807 problem document returned by the CA.
type Problem struct {
	Type   string `json:"type"`   // e.g. urn:ietf:params:acme:error:unauthorized
	Detail string `json:"detail"` // the CA's human-readable reason
	Status int    `json:"status,omitempty"`
}

// RejectedError is the CA's refusal: a failed validation (Domain set), or
// a refused order, finalisation or account. The app records the order as
// ca_rejected with Problem.Detail as the reason. It unwraps to an
// *errs.Error (Invalid, acme.ca_rejected, params domain/type/detail) so the
// web layer can show it.
type RejectedError struct {
	Domain  string
	Problem Problem
}

func (e *RejectedError) Error() string {
	s := "acme: CA rejected"
	if e.Domain != "" {
		s += " " + e.Domain
	}
	return s + ": " + e.Problem.Type + ": " + e.Problem.Detail
}

func (e *RejectedError) Unwrap() error {
	return &errs.Error{Kind: errs.Invalid, Code: "acme.ca_rejected", Msg: e.Problem.Detail,
		Params: map[string]any{"domain": e.Domain, "type": e.Problem.Type, "detail": e.Problem.Detail}}
}

// caError turns an error from talking to the CA into a *RejectedError
// when the CA answered with a problem document, else into
// acme.ca_unavailable (Unavailable: retry later).
func caError(op errs.Op, domain string, err error) error {
	var pd *legoacme.ProblemDetails
	if errors.As(err, &pd) {
		return rejected(domain, pd)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return errs.E(op, errs.Unavailable, "acme.ca_unavailable", "the CA could not be reached", err)
}

func rejected(domain string, pd *legoacme.ProblemDetails) *RejectedError {
	p := Problem{Type: pd.Type, Detail: pd.Detail, Status: pd.HTTPStatus}
	for _, sp := range pd.SubProblems {
		p.Detail += "; " + sp.Detail
	}
	return &RejectedError{Domain: domain, Problem: p}
}
