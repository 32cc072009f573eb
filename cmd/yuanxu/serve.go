package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/jobs"
	"yuanxu/internal/notify"
	"yuanxu/internal/provider/email"
	"yuanxu/internal/provider/sms/aliyun"
	"yuanxu/internal/provider/sms/tencent"
	"yuanxu/internal/store"
	"yuanxu/internal/store/engine"
	"yuanxu/internal/web"
)

// dbFlags select the database; shared by serve, migrate and admin verify.
type dbFlags struct {
	Data string `help:"Data directory: the SQLite file and, on a single-instance SQLite install, generated secrets." default:"./data" placeholder:"DIR"`
	DB   string `name:"db" help:"Database URL: postgres://… for PostgreSQL; default SQLite at DIR/yuanxu.db." placeholder:"URL"`
}

func (f dbFlags) config() engine.Config { return engine.Config{URL: f.DB, DataDir: f.Data} }

// open opens and migrates the database. Failures are usage errors (exit 2):
// nothing is half-created, because migrations are transactional per
// version and the data directory check happens before the file is made.
func (f dbFlags) open(ctx context.Context) (*store.DB, error) {
	db, err := engine.Open(ctx, f.config())
	if err != nil {
		return nil, usageError{err}
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, usageError{err}
	}
	return db, nil
}

type serveCmd struct {
	dbFlags
	Addr           string        `help:"Listen address." default:"127.0.0.1:8080"`
	Sandbox        bool          `help:"Sandbox mode: the test clock (advanced through the API) and sandbox providers."`
	SandboxStart   time.Time     `name:"sandbox-start" help:"The sandbox clock's first instant for a new database (RFC 3339). Default: now." format:"2006-01-02T15:04:05Z07:00" placeholder:"TIME"`
	Demo           bool          `help:"Try yuanxu: implies --sandbox, seeds demo data, may keep generated secrets in the database (insecure)."`
	SandboxPool    string        `name:"sandbox-pool" help:"The prefix the sandbox delivery driver leases test addresses from." default:"198.18.0.0/24" placeholder:"CIDR"`
	CDNZone        string        `name:"cdn-zone" help:"The zone CDN sites' CNAME targets are made in (<site>.<zone>)." default:"cdn.yuanxu.invalid" placeholder:"ZONE"`
	CDNResolver    string        `name:"cdn-resolver" help:"The DNS server (host:port) CDN ownership TXT records are checked at." default:"223.5.5.5:53" placeholder:"HOST:PORT"`
	CDNPrivate     bool          `name:"cdn-allow-private-origins" help:"Allow CDN origins on private and loopback addresses (tests, private networks only)."`
	SessionKey     string        `name:"session-key" help:"Base64 session key (≥32 bytes); required on PostgreSQL without --demo."`
	PIIKeys        string        `name:"pii-keys" help:"PII key ring: id:base64,… (first is primary)."`
	BlindIndexKey  string        `name:"blind-index-key" help:"Base64 blind-index key (32 bytes)."`
	TrustedProxies []string      `name:"trusted-proxies" help:"CIDRs of load balancers whose X-Forwarded-For is believed." sep:","`
	TLSCert        string        `name:"tls-cert" help:"TLS certificate file (with --tls-key): serve HTTPS and send HSTS." type:"path"`
	TLSKey         string        `name:"tls-key" help:"TLS key file." type:"path"`
	DBPool         int           `name:"db-pool" help:"PostgreSQL connections per instance." default:"20"`
	DBIdle         int           `name:"db-idle" help:"Idle PostgreSQL connections kept per instance (0: the whole pool, so that bursts do not reconnect)." default:"0"`
	DBStatement    time.Duration `name:"db-statement-timeout" help:"PostgreSQL statement_timeout of this instance's connections (0: the server's or the role's)." default:"0s"`
	PGBatch        bool          `name:"postgres-batch" help:"PostgreSQL: concurrent write transactions share one transaction, their statements sent together and their inserts merged; any failure runs each again alone (ADR 0030). false: one transaction each." default:"true" negatable:""`
	SQLiteGroup    bool          `name:"sqlite-group-commit" help:"SQLite: concurrent write transactions share one commit (one fsync), a savepoint each; every caller is still answered only once its writes are durable (ADR 0010). false: one commit per transaction." default:"true" negatable:""`
	LogLevel       string        `name:"log-level" help:"debug, info, warn or error." default:"info" enum:"debug,info,warn,error"`
	JobTimeout     time.Duration `name:"job-timeout" help:"The longest one background job (provisioning, a notification, a sweep) may run; a job whose instance died is retried after 1.2 × this." default:"5m"`
	JobWorkers     int           `name:"job-workers" help:"Background jobs (notices, provisioning, sweeps) this instance runs at once. Fewer keeps more of the database for requests; too few and notices fall behind a burst of orders (10 workers sent about 100 notices a second, docs/BENCHMARKS.md)." default:"50"`
	ProvisionTime  time.Duration `name:"provision-timeout" help:"The longest one provisioning call may run (ACME orders take minutes); a provisioning job whose instance died is retried only after it, so it bounds how long a crash delays a delivery." default:"10m"`
	ShutdownDelay  time.Duration `name:"shutdown-delay" help:"On SIGTERM, how long to keep serving while /readyz answers 503, so that a load balancer's health check takes the instance out before its connections close (rolling restarts). Default: 5s with --trusted-proxies (behind a load balancer), else 0." default:"-1s"`
	ShutdownGrace  time.Duration `name:"shutdown-grace" help:"How long SIGTERM then waits for in-flight requests and jobs." default:"25s"`
	accountFlags
	notifyFlags
	gatewayFlags
	acmeFlags
	gcFlags
}

