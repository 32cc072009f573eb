package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The reseller pages (issue 11, clause 2.1). Public: /resellers/check (the
// authorisation check) and /invite/{token}, where an invited person
// registers and accepts the agreement themselves. Portal, for a reseller:
// /reseller (authorisations, invitations, customers, orders, commission,
// webhooks) and /reseller/customers/{id}/order. Console: /console/resellers
// (authorisations) and /console/resellers/{id} (statement, settlement).

// Reseller page templates.
const (
	tmplResellerCheck     = "portal_reseller_check"
	tmplInvite            = "portal_invite"
	tmplResellerHome      = "portal_reseller"
	tmplResellerOrder     = "portal_reseller_order"
	tmplConsoleResellers  = "console_resellers"
	tmplConsoleStatement  = "console_reseller_statement"
	resellerStatementDate = "2006-01"
)

func init() {
	for _, n := range []string{tmplResellerCheck, tmplInvite, tmplResellerHome, tmplResellerOrder} {
		pageFiles[n] = [2]string{"layout_portal.html", n + ".html"}
	}
	for _, n := range []string{tmplConsoleResellers, tmplConsoleStatement} {
		pageFiles[n] = [2]string{"layout_console.html", n + ".html"}
	}
	for k, v := range map[string]string{"invited": "page.reseller.notice.invited", "reseller_ordered": "page.reseller.notice.ordered",
		"reseller_paid": "page.reseller.notice.paid", "authorised": "page.console.resellers.notice.authorised",
		"auth_changed": "page.console.resellers.notice.changed", "settled": "page.console.resellers.notice.settled",
		"delegation": "page.reseller.notice.delegation"} {
		notices[k] = v
	}
}

// registerResellerPages adds the reseller pages.
func (h *handlers) registerResellerPages(handle func(string, http.HandlerFunc), cust, staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /resellers/check", h.resellerCheck)
	handle("GET /invite/{token}", h.invite)
	handle("POST /invite/{token}", h.invite)
	handle("GET /reseller", cust(h.resellerHome))
	handle("POST /reseller/invitations", cust(h.resellerInvite))
	handle("POST /reseller/webhooks", cust(h.resellerWebhook))
	handle("GET /reseller/customers/{id}/order", cust(h.resellerOrder))
	handle("POST /reseller/customers/{id}/order", cust(h.resellerOrder))
	handle("POST /reseller/orders/{id}/pay", cust(h.resellerPay))
	handle("POST /account/reseller-delegation", cust(h.resellerDelegation))
	handle("GET /console/resellers", staff(h.consoleResellers))
	handle("POST /console/resellers", staff(h.consoleResellers))
	handle("POST /console/reseller-authorisations/{id}", staff(h.consoleResellerAuthState))
	handle("GET /console/resellers/{id}", staff(h.consoleResellerStatement))
	handle("POST /console/resellers/{id}/settle", staff(h.consoleResellerSettle))
}

// ResellerAuthRow is an authorisation as the pages list it.
type ResellerAuthRow struct {
	ID, Code, Company, ResellerID string
	Kinds, Regions                string
	Mode, Rate, From, Until       string
	Status, StatusLabel, Reason   string
	Active, Suspended             bool
}

func resellerAuthRow(lang i18n.Lang, v app.ResellerAuthView) ResellerAuthRow {
	kinds := make([]string, 0, len(v.Kinds))
	for _, k := range v.Kinds {
		kinds = append(kinds, shopT(lang, "page.shop.kind."+k, k))
	}
	regions := strings.Join(v.Regions, i18n.T(lang, "layout.list_sep", nil))
	if regions == "" {
		regions = i18n.T(lang, "page.reseller.regions.all", nil)
	}
	return ResellerAuthRow{ID: v.ID, Code: v.Code, Company: v.CompanyName, ResellerID: v.ResellerID, Kinds: strings.Join(kinds, i18n.T(lang, "layout.list_sep", nil)),
		Regions: regions, Mode: i18n.T(lang, "page.reseller.mode."+v.Mode, nil), Rate: strconv.FormatFloat(float64(v.RateBP)/100, 'f', -1, 64) + " %",
		From: shortTime(v.ValidFrom), Until: shortTime(v.ValidUntil), Status: v.Status, StatusLabel: i18n.T(lang, "page.reseller.status."+v.Status, nil),
		Reason: v.StateReason, Active: v.State == "active", Suspended: v.State == "suspended"}
}

// ResellerCheckView is the public check page.
type ResellerCheckView struct {
	Page
	Form
	Code   string
	Result *ResellerCheckResult
}

// ResellerCheckResult is a found authorisation.
type ResellerCheckResult struct {
	Company, Kinds, Regions, From, Until, Status, StatusLabel, CheckedAt string
	Valid                                                                bool
}

func (h *handlers) resellerCheck(w http.ResponseWriter, req *http.Request) {
	v := ResellerCheckView{Page: h.page(req, "page.reseller_check.title", portalNav(), "")}
	v.Code = strings.TrimSpace(req.URL.Query().Get("code"))
	status := http.StatusOK
	if v.Code != "" {
		r, err := h.app.CheckResellerCode(req.Context(), v.Code)
		if err != nil {
			v.Form, status = h.formError(req, v.Lang, err)
		} else {
			row := resellerAuthRow(v.Lang, app.ResellerAuthView{CompanyName: r.CompanyName, Kinds: r.Kinds, Regions: r.Regions, ValidFrom: r.ValidFrom,
				ValidUntil: r.ValidUntil, Status: r.Status})
			v.Result = &ResellerCheckResult{Company: r.CompanyName, Kinds: row.Kinds, Regions: row.Regions, From: row.From, Until: row.Until,
				Status: r.Status, StatusLabel: row.StatusLabel, CheckedAt: shortTime(r.CheckedAt), Valid: r.Status == "valid"}
		}
	}
	h.r.render(w, req, status, tmplResellerCheck, v.Lang, v)
}

// InviteView is the invitation page.
type InviteView struct {
	Page
	Form
	Token, Reseller, Kind, EmailMasked, Expires string
	DisplayName, Phone, EnterpriseName, USCC    string
	PhoneCodeID, PhoneSentTo                    string
	Accepted                                    bool
	AgreementVersion, AgreementSHA256           string
	KeyClauses                                  []KeyClauseView
}

// invite shows an invitation (GET) and sends the phone code or accepts it
// (POST): the invited person registers and acknowledges every key clause
// themselves.
func (h *handlers) invite(w http.ResponseWriter, req *http.Request) {
	token := req.PathValue("token")
	info, err := h.app.InvitationInfo(req.Context(), token)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := InviteView{Page: h.page(req, "page.invite.title", portalNav(), ""), Token: token, Reseller: info.Reseller, Kind: info.Kind,
		EmailMasked: info.EmailMasked, Expires: shortTime(info.ExpiresAt)}
	v.KeyClauses, v.AgreementVersion, v.AgreementSHA256 = h.registerKeyClauses(req, v.Lang, nil)
	if req.Method == http.MethodGet {
		h.r.render(w, req, http.StatusOK, tmplInvite, v.Lang, v)
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	v.DisplayName, v.Phone, v.EnterpriseName, v.USCC = field(req, "display_name"), field(req, "phone"), field(req, "enterprise_name"), field(req, "uscc")
	v.PhoneCodeID, v.PhoneSentTo = field(req, "phone_code_id"), field(req, "phone_sent_to")
	v.Accepted = req.PostForm.Get("accept") == "yes"
	v.KeyClauses, _, _ = h.registerKeyClauses(req, v.Lang, req.PostForm["ack"])
	status := http.StatusOK
	if req.PostForm.Get("action") == "send_phone" {
		t, err := h.app.SendCode(req.Context(), account.PurposeRegisterPhone, v.Phone, string(v.Lang))
		if err != nil {
			v.Form, status = h.formError(req, v.Lang, err)
		} else {
			v.PhoneCodeID, v.PhoneSentTo = t.ID, t.SentToMasked
			v.Notice = i18n.T(v.Lang, "page.register.code_sent", map[string]any{"to": t.SentToMasked})
		}
		h.r.render(w, req, status, tmplInvite, v.Lang, v)
		return
	}
	_, err = h.app.AcceptInvitation(req.Context(), token, app.RegisterInput{DisplayName: v.DisplayName, Phone: v.Phone, Password: req.PostForm.Get("password"),
		EnterpriseName: v.EnterpriseName, USCC: v.USCC, Lang: string(v.Lang), PhoneCodeID: v.PhoneCodeID, PhoneCode: field(req, "phone_code"),
		AcceptAgreement: v.Accepted, AcknowledgedClauses: req.PostForm["ack"], AgreementSHA256: field(req, "agreement_sha256"), UserAgent: req.UserAgent()})
	if err != nil {
		v.Form, status = h.formError(req, v.Lang, err)
		h.r.render(w, req, status, tmplInvite, v.Lang, v)
		return
	}
	http.Redirect(w, req, "/login?done=registered", http.StatusSeeOther)
}

// ResellerHomeView is the reseller's page.
type ResellerHomeView struct {
	Page
	Form
	Auths       []ResellerAuthRow
	CanSell     bool
	Invitations []ResellerInvitationRow
	Customers   []ResellerCustomerRow
	Orders      []ResellerOrderRow
	Statement   ResellerStatementSummary
	Webhooks    []ResellerWebhookRow
	Deliveries  []ResellerDeliveryRow
	NewSecret   string // shown once, after adding an endpoint
	InviteKind  string
	InviteEmail string
}

// ResellerInvitationRow is one invitation.
type ResellerInvitationRow struct{ ID, Kind, Email, Note, State, StateLabel, Expires string }

// ResellerCustomerRow is one customer.
type ResellerCustomerRow struct {
	ID, Name, Email, Phone, Agreement, Since string
	KYC, Delegates                           bool
	OrderHref                                string
}

// ResellerOrderRow is one order placed for a customer.
type ResellerOrderRow struct {
	ID, Short, Customer, Products, Total, State, StateLabel, Mode, Created string
	Payable                                                                bool
}

// ResellerStatementSummary is this month's commission.
type ResellerStatementSummary struct{ Month, Accrued, ClawedBack, Net, Unsettled string }

// ResellerWebhookRow is one endpoint.
type ResellerWebhookRow struct {
	ID, URL, Events string
	Active          bool
}

// ResellerDeliveryRow is one delivery of the log.
type ResellerDeliveryRow struct{ ID, Event, State, Attempts, Status, Error, Created string }

func (h *handlers) resellerHomePage(req *http.Request, p webctx.Principal) (ResellerHomeView, error) {
	ctx := req.Context()
	v := ResellerHomeView{Page: h.page(req, "page.reseller.title", portalNav(), "reseller"), InviteKind: "individual"}
	auths, err := h.app.ResellerAuthorisations(ctx, p.Principal, "")
	if err != nil {
		return v, err
	}
	for _, a := range auths {
		v.Auths = append(v.Auths, resellerAuthRow(v.Lang, a))
		v.CanSell = v.CanSell || a.Status == "valid"
	}
	invs, err := h.app.Invitations(ctx, p.Principal)
	if err != nil {
		return v, err
	}
	for _, iv := range invs {
		v.Invitations = append(v.Invitations, ResellerInvitationRow{ID: iv.ID, Kind: i18n.T(v.Lang, "page.account.kind."+iv.Kind, nil), Email: iv.EmailMasked,
			Note: iv.Note, State: iv.State, StateLabel: i18n.T(v.Lang, "page.reseller.invitation."+iv.State, nil), Expires: shortTime(iv.ExpiresAt)})
	}
	cs, err := h.app.ResellerCustomers(ctx, p.Principal)
	if err != nil {
		return v, err
	}
	names := map[string]string{}
	for _, c := range cs {
		names[c.ID] = c.DisplayName
		v.Customers = append(v.Customers, ResellerCustomerRow{ID: c.ID, Name: c.DisplayName, Email: c.EmailMasked, Phone: c.PhoneMasked,
			Agreement: c.AgreementVersion, Since: shortTime(c.CreatedAt), KYC: c.KYCApproved, Delegates: c.DelegatesTickets,
			OrderHref: "/reseller/customers/" + url.PathEscape(c.ID) + "/order"})
	}
	os, err := h.app.ResellerOrders(ctx, p.Principal, "", 50)
	if err != nil {
		return v, err
	}
	byID := h.shopCatalogByID(ctx)
	for _, o := range os {
		var prods []string
		for _, l := range o.Lines {
			prods = append(prods, shopName(v.Lang, byID, l.ProductID, l.ProductName))
		}
		v.Orders = append(v.Orders, ResellerOrderRow{ID: o.ID, Short: shopShortID(o.ID), Customer: names[o.AccountID], Products: strings.Join(prods, i18n.T(v.Lang, "layout.list_sep", nil)),
			Total: shopYuan(v.Lang, o.TotalFen), Mode: i18n.T(v.Lang, "page.reseller.mode."+o.ResellerMode, nil), State: o.State, StateLabel: shopT(v.Lang, "page.shop.state."+o.State, o.State), Created: shortTime(o.CreatedAt),
			Payable: o.State == "created" && o.ResellerMode == "wholesale"})
	}
	st, err := h.app.ResellerStatement(ctx, p.Principal, "", "")
	if err != nil {
		return v, err
	}
	v.Statement = ResellerStatementSummary{Month: st.Month, Accrued: shopYuan(v.Lang, st.AccruedFen), ClawedBack: shopYuan(v.Lang, st.ClawedBackFen),
		Net: shopYuan(v.Lang, st.NetFen), Unsettled: shopYuan(v.Lang, st.UnsettledFen)}
	hooks, err := h.app.WebhookEndpoints(ctx, p.Principal)
	if err != nil {
		return v, err
	}
	for _, wh := range hooks {
		ev := strings.Join(wh.Events, ", ")
		if ev == "" {
			ev = i18n.T(v.Lang, "page.reseller.webhooks.all_events", nil)
		}
		v.Webhooks = append(v.Webhooks, ResellerWebhookRow{ID: wh.ID, URL: wh.URL, Events: ev, Active: wh.Active})
	}
	ds, err := h.app.WebhookDeliveries(ctx, p.Principal, 20)
	if err != nil {
		return v, err
	}
	for _, d := range ds {
		v.Deliveries = append(v.Deliveries, ResellerDeliveryRow{ID: d.ID, Event: d.EventType, State: d.State, Attempts: strconv.FormatInt(d.Attempts, 10),
			Status: strconv.FormatInt(d.LastStatus, 10), Error: d.LastError, Created: shortTime(d.CreatedAt)})
	}
	return v, nil
}

func (h *handlers) resellerHome(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if p.Kind != account.KindReseller {
		h.errorPage(w, req, http.StatusForbidden, "page.reseller.only.title", "page.reseller.only.text")
		return
	}
	v, err := h.resellerHomePage(req, p)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	h.r.render(w, req, http.StatusOK, tmplResellerHome, v.Lang, v)
}

// resellerInvite sends an invitation.
func (h *handlers) resellerInvite(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	kind, email, note := field(req, "kind"), field(req, "email"), field(req, "note")
	if _, err := h.app.InviteCustomer(req.Context(), p.Principal, app.InviteInput{Kind: kind, Email: email, Note: note}); err != nil {
		v, perr := h.resellerHomePage(req, p)
		if perr != nil {
			h.actionError(w, req, perr)
			return
		}
		var status int
		v.Form, status = h.formError(req, v.Lang, err)
		v.InviteKind, v.InviteEmail = kind, email
		h.r.render(w, req, status, tmplResellerHome, v.Lang, v)
		return
	}
	http.Redirect(w, req, "/reseller?done=invited", http.StatusSeeOther)
}

// resellerWebhook adds an endpoint and shows its secret once.
func (h *handlers) resellerWebhook(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	ep, err := h.app.CreateWebhookEndpoint(req.Context(), p.Principal, app.WebhookEndpointInput{URL: field(req, "url"), Events: req.PostForm["events"]})
	v, perr := h.resellerHomePage(req, p)
	if perr != nil {
		h.actionError(w, req, perr)
		return
	}
	status := http.StatusOK
	if err != nil {
		v.Form, status = h.formError(req, v.Lang, err)
	} else {
		v.NewSecret = ep.Secret
		v.Notice = i18n.T(v.Lang, "page.reseller.webhooks.added", nil)
	}
	h.r.render(w, req, status, tmplResellerHome, v.Lang, v)
}

// ResellerOrderView is the order form for a customer.
type ResellerOrderView struct {
	Page
	Form
	Customer ResellerCustomerRow
	Options  []ResellerOrderOption
	Choice   string
}

// ResellerOrderOption is one product, plan and cycle the reseller may sell.
type ResellerOrderOption struct{ Value, Label string }

func (h *handlers) resellerOrderPage(req *http.Request, p webctx.Principal) (ResellerOrderView, error) {
	ctx := req.Context()
	v := ResellerOrderView{Page: h.page(req, "page.reseller.order.title", portalNav(), "reseller")}
	c, err := h.app.ResellerCustomer(ctx, p.Principal, req.PathValue("id"))
	if err != nil {
		return v, err
	}
	v.Customer = ResellerCustomerRow{ID: c.ID, Name: c.DisplayName, Email: c.EmailMasked, KYC: c.KYCApproved, Agreement: c.AgreementVersion}
	auths, err := h.app.ResellerAuthorisations(ctx, p.Principal, "")
	if err != nil {
		return v, err
	}
	ps, err := h.app.Catalog(ctx)
	if err != nil {
		return v, err
	}
	for _, pv := range ps {
		covered := false
		for _, a := range auths {
			if a.Status == "valid" && slices.Contains(a.Kinds, pv.Kind) && (len(a.Regions) == 0 || slices.Contains(a.Regions, pv.Region)) {
				covered = true
			}
		}
		if !covered || pv.Kind == "traffic_pack" {
			continue
		}
		for _, pl := range pv.Plans {
			for _, pr := range pl.Prices {
				v.Options = append(v.Options, ResellerOrderOption{Value: pv.ID + "|" + pl.ID + "|" + pr.Cycle,
					Label: pv.DisplayName(string(v.Lang)) + " · " + pl.Name + " · " + shopT(v.Lang, "page.shop.cycle."+pr.Cycle, pr.Cycle) + " · " +
						shopYuan(v.Lang, pr.AmountFen)})
			}
		}
	}
	return v, nil
}

// resellerOrder shows the order form (GET) and places the order (POST).
func (h *handlers) resellerOrder(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.resellerOrderPage(req, p)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	if req.Method == http.MethodGet {
		h.r.render(w, req, http.StatusOK, tmplResellerOrder, v.Lang, v)
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	v.Choice = field(req, "choice")
	parts := strings.Split(v.Choice, "|")
	if len(parts) != 3 {
		v.Form = Form{Error: i18n.T(v.Lang, "page.reseller.order.choose", nil)}
		h.r.render(w, req, http.StatusUnprocessableEntity, tmplResellerOrder, v.Lang, v)
		return
	}
	_, _, err = h.app.ResellerCheckout(req.Context(), p.Principal, v.Customer.ID, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: parts[0],
		PlanID: parts[1], Cycle: parts[2], Quantity: 1}}}, app.Idem{})
	if err != nil {
		var status int
		v.Form, status = h.formError(req, v.Lang, err)
		h.r.render(w, req, status, tmplResellerOrder, v.Lang, v)
		return
	}
	http.Redirect(w, req, "/reseller?done=reseller_ordered", http.StatusSeeOther)
}

