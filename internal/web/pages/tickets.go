package pages

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"time"
	"yuanxu/internal/account"

	"yuanxu/internal/app"
	"yuanxu/internal/ticket"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// Support ticket pages (issue 7): the portal's my tickets, new ticket (with
// attachment upload) and conversation; the console's queues by department,
// my tickets, timers, canned replies and internal notes.

const (
	tmplPortalTickets     = "portal_tickets"
	tmplPortalTicketNew   = "portal_tickets_new"
	tmplPortalTicket      = "portal_tickets_view"
	tmplConsoleTickets    = "console_tickets"
	tmplConsoleTicket     = "console_tickets_view"
	tmplConsoleTicketsCan = "console_tickets_canned"
)

func init() {
	pageFiles[tmplPortalTickets] = [2]string{"layout_portal.html", "portal_tickets.html"}
	pageFiles[tmplPortalTicketNew] = [2]string{"layout_portal.html", "portal_tickets_new.html"}
	pageFiles[tmplPortalTicket] = [2]string{"layout_portal.html", "portal_tickets_view.html"}
	pageFiles[tmplConsoleTickets] = [2]string{"layout_console.html", "console_tickets.html"}
	pageFiles[tmplConsoleTicket] = [2]string{"layout_console.html", "console_tickets_view.html"}
	pageFiles[tmplConsoleTicketsCan] = [2]string{"layout_console.html", "console_tickets_canned.html"}
	notices["ticket_opened"] = "page.tickets.notice.opened"
	notices["ticket_replied"] = "page.tickets.notice.replied"
	notices["ticket_closed"] = "page.tickets.notice.closed"
	notices["ticket_reopened"] = "page.tickets.notice.reopened"
	notices["ticket_updated"] = "page.tickets.notice.updated"
	notices["canned_saved"] = "page.tickets.notice.canned_saved"
}

// registerTickets adds the ticket pages.
func (h *handlers) registerTickets(handle func(string, http.HandlerFunc)) {
	cust, staff := h.customerOnly, h.staffOnly
	handle("GET /tickets", cust(h.tickets))
	handle("GET /tickets/new", cust(h.ticketNew))
	handle("POST /tickets", cust(h.ticketCreate))
	handle("GET /tickets/{id}", cust(h.ticketView))
	handle("POST /tickets/{id}/reply", cust(h.ticketReply))
	handle("POST /tickets/{id}/close", cust(h.ticketClose))
	handle("POST /tickets/{id}/reopen", cust(h.ticketReopen))
	handle("GET /tickets/{id}/attachments/{attachment}", cust(h.ticketAttachment))
	handle("GET /console/tickets", staff(h.consoleTickets))
	handle("GET /console/tickets/{id}", staff(h.consoleTicket))
	handle("POST /console/tickets/{id}/reply", staff(h.consoleTicketReply))
	handle("POST /console/tickets/{id}/update", staff(h.consoleTicketUpdate))
	handle("POST /console/tickets/{id}/close", staff(h.consoleTicketClose))
	handle("GET /console/tickets/{id}/attachments/{attachment}", staff(h.ticketAttachment))
	handle("GET /console/ticket-canned", staff(h.consoleCanned))
	handle("POST /console/ticket-canned", staff(h.consoleCanned))
}

// TicketRow is one ticket in a list.
type TicketRow struct {
	ID, Ref, Subject, Category, Priority, Department, State, Updated, Created string
	Assignee                                                                  string
	FirstDue, ResolutionDue                                                   string
	FirstBreached, ResolutionBreached, FirstMet                               bool
}

// TicketMessage is one message of a conversation.
type TicketMessage struct {
	ID, AuthorKind, AuthorName, Body, Created string
	Internal                                  bool
	Attachments                               []TicketFile
}

// TicketFile is one attachment link.
type TicketFile struct {
	Href, Name, Type string
	Size             string
}

