package bench

import (
	"context"
	"database/sql"
	"time"
)

// The write-ahead log a PostgreSQL case writes (issue 19: how much a
// checkout writes, next to a pgbench -N transaction). Unlike CPU time it
// does not depend on how loaded or slow the host is: the same commit
// writes the same records, so it shows what a change to the schema or to
// a use case's writes saves when the throughput's noise hides it.

// walSample is the server's write-ahead log so far.
type walSample struct {
	// bytes is the insert position (pg_current_wal_lsn, exact); records
	// and fpi the records and full-page images counted by pg_stat_wal
	// (PostgreSQL 14 and later), which a backend reports at most once a
	// second while busy and within ten seconds once idle: approximate
	// over a case of a few seconds.
	bytes, records, fpi int64
	ok                  bool
}

// walUse is what one case wrote: the difference of two samples.
type walUse struct{ Bytes, Records, FPI int64 }

// sampleWAL reads db's write-ahead log position and counters; ok is
// false when db is nil or the server cannot say (before PostgreSQL 14).
func sampleWAL(ctx context.Context, db *sql.DB) walSample {
	if db == nil {
		return walSample{}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var s walSample
	err := db.QueryRowContext(ctx, `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, wal_records, wal_fpi FROM pg_stat_wal`).
		Scan(&s.bytes, &s.records, &s.fpi)
	s.ok = err == nil
	return s
}

// since is the log written from before to s; ok only when both were read.
func (s walSample) since(before walSample) (walUse, bool) {
	if !s.ok || !before.ok {
		return walUse{}, false
	}
	return walUse{Bytes: s.bytes - before.bytes, Records: s.records - before.records, FPI: s.fpi - before.fpi}, true
}

// statsDB is the connection to the PostgreSQL server a case's trace and
// write-ahead log are read from: opened once, on o.PostgresURL; nil on
// SQLite or when it cannot be opened.
func (o *Options) statsDB(eng string) *sql.DB {
	if eng != Postgres || o.PostgresURL == "" {
		return nil
	}
	if o.statsConn == nil {
		db, err := sql.Open("pgx", o.PostgresURL)
		if err != nil {
			return nil
		}
		db.SetMaxOpenConns(1)
		o.statsConn = db
	}
	return o.statsConn
}
