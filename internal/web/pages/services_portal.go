package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"yuanxu/internal/agreement"
	"yuanxu/internal/app"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/service"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The portal's services pages: /services and /services/{id} with the
// renewal, plan change and automatic renewal forms.

// SvcListView is the customer's services.
type SvcListView struct {
	Page
	ShopForm
	Filter   string // "", live or terminated
	Filters  []ConsoleSubNav
	Rows     []SvcSummary
	NextHref string
}

// SvcDetailView is one service with its forms.
type SvcDetailView struct {
	Page
	ShopForm
	Service SvcSummary
	Events  []SvcEvent
	// The renewal form.
	CanRenew          bool
	Cycles            string // as typed
	UnitPrice         string // the plan's price per cycle now
	VersionID, SHA256 string
	SHAShort          string
	AgreementHref     string
	RenewClauses      []KeyClauseView
	// The plan change form: the other plans of the product with the
	// prorated price of changing to each now. ShowPlan: the section is
	// shown (a running service, and the viewer may renew and upgrade).
	ShowPlan     bool
	CanChange    bool
	ChangeNote   string // why no plan change is offered, when it is not
	Plans        []SvcPlanOption
	PlanClauses  []KeyClauseView
	CurrentPlan  string
	CurrentPrice string
	// Automatic renewal and what it means.
	CanAutoRenew  bool
	RefundClause  string // the clause of refund.applies_to ("3.1")
	TermEndNotice string
	// Delivery is the service's delivery (delivery_pages.go); nil when it
	// has none (renewals, traffic packs).
	Delivery *SvcDelivery
	// Cert is the certificate by ACME (acme_pages.go); nil for other
	// services.
	Cert *SvcCert
}

// SvcPlanOption is one plan the service may change to, with what changing
// now costs (Upgrade) or credits (Downgrade) and the plan's own price.
type SvcPlanOption struct {
	ID, Name, Price, Quote string
	Upgrade, Downgrade     bool
	Selected               bool
}

// svcFilters are the list's filters.
var svcFilters = []string{"", "live", "terminated"}

// svcList lists the customer's services, newest first, paged by ?before=.
func (h *handlers) svcList(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	ctx := req.Context()
	q := req.URL.Query()
	v := SvcListView{Page: h.page(req, "page.services.list.title", portalNav(), "services"), Filter: q.Get("state")}
	v.Notice = doneNotice(req, v.Lang)
	if !slices.Contains(svcFilters, v.Filter) {
		v.Filter = ""
	}
	for _, f := range svcFilters {
		href := "/services"
		if f != "" {
			href += "?state=" + f
		}
		id := f
		if id == "" {
			id = "all"
		}
		v.Filters = append(v.Filters, ConsoleSubNav{ID: id, Label: i18n.T(v.Lang, "page.services.filter."+id, nil), Href: href, Current: f == v.Filter})
	}
	const pageSize = 50
	f := app.ServiceListFilter{Before: bounded(q.Get("before")), Limit: pageSize}
	switch v.Filter {
	case "live":
		f.States = []string{string(service.StatePending), string(service.StateActive), string(service.StateSuspended)}
	case "terminated":
		f.States = []string{string(service.StateTerminated)}
	}
	svcs, err := h.app.Services(ctx, p.Principal, f)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	byID, now := h.shopCatalogByID(ctx), h.app.Now()
	for _, sv := range svcs {
		v.Rows = append(v.Rows, svcSummary(v.Lang, sv, svcName(v.Lang, byID, sv), now))
	}
	if len(svcs) == pageSize {
		next := url.Values{"before": {svcs[len(svcs)-1].ID}}
		if v.Filter != "" {
			next.Set("state", v.Filter)
		}
		v.NextHref = "/services?" + next.Encode()
	}
	h.r.render(w, req, http.StatusOK, tmplServices, v.Lang, v)
}

// svcName is a service's product and plan in lang (the stored name is the
// Chinese one frozen at purchase).
func svcName(lang i18n.Lang, byID map[string]app.ProductView, sv app.ServiceView) string {
	pv, ok := byID[sv.ProductID]
	if !ok {
		return sv.Name
	}
	name := pv.DisplayName(string(lang))
	if pl, ok := pv.Plan(sv.PlanID); ok {
		return name + " · " + pl.Name
	}
	return name
}

// svcTyped is what the detail page's forms sent, to show them again.
type svcTyped struct {
	cycles, plan string
	renewAcks    []string
	planAcks     []string
}