// TicketsView is the portal's my tickets.
type TicketsView struct {
	Page
	Form
	Rows       []TicketRow
	NextCursor string
	State      string
	// HasReseller: the account was opened through a reseller, which may be
	// let handle its tickets (Delegated; issue 11, clause 3.1.c).
	HasReseller, Delegated bool
}

// TicketNewView is the new-ticket form.
type TicketNewView struct {
	Page
	Form
	Categories, Priorities []string
	Subject, Category      string
	Priority, Body         string
	MaxFiles, MaxMiB       int
}

// TicketPageView is one ticket's conversation (portal or console).
type TicketPageView struct {
	Page
	Form
	Ticket      TicketRow
	Messages    []TicketMessage
	Open        bool
	CanReopen   bool
	ReopenUntil string
	AutoCloseAt string
	MaxFiles    int
	MaxMiB      int
	// Console only.
	Departments, Priorities []string
	Canned                  []app.CannedReplyView
	Draft                   string
	FirstLeft, ResLeft      string
}

// ConsoleTicketsView is the console's queues.
type ConsoleTicketsView struct {
	Page
	Form
	Departments []string
	Department  string
	Views       []string
	View        string
	Rows        []TicketRow
	NextCursor  string
	NextHref    string
}

// CannedView is the console's canned replies page.
type CannedView struct {
	Page
	Form
	Departments []string
	Replies     []app.CannedReplyView
}

func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

func ticketRow(v app.TicketView) TicketRow {
	r := TicketRow{ID: v.ID, Ref: v.Ref, Subject: v.Subject, Category: string(v.Category), Priority: string(v.Priority),
		Department: string(v.Department), State: string(v.State), Updated: shortTime(v.UpdatedAt), Created: shortTime(v.CreatedAt), Assignee: v.AssigneeID}
	if v.Staff {
		r.FirstDue, r.ResolutionDue = shortTime(v.FirstResponse.Due), shortTime(v.Resolution.Due)
		r.FirstBreached, r.ResolutionBreached, r.FirstMet = v.FirstResponse.Breached, v.Resolution.Breached, v.FirstResponse.Met
	}
	return r
}

func ticketMessages(v app.TicketView, base string) []TicketMessage {
	out := make([]TicketMessage, 0, len(v.Messages))
	for _, m := range v.Messages {
		tm := TicketMessage{ID: m.ID, AuthorKind: m.AuthorKind, AuthorName: m.AuthorName, Body: m.Body, Created: shortTime(m.CreatedAt), Internal: m.Internal && v.Staff}
		for _, a := range m.Attachments {
			tm.Attachments = append(tm.Attachments, TicketFile{Href: base + "/" + v.ID + "/attachments/" + a.ID, Name: a.Filename, Type: a.ContentType,
				Size: strconv.FormatInt((a.Size+1023)/1024, 10) + " KiB"})
		}
		out = append(out, tm)
	}
	return out
}

// parseUpload bounds and parses a multipart (or plain) form and returns its
// files; false means the error page was written.
func (h *handlers) parseUpload(w http.ResponseWriter, req *http.Request) ([]app.AttachmentInput, bool) {
	req.Body = http.MaxBytesReader(w, req.Body, int64(ticket.MaxAttachments*ticket.MaxAttachmentBytes+(1<<20)))
	var err error
	if ct := req.Header.Get("Content-Type"); len(ct) >= 19 && ct[:19] == "multipart/form-data" {
		err = req.ParseMultipartForm(1 << 20)
	} else {
		err = req.ParseForm()
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			h.errorPage(w, req, http.StatusRequestEntityTooLarge, "page.error.bad_request.title", "page.tickets.too_large")
			return nil, false
		}
		h.errorPage(w, req, http.StatusBadRequest, "page.error.bad_request.title", "page.error.bad_request.text")
		return nil, false
	}
	if req.MultipartForm == nil {
		return nil, true
	}
	var out []app.AttachmentInput
	for _, fh := range req.MultipartForm.File["attachment"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue
		}
		b, err := readPart(fh)
		if err != nil {
			h.internalError(w, req, err)
			return nil, false
		}
		out = append(out, app.AttachmentInput{Name: fh.Filename, Data: b})
	}
	return out, true
}

