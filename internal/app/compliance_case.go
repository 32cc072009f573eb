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
	"yuanxu/internal/pii"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
	"yuanxu/internal/ticket"
)

// Violation cases (issue 16 items 1–2, clause 4.2). A signal — an abuse
// report from anyone (the public form, other operators' API calls) or a
// staff finding — opens a case or joins the open case about the same
// target under the same rule; it never imposes a measure by itself.
// Compliance officers attribute a case to an account and service, add
// evidence (files stored by content hash, who added what), review it and
// confirm or dismiss it with a reason. An open case attributed to an
// account blocks its refunds (clause 3.1.b). Measures, notices and appeals
// build on confirmed cases.

// Abuse report rate limits: per reporting address, and per target so that
// a flood about one address cannot bury the queue (duplicates join one
// case anyway).
var (
	RateAbuseIP     = RateRule{Name: "abuse.ip", Limit: 10, Window: time.Hour}
	RateAbuseTarget = RateRule{Name: "abuse.target", Limit: 60, Window: time.Hour}
)

// AbuseReportInput is a report from outside.
type AbuseReportInput struct {
	Rule       string    `json:"rule" enum:"illegal_content,network_attack,fraud,infringement,spam,other" example:"network_attack"`
	Target     string    `json:"target" maxLength:"253" example:"198.51.100.7" doc:"The IP address or domain name the activity came from."`
	ObservedAt time.Time `json:"observed_at,omitzero" example:"2026-11-26T09:00:00+08:00" doc:"When it happened; default now. At most 90 days ago."`
	Detail     string    `json:"detail" maxLength:"4000" example:"SYN flood against 203.0.113.5:443 from 09:00 to 09:20"`
	Contact    string    `json:"contact,omitempty" maxLength:"254" example:"abuse@operator.example" doc:"An email to reach the reporter; kept sealed."`
}

// AbuseReceipt answers a report: a receipt id only (nothing about the
// case or the customer behind the target).
type AbuseReceipt struct {
	ReceiptID string    `json:"receipt_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fa0"`
	Received  time.Time `json:"received_at" example:"2026-11-26T09:05:00+08:00"`
}

// ReportAbuse records a report (anyone; rate limited by address and
// target): it opens a case, or joins the open case about the same target
// and rule. The reporter's contact is sealed and shown masked.
func (a *App) ReportAbuse(ctx context.Context, in AbuseReportInput) (AbuseReceipt, error) {
	now := a.Now()
	r, err := compliance.ValidateReport(compliance.Report{Rule: in.Rule, Target: in.Target, ObservedAt: in.ObservedAt, Detail: in.Detail,
		Contact: in.Contact}, now)
	if err != nil {
		return AbuseReceipt{}, err
	}
	var contact string
	if strings.TrimSpace(in.Contact) != "" {
		if contact, err = account.ValidateEmail(in.Contact, "body.contact"); err != nil {
			return AbuseReceipt{}, err
		}
	}
	if ip := ActorFrom(ctx).ClientIP; ip != "" {
		if err := a.RateLimit(ctx, RateAbuseIP, ip); err != nil {
			return AbuseReceipt{}, err
		}
	}
	if err := a.RateLimit(ctx, RateAbuseTarget, r.Target); err != nil {
		return AbuseReceipt{}, err
	}
	sig := store.SignalRow{ID: id.NewAt(now), Source: compliance.SourceAbuseReport, Rule: r.Rule, Target: r.Target, ObservedAt: r.ObservedAt,
		Detail: r.Detail, CreatedBy: "public", CreatedAt: now}
	if contact != "" {
		sig.ReporterMasked = pii.MaskEmail(contact)
		if sig.ReporterEnc, err = a.seal("violation_signal", "reporter", sig.ID, contact); err != nil {
			return AbuseReceipt{}, err
		}
	}
	if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		_, err := a.addSignal(ctx, tx, sig, "", "")
		return err
	}); err != nil {
		return AbuseReceipt{}, err
	}
	return AbuseReceipt{ReceiptID: sig.ID, Received: now}, nil
}

