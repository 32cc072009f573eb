package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/testutil/proc"
	"yuanxu/internal/webtest"
)

// txtZone is a DNS server on loopback answering TXT queries from a map
// the test fills, as the customer's DNS provider would.
type txtZone struct {
	addr string
	mu   sync.Mutex
	txt  map[string]string
}

func startTXTZone(t *testing.T) *txtZone {
	t.Helper()
	z := &txtZone{txt: map[string]string{}}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		q := r.Question[0]
		z.mu.Lock()
		v, ok := z.txt[strings.ToLower(q.Name)]
		z.mu.Unlock()
		if !ok {
			m.Rcode = dns.RcodeNameError
		} else if q.Qtype == dns.TypeTXT {
			m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 60}, Txt: []string{v}})
		}
		_ = w.WriteMsg(m)
	})
	var pc net.PacketConn
	var ln net.Listener
	for attempt := 0; ln == nil; attempt++ {
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err != nil {
			pc.Close()
			if attempt == 10 {
				t.Fatal(err)
			}
		}
	}
	for _, srv := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
		started := make(chan struct{})
		srv.NotifyStartedFunc = func() { close(started) }
		go func() { _ = srv.ActivateAndServe() }()
		<-started
		t.Cleanup(func() { _ = srv.Shutdown() })
	}
	z.addr = pc.LocalAddr().String()
	return z
}

// publish sets the TXT value of name.
func (z *txtZone) publish(name, value string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.txt[strings.ToLower(name)+"."] = value
}

// cdnEdge is what setupCDNEdge made.
type cdnEdge struct {
	svc       string // the CDN service, its domain onboarded, not verified
	site      app.CDNSiteView
	tokenFile string // the edge's token
}

// setupCDNEdge configures the CDN delivery against zone (private
// origins allowed), puts the demo CDN product on the nginx driver,
// creates edge gz-edge-1 (its token in a file) and a loopback origin
// answering "origin saw host <Host>", and has cust buy a CDN service and
// onboard shop.example.test onto it.
func setupCDNEdge(t *testing.T, s *webtest.Server, cust, ops, admin account.Principal, zone *txtZone) cdnEdge {
	t.Helper()
	ctx := context.Background()
	if err := s.App.ConfigureDelivery(app.DeliveryConfig{CDNZone: "cdn.yuanxu.test", CDNResolver: zone.addr, CDNAllowPrivateOrigins: true}); err != nil {
		t.Fatal(err)
	}
	useDriver(t, s.App, admin, "cdn-traffic", "nginx")
	edge, err := s.App.NodeCreate(ctx, ops, app.NodeInput{ID: "gz-edge-1", Kind: "cdn", Name: "edge 1"})
	if err != nil {
		t.Fatal(err)
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "origin saw host %s", r.Host)
	}))
	t.Cleanup(origin.Close)
	e := cdnEdge{svc: buyOne(t, s.App, cust, "cdn-traffic", "c1t"), tokenFile: filepath.Join(t.TempDir(), "token")}
	if e.site, err = s.App.CDNOnboard(ctx, cust, e.svc, app.CDNSiteInput{Domain: "shop.example.test", Origin: origin.URL}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.tokenFile, []byte(edge.Token), 0o600); err != nil {
		t.Fatal(err)
	}
	return e
}

