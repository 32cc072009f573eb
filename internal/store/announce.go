package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"
)

// Announcements, maintenance windows, incidents and assignments (issue 17).
// The store only persists: which services a window affects, whether a
// customer counts as notified and what clause 7 decides are the app's.

// AnnouncementRow is one news item.
type AnnouncementRow struct {
	ID                   string
	TitleZh, TitleEn     string
	BodyZh, BodyEn       string
	PublishedAt          time.Time // zero: draft
	CreatedBy            string
	CreatedAt, UpdatedAt time.Time
}

const announcementCols = `id, title_zh, title_en, body_zh, body_en, published_at_ms, created_by, created_at_ms, updated_at_ms`

func scanAnnouncement(s scanner) (AnnouncementRow, error) {
	var r AnnouncementRow
	var pub sql.NullInt64
	var created, updated int64
	if err := s.Scan(&r.ID, &r.TitleZh, &r.TitleEn, &r.BodyZh, &r.BodyEn, &pub, &r.CreatedBy, &created, &updated); err != nil {
		return r, err
	}
	r.PublishedAt, r.CreatedAt, r.UpdatedAt = FromNullMs(pub), FromMs(created), FromMs(updated)
	return r, nil
}

// AnnouncementUpsert inserts or rewrites an announcement.
func (tx *Tx) AnnouncementUpsert(ctx context.Context, r AnnouncementRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO announcement (`+announcementCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
 ON CONFLICT (id) DO UPDATE SET title_zh = excluded.title_zh, title_en = excluded.title_en, body_zh = excluded.body_zh,
 body_en = excluded.body_en, published_at_ms = excluded.published_at_ms, updated_at_ms = excluded.updated_at_ms`,
		r.ID, r.TitleZh, r.TitleEn, r.BodyZh, r.BodyEn, NullMs(r.PublishedAt), r.CreatedBy, Ms(r.CreatedAt), Ms(r.UpdatedAt))
	return err
}

// AnnouncementGet reads one announcement.
func AnnouncementGet(ctx context.Context, q Querier, id string) (AnnouncementRow, error) {
	r, err := scanAnnouncement(q.QueryRow(ctx, `SELECT `+announcementCols+` FROM announcement WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.AnnouncementGet", err)
	}
	return r, nil
}

// Announcements lists announcements newest first: only those published
// by publishedBy when it is set, else all (drafts included).
func Announcements(ctx context.Context, q Querier, publishedBy time.Time, limit int) ([]AnnouncementRow, error) {
	query, args := `SELECT `+announcementCols+` FROM announcement`, []any{}
	if !publishedBy.IsZero() {
		query += ` WHERE published_at_ms IS NOT NULL AND published_at_ms <= $1`
		args = append(args, Ms(publishedBy))
	}
	args = append(args, clampLimit(limit))
	return collect(ctx, q, query+` ORDER BY COALESCE(published_at_ms, created_at_ms) DESC, id DESC LIMIT $`+itoa(len(args)), args, scanAnnouncement)
}

func clampLimit(limit int) int {
	if limit <= 0 || limit > 500 {
		return 500
	}
	return limit
}

// collect runs a query and scans every row with scan.
func collect[T any](ctx context.Context, q Querier, query string, args []any, scan func(scanner) (T, error)) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// WindowRow is one maintenance window.
type WindowRow struct {
	ID                       string
	TitleZh, TitleEn         string
	BodyZh, BodyEn           string
	Products, Regions, Nodes []string
	Start, End               time.Time
	Emergency                bool
	NoticeHours              int
	State                    string // scheduled | in_progress | completed | cancelled
	RemindedAt, StartedAt    time.Time
	CompletedAt              time.Time
	CreatedBy                string
	CreatedAt, UpdatedAt     time.Time
}

const windowCols = `id, title_zh, title_en, body_zh, body_en, products, regions, nodes, start_ms, end_ms, emergency, notice_hours, state,
 reminded_at_ms, started_at_ms, completed_at_ms, created_by, created_at_ms, updated_at_ms`

func scanWindow(s scanner) (WindowRow, error) {
	var r WindowRow
	var products, regions, nodes string
	var start, end, emergency, hours, created, updated int64
	var reminded, started, completed sql.NullInt64
	if err := s.Scan(&r.ID, &r.TitleZh, &r.TitleEn, &r.BodyZh, &r.BodyEn, &products, &regions, &nodes, &start, &end, &emergency, &hours,
		&r.State, &reminded, &started, &completed, &r.CreatedBy, &created, &updated); err != nil {
		return r, err
	}
	r.Products, r.Regions, r.Nodes = parseList(products), parseList(regions), parseList(nodes)
	r.Start, r.End, r.Emergency, r.NoticeHours = FromMs(start), FromMs(end), emergency == 1, int(hours)
	r.RemindedAt, r.StartedAt, r.CompletedAt = FromNullMs(reminded), FromNullMs(started), FromNullMs(completed)
	r.CreatedAt, r.UpdatedAt = FromMs(created), FromMs(updated)
	return r, nil
}

// WindowInsert stores a new window.
func (tx *Tx) WindowInsert(ctx context.Context, r WindowRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO maintenance_window (`+windowCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,
 $14, $15, $16, $17, $18, $19)`, r.ID, r.TitleZh, r.TitleEn, r.BodyZh, r.BodyEn, jsonList(r.Products), jsonList(r.Regions), jsonList(r.Nodes),
		Ms(r.Start), Ms(r.End), b2i(r.Emergency), int64(r.NoticeHours), r.State, NullMs(r.RemindedAt), NullMs(r.StartedAt), NullMs(r.CompletedAt),
		r.CreatedBy, Ms(r.CreatedAt), Ms(r.UpdatedAt))
	return err
}

// WindowUpdate writes the times and state of r if the stored row is still
// in state from and unchanged since prev (ok=false otherwise).
func (tx *Tx) WindowUpdate(ctx context.Context, r WindowRow, from string, prev time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE maintenance_window SET end_ms = $2, state = $3, reminded_at_ms = $4, started_at_ms = $5,
 completed_at_ms = $6, updated_at_ms = $7 WHERE id = $1 AND state = $8 AND updated_at_ms = $9`, r.ID, Ms(r.End), r.State,
		NullMs(r.RemindedAt), NullMs(r.StartedAt), NullMs(r.CompletedAt), Ms(r.UpdatedAt), from, Ms(prev))
	return n == 1, err
}

