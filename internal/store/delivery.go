package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"hash/fnv"
	"strings"
	"time"
)

// ProvisionRow is one service's provisioning record (issue 13): the task
// state while a driver works, then the delivery itself. Credentials is the
// sealed JSON of what the customer logs in with ("" when none).
type ProvisionRow struct {
	ServiceID, OrderID, AccountID, Driver string
	Sandbox                               bool
	State                                 string // queued, pending, delivered, failed
	DeliverBy, DeliveredAt                time.Time
	Addresses                             []string
	Credentials, Notes                    string
	Attempts                              int
	LastError                             string
	AcceptedAt                            time.Time
	// AcceptDue is when the inspection window ends (clause 2.3):
	// DeliveredAt plus the order's inspection.window, set with DeliveredAt;
	// zero before delivery and on records delivered before migration 00026
	// until the acceptance sweep fills it in.
	AcceptDue            time.Time
	IssueTicketID        string
	CreatedAt, UpdatedAt time.Time
}

const provisionCols = `service_id, order_id, account_id, driver, sandbox, state, deliver_by_ms, delivered_at_ms, addresses, credentials, notes,
 attempts, last_error, accepted_at_ms, issue_ticket_id, created_at_ms, updated_at_ms, accept_due_ms`

func scanProvisionRow(s scanner) (ProvisionRow, error) {
	var r ProvisionRow
	var sb, created, updated int64
	var by, at, acc, due sql.NullInt64
	var addrs string
	if err := s.Scan(&r.ServiceID, &r.OrderID, &r.AccountID, &r.Driver, &sb, &r.State, &by, &at, &addrs, &r.Credentials, &r.Notes,
		&r.Attempts, &r.LastError, &acc, &r.IssueTicketID, &created, &updated, &due); err != nil {
		return r, err
	}
	r.Sandbox, r.DeliverBy, r.DeliveredAt, r.AcceptedAt = sb == 1, FromNullMs(by), FromNullMs(at), FromNullMs(acc)
	r.AcceptDue = FromNullMs(due)
	r.CreatedAt, r.UpdatedAt = FromMs(created), FromMs(updated)
	if addrs != "" {
		_ = json.Unmarshal([]byte(addrs), &r.Addresses)
	}
	return r, nil
}

func addrJSON(a []string) string {
	if len(a) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(a)
	return string(b)
}

// ProvisionInsert stores a new provisioning record (or does nothing when the
// service has one).
func (tx *Tx) ProvisionInsert(ctx context.Context, r ProvisionRow) error {
	const q = `INSERT INTO service_delivery (` + provisionCols + `) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
 $14, $15, $16, $17, $18) ON CONFLICT (service_id) DO NOTHING`
	// The first record of a service inserted here: nothing can conflict,
	// and the insert is queued under the record's key, for an update
	// before it is sent to amend (provisionUpdate).
	_, had := tx.fresh.provisions[r.ServiceID]
	n, err := int64(1), error(nil)
	if tx.fresh.services[r.ServiceID] && !had && tx.conn != nil {
		err = tx.writeKeyed(ctx, "delivery:"+r.ServiceID, q, provisionInsertArgs(r)...)
	} else {
		n, err = tx.execKnown(ctx, tx.fresh.services[r.ServiceID] && !had, q, provisionInsertArgs(r)...)
	}
	if err == nil && n == 1 {
		if tx.fresh.provisions == nil {
			tx.fresh.provisions = map[string]ProvisionRow{}
		}
		tx.fresh.provisions[r.ServiceID] = provisionAsStored(r) // fresh.go
	}
	return err
}

// provisionInsertArgs are ProvisionInsert's arguments for r.
func provisionInsertArgs(r ProvisionRow) []any {
	return []any{r.ServiceID, r.OrderID, r.AccountID, r.Driver, b2i(r.Sandbox), r.State,
		NullMs(r.DeliverBy), NullMs(r.DeliveredAt), addrJSON(r.Addresses), r.Credentials, r.Notes, r.Attempts, r.LastError,
		NullMs(r.AcceptedAt), r.IssueTicketID, Ms(r.CreatedAt), Ms(r.UpdatedAt), NullMs(r.AcceptDue)}
}

