package pages

import (
	"net/http"
	"net/url"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/compliance"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The measure and appeal pages (issue 16; clauses 4.2, 6.2): the
// customer's /measures (each measure with the use rule, the evidence
// summary, the reason, whether the notice reached them, the appeal
// deadline, and the appeal form with attachments) and the console's
// /console/measures (impose a measure on a confirmed case, confirm an
// emergency suspension, and the appeal queue with the reviewer's steps).

const (
	tmplPortalMeasures  = "portal_measures"
	tmplConsoleMeasures = "console_measures"
)

func init() {
	pageFiles[tmplPortalMeasures] = [2]string{"layout_portal.html", tmplPortalMeasures + ".html"}
	pageFiles[tmplConsoleMeasures] = [2]string{"layout_console.html", tmplConsoleMeasures + ".html"}
	notices["appealed"] = "page.measures.notice.appealed"
	notices["measure"] = "page.console.measures.notice.done"
}

func (h *handlers) registerMeasurePages(handle func(string, http.HandlerFunc), cust, staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /measures", cust(h.portalMeasures))
	handle("POST /measures/{id}/appeal", cust(h.portalAppeal))
	handle("GET /console/measures", staff(h.consoleMeasures))
	handle("POST /console/measures", staff(h.consoleImpose))
	handle("POST /console/measures/{id}/confirm", staff(h.consoleConfirmEmergency))
	handle("POST /console/appeals/{id}", staff(h.consoleDecideAppeal))
}

// MeasureRow is a measure as the pages show it.
type MeasureRow struct {
	ID, Kind, KindLabel, State, StateLabel, RuleLabel, Clause, Reason, Evidence string
	Notice, NoticeLabel, NoticeAt, AppealDue, Created, Ended, Account, Service  string
	ConfirmBy, ImposedBy                                                        string
	Emergency, InForce, Unconfirmed, Appealable                                 bool
	// AccountEnded: a ban made final ended the account; PaybackHeld names
	// the authority order holding its balance (compliance_banend.go).
	AccountEnded bool
	PaybackHeld  string
}

// AppealRow is an appeal as the pages show it.
type AppealRow struct {
	ID, State, StateLabel, Statement, Ticket, TicketHref, Measure, MeasureLabel string
	Reviewer, Decision, Created, ReviewDue, Account                             string
	Open, UnderReview, Overdue                                                  bool
}

func measureRow(lang i18n.Lang, m app.MeasureView) MeasureRow {
	r := MeasureRow{ID: m.ID, Kind: m.Kind, KindLabel: i18n.T(lang, "measure.kind."+m.Kind, nil), State: m.State,
		StateLabel: i18n.T(lang, "measure.state."+m.State, nil), RuleLabel: i18n.T(lang, "compliance.rule."+m.Rule, nil), Clause: m.Clause,
		Reason: m.Reason, Evidence: m.Evidence, Notice: m.Notice, NoticeLabel: i18n.T(lang, "measure.notice."+m.Notice, nil),
		NoticeAt: shortTime(m.NoticeAt), AppealDue: m.AppealDueDay, Created: shortTime(m.CreatedAt), Ended: shortTime(m.EndedAt),
		Account: m.AccountID, Service: m.ServiceID, ConfirmBy: shortTime(m.ConfirmBy), ImposedBy: m.ImposedBy, Emergency: m.Emergency,
		InForce: m.State == string(compliance.MeasureInForce), AccountEnded: m.AccountEnded, PaybackHeld: m.PaybackHeld}
	r.Unconfirmed = r.Emergency && r.InForce && m.ConfirmedBy == ""
	r.Appealable = r.InForce && !r.Unconfirmed && !r.AccountEnded
	return r
}

func appealRow(lang i18n.Lang, a app.AppealView) AppealRow {
	return AppealRow{ID: a.ID, State: a.State, StateLabel: i18n.T(lang, "appeal.state."+a.State, nil), Statement: a.Statement, Ticket: a.TicketID,
		TicketHref: "/tickets/" + url.PathEscape(a.TicketID), Measure: a.MeasureID, MeasureLabel: i18n.T(lang, "measure.kind."+a.Measure.Kind, nil),
		Reviewer: a.ReviewerID, Decision: a.DecisionText, Created: shortTime(a.CreatedAt), ReviewDue: shortTime(a.ReviewDue), Account: a.AccountID,
		Open: a.State == string(compliance.AppealOpen), UnderReview: a.State == string(compliance.AppealUnderReview), Overdue: a.Overdue}
}

// PortalMeasuresView is the customer's measures and appeals.
type PortalMeasuresView struct {
	Page
	Form
	Measures  []MeasureRow
	Appeals   []AppealRow
	Statement string
}

func (h *handlers) portalMeasuresPage(req *http.Request, p webctx.Principal) (PortalMeasuresView, error) {
	v := PortalMeasuresView{Page: h.page(req, "page.measures.title", portalNav(), "account")}
	ms, err := h.app.MyMeasures(req.Context(), p.Principal)
	if err != nil {
		return v, err
	}
	as, err := h.app.Appeals(req.Context(), p.Principal, nil)
	if err != nil {
		return v, err
	}
	open := map[string]bool{}
	for _, a := range as {
		v.Appeals = append(v.Appeals, appealRow(v.Lang, a))
		if a.State == string(compliance.AppealOpen) || a.State == string(compliance.AppealUnderReview) {
			open[a.MeasureID] = true
		}
	}
	for _, m := range ms {
		r := measureRow(v.Lang, m)
		r.Appealable = r.Appealable && !open[m.ID]
		v.Measures = append(v.Measures, r)
	}
	return v, nil
}

func (h *handlers) portalMeasures(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.portalMeasuresPage(req, p)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	h.r.render(w, req, http.StatusOK, tmplPortalMeasures, v.Lang, v)
}

func (h *handlers) portalAppeal(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	files, ok := h.parseUpload(w, req)
	if !ok {
		return
	}
	statement := longField(req, "statement", 16000)
	_, err := h.app.FileAppeal(req.Context(), p.Principal, app.AppealInput{MeasureID: req.PathValue("id"), Statement: statement, Attachments: files})
	if err != nil {
		v, perr := h.portalMeasuresPage(req, p)
		if perr != nil {
			h.actionError(w, req, perr)
			return
		}
		var status int
		v.Form, status = h.formError(req, v.Lang, err)
		v.Statement = statement
		h.r.render(w, req, status, tmplPortalMeasures, v.Lang, v)
		return
	}
	http.Redirect(w, req, "/measures?done=appealed", http.StatusSeeOther)
}

// ConsoleMeasuresView is the console's measures and appeal queue.
type ConsoleMeasuresView struct {
	Page
	Form
	Measures                        []MeasureRow
	Appeals                         []AppealRow
	Kinds                           []RuleChoice
	CanImpose, CanDecide            bool
	CaseID, Kind, ServiceID, Reason string
}

func (h *handlers) consoleMeasuresPage(req *http.Request, p webctx.Principal) (ConsoleMeasuresView, error) {
	v := ConsoleMeasuresView{Page: h.page(req, "page.console.measures.title", consoleNav(), "measures"),
		CanImpose: account.Can(p.Principal, "compliance.measure.impose", account.Object{}).Allowed,
		CanDecide: account.Can(p.Principal, "appeal.decide", account.Object{}).Allowed}
	for _, k := range []compliance.Measure{compliance.MeasureRestrict, compliance.MeasureSuspend, compliance.MeasureBan} {
		v.Kinds = append(v.Kinds, RuleChoice{Value: string(k), Label: i18n.T(v.Lang, "measure.kind."+string(k), nil)})
	}
	ms, err := h.app.ComplianceMeasures(req.Context(), p.Principal, "", nil)
	if err != nil {
		return v, err
	}
	for _, m := range ms {
		v.Measures = append(v.Measures, measureRow(v.Lang, m))
	}
	as, err := h.app.Appeals(req.Context(), p.Principal, nil)
	if err != nil {
		return v, err
	}
	for _, a := range as {
		v.Appeals = append(v.Appeals, appealRow(v.Lang, a))
	}
	return v, nil
}

func (h *handlers) consoleMeasures(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.consoleMeasuresPage(req, p)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	h.r.render(w, req, http.StatusOK, tmplConsoleMeasures, v.Lang, v)
}

// consoleMeasureError shows the page again with the refusal.
func (h *handlers) consoleMeasureError(w http.ResponseWriter, req *http.Request, p webctx.Principal, err error, keep func(*ConsoleMeasuresView)) {
	v, perr := h.consoleMeasuresPage(req, p)
	if perr != nil {
		h.actionError(w, req, perr)
		return
	}
	var status int
	v.Form, status = h.formError(req, v.Lang, err)
	if keep != nil {
		keep(&v)
	}
	h.r.render(w, req, status, tmplConsoleMeasures, v.Lang, v)
}

func (h *handlers) consoleImpose(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	caseID := field(req, "case_id")
	in := app.MeasureInput{Kind: field(req, "kind"), ServiceID: field(req, "service_id"), Reason: longField(req, "reason", 8000)}
	if _, err := h.app.ImposeMeasure(req.Context(), p.Principal, caseID, in); err != nil {
		h.consoleMeasureError(w, req, p, err, func(v *ConsoleMeasuresView) {
			v.CaseID, v.Kind, v.ServiceID, v.Reason = caseID, in.Kind, in.ServiceID, in.Reason
		})
		return
	}
	http.Redirect(w, req, "/console/measures?done=measure", http.StatusSeeOther)
}

func (h *handlers) consoleConfirmEmergency(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	if _, err := h.app.ConfirmEmergency(req.Context(), p.Principal, req.PathValue("id")); err != nil {
		h.consoleMeasureError(w, req, p, err, nil)
		return
	}
	http.Redirect(w, req, "/console/measures?done=measure", http.StatusSeeOther)
}

func (h *handlers) consoleDecideAppeal(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	d := app.AppealDecision{Action: field(req, "action"), Text: longField(req, "text", 8000)}
	if _, err := h.app.DecideAppeal(req.Context(), p.Principal, req.PathValue("id"), d); err != nil {
		h.consoleMeasureError(w, req, p, err, nil)
		return
	}
	http.Redirect(w, req, "/console/measures?done=measure", http.StatusSeeOther)
}