// FindingInput is a staff member's inspection finding about a customer.
type FindingInput struct {
	AccountID  string    `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	ServiceID  string    `json:"service_id,omitempty" example:"" doc:"The service concerned, if one."`
	Rule       string    `json:"rule" enum:"illegal_content,network_attack,fraud,infringement,spam,other" example:"spam"`
	ObservedAt time.Time `json:"observed_at,omitzero" example:"2026-11-26T09:00:00+08:00"`
	Detail     string    `json:"detail" maxLength:"4000" example:"outbound SMTP to 40 000 addresses in an hour"`
}

// RaiseFinding records a staff finding (compliance.report) against an
// account or one of its services: it opens a case attributed to them, or
// joins the open one about the same target and rule. The answer is the
// case without its signals and evidence.
func (a *App) RaiseFinding(ctx context.Context, p account.Principal, in FindingInput) (CaseView, error) {
	const op = "app.RaiseFinding"
	if err := a.Authorize(ctx, p, "compliance.report", account.Object{Type: "violation_case"}); err != nil {
		return CaseView{}, err
	}
	now := a.Now()
	target := "account:" + in.AccountID
	if in.ServiceID != "" {
		s, err := store.ServiceGet(ctx, a.db, in.ServiceID)
		if store.IsNotFound(err) || err == nil && s.AccountID != in.AccountID {
			return CaseView{}, fieldErr(op, compliance.CodeReport, errs.Invalid, "body.service_id", "of_account", "no such service of this account", nil)
		}
		if err != nil {
			return CaseView{}, err
		}
		target = "service:" + in.ServiceID
	}
	if _, err := loadAccount(ctx, a.db, in.AccountID); err != nil {
		return CaseView{}, fieldErr(op, compliance.CodeReport, errs.Invalid, "body.account_id", "exists", "no such account", nil)
	}
	r, err := compliance.ValidateReport(compliance.Report{Rule: in.Rule, Target: "placeholder.invalid", ObservedAt: in.ObservedAt, Detail: in.Detail}, now)
	if err != nil {
		return CaseView{}, err
	}
	sig := store.SignalRow{ID: id.NewAt(now), Source: compliance.SourceStaffFinding, Rule: r.Rule, Target: target, ObservedAt: r.ObservedAt,
		Detail: r.Detail, CreatedBy: p.AccountID, CreatedAt: now}
	var caseID string
	if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		caseID, err = a.addSignal(ctx, tx, sig, in.AccountID, in.ServiceID)
		return err
	}); err != nil {
		return CaseView{}, err
	}
	// The reporter learns the case it opened or joined, not its other
	// signals or evidence (those need compliance.case.read).
	c, err := store.CaseGet(ctx, a.db, caseID)
	return caseView(c), err
}

// addSignal joins sig to the open case about its target and rule, or opens
// one (attributed to accountID/serviceID when known), in tx.
func (a *App) addSignal(ctx context.Context, tx *store.Tx, sig store.SignalRow, accountID, serviceID string) (string, error) {
	c, err := store.OpenCaseFor(ctx, tx, sig.Target, sig.Rule)
	switch {
	case store.IsNotFound(err):
		c = store.CaseRow{ID: id.NewAt(tx.Now), AccountID: accountID, ServiceID: serviceID, Target: sig.Target, Rule: sig.Rule,
			State: string(compliance.CaseDetected), Signals: 1, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if err := tx.CaseInsert(ctx, c); err != nil {
			return "", err
		}
		if err := a.Audit(ctx, tx, AuditEntry{Action: "compliance.case_opened", SubjectType: "violation_case", SubjectID: c.ID, Data: map[string]any{
			"rule": c.Rule, "target": c.Target, "account": accountID, "source": sig.Source, "clause": string(compliance.Rule(c.Rule).Clause())}}); err != nil {
			return "", err
		}
	case err != nil:
		return "", err
	default:
		prev, from := c.UpdatedAt, c.State
		c.Signals++
		c.UpdatedAt = tx.Now
		if c.AccountID == "" && accountID != "" {
			c.AccountID, c.ServiceID = accountID, serviceID
		}
		ok, err := tx.CaseUpdate(ctx, c, from, prev)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", errs.E(errs.Conflict, "violation_case.changed", "the case changed meanwhile; retry", errs.ErrConflict)
		}
	}
	sig.CaseID = c.ID
	if err := tx.SignalInsert(ctx, sig); err != nil {
		return "", err
	}
	return c.ID, a.Audit(ctx, tx, AuditEntry{Action: "compliance.signal", SubjectType: "violation_case", SubjectID: c.ID,
		Data: map[string]any{"signal": sig.ID, "source": sig.Source, "rule": sig.Rule, "target": sig.Target, "by": sig.CreatedBy}})
}

// CaseView is a case as compliance staff see it.
type CaseView struct {
	ID           string         `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fb0"`
	AccountID    string         `json:"account_id,omitempty" example:"01936a9e-0000-7000-8000-000000000001" doc:"Empty until attributed."`
	ServiceID    string         `json:"service_id,omitempty" example:""`
	Target       string         `json:"target" example:"198.51.100.7"`
	Rule         string         `json:"rule" example:"network_attack"`
	Clause       string         `json:"clause" example:"4.1"`
	State        string         `json:"state" enum:"detected,under_review,confirmed,dismissed" example:"detected"`
	ReviewerID   string         `json:"reviewer_id,omitempty" example:""`
	DecisionText string         `json:"decision_text,omitempty" example:""`
	SignalCount  int64          `json:"signal_count" example:"3"`
	CreatedAt    time.Time      `json:"created_at" example:"2026-11-26T09:05:00+08:00"`
	DecidedAt    time.Time      `json:"decided_at,omitzero" example:""`
	RetainUntil  time.Time      `json:"retain_until,omitzero" example:"" doc:"Evidence is kept until then (retention.network_logs_days after the decision)."`
	Signals      []SignalView   `json:"signals,omitempty"`
	Evidence     []EvidenceView `json:"evidence,omitempty"`
}

