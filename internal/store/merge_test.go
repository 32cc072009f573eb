package store

import (
	"slices"
	"testing"
)

// TestMergeWrites: the heads of the members' queues that are the same
// mergeable INSERT become one multi-row INSERT, its placeholders renumbered
// member by member; anything else goes as it is, the same statement of the
// other members after it; each member's writes keep their order.
func TestMergeWrites(t *testing.T) {
	t.Parallel()
	const (
		order   = `INSERT INTO orders (id, state, note) VALUES ($1, 'paid', $2)`
		posting = `INSERT INTO ledger_posting (txn_id, seq, amount_fen) VALUES ($1, 1, $2), ($1, 2, $3)`
		lease   = `INSERT INTO sandbox_lease (token, address) VALUES ($1, $2) ON CONFLICT DO NOTHING`
		debit   = `UPDATE ledger_balance SET balance_fen = balance_fen + $2 WHERE account = $1`
		upsert  = `INSERT INTO counter (id, n) VALUES ($1, 1) ON CONFLICT (id) DO UPDATE SET n = counter.n + 1`
		copyq   = `INSERT INTO archive (id) SELECT id FROM orders WHERE id = $1`
		record  = `INSERT INTO service_delivery (service_id, attempts) VALUES ($1, $2) ON CONFLICT (service_id) DO NOTHING`
	)
	s := func(q string, args ...any) Stmt { return Stmt{SQL: q, Args: args} }
	tests := []struct {
		name   string
		queues [][]Stmt
		want   []RoundItem
	}{
		{
			name:   "one member",
			queues: [][]Stmt{{s(order, "o1", "a"), s(debit, "acct", -5)}},
			want:   []RoundItem{{SQL: order, Args: []any{"o1", "a"}}, {SQL: debit, Args: []any{"acct", -5}}},
		},
		{
			name:   "same inserts merge, literals and quotes kept",
			queues: [][]Stmt{{s(order, "o1", "a")}, {s(order, "o2", "b")}, {s(order, "o3", "c")}},
			want: []RoundItem{{
				SQL:  `INSERT INTO orders (id, state, note) VALUES ($1, 'paid', $2), ($3, 'paid', $4), ($5, 'paid', $6)`,
				Args: []any{"o1", "a", "o2", "b", "o3", "c"},
			}},
		},
		{
			name:   "several tuples and a repeated placeholder",
			queues: [][]Stmt{{s(posting, "t1", 1, -1)}, {s(posting, "t2", 2, -2)}},
			want: []RoundItem{{
				SQL:  `INSERT INTO ledger_posting (txn_id, seq, amount_fen) VALUES ($1, 1, $2), ($1, 2, $3), ($4, 1, $5), ($4, 2, $6)`,
				Args: []any{"t1", 1, -1, "t2", 2, -2},
			}},
		},
		{
			name:   "ON CONFLICT DO NOTHING stays at the end",
			queues: [][]Stmt{{s(lease, "x", "10.0.0.1")}, {s(lease, "y", "10.0.0.2")}},
			want: []RoundItem{{
				SQL:  `INSERT INTO sandbox_lease (token, address) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING`,
				Args: []any{"x", "10.0.0.1", "y", "10.0.0.2"},
			}},
		},
		{
			name:   "ON CONFLICT (columns) DO NOTHING stays at the end",
			queues: [][]Stmt{{s(record, "s1", 1)}, {s(record, "s2", 2)}},
			want: []RoundItem{{
				SQL:  `INSERT INTO service_delivery (service_id, attempts) VALUES ($1, $2), ($3, $4) ON CONFLICT (service_id) DO NOTHING`,
				Args: []any{"s1", 1, "s2", 2},
			}},
		},
		{
			name: "updates, upserts and INSERT … SELECT go one by one, in step",
			queues: [][]Stmt{
				{s(order, "o1", "a"), s(debit, "a1", -1), s(upsert, "c"), s(copyq, "o1"), s(order, "o4", "d")},
				{s(order, "o2", "b"), s(debit, "a2", -2), s(upsert, "c"), s(copyq, "o2"), s(order, "o5", "e")},
			},
			want: []RoundItem{
				{SQL: `INSERT INTO orders (id, state, note) VALUES ($1, 'paid', $2), ($3, 'paid', $4)`, Args: []any{"o1", "a", "o2", "b"}},
				{SQL: debit, Args: []any{"a1", -1}},
				{SQL: debit, Args: []any{"a2", -2}},
				{SQL: upsert, Args: []any{"c"}},
				{SQL: upsert, Args: []any{"c"}},
				{SQL: copyq, Args: []any{"o1"}},
				{SQL: copyq, Args: []any{"o2"}},
				{SQL: `INSERT INTO orders (id, state, note) VALUES ($1, 'paid', $2), ($3, 'paid', $4)`, Args: []any{"o4", "d", "o5", "e"}},
			},
		},
		{
			name: "queues out of step keep each member's order",
			queues: [][]Stmt{
				{s(order, "o1", "a"), s(lease, "x", "1")},
				{s(lease, "y", "2"), s(order, "o2", "b")},
			},
			want: []RoundItem{
				{SQL: order, Args: []any{"o1", "a"}},
				{SQL: `INSERT INTO sandbox_lease (token, address) VALUES ($1, $2), ($3, $4) ON CONFLICT DO NOTHING`, Args: []any{"x", "1", "y", "2"}},
				{SQL: order, Args: []any{"o2", "b"}},
			},
		},
		{
			name:   "a statement whose arguments do not match its placeholders is not merged",
			queues: [][]Stmt{{s(order, "o1")}, {s(order, "o2")}},
			want:   []RoundItem{{SQL: order, Args: []any{"o1"}}, {SQL: order, Args: []any{"o2"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := mergeWrites(tt.queues)
			if !slices.EqualFunc(got, tt.want, func(a, b RoundItem) bool {
				return a.SQL == b.SQL && slices.Equal(a.Args, b.Args)
			}) {
				t.Errorf("got\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

// TestParseInsertRefuses: what is not a plain VALUES list of placeholders,
// numbers, strings and NULLs is never merged.
func TestParseInsertRefuses(t *testing.T) {
	t.Parallel()
	for _, q := range []string{
		`UPDATE t SET a = $1`,
		`INSERT INTO t (a) SELECT $1`,
		`INSERT INTO t (a) VALUES ($1) RETURNING a`,
		`INSERT INTO t (a) VALUES (now())`,
		`INSERT INTO t (a) VALUES ($1::text)`,
		`INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) DO UPDATE SET a = excluded.a`,
		`INSERT INTO t (a) VALUES ($1) ON CONFLICT (a) WHERE a > 0 DO NOTHING`,
		`INSERT INTO t (a) VALUES ($1) ON CONFLICT ON CONSTRAINT t_pkey DO NOTHING`,
		`INSERT INTO t (a) VALUES ($1) ON CONFLICT (lower(a)) DO NOTHING`,
		`INSERT INTO t (a) VALUES ('unterminated)`,
		`INSERT INTO t (a) VALUES (1)`,
		`INSERT INTO t (a) VALUES ($1); DELETE FROM t`,
	} {
		if ins := parseInsert(q); ins != nil {
			t.Errorf("%s: parsed as mergeable", q)
		}
	}
	if ins := parseInsert(`INSERT INTO t (a, b, c) VALUES ($1, 'it''s $9', NULL)`); ins == nil || ins.params != 1 || ins.merged(2) != `INSERT INTO t (a, b, c) VALUES ($1, 'it''s $9', NULL), ($2, 'it''s $9', NULL)` {
		t.Errorf("a quoted $ and a NULL: %+v", ins)
	}
}