// ProvisionUpdate writes every mutable column of r if the stored row is
// still in state fromState (ok=false otherwise: someone else recorded it).
func (tx *Tx) ProvisionUpdate(ctx context.Context, r ProvisionRow, fromState string) (bool, error) {
	return tx.provisionUpdate(ctx, r, func(m ProvisionRow) bool { return m.State == fromState }, ` AND state = $14`, fromState)
}

// ProvisionSwap writes every mutable column of r if the stored row is
// still exactly the version was: the same state and the same updated_at
// (ok=false otherwise). Use it where a decision rests on what the row said
// when it was read, not only on its state: on PostgreSQL, at READ
// COMMITTED, an UPDATE that waited for another transaction's lock
// re-checks only its own WHERE clause against the row that transaction
// committed, so a state-only condition writes over a change made between
// the read and the write (a delivery requeued while its driver ran).
func (tx *Tx) ProvisionSwap(ctx context.Context, r ProvisionRow, was ProvisionRow) (bool, error) {
	return tx.provisionUpdate(ctx, r, func(m ProvisionRow) bool { return m.State == was.State && Ms(m.UpdatedAt) == Ms(was.UpdatedAt) },
		` AND state = $14 AND updated_at_ms = $15`, was.State, Ms(was.UpdatedAt))
}

// LaterMs is the updated_at a write of a row last updated at prev stores
// at now: now to the millisecond, or prev plus a millisecond when that is
// not later (a frozen or sandbox clock, two writes in one millisecond), so
// that every write makes a version ProvisionSwap can tell from the one
// before it.
func LaterMs(prev, now time.Time) time.Time {
	next := now.Truncate(time.Millisecond)
	if !next.After(prev) {
		next = prev.Truncate(time.Millisecond).Add(time.Millisecond)
	}
	return next
}

// provisionUpdate writes r where cond holds; matches tells whether cond
// holds of the row as remembered, when tx inserted it (fresh.go): then
// nobody else can have changed it, and the update may be queued
// (pipeline.go).
func (tx *Tx) provisionUpdate(ctx context.Context, r ProvisionRow, matches func(ProvisionRow) bool, cond string, condArgs ...any) (bool, error) {
	args := append([]any{r.ServiceID, r.State, NullMs(r.DeliveredAt), addrJSON(r.Addresses), r.Credentials, r.Notes, r.Attempts, r.LastError,
		NullMs(r.AcceptedAt), r.IssueTicketID, Ms(r.UpdatedAt), b2i(r.Sandbox), NullMs(r.AcceptDue)}, condArgs...)
	q := `UPDATE service_delivery SET state = $2, delivered_at_ms = $3, addresses = $4, credentials = $5, notes = $6,
 attempts = $7, last_error = $8, accepted_at_ms = $9, issue_ticket_id = $10, updated_at_ms = $11, sandbox = $12, accept_due_ms = $13
 WHERE service_id = $1` + cond
	m, fresh := tx.fresh.provisions[r.ServiceID]
	// The record as a read would return it after the update.
	next := m
	next.State, next.DeliveredAt, next.Addresses, next.Credentials, next.Notes = r.State, r.DeliveredAt, r.Addresses, r.Credentials, r.Notes
	next.Attempts, next.LastError, next.AcceptedAt, next.IssueTicketID, next.UpdatedAt, next.Sandbox = r.Attempts, r.LastError, r.AcceptedAt,
		r.IssueTicketID, r.UpdatedAt, r.Sandbox
	next.AcceptDue = r.AcceptDue
	next = provisionAsStored(next)
	var n int64
	var err error
	if fresh && matches(m) && tx.amend("delivery:"+r.ServiceID, provisionInsertArgs(next)) {
		n = 1 // its insert not sent yet writes the record as updated
	} else {
		n, err = tx.execKnown(ctx, fresh && matches(m), q, args...)
	}
	if fresh {
		if err != nil || n != 1 {
			// Not as remembered after all: read it, and its order's
			// records, from the database again.
			delete(tx.fresh.provisions, r.ServiceID)
			delete(tx.fresh.orders, m.OrderID)
		} else {
			tx.fresh.provisions[r.ServiceID] = next
		}
	}
	return n == 1, err
}

