package cdn_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/provider/cdn"
	"yuanxu/internal/testutil/nginxtest"
)

// edge is a private nginx started for one test, and the options cdn's
// functions drive it with.
type edge struct {
	*nginxtest.Nginx
	opts cdn.NginxOptions
}

// startEdge runs nginx (nginxtest.Start) with the sites file rendered for
// no sites: a default server only. It skips without nginx locally and
// fails in CI.
func startEdge(t *testing.T) *edge {
	t.Helper()
	n := nginxtest.Start(t, cdn.FileName, func(listen string) ([]byte, error) {
		return cdn.Render(nil, renderOptions(listen))
	})
	return &edge{Nginx: n, opts: cdn.NginxOptions{Binary: n.Bin, Prefix: n.Dir + "/", ConfigFile: n.Conf, ErrorLog: n.ErrorLog}}
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
		if len(f) > 1 && f[1] == strconv.Itoa(e.PID) {
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
	changed, err := cdn.Deploy(context.Background(), e.opts, e.Sites, conf)
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

func (e *edge) renderOptions() cdn.RenderOptions { return renderOptions(e.Listen()) }

func renderOptions(listen string) cdn.RenderOptions {
	return cdn.RenderOptions{HTTPListen: []string{listen}, DefaultStatus: 404, AllowPrivateOrigins: true}
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
	e.WaitFor(t, "shop.example.test", http.StatusNotFound)

	sites := []cdn.Site{{ID: "shop", Hosts: []string{"shop.example.test"}, Origin: origin.URL}}
	conf, err := cdn.Render(sites, e.renderOptions())
	if err != nil {
		t.Fatal(err)
	}
	changed, err := e.deploy(t, conf)
	if err != nil || !changed {
		t.Fatalf("Deploy = %v, %v", changed, err)
	}
	if body := e.WaitFor(t, "shop.example.test", http.StatusOK); body != "hello from the origin" {
		t.Fatalf("edge served %q", body)
	}
	drain(seenCh)
	// A client's own X-Forwarded-For does not reach the origin.
	code, _, err := e.Get("shop.example.test", http.Header{"X-Forwarded-For": {"6.6.6.6"}})
	if err != nil || code != http.StatusOK {
		t.Fatalf("GET = %d, %v", code, err)
	}
	if got := <-seenCh; got != (seen{originHost, "127.0.0.1", "127.0.0.1", "http"}) {
		t.Fatalf("origin saw %+v, want Host %s and the edge's client address", got, originHost)
	}
	// Other hosts still get the default server.
	if code, _, err := e.Get("other.example.test", nil); err != nil || code != http.StatusNotFound {
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
		if _, _, err := e.Get("shop.example.test", nil); err != nil {
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
	bad[0].TLS = &cdn.TLSFiles{CertFile: filepath.Join(e.Dir, "missing.crt"), KeyFile: filepath.Join(e.Dir, "missing.key")}
	badConf, err := cdn.Render(bad, cdn.RenderOptions{HTTPListen: e.renderOptions().HTTPListen, HTTPSListen: []string{"127.0.0.1:1"}, DefaultStatus: 404, AllowPrivateOrigins: true})
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := e.deploy(t, badConf); err == nil || changed || !strings.Contains(err.Error(), "missing.crt") {
		t.Fatalf("Deploy(bad) = %v, %v; want nginx's refusal naming the file", changed, err)
	}
	if b, _ := os.ReadFile(e.Sites); string(b) != string(conf2) {
		t.Fatalf("bad file not rolled back:\n%s", b)
	}
	e.WaitFor(t, "shop.example.test", http.StatusOK)

	// Site removed: the default server answers again.
	empty, _ := cdn.Render(nil, e.renderOptions())
	if changed, err := e.deploy(t, empty); err != nil || !changed {
		t.Fatalf("Deploy(empty) = %v, %v", changed, err)
	}
	e.WaitFor(t, "shop.example.test", http.StatusNotFound)

	if err := cdn.Reload(ctx, e.opts); err != nil {
		t.Fatalf("Reload: %v", err)
	}
	if err := cdn.Check(ctx, cdn.NginxOptions{Binary: e.opts.Binary, ConfigFile: filepath.Join(e.Dir, "nope.conf"), ErrorLog: e.opts.ErrorLog}); err == nil {
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
