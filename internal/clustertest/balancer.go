package clustertest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Balancer is a round-robin HTTP load balancer in front of a cluster, as
// an operator's nginx or cloud load balancer would be: it appends the
// client's address to X-Forwarded-For (serve trusts 127.0.0.1), and a
// request whose connection to one instance is refused (a stopped or
// killed instance) goes to the next, which is safe because that instance
// never saw it (nginx's proxy_next_upstream error). It never retries a
// request an instance received. Like any load balancer it checks each
// instance's /readyz (every 100 ms) and sends to ready ones first, so a
// draining instance (serve --shutdown-delay) leaves the pool before it
// closes its connections. With no instance reachable it answers a
// retryable 503.
type Balancer struct {
	url      string
	mu       sync.Mutex
	backends []*url.URL
	ready    map[string]bool
	next     atomic.Uint64
	tr       *http.Transport
	// Retried counts requests sent to another instance after a refused
	// connection.
	Retried atomic.Int64
}

// NewBalancer listens on a free loopback port until cleanup.
func NewBalancer(t testing.TB) *Balancer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	b := &Balancer{url: "http://" + ln.Addr().String(), ready: map[string]bool{},
		tr: &http.Transport{DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}}
	rp := &httputil.ReverseProxy{
		Director:  func(r *http.Request) { r.URL.Scheme, r.URL.Host = "http", "backend" },
		Transport: b,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			status := http.StatusBadGateway
			if errors.Is(err, errNoBackend) {
				status = http.StatusServiceUnavailable
				w.Header().Set("Retry-After", "1")
			}
			w.WriteHeader(status)
			_, _ = io.WriteString(w, err.Error())
		},
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	done := make(chan struct{})
	go b.check(done)
	t.Cleanup(func() {
		close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		b.tr.CloseIdleConnections()
	})
	return b
}

// URL is the balancer's base URL: the cluster's public URL.
func (b *Balancer) URL() string { return b.url }

// Add puts an instance behind the balancer.
func (b *Balancer) Add(base string) {
	u, _ := url.Parse(base)
	b.mu.Lock()
	b.backends = append(b.backends, u)
	b.mu.Unlock()
}

// check polls every instance's /readyz until done.
func (b *Balancer) check(done chan struct{}) {
	hc := &http.Client{Timeout: 500 * time.Millisecond}
	for {
		select {
		case <-done:
			return
		case <-time.After(100 * time.Millisecond):
		}
		b.mu.Lock()
		backends := append([]*url.URL(nil), b.backends...)
		b.mu.Unlock()
		for _, u := range backends {
			ok := false
			if res, err := hc.Get(u.String() + "/readyz"); err == nil {
				res.Body.Close()
				ok = res.StatusCode == http.StatusOK
			}
			b.mu.Lock()
			b.ready[u.Host] = ok
			b.mu.Unlock()
		}
	}
}

var errNoBackend = errors.New("balancer: no instance accepted the connection")

// RoundTrip sends r to the next instance, moving on while connections are
// refused.
func (b *Balancer) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, err
		}
		r.Body.Close()
	}
	// Ready instances in round-robin order, then the others (a health
	// check may lag behind an instance that just became ready).
	b.mu.Lock()
	start := int(b.next.Add(1))
	var backends, others []*url.URL
	for i := range b.backends {
		u := b.backends[(start+i)%len(b.backends)]
		if b.ready[u.Host] {
			backends = append(backends, u)
		} else {
			others = append(others, u)
		}
	}
	b.mu.Unlock()
	backends = append(backends, others...)
	for _, u := range backends {
		out := r.Clone(r.Context())
		out.URL.Scheme, out.URL.Host, out.Host = u.Scheme, u.Host, u.Host
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		resp, err := b.tr.RoundTrip(out)
		if err == nil {
			return resp, nil
		}
		if !refused(err) {
			return nil, err
		}
		b.Retried.Add(1)
	}
	return nil, errNoBackend
}

// refused: the instance did not take the connection, so never saw the
// request.
func refused(err error) bool {
	var op *net.OpError
	return errors.Is(err, syscall.ECONNREFUSED) || (errors.As(err, &op) && op.Op == "dial")
}
