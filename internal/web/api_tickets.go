package web

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"yuanxu/internal/app"
	"yuanxu/internal/errs"
)

// Support tickets (issue 7). Customers: /tickets…; staff: /staff/tickets….
// Attachments travel as base64 in JSON, within the API's body limit
// (Config.MaxBodyBytes); the portal's upload form takes files up to the
// ticket package's per-file limit.

// TicketAttachmentBody is an attached file's metadata.
type TicketAttachmentBody struct {
	ID          string    `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Filename    string    `json:"filename" example:"screenshot.png"`
	ContentType string    `json:"content_type" example:"image/png"`
	Size        int64     `json:"size" example:"20480"`
	CreatedAt   time.Time `json:"created_at" example:"2025-06-01T10:00:00+08:00"`
}

// TicketMessageBody is one message of a conversation. internal is true
// only for staff notes, which only staff ever receive.
type TicketMessageBody struct {
	ID          string                 `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	AuthorKind  string                 `json:"author_kind" enum:"customer,staff,system" example:"staff"`
	AuthorName  string                 `json:"author_name" example:"张伟"`
	Body        string                 `json:"body" example:"请提供服务器 IP。"`
	Internal    bool                   `json:"internal,omitempty" example:"false"`
	CreatedAt   time.Time              `json:"created_at" example:"2025-06-01T10:00:00+08:00"`
	Attachments []TicketAttachmentBody `json:"attachments"`
}

// TicketTimerBody is one service target as staff see it.
type TicketTimerBody struct {
	Due         time.Time `json:"due" example:"2025-06-02T00:00:00+08:00"`
	Met         bool      `json:"met" example:"false"`
	Breached    bool      `json:"breached" example:"false"`
	SecondsLeft int64     `json:"seconds_left" doc:"Negative once passed; 0 when met." example:"3600"`
}

// TicketBody is a ticket. Staff-only fields are omitted for customers.
type TicketBody struct {
	ID            string              `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Ref           string              `json:"ref" example:"T-2C4B5A69"`
	Subject       string              `json:"subject" example:"无法连接服务器"`
	Category      string              `json:"category" example:"consult"`
	Priority      string              `json:"priority" example:"normal"`
	Department    string              `json:"department" example:"support"`
	State         string              `json:"state" enum:"open,answered,customer_reply,closed" example:"open"`
	LinkType      string              `json:"link_type,omitempty" example:"order"`
	LinkID        string              `json:"link_id,omitempty" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	CreatedAt     time.Time           `json:"created_at" example:"2025-06-01T10:00:00+08:00"`
	UpdatedAt     time.Time           `json:"updated_at" example:"2025-06-01T10:00:00+08:00"`
	AutoCloseAt   *time.Time          `json:"auto_close_at,omitempty" doc:"Clause 5: when an answered ticket closes itself." example:"2025-06-08T10:00:00+08:00"`
	ClosedAt      *time.Time          `json:"closed_at,omitempty" example:"2025-06-08T10:00:00+08:00"`
	ReopenUntil   *time.Time          `json:"reopen_until,omitempty" example:"2025-06-22T10:00:00+08:00"`
	AssigneeID    string              `json:"assignee_id,omitempty" doc:"Staff only." example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a70"`
	OwnerID       string              `json:"owner_account_id,omitempty" doc:"Staff only." example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a71"`
	FirstResponse *TicketTimerBody    `json:"first_response,omitempty" doc:"Staff only."`
	Resolution    *TicketTimerBody    `json:"resolution,omitempty" doc:"Staff only."`
	Messages      []TicketMessageBody `json:"messages,omitempty"`
}

func timerBody(t app.TicketView, fr bool) *TicketTimerBody {
	tm := t.Resolution
	if fr {
		tm = t.FirstResponse
	}
	return &TicketTimerBody{Due: tm.Due, Met: tm.Met, Breached: tm.Breached, SecondsLeft: int64(tm.Left / time.Second)}
}

