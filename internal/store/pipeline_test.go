package store

import "testing"

func TestWriteTable(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ q, want string }{
		{"INSERT INTO orders (id) VALUES ($1)", "orders"},
		{"\n INSERT INTO order_line(order_id) VALUES ($1)", "order_line"},
		{"UPDATE service SET state = $2 WHERE id = $1", "service"},
		{"DELETE FROM service_suspension WHERE service_id = $1", ""}, // always sent ahead of a query
		{"SAVEPOINT yx_nested_1", ""},
		{"insert into orders (id) values ($1)", ""}, // not recognised: always sent ahead
	} {
		if got := writeTable(tt.q); got != tt.want {
			t.Errorf("writeTable(%q) = %q, want %q", tt.q, got, tt.want)
		}
	}
}

func TestMentions(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		q, table string
		want     bool
	}{
		{"SELECT x FROM orders WHERE id = $1", "orders", true},
		{"SELECT x FROM orders", "orders", true},
		{"SELECT x FROM order_line l JOIN orders o ON o.id = l.order_id", "orders", true},
		{"SELECT account, balance_fen FROM ledger_balance WHERE account IN ($1)", "orders", false},
		{"SELECT x FROM order_line", "order", false},
		{"SELECT orders_count FROM stats", "orders", false},
		{"SELECT x FROM service_delivery", "service", false},
		{"SELECT x FROM service_delivery d, service s", "service", true},
		{"SELECT (SELECT COUNT(*) FROM service) AS n", "service", true},
	} {
		if got := mentions(tt.q, tt.table); got != tt.want {
			t.Errorf("mentions(%q, %q) = %v, want %v", tt.q, tt.table, got, tt.want)
		}
	}
}
