package store

import (
	"context"
	"errors"
)

// Reads sent together (issue 19). A request that needs several reads none
// of which depends on another's answer pays one round trip to PostgreSQL
// for each when it sends them one by one: on a small machine the round
// trip, a system call and a wake-up on each side, costs more than the
// read. ReadTogether sends them in one.

// Read is one query of DB.ReadTogether: its SQL and arguments, and Scan,
// which reads its rows (closed after Scan returns). A Scan error fails the
// batch and is returned as it is.
type Read struct {
	SQL  string
	Args []any
	Scan func(rows RowScanner) error
}

// RowScanner is the rows of one query of a batch.
type RowScanner interface {
	Next() bool
	Scan(dest ...any) error
}

// ReadTogether runs reads on the reader pool, in order, outside any
// transaction: each sees the data committed when it runs, as separate
// reads would. On PostgreSQL they go to the server in one round trip on
// one connection (Dialect.ReadPipeline); elsewhere one after the other.
// The first failure stops the rest and is returned, translated; the reads
// before it may or may not have been scanned (PostgreSQL prepares a new
// query of the batch before it runs any).
func (db *DB) ReadTogether(ctx context.Context, reads ...Read) error {
	for _, r := range reads {
		countPool(ctx, r.SQL, r.Args)
	}
	if db.dialect.ReadPipeline == nil || len(reads) < 2 {
		for _, r := range reads {
			countPoolTrip(ctx)
			if err := db.readOne(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}
	countPoolTrip(ctx)
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return db.wrapErr(err)
	}
	defer conn.Close()
	return db.wrapErr(conn.Raw(func(dc any) error { return db.dialect.ReadPipeline(ctx, dc, reads) }))
}

// readOne runs one read of a batch on its own.
func (db *DB) readOne(ctx context.Context, r Read) error {
	rows, err := db.read.QueryContext(ctx, r.SQL, r.Args...)
	if err != nil {
		return db.wrapErr(err)
	}
	err = r.Scan(&Rows{rows: rows, db: db})
	cerr := rows.Close()
	if err == nil {
		err = errors.Join(rows.Err(), cerr)
	}
	return db.wrapErr(err)
}