func supportTicketBody(v app.TicketView) TicketBody {
	b := TicketBody{ID: v.ID, Ref: v.Ref, Subject: v.Subject, Category: string(v.Category), Priority: string(v.Priority), Department: string(v.Department),
		State: string(v.State), LinkType: v.LinkType, LinkID: v.LinkID, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt,
		AutoCloseAt: timePtr(v.AutoCloseAt), ClosedAt: timePtr(v.ClosedAt), ReopenUntil: timePtr(v.ReopenUntil)}
	if v.Staff {
		b.AssigneeID, b.OwnerID = v.AssigneeID, v.OwnerAccountID
		b.FirstResponse, b.Resolution = timerBody(v, true), timerBody(v, false)
	}
	if v.MessagesLoaded {
		b.Messages = make([]TicketMessageBody, 0, len(v.Messages))
		for _, m := range v.Messages {
			mb := TicketMessageBody{ID: m.ID, AuthorKind: m.AuthorKind, AuthorName: m.AuthorName, Body: m.Body, Internal: m.Internal && v.Staff,
				CreatedAt: m.CreatedAt, Attachments: []TicketAttachmentBody{}}
			for _, a := range m.Attachments {
				mb.Attachments = append(mb.Attachments, TicketAttachmentBody{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, CreatedAt: a.CreatedAt})
			}
			b.Messages = append(b.Messages, mb)
		}
	}
	return b
}

// AttachmentUpload is one file of a request.
type AttachmentUpload struct {
	Filename string `json:"filename" maxLength:"255" example:"screenshot.png"`
	Content  []byte `json:"content" doc:"The file, base64. Allowed: PNG, JPEG, GIF, PDF, plain text; no executables or archives." example:"aGVsbG8="`
}

func uploads(us []AttachmentUpload) []app.AttachmentInput {
	out := make([]app.AttachmentInput, 0, len(us))
	for _, u := range us {
		out = append(out, app.AttachmentInput{Name: u.Filename, Data: u.Content})
	}
	return out
}

type ticketCreateInput struct {
	Body struct {
		Subject     string             `json:"subject" maxLength:"400" example:"无法连接服务器"`
		Category    string             `json:"category" enum:"consult,complaint,suggestion,refund,swap,delivery_issue,appeal,privacy_request" example:"consult"`
		Priority    string             `json:"priority,omitempty" enum:"low,normal,high," doc:"Urgent is set by staff." example:"normal"`
		Body        string             `json:"body" maxLength:"40000" example:"从今天早上开始 SSH 连接超时。"`
		LinkType    string             `json:"link_type,omitempty" enum:"order,service,refund,appeal," example:"order"`
		LinkID      string             `json:"link_id,omitempty" maxLength:"64" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
		Attachments []AttachmentUpload `json:"attachments,omitempty" maxItems:"3"`
	}
}

type ticketListInput struct {
	State  string `query:"state" enum:"open,answered,customer_reply,closed,active," doc:"Only this state; active: every state but closed."`
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"256"`
}

type ticketQueueInput struct {
	Department string `query:"department" enum:"support,billing,compliance,privacy,"`
	View       string `query:"view" enum:"waiting,mine,breached,answered,closed,all," doc:"waiting (default): open and customer_reply, one ticket per customer in turn."`
	Limit      int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor     string `query:"cursor" maxLength:"256"`
}

type ticketsOutput struct {
	Body struct {
		Tickets    []TicketBody `json:"tickets"`
		NextCursor string       `json:"next_cursor,omitempty" example:"1.1748743400000.0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	}
}

type supportTicketOutput struct {
	Body TicketBody
}

type ticketIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type ticketReplyInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Body        string             `json:"body" maxLength:"40000" example:"已重启，问题解决了。"`
		Attachments []AttachmentUpload `json:"attachments,omitempty" maxItems:"3"`
	}
}

type staffReplyInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Body        string             `json:"body" maxLength:"40000" example:"请提供服务器 IP。"`
		Internal    bool               `json:"internal,omitempty" doc:"A note for staff only: never shown or sent to the customer." example:"false"`
		Attachments []AttachmentUpload `json:"attachments,omitempty" maxItems:"3"`
	}
}

type ticketUpdateInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		AssigneeID *string `json:"assignee_id,omitempty" maxLength:"64" doc:"Empty string unassigns." example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a70"`
		Department *string `json:"department,omitempty" enum:"support,billing,compliance,privacy" example:"billing"`
		Priority   *string `json:"priority,omitempty" enum:"low,normal,high,urgent" example:"urgent"`
	}
}

type attachmentInput struct {
	ID           string `path:"id" maxLength:"64"`
	AttachmentID string `path:"attachment" maxLength:"64"`
}

type attachmentOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Options            string `header:"X-Content-Type-Options"`
	Body               []byte
}

