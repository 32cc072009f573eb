// Package bench is the performance harness behind `yuanxu bench` (issue
// 19): it starts an in-process yuanxu on a loopback port with a fresh
// database (SQLite or PostgreSQL), seeds the demo catalog and funded,
// verified buyers, drives the hot paths over HTTP — checkout with balance
// payment at 1, 4 and 16 clients, the same with every client debiting one
// shared balance, usage ingestion in batches, refund-eligibility
// decisions, portal pages at a fixed rate — and measures in the same run
// the engine's own ceiling on the same machine (pgbench -N; a bare
// single-writer SQLite transaction loop at synchronous=FULL; a bare
// batched insert of usage-shaped rows), plus a real serve process's
// start-to-ready time and idle memory. It reports throughput, p50/p99 and
// the ratio to the ceiling, with the targets and floors.
//
// Figures are never asserted anywhere: they depend on the machine. The
// package is a harness (like webtest): it wires app, web and store.
package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/store/sqlite"
)

// Engines.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Options choose what runs and for how long.
type Options struct {
	Engines []string // SQLite, Postgres
	// PostgresURL is a server where scratch databases may be created
	// (and are dropped afterwards); needed for Postgres.
	PostgresURL string
	// Duration is how long each case and each ceiling runs.
	Duration time.Duration
	// Warmup is how long each HTTP case runs before it is measured, its
	// answers discarded (zero: not at all). A server that has been up
	// for a while has its pool's connections open, PostgreSQL's
	// per-connection plan and catalogue caches filled and its own caches
	// warm; a fresh one pays for all of that in its first seconds, which
	// in a 5-second PostgreSQL checkout case cost a third of the
	// throughput and tripled the p99 (ADR 21). The ceilings need none:
	// the SQLite loop has nothing to warm, and pgbench's five statements
	// warm at once.
	Warmup time.Duration
	// Clients are the checkout concurrencies (default 1, 4, 16).
	Clients []int
	// BatchSize is the number of samples in one usage batch (default 1000).
	BatchSize int
	// PostgresNoBatch turns the instance's batched transactions off
	// (ADR 30), to measure what they do.
	PostgresNoBatch bool
	// PortalRate is the portal case's requests per second (default 200).
	PortalRate int
	// Process, when Exe is set, measures a real serve process.
	Process Process
	Quick   bool
	// CPUProfile, when set, receives a CPU profile (runtime/pprof) of
	// the process — the in-process server and the load it is under —
	// taken during the case named ProfileCase on the first engine.
	CPUProfile  io.Writer
	ProfileCase string
	// MemProfile and MemProfileBase, when set, receive the process's
	// allocation profile (runtime/pprof's "allocs") at the end and at the
	// start of the case named ProfileCase on the first engine: `go tool
	// pprof -sample_index=alloc_space -base` of the two is what the case
	// allocated.
	MemProfile, MemProfileBase io.Writer
	// Trace, when set, receives every measured request of every case and
	// the machine's state every 50 ms during it, as CSV (trace.go).
	Trace io.Writer
	// statsConn reads PostgreSQL's activity for the trace and its
	// write-ahead log for each case (statsDB).
	statsConn *sql.DB
	// Cases, when set, limits the run to these cases (CaseGroupCommit,
	// CaseCheckout, CaseCheckoutHot, CaseCheckout2Step, CaseRefund,
	// CasePortal, CaseUsage); the engine's ceilings that give them a ratio
	// still run. CaseGroupCommit is SQLite's alone: a PostgreSQL run of it
	// measures the ceiling only.
	Cases []string
}

// wants reports whether the run includes case c.
func (o *Options) wants(c string) bool {
	if len(o.Cases) == 0 {
		return true
	}
	for _, x := range o.Cases {
		if x == c {
			return true
		}
	}
	return false
}

// BenchCases are the cases Options.Cases may name.
var BenchCases = []string{CaseGroupCommit, CaseCheckout, CaseCheckoutHot, CaseCheckout2Step, CaseRefund, CasePortal, CaseUsage}

