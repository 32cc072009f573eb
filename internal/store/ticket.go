package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/errs"
)

// TicketRow is one row of the ticket table. Zero times are NULL.
type TicketRow struct {
	ID, OwnerAccountID, OwnerParentID, ResellerID, CreatedBy string
	Subject, Category, Priority, Department, State           string
	AssigneeID, LinkType, LinkID, Lang                       string
	CreatedAt, UpdatedAt, WaitingSince                       time.Time
	FirstResponseDue, FirstResponseAt, ResolutionDue         time.Time
	LastStaffAnswerAt, AutoCloseWarnAt, AutoCloseAt          time.Time
	AutoCloseWarnedAt, ClosedAt                              time.Time
	ClosedBy                                                 string
	FirstResponseBreachedAt, ResolutionBreachedAt            time.Time
}

const ticketCols = `id, owner_account_id, owner_parent_id, reseller_id, created_by, subject, category, priority, department, state,
 assignee_id, link_type, link_id, lang, created_at_ms, updated_at_ms, waiting_since_ms, first_response_due_ms, first_response_at_ms,
 resolution_due_ms, last_staff_answer_at_ms, auto_close_warn_at_ms, auto_close_at_ms, auto_close_warned_at_ms, closed_at_ms, closed_by,
 first_response_breached_at_ms, resolution_breached_at_ms`

func scanTicket(s scanner, extra ...any) (TicketRow, error) {
	var r TicketRow
	var created, updated, frDue, resDue int64
	var waiting, frAt, lastAns, warnAt, closeAt, warned, closed, frBr, resBr sql.NullInt64
	dest := append([]any{&r.ID, &r.OwnerAccountID, &r.OwnerParentID, &r.ResellerID, &r.CreatedBy, &r.Subject, &r.Category, &r.Priority,
		&r.Department, &r.State, &r.AssigneeID, &r.LinkType, &r.LinkID, &r.Lang, &created, &updated, &waiting, &frDue, &frAt, &resDue,
		&lastAns, &warnAt, &closeAt, &warned, &closed, &r.ClosedBy, &frBr, &resBr}, extra...)
	if err := s.Scan(dest...); err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt, r.WaitingSince = FromMs(created), FromMs(updated), FromNullMs(waiting)
	r.FirstResponseDue, r.FirstResponseAt, r.ResolutionDue = FromMs(frDue), FromNullMs(frAt), FromMs(resDue)
	r.LastStaffAnswerAt, r.AutoCloseWarnAt, r.AutoCloseAt = FromNullMs(lastAns), FromNullMs(warnAt), FromNullMs(closeAt)
	r.AutoCloseWarnedAt, r.ClosedAt = FromNullMs(warned), FromNullMs(closed)
	r.FirstResponseBreachedAt, r.ResolutionBreachedAt = FromNullMs(frBr), FromNullMs(resBr)
	return r, nil
}

func (r TicketRow) args() []any {
	return []any{r.ID, r.OwnerAccountID, r.OwnerParentID, r.ResellerID, r.CreatedBy, r.Subject, r.Category, r.Priority, r.Department, r.State,
		r.AssigneeID, r.LinkType, r.LinkID, r.Lang, Ms(r.CreatedAt), Ms(r.UpdatedAt), NullMs(r.WaitingSince), Ms(r.FirstResponseDue),
		NullMs(r.FirstResponseAt), Ms(r.ResolutionDue), NullMs(r.LastStaffAnswerAt), NullMs(r.AutoCloseWarnAt), NullMs(r.AutoCloseAt),
		NullMs(r.AutoCloseWarnedAt), NullMs(r.ClosedAt), r.ClosedBy, NullMs(r.FirstResponseBreachedAt), NullMs(r.ResolutionBreachedAt)}
}

// TicketInsert stores a new ticket.
func (tx *Tx) TicketInsert(ctx context.Context, r TicketRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO ticket (`+ticketCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
 $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28)`, r.args()...)
	return err
}

