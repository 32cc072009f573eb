package app

import (
	"context"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/calendar"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
	"yuanxu/internal/ticket"
)

// ReplyInput is a message on a ticket. Internal (staff only) makes it a
// note that customers never see and that notifies nobody.
type ReplyInput struct {
	Body        string
	Internal    bool
	Attachments []AttachmentInput
}

func errTicketChanged() error {
	return &errs.Error{Kind: errs.Conflict, Code: "ticket.changed", Msg: "the ticket changed at the same time; reload and retry"}
}

// TicketReply adds a customer's message (ticket.manage_own): open stays
// open, answered becomes customer_reply (which stops the auto-close); a
// closed ticket is ticket.closed. The assignee, if any, is told.
func (a *App) TicketReply(ctx context.Context, p account.Principal, ticketID string, in ReplyInput) (TicketView, error) {
	if p.Kind == account.KindStaff {
		return a.TicketAnswer(ctx, p, ticketID, in)
	}
	body := strings.TrimSpace(in.Body)
	if err := ticket.ValidateBody(body); err != nil {
		return TicketView{}, err
	}
	if in.Internal {
		return TicketView{}, errs.Invalidf("ticket.internal_staff_only", "body.internal", "staff_only", nil)
	}
	files, err := checkAttachments(in.Attachments)
	if err != nil {
		return TicketView{}, err
	}
	// Authorise before counting against the limits: someone else's id is
	// not_found, not a spent attempt.
	if _, _, err := a.loadTicket(ctx, a.db, p, ticketID, ""); err != nil {
		return TicketView{}, err
	}
	if err := a.ticketRateLimit(ctx, p, ticketReplyPerAccount, ticketReplyPerIP); err != nil {
		return TicketView{}, err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, _, err := a.loadTicket(ctx, tx, p, ticketID, "")
		if err != nil {
			return err
		}
		next, err := ticket.Next(ticket.State(r.State), ticket.EvCustomerReply, r.ClosedAt, tx.Now)
		if err != nil {
			return err
		}
		author, err := store.AccountGet(ctx, tx, p.AccountID)
		if err != nil {
			return err
		}
		prev := r
		r.State, r.UpdatedAt = string(next), tx.Now
		if r.WaitingSince.IsZero() {
			r.WaitingSince = tx.Now
		}
		r.AutoCloseAt, r.AutoCloseWarnAt, r.AutoCloseWarnedAt = time.Time{}, time.Time{}, time.Time{}
		if ok, err := tx.TicketUpdate(ctx, r, prev); err != nil || !ok {
			if err == nil {
				err = errTicketChanged()
			}
			return err
		}
		if _, err := a.ticketMessage(ctx, tx, r, author, "customer", false, body, files, in.Attachments); err != nil {
			return err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "ticket.customer_replied", SubjectType: "ticket", SubjectID: r.ID,
			Data: map[string]any{"from": prev.State, "to": r.State, "attachments": len(files)}}); err != nil {
			return err
		}
		return a.notifyTicketStaff(ctx, tx, r, notify.EventTicketCustomerReplied, nil)
	})
	if err != nil {
		return TicketView{}, err
	}
	return a.TicketGet(ctx, p, ticketID)
}