// profiled runs fn, a case of engine eng, and records the CPU it took
// (cpu.go): this process's, and on PostgreSQL the server's, with the
// write-ahead log the server wrote (wal.go). When name is
// the case o profiles, it runs under the CPU profiler (once: the profile
// is cleared after).
func (o *Options) profiled(eng, name string, fn func() measured) measured {
	run := func() measured {
		var tr *tracer
		if o.Trace != nil {
			tr = startTrace(o.Trace, eng, name, o.statsDB(eng))
		}
		walBefore := sampleWAL(context.Background(), o.statsDB(eng))
		before := sampleCPU(eng == Postgres)
		m := fn()
		after := sampleCPU(eng == Postgres)
		m.WAL, m.WALOK = sampleWAL(context.Background(), o.statsDB(eng)).since(walBefore)
		if tr != nil {
			_ = tr.finish(m)
		}
		m.ProcCPU = after.proc - before.proc
		if before.ok && after.ok {
			m.DBCPU = after.db - before.db
		}
		return m
	}
	if name != o.ProfileCase {
		return run()
	}
	if o.MemProfile != nil && o.MemProfileBase != nil {
		runtime.GC() // the profile counts allocations up to the last GC
		_ = pprof.Lookup("allocs").WriteTo(o.MemProfileBase, 0)
		defer func() {
			runtime.GC()
			_ = pprof.Lookup("allocs").WriteTo(o.MemProfile, 0)
			o.MemProfile, o.MemProfileBase = nil, nil
		}()
	}
	if o.CPUProfile == nil {
		return run()
	}
	if err := pprof.StartCPUProfile(o.CPUProfile); err != nil {
		return run()
	}
	defer func() { pprof.StopCPUProfile(); o.CPUProfile = nil }()
	return run()
}

func (o *Options) defaults() {
	if o.Duration <= 0 {
		o.Duration = 10 * time.Second
	}
	if len(o.Clients) == 0 {
		o.Clients = []int{1, 4, 16}
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 1000
	}
	if o.PortalRate <= 0 {
		o.PortalRate = 200
	}
}

// usageClients is how many nodes' worth of concurrent batches the usage
// case and its ceiling send; refundClients the concurrency of refund
// decisions.
const (
	usageClients  = 4
	refundClients = 4
)

// Run measures every case on every engine of o and returns the report;
// progress gets one line per step. A case that fails is reported with its
// error and the run goes on; Run fails only when an engine cannot start.
func Run(ctx context.Context, o Options, progress io.Writer) (Report, error) {
	o.defaults()
	defer func() {
		if o.statsConn != nil {
			o.statsConn.Close()
		}
	}()
	r := Report{Machine: machine(ctx, o), Started: time.Now().UTC(), Quick: o.Quick, CaseSeconds: o.Duration.Seconds(),
		WarmupSeconds: o.Warmup.Seconds()}
	steps := 0
	for _, eng := range o.Engines {
		steps += o.steps(eng)
	}
	step := 0
	say := func(format string, args ...any) {
		step++
		fmt.Fprintf(progress, "bench [%d/%d] %s\n", step, steps, fmt.Sprintf(format, args...))
	}
	note := func(format string, args ...any) { // between steps: not one of them
		fmt.Fprintf(progress, "bench [%d/%d] … %s\n", step, steps, fmt.Sprintf(format, args...))
	}
	for _, eng := range o.Engines {
		rows, err := runEngine(ctx, &o, eng, say, note)
		r.Rows = append(r.Rows, rows...)
		if err != nil {
			return r, fmt.Errorf("%s: %w", eng, err)
		}
	}
	evaluate(r.Rows)
	return r, nil
}

// steps is how many progress steps runEngine takes on eng.
func (o *Options) steps(eng string) int {
	n := 1 // the transaction ceiling
	if eng == SQLite && o.wants(CaseGroupCommit) {
		n++
	}
	if o.wantsServer() {
		n++ // the start
	}
	for c, k := range map[string]int{CaseCheckout: len(o.Clients), CaseCheckout2Step: 1, CaseRefund: 1, CasePortal: 1, CaseUsage: 2} {
		if o.wants(c) {
			n += k
		}
	}
	for _, c := range o.Clients {
		if c > 1 && o.wants(CaseCheckoutHot) {
			n++
		}
	}
	if o.Process.Exe != "" {
		n++
	}
	return n
}

// wantsServer reports whether the run includes a case measured over HTTP
// against an in-process server.
func (o *Options) wantsServer() bool {
	for _, c := range BenchCases {
		if c != CaseGroupCommit && o.wants(c) {
			return true
		}
	}
	return false
}

