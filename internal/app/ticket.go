package app

import (
	"context"
	"fmt"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/calendar"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/store"
	"yuanxu/internal/ticket"
)

// Support tickets (issue 7, clause 5). Customers reach tickets of their
// tenant through ticket.create and ticket.manage_own; staff reach every
// ticket through ticket.answer (ticket.assign to move one, and
// ticket.canned.manage for canned replies). A customer's view and every
// notification carry public messages only: internal notes are filtered in
// the store query, so no customer code path ever loads one.

// Rate limits of ticket writes (wall time; DESIGN.md §6).
var (
	ticketCreatePerAccount = RateRule{Name: "ticket.create", Limit: 10, Window: time.Hour}
	ticketCreatePerIP      = RateRule{Name: "ticket.create.ip", Limit: 30, Window: time.Hour}
	ticketReplyPerAccount  = RateRule{Name: "ticket.reply", Limit: 60, Window: time.Hour}
	ticketReplyPerIP       = RateRule{Name: "ticket.reply.ip", Limit: 120, Window: time.Hour}
)

// maxAwaitingPerCustomer caps how many tickets of one customer may wait
// for staff at once; with the round-robin queue it keeps a flood from one
// customer from crowding the others out.
const maxAwaitingPerCustomer = 20

// AttachmentInput is one uploaded file.
type AttachmentInput struct {
	Name string
	Data []byte
}

// TicketInput is a customer's new ticket.
type TicketInput struct {
	Subject, Category, Priority, Body string
	LinkType, LinkID                  string
	Attachments                       []AttachmentInput
}

// TicketAttachmentView is one attached file (its content is read with
// TicketAttachment).
type TicketAttachmentView struct {
	ID, Filename, ContentType string
	Size                      int64
	CreatedAt                 time.Time
}

// TicketMessageView is one message. Internal is only ever true in staff
// views.
type TicketMessageView struct {
	ID, AuthorKind, AuthorName, Body string
	Internal                         bool
	CreatedAt                        time.Time
	Attachments                      []TicketAttachmentView
}

// TicketView is a ticket as its reader may see it. Staff views carry the
// timers, the assignee and internal notes; customer views none of them.
type TicketView struct {
	ID, Ref, Subject        string
	Category                ticket.Category
	Priority                ticket.Priority
	Department              ticket.Department
	State                   ticket.State
	OwnerAccountID          string
	CreatedBy               string
	AssigneeID              string
	LinkType, LinkID        string
	CreatedAt, UpdatedAt    time.Time
	WaitingSince            time.Time
	AutoCloseAt             time.Time
	ClosedAt                time.Time
	ReopenUntil             time.Time
	FirstResponse           ticket.Timer
	Resolution              ticket.Timer
	Staff                   bool // a staff view
	Messages                []TicketMessageView
	MessagesLoaded          bool
	FirstResponseBreachedAt time.Time
	ResolutionBreachedAt    time.Time
}

func ticketObject(r store.TicketRow) account.Object {
	return account.Object{Type: "ticket", OwnerAccountID: r.OwnerAccountID, OwnerParentID: r.OwnerParentID, ResellerID: r.ResellerID}
}

func ticketView(r store.TicketRow, staff bool, now time.Time) TicketView {
	v := TicketView{ID: r.ID, Ref: ticket.Ref(r.ID), Subject: r.Subject, Category: ticket.Category(r.Category), Priority: ticket.Priority(r.Priority),
		Department: ticket.Department(r.Department), State: ticket.State(r.State), OwnerAccountID: r.OwnerAccountID, CreatedBy: r.CreatedBy,
		LinkType: r.LinkType, LinkID: r.LinkID, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, AutoCloseAt: r.AutoCloseAt, ClosedAt: r.ClosedAt, Staff: staff}
	if !r.ClosedAt.IsZero() {
		v.ReopenUntil = r.ClosedAt.Add(ticket.ReopenWindow)
	}
	if staff {
		v.AssigneeID, v.WaitingSince = r.AssigneeID, r.WaitingSince
		v.FirstResponse = ticket.TimerAt(r.FirstResponseDue, r.FirstResponseAt, now)
		v.Resolution = ticket.TimerAt(r.ResolutionDue, r.ClosedAt, now)
		v.FirstResponseBreachedAt, v.ResolutionBreachedAt = r.FirstResponseBreachedAt, r.ResolutionBreachedAt
	}
	return v
}

