package pages

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/compliance"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The compliance pages (issue 16): the public abuse report form (/abuse),
// the console's case queue with the finding form (/console/compliance)
// and a case with its signals, evidence and the reviewer's steps
// (/console/compliance/cases/{id}).

const (
	tmplAbuse          = "portal_abuse"
	tmplConsoleCases   = "console_compliance"
	tmplConsoleCase    = "console_compliance_case"
	complianceTimeForm = "2006-01-02T15:04"
)

func init() {
	pageFiles[tmplAbuse] = [2]string{"layout_portal.html", tmplAbuse + ".html"}
	pageFiles[tmplConsoleCases] = [2]string{"layout_console.html", tmplConsoleCases + ".html"}
	pageFiles[tmplConsoleCase] = [2]string{"layout_console.html", tmplConsoleCase + ".html"}
	notices["case_done"] = "page.console.compliance.notice.done"
	notices["finding"] = "page.console.compliance.notice.finding"
	notices["evidence"] = "page.console.compliance.notice.evidence"
}

func (h *handlers) registerCompliancePages(handle func(string, http.HandlerFunc), staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /abuse", h.abuse)
	handle("POST /abuse", h.abuse)
	handle("GET /console/compliance", staff(h.consoleCases))
	handle("POST /console/compliance/findings", staff(h.consoleFinding))
	handle("GET /console/compliance/cases/{id}", staff(h.consoleCase))
	handle("POST /console/compliance/cases/{id}", staff(h.consoleCaseAct))
	handle("POST /console/compliance/cases/{id}/evidence", staff(h.consoleCaseEvidence))
	handle("GET /console/compliance/cases/{id}/evidence/{evidence}", staff(h.consoleEvidence))
}

// RuleChoice is one use rule in a select.
type RuleChoice struct{ Value, Label string }

func ruleChoices(lang i18n.Lang) []RuleChoice {
	out := make([]RuleChoice, 0, len(compliance.Rules))
	for _, r := range compliance.Rules {
		out = append(out, RuleChoice{Value: string(r), Label: i18n.T(lang, "compliance.rule."+string(r), nil)})
	}
	return out
}

// AbuseView is the public report form.
type AbuseView struct {
	Page
	Form
	Rules                                   []RuleChoice
	Rule, Target, ObservedAt, Detail, Email string
	Receipt                                 string
}

