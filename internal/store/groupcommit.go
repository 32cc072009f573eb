package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
)

// Group commit (ADR 0010): on an engine with one writer (SQLite), concurrent
// InTx calls share one physical write transaction, each fn in a SAVEPOINT of
// its own, and one COMMIT — one fsync for the whole group.
//
// Roles. The first caller to find the writer idle becomes the leader: it
// BEGINs, runs its own fn, then hands the transaction in turn to each caller
// that queued meanwhile (each fn runs in its caller's goroutine, one at a
// time), until the queue is empty or the group holds maxMembers fns; then it
// COMMITs, passes leadership to the first caller that queued since, and
// wakes its members. A lone caller never waits for company: with an empty
// queue the leader commits at once.
//
// Guarantees.
//   - InTx returns nil only after the group's COMMIT returned (durable under
//     synchronous=FULL); a member's AfterCommit functions run after that, in
//     its own goroutine, in registration order.
//   - A member whose fn returns an error, panics (or calls runtime.Goexit),
//     or whose caller's ctx is done when fn returns, is rolled back to its
//     savepoint and returns at once (or re-panics in its own goroutine);
//     its neighbours are unaffected and its AfterCommit functions never run.
//   - Members run serially in queue order; each sees the writes of those
//     before it, as if they had committed one after the other. tx.Now is read
//     when the member's fn starts.
//   - If the group's transaction is lost (COMMIT fails, or a savepoint can
//     no longer be released or rolled back because SQLite rolled the whole
//     transaction back), every member whose fn had succeeded runs once more
//     alone in a transaction of its own (the contract of InTx already allows
//     re-running fn), so a neighbour can never make it fail; that solo
//     attempt's result is what InTx returns (retried as usual when
//     retryable).
//
// Cancellation. A caller whose ctx is done while it waits for its turn leaves
// the queue and gets ctx.Err(). Once its fn has started, the fn's ctx carries
// the caller's values but not its cancellation or deadline: an interrupted
// write statement may make SQLite roll back the whole shared transaction,
// so statements of a member are never interrupted. The caller's ctx is
// checked again when fn returns; once the savepoint is released, the member
// commits with its group whatever its ctx says.
type groupCommit struct {
	db  *DB
	max int

	mu      sync.Mutex
	busy    bool        // a leader exists (a group is open or committing)
	waiting []*gcMember // callers waiting to join a group, in arrival order

	groups  atomic.Uint64 // physical transactions committed
	members atomic.Uint64 // fns committed through them
}

// DefaultGroupCommitMembers caps how many fns share one physical transaction
// when group commit is on.
const DefaultGroupCommitMembers = 64

// gcMember is one InTx call in group mode.
type gcMember struct {
	ctx     context.Context
	fn      func(ctx context.Context, tx *Tx) error
	turn    chan gcTurn // leader → member: run in a group, or lead one
	outcome chan error  // leader → released member: the group's commit result
	tx      *Tx         // the member's Tx in its group
}

type gcTurn struct {
	g    *gcGroup // run fn in this group; nil: lead a new group
	lead bool
}

// gcGroup is one physical transaction shared by its members.
type gcGroup struct {
	db    *DB
	sqlTx *sql.Tx
	done  chan gcStep // member → leader: its turn is over
}

// gcStep is what a member's turn left behind.
type gcStep struct {
	released bool  // its savepoint was released into the group
	lost     error // non-nil: the physical transaction is no longer usable
}

// SetGroupCommit turns group commit on with at most maxMembers fns per
// physical transaction, or off when maxMembers <= 1. It applies only to
// engines with a single writer (SQLite; Capabilities.ConcurrentWriters
// false) and is a no-op elsewhere. Transactions in flight finish under the
// setting they started with. sqlite.Open turns it on by default.
func (db *DB) SetGroupCommit(maxMembers int) {
	if maxMembers <= 1 || db.dialect.Capabilities.ConcurrentWriters {
		db.gc.Store(nil)
		return
	}
	db.gc.Store(&groupCommit{db: db, max: maxMembers})
}

// GroupCommitStats reports how many physical transactions group commit has
// committed and how many InTx fns they carried (both zero when off). Their
// ratio is the mean group size.
func (db *DB) GroupCommitStats() (groups, members uint64) {
	gc := db.gc.Load()
	if gc == nil {
		return 0, 0
	}
	return gc.groups.Load(), gc.members.Load()
}

// run is one InTx attempt in group mode.
func (gc *groupCommit) run(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	m := &gcMember{ctx: ctx, fn: fn, turn: make(chan gcTurn, 1), outcome: make(chan error, 1)}
	gc.mu.Lock()
	if !gc.busy {
		gc.busy = true
		gc.mu.Unlock()
		return gc.lead(m)
	}
	gc.waiting = append(gc.waiting, m)
	gc.mu.Unlock()
	var t gcTurn
	select {
	case t = <-m.turn:
	case <-ctx.Done():
		if gc.withdraw(m) {
			return ctx.Err()
		}
		t = <-m.turn // already taken: the turn is on its way
	}
	if t.lead {
		return gc.lead(m)
	}
	step, err := t.g.runMember(m, func(s gcStep) { t.g.done <- s })
	if !step.released {
		return err
	}
	return gc.finish(m, <-m.outcome)
}

