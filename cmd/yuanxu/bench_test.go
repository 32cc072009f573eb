package main

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"yuanxu/internal/bench"
	"yuanxu/internal/store/storetest"
)

// TestMain lets bench's serve-process measurement re-execute this test
// binary as yuanxu: with YUANXU_TEST_RUN_MAIN=1 it runs main instead of
// the tests.
func TestMain(m *testing.M) {
	if os.Getenv("YUANXU_TEST_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	benchChildEnv = []string{"YUANXU_TEST_RUN_MAIN=1"}
	os.Exit(m.Run())
}

// TestBenchQuick runs `yuanxu bench --quick --json` on each engine and
// checks the report's shape: every case is there and ran without errors,
// each ratio is the row's value over the reference it names, and every
// row with a target from issue 19 has a verdict. It asserts no timing.
func TestBenchQuick(t *testing.T) {
	t.Parallel()
	for _, eng := range []string{bench.SQLite, bench.Postgres} {
		t.Run(eng, func(t *testing.T) {
			t.Parallel()
			args := []string{"bench", "--quick", "--json", "--db", eng}
			if eng == bench.Postgres {
				args = append(args, "--postgres", storetest.PostgresURL(t))
			}
			var out, errOut bytes.Buffer
			if err := run(context.Background(), args, os.Getenv, strings.NewReader(""), &out, &errOut); err != nil {
				t.Fatalf("bench: %v\n%s", err, errOut.String())
			}
			if !strings.Contains(errOut.String(), "bench [1/") {
				t.Errorf("no progress line on stderr: %q", errOut.String())
			}
			var r bench.Report
			if err := json.Unmarshal(out.Bytes(), &r); err != nil {
				t.Fatalf("report is not JSON: %v\n%s", err, out.String())
			}
			checkBenchReport(t, eng, r)
			// --quick warms each HTTP case for 0.2 s, and says so.
			if r.WarmupSeconds != 0.2 || !strings.Contains(errOut.String(), "(1s after 200ms of warm-up)") {
				t.Errorf("warm-up %v s; progress:\n%s", r.WarmupSeconds, errOut.String())
			}
			var table bytes.Buffer
			if err := r.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"engine", "ratio", "p99 ms", bench.CaseCheckoutHot, bench.CaseUsage, bench.CaseIdleRSS,
				"1 s per case (HTTP cases after 0.2 s of warm-up)"} {
				if !strings.Contains(table.String(), want) {
					t.Errorf("table lacks %q:\n%s", want, table.String())
				}
			}
		})
	}
}

func checkBenchReport(t *testing.T, eng string, r bench.Report) {
	t.Helper()
	type key struct {
		c string
		n int
	}
	rows := map[key]bench.Row{}
	for _, x := range r.Rows {
		if x.Engine != eng {
			t.Errorf("row of engine %q in a %s run", x.Engine, eng)
		}
		rows[key{x.Case, x.Clients}] = x
	}
	ceilingTx, hasCeiling := rows[key{bench.CaseCeilingTx, 16}]
	if eng == bench.SQLite {
		ceilingTx, hasCeiling = rows[key{bench.CaseCeilingTx, 1}]
	}
	if hasCeiling && strings.Contains(ceilingTx.Error, "not installed") {
		hasCeiling = false // a machine without pgbench: ratios are n/a
	}
	want := []key{{bench.CaseCeilingUsage, 4}, {bench.CaseCheckout, 1}, {bench.CaseCheckout, 4}, {bench.CaseCheckout, 16},
		{bench.CaseCheckoutHot, 4}, {bench.CaseCheckoutHot, 16}, {bench.CaseCheckout2Step, 16}, {bench.CaseRefund, 4}, {bench.CasePortal, 0}, {bench.CaseUsage, 4},
		{bench.CaseReady, 0}, {bench.CaseIdleRSS, 0}}
	for _, k := range want {
		x, ok := rows[k]
		if !ok {
			t.Errorf("no %s row with %d clients", k.c, k.n)
			continue
		}
		if x.Error != "" || x.Errors != 0 {
			t.Errorf("%s c=%d: %d errors: %s", k.c, k.n, x.Errors, x.Error)
		}
		if x.Value <= 0 {
			t.Errorf("%s c=%d measured nothing: %+v", k.c, k.n, x)
		}
	}
	// PostgreSQL's write-ahead log per request is read around each case
	// and each pgbench run: a checkout, with its rows and index entries,
	// writes more of it than a pgbench -N transaction.
	if eng == bench.Postgres && hasCeiling {
		co := rows[key{bench.CaseCheckout, 16}]
		if ceilingTx.DBWALBytesPerOp <= 0 || co.DBWALBytesPerOp <= ceilingTx.DBWALBytesPerOp {
			t.Errorf("WAL per op: checkout %.0f B, pgbench -N %.0f B; want both measured, the checkout's larger",
				co.DBWALBytesPerOp, ceilingTx.DBWALBytesPerOp)
		}
	}
	ratio := func(x, ref bench.Row, versus string) {
		t.Helper()
		if x.Ratio == nil || x.Versus != versus {
			t.Errorf("%s c=%d: ratio %v versus %q, want one versus %q", x.Case, x.Clients, x.Ratio, x.Versus, versus)
			return
		}
		if want := x.Value / ref.Value; math.Abs(*x.Ratio-want) > 1e-9*want {
			t.Errorf("%s c=%d: ratio %g, want %g", x.Case, x.Clients, *x.Ratio, want)
		}
	}
	for _, n := range []int{1, 4, 16} {
		if hasCeiling {
			ref := ceilingTx
			if eng == bench.Postgres {
				ref = rows[key{bench.CaseCeilingTx, n}]
			}
			ratio(rows[key{bench.CaseCheckout, n}], ref, bench.CaseCeilingTx+" c="+strconv.Itoa(ref.Clients))
		}
		if n > 1 {
			ratio(rows[key{bench.CaseCheckoutHot, n}], rows[key{bench.CaseCheckout, n}], bench.CaseCheckout+" c="+strconv.Itoa(n))
		}
	}
	if eng == bench.SQLite {
		// Group commit on the ceiling's own transaction (ADR 19), compared
		// with the one-writer loop.
		gc, ok := rows[key{bench.CaseGroupCommit, 16}]
		switch {
		case !ok:
			t.Errorf("no %s row with 16 clients", bench.CaseGroupCommit)
		case gc.Error != "" || gc.Errors != 0 || gc.Ops == 0:
			t.Errorf("%s: %d ops, %d errors: %s", gc.Case, gc.Ops, gc.Errors, gc.Error)
		case !strings.Contains(gc.Note, "InTx per commit"):
			t.Errorf("%s note %q does not give the InTx calls per commit", gc.Case, gc.Note)
		case gc.Goal == "" || gc.Verdict == "":
			t.Errorf("%s: goal %q verdict %q, want both", gc.Case, gc.Goal, gc.Verdict)
		}
		if ok && hasCeiling {
			ratio(gc, ceilingTx, bench.CaseCeilingTx+" c=1")
		}
	}
	ratio(rows[key{bench.CaseCheckout2Step, 16}], rows[key{bench.CaseCheckout, 16}], bench.CaseCheckout+" c=16")
	ratio(rows[key{bench.CaseUsage, 4}], rows[key{bench.CaseCeilingUsage, 4}], bench.CaseCeilingUsage)
	for _, k := range []key{{bench.CaseCheckoutHot, 16}, {bench.CaseUsage, 4}, {bench.CaseRefund, 4}, {bench.CasePortal, 0}, {bench.CaseIdleRSS, 0}} {
		if x := rows[k]; x.Goal == "" || x.Verdict == "" {
			t.Errorf("%s c=%d: goal %q verdict %q, want both", k.c, k.n, x.Goal, x.Verdict)
		}
	}
}

