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