// TicketUpdate writes every mutable column of r if the stored row is
// still at the state and update instant the caller read (prev): ok=false
// means someone else changed it first (the caller reloads or reports a
// conflict).
func (tx *Tx) TicketUpdate(ctx context.Context, r TicketRow, prev TicketRow) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE ticket SET subject = $2, priority = $3, department = $4, state = $5, assignee_id = $6, updated_at_ms = $7,
 waiting_since_ms = $8, first_response_at_ms = $9, resolution_due_ms = $10, first_response_due_ms = $11, last_staff_answer_at_ms = $12,
 auto_close_warn_at_ms = $13, auto_close_at_ms = $14, auto_close_warned_at_ms = $15, closed_at_ms = $16, closed_by = $17,
 first_response_breached_at_ms = $18, resolution_breached_at_ms = $19
 WHERE id = $1 AND state = $20 AND updated_at_ms = $21`,
		r.ID, r.Subject, r.Priority, r.Department, r.State, r.AssigneeID, Ms(r.UpdatedAt), NullMs(r.WaitingSince), NullMs(r.FirstResponseAt),
		Ms(r.ResolutionDue), Ms(r.FirstResponseDue), NullMs(r.LastStaffAnswerAt), NullMs(r.AutoCloseWarnAt), NullMs(r.AutoCloseAt),
		NullMs(r.AutoCloseWarnedAt), NullMs(r.ClosedAt), r.ClosedBy, NullMs(r.FirstResponseBreachedAt), NullMs(r.ResolutionBreachedAt),
		prev.State, Ms(prev.UpdatedAt))
	return n == 1, err
}

// TicketGet reads a ticket by id.
func TicketGet(ctx context.Context, q Querier, id string) (TicketRow, error) {
	return scanTicket(q.QueryRow(ctx, `SELECT `+ticketCols+` FROM ticket WHERE id = $1`, id))
}

// TicketFilter selects tickets. Owner lists are newest first with Cursor
// the last id seen. Queue lists (Fair) hold only tickets awaiting staff,
// in per-customer round robin: every customer's longest-waiting ticket
// first (a customer's urgent tickets before their others), then every
// customer's second, and so on, so that a flood from one customer does not
// starve the others; Cursor is the opaque position TicketList returned.
type TicketFilter struct {
	OwnerAccountID string   // the customer's (tenant's) tickets
	CreatedBy      string   // only those this account opened (with OwnerAccountID: a sub-user)
	Department     string   // "" any
	States         []string // none: any
	AssigneeID     string   // "" any
	Unassigned     bool
	Breached       bool // only tickets with a breached target
	Fair           bool
	Cursor         string
	Limit          int
}

// TicketList returns one page of tickets and the cursor of the next page
// ("" at the end).
func TicketList(ctx context.Context, q Querier, f TicketFilter) ([]TicketRow, string, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if f.OwnerAccountID != "" {
		where = append(where, "owner_account_id = "+arg(f.OwnerAccountID))
	}
	if f.CreatedBy != "" {
		where = append(where, "created_by = "+arg(f.CreatedBy))
	}
	if f.Department != "" {
		where = append(where, "department = "+arg(f.Department))
	}
	if f.AssigneeID != "" {
		where = append(where, "assignee_id = "+arg(f.AssigneeID))
	}
	if f.Unassigned {
		where = append(where, "assignee_id = ''")
	}
	if f.Breached {
		where = append(where, "(first_response_breached_at_ms IS NOT NULL OR resolution_breached_at_ms IS NOT NULL) AND state <> 'closed'")
	}
	if f.Fair {
		where = append(where, "waiting_since_ms IS NOT NULL")
	}
	if len(f.States) > 0 {
		ph := make([]string, len(f.States))
		for i, s := range f.States {
			ph[i] = arg(s)
		}
		where = append(where, "state IN ("+strings.Join(ph, ", ")+")")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	if !f.Fair {
		if f.Cursor != "" {
			kw := " WHERE "
			if cond != "" {
				kw = " AND "
			}
			cond += kw + "id < " + arg(f.Cursor)
		}
		rows, err := q.Query(ctx, `SELECT `+ticketCols+` FROM ticket`+cond+` ORDER BY id DESC LIMIT `+strconv.Itoa(f.Limit+1), args...)
		if err != nil {
			return nil, "", err
		}
		out, err := collectTickets(rows, nil)
		if err != nil {
			return nil, "", err
		}
		next := ""
		if len(out) > f.Limit {
			out = out[:f.Limit]
			next = out[len(out)-1].ID
		}
		return out, next, nil
	}
	page := ""
	if f.Cursor != "" {
		rn, wait, id, err := parseFairCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		a, b, c := arg(rn), arg(wait), arg(id)
		page = ` WHERE (rn > ` + a + ` OR (rn = ` + a + ` AND (waiting_since_ms > ` + b + ` OR (waiting_since_ms = ` + b + ` AND id > ` + c + `))))`
	}
	rows, err := q.Query(ctx, `SELECT `+ticketCols+`, rn FROM (SELECT `+ticketCols+`, ROW_NUMBER() OVER (PARTITION BY owner_account_id
 ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 ELSE 2 END, waiting_since_ms, id) AS rn FROM ticket`+cond+`) fair`+page+`
 ORDER BY rn, waiting_since_ms, id LIMIT `+strconv.Itoa(f.Limit+1), args...)
	if err != nil {
		return nil, "", err
	}
	var rns []int64
	out, err := collectTickets(rows, &rns)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = fmt.Sprintf("%d.%d.%s", rns[f.Limit-1], Ms(last.WaitingSince), last.ID)
	}
	return out, next, nil
}

func parseFairCursor(c string) (int64, int64, string, error) {
	parts := strings.SplitN(c, ".", 3)
	if len(parts) == 3 {
		rn, e1 := strconv.ParseInt(parts[0], 10, 64)
		w, e2 := strconv.ParseInt(parts[1], 10, 64)
		if e1 == nil && e2 == nil {
			return rn, w, parts[2], nil
		}
	}
	return 0, 0, "", ErrBadCursor
}

func collectTickets(rows *Rows, rns *[]int64) ([]TicketRow, error) {
	defer rows.Close()
	var out []TicketRow
	for rows.Next() {
		var rn int64
		var extra []any
		if rns != nil {
			extra = []any{&rn}
		}
		r, err := scanTicket(rows, extra...)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
		if rns != nil {
			*rns = append(*rns, rn)
		}
	}
	return out, rows.Err()
}

// TicketCounts are the console home's numbers.
type TicketCounts struct {
	AwaitingStaff int // open or customer_reply
	Breached      int // not closed, with a breached target
}

// TicketCount counts tickets awaiting staff and breached ones.
func TicketCount(ctx context.Context, q Querier) (TicketCounts, error) {
	var c TicketCounts
	err := q.QueryRow(ctx, `SELECT
 COALESCE(SUM(CASE WHEN state IN ('open', 'customer_reply') THEN 1 ELSE 0 END), 0),
 COALESCE(SUM(CASE WHEN state <> 'closed' AND (first_response_breached_at_ms IS NOT NULL OR resolution_breached_at_ms IS NOT NULL) THEN 1 ELSE 0 END), 0)
 FROM ticket`).Scan(&c.AwaitingStaff, &c.Breached)
	return c, err
}

// TicketsDue lists up to limit tickets with something due at or before
// now, for the sweeps: kind "warn" (auto-close warning not yet sent),
// "close" (auto-close reached), "first_response" or "resolution" (target
// passed and not yet marked breached).
func TicketsDue(ctx context.Context, q Querier, kind string, now time.Time, limit int) ([]TicketRow, error) {
	var cond string
	switch kind {
	case "warn":
		cond = `state = 'answered' AND auto_close_warned_at_ms IS NULL AND auto_close_warn_at_ms <= $1`
	case "close":
		cond = `state = 'answered' AND auto_close_at_ms <= $1`
	case "first_response":
		cond = `state <> 'closed' AND first_response_at_ms IS NULL AND first_response_breached_at_ms IS NULL AND first_response_due_ms <= $1`
	case "resolution":
		cond = `state <> 'closed' AND resolution_breached_at_ms IS NULL AND resolution_due_ms <= $1`
	default:
		return nil, fmt.Errorf("store: TicketsDue: unknown kind %q", kind)
	}
	rows, err := q.Query(ctx, `SELECT `+ticketCols+` FROM ticket WHERE `+cond+` ORDER BY id LIMIT `+strconv.Itoa(limit), Ms(now))
	if err != nil {
		return nil, err
	}
	return collectTickets(rows, nil)
}

// TicketMessageRow is one message of a conversation.
type TicketMessageRow struct {
	ID, TicketID, AuthorID, AuthorKind, AuthorName string
	Internal                                       bool
	Body                                           string
	CreatedAt                                      time.Time
}

// TicketMessageInsert stores a message.
func (tx *Tx) TicketMessageInsert(ctx context.Context, m TicketMessageRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO ticket_message (id, ticket_id, author_id, author_kind, author_name, internal, body, created_at_ms)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, m.ID, m.TicketID, m.AuthorID, m.AuthorKind, m.AuthorName, boolInt(m.Internal), m.Body, Ms(m.CreatedAt))
	return err
}

// TicketMessages lists a ticket's messages, oldest first; internal notes
// only when withInternal (staff views). The filter is in the query, so a
// customer's read path never loads a note.
func TicketMessages(ctx context.Context, q Querier, ticketID string, withInternal bool) ([]TicketMessageRow, error) {
	cond := " AND internal = 0"
	if withInternal {
		cond = ""
	}
	rows, err := q.Query(ctx, `SELECT id, ticket_id, author_id, author_kind, author_name, internal, body, created_at_ms FROM ticket_message
 WHERE ticket_id = $1`+cond+` ORDER BY id`, ticketID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TicketMessageRow
	for rows.Next() {
		var m TicketMessageRow
		var internal, at int64
		if err := rows.Scan(&m.ID, &m.TicketID, &m.AuthorID, &m.AuthorKind, &m.AuthorName, &internal, &m.Body, &at); err != nil {
			return nil, err
		}
		m.Internal, m.CreatedAt = internal != 0, FromMs(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// TicketBlobPut stores content under its hash once; storing the same
// content again changes nothing.
func (tx *Tx) TicketBlobPut(ctx context.Context, hash, contentType string, content []byte) error {
	_, err := tx.Exec(ctx, `INSERT INTO ticket_blob (hash, content, content_type, size_bytes, created_at_ms) VALUES ($1, $2, $3, $4, $5)
 ON CONFLICT (hash) DO NOTHING`, hash, content, contentType, int64(len(content)), Ms(tx.Now))
	return err
}

// TicketBlob reads stored content by hash.
func TicketBlob(ctx context.Context, q Querier, hash string) ([]byte, error) {
	var b []byte
	err := q.QueryRow(ctx, `SELECT content FROM ticket_blob WHERE hash = $1`, hash).Scan(&b)
	return b, err
}

// TicketAttachmentRow is one attached file of a message.
type TicketAttachmentRow struct {
	ID, TicketID, MessageID, BlobHash, Filename, ContentType string
	Size                                                     int64
	CreatedAt                                                time.Time
}

// TicketAttachmentInsert stores an attachment row (its blob first).
func (tx *Tx) TicketAttachmentInsert(ctx context.Context, a TicketAttachmentRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO ticket_attachment (id, ticket_id, message_id, blob_hash, filename, content_type, size_bytes, created_at_ms)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, a.ID, a.TicketID, a.MessageID, a.BlobHash, a.Filename, a.ContentType, a.Size, Ms(a.CreatedAt))
	return err
}

const attCols = `a.id, a.ticket_id, a.message_id, a.blob_hash, a.filename, a.content_type, a.size_bytes, a.created_at_ms`

func scanAttachment(s scanner) (TicketAttachmentRow, error) {
	var a TicketAttachmentRow
	var at int64
	err := s.Scan(&a.ID, &a.TicketID, &a.MessageID, &a.BlobHash, &a.Filename, &a.ContentType, &a.Size, &at)
	a.CreatedAt = FromMs(at)
	return a, err
}

// TicketAttachments lists a ticket's attachments, oldest first; those of
// internal notes only when withInternal.
func TicketAttachments(ctx context.Context, q Querier, ticketID string, withInternal bool) ([]TicketAttachmentRow, error) {
	cond := " AND m.internal = 0"
	if withInternal {
		cond = ""
	}
	rows, err := q.Query(ctx, `SELECT `+attCols+` FROM ticket_attachment a JOIN ticket_message m ON m.id = a.message_id
 WHERE a.ticket_id = $1`+cond+` ORDER BY a.id`, ticketID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TicketAttachmentRow
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// TicketAttachmentGet reads one attachment of a ticket; one of an
// internal note only when withInternal (else not found).
func TicketAttachmentGet(ctx context.Context, q Querier, ticketID, id string, withInternal bool) (TicketAttachmentRow, error) {
	cond := " AND m.internal = 0"
	if withInternal {
		cond = ""
	}
	return scanAttachment(q.QueryRow(ctx, `SELECT `+attCols+` FROM ticket_attachment a JOIN ticket_message m ON m.id = a.message_id
 WHERE a.ticket_id = $1 AND a.id = $2`+cond, ticketID, id))
}

// CannedReplyRow is a staff answer template.
type CannedReplyRow struct {
	ID, Department, Title, Body, CreatedBy string
	CreatedAt                              time.Time
}

// CannedReplyInsert stores a canned reply.
func (tx *Tx) CannedReplyInsert(ctx context.Context, c CannedReplyRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO ticket_canned_reply (id, department, title, body, created_by, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6)`,
		c.ID, c.Department, c.Title, c.Body, c.CreatedBy, Ms(c.CreatedAt))
	return err
}