// SignalView is one signal; an outside reporter's contact is masked.
type SignalView struct {
	ID         string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fa0"`
	Source     string    `json:"source" enum:"abuse_report,staff_finding" example:"abuse_report"`
	Rule       string    `json:"rule" example:"network_attack"`
	ObservedAt time.Time `json:"observed_at" example:"2026-11-26T09:00:00+08:00"`
	Detail     string    `json:"detail" example:"SYN flood"`
	Reporter   string    `json:"reporter,omitempty" example:"a***e@operator.example"`
	CreatedBy  string    `json:"created_by" example:"public"`
	CreatedAt  time.Time `json:"created_at" example:"2026-11-26T09:05:00+08:00"`
}

// EvidenceView is one piece of evidence (its content by EvidenceContent).
type EvidenceView struct {
	ID          string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5fc0"`
	Filename    string    `json:"filename" example:"flows.png"`
	ContentType string    `json:"content_type" example:"image/png"`
	Size        int64     `json:"size" example:"20480"`
	SHA256      string    `json:"sha256" example:"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"`
	Note        string    `json:"note,omitempty" example:"netflow export"`
	AddedBy     string    `json:"added_by" example:"01936a9e-0000-7000-8000-000000000020"`
	CreatedAt   time.Time `json:"created_at" example:"2026-11-26T09:30:00+08:00"`
}

func caseView(r store.CaseRow) CaseView {
	return CaseView{ID: r.ID, AccountID: r.AccountID, ServiceID: r.ServiceID, Target: r.Target, Rule: r.Rule,
		Clause: string(compliance.Rule(r.Rule).Clause()), State: r.State, ReviewerID: r.ReviewerID, DecisionText: r.DecisionText,
		SignalCount: r.Signals, CreatedAt: r.CreatedAt, DecidedAt: r.DecidedAt, RetainUntil: r.RetainUntil}
}

// Cases lists cases (compliance.case.read), oldest first: open ones by
// default, or those in states.
func (a *App) Cases(ctx context.Context, p account.Principal, states []string) ([]CaseView, error) {
	if err := a.Authorize(ctx, p, "compliance.case.read", account.Object{Type: "violation_case"}); err != nil {
		return nil, err
	}
	if len(states) == 0 {
		states = []string{string(compliance.CaseDetected), string(compliance.CaseUnderReview)}
	}
	rs, err := store.Cases(ctx, a.db, store.CaseFilter{States: states})
	if err != nil {
		return nil, err
	}
	out := make([]CaseView, 0, len(rs))
	for _, r := range rs {
		out = append(out, caseView(r))
	}
	return out, nil
}

// Case reads a case with its signals and evidence (compliance.case.read).
func (a *App) Case(ctx context.Context, p account.Principal, caseID string) (CaseView, error) {
	if err := a.Authorize(ctx, p, "compliance.case.read", account.Object{Type: "violation_case"}); err != nil {
		return CaseView{}, err
	}
	r, err := store.CaseGet(ctx, a.db, caseID)
	if store.IsNotFound(err) {
		return CaseView{}, errNotFound("violation_case")
	}
	if err != nil {
		return CaseView{}, err
	}
	v := caseView(r)
	sigs, err := store.Signals(ctx, a.db, caseID)
	if err != nil {
		return v, err
	}
	for _, s := range sigs {
		v.Signals = append(v.Signals, SignalView{ID: s.ID, Source: s.Source, Rule: s.Rule, ObservedAt: s.ObservedAt, Detail: s.Detail,
			Reporter: s.ReporterMasked, CreatedBy: s.CreatedBy, CreatedAt: s.CreatedAt})
	}
	evs, err := store.Evidence(ctx, a.db, caseID)
	if err != nil {
		return v, err
	}
	for _, e := range evs {
		v.Evidence = append(v.Evidence, EvidenceView{ID: e.ID, Filename: e.Filename, ContentType: e.ContentType, Size: e.SizeBytes, SHA256: e.BlobHash,
			Note: e.Note, AddedBy: e.AddedBy, CreatedAt: e.CreatedAt})
	}
	return v, nil
}

