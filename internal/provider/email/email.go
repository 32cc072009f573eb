// Package email sends notifications over SMTP with github.com/wneessen/go-mail:
// STARTTLS (required by default) or implicit TLS, optional authentication,
// multipart text + HTML, a Message-ID chosen by the caller (stable per
// delivery, so a resend carries the same one), List-Unsubscribe on
// marketing mail and Auto-Submitted on everything. Connections are kept
// open between messages (Config.MaxIdle, Config.IdleTimeout), and each
// message is one SMTP transaction on them, pipelined when the relay offers
// PIPELINING (transact.go, ADR 29).
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
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
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
	// MaxConns is how many connections may be open at once (default 8):
	// relays limit connections per client, and a burst of notices waits
	// for a free one rather than being refused.
	MaxConns int
	// MaxIdle is how many connections stay open between messages
	// (default MaxConns; negative: none, one connection per message).
	MaxIdle int
	// IdleTimeout closes a connection unused this long (default 30s,
	// well inside the 5 minutes RFC 5321 §4.5.3.2.7 asks servers to wait).
	IdleTimeout time.Duration
}

// Client sends mail and is safe for concurrent use. It opens at most
// Config.MaxConns connections at once and keeps up to Config.MaxIdle of
// them open between messages (each closed after Config.IdleTimeout
// unused), so a burst of notices costs one connection, greeting, STARTTLS
// handshake and authentication per concurrent sender, not per message.
// Close closes the idle connections.
type Client struct {
	cfg Config
	mc  *mail.Client // the dialer: go-mail's options, never its own connection
	// slots holds a token per open connection in use (MaxConns).
	slots chan struct{}

	mu     sync.Mutex
	idle   []*idleConn // most recently used last
	closed bool
}

// idleConn is a connection waiting for the next message; its timer closes
// it after IdleTimeout.
type idleConn struct {
	sc    *smtp.Client
	timer *time.Timer
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
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 8
	}
	if cfg.MaxIdle == 0 || cfg.MaxIdle > cfg.MaxConns {
		cfg.MaxIdle = cfg.MaxConns
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 30 * time.Second
	}
	c := &Client{cfg: cfg, slots: make(chan struct{}, cfg.MaxConns)}
	var err error
	if c.mc, err = c.client(); err != nil {
		return nil, fmt.Errorf("email: %w", err)
	}
	return c, nil
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
	select {
	case c.slots <- struct{}{}:
		defer func() { <-c.slots }()
	case <-ctx.Done():
		return Result{}, &Error{Reason: "waiting for a free SMTP connection: " + ctx.Err().Error(), Retry: true}
	}
	sc, reused, err := c.take(ctx)
	if err != nil {
		return Result{}, classify(err)
	}
	replied, err := transact(sc, msg, c.cfg.Timeout)
	if err != nil && reused && (!replied || closing(err)) {
		// The relay dropped the idle connection, or is closing it: it
		// accepted nothing on it, so one fresh connection may try.
		discard(sc)
		if sc, err = c.dial(ctx); err != nil {
			return Result{}, classify(err)
		}
		_, err = transact(sc, msg, c.cfg.Timeout)
	}
	if err != nil {
		discard(sc)
		return Result{}, classify(err)
	}
	c.put(sc)
	return Result{MessageID: m.MessageID}, nil
}

// Close closes the idle connections; a Send after Close still works but
// keeps no connection open.
func (c *Client) Close() error {
	c.mu.Lock()
	idle := c.idle
	c.idle, c.closed = nil, true
	c.mu.Unlock()
	for _, ic := range idle {
		ic.timer.Stop()
		discard(ic.sc)
	}
	return nil
}

// take returns the most recently used idle connection, or a new one.
func (c *Client) take(ctx context.Context) (sc *smtp.Client, reused bool, err error) {
	c.mu.Lock()
	if n := len(c.idle); n > 0 {
		ic := c.idle[n-1]
		c.idle = c.idle[:n-1]
		c.mu.Unlock()
		ic.timer.Stop()
		if err := ic.sc.UpdateDeadline(c.cfg.Timeout); err == nil {
			return ic.sc, true, nil
		}
		discard(ic.sc)
	} else {
		c.mu.Unlock()
	}
	sc, err = c.dial(ctx)
	return sc, false, err
}

func (c *Client) dial(ctx context.Context) (*smtp.Client, error) {
	sc, err := c.mc.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("dial failed: %w", err)
	}
	return sc, nil
}

// put keeps sc for the next message, or closes it when MaxIdle are kept.
func (c *Client) put(sc *smtp.Client) {
	c.mu.Lock()
	if c.closed || len(c.idle) >= c.cfg.MaxIdle {
		c.mu.Unlock()
		discard(sc)
		return
	}
	ic := &idleConn{sc: sc}
	ic.timer = time.AfterFunc(c.cfg.IdleTimeout, func() { c.expire(ic) })
	c.idle = append(c.idle, ic)
	c.mu.Unlock()
}

// expire closes ic unless a Send took it first.
func (c *Client) expire(ic *idleConn) {
	c.mu.Lock()
	i := slices.Index(c.idle, ic)
	if i >= 0 {
		c.idle = slices.Delete(c.idle, i, i+1)
	}
	c.mu.Unlock()
	if i >= 0 {
		discard(ic.sc)
	}
}

// discard ends a connection politely when it can (QUIT, briefly) and
// closes it in any case.
func discard(sc *smtp.Client) {
	if sc == nil {
		return
	}
	if sc.UpdateDeadline(2*time.Second) == nil && sc.Quit() == nil {
		return
	}
	_ = sc.Close()
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

// classify turns the relay's replies and go-mail's errors into *Error: a
// reply code ≥ 500 is permanent, anything else (4xx, no reply at all)
// temporary.
func classify(err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		return replyError(te)
	}
	var se *mail.SendError
	if errors.As(err, &se) {
		code := se.ErrorCode()
		return &Error{Code: code, Enhanced: se.EnhancedStatusCode(), Reason: oneLine(err.Error()), Retry: code < 500}
	}
	return &Error{Reason: oneLine(err.Error()), Retry: true}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
