package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Batched transactions (ADR 0030): on PostgreSQL, concurrent InTx calls
// share one transaction, their statements sent together. PostgreSQL spends
// much of a short transaction's time on work that does not depend on its
// rows: starting and ending each statement, the transaction and its
// commit, and the round trips between the two processes. A batch pays it
// once for all its members.
//
// Lanes. Callers queue; a lane takes up to max of them as a batch and,
// once it committed, the next (at most lanes at once), on the connection
// it keeps. A caller that finds a lane free and nobody queued runs alone,
// as without batches.
//
// Lockstep. The members of a batch run their fns at once, each in its
// caller's goroutine. When one sends a statement (a query, an Exec, or its
// queued writes) it waits; once every member still running waits, the
// batch sends all their statements in one round trip (Dialect.Round): the
// queued writes first, the INSERTs of different members with the same SQL
// merged into one multi-row INSERT (merge.go), then each member's query or
// Exec. When every member's fn has returned, the writes still queued go
// with one COMMIT. A member's queries may see what the members before it
// in the batch wrote, as under READ COMMITTED they could see it committed:
// the conditional writes (ADR 0017) keep that safe, and a write that would
// break a rule fails its statement.
//
// Failures. Members share the transaction without savepoints of their own,
// so nothing one of them sent can be undone alone. Any failure that would
// leave the transaction holding something its member did not commit — a
// statement that fails, a fn that fails or panics after it sent a write
// (a library's statement through Tx.SQL counts), a Nested step rolled back
// after it sent a statement — fails the batch: it is rolled back and every
// member runs its fn again alone, in a transaction of its own (the
// contract of InTx allows running fn again). So a neighbour's failure costs
// a member time, never its outcome: what InTx returns is what the member's
// fn did in a committed batch, or what its solo run did. A member whose fn
// failed before it sent a write is dropped: it returns its failure once the
// batch commits (what it read was committed with the batch), or runs alone
// if the batch fails.
//
// Library statements. River's InsertTx runs on Tx.SQL, the batch's
// database/sql transaction: between the batch's rounds, one member's at a
// time (batchRun.library).
//
// Guarantees. InTx returns nil only once the batch's COMMIT returned; the
// member's AfterCommit functions then run in its own goroutine. tx.Now is
// read when the member's fn starts. As under group commit (groupcommit.go)
// a member's fn gets its caller's values but not its cancellation: its
// statements are its batch's. A caller whose ctx is done while it waits
// for a batch leaves the queue.
type batcher struct {
	db    *DB
	max   int // members per batch
	lanes int // batches at once

	mu      sync.Mutex
	running int            // lanes running
	waiting []*batchMember // callers waiting for a batch, in arrival order
	parked  []*sql.Conn    // connections of lanes that stopped, for the next lanes (park)
	closed  bool           // closeParked ran: no more parking

	batches atomic.Uint64 // batches committed
	members atomic.Uint64 // fns committed in them
	solo    atomic.Uint64 // fns run again alone after their batch failed
}

// batchMember is one InTx call in batch mode.
type batchMember struct {
	ctx     context.Context
	fn      func(ctx context.Context, tx *Tx) error
	start   chan *batchRun // lane → member: run in this batch (nil: alone)
	reply   chan batchReply
	outcome chan error    // the batch's end: nil committed, errBatchFailed, or the member's own error
	direct  bool          // fn ran statements through Tx.SQL: it wrote
	holding bool          // it holds its batch's library lock
	alone   chan struct{} // closed when its fn ran alone, as a batch of one
}

// batchRun is one batch: one transaction on one connection.
type batchRun struct {
	db     *DB
	conn   *sql.Conn
	sqlTx  *sql.Tx
	n      int
	events chan batchEvent
	open   bool // its COMMIT's BEGIN opened the lane's next transaction
	// library is held by a member from its first statement through
	// Tx.SQL until its next request or its end: database/sql gives such
	// statements the connection one at a time, but a query's rows are
	// read from it after, so one member's must be done before another's
	// begin. The rounds need no part of it: the batch sends one only
	// when every member running waits for it.
	library sync.Mutex
}

// batchEvent is a member's request: a round's statements, or its end.
type batchEvent struct {
	m      *batchMember
	writes []Stmt // queued writes to send (at the end: those left for the COMMIT)
	last   *Stmt  // the statement whose result the member reads (nil: none)
	query  bool   // last is a query
	reads  []Read // queries whose rows the member reads (Tx.ReadTogether), after last
	done   bool   // fn (and finish) returned, with err
	err    error
}

