package email_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/mailpittest"
	"yuanxu/internal/provider/email"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want email.Endpoint
		err  string
	}{
		{"smtp://u:p%40ss@mail.example.com", email.Endpoint{Host: "mail.example.com", Port: 587, Username: "u", Password: "p@ss", TLS: "starttls"}, ""},
		{"smtp://127.0.0.1:1025?tls=none", email.Endpoint{Host: "127.0.0.1", Port: 1025, TLS: "none"}, ""},
		{"smtp://h:25?tls=opportunistic", email.Endpoint{Host: "h", Port: 25, TLS: "opportunistic"}, ""},
		{"smtps://u:secret@h", email.Endpoint{Host: "h", Port: 465, Username: "u", Password: "secret", TLS: "implicit"}, ""},
		{"http://h", email.Endpoint{}, "scheme"},
		{"smtp://h?tls=maybe", email.Endpoint{}, "tls="},
		{"smtp://u:secret@h:99999", email.Endpoint{}, "port"},
		{"smtp://", email.Endpoint{}, "no host"},
	}
	for _, tt := range tests {
		got, err := email.ParseURL(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || strings.Contains(err.Error(), "secret") {
				t.Errorf("ParseURL(%q) err = %v, want %q without the password", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseURL(%q) = %+v, %v", tt.in, got, err)
		}
	}
}

func client(t *testing.T, url string, tc *tls.Config) *email.Client {
	t.Helper()
	ep, err := email.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c, err := email.New(email.Config{Endpoint: ep, From: "元序 <noreply@yuanxu.test>", Timeout: 5 * time.Second, TLSConfig: tc})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSendMultipartInBothLanguages(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	c := client(t, mp.SMTPURL("none"), nil)
	ctx := context.Background()
	msgs := []email.Message{
		{To: "alice@example.com", Subject: "退款申请 RF-1 审核结果", Text: "您的退款申请 RF-1 审核结果：通过。", HTML: "<p>您的退款申请 RF-1 审核结果：通过。</p>", MessageID: "d1@yuanxu.test", Lang: "zh-CN"},
		{To: "bob@example.com", Subject: "Refund request RF-2: decision", Text: "Approved.", HTML: "<p>Approved.</p>", MessageID: "d2@yuanxu.test", Lang: "en", ListUnsubscribe: "https://yuanxu.test/u?t=abc"},
	}
	for _, m := range msgs {
		res, err := c.Send(ctx, m)
		if err != nil || res.MessageID != m.MessageID {
			t.Fatalf("send %s: %+v, %v", m.MessageID, res, err)
		}
	}
	got := map[string]mailpittest.Summary{}
	for _, s := range mp.WaitFor(t, 2, 10*time.Second) {
		got[s.MessageID] = s
	}
	for _, m := range msgs {
		s, ok := got[m.MessageID]
		if !ok {
			t.Fatalf("mailpit has no message %s: %+v", m.MessageID, got)
		}
		full := mp.Message(t, s.ID)
		if full.Subject != m.Subject || strings.TrimSpace(full.Text) != m.Text || !strings.Contains(full.HTML, m.HTML) || full.To[0].Address != m.To || full.From.Address != "noreply@yuanxu.test" {
			t.Errorf("%s arrived as %+v", m.MessageID, full)
		}
		h := mp.Headers(t, s.ID)
		if h["Content-Language"][0] != m.Lang || h["Auto-Submitted"][0] != "auto-generated" || !strings.Contains(h["Content-Type"][0], "multipart/alternative") {
			t.Errorf("%s headers %v", m.MessageID, h)
		}
		if unsub := h["List-Unsubscribe"]; (m.ListUnsubscribe != "") != (len(unsub) == 1) || (len(unsub) == 1 && unsub[0] != "<"+m.ListUnsubscribe+">") {
			t.Errorf("%s List-Unsubscribe = %v", m.MessageID, unsub)
		}
	}
}

func TestRefusalsAndFailures(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{Chaos: "Recipient:550:100"})
	ctx := context.Background()
	m := email.Message{To: "x@example.com", Subject: "s", Text: "t", MessageID: "r1@yuanxu.test"}
	_, err := client(t, mp.SMTPURL("none"), nil).Send(ctx, m)
	var ee *email.Error
	if !errors.As(err, &ee) || ee.Code != 550 || ee.Temporary() {
		t.Fatalf("permanent refusal: err = %#v", err)
	}
	mp.SetChaos(t, mailpittest.Chaos{Recipient: mailpittest.Trigger{ErrorCode: 451, Probability: 100}})
	_, err = client(t, mp.SMTPURL("none"), nil).Send(ctx, m)
	if !errors.As(err, &ee) || ee.Code != 451 || !ee.Temporary() {
		t.Fatalf("temporary refusal: err = %#v", err)
	}
	if n := len(mp.Messages(t)); n != 0 {
		t.Errorf("refused mail arrived: %d", n)
	}

	// Nobody listening; a server that accepts and never answers; STARTTLS
	// required but not offered: all temporary.
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedURL := "smtp://" + closed.Addr().String() + "?tls=none"
	closed.Close()
	silent, _ := net.Listen("tcp", "127.0.0.1:0")
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	ep, _ := email.ParseURL("smtp://" + silent.Addr().String() + "?tls=none")
	slow, _ := email.New(email.Config{Endpoint: ep, From: "a@yuanxu.test", Timeout: 300 * time.Millisecond})
	for name, c := range map[string]*email.Client{
		"Refused":         client(t, closedURL, nil),
		"Timeout":         slow,
		"STARTTLSMissing": client(t, mp.SMTPURL("starttls"), nil),
	} {
		start := time.Now()
		_, err := c.Send(ctx, m)
		if !errors.As(err, &ee) || !ee.Temporary() || ee.Code != 0 {
			t.Errorf("%s: err = %#v, want a temporary failure without reply code", name, err)
		}
		if time.Since(start) > 5*time.Second {
			t.Errorf("%s took %v", name, time.Since(start))
		}
	}
	if _, err := client(t, mp.SMTPURL("none"), nil).Send(ctx, email.Message{To: "not an address", MessageID: "x@y"}); !errors.As(err, &ee) || ee.Temporary() {
		t.Errorf("bad recipient: %v", err)
	}
}

// TestTLSAndAuth: STARTTLS with authentication, and implicit TLS, against
// mailpit with a certificate made here and trusted by the client.
func TestTLSAndAuth(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	tc := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	ctx := context.Background()
	for _, tt := range []struct {
		name    string
		require bool
		url     func(*mailpittest.Server) string
	}{
		{"STARTTLS", false, func(s *mailpittest.Server) string {
			return "smtp://user:pass@127.0.0.1:" + itoa(s.SMTPPort)
		}},
		{"Implicit", true, func(s *mailpittest.Server) string {
			return "smtps://user:pass@127.0.0.1:" + itoa(s.SMTPPort)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mp := mailpittest.Start(t, mailpittest.Options{TLSCert: certFile, TLSKey: keyFile, RequireTLS: tt.require, AuthAny: true})
			if _, err := client(t, tt.url(mp), tc).Send(ctx, email.Message{To: "a@example.com", Subject: "tls", Text: "t", MessageID: tt.name + "@yuanxu.test"}); err != nil {
				t.Fatal(err)
			}
			if msgs := mp.WaitFor(t, 1, 10*time.Second); msgs[0].MessageID != tt.name+"@yuanxu.test" {
				t.Fatalf("got %+v", msgs)
			}
		})
	}
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mailpit test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}