// CannedReplies lists canned replies of a department (and those for
// every department); department "" lists all. Ordered by title.
func CannedReplies(ctx context.Context, q Querier, department string) ([]CannedReplyRow, error) {
	rows, err := q.Query(ctx, `SELECT id, department, title, body, created_by, created_at_ms FROM ticket_canned_reply
 WHERE $1 = '' OR department = '' OR department = $1 ORDER BY title, id`, department)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CannedReplyRow
	for rows.Next() {
		var c CannedReplyRow
		var at int64
		if err := rows.Scan(&c.ID, &c.Department, &c.Title, &c.Body, &c.CreatedBy, &at); err != nil {
			return nil, err
		}
		c.CreatedAt = FromMs(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// CannedReplyGet reads a canned reply.
func CannedReplyGet(ctx context.Context, q Querier, id string) (CannedReplyRow, error) {
	var c CannedReplyRow
	var at int64
	err := q.QueryRow(ctx, `SELECT id, department, title, body, created_by, created_at_ms FROM ticket_canned_reply WHERE id = $1`, id).
		Scan(&c.ID, &c.Department, &c.Title, &c.Body, &c.CreatedBy, &at)
	c.CreatedAt = FromMs(at)
	return c, err
}

// ErrBadCursor is a queue cursor this server did not issue.
var ErrBadCursor = &errs.Error{Kind: errs.Invalid, Code: "request.invalid_cursor", Msg: "invalid cursor",
	Fields: []errs.FieldError{{Field: "query.cursor", Rule: "cursor"}}}