// CaseAction is a reviewer's step on a case.
type CaseAction struct {
	Action    string `json:"action" enum:"review,attribute,confirm,dismiss" example:"review"`
	AccountID string `json:"account_id,omitempty" example:"" doc:"attribute: the account behind the target."`
	ServiceID string `json:"service_id,omitempty" example:"" doc:"attribute: the service, if one."`
	Text      string `json:"text,omitempty" maxLength:"2000" example:"netflow confirms 40 Gbit/s towards the victim" doc:"confirm, dismiss: the reason (required)."`
}

// Case codes.
const (
	CodeCaseBadTransition = "violation_case.bad_transition"
	CodeCaseInvalid       = "violation_case.invalid"
)

// ActOnCase takes a reviewer's step (compliance.case.review): review
// (detected → under_review, the reviewer takes it), attribute (to an
// account and service; open cases only), confirm or dismiss (from
// under_review, with a reason, by its reviewer). A decided case keeps its
// evidence for retention.network_logs_days (Cybersecurity Law art. 21).
func (a *App) ActOnCase(ctx context.Context, p account.Principal, caseID string, in CaseAction) (CaseView, error) {
	const op = "app.ActOnCase"
	if err := a.Authorize(ctx, p, "compliance.case.review", account.Object{Type: "violation_case"}); err != nil {
		return CaseView{}, err
	}
	in.Text = strings.TrimSpace(in.Text)
	switch in.Action {
	case "review", "attribute":
	case "confirm", "dismiss":
		if in.Text == "" {
			return CaseView{}, fieldErr(op, CodeCaseInvalid, errs.Invalid, "body.text", "required", "give the reason", nil)
		}
	default:
		return CaseView{}, fieldErr(op, CodeCaseInvalid, errs.Invalid, "body.action", "enum", "choose review, attribute, confirm or dismiss", nil)
	}
	if in.Action == "attribute" {
		l, err := loadAccount(ctx, a.db, in.AccountID)
		if err != nil || !account.Kind(l.row.Kind).Customer() {
			return CaseView{}, fieldErr(op, CodeCaseInvalid, errs.Invalid, "body.account_id", "exists", "no such customer", nil)
		}
		if in.ServiceID != "" {
			s, err := store.ServiceGet(ctx, a.db, in.ServiceID)
			if err != nil || s.AccountID != in.AccountID {
				return CaseView{}, fieldErr(op, CodeCaseInvalid, errs.Invalid, "body.service_id", "of_account", "no such service of this account", nil)
			}
		}
	}
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.CaseGet(ctx, tx, caseID)
		if store.IsNotFound(err) {
			return errNotFound("violation_case")
		}
		if err != nil {
			return err
		}
		from, prev := r.State, r.UpdatedAt
		st := compliance.CaseState(r.State)
		bad := func() error {
			return errs.E(errs.Op(op), errs.Conflict, CodeCaseBadTransition, "the case is "+r.State, map[string]any{"state": r.State, "action": in.Action})
		}
		switch in.Action {
		case "review":
			if !st.CanMove(compliance.CaseUnderReview) {
				return bad()
			}
			r.State, r.ReviewerID = string(compliance.CaseUnderReview), p.AccountID
		case "attribute":
			if !st.Open() {
				return bad()
			}
			r.AccountID, r.ServiceID = in.AccountID, in.ServiceID
		case "confirm", "dismiss":
			to := compliance.CaseConfirmed
			if in.Action == "dismiss" {
				to = compliance.CaseDismissed
			}
			if !st.CanMove(to) || st == compliance.CaseDetected {
				return bad()
			}
			if in.Action == "confirm" && r.AccountID == "" {
				return fieldErr(op, CodeCaseInvalid, errs.Conflict, "body.action", "attributed", "attribute the case to an account before confirming it", nil)
			}
			if r.ReviewerID != p.AccountID {
				return errs.E(errs.Op(op), errs.Forbidden, "violation_case.not_reviewer", "the case is decided by the officer reviewing it",
					map[string]any{"reviewer": r.ReviewerID})
			}
			days := policy.ProjectDefaults().Int(policy.RetentionNetworkLogsDays)
			if r.AccountID != "" {
				if set, _, err := a.policy.ForCustomer(ctx, r.AccountID, tx.Now); err == nil {
					days = set.Int(policy.RetentionNetworkLogsDays)
				}
			}
			r.State, r.DecisionText, r.DecidedAt, r.RetainUntil = string(to), in.Text, tx.Now, tx.Now.AddDate(0, 0, days)
		}
		r.UpdatedAt = tx.Now
		ok, err := tx.CaseUpdate(ctx, r, from, prev)
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Conflict, "violation_case.changed", "the case changed meanwhile; reload", errs.ErrConflict)
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "compliance.case_" + in.Action, SubjectType: "violation_case", SubjectID: r.ID,
			Data: map[string]any{"from": from, "to": r.State, "account": r.AccountID, "service": r.ServiceID, "text": in.Text}})
	})
	if err != nil {
		return CaseView{}, err
	}
	return a.Case(ctx, p, caseID)
}