// lead runs one group with m as its first member and returns m's result.
func (gc *groupCommit) lead(m *gcMember) error {
	if err := m.ctx.Err(); err != nil {
		gc.handoff()
		return err
	}
	sqlTx, err := gc.db.write.BeginTx(context.WithoutCancel(m.ctx), nil)
	if err != nil {
		gc.handoff()
		return gc.db.wrapErr(err)
	}
	g := &gcGroup{db: gc.db, sqlTx: sqlTx, done: make(chan gcStep, 1)}
	joined := false
	defer func() {
		if !joined { // m's fn failed or panicked before anyone joined
			_ = sqlTx.Rollback()
			gc.handoff()
		}
	}()
	step, ferr := g.runMember(m, func(gcStep) {})
	if !step.released {
		return ferr
	}
	joined = true
	followers := make([]*gcMember, 0, 8)
	lost := step.lost
	for ran := 1; ran < gc.max && lost == nil; ran++ {
		f := gc.take()
		if f == nil {
			break
		}
		f.turn <- gcTurn{g: g}
		s := <-g.done
		if s.released {
			followers = append(followers, f)
		}
		lost = s.lost
	}
	if lost != nil {
		_ = sqlTx.Rollback()
	} else if err := sqlTx.Commit(); err != nil {
		lost = err
	} else {
		gc.groups.Add(1)
		gc.members.Add(uint64(1 + len(followers)))
	}
	gc.handoff()
	for _, f := range followers {
		f.outcome <- lost
	}
	return gc.finish(m, lost)
}

// finish completes a released member once its group's outcome is known.
func (gc *groupCommit) finish(m *gcMember, lost error) error {
	if lost == nil {
		for _, f := range m.tx.after {
			f()
		}
		return nil
	}
	gc.db.log.Load().LogAttrs(m.ctx, slog.LevelWarn, "store: group transaction lost; running the member alone", slog.String("err", lost.Error()))
	return gc.db.inTxOnce(m.ctx, m.fn)
}

// take removes and returns the first waiting caller, or nil.
func (gc *groupCommit) take() *gcMember {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	if len(gc.waiting) == 0 {
		return nil
	}
	f := gc.waiting[0]
	gc.waiting[0] = nil
	gc.waiting = gc.waiting[1:]
	return f
}

// handoff passes leadership to the first waiting caller, or marks the
// writer idle.
func (gc *groupCommit) handoff() {
	gc.mu.Lock()
	if len(gc.waiting) == 0 {
		gc.busy = false
		gc.mu.Unlock()
		return
	}
	next := gc.waiting[0]
	gc.waiting[0] = nil
	gc.waiting = gc.waiting[1:]
	gc.mu.Unlock()
	next.turn <- gcTurn{lead: true}
}

// withdraw removes m from the queue; false when a leader already took it.
func (gc *groupCommit) withdraw(m *gcMember) bool {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	for i, w := range gc.waiting {
		if w == m {
			gc.waiting = append(gc.waiting[:i], gc.waiting[i+1:]...)
			return true
		}
	}
	return false
}

// waitingLen reports the queue's length (tests).
func (gc *groupCommit) waitingLen() int {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	return len(gc.waiting)
}

const (
	gcSavepoint = `SAVEPOINT yuanxu_member`
	gcRelease   = `RELEASE yuanxu_member`
	gcRollback  = `ROLLBACK TO yuanxu_member; RELEASE yuanxu_member`
)

// runMember runs m's fn in its own savepoint of g, in the calling goroutine.
// report is called exactly once with the turn's outcome — also when fn
// panics or calls runtime.Goexit, which then goes on unwinding after m's
// writes were rolled back to the savepoint.
func (g *gcGroup) runMember(m *gcMember, report func(gcStep)) (gcStep, error) {
	if err := m.ctx.Err(); err != nil {
		report(gcStep{})
		return gcStep{}, err
	}
	bg := context.Background()
	if _, err := g.sqlTx.ExecContext(bg, gcSavepoint); err != nil {
		s := gcStep{released: true, lost: err} // released: it is retried alone
		report(s)
		return s, nil
	}
	tx := newTx(m.ctx, g.db, g.sqlTx)
	m.tx = tx
	returned := false
	defer func() {
		if !returned {
			report(g.rollbackTo())
		}
	}()
	err := m.fn(context.WithoutCancel(m.ctx), tx)
	if err == nil {
		err = tx.finish(context.WithoutCancel(m.ctx))
	}
	returned = true
	if err == nil {
		err = m.ctx.Err()
	}
	if err != nil {
		s := g.rollbackTo()
		report(s)
		return s, err
	}
	s := gcStep{released: true}
	if _, err := g.sqlTx.ExecContext(bg, gcRelease); err != nil {
		s.lost = err
	}
	report(s)
	return s, nil
}

// rollbackTo undoes the current member's writes; a failure means SQLite
// already rolled the whole transaction back.
func (g *gcGroup) rollbackTo() gcStep {
	if _, err := g.sqlTx.ExecContext(context.Background(), gcRollback); err != nil {
		return gcStep{lost: err}
	}
	return gcStep{}
}