// CannedReplyBody is a canned reply.
type CannedReplyBody struct {
	ID         string    `json:"id" example:"0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"`
	Department string    `json:"department,omitempty" example:"support"`
	Title      string    `json:"title" example:"请提供服务器 IP"`
	Body       string    `json:"body" example:"您好，请提供服务器 IP 以便我们排查。"`
	CreatedAt  time.Time `json:"created_at" example:"2025-06-01T10:00:00+08:00"`
}

type cannedListInput struct {
	Department string `query:"department" enum:"support,billing,compliance,privacy,"`
}

type cannedListOutput struct {
	Body struct {
		Replies []CannedReplyBody `json:"replies"`
	}
}

type cannedCreateInput struct {
	Body struct {
		Department string `json:"department,omitempty" enum:"support,billing,compliance,privacy," example:"support"`
		Title      string `json:"title" maxLength:"400" example:"请提供服务器 IP"`
		Body       string `json:"body" maxLength:"40000" example:"您好，请提供服务器 IP 以便我们排查。"`
	}
}

type cannedOutput struct{ Body CannedReplyBody }

func ticketsOut(vs []app.TicketView, next string) *ticketsOutput {
	out := &ticketsOutput{}
	out.Body.Tickets = make([]TicketBody, 0, len(vs))
	for _, v := range vs {
		out.Body.Tickets = append(out.Body.Tickets, supportTicketBody(v))
	}
	out.Body.NextCursor = next
	return out
}

func attachmentOut(a app.TicketAttachmentView, b []byte) *attachmentOutput {
	return &attachmentOutput{ContentType: a.ContentType, Options: "nosniff", Body: b,
		ContentDisposition: "attachment; filename*=UTF-8''" + urlPathEscape(a.Filename)}
}