// AddEvidence attaches a file to an open case (compliance.case.review):
// the content is stored once by its SHA-256, with who added it and when.
// Type and size rules are the tickets' (ticket.CheckFile).
func (a *App) AddEvidence(ctx context.Context, p account.Principal, caseID, name string, data []byte, note string) (EvidenceView, error) {
	if err := a.Authorize(ctx, p, "compliance.case.review", account.Object{Type: "violation_case"}); err != nil {
		return EvidenceView{}, err
	}
	f, err := ticket.CheckFile(name, data, "body.file")
	if err != nil {
		return EvidenceView{}, err
	}
	note = truncate(strings.TrimSpace(note), 500)
	var out store.EvidenceRow
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r, err := store.CaseGet(ctx, tx, caseID)
		if store.IsNotFound(err) {
			return errNotFound("violation_case")
		}
		if err != nil {
			return err
		}
		if !compliance.CaseState(r.State).Open() {
			return errs.E(errs.Conflict, CodeCaseBadTransition, "evidence is added while the case is open", map[string]any{"state": r.State})
		}
		if err := tx.TicketBlobPut(ctx, f.Hash, f.ContentType, data); err != nil {
			return err
		}
		out = store.EvidenceRow{ID: id.NewAt(tx.Now), CaseID: r.ID, BlobHash: f.Hash, Filename: f.Name, ContentType: f.ContentType, SizeBytes: f.Size,
			Note: note, AddedBy: p.AccountID, CreatedAt: tx.Now}
		if err := tx.EvidenceInsert(ctx, out); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "compliance.evidence_added", SubjectType: "violation_case", SubjectID: r.ID,
			Data: map[string]any{"evidence": out.ID, "sha256": f.Hash, "size": f.Size, "type": f.ContentType}})
	})
	if err != nil {
		return EvidenceView{}, err
	}
	return EvidenceView{ID: out.ID, Filename: out.Filename, ContentType: out.ContentType, Size: out.SizeBytes, SHA256: out.BlobHash, Note: out.Note,
		AddedBy: out.AddedBy, CreatedAt: out.CreatedAt}, nil
}

// EvidenceContent returns a piece of evidence and its bytes
// (compliance.case.read); the content's hash is checked on the way out.
func (a *App) EvidenceContent(ctx context.Context, p account.Principal, caseID, evidenceID string) (EvidenceView, []byte, error) {
	if err := a.Authorize(ctx, p, "compliance.case.read", account.Object{Type: "violation_case"}); err != nil {
		return EvidenceView{}, nil, err
	}
	e, err := store.EvidenceGet(ctx, a.db, caseID, evidenceID)
	if store.IsNotFound(err) {
		return EvidenceView{}, nil, errNotFound("evidence")
	}
	if err != nil {
		return EvidenceView{}, nil, err
	}
	b, err := store.TicketBlob(ctx, a.db, e.BlobHash)
	if err != nil {
		return EvidenceView{}, nil, err
	}
	if f, err := ticket.CheckFile(e.Filename, b, "file"); err != nil || f.Hash != e.BlobHash {
		return EvidenceView{}, nil, errors.New("evidence content does not match its hash")
	}
	return EvidenceView{ID: e.ID, Filename: e.Filename, ContentType: e.ContentType, Size: e.SizeBytes, SHA256: e.BlobHash, Note: e.Note,
		AddedBy: e.AddedBy, CreatedAt: e.CreatedAt}, b, nil
}