// TicketAnswer adds a staff message (ticket.answer). A public answer
// moves the ticket to answered, records the first response, assigns an
// unassigned ticket to the answerer, starts the auto-close of
// ticket.auto_close_days (clause 5, the customer's policy) and tells the
// customer (by SMS too for urgent tickets). An internal note changes no
// state and tells nobody. A closed ticket is ticket.closed.
func (a *App) TicketAnswer(ctx context.Context, p account.Principal, ticketID string, in ReplyInput) (TicketView, error) {
	body := strings.TrimSpace(in.Body)
	if err := ticket.ValidateBody(body); err != nil {
		return TicketView{}, err
	}
	files, err := checkAttachments(in.Attachments)
	if err != nil {
		return TicketView{}, err
	}
	pre, _, err := a.loadTicket(ctx, a.db, p, ticketID, "ticket.answer")
	if err != nil {
		return TicketView{}, err
	}
	days := 0
	if !in.Internal {
		set, _, err := a.policy.ForCustomer(ctx, pre.OwnerAccountID, a.Now())
		if err != nil {
			return TicketView{}, err
		}
		days = set.Int(policy.TicketAutoCloseDays)
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, _, err := a.loadTicket(ctx, tx, p, ticketID, "ticket.answer")
		if err != nil {
			return err
		}
		author, err := store.AccountGet(ctx, tx, p.AccountID)
		if err != nil {
			return err
		}
		if in.Internal {
			if ticket.State(r.State) == ticket.StateClosed {
				return &errs.Error{Kind: errs.Conflict, Code: "ticket.closed", Msg: "the ticket is closed"}
			}
			m, err := a.ticketMessage(ctx, tx, r, author, "staff", true, body, files, in.Attachments)
			if err != nil {
				return err
			}
			return a.Audit(ctx, tx, AuditEntry{Action: "ticket.note_added", SubjectType: "ticket", SubjectID: r.ID,
				Data: map[string]any{"message_id": m.ID, "attachments": len(files)}})
		}
		next, err := ticket.Next(ticket.State(r.State), ticket.EvStaffAnswer, r.ClosedAt, tx.Now)
		if err != nil {
			return err
		}
		prev := r
		ac := ticket.AutoCloseAfter(tx.Now, days)
		r.State, r.UpdatedAt, r.WaitingSince, r.LastStaffAnswerAt = string(next), tx.Now, time.Time{}, tx.Now
		r.AutoCloseWarnAt, r.AutoCloseAt, r.AutoCloseWarnedAt = ac.WarnAt, ac.CloseAt, time.Time{}
		if r.FirstResponseAt.IsZero() {
			r.FirstResponseAt = tx.Now
		}
		if r.AssigneeID == "" {
			r.AssigneeID = p.AccountID
		}
		if ok, err := tx.TicketUpdate(ctx, r, prev); err != nil || !ok {
			if err == nil {
				err = errTicketChanged()
			}
			return err
		}
		m, err := a.ticketMessage(ctx, tx, r, author, "staff", false, body, files, in.Attachments)
		if err != nil {
			return err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "ticket.answered", SubjectType: "ticket", SubjectID: r.ID,
			Data: map[string]any{"from": prev.State, "to": r.State, "message_id": m.ID, "first_response": prev.FirstResponseAt.IsZero(),
				"auto_close_at": r.AutoCloseAt, "auto_close_days": days, "clause": ticket.AutoCloseClause}}); err != nil {
			return err
		}
		return a.notifyTicketCustomer(ctx, tx, r, notify.EventTicketAnswered, nil)
	})
	if err != nil {
		return TicketView{}, err
	}
	return a.TicketGet(ctx, p, ticketID)
}

// TicketClose closes a ticket: its customer (ticket.manage_own) or staff
// (ticket.answer). The customer is told, with the reopen deadline.
func (a *App) TicketClose(ctx context.Context, p account.Principal, ticketID string) (TicketView, error) {
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, staff, err := a.loadTicket(ctx, tx, p, ticketID, "ticket.answer")
		if err != nil {
			return err
		}
		by := "customer"
		if staff {
			by = "staff"
		}
		return a.closeTicket(ctx, tx, r, p.AccountID, by)
	})
	if err != nil {
		return TicketView{}, err
	}
	return a.TicketGet(ctx, p, ticketID)
}