// svcDetailPage builds a service's page with its forms as typed (zero: as
// new, nothing ticked).
func (h *handlers) svcDetailPage(req *http.Request, p webctx.Principal, typed svcTyped) (SvcDetailView, error) {
	ctx := req.Context()
	sv, err := h.app.Service(ctx, p.Principal, req.PathValue("id"))
	if err != nil {
		return SvcDetailView{}, err
	}
	v := SvcDetailView{Page: h.page(req, "page.services.detail.title", portalNav(), "services"), AgreementHref: "/agreement",
		Cycles: typed.cycles}
	v.Next = "/services/" + url.PathEscape(sv.ID)
	now := h.app.Now()
	byID := h.shopCatalogByID(ctx)
	v.Service = svcSummary(v.Lang, sv, svcName(v.Lang, byID, sv), now)
	v.Events = svcEvents(v.Lang, sv.Events, false)
	if v.Delivery, err = h.svcDelivery(ctx, p, v.Lang, sv.ID); err != nil {
		return v, err
	}
	if v.Cert, err = h.svcCert(ctx, p, v.Lang, sv.ID); err != nil {
		return v, err
	}
	rt := h.shopTerms(ctx, "")
	v.RefundClause = rt.appliesClause
	if v.RefundClause == "" {
		v.RefundClause = "3.1"
	}
	// A sub-user sees only the forms its scopes allow.
	mayRenew, mayManage := p.Holds("order.renew"), p.Holds("service.manage")
	v.CanAutoRenew = v.Service.Live && sv.Cycle != string(catalog.CycleOneOff) && mayManage
	v.ShowPlan = v.Service.Live && mayRenew
	if v.Service.Live && !sv.ExpiresAt.IsZero() {
		key := "page.services.auto_renew.off_runs_to"
		if sv.AutoRenew {
			key = "page.services.auto_renew.on_renews_at"
		}
		v.TermEndNotice = i18n.T(v.Lang, key, map[string]any{"at": shortTime(sv.ExpiresAt)})
	}

	pv, hasProduct := byID[sv.ProductID]
	var curPrice int64
	var priced bool
	if hasProduct {
		if pl, ok := pv.Plan(sv.PlanID); ok {
			v.CurrentPlan = pl.Name
			curPrice, priced = svcPrice(pl, sv.Cycle)
		}
	}
	if priced {
		v.UnitPrice = shopYuan(v.Lang, curPrice)
		v.CurrentPrice = v.UnitPrice
	}
	v.CanRenew = v.Service.Live && sv.Cycle != string(catalog.CycleOneOff) && priced && mayRenew
	if v.Cycles == "" {
		v.Cycles = "1"
	}

	// Plan changes: the other plans sold in this cycle, priced now.
	switch {
	case !v.ShowPlan:
	case sv.Cycle == string(catalog.CycleOneOff):
		v.ChangeNote = i18n.T(v.Lang, "page.services.plan.not_applicable", nil)
	case !priced:
		v.ChangeNote = i18n.T(v.Lang, "page.services.plan.not_sold", nil)
	case !now.Before(sv.ExpiresAt):
		v.ChangeNote = i18n.T(v.Lang, "page.services.plan.lapsed", nil)
	default:
		for _, pl := range pv.Plans {
			price, ok := svcPrice(pl, sv.Cycle)
			if pl.ID == sv.PlanID || !ok {
				continue
			}
			diff, err := service.ProrateTerm(curPrice, price, catalog.Cycle(sv.Cycle), now, sv.ExpiresAt)
			if err != nil {
				continue
			}
			o := SvcPlanOption{ID: pl.ID, Name: pl.Name, Price: shopYuan(v.Lang, price), Upgrade: diff > 0, Downgrade: diff < 0,
				Selected: pl.ID == typed.plan}
			switch {
			case diff > 0:
				o.Quote = i18n.T(v.Lang, "page.services.plan.quote_pay", map[string]any{"amount": shopYuan(v.Lang, diff), "clause": v.RefundClause})
			case diff < 0:
				o.Quote = i18n.T(v.Lang, "page.services.plan.quote_credit", map[string]any{"amount": shopYuan(v.Lang, -diff)})
			default:
				o.Quote = i18n.T(v.Lang, "page.services.plan.quote_zero", nil)
			}
			v.Plans = append(v.Plans, o)
		}
		v.CanChange = len(v.Plans) > 0
		if !v.CanChange {
			v.ChangeNote = i18n.T(v.Lang, "page.services.plan.none", nil)
		}
	}

	if v.CanRenew || v.CanChange {
		ag, err := h.app.AgreementCurrent(ctx)
		if err != nil {
			return v, err
		}
		v.VersionID, v.SHA256, v.SHAShort = ag.ID, ag.SHA256, shopSHA(ag.SHA256)
		for _, id := range app.KeyClauseIDs(ag) {
			cl, _ := ag.Doc.Clause(agreement.ClauseID(id))
			title, _ := cl.In(string(v.Lang))
			kc := KeyClauseView{ID: id, Title: title, Explain: cl.Explain.In(string(v.Lang)), ExplainHref: explainHref(ag.ID, agreement.ClauseID(id))}
			r, pc := kc, kc
			r.Checked, pc.Checked = slices.Contains(typed.renewAcks, id), slices.Contains(typed.planAcks, id)
			v.RenewClauses = append(v.RenewClauses, r)
			v.PlanClauses = append(v.PlanClauses, pc)
		}
	}
	return v, nil
}

