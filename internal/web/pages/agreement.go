package pages

import (
	"net/http"

	"yuanxu/internal/account"
	"yuanxu/internal/agreement"
	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/errs"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// Agreement pages (issue 8): the public agreement, its past versions, a
// diff between any two, "explain this clause" (logged), and the key
// clauses of the registration form.
const (
	tmplAgreement         = "agreement"
	tmplAgreementVersions = "agreement_versions"
	tmplAgreementDiff     = "agreement_diff"
	tmplAgreementExplain  = "agreement_explain"
	tmplConsoleAgreement  = "console_agreement"
)

func init() {
	pageFiles[tmplAgreement] = [2]string{"layout_portal.html", "agreement.html"}
	pageFiles[tmplAgreementVersions] = [2]string{"layout_portal.html", "agreement_versions.html"}
	pageFiles[tmplAgreementDiff] = [2]string{"layout_portal.html", "agreement_diff.html"}
	pageFiles[tmplAgreementExplain] = [2]string{"layout_portal.html", "agreement_explain.html"}
	pageFiles[tmplConsoleAgreement] = [2]string{"layout_console.html", "console_agreement.html"}
}

// ClauseView is one clause as shown.
type ClauseView struct {
	ID, Title, Body, Explain string
	Key                      bool
	Level                    int
	ExplainHref              string
}

// AgreementView is one version's page.
type AgreementView struct {
	Page
	VersionID, Title, SHA256, State, Entity string
	EffectiveAt                             string
	Current                                 bool
	Clauses                                 []ClauseView
}

// VersionRow is one line of the versions list.
type VersionRow struct {
	ID, Title, State, SHA256, EffectiveAt, SupersededAt string
	Material                                            bool
}

// AgreementVersionsView lists every published version.
type AgreementVersionsView struct {
	Page
	Versions []VersionRow
}

// DiffRow is one changed clause.
type DiffRow struct{ ID, Change, Title, Unified string }

// AgreementDiffView compares two versions.
type AgreementDiffView struct {
	Page
	From, To string
	Rows     []DiffRow
}

// ExplainView is the explanation of one clause.
type ExplainView struct {
	Page
	VersionID, ClauseID, Title, Text string
}

// KeyClauseView is a key clause of the registration form: its own checkbox
// and an "explain" link.
type KeyClauseView struct {
	ID, Title, Explain, ExplainHref string
	Checked                         bool
}

func explainHref(versionID string, id agreement.ClauseID) string {
	return "/agreement/explain?version=" + versionID + "&clause=" + string(id)
}

func fmtInstant(v app.AgreementVersion) string {
	if v.EffectiveAt.IsZero() {
		return ""
	}
	return v.EffectiveAt.In(clock.Shanghai).Format("2006-01-02 15:04")
}

func (h *handlers) registerAgreementRoutes(handle func(string, http.HandlerFunc), staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /agreement", h.agreementPage)
	handle("GET /agreement/versions", h.agreementVersions)
	handle("GET /agreement/versions/{id}", h.agreementPage)
	handle("GET /agreement/diff", h.agreementDiff)
	handle("GET /agreement/explain", h.agreementExplain)
	handle("GET /console/agreement", staff(h.consoleAgreement))
	h.registerAgreementConsole(handle, staff)
	h.registerReaccept(handle) // agreement_reaccept.go
}

func optPrincipal(req *http.Request) *account.Principal {
	if p, ok := principal(req); ok {
		return &p.Principal
	}
	return nil
}

func (h *handlers) agreementPage(w http.ResponseWriter, req *http.Request) {
	ctx := req.Context()
	var v app.AgreementVersion
	var err error
	if id := req.PathValue("id"); id != "" {
		v, err = h.app.AgreementVersionGet(ctx, optPrincipal(req), id)
	} else {
		v, err = h.app.AgreementCurrent(ctx)
	}
	if err != nil {
		h.agreementError(w, req, err)
		return
	}
	view := AgreementView{Page: h.page(req, "page.agreement.title", portalNav(), ""), VersionID: v.ID, Title: v.Title, SHA256: v.SHA256,
		State: string(v.State), Entity: v.Doc.Entity.Name, EffectiveAt: fmtInstant(v), Current: req.PathValue("id") == ""}
	lang := string(view.Lang)
	for _, c := range v.Doc.Clauses {
		title, body := c.In(lang)
		cv := ClauseView{ID: string(c.ID), Title: title, Body: body, Key: c.Key, Level: c.Level, Explain: c.Explain.In(lang)}
		if c.Key {
			cv.ExplainHref = explainHref(v.ID, c.ID)
		}
		view.Clauses = append(view.Clauses, cv)
	}
	h.r.render(w, req, http.StatusOK, tmplAgreement, view.Lang, view)
}

func (h *handlers) agreementError(w http.ResponseWriter, req *http.Request, err error) {
	if errs.KindOf(err) == errs.NotFound {
		h.notFound(w, req)
		return
	}
	h.internalError(w, req, err)
}

func (h *handlers) agreementVersions(w http.ResponseWriter, req *http.Request) {
	vs, err := h.app.AgreementVersions(req.Context(), optPrincipal(req))
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	view := AgreementVersionsView{Page: h.page(req, "page.agreement.versions.title", portalNav(), "")}
	for _, v := range vs {
		if v.State == agreement.StateDraft {
			continue
		}
		row := VersionRow{ID: v.ID, Title: v.Title, State: string(v.State), SHA256: v.SHA256, EffectiveAt: fmtInstant(v), Material: v.Material}
		if !v.SupersededAt.IsZero() {
			row.SupersededAt = v.SupersededAt.In(clock.Shanghai).Format("2006-01-02 15:04")
		}
		view.Versions = append(view.Versions, row)
	}
	h.r.render(w, req, http.StatusOK, tmplAgreementVersions, view.Lang, view)
}

func (h *handlers) agreementDiff(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	from, to, d, err := h.app.AgreementDiff(req.Context(), optPrincipal(req), q.Get("from"), q.Get("to"))
	if err != nil {
		h.agreementError(w, req, err)
		return
	}
	view := AgreementDiffView{Page: h.page(req, "page.agreement.diff.title", portalNav(), ""), From: from.ID, To: to.ID}
	for _, c := range d {
		view.Rows = append(view.Rows, DiffRow{ID: string(c.ID), Change: string(c.Change), Title: diffTitle(c), Unified: agreement.Unified(c.Lines, 2)})
	}
	h.r.render(w, req, http.StatusOK, tmplAgreementDiff, view.Lang, view)
}

func (h *handlers) agreementExplain(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	lang := i18n.FromRequest(req)
	e, err := h.app.AgreementExplain(req.Context(), optPrincipal(req), q.Get("version"), q.Get("clause"), string(lang), "web")
	if err != nil {
		h.agreementError(w, req, err)
		return
	}
	view := ExplainView{Page: h.page(req, "page.agreement.explain.title", portalNav(), ""), VersionID: e.VersionID, ClauseID: e.ClauseID,
		Title: e.Title, Text: e.Text}
	h.r.render(w, req, http.StatusOK, tmplAgreementExplain, view.Lang, view)
}

// ConsoleAgreementView is the console's versions and acceptances page.
type ConsoleAgreementView struct {
	Page
	Form
	Versions    []VersionRow
	Acceptances []app.Acceptance
}

func (h *handlers) consoleAgreement(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	h.renderConsoleAgreement(w, req, p, nil)
}

// renderConsoleAgreement renders the versions page, with formErr (a refused
// new draft) shown when set.
func (h *handlers) renderConsoleAgreement(w http.ResponseWriter, req *http.Request, p webctx.Principal, formErr error) {
	view := ConsoleAgreementView{Page: h.page(req, "page.agreement.console.title", consoleNav(), "agreement")}
	status := http.StatusOK
	if formErr != nil {
		view.Form, status = h.formError(req, view.Lang, formErr)
	}
	vs, err := h.app.AgreementVersions(req.Context(), &p.Principal)
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	for _, v := range vs {
		view.Versions = append(view.Versions, VersionRow{ID: v.ID, Title: v.Title, State: string(v.State), SHA256: v.SHA256, EffectiveAt: fmtInstant(v), Material: v.Material})
	}
	if rs, err := h.app.AgreementAcceptances(req.Context(), p.Principal, "", 100); err == nil {
		view.Acceptances = rs
	}
	h.r.render(w, req, status, tmplConsoleAgreement, view.Lang, view)
}

// registerKeyClauses fills the key clauses of the registration form from
// the version in force; checked are the ids the form sent back.
func (h *handlers) registerKeyClauses(req *http.Request, lang i18n.Lang, checked []string) ([]KeyClauseView, string, string) {
	v, err := h.app.AgreementCurrent(req.Context())
	if err != nil {
		return nil, "", ""
	}
	var out []KeyClauseView
	for _, id := range v.Doc.KeyClauses() {
		c, _ := v.Doc.Clause(id)
		title, _ := c.In(string(lang))
		kc := KeyClauseView{ID: string(id), Title: title, Explain: c.Explain.In(string(lang)), ExplainHref: explainHref(v.ID, id)}
		for _, x := range checked {
			kc.Checked = kc.Checked || x == string(id)
		}
		out = append(out, kc)
	}
	return out, v.ID, v.SHA256
}

// diffTitle is the clause's title after the change (before, if removed).
func diffTitle(c agreement.ClauseDiff) string {
	if c.New != nil {
		return c.New.Title
	}
	if c.Old != nil {
		return c.Old.Title
	}
	return ""
}
