package cdn_test

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
	"syscall"
	"testing"
	"time"

	"yuanxu/internal/provider/cdn"
	"yuanxu/internal/testutil/proc"
)

// edge is a private nginx started for one test.
type edge struct {
	opts  cdn.NginxOptions
	sites string // the rendered sites file
	port  int    // HTTP, on 127.0.0.1
	dir   string
	pid   int // the master
}

// startEdge runs nginx as a child process with its own prefix, main
// configuration, pid file and logs under t.TempDir(), listening on a free
// loopback port and including the sites file, which starts with a default
// server only. It skips without nginx locally and fails in CI.
func startEdge(t *testing.T) *edge {
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
		if os.Getenv("CI") != "" {
			t.Fatal("nginx is not installed (apt-get install nginx); it may not be skipped in CI")
		}
		t.Skip("nginx is not installed")
	}
	var lastErr error
	for range 3 {
		e, err := tryStartEdge(t, bin)
		if err == nil {
			return e
		}
		lastErr = err // most likely the port was taken between probe and bind
	}
	t.Fatalf("nginx did not start: %v", lastErr)
	return nil
}

func tryStartEdge(t *testing.T, bin string) (*edge, error) {
	dir := t.TempDir()
	for _, d := range []string{"sites", "tmp", "logs"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	e := &edge{dir: dir, port: port, sites: filepath.Join(dir, "sites", cdn.FileName)}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // workers read the temp dirs under t.TempDir(), mode 0700
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
		return nil, err
	}
	e.opts = cdn.NginxOptions{Binary: bin, Prefix: dir + "/", ConfigFile: conf, ErrorLog: filepath.Join(dir, "logs", "error.log")}
	initial, err := cdn.Render(nil, e.renderOptions())
	if err != nil {
		return nil, err
	}
	if err := cdn.WriteAtomic(e.sites, initial); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-p", dir+"/", "-c", conf, "-e", e.opts.ErrorLog, "-g", "daemon off;")
	p := proc.Start(t, cmd, syscall.SIGQUIT, 10*time.Second) // SIGQUIT: nginx's graceful shutdown
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-p.Exited():
			b, _ := os.ReadFile(e.opts.ErrorLog)
			return nil, fmt.Errorf("nginx exited: %s %s", p.Output(), b)
		default:
		}
		if c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			p.Stop() // before the next attempt, not at cleanup
			return nil, fmt.Errorf("nginx not listening after 10s: %s", p.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.pid = cmd.Process.Pid
	return e, nil
}

// workers returns the pids of the master's children (its workers).
func (e *edge) workers(t *testing.T) map[int]bool {
	t.Helper()
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	out := map[int]bool{}
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // exited meanwhile
		}
		// pid (comm) state ppid …; comm may contain spaces and parentheses.
		i := strings.LastIndexByte(string(b), ')')
		f := strings.Fields(string(b)[i+1:])
		if len(f) > 1 && f[1] == strconv.Itoa(e.pid) {
			pid, _ := strconv.Atoi(strings.Fields(string(b))[0])
			out[pid] = true
		}
	}
	return out
}