// loadTicket reads a ticket and authorises p on it: staff need perm
// (ticket.answer unless given), customers ticket.manage_own; a ticket
// outside a customer's reach, or missing, is ticket.not_found.
func (a *App) loadTicket(ctx context.Context, q store.Querier, p account.Principal, ticketID string, staffPerm account.Permission) (store.TicketRow, bool, error) {
	staff := p.Kind == account.KindStaff
	if staff {
		// Staff permissions are not scoped to a customer: a member without
		// one is refused whether or not the ticket exists.
		if err := a.Authorize(ctx, p, staffPerm, account.Object{}); err != nil {
			return store.TicketRow{}, true, err
		}
	}
	if !id.Valid(ticketID) {
		return store.TicketRow{}, staff, errNotFound("ticket")
	}
	r, err := store.TicketGet(ctx, q, ticketID)
	if store.IsNotFound(err) {
		return r, false, errNotFound("ticket")
	}
	if err != nil {
		return r, false, err
	}
	perm := account.Permission("ticket.manage_own")
	if staff {
		perm = staffPerm
	}
	if err := a.Authorize(ctx, p, perm, ticketObject(r)); err != nil {
		return r, staff, err
	}
	if !staff && account.Relate(p, ticketObject(r)) == account.RelClient {
		// A reseller reaches a client's ticket only where the client
		// delegated its tickets (clause 3.1.c); otherwise it does not exist
		// for the reseller.
		ok, err := store.DelegatesTickets(ctx, q, r.OwnerAccountID)
		if err != nil {
			return r, false, err
		}
		if !ok {
			return r, false, errNotFound("ticket")
		}
	}
	return r, staff, nil
}

// ResellerTickets lists the tickets of customerID, a client of reseller p
// that delegated its tickets (ticket.manage_own with the client relation,
// clause 3.1.c); a client that did not delegate answers
// reseller.tickets_not_delegated (403).
func (a *App) ResellerTickets(ctx context.Context, p account.Principal, customerID string, q TicketListQuery) ([]TicketView, string, error) {
	obj, err := a.customerObject(ctx, "account", customerID)
	if err != nil {
		return nil, "", err
	}
	if p.Kind != account.KindReseller || account.Relate(p, obj) != account.RelClient {
		return nil, "", errNotFound("account")
	}
	if err := a.Authorize(ctx, p, "ticket.manage_own", obj); err != nil {
		return nil, "", err
	}
	ok, err := store.DelegatesTickets(ctx, a.db, customerID)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", errs.E(errs.Forbidden, "reseller.tickets_not_delegated", "the customer has not delegated its tickets",
			map[string]any{"clause": "3.1.c"})
	}
	f := store.TicketFilter{OwnerAccountID: customerID, Limit: q.Limit}
	if f.States, err = stateFilter(q.State); err != nil {
		return nil, "", err
	}
	if q.Cursor != "" {
		if !id.Valid(q.Cursor) {
			return nil, "", store.ErrBadCursor
		}
		f.Cursor = q.Cursor
	}
	rows, next, err := store.TicketList(ctx, a.db, f)
	if err != nil {
		return nil, "", err
	}
	out := make([]TicketView, 0, len(rows))
	for _, r := range rows {
		out = append(out, ticketView(r, false, a.Now()))
	}
	return out, next, nil
}

// TicketCreate opens a ticket for p's tenant (ticket.create) with its
// first message and attachments, stored in the database by content hash.
// Limits: per account and per client address (rate_limited), and
// maxAwaitingPerCustomer tickets waiting at once (ticket.too_many_open).
// The customer gets a ticket.opened notice.
func (a *App) TicketCreate(ctx context.Context, p account.Principal, in TicketInput) (TicketView, error) {
	if err := a.Authorize(ctx, p, "ticket.create", p.TenantObject()); err != nil {
		return TicketView{}, err
	}
	v, err := ticket.Validate(ticket.Input{Subject: in.Subject, Category: ticket.Category(in.Category), Priority: ticket.Priority(in.Priority),
		Body: in.Body, LinkType: ticket.LinkType(in.LinkType), LinkID: in.LinkID})
	if err != nil {
		return TicketView{}, err
	}
	files, err := checkAttachments(in.Attachments)
	if err != nil {
		return TicketView{}, err
	}
	if err := a.ticketRateLimit(ctx, p, ticketCreatePerAccount, ticketCreatePerIP); err != nil {
		return TicketView{}, err
	}
	var out store.TicketRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		out, err = a.openTicketTx(ctx, tx, p, v, files, in.Attachments)
		return err
	})
	if err != nil {
		return TicketView{}, err
	}
	return a.TicketGet(ctx, p, out.ID)
}

