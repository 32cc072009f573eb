package pebbletest

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"testing"
)

// challtestsrv's management API (pebble-challtestsrv v2.10.1): POST JSON to
// /add-a {host, addresses}, /clear-a {host}, /set-txt {host, value} (adds a
// value), /clear-txt {host} (all values), /set-cname {host, target},
// /clear-cname {host}. Hosts are made fully qualified by challtestsrv.

// AddA makes host resolve to the IPv4 addresses (e.g. "127.0.0.1").
func (s *Server) AddA(t testing.TB, host string, addrs ...string) {
	t.Helper()
	s.challPost(t, "/add-a", map[string]any{"host": host, "addresses": addrs})
}

// ClearA removes host's A records.
func (s *Server) ClearA(t testing.TB, host string) {
	t.Helper()
	s.challPost(t, "/clear-a", map[string]any{"host": host})
}

// AddTXT adds one TXT value at host (values accumulate).
func (s *Server) AddTXT(t testing.TB, host, value string) {
	t.Helper()
	s.challPost(t, "/set-txt", map[string]any{"host": host, "value": value})
}

// ClearTXT removes every TXT value at host.
func (s *Server) ClearTXT(t testing.TB, host string) {
	t.Helper()
	s.challPost(t, "/clear-txt", map[string]any{"host": host})
}

// SetCNAME makes host an alias of target for every query type.
func (s *Server) SetCNAME(t testing.TB, host, target string) {
	t.Helper()
	s.challPost(t, "/set-cname", map[string]any{"host": host, "target": target})
}

// ClearCNAME removes host's CNAME.
func (s *Server) ClearCNAME(t testing.TB, host string) {
	t.Helper()
	s.challPost(t, "/clear-cname", map[string]any{"host": host})
}

func (s *Server) challPost(t testing.TB, path string, body any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := s.http.Post(s.challURL+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("challtestsrv %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("challtestsrv %s: HTTP %d: %s", path, resp.StatusCode, msg)
	}
}

// RootPEM returns the PEM of Pebble's current root CA (management
// /roots/0). Pebble generates it at start, so it differs per Server.
func (s *Server) RootPEM(t testing.TB) []byte {
	t.Helper()
	return s.mgmtGet(t, "/roots/0")
}

// IntermediatePEM returns the PEM of Pebble's current intermediate CA
// (management /intermediates/0).
func (s *Server) IntermediatePEM(t testing.TB) []byte {
	t.Helper()
	return s.mgmtGet(t, "/intermediates/0")
}

// Roots returns a pool holding Pebble's root, for verifying issued chains.
func (s *Server) Roots(t testing.TB) *x509.CertPool {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.RootPEM(t)) {
		t.Fatal("pebbletest: no certificate in /roots/0")
	}
	return pool
}

func (s *Server) mgmtGet(t testing.TB, path string) []byte {
	t.Helper()
	resp, err := s.http.Get(s.ManagementURL + path)
	if err != nil {
		t.Fatalf("pebble management %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("pebble management %s: HTTP %d: %v", path, resp.StatusCode, err)
	}
	if blk, _ := pem.Decode(b); blk == nil {
		t.Fatalf("pebble management %s: not PEM", path)
	}
	return b
}
