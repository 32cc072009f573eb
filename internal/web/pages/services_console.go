package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/catalog"
	"yuanxu/internal/id"
	"yuanxu/internal/service"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The console's services pages: the list with filters (account.read_any)
// and one service with suspend/resume for compliance
// (compliance.measure.impose) and term extensions (service.operate).

// ConsoleServicesView lists services by account, state and kind.
type ConsoleServicesView struct {
	Page
	Form
	Errs             ccFieldErrs
	AccountID, State string
	Kind             string
	States, Kinds    []ConsoleOption
	Rows             []ConsoleServiceRow
	NextHref         string
}

// ConsoleServiceRow is one service of the list.
type ConsoleServiceRow struct {
	SvcSummary
	AccountID string
}

// ConsoleServiceView is one service with the staff forms the viewer may
// use. FormID names the form an error belongs to.
type ConsoleServiceView struct {
	Page
	Form
	FormID    string
	Errs      ccFieldErrs
	Service   SvcSummary
	AccountID string
	ProductID string
	PlanID    string
	Events    []SvcEvent
	// Suspend and resume for compliance: CanSuspend holds the permission;
	// Compliance says whether the compliance reason is in force (resume
	// rather than suspend).
	CanSuspend, Compliance bool
	CanExtend              bool
	// HeldBy is the compliance measure in force that keeps the service
	// suspended and ends only on appeal (nil when none): the resume form
	// gives way to a note naming it. Release says the compliance
	// suspension is an unconfirmed emergency measure, which the resume
	// releases.
	HeldBy  *app.MeasureHold
	Release bool
	// What was typed into a refused form.
	Note, Hours, ExtendReason string
	ExtendReasons             []ConsoleOption
}

// ccServicesPage is the list's page size.
const ccServicesPage = 50

// ccExtendReasons are the reasons staff may extend a term for.
var ccExtendReasons = []string{string(service.ExtendGoodwill), string(service.ExtendOutage)}

// consoleServices lists services (account.read_any), newest first, by
// account id, state and kind, paged by ?before=.
func (h *handlers) consoleServices(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "account.read_any", "service") {
		return
	}
	q := req.URL.Query()
	v := ConsoleServicesView{Page: h.page(req, "page.console.services.title", consoleNav(), "services"), Errs: ccFieldErrs{},
		AccountID: bounded(strings.TrimSpace(q.Get("account"))), State: bounded(q.Get("state")), Kind: bounded(q.Get("kind"))}
	v.States = ccOptions(v.Lang, "page.services.state.", append([]string{""}, svcStates...), v.State)
	v.States[0].Label = i18n.T(v.Lang, "page.console.commerce.any", nil)
	kinds := []string{""}
	for _, k := range catalog.Kinds {
		kinds = append(kinds, string(k))
	}
	v.Kinds = ccOptions(v.Lang, "page.shop.kind.", kinds, v.Kind)
	v.Kinds[0].Label = i18n.T(v.Lang, "page.console.commerce.any", nil)
	if v.State != "" && !slices.Contains(svcStates, v.State) {
		v.Errs.add(v.Lang, "state", "enum")
	}
	if v.Kind != "" && !slices.Contains(kinds, v.Kind) {
		v.Errs.add(v.Lang, "kind", "enum")
	}
	if v.AccountID != "" && !id.Valid(v.AccountID) {
		v.Errs.add(v.Lang, "account", "id")
	}
	before := bounded(q.Get("before"))
	if before != "" && !id.Valid(before) {
		before = ""
	}
	if len(v.Errs) > 0 {
		v.Form = ccInvalidForm(v.Lang)
		h.r.render(w, req, http.StatusUnprocessableEntity, tmplConsoleServices, v.Lang, v)
		return
	}
	f := app.ServiceListFilter{AccountID: v.AccountID, Kind: v.Kind, Before: before, Limit: ccServicesPage + 1}
	if v.State != "" {
		f.States = []string{v.State}
	}
	list, err := h.app.Services(req.Context(), p.Principal, f)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	if len(list) > ccServicesPage {
		list = list[:ccServicesPage]
		next := url.Values{"before": {list[len(list)-1].ID}}
		for k, val := range map[string]string{"account": v.AccountID, "state": v.State, "kind": v.Kind} {
			if val != "" {
				next.Set(k, val)
			}
		}
		v.NextHref = "/console/services?" + next.Encode()
	}
	now := h.app.Now()
	for _, sv := range list {
		r := ConsoleServiceRow{SvcSummary: svcSummary(v.Lang, sv, "", now), AccountID: sv.AccountID}
		r.Href = "/console/services/" + url.PathEscape(sv.ID)
		v.Rows = append(v.Rows, r)
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleServices, v.Lang, v)
}

