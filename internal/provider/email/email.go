// Package email sends notifications over SMTP with github.com/wneessen/go-mail:
// STARTTLS (required by default) or implicit TLS, optional authentication,
// multipart text + HTML, a Message-ID chosen by the caller (stable per
// delivery, so a resend carries the same one), List-Unsubscribe on
// marketing mail and Auto-Submitted on everything.
//
// The SMTP server is named by a URL:
//
//	smtp://user:pass@host:587                  STARTTLS, required
//	smtp://host:587?tls=opportunistic          STARTTLS when offered
//	smtp://host:25?tls=none                    plain (a relay on loopback, tests)
//	smtps://user:pass@host:465                 implicit TLS
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	mail "github.com/wneessen/go-mail"
)

// Endpoint is a parsed SMTP URL.
type Endpoint struct {
	Host     string
	Port     int
	Username string
	Password string
	// TLS is "starttls" (required), "opportunistic", "none" or "implicit".
	TLS string
}

// ParseURL parses an SMTP URL (package doc). The password never appears in
// errors.
func ParseURL(s string) (Endpoint, error) {
	u, err := url.Parse(s)
	if err != nil {
		return Endpoint{}, errors.New("smtp url: does not parse (want smtp://[user:pass@]host:port or smtps://…)")
	}
	var e Endpoint
	switch u.Scheme {
	case "smtp":
		e.TLS, e.Port = "starttls", 587
		switch t := u.Query().Get("tls"); t {
		case "", "starttls":
		case "opportunistic", "none":
			e.TLS = t
		default:
			return Endpoint{}, fmt.Errorf("smtp url: tls=%q: want starttls, opportunistic or none", t)
		}
	case "smtps":
		e.TLS, e.Port = "implicit", 465
	default:
		return Endpoint{}, fmt.Errorf("smtp url: scheme %q: want smtp or smtps", u.Scheme)
	}
	e.Host = u.Hostname()
	if e.Host == "" {
		return Endpoint{}, errors.New("smtp url: no host")
	}
	if p := u.Port(); p != "" {
		if e.Port, err = strconv.Atoi(p); err != nil || e.Port <= 0 || e.Port > 65535 {
			return Endpoint{}, fmt.Errorf("smtp url: bad port %q", p)
		}
	}
	if u.User != nil {
		e.Username = u.User.Username()
		e.Password, _ = u.User.Password()
	}
	return e, nil
}

// Config configures a Client.
type Config struct {
	Endpoint Endpoint
	// From is the sender, "Name <addr>" or "addr".
	From    string
	HELO    string        // default: the host name go-mail picks
	Timeout time.Duration // per connection; default 30s
	// TLSConfig overrides the TLS settings (a private CA in tests).
	TLSConfig *tls.Config
}

// Client sends mail. It dials per message and is safe for concurrent use.
type Client struct {
	cfg Config
}

// New checks cfg and returns a Client; it does not dial.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint.Host == "" {
		return nil, errors.New("email: no SMTP host")
	}
	if cfg.From == "" {
		return nil, errors.New("email: no sender address (--mail-from)")
	}
	if err := mail.NewMsg().From(cfg.From); err != nil {
		return nil, fmt.Errorf("email: sender address %q does not parse", cfg.From)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	return &Client{cfg: cfg}, nil
}

// Message is one email to one recipient.
type Message struct {
	To        string
	Subject   string
	Text      string
	HTML      string // optional alternative
	MessageID string // without angle brackets; required
	Lang      string // Content-Language
	// ListUnsubscribe is a URL for the List-Unsubscribe header (one-click);
	// set it on marketing mail only.
	ListUnsubscribe string
	Date            time.Time // default now
}

// Result is what the relay accepted.
type Result struct {
	MessageID string
}

// Error is an SMTP refusal or failure.
type Error struct {
	Code     int    // SMTP reply code, 0 if none (a transport failure)
	Enhanced string // enhanced status code ("5.1.1"), if the server sent one
	Reason   string
	Retry    bool
}

func (e *Error) Error() string {
	if e.Code != 0 {
		return fmt.Sprintf("smtp %d %s: %s", e.Code, e.Enhanced, e.Reason)
	}
	return "smtp: " + e.Reason
}

// Temporary reports whether sending again later can help: 4xx replies,
// timeouts, refused connections, TLS and authentication trouble (an
// operator can fix those). A 5xx reply is permanent for this message.
func (e *Error) Temporary() bool { return e.Retry }

// Send sends m and returns when the relay accepted it (250 after DATA) or
// refused it. Errors are *Error.
func (c *Client) Send(ctx context.Context, m Message) (Result, error) {
	if m.MessageID == "" {
		return Result{}, &Error{Reason: "no Message-ID"}
	}
	msg := mail.NewMsg()
	if err := msg.From(c.cfg.From); err != nil {
		return Result{}, &Error{Reason: "sender does not parse"}
	}
	if err := msg.To(m.To); err != nil {
		return Result{}, &Error{Code: 553, Reason: "recipient address does not parse"}
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(m.MessageID)
	if m.Date.IsZero() {
		msg.SetDate()
	} else {
		msg.SetDateWithValue(m.Date)
	}
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	if m.Lang != "" {
		msg.SetGenHeader("Content-Language", m.Lang)
	}
	if m.ListUnsubscribe != "" {
		msg.SetGenHeader(mail.HeaderListUnsubscribe, "<"+m.ListUnsubscribe+">")
		msg.SetGenHeader(mail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	msg.SetUserAgent("yuanxu")
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	cl, err := c.client()
	if err != nil {
		return Result{}, &Error{Reason: err.Error()}
	}
	if err := cl.DialAndSendWithContext(ctx, msg); err != nil {
		return Result{}, classify(err)
	}
	return Result{MessageID: m.MessageID}, nil
}

func (c *Client) client() (*mail.Client, error) {
	e := c.cfg.Endpoint
	opts := []mail.Option{mail.WithPort(e.Port), mail.WithTimeout(c.cfg.Timeout)}
	switch e.TLS {
	case "implicit":
		opts = append(opts, mail.WithSSL())
	case "opportunistic":
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	case "none":
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
	}
	if c.cfg.TLSConfig != nil {
		opts = append(opts, mail.WithTLSConfig(c.cfg.TLSConfig))
	} else {
		opts = append(opts, mail.WithTLSConfig(&tls.Config{ServerName: e.Host, MinVersion: tls.VersionTLS12}))
	}
	if e.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(e.Username), mail.WithPassword(e.Password))
	}
	if c.cfg.HELO != "" {
		opts = append(opts, mail.WithHELO(c.cfg.HELO))
	}
	return mail.NewClient(e.Host, opts...)
}

// classify turns go-mail's errors into *Error: a reply code ≥ 500 is
// permanent, anything else (4xx, no reply at all) temporary.
func classify(err error) error {
	var se *mail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		return &Error{Code: code, Enhanced: se.EnhancedStatusCode(), Reason: oneLine(err.Error()), Retry: code < 500}
	}
	return &Error{Reason: oneLine(err.Error()), Retry: true}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
