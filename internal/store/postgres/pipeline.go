package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"yuanxu/internal/store"
)

// pipeline sends stmts on the pgx connection under driverConn as one batch:
// pgx writes every statement's messages and one Sync, then reads the
// results, so the batch costs one round trip (two the first time a
// statement is seen: pgx describes it first, then caches it as it does for
// database/sql's statements). Inside the transaction begun on the
// connection the statements run in it, in order; the first failure skips
// the rest and is returned, with the rows of the statements before it. The arguments are encoded exactly as through
// database/sql, whose pgx driver hands them to pgx unchanged.
func pipeline(ctx context.Context, driverConn any, stmts []store.Stmt) ([]int64, error) {
	c, ok := driverConn.(*stdlib.Conn)
	if !ok {
		return nil, fmt.Errorf("postgres: pipeline on a %T connection", driverConn)
	}
	b := &pgx.Batch{}
	for _, s := range stmts {
		b.Queue(s.SQL, s.Args...)
	}
	br := c.Conn().SendBatch(ctx, b)
	rows := make([]int64, 0, len(stmts))
	var err error
	for range stmts {
		tag, e := br.Exec()
		if e != nil {
			err = e
			break
		}
		rows = append(rows, tag.RowsAffected())
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return rows, err
}

// readPipeline runs reads on the pgx connection under driverConn as one
// batch, outside any transaction: pgx writes every query's messages and
// one Sync, then reads the results, so the batch costs one round trip. The
// queries share the implicit transaction of that Sync, each with its own
// snapshot (read committed), so each sees what separate reads would; their
// rows go to their Scan in order, and the first failure skips the rest.
func readPipeline(ctx context.Context, driverConn any, reads []store.Read) error {
	c, ok := driverConn.(*stdlib.Conn)
	if !ok {
		return fmt.Errorf("postgres: read pipeline on a %T connection", driverConn)
	}
	b := &pgx.Batch{}
	for _, r := range reads {
		b.Queue(r.SQL, r.Args...)
	}
	br := c.Conn().SendBatch(ctx, b)
	var err error
	for _, r := range reads {
		rows, qerr := br.Query()
		if qerr != nil {
			err = qerr
			break
		}
		err = r.Scan(rows)
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
		if err != nil {
			break
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}
