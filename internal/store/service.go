package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"
)

// ServiceRow is one row of the service table with its suspensions.
type ServiceRow struct {
	ID, AccountID, OrderID               string
	LineIdx, Unit                        int
	ProductID, PlanID, Kind, Cycle, Name string
	ParentID, State                      string
	StartsAt, ExpiresAt                  time.Time // zero: NULL
	AutoRenew                            bool
	RenewalPaused                        string
	RemindersSent                        []string
	TerminatedAt, DataDestroyRequestedAt time.Time
	CreatedAt, UpdatedAt                 time.Time
	Suspensions                          []ServiceSuspensionRow
}

// ServiceSuspensionRow is one suspension reason in force.
type ServiceSuspensionRow struct {
	Reason string
	Since  time.Time
}

const serviceCols = `id, account_id, order_id, line_idx, unit, product_id, plan_id, kind, cycle, name, parent_id, state, starts_at_ms,
 expires_at_ms, auto_renew, renewal_paused, reminders_sent, terminated_at_ms, data_destroy_requested_at_ms, created_at_ms, updated_at_ms`

func scanService(s scanner) (ServiceRow, error) {
	var r ServiceRow
	var starts, expires, term, destroy sql.NullInt64
	var auto, created, updated int64
	var reminders string
	if err := s.Scan(&r.ID, &r.AccountID, &r.OrderID, &r.LineIdx, &r.Unit, &r.ProductID, &r.PlanID, &r.Kind, &r.Cycle, &r.Name, &r.ParentID,
		&r.State, &starts, &expires, &auto, &r.RenewalPaused, &reminders, &term, &destroy, &created, &updated); err != nil {
		return r, err
	}
	r.StartsAt, r.ExpiresAt, r.AutoRenew, r.RemindersSent = FromNullMs(starts), FromNullMs(expires), auto == 1, splitIDs(reminders)
	r.TerminatedAt, r.DataDestroyRequestedAt, r.CreatedAt, r.UpdatedAt = FromNullMs(term), FromNullMs(destroy), FromMs(created), FromMs(updated)
	return r, nil
}

// ServiceInsert stores a new service and its suspensions; the transaction
// then remembers it as ServiceGet would read it back.
func (tx *Tx) ServiceInsert(ctx context.Context, r ServiceRow) error {
	// Queued under the service's key, with its meter at the columns'
	// defaults: an update of the service or its meter before the insert
	// is sent amends it instead (ServiceUpdate, ServiceMeterSet).
	args := append(serviceInsertArgs(r), "", int64(0), int64(0))
	if err := tx.writeKeyed(ctx, "service:"+r.ID, `INSERT INTO service (`+serviceCols+`, node_id, quota_level, quota_cycle_start_ms)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)`, args...); err != nil {
		return err
	}
	if err := tx.suspensionsInsert(ctx, r.ID, r.Suspensions); err != nil { // a new id has none stored yet
		return err
	}
	// Remembered as a read would return it: a new row nobody else sees
	// before the commit.
	if tx.fresh.services == nil {
		tx.fresh.services = map[string]bool{}
	}
	tx.fresh.services[r.ID] = true
	m := asStored(r, r)
	m.CreatedAt = FromMs(Ms(r.CreatedAt))
	tx.rememberService(m)
	return nil
}

// serviceInsertArgs are ServiceInsert's arguments for r's serviceCols.
func serviceInsertArgs(r ServiceRow) []any {
	return []any{r.ID, r.AccountID, r.OrderID, r.LineIdx, r.Unit, r.ProductID, r.PlanID, r.Kind, r.Cycle, r.Name,
		r.ParentID, r.State, NullMs(r.StartsAt), NullMs(r.ExpiresAt), b2i(r.AutoRenew), r.RenewalPaused, joinIDs(r.RemindersSent),
		NullMs(r.TerminatedAt), NullMs(r.DataDestroyRequestedAt), Ms(r.CreatedAt), Ms(r.UpdatedAt)}
}

// suspensionsInsert writes ss as service id's suspensions.
func (tx *Tx) suspensionsInsert(ctx context.Context, id string, ss []ServiceSuspensionRow) error {
	for _, x := range ss {
		if err := tx.Write(ctx, `INSERT INTO service_suspension (service_id, reason, since_ms) VALUES ($1, $2, $3)`, id, x.Reason, Ms(x.Since)); err != nil {
			return err
		}
	}
	return nil
}

// sameSuspensions reports whether a and b are the same suspensions in the
// same order.
func sameSuspensions(a, b []ServiceSuspensionRow) bool {
	return slices.EqualFunc(a, b, func(x, y ServiceSuspensionRow) bool { return x.Reason == y.Reason && x.Since.Equal(y.Since) })
}

