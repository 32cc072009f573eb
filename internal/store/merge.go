package store

import (
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// RoundItem is one statement of a batch's round (Dialect.Round) and, once
// the round is done, its result.
type RoundItem struct {
	SQL   string
	Args  []any
	Query bool // a query: its rows come back in Rows

	Affected int64      // a write's count (a merged INSERT's is all its rows')
	Rows     ResultRows // a query's rows, in memory
}

// maxMergedArgs bounds the arguments of one merged INSERT, well inside
// PostgreSQL's 65,535 parameters of a statement.
const maxMergedArgs = 4096

// mergeWrites lays out the queued writes of a round's members (queues,
// in member order) as statements: each member's writes stay in its
// order, and the heads of the queues that are the same INSERT — the same
// SQL, a VALUES list and at most ON CONFLICT DO NOTHING after it — become
// one multi-row INSERT. Members of one batch run the same code, so their
// queues line up: eight checkouts' orders go in one INSERT, then their
// lines in another. Merging changes the order between members' rows, not
// within a member's: a foreign key from a member's row to its own earlier
// one still finds it.
func mergeWrites(queues [][]Stmt) []RoundItem {
	var items []RoundItem
	heads := make([]int, len(queues))
	for {
		lead := -1
		for i, q := range queues {
			if heads[i] < len(q) {
				lead = i
				break
			}
		}
		if lead < 0 {
			return items
		}
		s := queues[lead][heads[lead]]
		heads[lead]++
		ins := insertShape(s.SQL)
		if ins == nil || len(s.Args) != ins.params {
			// Not mergeable: the same statement of the other members
			// follows it, one by one, so that their queues stay in step.
			items = append(items, RoundItem{SQL: s.SQL, Args: s.Args})
			for i := lead + 1; i < len(queues); i++ {
				if heads[i] < len(queues[i]) && queues[i][heads[i]].SQL == s.SQL {
					items = append(items, RoundItem{SQL: s.SQL, Args: queues[i][heads[i]].Args})
					heads[i]++
				}
			}
			continue
		}
		group, args := 1, append([]any(nil), s.Args...)
		for i := lead + 1; i < len(queues); i++ {
			if heads[i] < len(queues[i]) && queues[i][heads[i]].SQL == s.SQL && len(args)+len(s.Args) <= maxMergedArgs {
				args = append(args, queues[i][heads[i]].Args...)
				heads[i]++
				group++
			}
		}
		if group == 1 {
			items = append(items, RoundItem{SQL: s.SQL, Args: s.Args})
			continue
		}
		items = append(items, RoundItem{SQL: ins.merged(group), Args: args})
	}
}

// insert is the shape of a mergeable INSERT: head up to and including
// VALUES, the tuples split at their placeholders, and what follows them.
type insert struct {
	head   string
	text   []string // tuples' text around the placeholders: len(nums)+1
	nums   []int    // the placeholders' numbers, in order
	tail   string
	params int // the highest placeholder: the statement's argument count

	mu    sync.Mutex
	cache map[int]string // merged SQL by rows
}

// conflictTarget matches a trailing ON CONFLICT (col, …) DO NOTHING whose
// target is a plain list of column names (no expression, no WHERE, no
// constraint name).
var conflictTarget = regexp.MustCompile(`ON CONFLICT \([a-z_][a-z0-9_]*(, ?[a-z_][a-z0-9_]*)*\) DO NOTHING$`)

var insertShapes sync.Map // SQL → *insert, or nil when not mergeable

// insertShape parses q once: nil unless it is INSERT INTO t (cols) VALUES
// (…)[, (…)…] with nothing after the tuples but ON CONFLICT DO NOTHING,
// with or without a target of columns.
func insertShape(q string) *insert {
	if v, ok := insertShapes.Load(q); ok {
		ins, _ := v.(*insert)
		return ins
	}
	ins := parseInsert(q)
	insertShapes.Store(q, ins)
	return ins
}

func parseInsert(q string) *insert {
	t := strings.TrimSpace(q)
	if !strings.HasPrefix(t, "INSERT INTO ") {
		return nil
	}
	cols := strings.IndexByte(t, ')')
	if cols < 0 {
		return nil
	}
	rest := strings.TrimLeft(t[cols+1:], " \t\n")
	if !strings.HasPrefix(rest, "VALUES") {
		return nil
	}
	head := t[:len(t)-len(rest)] + "VALUES "
	values := strings.TrimSpace(rest[len("VALUES"):])
	var tail string
	if v, ok := strings.CutSuffix(values, "ON CONFLICT DO NOTHING"); ok {
		values, tail = strings.TrimSpace(v), " ON CONFLICT DO NOTHING"
	} else if m := conflictTarget.FindStringIndex(values); m != nil {
		// A plain column list as the target, DO NOTHING: each row is
		// skipped or inserted as it would be alone (a row that conflicts
		// with one inserted before it in the statement is skipped too, as
		// it would be after that one's own statement).
		values, tail = strings.TrimSpace(values[:m[0]]), " "+values[m[0]:]
	}
	if !strings.HasPrefix(values, "(") || !strings.HasSuffix(values, ")") {
		return nil
	}
	ins := &insert{head: head, tail: tail}
	last := 0
	for i := 0; i < len(values); i++ {
		switch c := values[i]; {
		case c == '\'':
			// A string literal: skip it ('' is a quote inside it).
			j := i + 1
			for ; j < len(values); j++ {
				if values[j] == '\'' {
					if j+1 < len(values) && values[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			if j >= len(values) {
				return nil
			}
			i = j
		case c == ';' || c == '"' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z':
			// Anything but tuples of placeholders, numbers, strings
			// and NULLs (a sub-query, a function) is not merged.
			if !strings.HasPrefix(strings.ToUpper(values[i:]), "NULL") {
				return nil
			}
			i += len("NULL") - 1
		case c == '$':
			j := i + 1
			for j < len(values) && values[j] >= '0' && values[j] <= '9' {
				j++
			}
			n, err := strconv.Atoi(values[i+1 : j])
			if err != nil {
				return nil
			}
			ins.text = append(ins.text, values[last:i])
			ins.nums = append(ins.nums, n)
			ins.params = max(ins.params, n)
			last = j
			i = j - 1
		}
	}
	ins.text = append(ins.text, values[last:])
	if ins.params == 0 {
		return nil
	}
	return ins
}

// merged is the INSERT of n members' rows, the k-th member's placeholders
// moved up by k times the statement's arguments.
func (ins *insert) merged(n int) string {
	ins.mu.Lock()
	defer ins.mu.Unlock()
	if q, ok := ins.cache[n]; ok {
		return q
	}
	var b strings.Builder
	b.WriteString(ins.head)
	for k := range n {
		if k > 0 {
			b.WriteString(", ")
		}
		for i, num := range ins.nums {
			b.WriteString(ins.text[i])
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(num + k*ins.params))
		}
		b.WriteString(ins.text[len(ins.nums)])
	}
	b.WriteString(ins.tail)
	q := b.String()
	if ins.cache == nil {
		ins.cache = map[int]string{}
	}
	ins.cache[n] = q
	return q
}
