package main

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/store"
	"yuanxu/internal/store/engine"
	meter "yuanxu/internal/usage"
)

// usageCmd records traffic without a real node (issue 14): one sample, or
// the demo generator, through the same code a node's batch goes through.
type usageCmd struct {
	Record usageRecordCmd `cmd:"" help:"Record one traffic sample for a service (as the node it is on)."`
	Demo   usageDemoCmd   `cmd:"" help:"Record plausible hourly traffic for the demo individual's sandbox services: past the 1 GB refund rule, 85 % of a traffic server's quota per run (a second run exhausts it)."`
}

// usageAppFlags open the database and build the app (sandbox clock when the
// database has one), as create-staff does.
type usageAppFlags struct {
	dbFlags
	SessionKey    string `name:"session-key" help:"Base64 session key; as for serve."`
	PIIKeys       string `name:"pii-keys" help:"PII key ring; as for serve."`
	BlindIndexKey string `name:"blind-index-key" help:"Base64 blind-index key; as for serve."`
	Demo          bool   `help:"Use the secrets a --demo database keeps."`
}

func (f usageAppFlags) app(e *env) (*app.App, *store.DB, error) {
	db, err := f.open(e.ctx)
	if err != nil {
		return nil, nil, err
	}
	_, sandbox, err := db.SandboxClockGet(e.ctx)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	secrets, err := app.LoadSecrets(e.ctx, db, app.SecretsConfig{SessionKey: f.SessionKey, PIIKeys: f.PIIKeys, BlindIndexKey: f.BlindIndexKey,
		Demo: f.Demo, Postgres: engine.IsPostgres(f.DB), DataDir: f.Data}, log)
	if err != nil {
		db.Close()
		return nil, nil, usageError{err}
	}
	a, err := app.New(e.ctx, app.Config{DB: db, Logger: log, Secrets: secrets, Sandbox: sandbox})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return a, db, nil
}

type usageRecordCmd struct {
	usageAppFlags
	Service string    `help:"The service id." required:""`
	Tx      uint64    `help:"Bytes sent by the service in the interval." required:""`
	Rx      uint64    `help:"Bytes received by the service in the interval." required:""`
	Class   string    `help:"customer (billed), provider or mitigated." default:"customer" enum:"customer,provider,mitigated"`
	Start   time.Time `help:"The interval's start (RFC 3339). Default: now minus --seconds." format:"2006-01-02T15:04:05Z07:00" placeholder:"TIME"`
	Seconds int64     `help:"The interval's length in seconds (1–86400)." default:"300"`
}

func (c *usageRecordCmd) Run(e *env) error {
	a, db, err := c.app(e)
	if err != nil {
		return err
	}
	defer db.Close()
	start := c.Start
	if start.IsZero() {
		start = a.Now().Add(-time.Duration(c.Seconds) * time.Second).Truncate(time.Second)
	}
	ctx := app.WithActor(e.ctx, app.Actor{ID: "system:usage-record"})
	res, err := a.RecordUsage(ctx, []meter.Sample{{ServiceID: c.Service, Start: start.UTC(), Seconds: c.Seconds, RxBytes: c.Rx, TxBytes: c.Tx,
		Class: meter.Class(c.Class)}})
	if err != nil {
		return err
	}
	printIngest(e.stdout, res)
	if len(res.Rejected) > 0 {
		return fmt.Errorf("the sample was %s", res.Rejected[0].Reason)
	}
	return nil
}

type usageDemoCmd struct {
	usageAppFlags
}

func (c *usageDemoCmd) Run(e *env) error {
	a, db, err := c.app(e)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := a.DemoUsage(app.WithActor(e.ctx, app.Actor{ID: "system:usage-demo"}))
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "demo traffic: %d samples for %d services\n", res.Samples, res.Services)
	printIngest(e.stdout, res.IngestResult)
	if res.Services == 0 {
		fmt.Fprintln(e.stdout, "nothing to fill: the demo services started (or were last filled) less than a minute ago; advance the sandbox clock (console or POST /api/v1/sandbox/clock) and run again")
	}
	return nil
}

func printIngest(w io.Writer, r app.IngestResult) {
	fmt.Fprintf(w, "accepted %d, duplicates %d, quarantined %d, rejected %d\n", r.Accepted, r.Duplicates, r.Quarantined,
		len(r.Rejected)-r.Quarantined)
	for _, p := range r.Rejected {
		if p.Detail != "" {
			fmt.Fprintf(w, "  sample %d: %s (%s)\n", p.Index, p.Reason, p.Detail)
		} else {
			fmt.Fprintf(w, "  sample %d: %s\n", p.Index, p.Reason)
		}
	}
}