// ServiceUpdate writes every mutable column of r and its suspensions if
// the stored row is unchanged since prevUpdated (ok=false otherwise: the
// caller reloads or reports a conflict). The suspensions are rewritten
// unless tx read the service (ServiceGet, Services) and they are unchanged
// since (a row read on the pool is always rewritten).
func (tx *Tx) ServiceUpdate(ctx context.Context, r ServiceRow, prevUpdated time.Time) (bool, error) {
	const q = `UPDATE service SET plan_id = $2, name = $3, state = $4, starts_at_ms = $5, expires_at_ms = $6, auto_renew = $7,
 renewal_paused = $8, reminders_sent = $9, terminated_at_ms = $10, data_destroy_requested_at_ms = $11, updated_at_ms = $12
 WHERE id = $1 AND updated_at_ms = $13`
	args := []any{r.ID, r.PlanID, r.Name, r.State, NullMs(r.StartsAt), NullMs(r.ExpiresAt), b2i(r.AutoRenew),
		r.RenewalPaused, joinIDs(r.RemindersSent), NullMs(r.TerminatedAt), NullMs(r.DataDestroyRequestedAt), Ms(r.UpdatedAt), Ms(prevUpdated)}
	// Inserted here and unchanged since as remembered: the update matches.
	m, known := tx.services[r.ID]
	matches := known && tx.fresh.services[r.ID] && Ms(m.UpdatedAt) == Ms(prevUpdated)
	var n int64
	var err error
	if next := asStored(m, r); matches && tx.amendWith("service:"+r.ID, func(a []any) { copy(a, serviceInsertArgs(next)) }) {
		// Its insert not sent yet: the insert writes the row as updated.
		n = 1
	} else {
		n, err = tx.execKnown(ctx, matches, q, args...)
	}
	if err != nil || n != 1 {
		delete(tx.services, r.ID) // read it again
		return false, err
	}
	if known {
		tx.services[r.ID] = asStored(m, r)
		if sameSuspensions(m.Suspensions, r.Suspensions) {
			return true, nil
		}
	}
	if err := tx.Write(ctx, `DELETE FROM service_suspension WHERE service_id = $1`, r.ID); err != nil {
		return false, err
	}
	return true, tx.suspensionsInsert(ctx, r.ID, r.Suspensions)
}

// asStored is the row a read would return after ServiceUpdate wrote r
// over m: m's immutable columns, r's mutable ones as the database keeps
// them (milliseconds, UTC; suspensions in the read's order).
func asStored(m, r ServiceRow) ServiceRow {
	m.PlanID, m.Name, m.State, m.AutoRenew, m.RenewalPaused = r.PlanID, r.Name, r.State, r.AutoRenew, r.RenewalPaused
	m.StartsAt, m.ExpiresAt = FromNullMs(NullMs(r.StartsAt)), FromNullMs(NullMs(r.ExpiresAt))
	m.TerminatedAt, m.DataDestroyRequestedAt = FromNullMs(NullMs(r.TerminatedAt)), FromNullMs(NullMs(r.DataDestroyRequestedAt))
	m.UpdatedAt, m.RemindersSent = FromMs(Ms(r.UpdatedAt)), splitIDs(joinIDs(r.RemindersSent))
	m.Suspensions = nil
	for _, x := range r.Suspensions {
		m.Suspensions = append(m.Suspensions, ServiceSuspensionRow{Reason: x.Reason, Since: FromMs(Ms(x.Since))})
	}
	slices.SortStableFunc(m.Suspensions, func(a, b ServiceSuspensionRow) int {
		if c := a.Since.Compare(b.Since); c != 0 {
			return c
		}
		return strings.Compare(a.Reason, b.Reason)
	})
	return m
}

// rememberService keeps r as tx read it.
func (tx *Tx) rememberService(r ServiceRow) {
	if tx.services == nil {
		tx.services = map[string]ServiceRow{}
	}
	tx.services[r.ID] = cloneService(r)
}

func cloneService(r ServiceRow) ServiceRow {
	r.RemindersSent, r.Suspensions = slices.Clone(r.RemindersSent), slices.Clone(r.Suspensions)
	return r
}