func runEngine(ctx context.Context, o *Options, eng string, say, note func(string, ...any)) ([]Row, error) {
	var rows []Row
	d := o.Duration
	// The engine's ceilings first, on an idle machine.
	ceil := map[int]Row{}
	if eng == Postgres {
		say("postgres ceiling: pgbench -N at %v clients (%v each)", o.Clients, d)
		ms, ok, err := pgbenchCeiling(ctx, o.PostgresURL, o.statsDB(eng), o.Clients, d)
		switch {
		case err != nil:
			rows = append(rows, failed(eng, CaseCeilingTx, 0, err))
		case !ok:
			rows = append(rows, Row{Engine: eng, Case: CaseCeilingTx, Error: "pgbench is not installed: no PostgreSQL ceiling (ratios n/a)"})
		default:
			for _, c := range o.Clients {
				row := rowOf(eng, CaseCeilingTx, c, "tx/s", ms[c])
				row.Note = "pgbench -N -s 1; p50 is pgbench's average"
				ceil[c] = row
				rows = append(rows, row)
			}
		}
	} else {
		say("sqlite ceiling: bare insert+update transactions, one writer, synchronous=FULL (%v); then fsync alone", d)
		dir, err := os.MkdirTemp("", "yuanxu-bench-ceiling-*")
		if err != nil {
			return rows, err
		}
		m, err := sqliteCeiling(ctx, dir, d)
		if err != nil {
			rows = append(rows, failed(eng, CaseCeilingTx, 1, err))
		} else {
			row := rowOf(eng, CaseCeilingTx, 1, "tx/s", m)
			row.Note = "one writer: the same ceiling at every client count"
			rows = append(rows, row)
			for _, c := range o.Clients {
				ceil[c] = row
			}
		}
		if m, err := fsyncProbe(ctx, dir, min(d, 3*time.Second)); err != nil {
			rows = append(rows, failed(eng, CaseFsync, 1, err))
		} else {
			row := rowOf(eng, CaseFsync, 1, "fsync/s", m)
			row.Note = "4 KiB write + fsync in the data directory's file system, one at a time: what one durable commit costs the disk"
			rows = append(rows, row)
		}
		if n := maxOf(o.Clients); o.wants(CaseGroupCommit) {
			say("sqlite group commit: the same transaction through store.InTx, %d writers (%v)", n, d)
			var note string
			var err error
			m := o.profiled(eng, CaseGroupCommit, func() measured {
				var m measured
				m, note, err = groupCommit(ctx, dir, n, d)
				return m
			})
			if err != nil {
				rows = append(rows, failed(eng, CaseGroupCommit, n, err))
			} else {
				row := rowOf(eng, CaseGroupCommit, n, "tx/s", m)
				row.Note = note
				if cr, ok := ceil[n]; ok {
					row.ratioTo(cr, fmt.Sprintf("%s c=%d", cr.Case, cr.Clients))
				}
				rows = append(rows, row)
			}
		}
		os.RemoveAll(dir)
	}
	var usageCeil Row
	if o.wants(CaseUsage) {
		say("%s ceiling: bare batched insert of usage-shaped rows (%d clients, batches of %d)", eng, usageClients, o.BatchSize)
		var err error
		if usageCeil, err = usageCeiling(ctx, o, eng, d); err != nil {
			rows = append(rows, failed(eng, CaseCeilingUsage, usageClients, err))
		} else {
			rows = append(rows, usageCeil)
		}
	}

	if !o.wantsServer() {
		return append(rows, processRows(ctx, o, eng, say)...), nil
	}
	say("%s: starting an in-process server on a fresh database and seeding %d buyers", eng, maxOf(o.Clients))
	in, err := startInstance(ctx, eng, o.PostgresURL, o.PostgresNoBatch, maxOf(o.Clients), usageClients)
	if err != nil {
		return rows, err
	}
	defer in.Close()
	c := newClient(in)

	distinct := map[int]Row{}
	settle := func() { in.settle(ctx, settleLimit, note) }
	// measure runs a case for o.Warmup, discarded, then for d, measured
	// with the CPU it took (profiled). The measured run starts once the
	// warm-up's notices are out and ends once its own are: a checkout's
	// delivery notice is sent after it answered (ADR 22), and a rate that
	// left its notices queued would not be one the instance can keep up.
	measure := func(name string, run func(time.Duration) measured) measured {
		if o.Warmup > 0 {
			run(o.Warmup)
		}
		in.drainNotices(ctx, settleLimit)
		return o.profiled(eng, name, func() measured {
			sent := in.noticesAccepted()
			b0, n0, s0 := in.DB.BatchStats()
			m := run(d)
			m.Drain, m.DrainLeft = in.drainNotices(ctx, settleLimit)
			m.Elapsed += m.Drain
			m.Notices = in.noticesAccepted() - sent
			b1, n1, s1 := in.DB.BatchStats()
			m.Batches, m.Batched, m.Alone = b1-b0, n1-n0, s1-s0
			return m
		})
	}
	dur := fmt.Sprint(d)
	if o.Warmup > 0 {
		dur += " after " + fmt.Sprint(o.Warmup) + " of warm-up"
	}
	for _, n := range o.Clients {
		if !o.wants(CaseCheckout) {
			break
		}
		settle()
		say("%s checkout (balance payment over HTTP), %d clients, one buyer each (%s)", eng, n, dur)
		row := rowOf(eng, CaseCheckout, n, "checkouts/s", measure(fmt.Sprintf("%s-%d", CaseCheckout, n), func(d time.Duration) measured {
			return closedLoop(ctx, n, d, c.checkout(func(cl int) int { return cl }, false))
		}))
		if cr, ok := ceil[n]; ok {
			row.ratioTo(cr, fmt.Sprintf("%s c=%d", cr.Case, cr.Clients))
		}
		if row.BatchedTx > 0 || row.AloneTx > 0 {
			note("%s checkout, %d clients: %d transactions committed in batches of %.1f on average; %d ran again alone", eng, n, row.BatchedTx, row.BatchMean, row.AloneTx)
		}
		distinct[n] = row
		rows = append(rows, row)
	}
	for _, n := range o.Clients {
		if n == 1 || !o.wants(CaseCheckoutHot) {
			continue // one client is the distinct case
		}
		settle()
		say("%s checkout, %d clients all paying from one shared balance (%s)", eng, n, dur)
		row := rowOf(eng, CaseCheckoutHot, n, "checkouts/s", measure(fmt.Sprintf("%s-%d", CaseCheckoutHot, n), func(d time.Duration) measured {
			return closedLoop(ctx, n, d, c.checkout(func(int) int { return 0 }, false))
		}))
		row.ratioTo(distinct[n], fmt.Sprintf("%s c=%d", CaseCheckout, n))
		rows = append(rows, row)
	}
	// The same checkout placed and paid in two requests (two transactions),
	// as a client that does not send pay does it: its ratio is to the
	// one-request checkout at the same concurrency.
	if n := maxOf(o.Clients); n > 0 && o.wants(CaseCheckout2Step) {
		settle()
		say("%s checkout in two requests (place, then pay), %d clients (%s)", eng, n, dur)
		row := rowOf(eng, CaseCheckout2Step, n, "checkouts/s", measure(fmt.Sprintf("%s-%d", CaseCheckout2Step, n), func(d time.Duration) measured {
			return closedLoop(ctx, n, d, c.checkout(func(cl int) int { return cl }, true))
		}))
		row.ratioTo(distinct[n], fmt.Sprintf("%s c=%d", CaseCheckout, n))
		rows = append(rows, row)
	}
	if o.wants(CaseRefund) {
		settle()
		say("%s refund-eligibility decisions over HTTP, %d clients (%s)", eng, refundClients, dur)
		if refund, err := c.refundEligibility(); err != nil {
			rows = append(rows, failed(eng, CaseRefund, refundClients, err))
		} else {
			rows = append(rows, rowOf(eng, CaseRefund, refundClients, "decisions/s", measure(CaseRefund, func(d time.Duration) measured {
				return closedLoop(ctx, refundClients, d, refund)
			})))
		}
	}
	if o.wants(CasePortal) {
		settle()
		say("%s portal pages at %d requests/s (%s)", eng, o.PortalRate, dur)
		portal := rowOf(eng, CasePortal, 0, "pages/s", measure(CasePortal, func(d time.Duration) measured { return fixedRate(ctx, o.PortalRate, d, c.portal()) }))
		portal.Rate = o.PortalRate
		rows = append(rows, portal)
	}
	if o.wants(CaseUsage) {
		settle()
		say("%s usage ingestion over HTTP, %d nodes' batches of %d samples (%s)", eng, usageClients, o.BatchSize, dur)
		batch := c.usageBatch(o.BatchSize) // one sequence of samples through warm-up and measurement: none is sent twice
		usage := rowOf(eng, CaseUsage, usageClients, "samples/s", measure(CaseUsage, func(d time.Duration) measured {
			return closedLoop(ctx, usageClients, d, batch)
		}))
		if usageCeil.Error == "" && usageCeil.Value > 0 {
			usage.ratioTo(usageCeil, CaseCeilingUsage)
		}
		rows = append(rows, usage)
	}
	in.Close()
	return append(rows, processRows(ctx, o, eng, say)...), nil
}