func readPart(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, ticket.MaxAttachmentBytes+1))
}

// tickets is the portal's my tickets.
func (h *handlers) tickets(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	q := req.URL.Query()
	v := TicketsView{Page: h.page(req, "page.tickets.title", portalNav(), "tickets"), State: bounded(q.Get("state"))}
	v.Notice = doneNotice(req, v.Lang)
	vs, next, err := h.app.TicketListOwn(req.Context(), p.Principal, app.TicketListQuery{State: v.State, Cursor: bounded(q.Get("cursor")), Limit: 50})
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, t := range vs {
		v.Rows = append(v.Rows, ticketRow(t))
	}
	v.NextCursor = next
	if p.Kind != account.KindSubUser {
		if v.HasReseller, v.Delegated, err = h.app.TicketDelegation(req.Context(), p.Principal); err != nil {
			h.actionError(w, req, err)
			return
		}
	}
	h.r.render(w, req, http.StatusOK, tmplPortalTickets, v.Lang, v)
}

func (h *handlers) newTicketView(req *http.Request) TicketNewView {
	v := TicketNewView{Page: h.page(req, "page.tickets.new.title", portalNav(), "tickets"), Categories: strs(ticket.Categories),
		Priorities: []string{"low", "normal", "high"}, Priority: "normal", Category: "consult", MaxFiles: ticket.MaxAttachments, MaxMiB: ticket.MaxAttachmentBytes >> 20}
	return v
}

func (h *handlers) ticketNew(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if err := h.app.Authorize(req.Context(), p.Principal, "ticket.create", p.TenantObject()); err != nil {
		h.actionError(w, req, err)
		return
	}
	v := h.newTicketView(req)
	h.r.render(w, req, http.StatusOK, tmplPortalTicketNew, v.Lang, v)
}

func (h *handlers) ticketCreate(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	files, ok := h.parseUpload(w, req)
	if !ok {
		return
	}
	v := h.newTicketView(req)
	v.Subject, v.Category, v.Priority, v.Body = field(req, "subject"), field(req, "category"), field(req, "priority"), req.PostForm.Get("body")
	t, err := h.app.TicketCreate(req.Context(), p.Principal, app.TicketInput{Subject: v.Subject, Category: v.Category, Priority: v.Priority,
		Body: v.Body, Attachments: files})
	if err == nil {
		http.Redirect(w, req, "/tickets/"+t.ID+"?done=ticket_opened", http.StatusSeeOther)
		return
	}
	var status int
	v.Form, status = h.formError(req, v.Lang, err)
	h.r.render(w, req, status, tmplPortalTicketNew, v.Lang, v)
}

func (h *handlers) ticketPage(req *http.Request, t app.TicketView, console bool) TicketPageView {
	nav, cur, base := portalNav(), "tickets", "/tickets"
	if console {
		nav, base = consoleNav(), "/console/tickets"
	}
	v := TicketPageView{Page: h.page(req, "page.tickets.view.title", nav, cur), Ticket: ticketRow(t), Messages: ticketMessages(t, base),
		Open: t.State != ticket.StateClosed, MaxFiles: ticket.MaxAttachments, MaxMiB: ticket.MaxAttachmentBytes >> 20}
	if !t.ReopenUntil.IsZero() && h.app.Now().Before(t.ReopenUntil) {
		v.CanReopen, v.ReopenUntil = true, shortTime(t.ReopenUntil)
	}
	if !t.AutoCloseAt.IsZero() && t.State == ticket.StateAnswered {
		v.AutoCloseAt = shortTime(t.AutoCloseAt)
	}
	if console {
		v.Departments, v.Priorities = strs(ticket.Departments), strs(ticket.Priorities)
		v.FirstLeft, v.ResLeft = leftText(v.Lang, t.FirstResponse), leftText(v.Lang, t.Resolution)
	}
	v.Notice = doneNotice(req, v.Lang)
	return v
}