// ProvisionSetAcceptDue records when the inspection window of a delivery
// made before migration 00026 ends, if the record is still delivered at
// deliveredAt, unaccepted and without one (ok=false otherwise: it changed
// meanwhile, and whoever changed it recorded its own).
func (tx *Tx) ProvisionSetAcceptDue(ctx context.Context, serviceID string, deliveredAt, due time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE service_delivery SET accept_due_ms = $2 WHERE service_id = $1 AND state = 'delivered'
 AND delivered_at_ms = $3 AND accepted_at_ms IS NULL AND accept_due_ms IS NULL`, serviceID, Ms(due), Ms(deliveredAt))
	if m, ok := tx.fresh.provisions[serviceID]; ok { // read it, and its order's records, from the database again
		delete(tx.fresh.provisions, serviceID)
		delete(tx.fresh.orders, m.OrderID)
	}
	return n == 1, err
}

// ProvisionGet reads a service's provisioning record (errs.ErrNotFound
// when it has none: renewals' and traffic packs' services). A record the
// transaction inserted is answered from memory (fresh.go).
func ProvisionGet(ctx context.Context, q Querier, serviceID string) (ProvisionRow, error) {
	if tx, _ := q.(*Tx); tx != nil {
		if m, ok := tx.fresh.provisions[serviceID]; ok {
			return cloneProvision(m), nil
		}
	}
	r, err := scanProvisionRow(q.QueryRow(ctx, `SELECT `+provisionCols+` FROM service_delivery WHERE service_id = $1`, serviceID))
	if err != nil {
		return r, errorf("store.ProvisionGet", err)
	}
	return r, nil
}

// ProvisionFilter selects provisioning records.
type ProvisionFilter struct {
	OrderID string
	States  []string
	// DueBefore: only records whose deadline is before it (zero: any).
	DueBefore time.Time
	// AcceptDueBefore: only unaccepted records whose inspection window
	// ended before it, earliest end first (the acceptance sweep).
	AcceptDueBefore time.Time
	// AcceptDueUnknown: only unaccepted records delivered without a
	// recorded window end (before migration 00026).
	AcceptDueUnknown bool
	// OpenOrders: only records of orders still awaiting delivery (paid,
	// provisioning, delivery_failed): a refunded or cancelled order's
	// services leave the queue.
	OpenOrders bool
	Limit      int
}

// Provisions lists provisioning records by deadline, earliest first (by
// window end with f.AcceptDueBefore).
// Through a transaction that inserted the order of f.OrderID (and no other
// condition), the records are the ones it inserted, answered from memory
// (fresh.go).
func Provisions(ctx context.Context, q Querier, f ProvisionFilter) ([]ProvisionRow, error) {
	if tx, _ := q.(*Tx); tx != nil {
		if out, ok := tx.freshProvisions(f); ok {
			return out, nil
		}
	}
	where, args := "1=1", []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		where += " AND " + replaceN(cond, len(args))
	}
	if f.OrderID != "" {
		add("order_id = $N", f.OrderID)
	}
	if len(f.States) > 0 {
		cond := "state IN ("
		for i, s := range f.States {
			args = append(args, s)
			if i > 0 {
				cond += ", "
			}
			cond += "$" + itoa(len(args))
		}
		where += " AND " + cond + ")"
	}
	if !f.DueBefore.IsZero() {
		add("deliver_by_ms < $N", Ms(f.DueBefore))
	}
	order := "deliver_by_ms, service_id"
	if !f.AcceptDueBefore.IsZero() {
		// The partial index service_delivery_accept_due holds exactly the
		// delivered, unaccepted records.
		add("state = 'delivered' AND accepted_at_ms IS NULL AND accept_due_ms < $N", Ms(f.AcceptDueBefore))
		order = "accept_due_ms, service_id"
	}
	if f.AcceptDueUnknown {
		where += " AND state = 'delivered' AND accepted_at_ms IS NULL AND accept_due_ms IS NULL"
	}
	if f.OpenOrders {
		where += " AND order_id IN (SELECT id FROM orders WHERE state IN ('paid', 'provisioning', 'delivery_failed'))"
	}
	if f.Limit <= 0 {
		f.Limit = 500
	}
	rows, err := q.Query(ctx, `SELECT `+provisionCols+` FROM service_delivery WHERE `+where+` ORDER BY `+order+` LIMIT `+itoa(f.Limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ProvisionRow
	for rows.Next() {
		r, err := scanProvisionRow(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ProvisioningAttemptInsert logs one driver call and its outcome.
func (tx *Tx) ProvisioningAttemptInsert(ctx context.Context, id, serviceID, driver, outcome, detail string, at time.Time) error {
	err := tx.Write(ctx, `INSERT INTO provisioning_attempt (id, service_id, driver, outcome, detail, at_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, serviceID, driver, outcome, detail, Ms(at))
	return err
}

