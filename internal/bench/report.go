package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Cases, as they appear in the table and the JSON.
const (
	CaseCeilingTx     = "ceiling:tx"    // pgbench -N, or the bare SQLite loop
	CaseCeilingUsage  = "ceiling:batch" // bare batched insert of usage rows
	CaseFsync         = "probe:fsync"   // a 4 KiB write and fsync, one at a time (SQLite's disk)
	CaseGroupCommit   = "group-commit"  // the SQLite ceiling's transaction through store.InTx, group commit on
	CaseCheckout      = "checkout"
	CaseCheckoutHot   = "checkout-hot"   // every client pays from one balance
	CaseCheckout2Step = "checkout-2step" // placed, then paid: two requests
	CaseRefund        = "refund-eligibility"
	CasePortal        = "portal"
	CaseUsage         = "usage-ingest"
	CaseReady         = "start-to-ready"
	CaseIdleRSS       = "idle-rss"
)

// Report is one run.
type Report struct {
	Machine     Machine   `json:"machine"`
	Started     time.Time `json:"started"`
	Quick       bool      `json:"quick"`
	CaseSeconds float64   `json:"case_seconds"`
	// WarmupSeconds is how long each HTTP case ran, unmeasured, before
	// its CaseSeconds (Options.Warmup).
	WarmupSeconds float64 `json:"warmup_seconds"`
	Rows          []Row   `json:"rows"`
}

// Machine is where a run happened.
type Machine struct {
	GOOS     string `json:"goos"`
	GOARCH   string `json:"goarch"`
	CPUs     int    `json:"cpus"`
	CPU      string `json:"cpu,omitempty"`
	Memory   string `json:"memory,omitempty"`
	Go       string `json:"go"`
	Postgres string `json:"postgres,omitempty"`
}

// Row is one measured case. Value is in Unit (a rate, or ms / MB for the
// process rows); Ratio is Value over the reference named by Versus (the
// engine's ceiling, or the distinct-buyers checkout for checkout-hot), nil
// when there is none.
type Row struct {
	Engine  string   `json:"engine"`
	Case    string   `json:"case"`
	Clients int      `json:"clients,omitempty"`
	Rate    int      `json:"rate_per_s,omitempty"`
	Unit    string   `json:"unit"`
	Value   float64  `json:"value"`
	Ops     int64    `json:"ops"`
	Errors  int64    `json:"errors"`
	P50Ms   float64  `json:"p50_ms"`
	P99Ms   float64  `json:"p99_ms"`
	Versus  string   `json:"versus,omitempty"`
	Ratio   *float64 `json:"ratio,omitempty"`
	// CPUMsPerOp is this process's CPU (server, use cases, SQLite and the
	// load generator) per request; DBCPUMsPerOp the PostgreSQL server's;
	// CPUUse both as a share of the machine's CPUs over the case.
	CPUMsPerOp   float64 `json:"cpu_ms_per_op,omitempty"`
	DBCPUMsPerOp float64 `json:"db_cpu_ms_per_op,omitempty"`
	CPUUse       float64 `json:"cpu_use,omitempty"`
	// DBWALBytesPerOp, DBWALRecordsPerOp and DBWALFPIPerOp are the
	// write-ahead log PostgreSQL wrote per request (per transaction for
	// pgbench): bytes, records and full-page images (wal.go). The bytes
	// are exact. The records and images are approximate: backends report
	// them to pg_stat_wal up to a second late while busy and up to ten
	// seconds once idle, so part of an earlier case's may fall in a
	// later one's window. Full-page images come with the first change to
	// each page after a checkpoint, so the bytes vary a little with where
	// the checkpoints fall.
	DBWALBytesPerOp   float64 `json:"db_wal_bytes_per_op,omitempty"`
	DBWALRecordsPerOp float64 `json:"db_wal_records_per_op,omitempty"`
	DBWALFPIPerOp     float64 `json:"db_wal_fpi_per_op,omitempty"`
	// NoticeDrainMs is how long after its last request the case waited
	// for its notices to be sent and recorded: part of the elapsed time
	// Value is computed over.
	NoticeDrainMs float64 `json:"notice_drain_ms,omitempty"`
	// NoticesSent is how many email and SMS messages the stand-in
	// providers accepted over that time (a checkout's delivery notice is
	// one email).
	NoticesSent int64 `json:"notices_sent,omitempty"`
	// BatchedTx is how many transactions committed in PostgreSQL
	// batches over the case, BatchMean their mean batch size and
	// AloneTx how many ran again alone after their batch failed (ADR 30).
	BatchedTx int64   `json:"batched_tx,omitempty"`
	BatchMean float64 `json:"batch_mean,omitempty"`
	AloneTx   int64   `json:"alone_tx,omitempty"`
	Goal      string  `json:"goal,omitempty"`
	Verdict   string  `json:"verdict,omitempty"`
	Note      string  `json:"note,omitempty"`
	Error     string  `json:"error,omitempty"`
}