// WindowTextsUpdate rewrites the titles and bodies of a window and
// nothing else: its state, times and updated_at (the optimistic lock of
// WindowUpdate) are left alone, so a concurrent action is never refused
// because of an edit of texts.
func (tx *Tx) WindowTextsUpdate(ctx context.Context, id, titleZh, titleEn, bodyZh, bodyEn string) error {
	_, err := tx.Exec(ctx, `UPDATE maintenance_window SET title_zh = $2, title_en = $3, body_zh = $4, body_en = $5 WHERE id = $1`,
		id, titleZh, titleEn, bodyZh, bodyEn)
	return err
}

// WindowGet reads one window.
func WindowGet(ctx context.Context, q Querier, id string) (WindowRow, error) {
	r, err := scanWindow(q.QueryRow(ctx, `SELECT `+windowCols+` FROM maintenance_window WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.WindowGet", err)
	}
	return r, nil
}

// WindowFilter selects windows.
type WindowFilter struct {
	States      []string
	StartBefore time.Time // start < StartBefore
	EndAfter    time.Time // end > EndAfter
	Limit       int
}

// Windows lists windows, latest start first.
func Windows(ctx context.Context, q Querier, f WindowFilter) ([]WindowRow, error) {
	query, args := `SELECT `+windowCols+` FROM maintenance_window WHERE 1 = 1`, []any{}
	add := func(cond string, v any) {
		args = append(args, v)
		query += ` AND ` + cond + itoa(len(args))
	}
	for i, s := range f.States {
		if i == 0 {
			query += ` AND (`
		} else {
			query += ` OR `
		}
		args = append(args, s)
		query += `state = $` + itoa(len(args))
		if i == len(f.States)-1 {
			query += `)`
		}
	}
	if !f.StartBefore.IsZero() {
		add(`start_ms < $`, Ms(f.StartBefore))
	}
	if !f.EndAfter.IsZero() {
		add(`end_ms > $`, Ms(f.EndAfter))
	}
	args = append(args, clampLimit(f.Limit))
	return collect(ctx, q, query+` ORDER BY start_ms DESC, id DESC LIMIT $`+itoa(len(args)), args, scanWindow)
}

// NoticeRow is the notice of one window to one customer.
type NoticeRow struct {
	WindowID, AccountID string
	ServiceIDs          []string
	NotificationID      string
	CreatedAt           time.Time
}

const noticeCols = `window_id, account_id, service_ids, notification_id, created_at_ms`

func scanNotice(s scanner) (NoticeRow, error) {
	var r NoticeRow
	var ids string
	var created int64
	if err := s.Scan(&r.WindowID, &r.AccountID, &ids, &r.NotificationID, &created); err != nil {
		return r, err
	}
	r.ServiceIDs, r.CreatedAt = parseList(ids), FromMs(created)
	return r, nil
}

// NoticeInsert records the notice of a window to a customer.
func (tx *Tx) NoticeInsert(ctx context.Context, r NoticeRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO maintenance_notice (`+noticeCols+`) VALUES ($1, $2, $3, $4, $5)`, r.WindowID, r.AccountID,
		jsonList(r.ServiceIDs), r.NotificationID, Ms(r.CreatedAt))
	return err
}

// Notices lists the notices of a window (windowID set) or of a customer
// (accountID set), oldest first.
func Notices(ctx context.Context, q Querier, windowID, accountID string) ([]NoticeRow, error) {
	query, args := `SELECT `+noticeCols+` FROM maintenance_notice WHERE 1 = 1`, []any{}
	if windowID != "" {
		args = append(args, windowID)
		query += ` AND window_id = $` + itoa(len(args))
	}
	if accountID != "" {
		args = append(args, accountID)
		query += ` AND account_id = $` + itoa(len(args))
	}
	return collect(ctx, q, query+` ORDER BY created_at_ms, account_id LIMIT 100000`, args, scanNotice)
}

// NoticesInWindows returns accountID's notices of the windows that are in
// one of states and end after endAfter (the live windows a portal page's
// banner shows), oldest first: one statement that reads the few live
// windows and probes each for the account's notice, instead of the
// account's whole maintenance history.
func NoticesInWindows(ctx context.Context, q Querier, accountID string, states []string, endAfter time.Time) ([]NoticeRow, error) {
	args := []any{accountID, Ms(endAfter)}
	ph := make([]string, len(states))
	for i, st := range states {
		args = append(args, st)
		ph[i] = "$" + itoa(len(args))
	}
	// CROSS JOIN keeps the windows as SQLite's outer loop (PostgreSQL
	// orders the join itself): the platform's live windows are few, the
	// account's notices only grow.
	query := `SELECT n.window_id, n.account_id, n.service_ids, n.notification_id, n.created_at_ms
FROM maintenance_window w CROSS JOIN maintenance_notice n
WHERE n.window_id = w.id AND n.account_id = $1 AND w.state IN (` + strings.Join(ph, ", ") + `) AND w.end_ms > $2
ORDER BY n.created_at_ms, n.window_id`
	return collect(ctx, q, query, args, scanNotice)
}

// IncidentRow is one incident.
type IncidentRow struct {
	ID                    string
	TitleZh, TitleEn      string
	BodyZh, BodyEn        string
	Cause, WindowID       string
	State                 string // open | resolved
	StartedAt, EndedAt    time.Time
	CreatedBy, ResolvedBy string
	CreatedAt, UpdatedAt  time.Time
}

const incidentCols = `id, title_zh, title_en, body_zh, body_en, cause, window_id, state, started_at_ms, ended_at_ms, created_by, resolved_by,
 created_at_ms, updated_at_ms`

func scanIncident(s scanner) (IncidentRow, error) {
	var r IncidentRow
	var started, created, updated int64
	var ended sql.NullInt64
	if err := s.Scan(&r.ID, &r.TitleZh, &r.TitleEn, &r.BodyZh, &r.BodyEn, &r.Cause, &r.WindowID, &r.State, &started, &ended, &r.CreatedBy,
		&r.ResolvedBy, &created, &updated); err != nil {
		return r, err
	}
	r.StartedAt, r.EndedAt, r.CreatedAt, r.UpdatedAt = FromMs(started), FromNullMs(ended), FromMs(created), FromMs(updated)
	return r, nil
}

// IncidentInsert stores a new incident.
func (tx *Tx) IncidentInsert(ctx context.Context, r IncidentRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO incident (`+incidentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		r.ID, r.TitleZh, r.TitleEn, r.BodyZh, r.BodyEn, r.Cause, r.WindowID, r.State, Ms(r.StartedAt), NullMs(r.EndedAt), r.CreatedBy,
		r.ResolvedBy, Ms(r.CreatedAt), Ms(r.UpdatedAt))
	return err
}

// IncidentResolve marks an open incident resolved (ok=false: it was not
// open any more).
func (tx *Tx) IncidentResolve(ctx context.Context, id, cause string, ended time.Time, by string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE incident SET state = 'resolved', cause = $2, ended_at_ms = $3, resolved_by = $4, updated_at_ms = $5
 WHERE id = $1 AND state = 'open'`, id, cause, Ms(ended), by, Ms(tx.Now))
	return n == 1, err
}

// IncidentTextsUpdate rewrites the titles and bodies of an incident and
// nothing else (its cause, state and times stay).
func (tx *Tx) IncidentTextsUpdate(ctx context.Context, id, titleZh, titleEn, bodyZh, bodyEn string) error {
	_, err := tx.Exec(ctx, `UPDATE incident SET title_zh = $2, title_en = $3, body_zh = $4, body_en = $5, updated_at_ms = $6 WHERE id = $1`,
		id, titleZh, titleEn, bodyZh, bodyEn, Ms(tx.Now))
	return err
}

// IncidentGet reads one incident.
func IncidentGet(ctx context.Context, q Querier, id string) (IncidentRow, error) {
	r, err := scanIncident(q.QueryRow(ctx, `SELECT `+incidentCols+` FROM incident WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.IncidentGet", err)
	}
	return r, nil
}

// Incidents lists incidents, latest start first.
func Incidents(ctx context.Context, q Querier, limit int) ([]IncidentRow, error) {
	return collect(ctx, q, `SELECT `+incidentCols+` FROM incident ORDER BY started_at_ms DESC, id DESC LIMIT $1`, []any{clampLimit(limit)}, scanIncident)
}

// IncidentServiceRow is one affected service of an incident.
type IncidentServiceRow struct {
	IncidentID, ServiceID, AccountID string
	Decided, Exempt, Notified        bool
	Clause                           string
	Extension                        time.Duration
}

const incidentServiceCols = `incident_id, service_id, account_id, decided, exempt, clause, notified, extension_ms`

func scanIncidentService(s scanner) (IncidentServiceRow, error) {
	var r IncidentServiceRow
	var decided, exempt, notified, ext int64
	if err := s.Scan(&r.IncidentID, &r.ServiceID, &r.AccountID, &decided, &exempt, &r.Clause, &notified, &ext); err != nil {
		return r, err
	}
	r.Decided, r.Exempt, r.Notified, r.Extension = decided == 1, exempt == 1, notified == 1, time.Duration(ext)*time.Millisecond
	return r, nil
}

// IncidentServiceUpsert stores an affected service or its decision.
func (tx *Tx) IncidentServiceUpsert(ctx context.Context, r IncidentServiceRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO incident_service (`+incidentServiceCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
 ON CONFLICT (incident_id, service_id) DO UPDATE SET decided = excluded.decided, exempt = excluded.exempt, clause = excluded.clause,
 notified = excluded.notified, extension_ms = excluded.extension_ms`, r.IncidentID, r.ServiceID, r.AccountID, b2i(r.Decided), b2i(r.Exempt),
		r.Clause, b2i(r.Notified), r.Extension.Milliseconds())
	return err
}

// IncidentServices lists the affected services of an incident, or every
// incident's services of a customer (incidentID empty, accountID set).
func IncidentServices(ctx context.Context, q Querier, incidentID, accountID string) ([]IncidentServiceRow, error) {
	query, args := `SELECT `+incidentServiceCols+` FROM incident_service WHERE 1 = 1`, []any{}
	if incidentID != "" {
		args = append(args, incidentID)
		query += ` AND incident_id = $` + itoa(len(args))
	}
	if accountID != "" {
		args = append(args, accountID)
		query += ` AND account_id = $` + itoa(len(args))
	}
	return collect(ctx, q, query+` ORDER BY incident_id, service_id LIMIT 100000`, args, scanIncidentService)
}

// AssignNoticeRow is one assignment notice (9.3).
type AssignNoticeRow struct {
	ID, Assignee string
	EffectiveAt  time.Time
	NoticeDays   int
	Notified     int
	CreatedBy    string
	CreatedAt    time.Time
}

const assignmentCols = `id, assignee, effective_at_ms, notice_days, notified, created_by, created_at_ms`

func scanAssignNotice(s scanner) (AssignNoticeRow, error) {
	var r AssignNoticeRow
	var eff, days, notified, created int64
	if err := s.Scan(&r.ID, &r.Assignee, &eff, &days, &notified, &r.CreatedBy, &created); err != nil {
		return r, err
	}
	r.EffectiveAt, r.NoticeDays, r.Notified, r.CreatedAt = FromMs(eff), int(days), int(notified), FromMs(created)
	return r, nil
}

// AssignNoticeInsert stores an assignment.
func (tx *Tx) AssignNoticeInsert(ctx context.Context, r AssignNoticeRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO assignment (`+assignmentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`, r.ID, r.Assignee,
		Ms(r.EffectiveAt), int64(r.NoticeDays), int64(r.Notified), r.CreatedBy, Ms(r.CreatedAt))
	return err
}

// AssignNoticeGet reads one assignment.
func AssignNoticeGet(ctx context.Context, q Querier, id string) (AssignNoticeRow, error) {
	r, err := scanAssignNotice(q.QueryRow(ctx, `SELECT `+assignmentCols+` FROM assignment WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.AssignNoticeGet", err)
	}
	return r, nil
}

// Assignments lists assignments, latest effective first.
func AssignNotices(ctx context.Context, q Querier) ([]AssignNoticeRow, error) {
	return collect(ctx, q, `SELECT `+assignmentCols+` FROM assignment ORDER BY effective_at_ms DESC, id DESC LIMIT 500`, nil, scanAssignNotice)
}

// ObjectionAmount is the pro-rata refund of one service.
type ObjectionAmount struct {
	ServiceID string `json:"service_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f70"`
	OrderID   string `json:"order_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	Fen       int64  `json:"fen" example:"2600" doc:"The pro-rata refund of the unused term, in fen."`
	RefundID  string `json:"refund_id,omitempty" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f90" doc:"The refund (kind assignment) of the service's order that pays it."`
}

// ObjectionRow is a customer's objection to an assignment.
type ObjectionRow struct {
	AssignmentID, AccountID string
	Amounts                 []ObjectionAmount
	TotalFen                int64
	CreatedAt               time.Time
}

// ObjectionInsert records an objection; ok=false when the customer had
// objected already.
func (tx *Tx) ObjectionInsert(ctx context.Context, r ObjectionRow) (bool, error) {
	b, err := json.Marshal(r.Amounts)
	if err != nil {
		return false, err
	}
	n, err := tx.Exec(ctx, `INSERT INTO assignment_objection (assignment_id, account_id, amounts, total_fen, created_at_ms)
 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (assignment_id, account_id) DO NOTHING`, r.AssignmentID, r.AccountID, string(b), r.TotalFen, Ms(r.CreatedAt))
	return n == 1, err
}

// Objections lists the objections to an assignment, or of one customer.
func Objections(ctx context.Context, q Querier, assignmentID, accountID string) ([]ObjectionRow, error) {
	query, args := `SELECT assignment_id, account_id, amounts, total_fen, created_at_ms FROM assignment_objection WHERE 1 = 1`, []any{}
	if assignmentID != "" {
		args = append(args, assignmentID)
		query += ` AND assignment_id = $` + itoa(len(args))
	}
	if accountID != "" {
		args = append(args, accountID)
		query += ` AND account_id = $` + itoa(len(args))
	}
	return collect(ctx, q, query+` ORDER BY created_at_ms LIMIT 100000`, args, func(s scanner) (ObjectionRow, error) {
		var r ObjectionRow
		var amounts string
		var created int64
		if err := s.Scan(&r.AssignmentID, &r.AccountID, &amounts, &r.TotalFen, &created); err != nil {
			return r, err
		}
		_ = json.Unmarshal([]byte(amounts), &r.Amounts)
		r.CreatedAt = FromMs(created)
		return r, nil
	})
}
