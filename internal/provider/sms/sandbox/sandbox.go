// Package sandbox is an embedded SMS provider for sandbox mode and tests:
// one HTTP server that speaks both Aliyun's SendSms (ACS3-HMAC-SHA256) and
// Tencent Cloud's SendSms (TC3-HMAC-SHA256), recomputes each request's
// signature from the request as received — with its own canonicalisation,
// not the clients' — rejects a wrong, stale or replayed one in the
// provider's own error format, and keeps every accepted message in an
// Outbox. The production clients (provider/sms/aliyun, provider/sms/tencent)
// are pointed at it unchanged.
package sandbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"yuanxu/internal/provider/sms"
)

// Received is one accepted message as the provider saw it.
type Received struct {
	Provider          string // "aliyun" or "tencent"
	At                time.Time
	Phone             string // as sent: digits (Aliyun) or E.164 (Tencent)
	SignName          string
	TemplateCode      string
	Params            []sms.Param // Aliyun: by name, sorted; Tencent: names "1", "2", … by position
	IdempotencyKey    string      // OutId / SessionContext
	ProviderMessageID string      // the BizId / SerialNo answered
	RequestID         string
}

// Outbox keeps accepted messages. Put errors make the server answer with
// the provider's internal error (the client retries).
type Outbox interface {
	Put(ctx context.Context, r Received) error
}

// MemoryOutbox is an Outbox in memory, for tests.
type MemoryOutbox struct {
	mu    sync.Mutex
	items []Received
}

// Put appends r.
func (m *MemoryOutbox) Put(_ context.Context, r Received) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items = append(m.items, r)
	return nil
}

// All returns a copy of everything received, oldest first.
func (m *MemoryOutbox) All() []Received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Received(nil), m.items...)
}

// Server is the checking server. Configure it before serving; its methods
// are safe for concurrent use.
type Server struct {
	// Aliyun maps AccessKeyId → AccessKeySecret; Tencent maps SecretId →
	// SecretKey. A protocol without credentials refuses every request.
	Aliyun  map[string]string
	Tencent map[string]string
	// TencentAppID, when set, is the only SmsSdkAppId accepted.
	TencentAppID string
	Outbox       Outbox
	// Fault, when set, may name a provider error code to answer instead of
	// accepting the message (tests of refusals and retries); "" accepts.
	Fault func(Received) string
	// Now is wall time for the freshness checks (default time.Now).
	Now func() time.Time

	seq    atomic.Int64
	mu     sync.Mutex
	nonces map[string]time.Time
}

// MaxSkew is how far a request's timestamp may be from the server's clock:
// Aliyun allows 15 minutes, Tencent 5.
const (
	AliyunMaxSkew  = 15 * time.Minute
	TencentMaxSkew = 5 * time.Minute
)

// maxBody bounds a request body.
const maxBody = 64 << 10

// ServeHTTP dispatches by protocol: x-acs-action marks Aliyun, X-TC-Action
// Tencent.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	switch {
	case r.Header.Get("x-acs-action") != "":
		s.serveAliyun(w, r)
	case r.Header.Get("X-TC-Action") != "":
		s.serveTencent(w, r)
	default:
		http.Error(w, "sandbox sms: neither an Aliyun nor a Tencent Cloud request", http.StatusBadRequest)
	}
}

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// useNonce records a nonce; it reports false if the nonce was seen within
// the skew window (a replay).
func (s *Server) useNonce(n string, now time.Time, window time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nonces == nil {
		s.nonces = map[string]time.Time{}
	}
	for k, at := range s.nonces {
		if now.Sub(at) > 2*window {
			delete(s.nonces, k)
		}
	}
	if _, seen := s.nonces[n]; seen {
		return false
	}
	s.nonces[n] = now
	return true
}

func (s *Server) put(ctx context.Context, rec Received) error {
	if s.Outbox == nil {
		return errors.New("sandbox sms: no outbox")
	}
	return s.Outbox.Put(ctx, rec)
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return strings.ToUpper(fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:]))
}

// Listener is a running sandbox server.
type Listener struct {
	URL  string // http://127.0.0.1:port
	Host string // 127.0.0.1:port
	srv  *http.Server
}

// Close stops the server, waiting up to ctx for requests in flight.
func (l *Listener) Close(ctx context.Context) error { return l.srv.Shutdown(ctx) }

// Listen serves s on a free loopback port until Close.
func Listen(s *Server) (*Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox sms: %w", err)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	host := ln.Addr().String()
	return &Listener{URL: "http://" + host, Host: host, srv: srv}, nil
}

// NewCredential makes a random credential pair for a sandbox.
func NewCredential(prefix string) (id, secret string) {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b[:8]), hex.EncodeToString(b[8:])
}