// resellerPay pays a wholesale order from the reseller's balance.
func (h *handlers) resellerPay(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	if _, err := h.app.PayOrder(req.Context(), p.Principal, req.PathValue("id"), app.PayRequest{Method: app.MethodBalance}); err != nil {
		v, perr := h.resellerHomePage(req, p)
		if perr != nil {
			h.actionError(w, req, perr)
			return
		}
		var status int
		v.Form, status = h.formError(req, v.Lang, err)
		h.r.render(w, req, status, tmplResellerHome, v.Lang, v)
		return
	}
	http.Redirect(w, req, "/reseller?done=reseller_paid", http.StatusSeeOther)
}

// resellerDelegation switches the customer's ticket delegation (from the
// tickets page).
func (h *handlers) resellerDelegation(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	if err := h.app.SetTicketDelegation(req.Context(), p.Principal, field(req, "tickets") == "on"); err != nil {
		h.actionError(w, req, err)
		return
	}
	http.Redirect(w, req, "/tickets?done=delegation", http.StatusSeeOther)
}

// ConsoleResellersView is the console's reseller page.
type ConsoleResellersView struct {
	Page
	Form
	Resellers []ConsoleResellerRow
	Auths     []ResellerAuthRow
	Kinds     []ResellerOrderOption
	CanGrant  bool
	// The grant form, as typed.
	ResellerID, Mode, Rate, Until, Regions string
}