func leftText(lang i18n.Lang, tm ticket.Timer) string {
	switch {
	case tm.Met:
		return i18n.T(lang, "page.tickets.timer.met", nil)
	case tm.Breached:
		return i18n.T(lang, "page.tickets.timer.breached", nil)
	case tm.Due.IsZero():
		return ""
	}
	return i18n.T(lang, "page.tickets.timer.left", map[string]any{"hours": int(tm.Left / time.Hour), "minutes": int(tm.Left%time.Hour) / int(time.Minute)})
}

func (h *handlers) ticketView(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	t, err := h.app.TicketGet(req.Context(), p.Principal, req.PathValue("id"))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := h.ticketPage(req, t, false)
	h.r.render(w, req, http.StatusOK, tmplPortalTicket, v.Lang, v)
}

func (h *handlers) ticketReply(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	files, ok := h.parseUpload(w, req)
	if !ok {
		return
	}
	id := req.PathValue("id")
	_, err := h.app.TicketReply(req.Context(), p.Principal, id, app.ReplyInput{Body: req.PostForm.Get("body"), Attachments: files})
	h.afterTicketWrite(w, req, p, id, err, false, "ticket_replied")
}

// afterTicketWrite redirects to the ticket after a successful write, or
// shows the ticket again with the error (404 and 403 as error pages).
func (h *handlers) afterTicketWrite(w http.ResponseWriter, req *http.Request, p webctx.Principal, id string, err error, console bool, done string) {
	base, name := "/tickets/", tmplPortalTicket
	if console {
		base, name = "/console/tickets/", tmplConsoleTicket
	}
	if err == nil {
		http.Redirect(w, req, base+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
		return
	}
	if st := statusOfErr(err); st == http.StatusNotFound || st == http.StatusForbidden || st == http.StatusUnauthorized || st == http.StatusInternalServerError {
		h.actionError(w, req, err)
		return
	}
	t, gerr := h.app.TicketGet(req.Context(), p.Principal, id)
	if gerr != nil {
		h.actionError(w, req, gerr)
		return
	}
	v := h.ticketPage(req, t, console)
	if console {
		h.fillConsole(req, p, &v, t)
	}
	var status int
	v.Form, status = h.formError(req, v.Lang, err)
	v.Draft = req.PostForm.Get("body")
	h.r.render(w, req, status, name, v.Lang, v)
}

func (h *handlers) ticketClose(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	_, err := h.app.TicketClose(req.Context(), p.Principal, id)
	h.afterTicketWrite(w, req, p, id, err, false, "ticket_closed")
}

func (h *handlers) ticketReopen(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	_, err := h.app.TicketReopen(req.Context(), p.Principal, id)
	h.afterTicketWrite(w, req, p, id, err, false, "ticket_reopened")
}

// ticketAttachment serves an attachment as a download, never inline.
func (h *handlers) ticketAttachment(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	a, b, err := h.app.TicketAttachment(req.Context(), p.Principal, req.PathValue("id"), req.PathValue("attachment"))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ContentType)
	hd.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(a.Filename))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}

// consoleTickets is the console's queues: by department and view
// (waiting in per-customer turn, mine, breached, answered, closed).
func (h *handlers) consoleTickets(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	q := req.URL.Query()
	v := ConsoleTicketsView{Page: h.page(req, "page.tickets.console.title", consoleNav(), "tickets"), Departments: strs(ticket.Departments),
		Department: bounded(q.Get("department")), View: bounded(q.Get("view")), Views: []string{"waiting", "mine", "breached", "answered", "closed", "all"}}
	if v.View == "" {
		v.View = "waiting"
	}
	vs, next, err := h.app.TicketQueue(req.Context(), p.Principal, app.TicketQueueQuery{Department: v.Department, View: v.View, Cursor: bounded2(q.Get("cursor")), Limit: 50})
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, t := range vs {
		v.Rows = append(v.Rows, ticketRow(t))
	}
	if next != "" {
		v.NextHref = "/console/tickets?" + url.Values{"department": {v.Department}, "view": {v.View}, "cursor": {next}}.Encode()
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleTickets, v.Lang, v)
}

