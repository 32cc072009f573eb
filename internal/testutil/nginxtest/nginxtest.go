// Package nginxtest runs a private nginx for one test: its own prefix,
// main configuration, pid file, temp directories and logs under
// t.TempDir(), listening on a free loopback port and including one sites
// file the test (or the code under test) rewrites and reloads.
package nginxtest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"yuanxu/internal/testutil/proc"
)

// Nginx is a running nginx master.
type Nginx struct {
	Bin      string // the nginx binary
	Dir      string // the prefix, with sites/, tmp/ and logs/
	Conf     string // the main configuration file
	ErrorLog string
	Sites    string // Dir/sites/<name>: the included sites file
	Port     int    // HTTP on 127.0.0.1
	PID      int    // the master
	Proc     *proc.Process
}

// Listen is the "127.0.0.1:port" nginx listens on.
func (n *Nginx) Listen() string { return "127.0.0.1:" + strconv.Itoa(n.Port) }

// Binary finds nginx on PATH or where Debian installs it. Without it the
// test skips locally and fails when CI is set.
func Binary(t testing.TB) string {
	t.Helper()
	if bin, err := exec.LookPath("nginx"); err == nil {
		return bin
	}
	for _, p := range []string{"/usr/sbin/nginx", "/usr/local/sbin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("nginx is not installed (apt-get install nginx); it may not be skipped in CI")
	}
	t.Skip("nginx is not installed")
	return ""
}

// Start runs nginx until the test ends (stopped gracefully, SIGQUIT). The
// sites file, named sites under Dir/sites, starts with what initial
// renders for the listen address; it must make nginx listen there (a
// default server). Start waits until nginx accepts connections, trying
// three times (a free port may be taken between probe and bind).
func Start(t testing.TB, sites string, initial func(listen string) ([]byte, error)) *Nginx {
	t.Helper()
	bin := Binary(t)
	var lastErr error
	for range 3 {
		n, err := try(t, bin, sites, initial)
		if err == nil {
			return n
		}
		lastErr = err
	}
	t.Fatalf("nginx did not start: %v", lastErr)
	return nil
}

func try(t testing.TB, bin, sites string, initial func(listen string) ([]byte, error)) (*Nginx, error) {
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
	n := &Nginx{Bin: bin, Dir: dir, Conf: filepath.Join(dir, "nginx.conf"), ErrorLog: filepath.Join(dir, "logs", "error.log"),
		Sites: filepath.Join(dir, "sites", sites), Port: ln.Addr().(*net.TCPAddr).Port}
	ln.Close()
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
	if err := os.WriteFile(n.Conf, []byte(main), 0o644); err != nil {
		return nil, err
	}
	first, err := initial(n.Listen())
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(n.Sites, first, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "-p", dir+"/", "-c", n.Conf, "-e", n.ErrorLog, "-g", "daemon off;")
	n.Proc = proc.Start(t, cmd, syscall.SIGQUIT, 10*time.Second) // SIGQUIT: nginx's graceful shutdown
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-n.Proc.Exited():
			b, _ := os.ReadFile(n.ErrorLog)
			return nil, fmt.Errorf("nginx exited: %s %s", n.Proc.Output(), b)
		default:
		}
		if c, err := net.DialTimeout("tcp", n.Listen(), time.Second); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			n.Proc.Stop() // before the next attempt, not at cleanup
			return nil, fmt.Errorf("nginx not listening after 10s: %s", n.Proc.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	n.PID = cmd.Process.Pid
	return n, nil
}

// Get fetches / from nginx with the Host header host (and header), on a
// fresh connection.
func (n *Nginx) Get(host string, header http.Header) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, "http://"+n.Listen()+"/", nil)
	if err != nil {
		return 0, "", err
	}
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

// WaitFor polls until nginx answers host with status five times in a row,
// and returns the body: a reload takes effect when new workers start, and
// old workers may accept a connection or two until the master tells them
// to stop. After 10 s it fails the test with the error log.
func (n *Nginx) WaitFor(t testing.TB, host string, status int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	streak := 0
	for {
		code, body, err := n.Get(host, nil)
		if err == nil && code == status {
			if streak++; streak == 5 {
				return body
			}
			continue
		}
		streak = 0
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(n.ErrorLog)
			t.Fatalf("nginx answers %s with %d %q (%v), want %d; error log:\n%s", host, code, body, err, status, b)
		}
		time.Sleep(25 * time.Millisecond)
	}
}