func (h *handlers) abuse(w http.ResponseWriter, req *http.Request) {
	v := AbuseView{Page: h.page(req, "page.abuse.title", portalNav(), "")}
	v.Rules = ruleChoices(v.Lang)
	if req.Method == http.MethodGet {
		h.r.render(w, req, http.StatusOK, tmplAbuse, v.Lang, v)
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	v.Rule, v.Target, v.ObservedAt, v.Email = field(req, "rule"), field(req, "target"), field(req, "observed_at"), field(req, "contact")
	v.Detail = longField(req, "detail", 16000)
	in := app.AbuseReportInput{Rule: v.Rule, Target: v.Target, Detail: v.Detail, Contact: v.Email}
	if v.ObservedAt != "" {
		if t, err := time.ParseInLocation(complianceTimeForm, v.ObservedAt, clock.Shanghai); err == nil {
			in.ObservedAt = t
		}
	}
	r, err := h.app.ReportAbuse(req.Context(), in)
	if err != nil {
		var status int
		v.Form, status = h.formError(req, v.Lang, err)
		h.r.render(w, req, status, tmplAbuse, v.Lang, v)
		return
	}
	v = AbuseView{Page: v.Page, Rules: v.Rules, Receipt: r.ReceiptID}
	v.Notice = i18n.T(v.Lang, "page.abuse.received", map[string]any{"receipt": r.ReceiptID})
	h.r.render(w, req, http.StatusOK, tmplAbuse, v.Lang, v)
}

// CaseRow is a case in the queue.
type CaseRow struct {
	ID, Href, Target, Rule, RuleLabel, State, StateLabel, Account, Opened string
	Signals                                                               int64
}

// ConsoleCasesView is the case queue.
type ConsoleCasesView struct {
	Page
	Form
	Rows       []CaseRow
	AllStates  bool
	Rules      []RuleChoice
	CanReport  bool
	AccountID  string
	ServiceID  string
	FindRule   string
	FindDetail string
}

func (h *handlers) consoleCasesPage(req *http.Request, p webctx.Principal) (ConsoleCasesView, error) {
	v := ConsoleCasesView{Page: h.page(req, "page.console.compliance.title", consoleNav(), "compliance"), AllStates: req.URL.Query().Get("all") == "1",
		CanReport: account.Can(p.Principal, "compliance.report", account.Object{}).Allowed}
	v.Rules = ruleChoices(v.Lang)
	var states []string
	if v.AllStates {
		states = []string{"detected", "under_review", "confirmed", "dismissed"}
	}
	if account.Can(p.Principal, "compliance.case.read", account.Object{}).Allowed {
		cs, err := h.app.Cases(req.Context(), p.Principal, states)
		if err != nil {
			return v, err
		}
		for _, c := range cs {
			v.Rows = append(v.Rows, caseRow(v.Lang, c))
		}
	} else if !v.CanReport {
		return v, h.app.Authorize(req.Context(), p.Principal, "compliance.case.read", account.Object{})
	}
	return v, nil
}

func caseRow(lang i18n.Lang, c app.CaseView) CaseRow {
	acc := c.AccountID
	if acc == "" {
		acc = i18n.T(lang, "page.console.compliance.unattributed", nil)
	}
	return CaseRow{ID: c.ID, Href: "/console/compliance/cases/" + url.PathEscape(c.ID), Target: c.Target, Rule: c.Rule,
		RuleLabel: i18n.T(lang, "compliance.rule."+c.Rule, nil), State: c.State, StateLabel: i18n.T(lang, "compliance.state."+c.State, nil),
		Account: acc, Opened: shortTime(c.CreatedAt), Signals: c.SignalCount}
}

func (h *handlers) consoleCases(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.consoleCasesPage(req, p)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	h.r.render(w, req, http.StatusOK, tmplConsoleCases, v.Lang, v)
}

func (h *handlers) consoleFinding(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	in := app.FindingInput{AccountID: field(req, "account_id"), ServiceID: field(req, "service_id"), Rule: field(req, "rule"),
		Detail: longField(req, "detail", 16000)}
	c, err := h.app.RaiseFinding(req.Context(), p.Principal, in)
	if err != nil {
		v, perr := h.consoleCasesPage(req, p)
		if perr != nil {
			h.actionError(w, req, perr)
			return
		}
		var status int
		v.Form, status = h.formError(req, v.Lang, err)
		v.AccountID, v.ServiceID, v.FindRule, v.FindDetail = in.AccountID, in.ServiceID, in.Rule, in.Detail
		h.r.render(w, req, status, tmplConsoleCases, v.Lang, v)
		return
	}
	if account.Can(p.Principal, "compliance.case.read", account.Object{}).Allowed {
		http.Redirect(w, req, "/console/compliance/cases/"+url.PathEscape(c.ID)+"?done=finding", http.StatusSeeOther)
		return
	}
	http.Redirect(w, req, "/console/compliance?done=finding", http.StatusSeeOther)
}

// ConsoleCaseView is one case.
type ConsoleCaseView struct {
	Page
	Form
	Case                                            CaseRow
	Clause, Reviewer, Decision, Decided, RetainTill string
	ServiceID                                       string
	Open, UnderReview, Detected, CanReview          bool
	CanExport                                       bool // compliance.disclosure.manage (authority.go)
	Signals                                         []ConsoleSignalRow
	Evidence                                        []ConsoleEvidenceRow
}

// ConsoleSignalRow is one signal.
type ConsoleSignalRow struct{ Source, Observed, Detail, Reporter, By, At string }

// ConsoleEvidenceRow is one piece of evidence.
type ConsoleEvidenceRow struct{ Href, Name, Type, Size, SHA, Note, By, At string }

func (h *handlers) consoleCasePage(req *http.Request, p webctx.Principal) (ConsoleCaseView, error) {
	c, err := h.app.Case(req.Context(), p.Principal, req.PathValue("id"))
	v := ConsoleCaseView{Page: h.page(req, "page.console.compliance.case.title", consoleNav(), "compliance")}
	if err != nil {
		return v, err
	}
	v.Case = caseRow(v.Lang, c)
	v.Clause, v.Reviewer, v.Decision, v.Decided, v.RetainTill = c.Clause, c.ReviewerID, c.DecisionText, shortTime(c.DecidedAt), shortTime(c.RetainUntil)
	v.ServiceID = c.ServiceID
	st := compliance.CaseState(c.State)
	v.Open, v.UnderReview, v.Detected = st.Open(), st == compliance.CaseUnderReview, st == compliance.CaseDetected
	v.CanReview = account.Can(p.Principal, "compliance.case.review", account.Object{}).Allowed
	v.CanExport = account.Can(p.Principal, "compliance.disclosure.manage", account.Object{}).Allowed
	for _, s := range c.Signals {
		v.Signals = append(v.Signals, ConsoleSignalRow{Source: i18n.T(v.Lang, "compliance.source."+s.Source, nil), Observed: shortTime(s.ObservedAt),
			Detail: s.Detail, Reporter: s.Reporter, By: s.CreatedBy, At: shortTime(s.CreatedAt)})
	}
	for _, e := range c.Evidence {
		v.Evidence = append(v.Evidence, ConsoleEvidenceRow{Href: v.Case.Href + "/evidence/" + url.PathEscape(e.ID), Name: e.Filename, Type: e.ContentType,
			Size: strconv.FormatInt(e.Size, 10), SHA: e.SHA256, Note: e.Note, By: e.AddedBy, At: shortTime(e.CreatedAt)})
	}
	return v, nil
}

func (h *handlers) consoleCase(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.consoleCasePage(req, p)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	h.r.render(w, req, http.StatusOK, tmplConsoleCase, v.Lang, v)
}

func (h *handlers) consoleCaseAct(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	_, err := h.app.ActOnCase(req.Context(), p.Principal, id, app.CaseAction{Action: field(req, "action"), AccountID: field(req, "account_id"),
		ServiceID: field(req, "service_id"), Text: longField(req, "text", 8000)})
	if err != nil {
		h.caseError(w, req, p, err)
		return
	}
	http.Redirect(w, req, "/console/compliance/cases/"+url.PathEscape(id)+"?done=case_done", http.StatusSeeOther)
}

func (h *handlers) caseError(w http.ResponseWriter, req *http.Request, p webctx.Principal, err error) {
	v, perr := h.consoleCasePage(req, p)
	if perr != nil {
		h.actionError(w, req, perr)
		return
	}
	var status int
	v.Form, status = h.formError(req, v.Lang, err)
	h.r.render(w, req, status, tmplConsoleCase, v.Lang, v)
}

func (h *handlers) consoleCaseEvidence(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	files, ok := h.parseUpload(w, req)
	if !ok {
		return
	}
	id := req.PathValue("id")
	if len(files) == 0 {
		files = []app.AttachmentInput{{}}
	}
	f := files[0]
	if _, err := h.app.AddEvidence(req.Context(), p.Principal, id, f.Name, f.Data, field(req, "note")); err != nil {
		h.caseError(w, req, p, err)
		return
	}
	http.Redirect(w, req, "/console/compliance/cases/"+url.PathEscape(id)+"?done=evidence", http.StatusSeeOther)
}

func (h *handlers) consoleEvidence(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	e, b, err := h.app.EvidenceContent(req.Context(), p.Principal, req.PathValue("id"), req.PathValue("evidence"))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", e.ContentType)
	hd.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(e.Filename))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "private, no-store")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		_, _ = w.Write(b)
	}
}