// deploy runs cdn.Deploy and, when it reloaded, waits until every worker
// of the old configuration has exited, so that the next request is
// served by the new one.
func (e *edge) deploy(t *testing.T, conf []byte) (bool, error) {
	t.Helper()
	before := e.workers(t)
	changed, err := cdn.Deploy(context.Background(), e.opts, e.sites, conf)
	if !changed || err != nil {
		return changed, err
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		now := e.workers(t)
		old := false
		for pid := range now {
			old = old || before[pid]
		}
		if !old && len(now) > 0 {
			return changed, nil
		}
		if time.Now().After(deadline) {
			t.Fatalf("old nginx workers %v still running after reload (now %v)", before, now)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *edge) renderOptions() cdn.RenderOptions {
	return cdn.RenderOptions{HTTPListen: []string{"127.0.0.1:" + strconv.Itoa(e.port)}, DefaultStatus: 404, AllowPrivateOrigins: true}
}

// get fetches / from the edge with the Host header host.
func (e *edge) get(t *testing.T, host string, header http.Header) (int, string, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(e.port)+"/", nil)
	req.Host = host
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// waitFor polls until the edge answers host with status five times in a
// row: a reload takes effect when new workers start, and old workers may
// accept a connection or two until the master tells them to stop.
func (e *edge) waitFor(t *testing.T, host string, status int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	streak := 0
	for {
		code, body, err := e.get(t, host, nil)
		if err == nil && code == status {
			if streak++; streak == 5 {
				return body
			}
			continue
		}
		streak = 0
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(e.opts.ErrorLog)
			t.Fatalf("edge answers %s with %d %q (%v), want %d; error log:\n%s", host, code, body, err, status, b)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

func TestEdgeServesSiteThroughNginx(t *testing.T) {
	t.Parallel()
	e := startEdge(t)
	ctx := context.Background()

	type seen struct{ host, xff, realIP, proto string }
	seenCh := make(chan seen, 64)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select { // never block the handler: Close waits for it
		case seenCh <- seen{r.Host, r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Real-IP"), r.Header.Get("X-Forwarded-Proto")}:
		default:
		}
		fmt.Fprint(w, "hello from the origin")
	}))
	t.Cleanup(origin.Close)
	originHost := strings.TrimPrefix(origin.URL, "http://")

	// Nothing configured: the default server answers.
	e.waitFor(t, "shop.example.test", http.StatusNotFound)

	sites := []cdn.Site{{ID: "shop", Hosts: []string{"shop.example.test"}, Origin: origin.URL}}
	conf, err := cdn.Render(sites, e.renderOptions())
	if err != nil {
		t.Fatal(err)
	}
	changed, err := e.deploy(t, conf)
	if err != nil || !changed {
		t.Fatalf("Deploy = %v, %v", changed, err)
	}
	if body := e.waitFor(t, "shop.example.test", http.StatusOK); body != "hello from the origin" {
		t.Fatalf("edge served %q", body)
	}
	drain(seenCh)
	// A client's own X-Forwarded-For does not reach the origin.
	code, _, err := e.get(t, "shop.example.test", http.Header{"X-Forwarded-For": {"6.6.6.6"}})
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET = %d, %v", code, err)
	}
	if got := <-seenCh; got != (seen{originHost, "127.0.0.1", "127.0.0.1", "http"}) {
		t.Fatalf("origin saw %+v, want Host %s and the edge's client address", got, originHost)
	}
	// Other hosts still get the default server.
	if code, _, err := e.get(t, "other.example.test", nil); err != nil || code != http.StatusNotFound {
		t.Fatalf("unknown host: %d, %v", code, err)
	}

	// The same file again: no reload.
	if changed, err := e.deploy(t, conf); err != nil || changed {
		t.Fatalf("Deploy(same) = %v, %v", changed, err)
	}

	// Customer host header.
	sites[0].HostHeader = cdn.HostHeaderCustomer
	conf2, _ := cdn.Render(sites, e.renderOptions())
	if _, err := e.deploy(t, conf2); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		drain(seenCh)
		if _, _, err := e.get(t, "shop.example.test", nil); err != nil {
			t.Fatal(err)
		}
		if got := <-seenCh; got.host == "shop.example.test" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("origin never saw the customer's Host")
		}
		time.Sleep(25 * time.Millisecond)
	}

	// A file nginx refuses (the certificate does not exist) is rolled
	// back; the edge keeps serving the last good configuration.
	bad := append([]cdn.Site(nil), sites...)
	bad[0].TLS = &cdn.TLSFiles{CertFile: filepath.Join(e.dir, "missing.crt"), KeyFile: filepath.Join(e.dir, "missing.key")}
	badConf, err := cdn.Render(bad, cdn.RenderOptions{HTTPListen: e.renderOptions().HTTPListen, HTTPSListen: []string{"127.0.0.1:1"}, DefaultStatus: 404, AllowPrivateOrigins: true})
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := e.deploy(t, badConf); err == nil || changed || !strings.Contains(err.Error(), "missing.crt") {
		t.Fatalf("Deploy(bad) = %v, %v; want nginx's refusal naming the file", changed, err)
	}
	if b, _ := os.ReadFile(e.sites); string(b) != string(conf2) {
		t.Fatalf("bad file not rolled back:\n%s", b)
	}
	e.waitFor(t, "shop.example.test", http.StatusOK)

	// Site removed: the default server answers again.
	empty, _ := cdn.Render(nil, e.renderOptions())
	if changed, err := e.deploy(t, empty); err != nil || !changed {
		t.Fatalf("Deploy(empty) = %v, %v", changed, err)
	}
	e.waitFor(t, "shop.example.test", http.StatusNotFound)

	if err := cdn.Reload(ctx, e.opts); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if err := cdn.Check(ctx, cdn.NginxOptions{Binary: e.opts.Binary, ConfigFile: filepath.Join(e.dir, "nope.conf"), ErrorLog: e.opts.ErrorLog}); err == nil {
		t.Fatal("Check of a missing configuration passed")
	}
}

func drain[T any](ch chan T) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}