// closeTicket closes r in tx; by is customer, staff or system.
func (a *App) closeTicket(ctx context.Context, tx *store.Tx, r store.TicketRow, closedBy, by string) error {
	next, err := ticket.Next(ticket.State(r.State), ticket.EvClose, r.ClosedAt, tx.Now)
	if err != nil {
		return err
	}
	prev := r
	r.State, r.UpdatedAt, r.ClosedAt, r.ClosedBy, r.WaitingSince = string(next), tx.Now, tx.Now, closedBy, time.Time{}
	r.AutoCloseAt, r.AutoCloseWarnAt = time.Time{}, time.Time{}
	if ok, err := tx.TicketUpdate(ctx, r, prev); err != nil || !ok {
		if err == nil {
			err = errTicketChanged()
		}
		return err
	}
	action := "ticket.closed"
	data := map[string]any{"from": prev.State, "by": by}
	if by == "system" {
		action = "ticket.auto_closed"
		data["clause"], data["last_staff_answer_at"], data["auto_close_at"] = ticket.AutoCloseClause, prev.LastStaffAnswerAt, prev.AutoCloseAt
	}
	if err := a.Audit(ctx, tx, AuditEntry{Action: action, SubjectType: "ticket", SubjectID: r.ID, Data: data}); err != nil {
		return err
	}
	return a.notifyTicketCustomer(ctx, tx, r, notify.EventTicketClosed, map[string]string{"reopen_until": ""})
}

// TicketReopen reopens a closed ticket within ticket.ReopenWindow
// (ticket.manage_own; customers only): it waits for staff again, with a
// fresh resolution target.
func (a *App) TicketReopen(ctx context.Context, p account.Principal, ticketID string) (TicketView, error) {
	if p.Kind == account.KindStaff {
		return TicketView{}, &errs.Error{Kind: errs.Forbidden, Code: "ticket.reopen_customer_only", Msg: "only the customer reopens a ticket"}
	}
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, _, err := a.loadTicket(ctx, tx, p, ticketID, "")
		if err != nil {
			return err
		}
		next, err := ticket.Next(ticket.State(r.State), ticket.EvReopen, r.ClosedAt, tx.Now)
		if err != nil {
			return err
		}
		prev := r
		t := ticket.TargetFor(ticket.Category(r.Category), ticket.Priority(r.Priority))
		r.State, r.UpdatedAt, r.WaitingSince, r.ClosedAt, r.ClosedBy = string(next), tx.Now, tx.Now, time.Time{}, ""
		r.ResolutionDue, r.ResolutionBreachedAt = t.Resolution.Due(calendar.Embedded(), tx.Now), time.Time{}
		if ok, err := tx.TicketUpdate(ctx, r, prev); err != nil || !ok {
			if err == nil {
				err = errTicketChanged()
			}
			return err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "ticket.reopened", SubjectType: "ticket", SubjectID: r.ID,
			Data: map[string]any{"closed_at": prev.ClosedAt, "resolution_due": r.ResolutionDue}}); err != nil {
			return err
		}
		return a.notifyTicketStaff(ctx, tx, r, notify.EventTicketCustomerReplied, nil)
	})
	if err != nil {
		return TicketView{}, err
	}
	return a.TicketGet(ctx, p, ticketID)
}

// TicketUpdateInput changes a ticket's handling; nil fields stay.
// AssigneeID "" unassigns.
type TicketUpdateInput struct {
	AssigneeID *string
	Department *string
	Priority   *string
}