// batchReply is a round's answer to one member.
type batchReply struct {
	affected int64
	rows     ResultRows
	reads    []ResultRows // the rows of the event's reads
	err      error
}

// errBatchFailed tells a member its batch was rolled back: it runs alone.
var errBatchFailed = errors.New("store: the batch failed; running alone")

// errGoexit is the end of a member whose fn called runtime.Goexit.
var errGoexit = errors.New("store: a batch member's goroutine exited")

// errNotInBatch fails a member that did what a batch cannot share: it
// runs alone whatever its batch's end (runIn).
var errNotInBatch = errors.New("store: the transaction cannot share a batch")

// DefaultBatchMembers and DefaultBatchLanes are SetBatching's usual
// arguments: up to 16 fns per batch, 2 batches at once.
const (
	DefaultBatchMembers = 16
	DefaultBatchLanes   = 2
)

// SetBatching turns batched transactions on (ADR 0030), at most members
// fns per batch and lanes batches at once, or off when members <= 1. It
// applies only to an engine that sends statements in rounds (PostgreSQL;
// Dialect.Round) and is a no-op elsewhere. Transactions in flight finish
// under the setting they started with.
func (db *DB) SetBatching(members, lanes int) {
	var next *batcher
	if members > 1 && db.dialect.Round != nil {
		next = &batcher{db: db, max: members, lanes: max(lanes, 1)}
	}
	if old := db.batch.Swap(next); old != nil {
		old.closeParked()
	}
}

// BatchStats reports the batches committed, the fns they carried and the
// fns that ran again alone after their batch failed (zeros when off).
func (db *DB) BatchStats() (batches, members, solo uint64) {
	b := db.batch.Load()
	if b == nil {
		return 0, 0, 0
	}
	return b.batches.Load(), b.members.Load(), b.solo.Load()
}

// run is one InTx attempt in batch mode.
func (bt *batcher) run(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	m := &batchMember{ctx: ctx, fn: fn, start: make(chan *batchRun, 1),
		reply: make(chan batchReply, 1), outcome: make(chan error, 1), alone: make(chan struct{})}
	bt.mu.Lock()
	bt.waiting = append(bt.waiting, m)
	if bt.running < bt.lanes {
		bt.running++
		go bt.lane()
	}
	bt.mu.Unlock()
	select {
	case b := <-m.start:
		return m.runIn(bt, b)
	case <-ctx.Done():
		bt.mu.Lock()
		for i, w := range bt.waiting {
			if w == m {
				bt.waiting = append(bt.waiting[:i], bt.waiting[i+1:]...)
				bt.mu.Unlock()
				return ctx.Err()
			}
		}
		bt.mu.Unlock()
		// A lane took it: the batch counts on it.
		return m.runIn(bt, <-m.start)
	}
}

// lane runs batches of the waiting callers until none is left. It keeps
// its connection from one batch to the next, in the transaction the last
// batch's COMMIT opened (batchRun.commit); when the queue runs dry it ends
// that empty transaction and parks the connection (stopLane), for itself
// if a caller arrived meanwhile, else for the next lane.
func (bt *batcher) lane() {
	var lc laneConn
	defer bt.stopLane(&lc) // a panic's way out; otherwise lc is parked already
	bt.mu.Lock()
	bt.unpark(&lc)
	bt.mu.Unlock()
	for {
		bt.mu.Lock()
		n := min(len(bt.waiting), bt.max)
		if n == 0 && lc.conn != nil {
			// Park before the lane stops, still counted as running: a
			// caller arriving meanwhile queues for this lane, which looks
			// again, rather than starting a lane that finds nothing parked.
			bt.mu.Unlock()
			bt.stopLane(&lc)
			bt.mu.Lock()
			if n = min(len(bt.waiting), bt.max); n > 0 {
				bt.unpark(&lc)
			}
		}
		if n == 0 {
			bt.running--
			bt.mu.Unlock()
			return
		}
		members := make([]*batchMember, n)
		copy(members, bt.waiting)
		bt.waiting = append(bt.waiting[:0], bt.waiting[n:]...)
		bt.mu.Unlock()
		bt.runBatch(&lc, members)
	}
}

