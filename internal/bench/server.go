package bench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver, for scratch databases

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/provider/email/smtpsink"
	"yuanxu/internal/provider/sms/sandbox"
	"yuanxu/internal/store"
	"yuanxu/internal/store/engine"
	"yuanxu/internal/web"
)

// instance is an in-process yuanxu server on a loopback port with a fresh
// database and the bench fixture.
type instance struct {
	URL     string
	App     *app.App
	DB      *store.DB
	Fixture app.BenchFixture
	// Dir is the temporary directory of a SQLite instance (its database
	// file and the ceiling's scratch files).
	Dir   string
	close []func()
	// mails and sms count what the stand-in providers accepted.
	mails mailCount
	sms   smsCount
}

// mailCount is the outbox of the benchmark's SMTP sink: it counts the
// messages accepted (one per recipient) and keeps nothing.
type mailCount struct{ n atomic.Int64 }

func (c *mailCount) Put(_ context.Context, m smtpsink.Mail) error {
	c.n.Add(int64(len(m.To)))
	return nil
}

// smsCount is the outbox of the benchmark's SMS gateway: it counts the
// messages accepted, after the gateway checked their signatures.
type smsCount struct{ n atomic.Int64 }

func (c *smsCount) Put(context.Context, sandbox.Received) error {
	c.n.Add(1)
	return nil
}

// Close stops everything startInstance started, in reverse; a second
// call does nothing.
func (in *instance) Close() {
	for i := len(in.close) - 1; i >= 0; i-- {
		in.close[i]()
	}
	in.close = nil
}

// startInstance opens a fresh database on eng (SQLite in a temporary
// directory; PostgreSQL as a scratch database next to pgURL's, dropped on
// Close), migrates it, starts a sandbox app and web.NewServer on
// 127.0.0.1:0 and seeds buyers and services (app.SeedBench).
func startInstance(ctx context.Context, eng, pgURL string, noBatch bool, buyers, services int) (_ *instance, err error) {
	in := &instance{}
	defer func() {
		if err != nil {
			in.Close()
		}
	}()
	cfg := engine.Config{PoolSize: 20, PostgresNoBatch: noBatch}
	if eng == Postgres {
		u, drop, err := scratchDatabase(ctx, pgURL, "yuanxu_bench")
		if err != nil {
			return nil, err
		}
		in.close = append(in.close, drop)
		cfg.URL = u
	} else {
		dir, err := os.MkdirTemp("", "yuanxu-bench-*")
		if err != nil {
			return nil, err
		}
		in.Dir = dir
		in.close = append(in.close, func() { os.RemoveAll(dir) })
		cfg.DataDir = dir
	}
	db, err := engine.Open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	in.DB = db
	in.close = append(in.close, func() { db.Close() })
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	secrets, err := app.NewSecrets()
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.DiscardHandler)
	a, err := app.New(ctx, app.Config{DB: db, Logger: log, Secrets: secrets, Sandbox: true})
	if err != nil {
		return nil, err
	}
	in.App = a
	if err := a.ConfigureAccounts(app.AccountConfig{Hash: account.TestParams}); err != nil {
		return nil, err
	}
	// Notices go out as `serve` sends them in sandbox mode: email over SMTP
	// to an embedded sink, SMS over HTTP to the signature-checking sandbox
	// gateway (without them every delivery notice would fail and retry in
	// the background, which no deployment does). The two stand in for the
	// mail relay and the SMS provider: they count what they accept, where
	// `serve`'s sandbox stores it in the instance's database for people to
	// read, work that in a deployment is the provider's (ADR 27).
	mail, err := app.StartSandboxMailTo(&in.mails)
	if err != nil {
		return nil, err
	}
	in.close = append(in.close, func() { _ = mail.Close() })
	smsbox, err := app.StartSandboxSMSTo("aliyun", &in.sms)
	if err != nil {
		return nil, err
	}
	in.close = append(in.close, func() { _ = smsbox.Close(context.Background()) })
	if err := a.ConfigureNotify(app.NotifyConfig{Email: mail.Sender, MessageIDDomain: "sandbox.yuanxu.invalid",
		SMS: smsbox.Sender, SMSCodes: smsbox.Codes, SMSSignName: "元序"}); err != nil {
		return nil, err
	}
	// Every checkout delivers a sandbox server with an address of its own:
	// the default /24 would be exhausted after ~250 checkouts, and the rest
	// would measure failing deliveries and their retries.
	if err := a.ConfigureDelivery(app.DeliveryConfig{SandboxPool: netip.MustParsePrefix("198.18.0.0/16")}); err != nil {
		return nil, err
	}
	if err := a.Start(ctx); err != nil {
		return nil, err
	}
	in.close = append(in.close, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Stop(sctx)
	})
	h, err := web.NewServer(web.Config{App: a, Logger: log, Version: "bench"})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := web.NewHTTPServer(ln.Addr().String(), h)
	go func() { _ = srv.Serve(ln) }()
	in.close = append(in.close, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	in.URL = "http://" + ln.Addr().String()
	if in.Fixture, err = a.SeedBench(ctx, buyers, services); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	return in, nil
}