// ConsoleResellerRow is one reseller account.
type ConsoleResellerRow struct {
	ID, Name, Email, StatementHref string
	KYC                            bool
}

func (h *handlers) consoleResellersPage(req *http.Request, p webctx.Principal) (ConsoleResellersView, error) {
	ctx := req.Context()
	v := ConsoleResellersView{Page: h.page(req, "page.console.resellers.title", consoleNav(), "resellers"), Mode: "commission", Rate: "10",
		CanGrant: account.Can(p.Principal, "reseller.authorise", account.Object{}).Allowed}
	v.Until = h.app.Now().In(clock.Shanghai).AddDate(1, 0, 0).Format("2006-01-02")
	auths, err := h.app.ResellerAuthorisations(ctx, p.Principal, "")
	if err != nil {
		return v, err
	}
	for _, a := range auths {
		v.Auths = append(v.Auths, resellerAuthRow(v.Lang, a))
	}
	accs, err := h.app.ResellerAccounts(ctx, p.Principal)
	if err != nil {
		return v, err
	}
	for _, a := range accs {
		name := a.DisplayName
		if a.Company != "" {
			name = a.Company
		}
		v.Resellers = append(v.Resellers, ConsoleResellerRow{ID: a.ID, Name: name, Email: a.EmailMasked, KYC: a.KYCApproved,
			StatementHref: "/console/resellers/" + url.PathEscape(a.ID)})
	}
	for _, k := range []string{"cloud_server", "vpn", "cdn", "certificate", "traffic_pack"} {
		v.Kinds = append(v.Kinds, ResellerOrderOption{Value: k, Label: shopT(v.Lang, "page.shop.kind."+k, k)})
	}
	return v, nil
}

