package bench

import (
	"strings"
	"testing"
)

// TestWriteMarkdown: the Markdown report holds every row with its CPU and
// write-ahead log per request and its verdict (below-floor ones in bold), ratio bars proportional to the ratio, and a
// latency past its floor marked.
func TestWriteMarkdown(t *testing.T) {
	t.Parallel()
	half, twice := 0.5, 2.0
	r := Report{Machine: Machine{GOOS: "linux", GOARCH: "amd64", CPUs: 2, Go: "go1.26"}, CaseSeconds: 5, WarmupSeconds: 2, Rows: []Row{
		{Engine: SQLite, Case: CaseCheckout, Clients: 16, Unit: "checkouts/s", Value: 1234.5, Ops: 10, P50Ms: 3.2, P99Ms: 12, Ratio: &half, Versus: "ceiling:tx c=1",
			CPUMsPerOp: 1.234, CPUUse: 0.95},
		{Engine: Postgres, Case: CaseCheckout, Clients: 16, Unit: "checkouts/s", Value: 300, Ops: 10, P50Ms: 40, P99Ms: 90,
			CPUMsPerOp: 2.5, DBCPUMsPerOp: 3.75, CPUUse: 0.931, DBWALBytesPerOp: 21345, DBWALRecordsPerOp: 124.6},
		{Engine: SQLite, Case: CaseCheckoutHot, Clients: 16, Unit: "checkouts/s", Value: 50, Ops: 10, Ratio: &twice},
		{Engine: SQLite, Case: CasePortal, Rate: 200, Unit: "pages/s", Value: 200, Ops: 10, P50Ms: 5, P99Ms: 75},
		{Engine: SQLite, Case: CaseRefund, Clients: 4, Unit: "decisions/s", Value: 900, Ops: 10, P99Ms: 4},
	}}
	evaluate(r.Rows)
	var b strings.Builder
	if err := r.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"; 5 s per case (HTTP cases after 2 s of warm-up); started ",
		"| sqlite | checkout | 16 | 1,234 | checkouts/s | 3.20 | 12.0 | 0.500 | ceiling:tx c=1 | 1.23 |  | 95% |  | 0 |",
		"| postgres | checkout | 16 | 300 | checkouts/s | 40.0 | 90.0 | n/a |  | 2.50 | 3.75 | 93% | 21.3 kB | 0 |",
		"| sqlite | portal | 200/s | 200 | pages/s |",
		"**BELOW FLOOR**",
		"target met",
		"sqlite   checkout       c=16  |" + strings.Repeat("█", 20) + strings.Repeat(" ", 20) + "| 0.500\n",
		"|" + strings.Repeat("█", 40) + "| 2.000 (>1)",
		"|" + strings.Repeat("█", 40) + "|» 75.0 ms (floor 50 ms)",
		"|" + strings.Repeat("█", 8) + strings.Repeat(" ", 32) + "| 4.0 ms (floor 20 ms)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestWALLabel: the write-ahead log per request reads in bytes at a
// precision that keeps a read-only case's few background writes from
// showing as zero.
func TestWALLabel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		bytes float64
		want  string
	}{
		{0, ""},
		{21345, "21.3 kB"},
		{263.4, "263 B"},
		{3.24, "3.2 B"},
		{0.4, "0.4 B"},
	} {
		if got := (Row{DBWALBytesPerOp: c.bytes, DBWALRecordsPerOp: 99}).walLabel(); got != c.want {
			t.Errorf("walLabel(%v B) = %q, want %q", c.bytes, got, c.want)
		}
	}
}