// unpark gives lc the connection parked last, if any; bt.mu is held.
func (bt *batcher) unpark(lc *laneConn) {
	if k := len(bt.parked); k > 0 {
		lc.conn, lc.parked = bt.parked[k-1], true
		bt.parked = bt.parked[:k-1]
	}
}

// laneConn is a lane's connection and the transaction open on it (either
// nil: none yet). A batch's COMMIT opens the next transaction on it in the
// same round trip, so that the batch after it pays no BEGIN of its own.
type laneConn struct {
	conn   *sql.Conn
	tx     *sql.Tx
	parked bool // conn was parked by an earlier lane and has not begun since
}

// begin makes sure lc holds a connection in an open transaction. A parked
// connection that cannot begin (the server closed it while it waited) is
// dropped for a fresh one from the pool.
func (lc *laneConn) begin(ctx context.Context, db *DB) error {
	if lc.tx != nil {
		return nil
	}
	for {
		if lc.conn == nil {
			conn, err := db.write.Conn(ctx)
			if err != nil {
				return err
			}
			lc.conn = conn
		}
		parked := lc.parked
		lc.parked = false
		tx, err := lc.conn.BeginTx(ctx, nil)
		if err == nil {
			lc.tx = tx
			return nil
		}
		lc.drop()
		if !parked {
			return err
		}
	}
}

// drop rolls back what is open and gives the connection up (a batch that
// failed: the connection may be what failed).
func (lc *laneConn) drop() {
	if lc.tx != nil {
		_ = lc.tx.Rollback()
	}
	if lc.conn != nil {
		_ = lc.conn.Close()
	}
	*lc = laneConn{}
}

// stopLane ends the empty transaction the last batch's COMMIT left open
// and parks the connection for the next lane to start (at most one per
// lane; the rest go back to the pool).
//
// Lanes stop whenever the queue runs dry, which under load is often. A
// lane that took any connection from the pool spread the batches' merged
// statements, one text per number of members, over every connection of
// the pool; PostgreSQL prepares and plans a statement per connection
// (custom plans for its first five executions), so each stayed cold for
// long. Parked, the batches run on about as many connections as there are
// lanes, whose statements stay prepared and planned (issue 19).
func (bt *batcher) stopLane(lc *laneConn) {
	if lc.tx != nil {
		if err := lc.tx.Commit(); err != nil {
			bt.db.log.Load().LogAttrs(context.Background(), slog.LevelWarn, "store: ending a batch lane's transaction", slog.String("err", err.Error()))
			lc.drop()
		}
		lc.tx = nil
	}
	if lc.conn == nil {
		return
	}
	bt.mu.Lock()
	if !bt.closed && len(bt.parked) < bt.lanes {
		bt.parked = append(bt.parked, lc.conn)
		lc.conn = nil
	}
	bt.mu.Unlock()
	if lc.conn != nil {
		_ = lc.conn.Close()
	}
	*lc = laneConn{}
}

// closeParked gives the parked connections back to the pool, for good:
// lanes that stop after it close theirs (DB.Close, SetBatching).
func (bt *batcher) closeParked() {
	bt.mu.Lock()
	parked := bt.parked
	bt.parked, bt.closed = nil, true
	bt.mu.Unlock()
	for _, c := range parked {
		_ = c.Close()
	}
}

// runBatch runs members as one batch in lc's transaction, through to its
// COMMIT or rollback.
func (bt *batcher) runBatch(lc *laneConn, members []*batchMember) {
	if len(members) == 1 {
		// Alone: its own transaction, exactly as without batches; the
		// lane waits for it, so that callers arriving meanwhile queue up
		// for the next batch.
		members[0].start <- nil
		<-members[0].alone
		return
	}
	ctx := context.Background()
	if err := lc.begin(ctx, bt.db); err != nil {
		for _, m := range members {
			m.start <- nil // each runs alone, and meets the error itself
		}
		return
	}
	b := &batchRun{db: bt.db, conn: lc.conn, sqlTx: lc.tx, n: len(members), events: make(chan batchEvent, len(members))}
	for _, m := range members {
		m.start <- b
	}
	switch committed := b.end(ctx, bt, b.rounds(ctx)); {
	case !committed:
		lc.drop() // the connection may be what failed
	case !b.open:
		// The BEGIN after the COMMIT failed: database/sql's transaction
		// is over on the server; end it on ours.
		_ = lc.tx.Commit()
		lc.tx = nil
	}
}

