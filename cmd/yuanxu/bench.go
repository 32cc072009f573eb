package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/bench"
)

// benchCmd is `yuanxu bench` (issue 19, internal/bench): the hot paths
// over HTTP against the engine's own ceiling, on this machine, in one run.
type benchCmd struct {
	DB       string        `name:"db" help:"Engines to measure: sqlite, postgres or both." enum:"sqlite,postgres,both" default:"sqlite"`
	Postgres string        `name:"postgres" help:"PostgreSQL server where scratch databases are created and dropped (default: YUANXU_BENCH_POSTGRES)." placeholder:"URL"`
	Duration time.Duration `help:"How long each case and each ceiling runs." default:"10s"`
	Warmup   time.Duration `help:"How long each HTTP case runs, unmeasured, before its --duration: a server's first seconds (new connections, PostgreSQL's plan caches) are not its steady state. 0: none." default:"2s"`
	Quick    bool          `help:"A few seconds in all: 1 s per case after 0.2 s of warm-up, batches of 100 (shape check, not figures)."`
	JSON     bool          `name:"json" help:"Print the report as JSON instead of a table."`
	Markdown bool          `name:"markdown" help:"Print the report as Markdown (a table and charts, as docs/BENCHMARKS.md records runs) instead of a text table."`
	JSONFile string        `name:"json-file" help:"Also write the JSON report to FILE." type:"path" placeholder:"FILE"`
	NoBatch  bool          `name:"postgres-no-batch" help:"Run the PostgreSQL instance with batched transactions off (serve --no-postgres-batch), to measure what they do."`
	NoServe  bool          `name:"no-process" help:"Skip the serve process (start-to-ready, idle memory)."`
	Profile  string        `name:"cpuprofile" help:"Write a CPU profile of one case (--profile-case) to FILE, for go tool pprof." type:"path" placeholder:"FILE"`
	Cases    []string      `name:"cases" help:"Run only these cases (comma-separated): group-commit, checkout, checkout-hot, checkout-2step, refund-eligibility, portal, usage-ingest; the ceilings they are compared with still run. Default: all." placeholder:"CASE"`
	Clients  []int         `name:"clients" help:"Checkout concurrencies (comma-separated)." default:"1,4,16" placeholder:"N"`
	Trace    string        `name:"trace" help:"Write every measured request (start, latency) and the machine's state every 50 ms (CPU, steal, Go GC and scheduling latency, PostgreSQL's wait events) to FILE as CSV, to put a slow request on a clock." type:"path" placeholder:"FILE"`
	Mem      string        `name:"memprofile" help:"Write the allocation profile of one case (--profile-case) to FILE, and the one at its start to FILE.base: go tool pprof -sample_index=alloc_space -base FILE.base shows what the case allocated." type:"path" placeholder:"FILE"`
	gcFlags
	Case string `name:"profile-case" help:"The case --cpuprofile and --memprofile cover: checkout-N, checkout-hot-N, checkout-2step-N (N clients), refund-eligibility, portal or usage-ingest." default:"checkout-16"`
}

func (b *benchCmd) Run(e *env) error {
	b.gcFlags.apply(e)
	if b.Warmup < 0 {
		return usage("--warmup: %v: want 0 or more", b.Warmup)
	}
	o := bench.Options{Duration: b.Duration, Warmup: b.Warmup, PostgresURL: b.Postgres, Quick: b.Quick, Clients: b.Clients, PostgresNoBatch: b.NoBatch}
	for _, c := range b.Cases {
		if !slices.Contains(bench.BenchCases, c) {
			return usage("--cases: %q is not a case (want %s)", c, strings.Join(bench.BenchCases, ", "))
		}
		o.Cases = append(o.Cases, c)
	}
	for _, n := range b.Clients {
		if n < 1 {
			return usage("--clients: %d: want at least 1", n)
		}
	}
	if o.PostgresURL == "" {
		o.PostgresURL = e.getenv("YUANXU_BENCH_POSTGRES")
	}
	switch b.DB {
	case "both":
		o.Engines = []string{bench.SQLite, bench.Postgres}
	default:
		o.Engines = []string{b.DB}
	}
	if b.DB != "sqlite" && o.PostgresURL == "" {
		return usage("--db %s needs --postgres or YUANXU_BENCH_POSTGRES (a server where scratch databases may be created)", b.DB)
	}
	if b.Quick {
		o.Duration, o.Warmup, o.BatchSize = time.Second, 200*time.Millisecond, 100
	}
	if !b.NoServe {
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		o.Process = bench.Process{Exe: exe, Env: benchChildEnv}
	}
	if b.Profile != "" {
		f, err := os.Create(b.Profile)
		if err != nil {
			return usage("--cpuprofile: %v", err)
		}
		defer f.Close()
		o.CPUProfile, o.ProfileCase = f, b.Case
	}
	if b.Mem != "" {
		f, err := os.Create(b.Mem)
		if err != nil {
			return usage("--memprofile: %v", err)
		}
		defer f.Close()
		base, err := os.Create(b.Mem + ".base")
		if err != nil {
			return usage("--memprofile: %v", err)
		}
		defer base.Close()
		o.MemProfile, o.MemProfileBase, o.ProfileCase = f, base, b.Case
	}
	if b.Trace != "" {
		f, err := os.Create(b.Trace)
		if err != nil {
			return usage("--trace: %v", err)
		}
		defer f.Close()
		o.Trace = f
	}
	r, err := bench.Run(e.ctx, o, e.stderr)
	if b.JSONFile != "" {
		f, ferr := os.Create(b.JSONFile)
		if ferr != nil {
			return usage("--json-file: %v", ferr)
		}
		jerr := r.WriteJSON(f)
		if cerr := f.Close(); jerr == nil {
			jerr = cerr
		}
		if jerr != nil {
			return jerr
		}
	}
	if b.JSON {
		if jerr := r.WriteJSON(e.stdout); jerr != nil {
			return jerr
		}
	} else if b.Markdown {
		if merr := r.WriteMarkdown(e.stdout); merr != nil {
			return merr
		}
	} else if terr := r.WriteTable(e.stdout); terr != nil {
		return terr
	}
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// benchChildEnv is added to the environment of the serve process bench
// starts (tests set it to make their binary behave as yuanxu).
var benchChildEnv []string