// openTicketTx opens a validated ticket for p in tx (TicketCreate's body;
// an appeal opens its thread with it in its own transaction).
func (a *App) openTicketTx(ctx context.Context, tx *store.Tx, p account.Principal, v ticket.Input, files []ticket.File, atts []AttachmentInput) (store.TicketRow, error) {
	var out store.TicketRow
	err := func() error {
		tenant := p.TenantID()
		waiting, _, err := store.TicketList(ctx, tx, store.TicketFilter{OwnerAccountID: tenant, Fair: true, Limit: maxAwaitingPerCustomer})
		if err != nil {
			return err
		}
		if len(waiting) >= maxAwaitingPerCustomer {
			return &errs.Error{Kind: errs.Conflict, Code: "ticket.too_many_open", Msg: "too many tickets waiting for an answer",
				Params: map[string]any{"max": maxAwaitingPerCustomer}}
		}
		owner, err := store.AccountGet(ctx, tx, tenant)
		if err != nil {
			return err
		}
		creator, err := store.AccountGet(ctx, tx, p.AccountID)
		if err != nil {
			return err
		}
		dl := ticket.DeadlinesFor(calendar.Embedded(), v.Category, v.Priority, tx.Now)
		tid := id.NewAt(tx.Now)
		r := store.TicketRow{ID: tid, OwnerAccountID: tenant, OwnerParentID: owner.OwnerID, ResellerID: owner.ResellerID, CreatedBy: p.AccountID,
			Subject: v.Subject, Category: string(v.Category), Priority: string(v.Priority), Department: string(ticket.DepartmentFor(v.Category)),
			State: string(ticket.StateOpen), LinkType: string(v.LinkType), LinkID: v.LinkID, Lang: creator.Lang, CreatedAt: tx.Now, UpdatedAt: tx.Now,
			WaitingSince: tx.Now, FirstResponseDue: dl.FirstResponseDue, ResolutionDue: dl.ResolutionDue}
		if err := tx.TicketInsert(ctx, r); err != nil {
			return err
		}
		if _, err := a.ticketMessage(ctx, tx, r, creator, "customer", false, v.Body, files, atts); err != nil {
			return err
		}
		out = r
		if err := a.Audit(ctx, tx, AuditEntry{Action: "ticket.opened", SubjectType: "ticket", SubjectID: tid,
			Data: map[string]any{"category": r.Category, "priority": r.Priority, "department": r.Department, "attachments": len(files),
				"first_response_due": r.FirstResponseDue, "resolution_due": r.ResolutionDue, "link_type": r.LinkType, "link_id": r.LinkID, "clause": "5"}}); err != nil {
			return err
		}
		return a.notifyTicketCustomer(ctx, tx, r, notify.EventTicketOpened, nil)
	}()
	return out, err
}

func checkAttachments(in []AttachmentInput) ([]ticket.File, error) {
	if len(in) > ticket.MaxAttachments {
		return nil, errs.Invalidf("ticket.too_many_attachments", "body.attachments", "max_items", map[string]any{"max": ticket.MaxAttachments})
	}
	files := make([]ticket.File, 0, len(in))
	for i, f := range in {
		cf, err := ticket.CheckFile(f.Name, f.Data, fmt.Sprintf("body.attachments[%d]", i))
		if err != nil {
			return nil, err
		}
		files = append(files, cf)
	}
	return files, nil
}

func (a *App) ticketRateLimit(ctx context.Context, p account.Principal, perAccount, perIP RateRule) error {
	if err := a.RateLimit(ctx, perAccount, p.AccountID); err != nil {
		return err
	}
	if ip := ActorFrom(ctx).ClientIP; ip != "" {
		return a.RateLimit(ctx, perIP, ip)
	}
	return nil
}