// CertStateRow is one recorded certificate state.
type CertStateRow struct {
	ServiceID, State string
	At               time.Time
	RecordedBy, Note string
}

// CertStateInsert records a certificate state (once per state).
func (tx *Tx) CertStateInsert(ctx context.Context, r CertStateRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO certificate_state (service_id, state, at_ms, recorded_by, note) VALUES ($1, $2, $3, $4, $5)`,
		r.ServiceID, r.State, Ms(r.At), r.RecordedBy, r.Note)
	return err
}

// CertStates lists a service's certificate states in the order recorded.
func CertStates(ctx context.Context, q Querier, serviceID string) ([]CertStateRow, error) {
	rows, err := q.Query(ctx, `SELECT service_id, state, at_ms, recorded_by, note FROM certificate_state WHERE service_id = $1 ORDER BY at_ms, state`, serviceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CertStateRow
	for rows.Next() {
		var r CertStateRow
		var at int64
		if err := rows.Scan(&r.ServiceID, &r.State, &at, &r.RecordedBy, &r.Note); err != nil {
			return nil, err
		}
		r.At = FromMs(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// AssignmentRow is one holding of an address by a service.
type AssignmentRow struct {
	ID, Address, ServiceID, AccountID string
	From, Until                       time.Time // Until zero: still held
}

// AssignmentOpen records that a service holds address from at, first
// closing (until at) any open holding of the address by another service.
func (tx *Tx) AssignmentOpen(ctx context.Context, r AssignmentRow) error {
	if err := tx.Write(ctx, `UPDATE address_assignment SET until_ms = $2 WHERE address = $1 AND until_ms IS NULL AND service_id <> $3`,
		r.Address, Ms(r.From), r.ServiceID); err != nil {
		return err
	}
	// Opened unless the service already holds it (one statement: the
	// check is the insert's condition).
	err := tx.Write(ctx, `INSERT INTO address_assignment (id, address, service_id, account_id, from_ms)
 SELECT $1, $2, $3, $4, CAST($5 AS BIGINT) WHERE NOT EXISTS
 (SELECT 1 FROM address_assignment WHERE address = $2 AND service_id = $3 AND until_ms IS NULL)`,
		r.ID, r.Address, r.ServiceID, r.AccountID, Ms(r.From))
	return err
}

// AssignmentsClose ends every open holding of a service at until.
func (tx *Tx) AssignmentsClose(ctx context.Context, serviceID string, until time.Time) (int64, error) {
	return tx.Exec(ctx, `UPDATE address_assignment SET until_ms = $2 WHERE service_id = $1 AND until_ms IS NULL`, serviceID, Ms(until))
}

// Assignments lists the holdings of an address (or, with address "", of
// a service), oldest first.
func Assignments(ctx context.Context, q Querier, address, serviceID string) ([]AssignmentRow, error) {
	cond, arg := "address = $1", address
	if address == "" {
		cond, arg = "service_id = $1", serviceID
	}
	return assignments(ctx, q, cond+` ORDER BY from_ms, id`, arg)
}

func assignments(ctx context.Context, q Querier, where string, args ...any) ([]AssignmentRow, error) {
	rows, err := q.Query(ctx, `SELECT id, address, service_id, account_id, from_ms, until_ms FROM address_assignment WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AssignmentRow
	for rows.Next() {
		var r AssignmentRow
		var from int64
		var until sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Address, &r.ServiceID, &r.AccountID, &from, &until); err != nil {
			return nil, err
		}
		r.From, r.Until = FromMs(from), FromNullMs(until)
		out = append(out, r)
	}
	return out, rows.Err()
}