// TicketUpdate assigns a ticket, moves it to another department or
// changes its priority (ticket.assign). The assignee must be a staff
// member who may answer tickets. A priority change recomputes the targets
// from the opening instant. A closed ticket is ticket.closed.
func (a *App) TicketUpdate(ctx context.Context, p account.Principal, ticketID string, in TicketUpdateInput) (TicketView, error) {
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, _, err := a.loadTicket(ctx, tx, p, ticketID, "ticket.assign")
		if err != nil {
			return err
		}
		if ticket.State(r.State) == ticket.StateClosed {
			return &errs.Error{Kind: errs.Conflict, Code: "ticket.closed", Msg: "the ticket is closed"}
		}
		prev := r
		if in.AssigneeID != nil && *in.AssigneeID != r.AssigneeID {
			if *in.AssigneeID != "" {
				if !id.Valid(*in.AssigneeID) {
					return errs.Invalidf("ticket.assignee_invalid", "body.assignee_id", "staff", nil)
				}
				l, err := loadAccount(ctx, tx, *in.AssigneeID)
				if err != nil || !l.principal().Holds("ticket.answer") || l.row.State != string(account.StateActive) {
					return errs.Invalidf("ticket.assignee_invalid", "body.assignee_id", "staff", nil)
				}
			}
			r.AssigneeID = *in.AssigneeID
		}
		if in.Department != nil {
			if !ticket.Department(*in.Department).Valid() {
				return errs.Invalidf("ticket.department_invalid", "body.department", "enum", nil)
			}
			r.Department = *in.Department
		}
		if in.Priority != nil && *in.Priority != r.Priority {
			if !ticket.Priority(*in.Priority).Valid() {
				return errs.Invalidf("ticket.priority_invalid", "body.priority", "enum", nil)
			}
			r.Priority = *in.Priority
			dl := ticket.DeadlinesFor(calendar.Embedded(), ticket.Category(r.Category), ticket.Priority(r.Priority), r.CreatedAt)
			r.FirstResponseDue, r.ResolutionDue = dl.FirstResponseDue, dl.ResolutionDue
			if r.FirstResponseAt.IsZero() && tx.Now.Before(dl.FirstResponseDue) {
				r.FirstResponseBreachedAt = time.Time{}
			}
			if tx.Now.Before(dl.ResolutionDue) {
				r.ResolutionBreachedAt = time.Time{}
			}
		}
		if r == prev {
			return nil
		}
		r.UpdatedAt = tx.Now
		if ok, err := tx.TicketUpdate(ctx, r, prev); err != nil || !ok {
			if err == nil {
				err = errTicketChanged()
			}
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "ticket.updated", SubjectType: "ticket", SubjectID: r.ID,
			Data: map[string]any{"assignee": [2]string{prev.AssigneeID, r.AssigneeID}, "department": [2]string{prev.Department, r.Department},
				"priority": [2]string{prev.Priority, r.Priority}}})
	})
	if err != nil {
		return TicketView{}, err
	}
	return a.TicketGet(ctx, p, ticketID)
}

// CannedReplyView is a canned reply.
type CannedReplyView struct {
	ID, Department, Title, Body string
	CreatedAt                   time.Time
}

// CannedReplies lists the canned replies for department ("" all) to staff
// who answer tickets.
func (a *App) CannedReplies(ctx context.Context, p account.Principal, department string) ([]CannedReplyView, error) {
	if err := a.Authorize(ctx, p, "ticket.answer", account.Object{}); err != nil {
		return nil, err
	}
	rows, err := store.CannedReplies(ctx, a.db, department)
	if err != nil {
		return nil, err
	}
	out := make([]CannedReplyView, 0, len(rows))
	for _, r := range rows {
		out = append(out, CannedReplyView{ID: r.ID, Department: r.Department, Title: r.Title, Body: r.Body, CreatedAt: r.CreatedAt})
	}
	return out, nil
}

// CannedReplyInput is a new canned reply; Department "" is for all.
type CannedReplyInput struct{ Department, Title, Body string }

// CannedReplyCreate adds a canned reply (ticket.canned.manage).
func (a *App) CannedReplyCreate(ctx context.Context, p account.Principal, in CannedReplyInput) (CannedReplyView, error) {
	if err := a.Authorize(ctx, p, "ticket.canned.manage", account.Object{}); err != nil {
		return CannedReplyView{}, err
	}
	in.Title, in.Body = strings.TrimSpace(in.Title), strings.TrimSpace(in.Body)
	var fe []errs.FieldError
	if in.Title == "" || len([]rune(in.Title)) > 100 {
		fe = append(fe, errs.FieldError{Field: "body.title", Rule: "required"})
	}
	if err := ticket.ValidateBody(in.Body); err != nil {
		fe = append(fe, errs.FieldError{Field: "body.body", Rule: "required"})
	}
	if in.Department != "" && !ticket.Department(in.Department).Valid() {
		fe = append(fe, errs.FieldError{Field: "body.department", Rule: "enum"})
	}
	if len(fe) > 0 {
		return CannedReplyView{}, &errs.Error{Kind: errs.Invalid, Code: "ticket.canned_invalid", Msg: "canned reply has invalid fields", Fields: fe}
	}
	var out CannedReplyView
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r := store.CannedReplyRow{ID: id.NewAt(tx.Now), Department: in.Department, Title: in.Title, Body: in.Body, CreatedBy: p.AccountID, CreatedAt: tx.Now}
		if err := tx.CannedReplyInsert(ctx, r); err != nil {
			return err
		}
		out = CannedReplyView{ID: r.ID, Department: r.Department, Title: r.Title, Body: r.Body, CreatedAt: r.CreatedAt}
		return a.Audit(ctx, tx, AuditEntry{Action: "ticket.canned_reply_created", SubjectType: "ticket_canned_reply", SubjectID: r.ID,
			Data: map[string]any{"department": r.Department, "title": r.Title}})
	})
	return out, err
}