// scratchDatabase creates an empty database named prefix_<random> on the
// server of base (a postgres:// URL) and returns its URL and a func that
// drops it.
func scratchDatabase(ctx context.Context, base, prefix string) (string, func(), error) {
	u, err := url.Parse(base)
	if err != nil || base == "" {
		return "", nil, fmt.Errorf("bench: a PostgreSQL URL is needed (--postgres or YUANXU_BENCH_POSTGRES): %q", base)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := prefix + "_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("bench: create scratch database: %w", err)
	}
	u.Path = "/" + name
	drop := func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, _ = admin.ExecContext(dctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}
	return u.String(), drop, nil
}

// waitReady polls base/readyz until it answers 200 or d passes.
func waitReady(ctx context.Context, hc *http.Client, base string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if res, err := hc.Do(req); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("bench: the server was not ready in time")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// tempPath is a path in dir, for ceiling scratch files.
func tempPath(dir, name string) string { return filepath.Join(dir, name) }

// noticesAccepted is how many messages the stand-in providers have
// accepted since the instance started.
func (in *instance) noticesAccepted() int64 { return in.mails.n.Load() + in.sms.n.Load() }

// drainNotices waits until the instance's dispatcher has sent and
// recorded every notice its commits handed it (app.NotifyPending), or
// limit has passed, and returns how long it waited and how many were
// left. It polls a counter in memory: the wait costs the database nothing.
func (in *instance) drainNotices(ctx context.Context, limit time.Duration) (time.Duration, int64) {
	start := time.Now()
	for {
		n := in.App.NotifyPending()
		if n == 0 || time.Since(start) > limit || ctx.Err() != nil {
			return time.Since(start), n
		}
		time.Sleep(time.Millisecond)
	}
}

// settleLimit bounds how long settle waits for the background jobs.
const settleLimit = 2 * time.Minute

// settle waits, before a case, until the background work the earlier
// cases left is done — every checkout's delivery notice is sent after the
// checkout answered, by the instance's dispatcher (ADR 22; a delivery it
// holds is queued under a lease) or by a River job — so that each case
// measures its own work and not the previous case's notices as well. It
// gives up after limit, saying how much is left.
func (in *instance) settle(ctx context.Context, limit time.Duration, say func(string, ...any)) {
	start := time.Now()
	for {
		var n int64
		if err := in.DB.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM river_job WHERE state IN ('available', 'running'))
 + (SELECT COUNT(*) FROM notify_delivery WHERE status = 'queued' AND lease_token IS NOT NULL)`).Scan(&n); err != nil {
			say("waiting for background jobs: %v", err)
			return
		}
		if n == 0 {
			if waited := time.Since(start); waited > time.Second {
				say("background jobs and notices of the earlier cases done (%v)", waited.Round(time.Second))
			}
			return
		}
		if time.Since(start) > limit {
			say("%d background jobs and notices still queued after %v: the next case shares the machine with them", n, limit)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}
