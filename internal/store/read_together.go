package store

import (
	"context"
	"errors"
	"slices"
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

// ReadTogether runs reads inside tx, in order, none depending on
// another's answer: on PostgreSQL in one round trip (Dialect.Round) — in
// a batch (batch.go), in the batch's next round — with the queued writes
// any of them may read going ahead of them, as a query's would
// (pipeline.go); elsewhere one after the other, as tx.Query. Each read
// sees what tx wrote before it, as separate queries would. The first
// failure stops the rest and is returned, translated; a Scan error is
// returned as it is.
func (tx *Tx) ReadTogether(ctx context.Context, reads ...Read) error {
	if len(reads) == 0 {
		return nil
	}
	if tx.conn == nil || tx.db.dialect.Round == nil || len(reads) < 2 && tx.batch == nil {
		for _, r := range reads {
			if err := tx.readOne(ctx, r); err != nil {
				return err
			}
		}
		return nil
	}
	for range reads {
		tx.countTx()
	}
	if tx.failed != nil {
		return tx.failed
	}
	var writes []Stmt
	if slices.ContainsFunc(reads, func(r Read) bool { return tx.mayRead(r.SQL) }) {
		writes = tx.pending
		tx.dropQueue()
	}
	tx.countTrip()
	var rows []ResultRows
	var err error
	wrote := len(writes) > 0 // a failure may be a queued write's: it fails tx
	if tx.batch != nil {
		rows, err = tx.batchReads(writes, reads)
	} else {
		rows, wrote, err = tx.roundReads(ctx, writes, reads)
	}
	if err != nil {
		if wrote {
			tx.failed = err
		}
		return err
	}
	for i, r := range reads {
		if err := r.Scan(&Rows{rows: rows[i], db: tx.db}); err != nil {
			return err
		}
	}
	return nil
}

// readOne runs one read of ReadTogether on its own, as tx.Query.
func (tx *Tx) readOne(ctx context.Context, r Read) error {
	rows, err := tx.Query(ctx, r.SQL, r.Args...)
	if err != nil {
		return err
	}
	err = r.Scan(rows)
	cerr := rows.Close()
	if err == nil {
		err = errors.Join(rows.Err(), cerr)
	}
	return err
}

// roundReads sends writes and then reads on tx's connection in one round
// trip and returns each read's rows, in memory. On a failure, writeFailed
// says whether it was one of the writes', given by its failure function
// when it has one (WriteAtCommit), as flushWith's.
func (tx *Tx) roundReads(ctx context.Context, writes []Stmt, reads []Read) (rows []ResultRows, writeFailed bool, err error) {
	items := make([]RoundItem, 0, len(writes)+len(reads))
	for _, w := range writes {
		items = append(items, RoundItem{SQL: w.SQL, Args: w.Args})
	}
	for _, r := range reads {
		items = append(items, RoundItem{SQL: r.SQL, Args: r.Args, Query: true})
	}
	var done int
	err = tx.conn.Raw(func(dc any) error {
		var err error
		done, err = tx.db.dialect.Round(ctx, dc, items)
		return err
	})
	if err != nil {
		err = tx.db.wrapErr(err)
		writeFailed = done < len(writes)
		if writeFailed && writes[done].failure != nil {
			err = writes[done].failure(err)
		}
		return nil, writeFailed, err
	}
	rows = make([]ResultRows, len(reads))
	for i := range reads {
		rows[i] = items[len(writes)+i].Rows
	}
	return rows, false, nil
}