func (s *serveCmd) Run(e *env) error {
	ctx := e.ctx
	s.gcFlags.apply(e)
	log := newLogger(e.stderr, s.LogLevel)
	if s.Demo {
		s.Sandbox = true
	}
	proxies, err := parsePrefixes(s.TrustedProxies)
	if err != nil {
		return usageError{err}
	}
	if (s.TLSCert == "") != (s.TLSKey == "") {
		return usage("--tls-cert and --tls-key go together")
	}
	cfg := s.config()
	cfg.PoolSize, cfg.IdleConns, cfg.StatementTimeout = s.DBPool, s.DBIdle, s.DBStatement
	cfg.SQLiteNoGroupCommit = !s.SQLiteGroup
	cfg.PostgresNoBatch = !s.PGBatch
	db, err := engine.Open(ctx, cfg)
	if err != nil {
		return usageError{err}
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return usageError{fmt.Errorf("migrations: %w", err)}
	}
	secrets, err := app.LoadSecrets(ctx, db, app.SecretsConfig{
		SessionKey: s.SessionKey, PIIKeys: s.PIIKeys, BlindIndexKey: s.BlindIndexKey,
		Demo: s.Demo, Postgres: engine.IsPostgres(s.DB), DataDir: s.Data,
	}, log)
	if err != nil {
		return usageError{err}
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	a, err := app.New(ctx, app.Config{
		DB: db, Logger: log, Secrets: secrets, Sandbox: s.Sandbox, SandboxStart: s.SandboxStart, Metrics: reg,
		Jobs: jobs.Config{JobTimeout: s.JobTimeout, ProvisionTimeout: s.ProvisionTime, MaxWorkers: s.JobWorkers},
	})
	if err != nil {
		return err
	}
	ncfg, stopNotify, err := s.notifyFlags.configure(a, s.Sandbox, log)
	if err != nil {
		return err
	}
	defer stopNotify()
	if err := a.ConfigureNotify(ncfg); err != nil {
		return usageError{fmt.Errorf("notifications: %w", err)}
	}
	if err := a.ConfigureAccounts(s.accountConfig()); err != nil {
		return usageError{fmt.Errorf("accounts: %w", err)}
	}
	pool, err := netip.ParsePrefix(s.SandboxPool)
	if err != nil {
		return usageError{fmt.Errorf("--sandbox-pool: %w", err)}
	}
	if err := a.ConfigureDelivery(app.DeliveryConfig{SandboxPool: pool, CDNZone: s.CDNZone, CDNResolver: s.CDNResolver,
		CDNAllowPrivateOrigins: s.CDNPrivate}); err != nil {
		return usageError{err}
	}
	stopACME, err := s.acmeFlags.configure(ctx, a, log)
	if err != nil {
		return err
	}
	defer stopACME()
	var demoLogins []app.DemoLogin
	if s.Demo {
		if demoLogins, err = a.SeedDemo(ctx); err != nil {
			return fmt.Errorf("demo seed: %w", err)
		}
		more, err := a.SeedDemoCompliance(ctx) // a customer under a measure (compliance_demo.go)
		if err != nil {
			return fmt.Errorf("demo seed: %w", err)
		}
		demoLogins = append(demoLogins, more...)
	}
	h, err := web.NewServer(web.Config{App: a, Logger: log, Metrics: reg, TrustedProxies: proxies, Version: Version, TLS: s.TLSCert != "",
		Callbacks: callbacks(a)})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return usage("listen on %s: %v", s.Addr, err)
	}
	stopGateways, err := s.gatewayFlags.configure(a, s.Sandbox, ln.Addr().String(), log)
	if err != nil {
		ln.Close()
		return err
	}
	defer stopGateways()
	if err := a.Start(ctx); err != nil {
		ln.Close()
		return err
	}
	var draining atomic.Bool
	srv := web.NewHTTPServer(s.Addr, drainable(h, &draining))
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	errc := make(chan error, 1)
	go func() {
		if s.TLSCert != "" {
			errc <- srv.ServeTLS(ln, s.TLSCert, s.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	// Start-up leaves garbage behind (migrations parsed, the catalog and
	// templates built, River's first queries): collect it and hand the pages
	// back to the OS now rather than at the scavenger's pace, so that an idle
	// instance holds what it uses (docs/BENCHMARKS.md, idle memory).
	debug.FreeOSMemory()
	engineName := string(db.Engine())
	log.Info("yuanxu serving", slog.String("addr", "http://"+ln.Addr().String()), slog.String("version", Version),
		slog.String("db", engineName), slog.Bool("sandbox", s.Sandbox), slog.Bool("demo", s.Demo), slog.String("secrets", secrets.Source))
	if s.Demo {
		fmt.Fprintf(e.stderr, "\nyuanxu demo is running: portal http://%s/  console http://%s/console/\n"+
			"sandbox clock: GET/POST http://%s/api/v1/sandbox/clock  API: http://%s/api/v1/openapi.json\n\n",
			ln.Addr(), ln.Addr(), ln.Addr(), ln.Addr())
		printDemoLogins(e.stderr, demoLogins)
	}
	select {
	case err := <-errc:
		_ = a.Stop(context.Background())
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
	}
	// A rolling restart (issue 18): first leave the load balancer's pool
	// while still serving (readyz 503, connections closed after each
	// answer), then stop accepting and drain. Closing the listener and the
	// idle keep-alive connections at once would fail requests a balancer
	// is sending on them at that moment.
	delay := s.ShutdownDelay
	if delay < 0 && len(proxies) > 0 {
		delay = 5 * time.Second
	}
	log.Info("shutting down: leaving the load balancer", slog.Duration("delay", max(delay, 0)))
	draining.Store(true)
	select {
	case <-time.After(delay):
	case err := <-errc:
		_ = a.Stop(context.Background())
		return err
	}
	log.Info("shutting down: draining requests and jobs", slog.Duration("grace", s.ShutdownGrace))
	sctx, cancel := context.WithTimeout(context.Background(), s.ShutdownGrace)
	defer cancel()
	herr := srv.Shutdown(sctx)
	jerr := a.Stop(sctx)
	log.Info("stopped")
	return errors.Join(herr, jerr)
}

// drainable answers /readyz with 503 and closes each connection after its
// answer once draining is set, so that load balancers stop sending before
// the server closes its listener.
func drainable(h http.Handler, draining *atomic.Bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if draining.Load() {
			w.Header().Set("Connection", "close")
			if r.URL.Path == "/readyz" {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Header().Set("Cache-Control", "no-store")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, "draining\n")
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func newLogger(w interface{ Write([]byte) (int, error) }, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func parsePrefixes(ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("--trusted-proxies: %q is not an address or CIDR", s)
			}
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxies: %q is not an address or CIDR", s)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

type migrateCmd struct {
	dbFlags
}

func (m *migrateCmd) Run(e *env) error {
	db, err := m.open(e.ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(e.stdout, "migrations applied (%s)\n", db.Engine())
	return nil
}

type verifyCmd struct {
	dbFlags
}

// Run checks the sealed audit chain, reports the unsealed tail, and fails
// naming the first break.
func (v *verifyCmd) Run(e *env) error {
	db, err := v.open(e.ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return verifyDB(e.ctx, db, e.stdout)
}

// verifyDB prints the checks of `admin verify` to w and fails at the first
// broken one; restore runs it on what it restored.
func verifyDB(ctx context.Context, db *store.DB, w io.Writer) error {
	r, err := db.AuditVerify(ctx)
	if err != nil {
		return err
	}
	if r.Break != nil {
		fmt.Fprintf(w, "audit chain: BROKEN at batch %d: %s (%d batches verified before it)\n", r.Break.Seq, r.Break.Reason, r.Batches)
		return fmt.Errorf("verify failed: %w", r.Break)
	}
	fmt.Fprintf(w, "audit chain: ok, %d batches, %d events sealed, %d not yet sealed\n", r.Batches, r.Sealed, r.Unsealed)
	// The ledger (DESIGN.md §5): every transaction sums to zero, every
	// balance equals the sum of its postings, no live balance is negative.
	l, err := db.LedgerVerify(ctx)
	if err != nil {
		return err
	}
	if !l.OK() {
		for _, id := range l.Unbalanced {
			fmt.Fprintf(w, "ledger: transaction %s does not sum to zero\n", id)
		}
		for acc, v := range l.Mismatched {
			fmt.Fprintf(w, "ledger: balance of %s is %d fen, its postings sum to %d\n", acc, v[0], v[1])
		}
		for acc, v := range l.Negative {
			fmt.Fprintf(w, "ledger: balance of %s is negative (%d fen)\n", acc, v)
		}
		return fmt.Errorf("verify failed: ledger invariants broken")
	}
	fmt.Fprintf(w, "ledger: ok, %d transactions, %d postings\n", l.Txns, l.Postings)
	return nil
}

type genSecretsCmd struct{}

func (genSecretsCmd) Run(e *env) error {
	s, p, b, err := app.GenerateSecrets()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "YUANXU_SESSION_KEY=%s\nYUANXU_PII_KEYS=%s\nYUANXU_BLIND_INDEX_KEY=%s\n", s, p, b)
	return nil
}

var _ = os.Stdout

// notifyFlags configure notifications (README "Notifications"). Each is
// also YUANXU_<FLAG>. In sandbox mode SMS always goes to the embedded
// signature-checking server (real credentials are ignored: a sandbox never
// sends a real SMS), and email without --smtp-url is recorded as not
// delivered.
type notifyFlags struct {
	SMTPURL           string `name:"smtp-url" help:"SMTP server for notification email: smtp://user:pass@host:587 (STARTTLS required), smtps://user:pass@host:465 (implicit TLS), smtp://host:25?tls=none." placeholder:"URL"`
	MailFrom          string `name:"mail-from" help:"Sender of notification email: 'Name <addr>' or addr." placeholder:"ADDR"`
	SMTPConns         int    `name:"smtp-connections" help:"At most this many SMTP connections at once; idle ones stay open 30 s for the next message." default:"8"`
	UnsubscribeURL    string `name:"unsubscribe-url" help:"Base URL of the List-Unsubscribe link in marketing email." placeholder:"URL"`
	SMSProvider       string `name:"sms-provider" help:"SMS provider: none, aliyun or tencent (in sandbox mode: the protocol the embedded server speaks; default aliyun)." enum:"none,aliyun,tencent" default:"none"`
	SMSSignName       string `name:"sms-sign-name" help:"SMS sign name registered with the provider."`
	SMSTemplates      string `name:"sms-templates" help:"Provider template codes: event=CODE or event/lang=CODE, comma-separated; needed for every event the matrix sends by SMS." placeholder:"LIST"`
	AliyunKeyID       string `name:"aliyun-access-key-id" help:"Aliyun AccessKey ID for SMS."`
	AliyunKeySecret   string `name:"aliyun-access-key-secret" help:"Aliyun AccessKey secret for SMS."`
	AliyunSMSEndpoint string `name:"aliyun-sms-endpoint" help:"Aliyun SMS endpoint." default:"https://dysmsapi.aliyuncs.com"`
	TencentSecretID   string `name:"tencent-secret-id" help:"Tencent Cloud SecretId for SMS."`
	TencentSecretKey  string `name:"tencent-secret-key" help:"Tencent Cloud SecretKey for SMS."`
	TencentSMSAppID   string `name:"tencent-sms-app-id" help:"Tencent Cloud SmsSdkAppId."`
	TencentRegion     string `name:"tencent-region" help:"Tencent Cloud region for SMS." default:"ap-guangzhou"`
	NotifyMatrix      string `name:"notify-matrix" help:"Channel matrix overrides: event=email+sms+inapp;event2=email." placeholder:"LIST"`
	// A delivery claimed by an instance that then crashed is resent once
	// its lease expires (README "Several instances").
	NotifyLease        time.Duration `name:"notify-lease" help:"How long an instance's claim on a notification delivery holds; a crashed instance's deliveries are resent after it. Must exceed --notify-send-timeout." default:"2m"`
	NotifySendTimeout  time.Duration `name:"notify-send-timeout" help:"How long one SMTP or SMS send may take." default:"30s"`
	NotifyRedriveAfter time.Duration `name:"notify-redrive-after" help:"How long a due delivery may wait before the periodic redrive queues it again." default:"2m"`
	NotifySenders      int           `name:"notify-senders" help:"How many notices' first attempts this instance sends at once, right after the transaction that wrote them commits (ADR 22)." default:"8"`
}

// bounceWindow: an accepted email counts as delivered after this long
// without a permanent bounce.
const bounceWindow = 10 * time.Minute

// configure turns the flags into the App's notification configuration and
// starts the sandbox SMS server in sandbox mode; stop releases it.
// Mistakes are usage errors naming the flag.
func (f notifyFlags) configure(a *app.App, sandboxMode bool, log *slog.Logger) (app.NotifyConfig, func(), error) {
	c := app.NotifyConfig{BounceWindow: bounceWindow, UnsubscribeURL: f.UnsubscribeURL, SMSSignName: f.SMSSignName,
		Lease: f.NotifyLease, SendTimeout: f.NotifySendTimeout, RedriveAfter: f.NotifyRedriveAfter, Senders: f.NotifySenders}
	stop := func() {}
	var err error
	if c.Matrix, err = notify.ParseMatrix(f.NotifyMatrix); err != nil {
		return c, stop, usage("--notify-matrix: %v", err)
	}
	if f.SMTPURL != "" {
		ep, err := email.ParseURL(f.SMTPURL)
		if err != nil {
			return c, stop, usage("--smtp-url: %v", err)
		}
		if f.MailFrom == "" {
			return c, stop, usage("--smtp-url needs --mail-from (the sender address)")
		}
		if f.SMTPConns < 1 {
			return c, stop, usage("--smtp-connections: %d: want at least 1", f.SMTPConns)
		}
		ec, err := email.New(email.Config{Endpoint: ep, From: f.MailFrom, MaxConns: f.SMTPConns})
		if err != nil {
			return c, stop, usage("--mail-from: %v", err)
		}
		c.Email = ec
		stop = func() { _ = ec.Close() }
		if at := strings.LastIndex(f.MailFrom, "@"); at >= 0 {
			c.MessageIDDomain = strings.TrimRight(f.MailFrom[at+1:], "> ")
		}
	} else if sandboxMode {
		sm, err := a.StartSandboxMail()
		if err != nil {
			return c, stop, err
		}
		stopMail := func() { _ = sm.Close() }
		stop = stopMail
		c.Email = sm.Sender
		c.MessageIDDomain = "sandbox.yuanxu.invalid"
		log.Info("sandbox: no --smtp-url; notification email goes over SMTP to the embedded sandbox sink (console: Sandbox mail; CLI: yuanxu admin outbox)", slog.String("smtp", sm.Sink.URL()))
	} else {
		log.Warn("no --smtp-url: notification email waits, retrying, until an SMTP server is configured")
	}
	if sandboxMode {
		protocol := f.SMSProvider
		if protocol == "none" {
			protocol = "aliyun"
		}
		sb, err := a.StartSandboxSMS(protocol)
		if err != nil {
			return c, stop, err
		}
		prev := stop
		stop = func() { _ = sb.Close(context.Background()); prev() }
		c.SMS, c.SMSCodes = sb.Sender, sb.Codes
		if c.SMSSignName == "" {
			c.SMSSignName = "元序"
		}
		log.Info("sandbox: SMS goes to the embedded checking server; read it with `yuanxu admin outbox`", slog.String("protocol", protocol), slog.String("url", sb.Listener.URL))
		return c, stop, nil
	}
	if f.SMSProvider == "none" {
		log.Warn("no --sms-provider: SMS notifications wait, retrying, until a provider is configured")
		return c, stop, nil
	}
	if c.SMSCodes, err = notify.ParseCodes(f.SMSTemplates); err != nil {
		return c, stop, usage("--sms-templates: %v", err)
	}
	if f.SMSSignName == "" {
		return c, stop, usage("--sms-provider %s needs --sms-sign-name", f.SMSProvider)
	}
	switch f.SMSProvider {
	case "aliyun":
		if f.AliyunKeyID == "" || f.AliyunKeySecret == "" {
			return c, stop, usage("--sms-provider aliyun needs --aliyun-access-key-id and --aliyun-access-key-secret")
		}
		c.SMS = &aliyun.Client{Endpoint: f.AliyunSMSEndpoint, AccessKeyID: f.AliyunKeyID, AccessKeySecret: f.AliyunKeySecret}
	case "tencent":
		if f.TencentSecretID == "" || f.TencentSecretKey == "" || f.TencentSMSAppID == "" {
			return c, stop, usage("--sms-provider tencent needs --tencent-secret-id, --tencent-secret-key and --tencent-sms-app-id")
		}
		c.SMS, err = tencent.New(tencent.Config{SecretID: f.TencentSecretID, SecretKey: f.TencentSecretKey, AppID: f.TencentSMSAppID, Region: f.TencentRegion})
		if err != nil {
			return c, stop, usageError{err}
		}
	}
	return c, stop, nil
}

// accountFlags configure password hashing and the agreement version
// recorded at registration.
type accountFlags struct {
	Argon2MemoryKiB  uint32 `name:"argon2-memory-kib" help:"argon2id memory per hash, KiB (RFC 9106 second recommended option: 65536)." default:"65536"`
	Argon2Time       uint32 `name:"argon2-time" help:"argon2id passes." default:"3"`
	Argon2Threads    uint8  `name:"argon2-threads" help:"argon2id lanes." default:"4"`
	AgreementVersion string `name:"agreement-version" help:"Agreement version recorded at registration (until versioned agreements land)." default:"builtin"`
}

func (f accountFlags) accountConfig() app.AccountConfig {
	p := account.ProductionParams
	p.Memory, p.Time, p.Threads = f.Argon2MemoryKiB, f.Argon2Time, f.Argon2Threads
	return app.AccountConfig{Hash: p, AgreementVersion: f.AgreementVersion}
}

// printDemoLogins prints the logins SeedDemo created on this run (none on
// later runs: they are printed once).
func printDemoLogins(w io.Writer, logins []app.DemoLogin) {
	if len(logins) == 0 {
		return
	}
	fmt.Fprintln(w, "demo logins (shown once; demo only):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  KIND\tROLE\tLOGIN\tPASSWORD\tWHERE")
	for _, l := range logins {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", l.Kind, l.Role, l.Login, l.Password, l.Note)
	}
	tw.Flush()
	fmt.Fprintln(w)
}