func bounded2(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}

func (h *handlers) fillConsole(req *http.Request, p webctx.Principal, v *TicketPageView, t app.TicketView) {
	cs, err := h.app.CannedReplies(req.Context(), p.Principal, string(t.Department))
	if err == nil {
		v.Canned = cs
	}
	if cid := req.URL.Query().Get("canned"); cid != "" {
		if c, err := h.app.CannedReply(req.Context(), p.Principal, bounded(cid)); err == nil {
			v.Draft = c.Body
		}
	}
}

func (h *handlers) consoleTicket(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	t, err := h.app.TicketGet(req.Context(), p.Principal, req.PathValue("id"))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := h.ticketPage(req, t, true)
	h.fillConsole(req, p, &v, t)
	h.r.render(w, req, http.StatusOK, tmplConsoleTicket, v.Lang, v)
}

func (h *handlers) consoleTicketReply(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	files, ok := h.parseUpload(w, req)
	if !ok {
		return
	}
	id := req.PathValue("id")
	_, err := h.app.TicketAnswer(req.Context(), p.Principal, id, app.ReplyInput{Body: req.PostForm.Get("body"),
		Internal: req.PostForm.Get("internal") == "1", Attachments: files})
	h.afterTicketWrite(w, req, p, id, err, true, "ticket_replied")
}

func (h *handlers) consoleTicketUpdate(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	in := app.TicketUpdateInput{}
	if _, ok := req.PostForm["assignee_id"]; ok {
		s := field(req, "assignee_id")
		if s == "me" {
			s = p.AccountID
		}
		in.AssigneeID = &s
	}
	if s := field(req, "department"); s != "" {
		in.Department = &s
	}
	if s := field(req, "priority"); s != "" {
		in.Priority = &s
	}
	_, err := h.app.TicketUpdate(req.Context(), p.Principal, id, in)
	h.afterTicketWrite(w, req, p, id, err, true, "ticket_updated")
}

func (h *handlers) consoleTicketClose(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	_, err := h.app.TicketClose(req.Context(), p.Principal, id)
	h.afterTicketWrite(w, req, p, id, err, true, "ticket_closed")
}

// consoleCanned lists canned replies; POST adds one.
func (h *handlers) consoleCanned(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := CannedView{Page: h.page(req, "page.tickets.canned.title", consoleNav(), "tickets"), Departments: strs(ticket.Departments)}
	v.Notice = doneNotice(req, v.Lang)
	status := http.StatusOK
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		_, err := h.app.CannedReplyCreate(req.Context(), p.Principal, app.CannedReplyInput{Department: field(req, "department"),
			Title: field(req, "title"), Body: req.PostForm.Get("body")})
		if err == nil {
			http.Redirect(w, req, "/console/ticket-canned?done=canned_saved", http.StatusSeeOther)
			return
		}
		if st := statusOfErr(err); st == http.StatusForbidden {
			h.actionError(w, req, err)
			return
		}
		v.Form, status = h.formError(req, v.Lang, err)
	}
	cs, err := h.app.CannedReplies(req.Context(), p.Principal, "")
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Replies = cs
	h.r.render(w, req, status, tmplConsoleTicketsCan, v.Lang, v)
}

// ticketQueueCount is the console home card's count: tickets awaiting a
// staff answer (the detail line adds how many are past their target).
func ticketQueueCount(ctx context.Context, a *app.App) (int, error) {
	c, err := a.TicketCountsAll(ctx)
	return c.AwaitingStaff, err
}

// ticketBreachCount counts open tickets past a target.
func ticketBreachCount(ctx context.Context, a *app.App) (int, error) {
	c, err := a.TicketCountsAll(ctx)
	return c.Breached, err
}