// runIn runs m's fn in batch b (alone when b is nil) and returns what InTx
// returns for it.
func (m *batchMember) runIn(bt *batcher, b *batchRun) error {
	if b == nil {
		defer close(m.alone)
		return bt.db.inTxOnce(m.ctx, m.fn)
	}
	ctx := context.WithoutCancel(m.ctx)
	tx := newTx(ctx, bt.db, b.sqlTx)
	tx.conn, tx.batch, tx.member = b.conn, b, m
	var (
		err      error
		panicked any
		posted   bool
	)
	defer func() {
		if !posted {
			// fn called runtime.Goexit: the batch must not wait for it,
			// and its writes cannot commit.
			b.post(m, batchEvent{done: true, err: errGoexit})
			<-m.outcome
		}
	}()
	func() {
		defer func() {
			if p := recover(); p != nil {
				panicked, err = p, fmt.Errorf("store: a batch member panicked: %v", p)
			}
		}()
		if err = m.fn(ctx, tx); err == nil {
			if err = tx.finish(ctx); err == nil {
				err = tx.failed
			}
		} else if tx.failed != nil {
			err = tx.failed // the cause, as in commitTx
		}
	}()
	ev := batchEvent{done: true, err: err}
	if err == nil {
		ev.writes = tx.pending
	}
	b.post(m, ev)
	posted = true
	out := <-m.outcome
	if panicked != nil {
		panic(panicked)
	}
	switch {
	case out == nil:
		for _, f := range tx.after {
			f()
		}
		return nil
	case errors.Is(out, errBatchFailed), errors.Is(out, errNotInBatch):
		bt.solo.Add(1)
		return bt.db.inTxOnce(m.ctx, m.fn)
	}
	return out
}

// libraryStatements marks tx's member as running statements through
// Tx.SQL, holding its batch's library lock until its next request.
func (tx *Tx) libraryStatements() {
	m := tx.member
	m.direct = true
	if !m.holding {
		tx.batch.library.Lock()
		m.holding = true
	}
}

// post sends ev to m's batch, giving up the library lock first.
func (b *batchRun) post(m *batchMember, ev batchEvent) {
	if m.holding {
		m.holding = false
		b.library.Unlock()
	}
	ev.m = m
	b.events <- ev
}

// ask sends a member's request to its batch and waits for the answer.
func (tx *Tx) ask(ev batchEvent) batchReply {
	tx.batch.post(tx.member, ev)
	return <-tx.member.reply
}

// batchSend is send in a batch: stmts go in the next round, the last one's
// count exact when the caller reads it.
func (tx *Tx) batchSend(_ context.Context, stmts []Stmt, exact bool) ([]int64, error) {
	ev := batchEvent{writes: stmts}
	if exact && len(stmts) > 0 {
		ev.writes, ev.last = stmts[:len(stmts)-1], &stmts[len(stmts)-1]
	}
	r := tx.ask(ev)
	if r.err != nil {
		return nil, r.err
	}
	rows := make([]int64, len(stmts))
	for i := range rows {
		rows[i] = 1
	}
	if ev.last != nil {
		rows[len(rows)-1] = r.affected
	}
	return rows, nil
}

// batchQuery runs a query in the next round, after the queued writes it
// may read (pipeline.go's flushFor), and returns its rows.
func (tx *Tx) batchQuery(_ context.Context, query string, args []any) (ResultRows, error) {
	if tx.failed != nil {
		return nil, tx.failed
	}
	ev := batchEvent{last: &Stmt{SQL: query, Args: args}, query: true}
	if tx.mayRead(query) {
		ev.writes = tx.pending
		tx.dropQueue()
	}
	tx.countTrip()
	r := tx.ask(ev)
	if r.err != nil {
		if len(ev.writes) > 0 {
			tx.failed = r.err
		}
		return nil, r.err
	}
	return r.rows, nil
}

// batchReads is ReadTogether in a batch: writes and reads go in the next
// round.
func (tx *Tx) batchReads(writes []Stmt, reads []Read) ([]ResultRows, error) {
	r := tx.ask(batchEvent{writes: writes, reads: reads})
	return r.reads, r.err
}

// batchEnd is what a batch's rounds leave for its end: every member's
// last event, and whether the batch already failed.
type batchEnd struct {
	dones  []batchEvent
	failed bool
}