// ticketMessage stores a message with its attachments (blobs by hash).
func (a *App) ticketMessage(ctx context.Context, tx *store.Tx, r store.TicketRow, author store.AccountRow, kind string, internal bool,
	body string, files []ticket.File, data []AttachmentInput) (store.TicketMessageRow, error) {
	m := store.TicketMessageRow{ID: id.NewAt(tx.Now), TicketID: r.ID, AuthorID: author.ID, AuthorKind: kind, AuthorName: author.DisplayName,
		Internal: internal, Body: body, CreatedAt: tx.Now}
	if err := tx.TicketMessageInsert(ctx, m); err != nil {
		return m, err
	}
	for i, f := range files {
		if err := tx.TicketBlobPut(ctx, f.Hash, f.ContentType, data[i].Data); err != nil {
			return m, err
		}
		if err := tx.TicketAttachmentInsert(ctx, store.TicketAttachmentRow{ID: id.NewAt(tx.Now), TicketID: r.ID, MessageID: m.ID, BlobHash: f.Hash,
			Filename: f.Name, ContentType: f.ContentType, Size: f.Size, CreatedAt: tx.Now}); err != nil {
			return m, err
		}
	}
	return m, nil
}

// TicketGet reads a ticket with its conversation: a customer's view holds
// public messages only; a staff view (ticket.answer) internal notes and
// timers too. Someone else's ticket is ticket.not_found.
func (a *App) TicketGet(ctx context.Context, p account.Principal, ticketID string) (TicketView, error) {
	r, staff, err := a.loadTicket(ctx, a.db, p, ticketID, "ticket.answer")
	if err != nil {
		return TicketView{}, err
	}
	v := ticketView(r, staff, a.Now())
	msgs, err := store.TicketMessages(ctx, a.db, r.ID, staff)
	if err != nil {
		return v, err
	}
	atts, err := store.TicketAttachments(ctx, a.db, r.ID, staff)
	if err != nil {
		return v, err
	}
	byMsg := map[string][]TicketAttachmentView{}
	for _, at := range atts {
		byMsg[at.MessageID] = append(byMsg[at.MessageID], TicketAttachmentView{ID: at.ID, Filename: at.Filename, ContentType: at.ContentType, Size: at.Size, CreatedAt: at.CreatedAt})
	}
	v.Messages, v.MessagesLoaded = []TicketMessageView{}, true
	for _, m := range msgs {
		if m.Internal && !staff { // defence in depth: the query already excludes them
			continue
		}
		v.Messages = append(v.Messages, TicketMessageView{ID: m.ID, AuthorKind: m.AuthorKind, AuthorName: m.AuthorName, Body: m.Body,
			Internal: m.Internal, CreatedAt: m.CreatedAt, Attachments: byMsg[m.ID]})
	}
	return v, nil
}

// TicketAttachment returns an attachment's metadata and content. An
// attachment of an internal note is ticket_attachment.not_found to
// customers, as is one of another ticket.
func (a *App) TicketAttachment(ctx context.Context, p account.Principal, ticketID, attachmentID string) (TicketAttachmentView, []byte, error) {
	r, staff, err := a.loadTicket(ctx, a.db, p, ticketID, "ticket.answer")
	if err != nil {
		return TicketAttachmentView{}, nil, err
	}
	if !id.Valid(attachmentID) {
		return TicketAttachmentView{}, nil, errNotFound("ticket_attachment")
	}
	at, err := store.TicketAttachmentGet(ctx, a.db, r.ID, attachmentID, staff)
	if store.IsNotFound(err) {
		return TicketAttachmentView{}, nil, errNotFound("ticket_attachment")
	}
	if err != nil {
		return TicketAttachmentView{}, nil, err
	}
	b, err := store.TicketBlob(ctx, a.db, at.BlobHash)
	if err != nil {
		return TicketAttachmentView{}, nil, err
	}
	return TicketAttachmentView{ID: at.ID, Filename: at.Filename, ContentType: at.ContentType, Size: at.Size, CreatedAt: at.CreatedAt}, b, nil
}

