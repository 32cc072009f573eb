package store

import (
	"context"
	"log/slog"
	"slices"
	"strings"
)

// Pipelined writes (ADR 0018). On PostgreSQL every statement is a round
// trip between two processes, and on a small machine the round trip — a
// system call and a wake-up on each side — costs more than executing a
// short insert: `pgbench -N` with its five messages pipelined commits 2.3
// times the transactions of the same script sent one message at a time.
// A write whose outcome fn does not need before its next statement —
// the insert of a new row, the update of a row tx inserted itself — is
// therefore queued by Write and sent with the statement after it: the
// queued writes and that statement go to the server in one round trip,
// in order, so nothing can observe them missing. SQLite has no round
// trips: there Write is Exec.

// A query waits for the queued writes only when it names a table one of
// them writes (an INSERT's or UPDATE's table; any other queued statement,
// a DELETE say, sends the queue ahead of every query): a read of the
// balances does not send the order inserted before it, which a later
// update of the order may then amend (writeKeyed). The schema has no
// views and no triggers, so a query reads no table it does not name.

// maxPending bounds the writes one round trip carries.
const maxPending = 64

// Stmt is one statement of a pipeline: its SQL and arguments.
type Stmt struct {
	SQL  string
	Args []any
	// table is the table a queued INSERT or UPDATE writes ("": another
	// statement, or a table not recognised).
	table string
	// failure, when set, gives the error of this statement's failure
	// (translated) that tx fails with: the caller's answer to a failure
	// it cannot see, as the statement went with others (WriteAtCommit).
	failure func(error) error
}

// savepointTable is the table of a queued SAVEPOINT (Nested): a name no
// query mentions, so that no read waits for it.
const savepointTable = "(savepoint)"

// Write runs a write whose outcome fn does not read: no rows-affected
// count and no error fn would handle other than by failing. A failed
// Write fails tx on every engine: tx cannot commit, and every later
// statement returns the write's error, unless the Nested step it belongs
// to rolls it back (the step then fails with it). It may be queued: its
// error then comes from the statement that sends it (tx's next Exec,
// Query, QueryRow, Nested step or commit). Use Exec for a write fn
// branches on (a conditional write, an insert whose duplicate is a
// business answer).
func (tx *Tx) Write(ctx context.Context, query string, args ...any) error {
	if tx.conn == nil {
		// Run at once; a failure still fails tx, as a queued one would.
		if _, err := tx.Exec(ctx, query, args...); err != nil {
			tx.failed = err
			return err
		}
		return nil
	}
	return tx.queue(ctx, Stmt{SQL: query, Args: args, table: writeTable(query)})
}

// queue queues s on a pipelining tx, and sends the queue when it is full.
func (tx *Tx) queue(ctx context.Context, s Stmt) error {
	tx.countTx()
	if tx.failed != nil {
		return tx.failed
	}
	tx.pending = append(tx.pending, s)
	if len(tx.pending) >= maxPending {
		return tx.flush(ctx)
	}
	return nil
}

// execKnown runs a conditional write: when known says its condition
// holds (a row tx inserted itself, as tx remembers it), nobody else can
// have changed the row, so it affects exactly one row and may be queued
// (Write); otherwise it is an Exec and its count is the database's.
func (tx *Tx) execKnown(ctx context.Context, known bool, query string, args ...any) (int64, error) {
	if known {
		return 1, tx.Write(ctx, query, args...)
	}
	return tx.Exec(ctx, query, args...)
}

// writeKeyed is Write for the insert of a row a later write of the same
// transaction may amend before it is sent (amend): key names the row.
func (tx *Tx) writeKeyed(ctx context.Context, key, query string, args ...any) error {
	if err := tx.Write(ctx, query, args...); err != nil || tx.conn == nil {
		return err
	}
	if i := len(tx.pending) - 1; i >= 0 && tx.pending[i].SQL == query {
		if tx.keyed == nil {
			tx.keyed = map[string]int{}
		}
		tx.keyed[key] = i
	}
	return nil
}

// amend replaces the arguments of the insert writeKeyed queued under key,
// if it has not been sent: the caller's update then needs no statement of
// its own. False when there is no such queued insert (sent already, or
// never queued: SQLite).
func (tx *Tx) amend(key string, args []any) bool {
	i, ok := tx.keyed[key]
	if !ok || tx.failed != nil {
		return false
	}
	tx.pending[i].Args = args
	return true
}

// amendWith is amend for a write that changes some of the insert's
// arguments: edit changes a copy of them in place (the insert as queued
// before a Nested step keeps its own, for the step's rollback).
func (tx *Tx) amendWith(key string, edit func(args []any)) bool {
	i, ok := tx.keyed[key]
	if !ok || tx.failed != nil {
		return false
	}
	args := slices.Clone(tx.pending[i].Args)
	edit(args)
	tx.pending[i].Args = args
	return true
}

// dropQueue forgets the queued writes (sent, or undone with a savepoint).
func (tx *Tx) dropQueue() { tx.pending, tx.keyed, tx.sent = nil, nil, tx.sent+1 }

// flushFor sends the queued writes ahead of query when query may read
// what they write (see above).
func (tx *Tx) flushFor(ctx context.Context, query string) error {
	if tx.mayRead(query) {
		return tx.flush(ctx)
	}
	return tx.failed
}

