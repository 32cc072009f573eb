// Package mailpittest starts the real mailpit binary (DESIGN.md §7:
// github.com/axllent/mailpit v1.33.1) on free loopback ports for a test and
// reads what it received through mailpit's HTTP API (/api/v1). Without the
// binary the test skips — unless CI is set, where it fails.
//
// Permanent and temporary SMTP refusals come from mailpit's chaos feature:
// Options.Chaos ("Recipient:550:100") or SetChaos at run time.
package mailpittest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Options tune a mailpit instance.
type Options struct {
	// Chaos sets mailpit's --chaos-triggers, e.g. "Recipient:550:100";
	// chaos is always enabled so that SetChaos works.
	Chaos string
	// TLSCert and TLSKey (PEM files) enable STARTTLS; RequireTLS makes
	// the SMTP port implicit TLS instead.
	TLSCert, TLSKey string
	RequireTLS      bool
	// AuthAny accepts any SMTP username and password.
	AuthAny bool
}

// Server is a running mailpit.
type Server struct {
	SMTPHost string
	SMTPPort int
	APIURL   string // http://127.0.0.1:port
	http     *http.Client
}

// Binary returns the mailpit binary's path: on PATH, else in GOBIN or
// $(go env GOPATH)/bin.
func Binary() (string, bool) {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p, true
	}
	dirs := []string{os.Getenv("GOBIN")}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		for _, p := range filepath.SplitList(strings.TrimSpace(string(out))) {
			dirs = append(dirs, filepath.Join(p, "bin"))
		}
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		p := filepath.Join(d, "mailpit")
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, true
		}
	}
	return "", false
}

// Start runs mailpit for the test and stops it at cleanup.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	bin, ok := Binary()
	if !ok {
		if os.Getenv("CI") != "" {
			t.Fatal("mailpit is not installed (go install github.com/axllent/mailpit@v1.33.1); it may not be skipped in CI")
		}
		t.Skip("mailpit is not installed")
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := start(t, bin, o)
		if err == nil {
			return s
		}
		lastErr = err // most likely a port taken between probe and bind
	}
	t.Fatalf("mailpit did not start: %v", lastErr)
	return nil
}

func start(t testing.TB, bin string, o Options) (*Server, error) {
	smtpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := t.TempDir()
	args := []string{
		"--listen", "127.0.0.1:" + strconv.Itoa(httpPort), "--smtp", "127.0.0.1:" + strconv.Itoa(smtpPort),
		"--database", filepath.Join(dir, "mailpit.db"), "--disable-version-check", "--smtp-disable-rdns",
		"--quiet", "--enable-chaos",
	}
	if o.Chaos != "" {
		args = append(args, "--chaos-triggers", o.Chaos)
	}
	if o.TLSCert != "" {
		args = append(args, "--smtp-tls-cert", o.TLSCert, "--smtp-tls-key", o.TLSKey)
		if o.RequireTLS {
			args = append(args, "--smtp-require-tls")
		}
	}
	if o.AuthAny {
		args = append(args, "--smtp-auth-accept-any")
		if o.TLSCert == "" {
			args = append(args, "--smtp-auth-allow-insecure")
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		return nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		cancel()
		<-exited
	}
	s := &Server{SMTPHost: "127.0.0.1", SMTPPort: smtpPort, APIURL: "http://127.0.0.1:" + strconv.Itoa(httpPort), http: &http.Client{Timeout: 10 * time.Second}}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			cancel()
			return nil, fmt.Errorf("mailpit exited: %s", logs.String())
		default:
		}
		if resp, err := s.http.Get(s.APIURL + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("mailpit not ready after 15s: %s", logs.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Cleanup(stop)
	return s, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// SMTPURL returns an smtp:// URL for the server (no TLS unless tls says).
func (s *Server) SMTPURL(tls string) string {
	return fmt.Sprintf("smtp://%s:%d?tls=%s", s.SMTPHost, s.SMTPPort, tls)
}

// Address is a mailpit address.
type Address struct {
	Name    string `json:"Name"`
	Address string `json:"Address"`
}

// Summary is a message in mailpit's list.
type Summary struct {
	ID        string    `json:"ID"`
	MessageID string    `json:"MessageID"`
	From      Address   `json:"From"`
	To        []Address `json:"To"`
	Subject   string    `json:"Subject"`
	Created   time.Time `json:"Created"`
}

// Message is one message with its bodies.
type Message struct {
	ID              string    `json:"ID"`
	MessageID       string    `json:"MessageID"`
	From            Address   `json:"From"`
	To              []Address `json:"To"`
	Subject         string    `json:"Subject"`
	Text            string    `json:"Text"`
	HTML            string    `json:"HTML"`
	ListUnsubscribe struct {
		Header string `json:"Header"`
		Links  []string
	} `json:"ListUnsubscribe"`
}

func (s *Server) get(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := s.http.Get(s.APIURL + path)
	if err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("mailpit %s: %v", path, err)
	}
}

// Messages lists every message received, newest first.
func (s *Server) Messages(t testing.TB) []Summary {
	t.Helper()
	var r struct {
		Messages []Summary `json:"messages"`
	}
	s.get(t, "/api/v1/messages?limit=1000", &r)
	return r.Messages
}

// Message returns one message by mailpit id.
func (s *Server) Message(t testing.TB, id string) Message {
	t.Helper()
	var m Message
	s.get(t, "/api/v1/message/"+id, &m)
	return m
}

// Headers returns a message's headers.
func (s *Server) Headers(t testing.TB, id string) map[string][]string {
	t.Helper()
	h := map[string][]string{}
	s.get(t, "/api/v1/message/"+id+"/headers", &h)
	return h
}

// WaitFor waits until at least n messages arrived and returns them.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Summary {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := s.Messages(t)
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit has %d messages after %v, want %d", len(msgs), timeout, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Trigger is one chaos trigger: an SMTP reply code returned with a
// probability in percent.
type Trigger struct {
	ErrorCode   int `json:"ErrorCode"`
	Probability int `json:"Probability"`
}

// Chaos is mailpit's chaos configuration.
type Chaos struct {
	Sender         Trigger `json:"Sender"`
	Recipient      Trigger `json:"Recipient"`
	Authentication Trigger `json:"Authentication"`
}

// SetChaos replaces the chaos triggers (PUT /api/v1/chaos).
func (s *Server) SetChaos(t testing.TB, c Chaos) {
	t.Helper()
	b, _ := json.Marshal(c)
	req, _ := http.NewRequest(http.MethodPut, s.APIURL+"/api/v1/chaos", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit chaos: HTTP %d", resp.StatusCode)
	}
}
