package pages

import (
	"net/http"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// Re-acceptance after a material revision (issue 8; clause 9.4, SPC
// interpretation art. 10): while the version in force is a material
// revision the signed-in customer has not accepted, every portal page
// shows a banner linking to /account/agreement, which lists the key
// clauses one by one (each with its own checkbox and "explain" link), the
// version and its SHA-256, and records the acceptance.
const tmplAgreementReaccept = "agreement_reaccept"

// reacceptPath is the portal's re-acceptance page.
const reacceptPath = "/account/agreement"

func init() {
	pageFiles[tmplAgreementReaccept] = [2]string{"layout_portal.html", "agreement_reaccept.html"}
}

// ReacceptBanner is the portal banner asking for re-acceptance; nil when
// none is needed.
type ReacceptBanner struct {
	VersionID, Href string
}

// ReacceptView is the re-acceptance page.
type ReacceptView struct {
	Page
	Form
	Needed                      bool // a material revision awaits acceptance
	VersionID, Title, SHA256    string
	EffectiveAt                 string
	KeyClauses                  []KeyClauseView
	AcceptedVersion, AcceptedAt string // the latest acceptance on record
}

// acceptingAccount is the account a customer's acceptance binds (a
// sub-user's: its enterprise's).
func acceptingAccount(p account.Principal) string {
	if p.Kind == account.KindSubUser && p.OwnerID != "" {
		return p.OwnerID
	}
	return p.AccountID
}

// reacceptBanner is the banner for the request's signed-in customer, nil
// for visitors, staff, the re-acceptance page itself, or when nothing is
// pending (errors hide the banner: the checkout still refuses).
func (h *handlers) reacceptBanner(req *http.Request) *ReacceptBanner {
	p, ok := principal(req)
	if !ok || !p.Customer() || req.URL.Path == reacceptPath || isConsole(req.URL.Path) {
		return nil
	}
	need, v, err := h.app.AgreementNeedsAcceptance(req.Context(), acceptingAccount(p.Principal))
	if err != nil || !need {
		return nil
	}
	return &ReacceptBanner{VersionID: v.ID, Href: reacceptPath}
}

func (h *handlers) registerReaccept(handle func(string, http.HandlerFunc)) {
	handle("GET "+reacceptPath, h.customerOnly(h.accountAgreement))
	handle("POST "+reacceptPath, h.customerOnly(h.accountAgreement))
}

// accountAgreement shows the version in force for acceptance and, on POST,
// records it (SHA-256 shown, clauses ticked, user agent), then 303 back.
func (h *handlers) accountAgreement(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	ctx := req.Context()
	view := ReacceptView{Page: h.page(req, "page.agreement.reaccept.title", portalNav(), "account")}
	status := http.StatusOK
	var checked []string
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		checked = req.PostForm["ack"]
		_, err := h.app.AgreementAccept(ctx, p.Principal, app.AcceptInput{VersionID: field(req, "version_id"), SHA256: field(req, "sha256"),
			Acknowledged: checked, UserAgent: req.UserAgent()})
		if err == nil {
			http.Redirect(w, req, reacceptPath+"?done=accepted", http.StatusSeeOther)
			return
		}
		view.Form, status = h.formError(req, view.Lang, err)
		if status == http.StatusForbidden {
			h.errorPage(w, req, http.StatusForbidden, "page.error.forbidden.title", "page.error.forbidden.text")
			return
		}
	} else if req.URL.Query().Get("done") == "accepted" {
		view.Notice = i18n.T(view.Lang, "page.agreement.reaccept.done", nil)
	}
	need, v, err := h.app.AgreementNeedsAcceptance(ctx, acceptingAccount(p.Principal))
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	view.Needed, view.VersionID, view.Title, view.SHA256, view.EffectiveAt = need, v.ID, v.Title, v.SHA256, fmtInstant(v)
	for _, id := range v.Doc.KeyClauses() {
		c, _ := v.Doc.Clause(id)
		title, _ := c.In(string(view.Lang))
		kc := KeyClauseView{ID: string(id), Title: title, Explain: c.Explain.In(string(view.Lang)), ExplainHref: explainHref(v.ID, id)}
		for _, x := range checked {
			kc.Checked = kc.Checked || x == string(id)
		}
		view.KeyClauses = append(view.KeyClauses, kc)
	}
	if rs, err := h.app.AgreementMyAcceptances(ctx, p.Principal); err == nil && len(rs) > 0 {
		view.AcceptedVersion, view.AcceptedAt = rs[0].VersionID, rs[0].At.In(clock.Shanghai).Format("2006-01-02 15:04")
	}
	h.r.render(w, req, status, tmplAgreementReaccept, view.Lang, view)
}
