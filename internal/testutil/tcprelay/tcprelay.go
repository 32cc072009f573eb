// Package tcprelay is a TCP proxy for tests. It forwards each connection to
// a target, counts the connections, keeps what the client side wrote (chunk
// by chunk, as each read received it), and can cut every connection at
// once, as a server that drops idle sessions does.
package tcprelay

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Relay is a running proxy; Start makes one.
type Relay struct {
	ln     net.Listener
	mu     sync.Mutex
	conns  int // accepted so far
	most   int // the most open at once
	open   map[net.Conn]bool
	chunks []string
}

// Start listens on a free loopback port and forwards every connection to
// target (host:port). It stops, and cuts what is open, at t's cleanup.
func Start(t testing.TB, target string) *Relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{ln: ln, open: map[net.Conn]bool{}}
	t.Cleanup(func() { ln.Close(); r.Cut() })
	go r.serve(target)
	return r
}

func (r *Relay) serve(target string) {
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			continue
		}
		r.mu.Lock()
		r.conns++
		r.open[c] = true
		r.most = max(r.most, len(r.open))
		r.mu.Unlock()
		go func() {
			defer up.Close()
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					r.mu.Lock()
					r.chunks = append(r.chunks, string(buf[:n]))
					r.mu.Unlock()
					if _, werr := up.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}()
		go func() {
			io.Copy(c, up)
			c.Close()
			r.mu.Lock()
			delete(r.open, c)
			r.mu.Unlock()
		}()
	}
}

// Addr is the relay's host:port.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

// Counts returns the connections accepted so far and those still open.
func (r *Relay) Counts() (accepted, open int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.conns, len(r.open)
}

// MostOpen is the most connections that were open at once.
func (r *Relay) MostOpen() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.most
}

// Chunks returns what the clients wrote, one string per read.
func (r *Relay) Chunks() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.chunks...)
}

// Cut closes every client connection, without a goodbye.
func (r *Relay) Cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.open {
		c.Close()
	}
}

// WaitOpen waits (at most 5 s) until the relay holds n open client
// connections, and fails t otherwise.
func (r *Relay) WaitOpen(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, open := r.Counts()
		if open == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("open connections = %d, want %d", open, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