// consoleResellers lists resellers and authorisations (GET) and grants
// one (POST, reseller.authorise).
func (h *handlers) consoleResellers(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.consoleResellersPage(req, p)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	if req.Method == http.MethodGet {
		v.Notice = doneNotice(req, v.Lang)
		h.r.render(w, req, http.StatusOK, tmplConsoleResellers, v.Lang, v)
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	v.ResellerID, v.Mode, v.Rate, v.Until, v.Regions = field(req, "reseller_id"), field(req, "mode"), field(req, "rate"), field(req, "valid_until"), field(req, "regions")
	in := app.ResellerAuthInput{ResellerID: v.ResellerID, Kinds: req.PostForm["kinds"], Mode: v.Mode}
	for _, r := range strings.Split(v.Regions, ",") {
		if r = strings.TrimSpace(r); r != "" {
			in.Regions = append(in.Regions, r)
		}
	}
	if pct, err := strconv.ParseFloat(v.Rate, 64); err == nil {
		in.RateBP = int64(pct*100 + 0.5)
	}
	if d, err := time.ParseInLocation("2006-01-02", v.Until, clock.Shanghai); err == nil {
		in.ValidUntil = d.AddDate(0, 0, 1) // valid through the day given
	}
	if _, err := h.app.AuthoriseReseller(req.Context(), p.Principal, in); err != nil {
		var status int
		v.Form, status = h.formError(req, v.Lang, err)
		h.r.render(w, req, status, tmplConsoleResellers, v.Lang, v)
		return
	}
	http.Redirect(w, req, "/console/resellers?done=authorised", http.StatusSeeOther)
}

// consoleResellerAuthState suspends, reinstates or revokes.
func (h *handlers) consoleResellerAuthState(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	_, err := h.app.SetResellerAuthState(req.Context(), p.Principal, req.PathValue("id"), app.ResellerAuthAction{Action: field(req, "action"),
		Reason: field(req, "reason")})
	if err != nil {
		v, perr := h.consoleResellersPage(req, p)
		if perr != nil {
			h.actionError(w, req, perr)
			return
		}
		var status int
		v.Form, status = h.formError(req, v.Lang, err)
		h.r.render(w, req, status, tmplConsoleResellers, v.Lang, v)
		return
	}
	http.Redirect(w, req, "/console/resellers?done=auth_changed", http.StatusSeeOther)
}

// ConsoleStatementView is a reseller's statement in the console.
type ConsoleStatementView struct {
	Page
	Form
	ResellerID, Month, Prev, Next       string
	Accrued, ClawedBack, Shortfall, Net string
	Unsettled                           string
	CanSettle, HasUnsettled             bool
	Lines                               []ConsoleStatementLine
	Settlements                         []ConsoleSettlementRow
}

// ConsoleStatementLine is one order's commission.
type ConsoleStatementLine struct{ Order, Customer, Base, Rate, Amount, ClawedBack, Shortfall, At string }

// ConsoleSettlementRow is one settlement.
type ConsoleSettlementRow struct{ ID, Amount, At string }

func (h *handlers) consoleResellerStatement(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := ConsoleStatementView{Page: h.page(req, "page.console.resellers.statement.title", consoleNav(), "resellers"), ResellerID: req.PathValue("id")}
	st, err := h.app.ResellerStatement(req.Context(), p.Principal, v.ResellerID, req.URL.Query().Get("month"))
	if err != nil {
		if m := req.URL.Query().Get("month"); m != "" {
			h.errorPage(w, req, http.StatusBadRequest, "page.error.bad_request.title", "page.error.bad_request.text")
			return
		}
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	v.Month = st.Month
	if m, err := time.Parse(resellerStatementDate, st.Month); err == nil {
		v.Prev, v.Next = m.AddDate(0, -1, 0).Format(resellerStatementDate), m.AddDate(0, 1, 0).Format(resellerStatementDate)
	}
	v.Accrued, v.ClawedBack, v.Shortfall = shopYuan(v.Lang, st.AccruedFen), shopYuan(v.Lang, st.ClawedBackFen), shopYuan(v.Lang, st.ShortfallFen)
	v.Net, v.Unsettled, v.HasUnsettled = shopYuan(v.Lang, st.NetFen), shopYuan(v.Lang, st.UnsettledFen), st.UnsettledFen > 0
	v.CanSettle = account.Can(p.Principal, "finance.payout", account.Object{}).Allowed
	for _, l := range st.Lines {
		v.Lines = append(v.Lines, ConsoleStatementLine{Order: l.OrderID, Customer: l.CustomerID, Base: shopYuan(v.Lang, l.BaseFen),
			Rate: strconv.FormatFloat(float64(l.RateBP)/100, 'f', -1, 64) + " %", Amount: shopYuan(v.Lang, l.AmountFen),
			ClawedBack: shopYuan(v.Lang, l.ClawedBackFen), Shortfall: shopYuan(v.Lang, l.ShortfallFen), At: shortTime(l.AccruedAt)})
	}
	for _, s := range st.Settlements {
		v.Settlements = append(v.Settlements, ConsoleSettlementRow{ID: s.ID, Amount: shopYuan(v.Lang, s.AmountFen), At: shortTime(s.CreatedAt)})
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleStatement, v.Lang, v)
}

func (h *handlers) consoleResellerSettle(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	if _, err := h.app.SettleCommission(req.Context(), p.Principal, id); err != nil {
		h.actionError(w, req, err)
		return
	}
	http.Redirect(w, req, "/console/resellers/"+url.PathEscape(id)+"?done=settled", http.StatusSeeOther)
}
