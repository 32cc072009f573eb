package sqlite

import (
	"context"
	"database/sql/driver"
	"io"
	"path/filepath"
	"testing"
)

// TestCachedConnClosesItsStatements: a connection never holds more
// prepared statements than its bound plus those whose rows are open; an
// evicted busy statement is closed when its rows close; closing the
// connection closes them all.
func TestCachedConnClosesItsStatements(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c, err := newConnector("file:"+filepath.Join(t.TempDir(), "c.db"), 2)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := c.Connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cc := dc.(*cachedConn)
	arg := []driver.NamedValue{{Ordinal: 1, Value: int64(3)}}
	rows, err := cc.QueryContext(ctx, `SELECT CAST($1 AS INTEGER) + 0`, arg)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`SELECT CAST($1 AS INTEGER) + 1`, `SELECT CAST($1 AS INTEGER) + 2`, `SELECT CAST($1 AS INTEGER) + 3`} {
		if _, err := cc.ExecContext(ctx, q, arg); err != nil {
			t.Fatal(err)
		}
	}
	if cc.lru.Len() != 2 || cc.open != 3 {
		t.Fatalf("cache %d, open %d: want 2 cached and the evicted busy one still open (3)", cc.lru.Len(), cc.open)
	}
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil || dest[0] != int64(3) {
		t.Fatalf("row of the evicted statement: %v, %v", dest[0], err)
	}
	if err := rows.Next(dest); err != io.EOF {
		t.Fatalf("second row: %v, want io.EOF", err)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if cc.open != 2 {
		t.Fatalf("open %d after the evicted statement's rows closed, want 2", cc.open)
	}
	if err := cc.Close(); err != nil {
		t.Fatal(err)
	}
	if cc.open != 0 || len(cc.entries) != 0 {
		t.Fatalf("after Close: %d open, %d cached", cc.open, len(cc.entries))
	}
}