// SandboxLease returns the address leased to token, leasing a free
// address of pool when it has none. The search starts at a place derived
// from the token (so concurrent leases rarely want the same address). The
// address there is tried first with one insert — free in a pool far from
// full, so that a lease is usually that one statement. When it is taken,
// or the token holds a lease already (answered), the search walks the
// pool from there in windows of leaseWindow addresses: one query finds which
// of a window's addresses are taken, then the first free one is inserted
// with ON CONFLICT DO NOTHING (an address or token taken meanwhile by a
// concurrent lease is simply skipped, or answered if it was this token's).
// The cost does not grow with the number of leases. ok=false: the pool is
// exhausted. The lease is the sandbox driver's effect: made once per token,
// whatever happens to the caller's record.
//
// Its inserts go ahead of tx's queued writes (ExecAhead: sandbox_lease has
// no foreign key, and no other writer touches it), so that a delivery in
// the payment's transaction may still amend the order, service and record
// inserted before it (ADR 26).
func (tx *Tx) SandboxLease(ctx context.Context, token string, pool []string, at time.Time) (string, bool, error) {
	mine := func() (string, bool, error) {
		var addr string
		err := tx.QueryRow(ctx, `SELECT address FROM sandbox_lease WHERE token = $1`, token).Scan(&addr)
		if IsNotFound(err) {
			return "", false, nil
		}
		return addr, err == nil, err
	}
	h := fnv.New32a()
	_, _ = h.Write([]byte(token))
	start := 0
	if len(pool) > 0 {
		start = int(h.Sum32() % uint32(len(pool)))
		// The token's own slot first: in a pool far from full it is free,
		// and the lease costs this one statement. A conflict (the slot
		// taken, or the token leased already) falls through to the search.
		k, err := tx.ExecAhead(ctx, `INSERT INTO sandbox_lease (token, address, leased_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			token, pool[start], Ms(at))
		if err != nil || k == 1 {
			return pool[start], err == nil, err
		}
	}
	if addr, ok, err := mine(); ok || err != nil {
		return addr, ok, err
	}
	n := min(leaseWindow, len(pool))
	for off := 0; off < len(pool); off += n {
		window := make([]any, n)
		for i := range window {
			window[i] = pool[(start+off+i)%len(pool)]
		}
		used, err := tx.leasedAmong(ctx, window)
		if err != nil {
			return "", false, err
		}
		for _, a := range window {
			if used[a.(string)] {
				continue
			}
			k, err := tx.ExecAhead(ctx, `INSERT INTO sandbox_lease (token, address, leased_at_ms) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, token, a, Ms(at))
			if err != nil {
				return "", false, err
			}
			if k == 1 {
				return a.(string), true, nil
			}
			if addr, ok, err := mine(); ok || err != nil { // this token leased meanwhile
				return addr, ok, err
			}
		}
	}
	return "", false, nil
}

// leaseWindow is how many pool addresses SandboxLease checks per query.
const leaseWindow = 32