// TestBenchSubset: --cases and --clients limit the run to the named cases
// at the named concurrencies (the SQLite transaction ceiling still runs,
// for the ratio), and a case that does not exist is a usage error that
// names the cases there are.
func TestBenchSubset(t *testing.T) {
	t.Parallel()
	var out, errOut bytes.Buffer
	args := []string{"bench", "--quick", "--json", "--no-process", "--cases", "checkout,portal", "--clients", "2"}
	if err := run(context.Background(), args, os.Getenv, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	var r bench.Report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	var got []string
	for _, x := range r.Rows {
		if x.Case == bench.CaseFsync {
			continue
		}
		got = append(got, x.Case+"/"+strconv.Itoa(x.Clients))
		if x.Error != "" || x.Errors != 0 {
			t.Errorf("%s c=%d: %d errors: %s", x.Case, x.Clients, x.Errors, x.Error)
		}
		// The clock ran until each checkout's delivery email was out
		// (ADR 27): the stand-in relay accepted one per checkout.
		if x.Case == bench.CaseCheckout && x.NoticesSent < x.Ops {
			t.Errorf("checkout: %d notices accepted for %d checkouts", x.NoticesSent, x.Ops)
		}
	}
	want := []string{bench.CaseCeilingTx + "/1", bench.CaseCheckout + "/2", bench.CasePortal + "/0"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("rows = %v, want %v", got, want)
	}
	if !strings.Contains(errOut.String(), "bench [4/4]") {
		t.Errorf("progress does not count 4 steps:\n%s", errOut.String())
	}

	// group-commit alone needs no server: the ceiling, then the case.
	out.Reset()
	errOut.Reset()
	args = []string{"bench", "--quick", "--json", "--no-process", "--cases", bench.CaseGroupCommit, "--clients", "4"}
	if err := run(context.Background(), args, os.Getenv, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("bench: %v\n%s", err, errOut.String())
	}
	r = bench.Report{}
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	got = got[:0]
	for _, x := range r.Rows {
		if x.Case != bench.CaseFsync {
			got = append(got, x.Case+"/"+strconv.Itoa(x.Clients))
		}
	}
	if want := bench.CaseCeilingTx + "/1 " + bench.CaseGroupCommit + "/4"; strings.Join(got, " ") != want {
		t.Errorf("rows = %v, want %v", got, want)
	}
	if !strings.Contains(errOut.String(), "bench [2/2]") || strings.Contains(errOut.String(), "in-process server") {
		t.Errorf("progress is not the ceiling and group commit alone:\n%s", errOut.String())
	}

	for _, bad := range [][]string{{"--cases", "checkout,nosuch"}, {"--clients", "0"}} {
		errOut.Reset()
		err := run(context.Background(), append([]string{"bench", "--quick", "--no-process"}, bad...), os.Getenv, strings.NewReader(""), &out, &errOut)
		if err == nil || !strings.Contains(err.Error()+errOut.String(), bad[0]) {
			t.Errorf("bench %v: err %v, want a usage error naming %s", bad, err, bad[0])
		}
	}
}
