package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/pebbletest"
	"yuanxu/internal/testutil/dnstest"
)

// getTLS fetches / over HTTPS from 127.0.0.1:port with SNI host, trusting
// only roots, until it answers 200 several times in a row (a reload takes
// effect as new workers start); it returns the body and the leaf.
func getTLS(t *testing.T, port int, host string, tc *tls.Config) (string, *tls.ConnectionState) {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: tc,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, "127.0.0.1:"+strconv.Itoa(port))
		}}
	c := &http.Client{Timeout: 5 * time.Second, Transport: tr}
	deadline := time.Now().Add(15 * time.Second)
	streak := 0
	for {
		res, err := c.Get("https://" + host + "/")
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				if streak++; streak == 5 {
					return string(b), res.TLS
				}
				continue
			}
			err = fmt.Errorf("status %d %q", res.StatusCode, b)
		}
		streak = 0
		if time.Now().After(deadline) {
			t.Fatalf("https://%s through the edge: %v", host, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestAgentServesSiteOverHTTPSWithACMECertificate: a verified CDN site
// gets its certificate from Pebble by HTTP-01, the CA's validation
// request going through the edge (the agent's nginx forwards
// /.well-known/acme-challenge/ to the server); the agent's next pull
// brings the certificate and key, and a client that trusts only Pebble's
// root fetches the origin's page over HTTPS with the customer's host name
// (SNI) through the edge. An unknown name is refused at the handshake.
func TestAgentServesSiteOverHTTPSWithACMECertificate(t *testing.T) {
	t.Parallel()
	edge, nginxFlags := privateNginx(t)
	zone := dnstest.NewTXTZone(t)
	pebble := pebbletest.Start(t, pebbletest.Options{})
	// Pebble validates on its own HTTP port: send it to the edge, as
	// DNS would send the CA to the edge the domain's CNAME names.
	edgeURL, _ := url.Parse("http://" + edge.Listen())
	pebble.ServeHTTP01(t, httputil.NewSingleHostReverseProxy(edgeURL))
	pebble.AddA(t, "shop.example.test", "127.0.0.1")

	s, cust, _, ops, admin := agentServer(t)
	ctx := context.Background()
	e := setupCDNEdge(t, s, cust, ops, admin, zone)
	if err := s.App.ConfigureACME(ctx, app.ACMEConfig{DirectoryURL: pebble.DirectoryURL, HTTPClient: pebble.HTTPClient(), Email: "ops@yuanxu.test",
		PollInterval: 50 * time.Millisecond, StepTimeout: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	zone.Publish(e.site.TXTName, e.site.TXTValue)
	if v, err := s.App.CDNCheck(ctx, cust, e.svc); err != nil || !v.Verified {
		t.Fatalf("check = %+v, %v", v, err)
	}

	httpsAddr := freeAddr(t)
	httpsPort, _ := strconv.Atoi(httpsAddr[strings.LastIndexByte(httpsAddr, ':')+1:])
	tlsDir := filepath.Join(t.TempDir(), "tls")
	args := append([]string{"--server", s.URL, "--token-file", e.tokenFile, "--once", "--https-listen", httpsAddr,
		"--tls-dir", tlsDir}, nginxFlags...)
	if out, err := runAgent(t, args...); err != nil { // HTTP, and the challenge path forwarded
		t.Fatalf("agent: %v\n%s", err, out)
	}
	edge.WaitFor(t, "shop.example.test", http.StatusOK)
	// The certificate is ordered now that the edge serves the site (the
	// server's own periodic sweep may get there first, or try while the
	// edge was reloading and back off: the sandbox clock moves past that).
	for i := 0; ; i++ {
		if _, err := s.App.CDNCertSweep(ctx, s.App.Now()); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.App.DB().Writer().QueryRowContext(ctx, `SELECT COUNT(*) FROM cdn_site_cert WHERE service_id = $1 AND cert_pem <> ''`,
			e.svc).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if i == 3 {
			t.Fatal("no certificate for the site")
		}
		if _, err := s.App.SandboxAdvance(ctx, 11*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := runAgent(t, args...); err != nil {
		t.Fatalf("agent: %v\n%s", err, out)
	}

	tc := &tls.Config{RootCAs: pebble.Roots(t), ServerName: "shop.example.test"}
	body, cs := getTLS(t, httpsPort, "shop.example.test", tc)
	if body != "origin saw host shop.example.test" {
		t.Fatalf("over HTTPS through the edge: %q", body)
	}
	if leaf := cs.PeerCertificates[0]; leaf.VerifyHostname("shop.example.test") != nil {
		t.Fatalf("served certificate for %v", leaf.DNSNames)
	}
	keys, _ := filepath.Glob(filepath.Join(tlsDir, "*.key"))
	if len(keys) != 1 {
		t.Fatalf("keys on the edge: %v", keys)
	}
	if st, err := os.Stat(keys[0]); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v, %v", st, err)
	}
	conn, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(httpsPort), &tls.Config{RootCAs: pebble.Roots(t), ServerName: "other.example.test"})
	if err == nil {
		conn.Close()
		t.Fatal("an unknown name got a TLS handshake")
	}
}