func rowOf(eng, name string, clients int, unit string, m measured) Row {
	r := Row{Engine: eng, Case: name, Clients: clients, Unit: unit, Value: m.perSecond(), Ops: m.Ops, Errors: m.Errors,
		P50Ms: m.quantile(0.50), P99Ms: m.quantile(0.99)}
	if m.FirstErr != nil {
		r.Error = m.FirstErr.Error()
	}
	r.NoticeDrainMs, r.NoticesSent = float64(m.Drain)/float64(time.Millisecond), m.Notices
	r.BatchedTx, r.AloneTx = int64(m.Batched), int64(m.Alone)
	if m.Batches > 0 {
		r.BatchMean = float64(m.Batched) / float64(m.Batches)
	}
	if m.DrainLeft > 0 && r.Error == "" {
		r.Error = fmt.Sprintf("%d notices still unsent %v after the last request", m.DrainLeft, m.Drain.Round(time.Second))
	}
	if m.Ops > 0 && m.ProcCPU > 0 {
		ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) / float64(m.Ops) }
		r.CPUMsPerOp, r.DBCPUMsPerOp = ms(m.ProcCPU), ms(m.DBCPU)
		if m.Elapsed > 0 {
			r.CPUUse = float64(m.ProcCPU+m.DBCPU) / float64(m.Elapsed) / float64(runtime.NumCPU())
		}
	}
	if m.WALOK && m.Ops > 0 {
		per := func(n int64) float64 { return float64(n) / float64(m.Ops) }
		r.DBWALBytesPerOp, r.DBWALRecordsPerOp, r.DBWALFPIPerOp = per(m.WAL.Bytes), per(m.WAL.Records), per(m.WAL.FPI)
	}
	if name == CaseCeilingTx && len(m.lat) == 1 { // pgbench: an average only
		r.P99Ms = 0
	}
	return r
}

func failed(eng, name string, clients int, err error) Row {
	return Row{Engine: eng, Case: name, Clients: clients, Error: err.Error()}
}

// ratioTo sets r's ratio to ref's value.
func (r *Row) ratioTo(ref Row, name string) {
	if ref.Value <= 0 {
		return
	}
	x := r.Value / ref.Value
	r.Ratio, r.Versus = &x, name
}

// goal is a target and a floor from issue 19 for one kind of row.
type goal struct {
	text          string
	target, floor func(Row) bool
}

func ratioAtLeast(x float64) func(Row) bool {
	return func(r Row) bool { return r.Ratio != nil && *r.Ratio >= x }
}

func p99Under(ms float64) func(Row) bool {
	return func(r Row) bool { return r.Ops > 0 && r.P99Ms < ms }
}

func valueUnder(x float64) func(Row) bool {
	return func(r Row) bool { return r.Value > 0 && r.Value < x }
}

func aboveCeiling(r Row) bool { return r.Ratio != nil && *r.Ratio > 1 }

func both(a, b func(Row) bool) func(Row) bool { return func(r Row) bool { return a(r) && b(r) } }

// goalFor is the target and floor for r, if it has one.
func goalFor(r Row) (goal, bool) {
	switch {
	case r.Case == CaseCheckout && r.Clients == 16 && r.Engine == Postgres:
		return goal{"≥35% of pgbench -N c=16, p99<50ms (floor 15%)", both(ratioAtLeast(0.35), p99Under(50)), ratioAtLeast(0.15)}, true
	case r.Case == CaseCheckout && r.Clients == 16 && r.Engine == SQLite:
		return goal{"≥2× the one-fsync-per-commit ceiling (floor: above it)", ratioAtLeast(2), aboveCeiling}, true
	case r.Case == CaseGroupCommit && r.Clients == 16:
		return goal{"group commit ≥2× the one-fsync-per-commit ceiling (floor: above it)", ratioAtLeast(2), aboveCeiling}, true
	case r.Case == CaseCheckoutHot && r.Clients == 16:
		return goal{"≥80% of distinct buyers (floor 60%)", ratioAtLeast(0.8), ratioAtLeast(0.6)}, true
	case r.Case == CaseUsage:
		return goal{"≥100,000 samples/s and ≥50% of the bare insert (floor 50,000/s)",
			func(r Row) bool { return r.Value >= 100000 && r.Ratio != nil && *r.Ratio >= 0.5 }, func(r Row) bool { return r.Value >= 50000 }}, true
	case r.Case == CaseRefund:
		return goal{"p99 <5 ms (floor 20 ms)", p99Under(5), p99Under(20)}, true
	case r.Case == CasePortal:
		return goal{"p99 <25 ms at 200/s (floor 50 ms)", p99Under(25), p99Under(50)}, true
	case r.Case == CaseIdleRSS:
		return goal{"<60 MB (floor 100 MB)", valueUnder(60), valueUnder(100)}, true
	case r.Case == CaseReady && r.Engine == SQLite:
		return goal{"<1 s (floor 2 s)", valueUnder(1000), valueUnder(2000)}, true
	}
	return goal{}, false
}

