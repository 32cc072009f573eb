package agreement

import (
	"fmt"
	"slices"
	"strings"
)

// Change is how a clause differs between two documents.
type Change string

// Changes.
const (
	ChangeAdded   Change = "added"
	ChangeRemoved Change = "removed"
	ChangeChanged Change = "changed"
)

// ClauseDiff is the difference of one clause between two documents.
type ClauseDiff struct {
	ID     ClauseID
	Change Change
	Old    *Clause // nil when added
	New    *Clause // nil when removed
	// What changed, for ChangeChanged.
	TitleChanged, BodyChanged, KeyChanged, ExplainChanged bool
	// Lines is the line diff of the bodies: every line '+' for an added
	// clause, '-' for a removed one, the shortest edit for a changed body,
	// and nil when the body is unchanged.
	Lines []DiffLine
}

// DiffLine is one line of a line diff.
type DiffLine struct {
	Op   byte // ' ' kept, '-' only in the old text, '+' only in the new
	Text string
	Old  int // 1-based line in the old text, 0 for '+'
	New  int // 1-based line in the new text, 0 for '-'
}

// Diff compares two documents clause by clause, matching clauses by id, and
// returns the added, removed and changed ones sorted by CompareIDs. A clause
// changes when its title, body, key flag or explanation does. A nil
// document counts as one without clauses.
func Diff(a, b *Document) []ClauseDiff {
	old, cur := clauseMap(a), clauseMap(b)
	var out []ClauseDiff
	for id, o := range old {
		n, ok := cur[id]
		if !ok {
			out = append(out, ClauseDiff{ID: id, Change: ChangeRemoved, Old: o, Lines: LineDiff(bodyLines(o.Body), nil)})
			continue
		}
		d := ClauseDiff{ID: id, Change: ChangeChanged, Old: o, New: n,
			TitleChanged: o.Title != n.Title, BodyChanged: o.Body != n.Body,
			KeyChanged: o.Key != n.Key, ExplainChanged: o.Explain != n.Explain}
		if d.BodyChanged {
			d.Lines = LineDiff(bodyLines(o.Body), bodyLines(n.Body))
		}
		if d.TitleChanged || d.BodyChanged || d.KeyChanged || d.ExplainChanged {
			out = append(out, d)
		}
	}
	for id, n := range cur {
		if _, ok := old[id]; !ok {
			out = append(out, ClauseDiff{ID: id, Change: ChangeAdded, New: n, Lines: LineDiff(nil, bodyLines(n.Body))})
		}
	}
	slices.SortFunc(out, func(x, y ClauseDiff) int { return CompareIDs(x.ID, y.ID) })
	return out
}

func clauseMap(d *Document) map[ClauseID]*Clause {
	m := map[ClauseID]*Clause{}
	if d == nil {
		return m
	}
	for i := range d.Clauses {
		c := d.Clauses[i]
		m[c.ID] = &c
	}
	return m
}

func bodyLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// maxLCSCells bounds the LCS table; beyond it the differing middle is shown
// as removed then added, which is a correct if not minimal diff.
const maxLCSCells = 4 << 20

// LineDiff returns a shortest line diff turning a into b (longest common
// subsequence; deletions before insertions where both are possible).
func LineDiff(a, b []string) []DiffLine {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	out := make([]DiffLine, 0, len(a)+len(b))
	for i := range pre {
		out = append(out, DiffLine{Op: ' ', Text: a[i], Old: i + 1, New: i + 1})
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	out = append(out, middle(am, bm, pre)...)
	for k := range suf {
		i, j := len(a)-suf+k, len(b)-suf+k
		out = append(out, DiffLine{Op: ' ', Text: a[i], Old: i + 1, New: j + 1})
	}
	return out
}

// middle diffs the differing middle parts; off is the number of common
// lines before them.
func middle(a, b []string, off int) []DiffLine {
	n, m := len(a), len(b)
	var out []DiffLine
	if n*m == 0 || n*m > maxLCSCells {
		for i, l := range a {
			out = append(out, DiffLine{Op: '-', Text: l, Old: off + i + 1})
		}
		for j, l := range b {
			out = append(out, DiffLine{Op: '+', Text: l, New: off + j + 1})
		}
		return out
	}
	// lcs[i][j] is the LCS length of a[i:] and b[j:].
	w := m + 1
	lcs := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			out = append(out, DiffLine{Op: ' ', Text: a[i], Old: off + i + 1, New: off + j + 1})
			i, j = i+1, j+1
		case j == m || i < n && lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			out = append(out, DiffLine{Op: '-', Text: a[i], Old: off + i + 1})
			i++
		default:
			out = append(out, DiffLine{Op: '+', Text: b[j], New: off + j + 1})
			j++
		}
	}
	return out
}

// Unified renders a line diff as unified-diff hunks ("@@ -l,s +l,s @@"),
// with ctx lines of context around each change; "" when nothing changed.
func Unified(lines []DiffLine, ctx int) string {
	var b strings.Builder
	for lo := 0; lo < len(lines); {
		if lines[lo].Op == ' ' {
			lo++
			continue
		}
		// A hunk: from ctx lines before this change to ctx lines after the
		// last change that is within 2*ctx kept lines of the previous one.
		start, end := max(0, lo-ctx), lo
		for k := lo; k < len(lines); k++ {
			if lines[k].Op != ' ' {
				end = k
			} else if k-end > 2*ctx {
				break
			}
		}
		stop := min(len(lines), end+ctx+1)
		writeHunk(&b, lines, start, stop)
		lo = stop
	}
	return b.String()
}

// writeHunk writes lines[start:stop] as one hunk. Line numbers come from
// counting: lines covers both texts from their first line.
func writeHunk(b *strings.Builder, lines []DiffLine, start, stop int) {
	oldStart, newStart, oldN, newN := 0, 0, 0, 0
	for _, l := range lines[:start] {
		if l.Op != '+' {
			oldStart++
		}
		if l.Op != '-' {
			newStart++
		}
	}
	for _, l := range lines[start:stop] {
		if l.Op != '+' {
			oldN++
		}
		if l.Op != '-' {
			newN++
		}
	}
	// An empty range names the line after which it sits (0: before the first).
	if oldN > 0 {
		oldStart++
	}
	if newN > 0 {
		newStart++
	}
	fmt.Fprintf(b, "@@ -%d,%d +%d,%d @@\n", oldStart, oldN, newStart, newN)
	for _, l := range lines[start:stop] {
		b.WriteByte(l.Op)
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
}
