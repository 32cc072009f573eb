package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/compliance"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/notify"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
	"yuanxu/internal/ticket"
)

// Appeals (issue 16 item 5, clause 6.2). The customer a measure is about
// appeals it within appeal.window_working_days working days of the first
// delivery of its notice by email or SMS (not counting that day; while no
// delivery succeeded the clock has not started). An appeal has its own
// record and a ticket thread (category appeal, linked to it) carrying the
// statement and attachments. It goes open → under_review → upheld or
// overturned, decided within appeal.review_working_days by someone other
// than the officer who imposed (or confirmed) the measure. Overturning
// lifts the measure (liftMeasure): services run again with their terms
// extended by the downtime, the balance is unfrozen, and the refund window
// gets back what the ban took of it (refund.Facts.Paused).

// AppealInput is a customer's appeal.
type AppealInput struct {
	MeasureID   string            `json:"measure_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fd0"`
	Statement   string            `json:"statement" maxLength:"8000" example:"The traffic was our own backup to a second site; logs attached."`
	Attachments []AttachmentInput `json:"-"`
}

// AppealView is an appeal as its customer and staff see it.
type AppealView struct {
	ID           string      `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fe0"`
	MeasureID    string      `json:"measure_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fd0"`
	AccountID    string      `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	TicketID     string      `json:"ticket_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5ff0" doc:"The appeal's thread: statement, replies, attachments."`
	State        string      `json:"state" enum:"open,under_review,upheld,overturned" example:"open"`
	Statement    string      `json:"statement" example:"The traffic was our own backup to a second site."`
	ReviewerID   string      `json:"reviewer_id,omitempty" example:""`
	DecisionText string      `json:"decision_text,omitempty" example:""`
	AppealDue    time.Time   `json:"appeal_due,omitzero" example:"2026-10-14T00:00:00+08:00"`
	ReviewDue    time.Time   `json:"review_due" example:"2026-10-21T00:00:00+08:00" doc:"Exclusive: decided before this instant (appeal.review_working_days)."`
	Overdue      bool        `json:"overdue" example:"false" doc:"Still undecided at review_due: flagged to staff."`
	CreatedAt    time.Time   `json:"created_at" example:"2026-10-09T10:00:00+08:00"`
	DecidedAt    time.Time   `json:"decided_at,omitzero" example:""`
	Measure      MeasureView `json:"measure"`
}

// FileAppeal records the caller's appeal against a measure on its own
// account (appeal.file) with its ticket thread, in one transaction. An
// appeal against someone else's measure is appeal.not_yours (Forbidden);
// one at or after the deadline is appeal.late with clause 6.2 and the
// deadline; a second open appeal is appeal.already_open, one after an
// upheld appeal appeal.already_decided.
func (a *App) FileAppeal(ctx context.Context, p account.Principal, in AppealInput) (AppealView, error) {
	const op = "app.FileAppeal"
	in.Statement = strings.TrimSpace(in.Statement)
	if err := ticket.ValidateBody(in.Statement); err != nil || in.Statement == "" {
		return AppealView{}, fieldErr(op, compliance.CodeAppealInvalid, errs.Invalid, "body.statement", "required", "say why the measure is wrong (up to 8000 characters)", nil)
	}
	files, err := checkAttachments(in.Attachments)
	if err != nil {
		return AppealView{}, err
	}
	m, err := store.ComplianceMeasureGet(ctx, a.db, in.MeasureID)
	if store.IsNotFound(err) {
		return AppealView{}, errNotFound("compliance_measure")
	}
	if err != nil {
		return AppealView{}, err
	}
	if p.Kind == account.KindStaff || m.AccountID != p.TenantID() {
		return AppealView{}, errs.E(errs.Op(op), errs.Forbidden, compliance.CodeAppealNotYours,
			"a measure is appealed by the customer it is about (clause 6.2)", map[string]any{"clause": "6.2"})
	}
	obj, err := a.customerObject(ctx, "appeal", m.AccountID)
	if err != nil {
		return AppealView{}, err
	}
	if err := a.Authorize(ctx, p, "appeal.file", obj); err != nil {
		return AppealView{}, err
	}
	if m.State != string(compliance.MeasureInForce) {
		return AppealView{}, errs.E(errs.Op(op), errs.Conflict, compliance.CodeMeasureBadState, "the measure is "+m.State, map[string]any{"state": m.State})
	}
	prior, err := store.Appeals(ctx, a.db, store.AppealFilter{MeasureID: m.ID, States: []string{string(compliance.AppealUpheld)}})
	if err != nil {
		return AppealView{}, err
	}
	if len(prior) > 0 { // the review's decision is final (clause 6.2)
		return AppealView{}, errs.E(errs.Op(op), errs.Conflict, compliance.CodeAppealDecided, "an appeal against this measure was decided already",
			map[string]any{"appeal": prior[0].ID, "clause": "6.2"})
	}
	_, dl, started, err := a.appealDeadline(ctx, m)
	if err != nil {
		return AppealView{}, err
	}
	now := a.Now()
	if started && dl.Passed(now) {
		return AppealView{}, compliance.LateAppeal(dl.At)
	}
	if err := a.ticketRateLimit(ctx, p, ticketCreatePerAccount, ticketCreatePerIP); err != nil {
		return AppealView{}, err
	}
	cal, err := a.Calendar(ctx)
	if err != nil {
		return AppealView{}, err
	}
	reviewDays := policy.ProjectDefaults().Int(policy.AppealReviewWorkingDays)
	if set, _, err := a.policy.ForCustomer(ctx, m.AccountID, now); err == nil {
		reviewDays = set.Int(policy.AppealReviewWorkingDays)
	}
	var aid string
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ap := store.AppealRow{ID: id.NewAt(tx.Now), MeasureID: m.ID, AccountID: m.AccountID, FiledBy: p.AccountID,
			State: string(compliance.AppealOpen), Statement: in.Statement, ReviewDue: cal.AddWorkingDays(tx.Now, reviewDays).At,
			CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if started {
			ap.AppealDue = dl.At
		}
		v, err := ticket.Validate(ticket.Input{Subject: "申诉 / Appeal: " + compliance.Measure(m.Kind).Label(), Category: ticket.CategoryAppeal,
			Priority: ticket.PriorityHigh, Body: in.Statement, LinkType: ticket.LinkAppeal, LinkID: ap.ID})
		if err != nil {
			return err
		}
		t, err := a.openTicketTx(ctx, tx, p, v, files, in.Attachments)
		if err != nil {
			return err
		}
		ap.TicketID = t.ID
		if err := tx.AppealInsert(ctx, ap); err != nil {
			if errors.Is(err, errs.ErrDuplicate) {
				return errs.E(errs.Op(op), errs.Conflict, compliance.CodeAppealOpen, "an appeal against this measure is open already", nil)
			}
			return err
		}
		aid = ap.ID
		return a.Audit(ctx, tx, AuditEntry{Action: "appeal.filed", SubjectType: "appeal", SubjectID: ap.ID,
			Data: map[string]any{"measure": m.ID, "account": m.AccountID, "ticket": t.ID, "appeal_due": ap.AppealDue, "review_due": ap.ReviewDue,
				"attachments": len(files), "clause": "6.2"}})
	})
	if err != nil {
		return AppealView{}, err
	}
	return a.appealByID(ctx, aid)
}

// AppealDecision is a reviewer's step on an appeal.
type AppealDecision struct {
	Action string `json:"action" enum:"review,uphold,overturn" example:"overturn"`
	Text   string `json:"text,omitempty" maxLength:"2000" example:"The traffic was the customer's documented off-site backup." doc:"uphold: the reason (required); overturn: optional."`
}

// DecideAppeal takes a reviewer's step (appeal.decide): review (open →
// under_review, the reviewer takes it), uphold (with the reason) or
// overturn (lifts the measure), from under_review by its reviewer. The
// officer who imposed or confirmed the measure never decides its appeal:
// compliance.separation_of_duties (Forbidden), checked before anything
// else so that no measure is applied or lifted by such a request.
func (a *App) DecideAppeal(ctx context.Context, p account.Principal, appealID string, d AppealDecision) (AppealView, error) {
	const op = "app.DecideAppeal"
	d.Text = strings.TrimSpace(d.Text)
	switch {
	case d.Action != "review" && d.Action != "uphold" && d.Action != "overturn":
		return AppealView{}, fieldErr(op, compliance.CodeAppealInvalid, errs.Invalid, "body.action", "enum", "choose review, uphold or overturn", nil)
	case d.Action == "uphold" && d.Text == "":
		return AppealView{}, fieldErr(op, compliance.CodeAppealReasonNeeded, errs.Invalid, "body.text", "required", "upholding a measure says why", nil)
	case len(d.Text) > 2000:
		return AppealView{}, fieldErr(op, compliance.CodeAppealInvalid, errs.Invalid, "body.text", "max_length", "too long", map[string]any{"max": 2000})
	}
	pre, err := store.AppealGet(ctx, a.db, appealID)
	if store.IsNotFound(err) {
		if err := a.Authorize(ctx, p, "appeal.decide", account.Object{Type: "appeal"}); err != nil {
			return AppealView{}, err
		}
		return AppealView{}, errNotFound("appeal")
	}
	if err != nil {
		return AppealView{}, err
	}
	m, err := store.ComplianceMeasureGet(ctx, a.db, pre.MeasureID)
	if err != nil {
		return AppealView{}, err
	}
	if err := a.Authorize(ctx, p, "appeal.decide", account.Object{Type: "appeal"}); err != nil {
		return AppealView{}, err
	}
	for _, officer := range []string{m.ImposedBy, m.ConfirmedBy} {
		if officer == "" {
			continue
		}
		if err := compliance.CheckReviewer(p.AccountID, officer); err != nil {
			return AppealView{}, err
		}
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ap, err := store.AppealGet(ctx, tx, appealID)
		if err != nil {
			return err
		}
		from, prev := ap.State, ap.UpdatedAt
		st := compliance.AppealState(ap.State)
		to := map[string]compliance.AppealState{"review": compliance.AppealUnderReview, "uphold": compliance.AppealUpheld,
			"overturn": compliance.AppealOverturned}[d.Action]
		if !st.CanMove(to) {
			return errs.E(errs.Op(op), errs.Conflict, compliance.CodeAppealBadState, "the appeal is "+ap.State, map[string]any{"state": ap.State, "action": d.Action})
		}
		if d.Action == "review" {
			ap.ReviewerID = p.AccountID
		} else {
			if ap.ReviewerID != p.AccountID {
				return errs.E(errs.Op(op), errs.Forbidden, "appeal.not_reviewer", "the appeal is decided by the reviewer who took it",
					map[string]any{"reviewer": ap.ReviewerID})
			}
			ap.DecisionText, ap.DecidedAt = d.Text, tx.Now
		}
		ap.State, ap.UpdatedAt = string(to), tx.Now
		if ok, err := tx.AppealUpdate(ctx, ap, from, prev); err != nil || !ok {
			return conflictOr(err)
		}
		if to == compliance.AppealUpheld && m.Kind == string(compliance.MeasureBan) {
			// The decision is final: the account ends and its balance is
			// paid back, unless an authority order holds it (DESIGN.md §3).
			cur, err := store.ComplianceMeasureGet(ctx, tx, ap.MeasureID)
			if err != nil {
				return err
			}
			if cur.State == string(compliance.MeasureInForce) {
				if _, err := a.endAccountAfterBan(ctx, tx, cur, banFinalUpheld); err != nil {
					return err
				}
			}
		}
		if to == compliance.AppealOverturned {
			m, err := store.ComplianceMeasureGet(ctx, tx, ap.MeasureID)
			if err != nil {
				return err
			}
			if m.State == string(compliance.MeasureInForce) {
				if err := a.liftMeasure(ctx, tx, m, compliance.MeasureOverturned, p.AccountID, "appeal "+ap.ID+" overturned: "+d.Text); err != nil {
					return err
				}
			}
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "appeal." + d.Action, SubjectType: "appeal", SubjectID: ap.ID,
			Data: map[string]any{"from": from, "to": ap.State, "measure": ap.MeasureID, "text": d.Text, "late": !tx.Now.Before(ap.ReviewDue), "clause": "6.2"}}); err != nil {
			return err
		}
		if d.Action == "review" {
			return nil
		}
		return a.notifyAppealDecided(ctx, tx, ap)
	})
	if err != nil {
		return AppealView{}, err
	}
	return a.appealByID(ctx, appealID)
}

// notifyAppealDecided tells the customer the outcome (email, SMS, inbox).
func (a *App) notifyAppealDecided(ctx context.Context, tx *store.Tx, ap store.AppealRow) error {
	acc, err := store.AccountGet(ctx, tx, ap.AccountID)
	if err != nil {
		return err
	}
	rec := notify.Recipient{AccountID: acc.ID}
	if rec.Email, err = a.open("account", "email", acc.ID, acc.EmailEnc); err != nil {
		return err
	}
	if rec.Phone, err = a.open("account", "phone", acc.ID, acc.PhoneEnc); err != nil {
		return err
	}
	outcome := map[string]string{string(compliance.AppealUpheld): "维持原处置 / upheld", string(compliance.AppealOverturned): "撤销处置 / overturned"}[ap.State]
	_, err = a.Notify(ctx, tx, notify.Request{Event: notify.EventAppealDecided, Recipient: rec, Lang: langOf(acc.Lang),
		Vars: map[string]string{"appeal_id": ap.ID, "outcome": outcome}, Subject: notify.Subject{Type: "appeal", ID: ap.ID}})
	return err
}

func (a *App) appealView(ctx context.Context, r store.AppealRow) (AppealView, error) {
	v := AppealView{ID: r.ID, MeasureID: r.MeasureID, AccountID: r.AccountID, TicketID: r.TicketID, State: r.State, Statement: r.Statement,
		ReviewerID: r.ReviewerID, DecisionText: r.DecisionText, AppealDue: r.AppealDue, ReviewDue: r.ReviewDue, Overdue: !r.OverdueAt.IsZero(), CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt}
	m, err := a.measureByID(ctx, r.MeasureID)
	v.Measure = m
	return v, err
}

// appealRow reads one appeal row; a missing one is appeal.not_found.
func (a *App) appealRow(ctx context.Context, appealID string) (store.AppealRow, error) {
	r, err := store.AppealGet(ctx, a.db, appealID)
	if store.IsNotFound(err) {
		return r, errNotFound("appeal")
	}
	return r, err
}

func (a *App) appealByID(ctx context.Context, appealID string) (AppealView, error) {
	r, err := a.appealRow(ctx, appealID)
	if err != nil {
		return AppealView{}, err
	}
	return a.appealView(ctx, r)
}

// Appeal reads one appeal: staff with appeal.decide or compliance.case.read,
// or the customer who filed it (a missing one and someone else's are both
// appeal.not_found).
func (a *App) Appeal(ctx context.Context, p account.Principal, appealID string) (AppealView, error) {
	r, err := a.appealRow(ctx, appealID)
	if err != nil {
		return AppealView{}, err
	}
	if err := a.authorizeMeasureReader(ctx, p, "appeal", r.AccountID); err != nil {
		return AppealView{}, err
	}
	return a.appealView(ctx, r)
}

// Appeals lists appeals, oldest first: for staff (compliance.case.read)
// the open ones by default or those in states; for a customer its own.
func (a *App) Appeals(ctx context.Context, p account.Principal, states []string) ([]AppealView, error) {
	f := store.AppealFilter{States: states}
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, "compliance.case.read", account.Object{Type: "appeal"}); err != nil {
			return nil, err
		}
		if len(states) == 0 {
			f.States = []string{string(compliance.AppealOpen), string(compliance.AppealUnderReview)}
		}
	} else {
		f.AccountID = p.TenantID()
		if err := a.authorizeCustomerObject(ctx, p, "appeal.file", "", "appeal", f.AccountID); err != nil {
			return nil, err
		}
	}
	rs, err := store.Appeals(ctx, a.db, f)
	if err != nil {
		return nil, err
	}
	out := make([]AppealView, 0, len(rs))
	for _, r := range rs {
		v, err := a.appealView(ctx, r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}