// evaluate fills each row's goal and verdict.
func evaluate(rows []Row) {
	for i := range rows {
		g, ok := goalFor(rows[i])
		if !ok {
			continue
		}
		rows[i].Goal = g.text
		switch {
		case rows[i].Error != "" && rows[i].Ops == 0 && rows[i].Value == 0:
			rows[i].Verdict = "not measured"
		case g.target(rows[i]):
			rows[i].Verdict = "target met"
		case g.floor(rows[i]):
			rows[i].Verdict = "floor met, target not"
		default:
			rows[i].Verdict = "BELOW FLOOR"
		}
	}
}

// WriteJSON writes r as indented JSON.
func (r Report) WriteJSON(w io.Writer) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(r)
}

// WriteTable writes r as an aligned text table, then the errors.
func (r Report) WriteTable(w io.Writer) error {
	m := r.Machine
	fmt.Fprintf(w, "yuanxu bench — %s/%s, %d CPUs (%s), %s, %s", m.GOOS, m.GOARCH, m.CPUs, m.CPU, m.Memory, m.Go)
	if m.Postgres != "" {
		fmt.Fprintf(w, ", PostgreSQL %s", m.Postgres)
	}
	fmt.Fprintf(w, "; %s%s\n\n", r.perCase(), map[bool]string{true: " (quick)"}[r.Quick])
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "engine\tcase\tclients\tvalue\tunit\tp50 ms\tp99 ms\tratio\tversus\tcpu ms/op\tdb cpu ms/op\tcpu use\tdb wal/op\terrors\tverdict\t")
	for _, x := range r.Rows {
		clients, ratio := x.clientsLabel(), x.ratioLabel("%.2f")
		lat := func(v float64) string {
			if v == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", v)
		}
		cpu, dbcpu, use := x.cpuLabels()
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t\n", x.Engine, x.Case, clients, formatValue(x.Value), x.Unit,
			lat(x.P50Ms), lat(x.P99Ms), ratio, x.Versus, cpu, dbcpu, use, x.walLabel(), x.Errors, x.Verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var notes []string
	for _, x := range r.Rows {
		if x.Goal != "" {
			notes = append(notes, fmt.Sprintf("  %s %s: goal %s", x.Engine, x.Case, x.Goal))
		}
		if x.Error != "" {
			notes = append(notes, fmt.Sprintf("  %s %s: error: %s", x.Engine, x.Case, x.Error))
		}
	}
	if len(notes) > 0 {
		fmt.Fprintf(w, "\n%s\n", strings.Join(notes, "\n"))
	}
	return nil
}

// clientsLabel is the row's concurrency: clients, or a fixed rate.
func (x Row) clientsLabel() string {
	switch {
	case x.Clients > 0:
		return fmt.Sprint(x.Clients)
	case x.Rate > 0:
		return fmt.Sprintf("%d/s", x.Rate)
	}
	return ""
}

// cpuLabels are the CPU columns: ms per request of this process and of
// the database server, and the share of the machine; "" when not measured.
func (x Row) cpuLabels() (cpu, db, use string) {
	if x.CPUMsPerOp == 0 {
		return "", "", ""
	}
	cpu = fmt.Sprintf("%.2f", x.CPUMsPerOp)
	if x.DBCPUMsPerOp > 0 {
		db = fmt.Sprintf("%.2f", x.DBCPUMsPerOp)
	}
	return cpu, db, fmt.Sprintf("%.0f%%", 100*x.CPUUse)
}

// walLabel is the write-ahead log per request in bytes, as "21.3 kB"
// (a read-only case's background writes as "0.4 B"); "" when not
// measured. The records are left to the JSON: pg_stat_wal counts them
// late (walSample), which a short case's figure shows.
func (x Row) walLabel() string {
	switch v := x.DBWALBytesPerOp; {
	case v == 0:
		return ""
	case v >= 1000:
		return fmt.Sprintf("%.1f kB", v/1000)
	case v >= 10:
		return fmt.Sprintf("%.0f B", v)
	default:
		return fmt.Sprintf("%.1f B", v)
	}
}

// ratioLabel is the ratio in format, or n/a.
func (x Row) ratioLabel(format string) string {
	if x.Ratio == nil {
		return "n/a"
	}
	return fmt.Sprintf(format, *x.Ratio)
}

func formatValue(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

// perCase says how long each case ran: "5 s per case", and "after 2 s of
// warm-up" when the HTTP cases had one.
func (r Report) perCase() string {
	s := fmt.Sprintf("%g s per case", r.CaseSeconds)
	if r.WarmupSeconds > 0 {
		s += fmt.Sprintf(" (HTTP cases after %g s of warm-up)", r.WarmupSeconds)
	}
	return s
}