// svcPrice is a plan's price for cycle.
func svcPrice(pl app.PlanView, cycle string) (int64, bool) {
	for _, pr := range pl.Prices {
		if pr.Cycle == cycle {
			return pr.AmountFen, true
		}
	}
	return 0, false
}

// svcDetail is a service's page.
func (h *handlers) svcDetail(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.svcDetailPage(req, p, svcTyped{})
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	h.r.render(w, req, http.StatusOK, tmplService, v.Lang, v)
}

// svcFail shows a service's page again with err on form formID and the
// forms as typed; a missing service, a refused page or an internal error
// answers with its error page.
func (h *handlers) svcFail(w http.ResponseWriter, req *http.Request, p webctx.Principal, err error, formID string, typed svcTyped) {
	h.shopFail(w, req, err, formID, func(f ShopForm, status int) {
		v, gerr := h.svcDetailPage(req, p, typed)
		if gerr != nil {
			h.actionError(w, req, gerr)
			return
		}
		v.ShopForm = f
		// A form the page no longer offers (terminated meanwhile) shows
		// its error at the top.
		if shown := map[string]bool{"renew": v.CanRenew, "plan": v.ShowPlan, "auto_renew": v.CanAutoRenew, "credentials": v.Delivery != nil,
			"delivery_problem": v.Delivery != nil && v.Delivery.InspectionOpen}; !shown[formID] {
			v.FormID = ""
		}
		h.r.render(w, req, status, tmplService, v.Lang, v)
	})
}

// svcRenew places a renewal order for the cycles typed, with the key
// clauses ticked, and goes to the order's page to pay it.
func (h *handlers) svcRenew(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	typed := svcTyped{cycles: bounded(field(req, "cycles")), renewAcks: boundedList(req.PostForm["ack"])}
	cycles, perr := strconv.ParseInt(typed.cycles, 10, 64)
	if perr != nil || cycles < 1 || cycles > 36 {
		h.svcFail(w, req, p, errs.E(errs.Op("pages.svcRenew"), errs.Invalid, service.CodeInvalid, "1 to 36 cycles",
			errs.FieldError{Field: "body.cycles", Rule: "range", Params: map[string]any{"min": 1, "max": 36}}), "renew", typed)
		return
	}
	o, err := h.app.RenewService(req.Context(), p.Principal, id, app.RenewRequest{Cycles: cycles,
		Agreement: app.AgreementAck{VersionID: field(req, "version_id"), SHA256: field(req, "sha256"), Acknowledged: typed.renewAcks}})
	if err != nil {
		h.svcFail(w, req, p, err, "renew", typed)
		return
	}
	http.Redirect(w, req, "/orders/"+url.PathEscape(o.ID)+"?done=renewal_placed", http.StatusSeeOther)
}

// svcPlan changes the plan: an upgrade places an order and goes to its
// page to pay it; a downgrade changes at once, with the credit.
func (h *handlers) svcPlan(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	typed := svcTyped{plan: bounded(field(req, "plan_id")), planAcks: boundedList(req.PostForm["ack"])}
	ch, err := h.app.ChangePlan(req.Context(), p.Principal, id, app.ChangePlanRequest{PlanID: typed.plan,
		Agreement: app.AgreementAck{VersionID: field(req, "version_id"), SHA256: field(req, "sha256"), Acknowledged: typed.planAcks}})
	if err != nil {
		h.svcFail(w, req, p, err, "plan", typed)
		return
	}
	switch {
	case ch.Order != nil:
		http.Redirect(w, req, "/orders/"+url.PathEscape(ch.Order.ID)+"?done=upgrade_placed", http.StatusSeeOther)
	case ch.CreditFen > 0:
		http.Redirect(w, req, "/services/"+url.PathEscape(id)+"?done=plan_downgraded", http.StatusSeeOther)
	default:
		http.Redirect(w, req, "/services/"+url.PathEscape(id)+"?done=plan_changed", http.StatusSeeOther)
	}
}

// svcAutoRenew turns automatic renewal on (on=1) or off.
func (h *handlers) svcAutoRenew(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	on := field(req, "on") == "1"
	if _, err := h.app.SetAutoRenew(req.Context(), p.Principal, id, on); err != nil {
		h.svcFail(w, req, p, err, "auto_renew", svcTyped{})
		return
	}
	done := "auto_renew_off"
	if on {
		done = "auto_renew_on"
	}
	http.Redirect(w, req, "/services/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
}