// usageCeiling runs batchInsertCeiling on a scratch SQLite file opened as
// yuanxu opens its own, or in a scratch PostgreSQL database.
func usageCeiling(ctx context.Context, o *Options, eng string, d time.Duration) (Row, error) {
	var w *sql.DB
	if eng == Postgres {
		u, drop, err := scratchDatabase(ctx, o.PostgresURL, "yuanxu_bench_bare")
		if err != nil {
			return Row{}, err
		}
		defer drop()
		if w, err = sql.Open("pgx", u); err != nil {
			return Row{}, err
		}
		defer w.Close()
	} else {
		dir, err := os.MkdirTemp("", "yuanxu-bench-ceiling-*")
		if err != nil {
			return Row{}, err
		}
		defer os.RemoveAll(dir)
		db, err := sqlite.Open(tempPath(dir, "ceiling-usage.db"), sqlite.Options{})
		if err != nil {
			return Row{}, err
		}
		defer db.Close()
		w = db.Writer()
	}
	m, err := batchInsertCeiling(ctx, w, eng, "bench_usage_bare", usageClients, o.BatchSize, d)
	if err != nil {
		return Row{}, err
	}
	return rowOf(eng, CaseCeilingUsage, usageClients, "samples/s", m), nil
}

// processRows measures a serve process (not sandbox, no demo) on a fresh
// database of eng.
func processRows(ctx context.Context, o *Options, eng string, say func(string, ...any)) []Row {
	if o.Process.Exe == "" {
		return nil
	}
	say("%s: a real serve process on a fresh database: start to ready, idle memory", eng)
	var args []string
	if eng == Postgres {
		u, drop, err := scratchDatabase(ctx, o.PostgresURL, "yuanxu_bench_proc")
		if err != nil {
			return []Row{failed(eng, CaseReady, 0, err)}
		}
		defer drop()
		s, p, b, err := app.GenerateSecrets()
		if err != nil {
			return []Row{failed(eng, CaseReady, 0, err)}
		}
		args = []string{"--db", u, "--session-key", s, "--pii-keys", p, "--blind-index-key", b}
	} else {
		dir, err := os.MkdirTemp("", "yuanxu-bench-proc-*")
		if err != nil {
			return []Row{failed(eng, CaseReady, 0, err)}
		}
		defer os.RemoveAll(dir)
		args = []string{"--data", dir}
	}
	idle := 3 * time.Second
	if o.Quick {
		idle = time.Second
	}
	res, err := o.Process.measure(ctx, args, idle)
	if err != nil {
		return []Row{failed(eng, CaseReady, 0, err)}
	}
	return []Row{
		{Engine: eng, Case: CaseReady, Unit: "ms", Value: float64(res.Ready) / float64(time.Millisecond), Note: "exec to /readyz 200, fresh database (migrations included)"},
		{Engine: eng, Case: CaseIdleRSS, Unit: "MB", Value: float64(res.RSSByte) / (1 << 20), Note: fmt.Sprintf("VmRSS after %v idle", idle)},
	}
}

func maxOf(xs []int) int {
	m := 0
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// machine describes where the run happened.
func machine(ctx context.Context, o Options) Machine {
	m := Machine{GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m.CPU = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if l, _, ok := strings.Cut(string(b), "\n"); ok {
			m.Memory = strings.Join(strings.Fields(strings.TrimPrefix(l, "MemTotal:")), " ")
		}
	}
	for _, e := range o.Engines {
		if e != Postgres {
			continue
		}
		if db, err := sql.Open("pgx", o.PostgresURL); err == nil {
			_ = db.QueryRowContext(ctx, "SHOW server_version").Scan(&m.Postgres)
			db.Close()
		}
	}
	return m
}