// consoleServicePage renders one service with the forms the viewer may
// use; form carries a refused action's message and typed values.
func (h *handlers) consoleServicePage(w http.ResponseWriter, req *http.Request, p webctx.Principal, status int, edit func(*ConsoleServiceView)) {
	sv, err := h.app.Service(req.Context(), p.Principal, bounded(req.PathValue("id")))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := ConsoleServiceView{Page: h.page(req, "page.console.service.title", consoleNav(), "services"), Errs: ccFieldErrs{},
		AccountID: sv.AccountID, ProductID: sv.ProductID, PlanID: sv.PlanID, Hours: "24", ExtendReason: string(service.ExtendGoodwill)}
	v.Service = svcSummary(v.Lang, sv, "", h.app.Now())
	v.Events = svcEvents(v.Lang, sv.Events, true)
	live := v.Service.Live
	v.CanSuspend = live && p.Holds("compliance.measure.impose")
	v.CanExtend = live && p.Holds("service.operate")
	v.Compliance = slices.ContainsFunc(sv.Suspensions, func(s app.SuspensionView) bool { return s.Reason == string(service.ReasonCompliance) })
	if v.CanSuspend && v.Compliance {
		if hs, err := h.app.ServiceHolds(req.Context(), p.Principal, sv.ID); err == nil {
			for _, m := range hs {
				if !m.Releasable {
					v.HeldBy = &m
					break
				}
				v.Release = true
			}
		}
	}
	v.Notice = doneNotice(req, v.Lang)
	if edit != nil {
		edit(&v)
	}
	v.ExtendReasons = ccOptions(v.Lang, "page.services.extend_reason.", ccExtendReasons, v.ExtendReason)
	h.r.render(w, req, status, tmplConsoleServiceDetail, v.Lang, v)
}

// consoleService shows one service (account.read_any).
func (h *handlers) consoleService(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "account.read_any", "service") {
		return
	}
	h.consoleServicePage(w, req, p, http.StatusOK, nil)
}

// ccServiceActions maps each action to the permission it needs.
var ccServiceActions = map[string]account.Permission{
	"suspend": "compliance.measure.impose",
	"resume":  "compliance.measure.impose",
	"extend":  "service.operate",
}

// consoleServiceAction suspends or resumes a service for compliance, or
// extends its term (hours, goodwill or outage), with a note; a refused
// action shows the page again with its message and what was typed.
func (h *handlers) consoleServiceAction(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "account.read_any", "service") {
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	action, note := field(req, "action"), field(req, "note")
	hours, reason := field(req, "hours"), field(req, "reason")
	formID := "compliance"
	if action == "extend" {
		formID = "extend"
	}
	keep := func(f Form, fe ccFieldErrs) func(*ConsoleServiceView) {
		return func(v *ConsoleServiceView) {
			v.Form, v.FormID, v.Note = f, formID, note
			if fe != nil {
				v.Errs = fe
			}
			if action == "extend" {
				v.Hours, v.ExtendReason = hours, reason
			}
		}
	}
	lang := i18n.FromRequest(req)
	perm, ok := ccServiceActions[action]
	if !ok {
		h.consoleServicePage(w, req, p, http.StatusUnprocessableEntity, keep(Form{Error: i18n.T(lang, "page.console.service.unknown_action", nil)}, nil))
		return
	}
	if !h.ccAuthorize(w, req, p, perm, "service") {
		return
	}
	in := app.StaffServiceAction{Action: action, Reason: string(service.ReasonCompliance), Note: note}
	fe := ccFieldErrs{}
	if action == "extend" {
		in.Reason = reason
		if n, ok := ccIntField(lang, fe, "hours", hours, 1, 8784); ok {
			in.Hours = int(n)
		}
	}
	if note == "" {
		fe.add(lang, "note", "required")
	}
	if len(fe) > 0 {
		h.consoleServicePage(w, req, p, http.StatusUnprocessableEntity, keep(ccInvalidForm(lang), fe))
		return
	}
	if _, err := h.app.StaffServiceAct(req.Context(), p.Principal, req.PathValue("id"), in); err != nil {
		if s := statusOfErr(err); s == http.StatusNotFound || s == http.StatusForbidden {
			h.actionError(w, req, err)
			return
		}
		fe := ccFieldErrs{}
		f, status := h.ccFormError(req, lang, err, fe, func(n string) string {
			if slices.Contains([]string{"note", "hours", "reason"}, n) {
				return n
			}
			return ""
		})
		h.consoleServicePage(w, req, p, status, keep(f, fe))
		return
	}
	http.Redirect(w, req, "/console/services/"+url.PathEscape(req.PathValue("id"))+"?done=service_"+action, http.StatusSeeOther)
}