// mayRead reports whether query may read what a queued write writes.
func (tx *Tx) mayRead(query string) bool {
	return slices.ContainsFunc(tx.pending, func(s Stmt) bool { return s.table == "" || mentions(query, s.table) })
}

// writeTable is the table an INSERT or UPDATE statement writes, or "".
func writeTable(q string) string {
	q = strings.TrimLeft(q, " \t\n")
	var rest string
	switch {
	case strings.HasPrefix(q, "INSERT INTO "):
		rest = q[len("INSERT INTO "):]
	case strings.HasPrefix(q, "UPDATE "):
		rest = q[len("UPDATE "):]
	default:
		return ""
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return !isIdent(r) })
	if end <= 0 {
		return ""
	}
	return rest[:end]
}

// mentions reports whether query names table: the name with no
// identifier character on either side.
func mentions(query, table string) bool {
	for i := 0; ; {
		j := strings.Index(query[i:], table)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(table)
		if (j == 0 || !isIdent(rune(query[j-1]))) && (end == len(query) || !isIdent(rune(query[end]))) {
			return true
		}
		i = j + 1
	}
}

func isIdent(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// send sends stmts in one round trip and returns the rows each statement
// before the first failure affected, and that failure, translated — or,
// when the failed statement has one, as its failure function gives it.
// exact says whether the caller reads the last statement's count: in a
// batch (batch.go) the others are queued writes, which may be merged with
// other members' and report no count of their own.
func (tx *Tx) send(ctx context.Context, stmts []Stmt, exact bool) ([]int64, error) {
	tx.countTrip()
	if tx.batch != nil {
		return tx.batchSend(ctx, stmts, exact)
	}
	var rows []int64
	err := tx.conn.Raw(func(dc any) error {
		var err error
		rows, err = tx.db.dialect.Pipeline(ctx, dc, stmts)
		return err
	})
	if err == nil {
		return rows, nil
	}
	err = tx.db.wrapErr(err)
	if i := len(rows); i < len(stmts) && stmts[i].failure != nil {
		err = stmts[i].failure(err)
	}
	return rows, err
}

// flush sends the queued writes in one round trip.
func (tx *Tx) flush(ctx context.Context) error {
	if len(tx.pending) == 0 {
		return tx.failed
	}
	_, err := tx.flushWith(ctx, nil)
	return err
}

// flushWith sends the queued writes and then, when it is not nil, last, in
// one round trip, and returns the rows last affected. The first failure
// stops the rest and is returned, translated; a queued write's failure is
// also remembered in tx.failed (the server has aborted the transaction,
// or its savepoint), last's is its caller's to handle, as Exec's always
// was.
func (tx *Tx) flushWith(ctx context.Context, last *Stmt) (int64, error) {
	if tx.failed != nil {
		return 0, tx.failed
	}
	stmts := tx.pending
	tx.dropQueue()
	if last != nil {
		stmts = append(stmts, *last)
	}
	rows, err := tx.send(ctx, stmts, last != nil)
	if err != nil {
		if last == nil || len(rows) < len(stmts)-1 {
			tx.failed = err
		}
		return 0, err
	}
	if last == nil || len(rows) == 0 {
		return 0, nil
	}
	return rows[len(rows)-1], nil
}

// WriteAtCommit queues a write of a Last function (Tx.Last) that locks a
// row other transactions wait for — the debit of a balance — so that it
// goes to the server with the COMMIT, in one round trip (ADR 25): the row
// is then locked while the server executes the rest of that round trip
// and writes the commit, not while this process reads the answer, runs
// the rest of the transaction and sends a COMMIT of its own. The write
// must fail rather than affect no row where its caller needs it to
// (an upsert, a CHECK constraint): nothing reads its count. failure maps
// its failure (translated; nil: as it is) to the error tx fails with.
// ok=false when the write cannot go with the COMMIT — outside the Last
// functions, inside a Nested step, or on an engine that does not pipeline
// (SQLite) — and the caller runs it as before.
func (tx *Tx) WriteAtCommit(ctx context.Context, failure func(error) error, query string, args ...any) (ok bool, err error) {
	if tx.conn == nil || !tx.inLast || tx.nested > 0 {
		return false, nil
	}
	tx.commitQueued = true
	return true, tx.queue(ctx, Stmt{SQL: query, Args: args, table: writeTable(query), failure: failure})
}

// commitWithQueue sends the queued writes, COMMIT and BEGIN in one round
// trip: the transaction is committed when it succeeds. The BEGIN opens an
// empty transaction for database/sql's own COMMIT to end, as the driver
// cannot be told its transaction is over (a COMMIT outside a transaction
// would log a warning on the server for every checkout). A failure before
// the COMMIT skips it and the BEGIN: the transaction is left aborted, for
// the caller's rollback.
func (tx *Tx) commitWithQueue(ctx context.Context) error {
	if tx.failed != nil {
		return tx.failed
	}
	stmts := append(tx.pending, Stmt{SQL: "COMMIT"}, Stmt{SQL: "BEGIN"})
	n := len(tx.pending)
	tx.dropQueue()
	rows, err := tx.send(ctx, stmts, false)
	if err == nil {
		return nil
	}
	if len(rows) > n {
		// COMMIT succeeded and BEGIN failed: committed all the same.
		tx.db.log.Load().LogAttrs(ctx, slog.LevelWarn, "store: BEGIN after a pipelined COMMIT", slog.String("err", err.Error()))
		return nil
	}
	tx.failed = err
	return err
}
