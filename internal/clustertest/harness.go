// Package clustertest runs real `yuanxu serve` processes for reliability
// tests (issue 18): several instances on one database behind a
// round-robin load balancer, one sandbox payment gateway shared by all of
// them and kept across their restarts, and customers driving them over
// HTTP. Instances are killed (SIGKILL) and stopped (SIGTERM) as an
// operator or a crash would; the tests then check what survived through
// the API, the ledger and `yuanxu admin verify`.
//
// The binary is built once per test process ([Build]). A Cluster's
// database is one PostgreSQL database (storetest.NewPostgresDatabase:
// skipped locally without PostgreSQL, failing when CI is set) or one
// SQLite file.
//
// Environment: YUANXU_CLUSTER_KILLS=N sets how many SIGKILLs
// TestCrashConsistency deals per engine (default 3; the long run is 20);
// YUANXU_CLUSTER_VERBOSE=1 logs every sandbox gateway delivery;
// YUANXU_CLUSTER_DEBUG=1 logs the job queue while notifications wait
// (SQLite). On failure every instance's log is printed.
package clustertest

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"yuanxu/internal/provider/payment/sandboxgw"
	"yuanxu/internal/store/storetest"
)

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// Build compiles cmd/yuanxu once per test process (go build -o) and
// returns the binary's path. The binary lives in a directory removed by
// Cleanup, the caller's TestMain.
func Build(dir string) (string, error) {
	buildOnce.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			buildErr = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		root := filepath.Dir(strings.TrimSpace(string(out)))
		buildBin = filepath.Join(dir, "yuanxu")
		cmd := exec.Command("go", "build", "-o", buildBin, "./cmd/yuanxu")
		cmd.Dir = root
		if b, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, b)
		}
	})
	return buildBin, buildErr
}

// Engine is where a cluster keeps its data.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Options configure a cluster.
type Options struct {
	Bin       string // from Build
	Engine    Engine
	Instances int // default 1
}

// Cluster is N instances of `yuanxu serve --demo` on one database, a load
// balancer in front of them and one shared sandbox gateway.
type Cluster struct {
	t       testing.TB
	bin     string
	dir     string
	dbArgs  []string
	pgArgs  []string // serve's PostgreSQL settings (README "Several instances")
	env     []string
	GW      *sandboxgw.Server
	LB      *Balancer
	Members []*Instance
}

