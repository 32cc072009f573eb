package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
)

// WriteMarkdown writes r as docs/BENCHMARKS.md records a run: the machine,
// a Markdown table of every row with its CPU per request, goal and
// verdict, and two text
// charts — throughput as a share of its reference (the engine's ceiling;
// distinct buyers for checkout-hot), and each latency goal's p99 against
// its floor.
func (r Report) WriteMarkdown(w io.Writer) error {
	m := r.Machine
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s, %d CPUs (%s), %s, %s", m.GOOS, m.GOARCH, m.CPUs, m.CPU, m.Memory, m.Go)
	if m.Postgres != "" {
		fmt.Fprintf(&b, ", PostgreSQL %s", m.Postgres)
	}
	fmt.Fprintf(&b, "; %s%s; started %s.\n\n", r.perCase(), map[bool]string{true: " (quick)"}[r.Quick],
		r.Started.Format("2006-01-02 15:04 MST"))
	b.WriteString("| engine | case | clients | value | unit | p50 ms | p99 ms | ratio | versus | cpu ms/op | db cpu ms/op | cpu use | db wal/op | errors | goal (issue 19) | verdict |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, x := range r.Rows {
		clients, ratio := x.clientsLabel(), x.ratioLabel("%.3f")
		verdict := x.Verdict
		if verdict == "BELOW FLOOR" {
			verdict = "**BELOW FLOOR**"
		}
		if x.Error != "" {
			verdict = strings.TrimSpace(verdict + " error: " + x.Error)
		}
		cpu, dbcpu, use := x.cpuLabels()
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %s | %s |\n", x.Engine, x.Case, clients, groupDigits(x.Value),
			x.Unit, mdLat(x.P50Ms, x.Ops), mdLat(x.P99Ms, x.Ops), ratio, x.Versus, cpu, dbcpu, use, x.walLabel(), x.Errors, x.Goal, verdict)
	}
	b.WriteString("\n```text\n")
	b.WriteString("Throughput as a share of the reference (engine ceiling; distinct buyers for checkout-hot; one-request checkout for checkout-2step), 0 … 1 (█ = 2.5 %)\n")
	for _, x := range r.Rows {
		if x.Ratio == nil {
			continue
		}
		fmt.Fprintf(&b, "%-8s %-14s c=%-3d |%s| %.3f%s\n", x.Engine, x.Case, x.Clients, bar(*x.Ratio, 40), *x.Ratio, over(*x.Ratio > 1, " (>1)"))
	}
	b.WriteString("\np99 latency against its floor (█ = 1/40 of the floor; past the floor: »)\n")
	for _, x := range r.Rows {
		floor, ok := latencyFloor(x.Case)
		if !ok || x.Ops == 0 {
			continue
		}
		fmt.Fprintf(&b, "%-8s %-18s |%s|%s %.1f ms (floor %.0f ms)\n", x.Engine, x.Case, bar(x.P99Ms/floor, 40), over(x.P99Ms > floor, "»"), x.P99Ms, floor)
	}
	b.WriteString("```\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// latencyFloor is the p99 floor of the cases the issue bounds by latency.
func latencyFloor(c string) (float64, bool) {
	switch c {
	case CaseRefund:
		return 20, true
	case CasePortal:
		return 50, true
	}
	return 0, false
}

// bar is a share (0…1, clipped) as width cells of █.
func bar(share float64, width int) string {
	n := int(math.Round(math.Max(0, math.Min(1, share)) * float64(width)))
	return strings.Repeat("█", n) + strings.Repeat(" ", width-n)
}

func over(b bool, s string) string {
	if b {
		return s
	}
	return ""
}

func mdLat(v float64, ops int64) string {
	if v == 0 || ops == 0 {
		return "-"
	}
	return groupDigits(v)
}

// groupDigits formats v as the report does (no decimals from 100 on, one
// below, two below 10) with thousands separated by commas.
func groupDigits(v float64) string {
	switch {
	case v == 0:
		return "-"
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	s := fmt.Sprintf("%.0f", v)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