// leasedAmong reports which of addrs are leased.
func (tx *Tx) leasedAmong(ctx context.Context, addrs []any) (map[string]bool, error) {
	q := `SELECT address FROM sandbox_lease WHERE address IN (` + inList(0, len(addrs)) + `)`
	rows, err := tx.Query(ctx, q, addrs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	used := map[string]bool{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		used[a] = true
	}
	return used, rows.Err()
}

// BreachRow is the recorded breach of an order's delivery deadline.
type BreachRow struct {
	OrderID, AccountID    string
	DeliverBy, BreachedAt time.Time
}

// BreachInsert records a breach once; ok=false when it was recorded before.
func (tx *Tx) BreachInsert(ctx context.Context, r BreachRow) (bool, error) {
	n, err := tx.Exec(ctx, `INSERT INTO order_breach (order_id, account_id, deliver_by_ms, breached_at_ms) VALUES ($1, $2, $3, $4)
 ON CONFLICT (order_id) DO NOTHING`, r.OrderID, r.AccountID, Ms(r.DeliverBy), Ms(r.BreachedAt))
	return n == 1, err
}

// BreachGet reads an order's breach (errs.ErrNotFound: none recorded).
func BreachGet(ctx context.Context, q Querier, orderID string) (BreachRow, error) {
	var r BreachRow
	var by, at int64
	err := q.QueryRow(ctx, `SELECT order_id, account_id, deliver_by_ms, breached_at_ms FROM order_breach WHERE order_id = $1`, orderID).
		Scan(&r.OrderID, &r.AccountID, &by, &at)
	if err != nil {
		return r, errorf("store.BreachGet", err)
	}
	r.DeliverBy, r.BreachedAt = FromMs(by), FromMs(at)
	return r, nil
}

// Breaches lists recorded breaches of orders still not delivered (the
// console home), most recent first.
func Breaches(ctx context.Context, q Querier, limit int) ([]BreachRow, error) {
	rows, err := q.Query(ctx, `SELECT b.order_id, b.account_id, b.deliver_by_ms, b.breached_at_ms FROM order_breach b
 JOIN orders o ON o.id = b.order_id WHERE o.state IN ('paid', 'provisioning', 'delivery_failed') ORDER BY b.breached_at_ms DESC LIMIT `+itoa(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BreachRow
	for rows.Next() {
		var r BreachRow
		var by, at int64
		if err := rows.Scan(&r.OrderID, &r.AccountID, &by, &at); err != nil {
			return nil, err
		}
		r.DeliverBy, r.BreachedAt = FromMs(by), FromMs(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// OrdersPastDeadline lists the ids of paid or provisioning orders whose
// delivery deadline is at or before now and whose breach is unrecorded.
func OrdersPastDeadline(ctx context.Context, q Querier, now time.Time, limit int) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT o.id FROM orders o LEFT JOIN order_breach b ON b.order_id = o.id
 WHERE o.state IN ('paid', 'provisioning', 'delivery_failed') AND o.deliver_by_ms IS NOT NULL AND o.deliver_by_ms <= $1 AND b.order_id IS NULL
 ORDER BY o.deliver_by_ms LIMIT `+itoa(limit), Ms(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// replaceN puts the placeholder number n where cond says $N.
func replaceN(cond string, n int) string { return strings.ReplaceAll(cond, "$N", "$"+itoa(n)) }

func nodeKind(k string) string {
	if k == "" {
		return "server"
	}
	return k
}

// NodeGet reads a node (errs.ErrNotFound when none).
func NodeGet(ctx context.Context, q Querier, id string) (NodeRow, error) {
	n, err := scanNode(q.QueryRow(ctx, `SELECT id, name, region, token_hash, sandbox, created_at_ms, disabled_at_ms, kind FROM node WHERE id = $1`, id))
	if err != nil {
		return n, errorf("store.NodeGet", err)
	}
	return n, nil
}

// NodeRevoke revokes a node's token at at (the disabled_at column):
// ok=false when it was revoked already or does not exist.
func (tx *Tx) NodeRevoke(ctx context.Context, id string, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE node SET disabled_at_ms = $2 WHERE id = $1 AND disabled_at_ms IS NULL`, id, Ms(at))
	return n == 1, err
}

// SandboxRelease gives the address leased to token back to the sandbox
// pool; false when nothing was leased.
func (tx *Tx) SandboxRelease(ctx context.Context, token string) (bool, error) {
	n, err := tx.Exec(ctx, `DELETE FROM sandbox_lease WHERE token = $1`, token)
	return n == 1, err
}

// AssignmentsEndedBy lists at most limit holdings of the address history
// that ended at or before `by`, earliest end first (the retention purge;
// open holdings are never listed).
func AssignmentsEndedBy(ctx context.Context, q Querier, by time.Time, limit int) ([]AssignmentRow, error) {
	return assignments(ctx, q, `until_ms IS NOT NULL AND until_ms <= $1 ORDER BY until_ms, id LIMIT `+itoa(limit), Ms(by))
}

// AssignmentDelete deletes one ended holding (an open one stays).
func (tx *Tx) AssignmentDelete(ctx context.Context, id string) (bool, error) {
	n, err := tx.Exec(ctx, `DELETE FROM address_assignment WHERE id = $1 AND until_ms IS NOT NULL`, id)
	return n == 1, err
}