// NewCluster starts the gateway, the balancer and the instances (the
// first alone, so that the demo seed is made once) and stops everything
// at cleanup. On PostgreSQL it skips without YUANXU_TEST_POSTGRES unless
// CI is set.
func NewCluster(t testing.TB, o Options) *Cluster {
	t.Helper()
	if o.Instances < 1 {
		o.Instances = 1
	}
	c := &Cluster{t: t, bin: o.Bin, dir: t.TempDir()}
	switch o.Engine {
	case Postgres:
		c.dbArgs = []string{"--db", storetest.NewPostgresDatabase(t)}
		c.pgArgs = []string{"--db-pool", "10", "--db-statement-timeout", "30s"}
	default:
		c.dbArgs = []string{"--data", filepath.Join(c.dir, "data")}
		if err := os.MkdirAll(filepath.Join(c.dir, "data"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// The secrets every instance must share (README "Several instances").
	out, err := exec.Command(c.bin, "admin", "gen-secrets").Output()
	if err != nil {
		t.Fatalf("gen-secrets: %v", err)
	}
	c.env = append(os.Environ(), strings.Fields(string(out))...)
	c.LB = NewBalancer(t)
	retry := []time.Duration{300 * time.Millisecond, 500 * time.Millisecond, time.Second, time.Second, 2 * time.Second, 2 * time.Second,
		3 * time.Second, 3 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second, 5 * time.Second}
	gw, err := sandboxgw.Start(sandboxgw.Options{AlipayRetry: retry, WeChatRetry: retry, NotifyTimeout: 10 * time.Second,
		Logf: func(format string, args ...any) {
			if os.Getenv("YUANXU_CLUSTER_VERBOSE") != "" {
				t.Logf(format, args...)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	c.GW = gw
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gw.Close(ctx)
	})
	keys, _ := json.Marshal(gw.Keys())
	if err := os.WriteFile(filepath.Join(c.dir, "gw-keys.json"), keys, 0o600); err != nil {
		t.Fatal(err)
	}
	for i := range o.Instances {
		in := &Instance{c: c, n: i, addr: freeAddr(t)}
		c.Members = append(c.Members, in)
		c.LB.Add(in.URL())
		in.Start()
	}
	t.Cleanup(func() {
		for _, in := range c.Members {
			in.Kill()
		}
		if t.Failed() {
			c.dumpLogs()
		}
	})
	return c
}

// Verify runs `yuanxu admin verify` against the cluster's database and
// returns its output; it fails the test when verify fails.
func (c *Cluster) Verify() string {
	c.t.Helper()
	cmd := exec.Command(c.bin, append([]string{"admin", "verify"}, c.dbArgs...)...)
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		c.t.Fatalf("admin verify: %v\n%s", err, out)
	}
	return string(out)
}

// dumpLogs logs the warnings and errors every serve run wrote.
func (c *Cluster) dumpLogs() {
	logs, _ := filepath.Glob(filepath.Join(c.dir, "serve-*.log"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		if len(b) > 8000 {
			b = b[len(b)-8000:]
		}
		c.t.Logf("%s:\n%s", filepath.Base(l), b)
	}
}

// Instance is one `yuanxu serve` process slot: started, killed and
// restarted on the same address.
type Instance struct {
	c    *Cluster
	n    int
	addr string
	runs int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan error
}

// URL is the instance's own base URL.
func (in *Instance) URL() string { return "http://" + in.addr }

// Start runs serve and waits until /readyz answers 200.
func (in *Instance) Start() {
	t := in.c.t
	t.Helper()
	in.runs++
	args := append([]string{"serve", "--addr", in.addr, "--demo",
		"--public-url", in.c.LB.URL(), "--sandbox-gateway", in.c.GW.URL(),
		"--sandbox-gateway-keys", filepath.Join(in.c.dir, "gw-keys.json"), "--trusted-proxies", "127.0.0.1",
		"--argon2-memory-kib", "1024", "--argon2-time", "1", "--argon2-threads", "1", "--log-level", "warn",
		"--shutdown-grace", "20s", "--shutdown-delay", "1s", "--notify-lease", "8s", "--notify-send-timeout", "5s", "--notify-redrive-after", "5s", "--job-timeout", "15s", "--provision-timeout", "15s",
		"--sandbox-pool", "198.18.0.0/20"}, append(in.c.dbArgs, in.c.pgArgs...)...)
	cmd := exec.Command(in.c.bin, args...)
	cmd.Env = in.c.env
	logf, err := os.Create(filepath.Join(in.c.dir, fmt.Sprintf("serve-%d-%d.log", in.n, in.runs)))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start serve: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait(); logf.Close() }()
	in.mu.Lock()
	in.cmd, in.done = cmd, done
	in.mu.Unlock()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if ready(in.URL()) {
			return
		}
		select {
		case err := <-done:
			b, _ := os.ReadFile(logf.Name())
			t.Fatalf("serve %d exited early: %v\n%s", in.n, err, b)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve %d did not become ready", in.n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Kill sends SIGKILL (a crash) and waits for the process to end.
func (in *Instance) Kill() { in.signal(syscall.SIGKILL) }

// Term sends SIGTERM (a rolling restart) and waits for the graceful
// shutdown; it returns serve's exit error.
func (in *Instance) Term() error { return in.signal(syscall.SIGTERM) }

func (in *Instance) signal(sig syscall.Signal) error {
	in.mu.Lock()
	cmd, done := in.cmd, in.done
	in.cmd = nil
	in.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(sig)
	select {
	case err := <-done:
		if sig == syscall.SIGKILL {
			return nil
		}
		return err
	case <-time.After(40 * time.Second):
		_ = cmd.Process.Kill()
		return fmt.Errorf("serve %d did not stop within 40s of %v", in.n, sig)
	}
}

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Outbox is the notification delivery log (`yuanxu admin outbox --json`).
type Outbox struct {
	Deliveries []struct {
		ID        string    `json:"id"`
		Event     string    `json:"event"`
		Channel   string    `json:"channel"`
		Status    string    `json:"status"`
		Attempts  int       `json:"attempts"`
		CreatedAt time.Time `json:"created_at"`
	} `json:"deliveries"`
}

// Outbox reads the delivery log of the cluster's database.
func (c *Cluster) Outbox() Outbox {
	c.t.Helper()
	cmd := exec.Command(c.bin, append([]string{"admin", "outbox", "--json", "--limit", "100000"}, c.dbArgs...)...)
	cmd.Env = c.env
	out, err := cmd.Output()
	var o Outbox
	if err == nil {
		err = json.Unmarshal(out, &o)
	}
	if err != nil {
		c.t.Fatalf("admin outbox: %v\n%s", err, out)
	}
	return o
}

// Debug describes the job queue (SQLite only; diagnosis).
func (c *Cluster) Debug() string {
	if c.dbArgs[0] != "--data" {
		return ""
	}
	out, _ := exec.Command("sqlite3", filepath.Join(c.dbArgs[1], "yuanxu.db"),
		"select kind, state, count(*), min(attempted_at), min(scheduled_at) from river_job where state != 'completed' group by 1,2; select * from river_leader; select id, status, attempts, next_attempt_at_ms, lease_until_ms from notify_delivery where status='queued' limit 3; select strftime('%s','now')*1000").CombinedOutput()
	return string(out)
}