// rounds runs b's rounds until every member is done.
func (b *batchRun) rounds(ctx context.Context) batchEnd {
	active := b.n
	var e batchEnd
	wrote := make(map[*batchMember]bool, b.n)
	for active > 0 {
		var round []batchEvent
		for len(round) < active {
			ev := <-b.events
			if !ev.done {
				round = append(round, ev)
				continue
			}
			active--
			e.dones = append(e.dones, ev)
			if ev.err != nil && (wrote[ev.m] || ev.m.direct) {
				e.failed = true // what it sent cannot be undone alone
			}
		}
		if len(round) == 0 {
			break
		}
		if e.failed {
			for _, ev := range round {
				ev.m.reply <- batchReply{err: errBatchFailed}
			}
			continue
		}
		for _, ev := range round {
			if len(ev.writes) > 0 || ev.last != nil && !ev.query {
				wrote[ev.m] = true
			}
		}
		if err := b.round(ctx, round); err != nil {
			e.failed = true
		}
	}
	return e
}

// end commits b (or rolls it back when it failed) and tells each member;
// true when it committed.
func (b *batchRun) end(ctx context.Context, bt *batcher, e batchEnd) bool {
	var writes [][]Stmt
	for _, ev := range e.dones {
		if ev.err == nil {
			writes = append(writes, ev.writes)
		}
	}
	failed := e.failed
	if !failed {
		failed = b.commit(ctx, writes) != nil
	}
	if failed {
		// Before the members run alone: their rows are free again.
		_ = b.sqlTx.Rollback()
	} else {
		// Counted before the members hear of it, and may look.
		bt.batches.Add(1)
		bt.members.Add(uint64(len(writes))) // the fns that succeeded
	}
	for _, ev := range e.dones {
		switch {
		case failed:
			ev.m.outcome <- errBatchFailed
		default:
			ev.m.outcome <- ev.err
		}
	}
	return !failed
}

// round sends one round's statements and answers each member: on a
// failure every member gets it (the transaction is lost: the batch fails).
func (b *batchRun) round(ctx context.Context, round []batchEvent) error {
	queues := make([][]Stmt, len(round))
	for i, ev := range round {
		queues[i] = ev.writes
	}
	items := mergeWrites(queues)
	at, reads := make([]int, len(round)), make([]int, len(round))
	for i, ev := range round {
		at[i] = -1
		if ev.last != nil {
			at[i] = len(items)
			items = append(items, RoundItem{SQL: ev.last.SQL, Args: ev.last.Args, Query: ev.query})
		}
		reads[i] = len(items)
		for _, rd := range ev.reads {
			items = append(items, RoundItem{SQL: rd.SQL, Args: rd.Args, Query: true})
		}
	}
	err := b.send(ctx, items)
	for i, ev := range round {
		r := batchReply{err: err}
		if err == nil && at[i] >= 0 {
			r.affected, r.rows = items[at[i]].Affected, items[at[i]].Rows
		}
		if err == nil && len(ev.reads) > 0 {
			r.reads = make([]ResultRows, len(ev.reads))
			for j := range ev.reads {
				r.reads[j] = items[reads[i]+j].Rows
			}
		}
		ev.m.reply <- r
	}
	return err
}

// commit sends the members' last queued writes with COMMIT and BEGIN in
// one round trip. The BEGIN opens the next batch's transaction on the
// lane's connection (b.open), where database/sql's transaction still
// counts as open.
func (b *batchRun) commit(ctx context.Context, writes [][]Stmt) error {
	items := mergeWrites(writes)
	n := len(items)
	items = append(items, RoundItem{SQL: "COMMIT"}, RoundItem{SQL: "BEGIN"})
	done, err := b.sendN(ctx, items)
	if err != nil && done <= n {
		return err // not committed
	}
	b.open = err == nil
	return nil
}

// send runs items in one round trip on the batch's connection.
func (b *batchRun) send(ctx context.Context, items []RoundItem) error {
	_, err := b.sendN(ctx, items)
	return err
}

// sendN is send, also returning how many items were done before a failure.
func (b *batchRun) sendN(ctx context.Context, items []RoundItem) (int, error) {
	if len(items) == 0 {
		return 0, nil
	}
	var done int
	err := b.conn.Raw(func(dc any) error {
		var err error
		done, err = b.db.dialect.Round(ctx, dc, items)
		return err
	})
	return done, b.db.wrapErr(err)
}