// registerTickets adds the ticket operations.
func registerTickets(s *server) {
	tag := []string{"tickets"}
	one := func(v app.TicketView, err error) (*supportTicketOutput, error) {
		if err != nil {
			return nil, err
		}
		return &supportTicketOutput{Body: supportTicketBody(v)}, nil
	}
	register(s, huma.Operation{OperationID: "list-tickets", Method: http.MethodGet, Path: "/tickets", Tags: tag, Security: secAny,
		Summary: "List my tickets", Description: "The tickets of the caller's account (an enterprise's, for its sub-users), newest first. Needs ticket.manage_own.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *ticketListInput) (*ticketsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, next, err := s.app.TicketListOwn(ctx, p.Principal, app.TicketListQuery{State: in.State, Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, err
			}
			return ticketsOut(vs, next), nil
		})
	register(s, huma.Operation{OperationID: "create-ticket", Method: http.MethodPost, Path: "/tickets", Tags: tag, Security: secAny,
		Summary: "Open a ticket", Description: "Needs ticket.create. Rate-limited per account and address.",
		Errors: []int{401, 403, 409, 413, 422, 429}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *ticketCreateInput) (*supportTicketOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			b := in.Body
			return one(s.app.TicketCreate(ctx, p.Principal, app.TicketInput{Subject: b.Subject, Category: b.Category, Priority: b.Priority,
				Body: b.Body, LinkType: b.LinkType, LinkID: b.LinkID, Attachments: uploads(b.Attachments)}))
		})
	register(s, huma.Operation{OperationID: "get-ticket", Method: http.MethodGet, Path: "/tickets/{id}", Tags: tag, Security: secAny,
		Summary: "Read a ticket and its conversation", Description: "Someone else's ticket is ticket.not_found.", Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *ticketIDInput) (*supportTicketOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			if p.Staff() {
				return nil, errNotFoundTicket()
			}
			return one(s.app.TicketGet(ctx, p.Principal, in.ID))
		})
	register(s, huma.Operation{OperationID: "reply-ticket", Method: http.MethodPost, Path: "/tickets/{id}/replies", Tags: tag, Security: secAny,
		Summary: "Reply to a ticket", Description: "A closed ticket is ticket.closed (409): reopen it first.", Errors: []int{401, 403, 404, 409, 413, 422, 429}},
		func(ctx context.Context, in *ticketReplyInput) (*supportTicketOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			if p.Staff() {
				return nil, errNotFoundTicket()
			}
			return one(s.app.TicketReply(ctx, p.Principal, in.ID, app.ReplyInput{Body: in.Body.Body, Attachments: uploads(in.Body.Attachments)}))
		})
	register(s, huma.Operation{OperationID: "close-ticket", Method: http.MethodPost, Path: "/tickets/{id}/close", Tags: tag, Security: secAny,
		Summary: "Close a ticket", Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *ticketIDInput) (*supportTicketOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			if p.Staff() {
				return nil, errNotFoundTicket()
			}
			return one(s.app.TicketClose(ctx, p.Principal, in.ID))
		})
	register(s, huma.Operation{OperationID: "reopen-ticket", Method: http.MethodPost, Path: "/tickets/{id}/reopen", Tags: tag, Security: secAny,
		Summary: "Reopen a closed ticket", Description: "Within the reopen window after closing.", Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *ticketIDInput) (*supportTicketOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			if p.Staff() {
				return nil, errNotFoundTicket()
			}
			return one(s.app.TicketReopen(ctx, p.Principal, in.ID))
		})
	register(s, huma.Operation{OperationID: "get-ticket-attachment", Method: http.MethodGet, Path: "/tickets/{id}/attachments/{attachment}", Tags: tag, Security: secAny,
		Summary: "Download an attachment", Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *attachmentInput) (*attachmentOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			if p.Staff() {
				return nil, errNotFoundTicket()
			}
			a, b, err := s.app.TicketAttachment(ctx, p.Principal, in.ID, in.AttachmentID)
			if err != nil {
				return nil, err
			}
			return attachmentOut(a, b), nil
		})

	stag := []string{"tickets", "staff"}
	register(s, huma.Operation{OperationID: "staff-ticket-queue", Method: http.MethodGet, Path: "/staff/tickets", Tags: stag, Security: secSession,
		Summary: "Ticket queues", Description: "Needs ticket.answer. The waiting view takes one ticket per customer in turn, so one customer's flood does not starve the others.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *ticketQueueInput) (*ticketsOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			vs, next, err := s.app.TicketQueue(ctx, p.Principal, app.TicketQueueQuery{Department: in.Department, View: in.View, Cursor: in.Cursor, Limit: in.Limit})
			if err != nil {
				return nil, err
			}
			return ticketsOut(vs, next), nil
		})
	register(s, huma.Operation{OperationID: "staff-get-ticket", Method: http.MethodGet, Path: "/staff/tickets/{id}", Tags: stag, Security: secSession,
		Summary: "Read a ticket with internal notes and timers", Description: "Needs ticket.answer.", Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *ticketIDInput) (*supportTicketOutput, error) {
			p, err := staffOnly(ctx, s, "ticket.answer")
			if err != nil {
				return nil, err
			}
			return one(s.app.TicketGet(ctx, p.Principal, in.ID))
		})
	register(s, huma.Operation{OperationID: "staff-reply-ticket", Method: http.MethodPost, Path: "/staff/tickets/{id}/replies", Tags: stag, Security: secSession,
		Summary: "Answer a ticket or add an internal note", Description: "Needs ticket.answer.", Errors: []int{401, 403, 404, 409, 413, 422}},
		func(ctx context.Context, in *staffReplyInput) (*supportTicketOutput, error) {
			p, err := staffOnly(ctx, s, "ticket.answer")
			if err != nil {
				return nil, err
			}
			return one(s.app.TicketAnswer(ctx, p.Principal, in.ID, app.ReplyInput{Body: in.Body.Body, Internal: in.Body.Internal, Attachments: uploads(in.Body.Attachments)}))
		})
	register(s, huma.Operation{OperationID: "staff-update-ticket", Method: http.MethodPatch, Path: "/staff/tickets/{id}", Tags: stag, Security: secSession,
		Summary: "Assign a ticket, change its department or priority", Description: "Needs ticket.assign.", Errors: []int{401, 403, 404, 409, 422}},
		func(ctx context.Context, in *ticketUpdateInput) (*supportTicketOutput, error) {
			p, err := staffOnly(ctx, s, "ticket.assign")
			if err != nil {
				return nil, err
			}
			b := in.Body
			return one(s.app.TicketUpdate(ctx, p.Principal, in.ID, app.TicketUpdateInput{AssigneeID: b.AssigneeID, Department: b.Department, Priority: b.Priority}))
		})
	register(s, huma.Operation{OperationID: "staff-close-ticket", Method: http.MethodPost, Path: "/staff/tickets/{id}/close", Tags: stag, Security: secSession,
		Summary: "Close a ticket", Description: "Needs ticket.answer.", Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *ticketIDInput) (*supportTicketOutput, error) {
			p, err := staffOnly(ctx, s, "ticket.answer")
			if err != nil {
				return nil, err
			}
			return one(s.app.TicketClose(ctx, p.Principal, in.ID))
		})
	register(s, huma.Operation{OperationID: "staff-get-ticket-attachment", Method: http.MethodGet, Path: "/staff/tickets/{id}/attachments/{attachment}", Tags: stag,
		Security: secSession, Summary: "Download an attachment (internal notes' too)", Description: "Needs ticket.answer.", Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *attachmentInput) (*attachmentOutput, error) {
			p, err := staffOnly(ctx, s, "ticket.answer")
			if err != nil {
				return nil, err
			}
			a, b, err := s.app.TicketAttachment(ctx, p.Principal, in.ID, in.AttachmentID)
			if err != nil {
				return nil, err
			}
			return attachmentOut(a, b), nil
		})
	register(s, huma.Operation{OperationID: "staff-list-canned-replies", Method: http.MethodGet, Path: "/staff/ticket-canned-replies", Tags: stag, Security: secSession,
		Summary: "List canned replies", Description: "Needs ticket.answer.", Errors: []int{401, 403}},
		func(ctx context.Context, in *cannedListInput) (*cannedListOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			cs, err := s.app.CannedReplies(ctx, p.Principal, in.Department)
			if err != nil {
				return nil, err
			}
			out := &cannedListOutput{}
			out.Body.Replies = make([]CannedReplyBody, 0, len(cs))
			for _, c := range cs {
				out.Body.Replies = append(out.Body.Replies, CannedReplyBody{ID: c.ID, Department: c.Department, Title: c.Title, Body: c.Body, CreatedAt: c.CreatedAt})
			}
			return out, nil
		})
	register(s, huma.Operation{OperationID: "staff-create-canned-reply", Method: http.MethodPost, Path: "/staff/ticket-canned-replies", Tags: stag, Security: secSession,
		Summary: "Add a canned reply", Description: "Needs ticket.canned.manage.", Errors: []int{401, 403, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *cannedCreateInput) (*cannedOutput, error) {
			p, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			c, err := s.app.CannedReplyCreate(ctx, p.Principal, app.CannedReplyInput{Department: in.Body.Department, Title: in.Body.Title, Body: in.Body.Body})
			if err != nil {
				return nil, err
			}
			return &cannedOutput{Body: CannedReplyBody{ID: c.ID, Department: c.Department, Title: c.Title, Body: c.Body, CreatedAt: c.CreatedAt}}, nil
		})
}

// errNotFoundTicket answers staff on the customer routes: staff use
// /staff/tickets (their view carries internal notes).
func errNotFoundTicket() error {
	return &errs.Error{Kind: errs.NotFound, Code: "ticket.not_found", Msg: "not found"}
}

func urlPathEscape(s string) string { return url.PathEscape(s) }
