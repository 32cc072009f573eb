package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"yuanxu/internal/store"
)

// round sends items on the pgx connection under driverConn as one batch
// (one round trip), inside the transaction begun on it, and fills in each
// item's result: the rows a write affected, or a query's rows, read into
// memory so that the connection is free for the next round while the
// query's caller scans them (store's batched transactions, ADR 0030). The
// first failure skips the rest and is returned with the number of items
// done before it.
func round(ctx context.Context, driverConn any, items []store.RoundItem) (int, error) {
	c, ok := driverConn.(*stdlib.Conn)
	if !ok {
		return 0, fmt.Errorf("postgres: round on a %T connection", driverConn)
	}
	b := &pgx.Batch{}
	for _, it := range items {
		b.Queue(it.SQL, it.Args...)
	}
	br := c.Conn().SendBatch(ctx, b)
	done := 0
	var err error
	for i := range items {
		if items[i].Query {
			items[i].Rows, err = buffer(br)
		} else {
			var tag pgconn.CommandTag
			tag, err = br.Exec()
			items[i].Affected = tag.RowsAffected()
		}
		if err != nil {
			break
		}
		done++
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return done, err
}

// buffer reads the next query's rows of br into memory, as the server sent
// them.
func buffer(br pgx.BatchResults) (*bufferedRows, error) {
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := &bufferedRows{fields: slices.Clone(rows.FieldDescriptions())}
	for rows.Next() {
		raw := rows.RawValues()
		row := make([][]byte, len(raw))
		for i, v := range raw {
			if v != nil {
				row[i] = slices.Clone(v)
			}
		}
		out.rows = append(out.rows, row)
	}
	rows.Close()
	return out, rows.Err()
}

// bufferedRows are a query's rows held in memory, scanned as pgx scans
// them (the same conversions as the reads sent together, readPipeline).
type bufferedRows struct {
	fields []pgconn.FieldDescription
	rows   [][][]byte
	next   int // rows returned by Next so far
}

// typeMaps lends type maps to Scan: a pgtype.Map memoises its scan plans
// and may not be shared between goroutines, and the members of a batch
// scan their rows at once.
var typeMaps = sync.Pool{New: func() any { return pgtype.NewMap() }}

func (r *bufferedRows) Next() bool {
	if r.next >= len(r.rows) {
		return false
	}
	r.next++
	return true
}

func (r *bufferedRows) Scan(dest ...any) error {
	if r.next == 0 || r.next > len(r.rows) {
		return fmt.Errorf("postgres: Scan without a row")
	}
	row := r.rows[r.next-1]
	if len(dest) != len(row) {
		return fmt.Errorf("postgres: Scan of %d columns into %d destinations", len(row), len(dest))
	}
	m := typeMaps.Get().(*pgtype.Map)
	defer typeMaps.Put(m)
	for i, d := range dest {
		if d == nil {
			continue
		}
		f := r.fields[i]
		if err := m.Scan(f.DataTypeOID, f.Format, row[i], d); err != nil {
			return fmt.Errorf("postgres: scan column %s: %w", f.Name, err)
		}
	}
	return nil
}

func (r *bufferedRows) Close() error { r.next = len(r.rows) + 1; return nil }
func (r *bufferedRows) Err() error   { return nil }