func serviceSuspensions(ctx context.Context, q Querier, ids []string) (map[string][]ServiceSuspensionRow, error) {
	out := map[string][]ServiceSuspensionRow{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	ph := make([]string, len(ids))
	for i, id := range ids {
		args[i], ph[i] = id, "$"+itoa(i+1)
	}
	rows, err := q.Query(ctx, `SELECT service_id, reason, since_ms FROM service_suspension WHERE service_id IN (`+strings.Join(ph, ", ")+`)
 ORDER BY since_ms, reason`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var s ServiceSuspensionRow
		var since int64
		if err := rows.Scan(&id, &s.Reason, &since); err != nil {
			return nil, err
		}
		s.Since = FromMs(since)
		out[id] = append(out[id], s)
	}
	return out, rows.Err()
}

// ServiceGet reads one service (errs.ErrNotFound when missing). Read
// through a transaction that already read it (here or in Services), it
// answers the row as read and as ServiceUpdate wrote it since.
func ServiceGet(ctx context.Context, q Querier, id string) (ServiceRow, error) {
	tx, _ := q.(*Tx)
	if tx != nil {
		if m, ok := tx.services[id]; ok {
			return cloneService(m), nil
		}
	}
	r, err := scanService(q.QueryRow(ctx, `SELECT `+serviceCols+` FROM service WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.ServiceGet", err)
	}
	m, err := serviceSuspensions(ctx, q, []string{id})
	if err != nil {
		return r, err
	}
	r.Suspensions = m[id]
	if tx != nil {
		tx.rememberService(r)
	}
	return r, nil
}

// ServiceFilter selects services, newest first.
type ServiceFilter struct {
	AccountID string
	OrderID   string
	ParentID  string
	States    []string
	Kind      string
	// ExpiringBefore selects services whose term ends before it (sweeps).
	ExpiringBefore time.Time
	Before         string // a service id, for paging
	Limit          int    // ≤ 0: 100
	Oldest         bool   // oldest expiry first (sweeps) instead of newest id first
	// DestroyDue selects, oldest termination first, the terminated
	// services terminated at or before it whose data destruction has not
	// been requested (the lifecycle sweep; index service_destroy_due).
	DestroyDue time.Time
}

// Services lists services matching f with their suspensions.
func Services(ctx context.Context, q Querier, f ServiceFilter) ([]ServiceRow, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.AccountID != "" {
		add("account_id = ?", f.AccountID)
	}
	if f.OrderID != "" {
		add("order_id = ?", f.OrderID)
	}
	if f.ParentID != "" {
		// service_parent holds only services with a parent, and says so
		// in its predicate, spelled here for a generic plan to prove.
		add("parent_id = ? AND parent_id <> ''", f.ParentID)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if !f.ExpiringBefore.IsZero() {
		add("expires_at_ms < ?", Ms(f.ExpiringBefore))
	}
	if f.Before != "" {
		add("id < ?", f.Before)
	}
	if !f.DestroyDue.IsZero() {
		// service_destroy_due: its leading column, and its predicate as
		// the index spells it.
		where = append(where, "state = 'terminated' AND data_destroy_requested_at_ms IS NULL")
		add("terminated_at_ms <= ?", Ms(f.DestroyDue))
	}
	if len(f.States) > 0 {
		var ph []string
		for _, s := range f.States {
			args = append(args, s)
			ph = append(ph, "$"+itoa(len(args)))
		}
		where = append(where, "state IN ("+strings.Join(ph, ", ")+")")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	query := `SELECT ` + serviceCols + ` FROM service`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	order := ` ORDER BY id DESC`
	switch {
	case !f.DestroyDue.IsZero():
		order = ` ORDER BY terminated_at_ms, id`
	case f.Oldest:
		order = ` ORDER BY expires_at_ms, id`
	}
	args = append(args, limit)
	rows, err := q.Query(ctx, query+order+` LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	var out []ServiceRow
	var ids []string
	for rows.Next() {
		r, err := scanService(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
		ids = append(ids, r.ID)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, err
	}
	m, err := serviceSuspensions(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	tx, _ := q.(*Tx)
	for i := range out {
		out[i].Suspensions = m[out[i].ID]
		if tx != nil {
			tx.rememberService(out[i])
		}
	}
	return out, nil
}

// ServiceEventRow is one entry of a service's history.
type ServiceEventRow struct {
	ID, ServiceID, Kind, Reason, Data string
	At                                time.Time
}

// ServiceEventInsert appends to a service's history.
func (tx *Tx) ServiceEventInsert(ctx context.Context, e ServiceEventRow) error {
	if e.Data == "" {
		e.Data = "{}"
	}
	err := tx.Write(ctx, `INSERT INTO service_event (id, service_id, kind, reason, data, at_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
		e.ID, e.ServiceID, e.Kind, e.Reason, e.Data, Ms(e.At))
	return err
}

// ServiceEvents lists a service's history, oldest first.
func ServiceEvents(ctx context.Context, q Querier, serviceID string) ([]ServiceEventRow, error) {
	rows, err := q.Query(ctx, `SELECT id, service_id, kind, reason, data, at_ms FROM service_event WHERE service_id = $1 ORDER BY at_ms, id`, serviceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ServiceEventRow
	for rows.Next() {
		var e ServiceEventRow
		var at int64
		if err := rows.Scan(&e.ID, &e.ServiceID, &e.Kind, &e.Reason, &e.Data, &at); err != nil {
			return nil, err
		}
		e.At = FromMs(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