// privateNginx starts nginx with its own prefix and main configuration
// under a temporary directory (as internal/provider/cdn's tests do),
// listening on a free loopback port and including sites/*.conf. It
// returns the directory, the port and the agent flags that drive it.
func privateNginx(t *testing.T) (dir string, port int, flags []string) {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
			if _, err := os.Stat(p); err == nil {
				bin = p
			}
		}
	}
	if bin == "" {
		skipOrFail(t, "nginx is not installed")
	}
	dir = t.TempDir()
	for _, d := range []string{"sites", "tmp", "logs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	main := fmt.Sprintf(`%[2]s
worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/logs/error.log info;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %[1]s/tmp/body;
    proxy_temp_path %[1]s/tmp/proxy;
    fastcgi_temp_path %[1]s/tmp/fastcgi;
    uwsgi_temp_path %[1]s/tmp/uwsgi;
    scgi_temp_path %[1]s/tmp/scgi;
    include %[1]s/sites/*.conf;
}
`, dir, user)
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		t.Fatal(err)
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	// A first file with the default server only, so nginx listens.
	if err := os.WriteFile(filepath.Join(dir, "sites", "yuanxu-sites.conf"),
		[]byte("server {\n    listen "+listen+" default_server;\n    return 404;\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	errLog := filepath.Join(dir, "logs", "error.log")
	cmd := exec.Command(bin, "-p", dir+"/", "-c", conf, "-e", errLog, "-g", "daemon off;")
	p := proc.Start(t, cmd, syscall.SIGQUIT, 10*time.Second) // SIGQUIT: nginx's graceful shutdown
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-p.Exited():
			t.Fatalf("nginx exited: %s", p.Output())
		default:
		}
		if c, err := net.DialTimeout("tcp", listen, time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx not listening: %s", p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	flags = []string{"--nginx-sites", filepath.Join(dir, "sites", "yuanxu-sites.conf"), "--nginx-binary", bin, "--nginx-prefix", dir + "/",
		"--nginx-config", conf, "--nginx-error-log", errLog, "--http-listen", listen, "--default-status", "404", "--allow-private-origins"}
	return dir, port, flags
}

// getVia fetches / from the edge with Host host until it answers status
// several times in a row (a reload takes effect as new workers start).
func getVia(t *testing.T, port int, host string, status int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	streak := 0
	for {
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(port)+"/", nil)
		req.Host = host
		c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		res, err := c.Do(req)
		var body string
		code := 0
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			body, code = string(b), res.StatusCode
		}
		if code == status {
			if streak++; streak == 5 {
				return body
			}
			continue
		}
		streak = 0
		if time.Now().After(deadline) {
			t.Fatalf("edge answers %s with %d %q (%v), want %d", host, code, body, err, status)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// TestAgentServesVerifiedSiteThroughNginx: a CDN service onboards a
// domain with a loopback origin; before the TXT record is verified the
// edge's agent renders no site (unknown host: 404); after the check
// (through a DNS server on loopback) the agent renders and reloads a
// private nginx, and a request with the customer's Host reaches the
// origin through the edge (that an edge gets only its own sites is
// internal/app's TestCDNDriverOnboardsAndVerifies).
func TestAgentServesVerifiedSiteThroughNginx(t *testing.T) {
	t.Parallel()
	_, port, nginxFlags := privateNginx(t)
	zone := startTXTZone(t)
	s, cust, _, ops, admin := agentServer(t)
	ctx := context.Background()
	e := setupCDNEdge(t, s, cust, ops, admin, zone)
	svc, site, tok := e.svc, e.site, e.tokenFile
	args := append([]string{"--server", s.URL, "--token-file", tok, "--once"}, nginxFlags...)
	if out, err := runAgent(t, args...); err != nil {
		t.Fatalf("agent: %v\n%s", err, out)
	}
	getVia(t, port, "shop.example.test", http.StatusNotFound) // not verified: not served

	zone.publish(site.TXTName, site.TXTValue)
	if v, err := s.App.CDNCheck(ctx, cust, svc); err != nil || !v.Verified {
		t.Fatalf("check = %+v, %v", v, err)
	}
	if out, err := runAgent(t, args...); err != nil {
		t.Fatalf("agent: %v\n%s", err, out)
	}
	if body := getVia(t, port, "shop.example.test", http.StatusOK); body != "origin saw host shop.example.test" {
		t.Fatalf("through the edge: %q", body)
	}
	getVia(t, port, "other.example.test", http.StatusNotFound)
	if d, err := s.App.ServiceDelivery(ctx, cust, svc); err != nil || d.Status != "delivered" {
		t.Fatalf("delivery = %+v, %v", d, err)
	}

	// A revoked edge token: the agent fails clearly and the edge keeps
	// serving what it had.
	if _, err := s.App.NodeRevoke(ctx, ops, "gz-edge-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := runAgent(t, args...); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("agent with a revoked token = %v", err)
	}
	getVia(t, port, "shop.example.test", http.StatusOK)
}