// CannedReply reads one canned reply (ticket.answer).
func (a *App) CannedReply(ctx context.Context, p account.Principal, cannedID string) (CannedReplyView, error) {
	if err := a.Authorize(ctx, p, "ticket.answer", account.Object{}); err != nil {
		return CannedReplyView{}, err
	}
	if !id.Valid(cannedID) {
		return CannedReplyView{}, errNotFound("ticket_canned_reply")
	}
	r, err := store.CannedReplyGet(ctx, a.db, cannedID)
	if store.IsNotFound(err) {
		return CannedReplyView{}, errNotFound("ticket_canned_reply")
	}
	return CannedReplyView{ID: r.ID, Department: r.Department, Title: r.Title, Body: r.Body, CreatedAt: r.CreatedAt}, err
}

// notifyTicketCustomer tells the customer who opened r about ev: email and
// in-app, and SMS for urgent tickets. vars beyond ticket_ref and subject
// are filled here from r ("reopen_until", "close_at").
func (a *App) notifyTicketCustomer(ctx context.Context, tx *store.Tx, r store.TicketRow, ev notify.Event, extra map[string]string) error {
	acc, err := store.AccountGet(ctx, tx, r.CreatedBy)
	if err != nil {
		return err
	}
	lang := langOf(acc.Lang)
	rec := notify.Recipient{AccountID: acc.ID}
	if rec.Email, err = a.open("account", "email", acc.ID, acc.EmailEnc); err != nil {
		return err
	}
	if ticket.Priority(r.Priority) == ticket.PriorityUrgent {
		if rec.Phone, err = a.open("account", "phone", acc.ID, acc.PhoneEnc); err != nil {
			return err
		}
	}
	vars := map[string]string{"ticket_ref": ticket.Ref(r.ID), "subject": r.Subject}
	for k := range extra {
		switch k {
		case "reopen_until":
			vars[k] = notify.FormatTime(r.ClosedAt.Add(ticket.ReopenWindow), lang)
		case "close_at":
			vars[k] = notify.FormatTime(r.AutoCloseAt, lang)
		}
	}
	_, err = a.Notify(ctx, tx, notify.Request{Event: ev, Recipient: rec, Vars: vars, Lang: lang, Subject: notify.Subject{Type: "ticket", ID: r.ID}})
	return err
}

// notifyTicketStaff tells r's assignee (nobody when unassigned: the queue
// shows it) about ev.
func (a *App) notifyTicketStaff(ctx context.Context, tx *store.Tx, r store.TicketRow, ev notify.Event, extra map[string]string) error {
	if r.AssigneeID == "" {
		return nil
	}
	acc, err := store.AccountGet(ctx, tx, r.AssigneeID)
	if err != nil {
		return err
	}
	lang := langOf(acc.Lang)
	rec := notify.Recipient{AccountID: acc.ID}
	if rec.Email, err = a.open("account", "email", acc.ID, acc.EmailEnc); err != nil {
		return err
	}
	vars := map[string]string{"ticket_ref": ticket.Ref(r.ID), "subject": r.Subject}
	for k, v := range extra {
		vars[k] = v
	}
	_, err = a.Notify(ctx, tx, notify.Request{Event: ev, Recipient: rec, Vars: vars, Lang: lang, Subject: notify.Subject{Type: "ticket", ID: r.ID}})
	return err
}