// TicketListQuery pages through a customer's tickets (newest first).
type TicketListQuery struct {
	State  string // "" any; "active" for every state but closed
	Cursor string
	Limit  int
}

// TicketListOwn lists the tickets of p's tenant (ticket.manage_own) and
// returns the next page's cursor ("" at the end). Messages are not loaded.
func (a *App) TicketListOwn(ctx context.Context, p account.Principal, q TicketListQuery) ([]TicketView, string, error) {
	if err := a.Authorize(ctx, p, "ticket.manage_own", p.TenantObject()); err != nil {
		return nil, "", err
	}
	f := store.TicketFilter{OwnerAccountID: p.TenantID(), Limit: q.Limit}
	states, err := stateFilter(q.State)
	if err != nil {
		return nil, "", err
	}
	f.States = states
	if q.Cursor != "" {
		if !id.Valid(q.Cursor) {
			return nil, "", store.ErrBadCursor
		}
		f.Cursor = q.Cursor
	}
	rows, next, err := store.TicketList(ctx, a.db, f)
	if err != nil {
		return nil, "", err
	}
	out := make([]TicketView, 0, len(rows))
	for _, r := range rows {
		out = append(out, ticketView(r, false, a.Now()))
	}
	return out, next, nil
}

func stateFilter(s string) ([]string, error) {
	switch {
	case s == "":
		return nil, nil
	case s == "active":
		return []string{string(ticket.StateOpen), string(ticket.StateAnswered), string(ticket.StateCustomerReply)}, nil
	case ticket.State(s).Valid():
		return []string{s}, nil
	}
	return nil, errs.Invalidf("ticket.state_invalid", "query.state", "enum", nil)
}

// TicketQueueQuery selects a staff queue. View: "waiting" (default: open
// and customer_reply, in per-customer round robin, so that one
// customer's flood does not starve the others), "mine" (assigned to the
// reader, not closed), "breached" (a target passed), "answered",
// "closed", "all".
type TicketQueueQuery struct {
	Department string
	View       string
	Cursor     string
	Limit      int
}

// TicketQueue lists tickets for staff (ticket.answer).
func (a *App) TicketQueue(ctx context.Context, p account.Principal, q TicketQueueQuery) ([]TicketView, string, error) {
	if err := a.Authorize(ctx, p, "ticket.answer", account.Object{}); err != nil {
		return nil, "", err
	}
	f := store.TicketFilter{Limit: q.Limit, Cursor: q.Cursor}
	if q.Department != "" {
		if !ticket.Department(q.Department).Valid() {
			return nil, "", errs.Invalidf("ticket.department_invalid", "query.department", "enum", nil)
		}
		f.Department = q.Department
	}
	switch q.View {
	case "", "waiting":
		f.Fair = true
		f.States = []string{string(ticket.StateOpen), string(ticket.StateCustomerReply)}
	case "mine":
		f.AssigneeID = p.AccountID
		f.States, _ = stateFilter("active")
	case "breached":
		f.Breached = true
	case "answered", "closed":
		f.States = []string{q.View}
	case "all":
	default:
		return nil, "", errs.Invalidf("ticket.view_invalid", "query.view", "enum", nil)
	}
	if !f.Fair && f.Cursor != "" && !id.Valid(f.Cursor) {
		return nil, "", store.ErrBadCursor
	}
	rows, next, err := store.TicketList(ctx, a.db, f)
	if err != nil {
		return nil, "", err
	}
	now := a.Now()
	out := make([]TicketView, 0, len(rows))
	for _, r := range rows {
		out = append(out, ticketView(r, true, now))
	}
	return out, next, nil
}

// TicketCounts are the console home's ticket numbers (ticket.answer).
func (a *App) TicketCounts(ctx context.Context, p account.Principal) (store.TicketCounts, error) {
	if err := a.Authorize(ctx, p, "ticket.answer", account.Object{}); err != nil {
		return store.TicketCounts{}, err
	}
	return store.TicketCount(ctx, a.db)
}

// TicketCountsAll are the console home's ticket numbers, without a reader
// (the card shows counts only).
func (a *App) TicketCountsAll(ctx context.Context) (store.TicketCounts, error) {
	return store.TicketCount(ctx, a.db)
}
