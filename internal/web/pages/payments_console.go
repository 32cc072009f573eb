package pages

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The console's finance pages of the gateways (finance.reconcile):
// payment attempts with filters, flags — notifications refused or
// mismatched, late payments, failed refunds, reconciliation differences —
// resolved with a note, and the reconciliation differences with a form
// that runs one gateway's day now (the daily sweep runs yesterday's).

// paySub is the finance sub-navigation with the gateway pages.
func paySub(lang i18n.Lang, p webctx.Principal, current string) []ConsoleSubNav {
	items := ccFinanceSub(lang, p, current)
	if !p.Holds("finance.reconcile") {
		return items
	}
	for _, it := range []struct{ id, key, href string }{
		{"payments", "page.pay.console.nav.payments", "/console/finance/payments"},
		{"flags", "page.pay.console.nav.flags", "/console/finance/flags"},
		{"reconciliation", "page.pay.console.nav.reconciliation", "/console/finance/reconciliation"},
	} {
		items = append(items, ConsoleSubNav{ID: it.id, Label: i18n.T(lang, it.key, nil), Href: it.href, Current: it.id == current})
	}
	return items
}

// ConsoleAttemptsView lists gateway attempts.
type ConsoleAttemptsView struct {
	Page
	Form
	Sub                        []ConsoleSubNav
	State, Gateway, Purpose    string
	States, Gateways, Purposes []ConsoleOption
	Rows                       []ConsoleAttemptRow
	Filtered                   bool
}

// ConsoleAttemptRow is one attempt.
type ConsoleAttemptRow struct {
	ID, Ref, AccountID, OrderID, Purpose, PurposeLabel, Gateway, GatewayLabel, Kind, KindLabel string
	Amount, Refunded, State, StateLabel, TradeNo, Created, Settled, Expires                    string
}

// consolePayments lists every customer's attempts (finance.reconcile).
func (h *handlers) consolePayments(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "finance.reconcile", "gateway_attempt") {
		return
	}
	q := req.URL.Query()
	pick := func(v string, allowed []string) string {
		if slices.Contains(allowed, v) {
			return v
		}
		return ""
	}
	states := []string{"", app.AttemptCreating, app.AttemptPending, app.AttemptSucceeded, app.AttemptClosed, app.AttemptFailed}
	gateways := []string{"", app.MethodAlipay, app.MethodWeChatPay}
	purposes := []string{"", "order", "topup"}
	v := ConsoleAttemptsView{Page: h.page(req, "page.pay.console.payments.title", consoleNav(), "finance"),
		State: pick(q.Get("state"), states), Gateway: pick(q.Get("gateway"), gateways), Purpose: pick(q.Get("purpose"), purposes)}
	v.Sub = paySub(v.Lang, p, "payments")
	v.States = ccOptions(v.Lang, "page.pay.state.", states, v.State)
	v.Gateways = ccOptions(v.Lang, "page.shop.method.", gateways, v.Gateway)
	v.Purposes = ccOptions(v.Lang, "page.pay.purpose.", purposes, v.Purpose)
	v.Filtered = v.State != "" || v.Gateway != "" || v.Purpose != ""
	as, err := h.app.FinanceAttempts(req.Context(), p.Principal, app.AttemptQuery{State: v.State, Gateway: v.Gateway, Purpose: v.Purpose})
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	l := v.Lang
	for _, a := range as {
		r := ConsoleAttemptRow{ID: a.ID, Ref: a.Ref, AccountID: a.AccountID, OrderID: a.OrderID, Purpose: a.Purpose,
			PurposeLabel: ccLabel(l, "page.pay.purpose.", a.Purpose), Gateway: a.Gateway, GatewayLabel: ccLabel(l, "page.shop.method.", a.Gateway),
			Kind: a.Kind, KindLabel: ccLabel(l, "page.pay.kind.", a.Kind), Amount: ccMoney(l, a.AmountFen), State: a.State,
			StateLabel: ccLabel(l, "page.pay.state.", a.State), TradeNo: a.GatewayTradeNo, Created: shortTime(a.CreatedAt),
			Settled: shortTime(a.SettledAt), Expires: shortTime(a.ExpiresAt)}
		if a.RefundedFen > 0 {
			r.Refunded = ccMoney(l, a.RefundedFen)
		}
		v.Rows = append(v.Rows, r)
	}
	h.r.render(w, req, http.StatusOK, tmplConsolePays, v.Lang, v)
}

// ConsoleFlagsView lists finance flags.
type ConsoleFlagsView struct {
	Page
	Form
	Sub  []ConsoleSubNav
	Tabs []ConsoleSubNav
	View string // open or all
	Rows []ConsoleFlagRow
}

// ConsoleFlagRow is one flag, with the typed note and message of a
// refused resolution.
type ConsoleFlagRow struct {
	ID, Gateway, GatewayLabel, Ref, AttemptID, Kind, KindLabel, Detail, Amount string
	Created, Resolved, ResolvedBy, Note                                        string
	Open                                                                       bool
	NoteDraft, Error                                                           string
}

// payFlagView bounds ?view=.
func payFlagView(s string) string {
	if s == "all" {
		return s
	}
	return "open"
}

// flagsPage lists the flags of a view; a refused resolution shows again
// with its row's note and message (row: the flag id).
func (h *handlers) flagsPage(w http.ResponseWriter, req *http.Request, p webctx.Principal, view string, status int, form Form, row string,
	edit func(*ConsoleFlagRow)) {
	v := ConsoleFlagsView{Page: h.page(req, "page.pay.console.flags.title", consoleNav(), "finance"), Form: form, View: view}
	if v.Notice == "" && v.Error == "" {
		v.Notice = doneNotice(req, v.Lang)
	}
	v.Sub = paySub(v.Lang, p, "flags")
	for _, t := range []string{"open", "all"} {
		v.Tabs = append(v.Tabs, ConsoleSubNav{ID: t, Label: i18n.T(v.Lang, "page.pay.console.flags.view."+t, nil),
			Href: "/console/finance/flags?" + url.Values{"view": {t}}.Encode(), Current: t == view})
	}
	fs, err := h.app.PaymentFlags(req.Context(), p.Principal, view == "open")
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	l := v.Lang
	for _, f := range fs {
		r := ConsoleFlagRow{ID: f.ID, Gateway: f.Gateway, GatewayLabel: ccLabel(l, "page.shop.method.", f.Gateway), Ref: f.Ref, AttemptID: f.AttemptID,
			Kind: f.Kind, KindLabel: ccLabel(l, "page.pay.flag.", f.Kind), Detail: f.Detail, Amount: ccMoney(l, f.AmountFen),
			Created: shortTime(f.CreatedAt), Resolved: shortTime(f.ResolvedAt), ResolvedBy: f.ResolvedBy, Note: f.Note, Open: f.ResolvedAt.IsZero()}
		if f.ID == row && edit != nil {
			edit(&r)
		}
		v.Rows = append(v.Rows, r)
	}
	h.r.render(w, req, status, tmplConsoleFlags, v.Lang, v)
}

// consoleFlags lists open flags, or every one (finance.reconcile).
func (h *handlers) consoleFlags(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "finance.reconcile", "payment_flag") {
		return
	}
	h.flagsPage(w, req, p, payFlagView(req.URL.Query().Get("view")), http.StatusOK, Form{}, "", nil)
}

// consoleFlagResolve closes a flag with a note.
func (h *handlers) consoleFlagResolve(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "finance.reconcile", "payment_flag") {
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	id, note, view := bounded(req.PathValue("id")), field(req, "note"), payFlagView(field(req, "view"))
	err := h.app.ResolveFlag(req.Context(), p.Principal, id, note)
	if err == nil {
		http.Redirect(w, req, "/console/finance/flags?"+url.Values{"view": {view}, "done": {"flag_resolved"}}.Encode(), http.StatusSeeOther)
		return
	}
	if st := statusOfErr(err); st == http.StatusForbidden || st == http.StatusUnauthorized || st == http.StatusInternalServerError ||
		st == http.StatusNotFound {
		h.actionError(w, req, err)
		return
	}
	lang := i18n.FromRequest(req)
	f, status := h.ccFormError(req, lang, err, nil, nil)
	ccFieldMessage(lang, &f, err, map[string]string{"body.note": "page.pay.console.flags.note_required"})
	h.flagsPage(w, req, p, view, status, f, id, func(r *ConsoleFlagRow) { r.NoteDraft, r.Error = note, f.Error })
}

// ConsoleReconView lists reconciliation differences with the run form.
type ConsoleReconView struct {
	Page
	Form
	Sub      []ConsoleSubNav
	Gateways []ConsoleOption
	Day      string
	Rows     []ConsoleReconRow
	CanRun   bool
}

// ConsoleReconRow is one difference.
type ConsoleReconRow struct {
	ID, Day, Gateway, GatewayLabel, Kind, KindLabel, Entry, EntryLabel, Ref, Ours, Theirs string
}

// consoleRecon lists the differences (GET) or reconciles one gateway's
// day now (POST, then back to the list with what it found).
func (h *handlers) consoleRecon(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "finance.reconcile", "recon") {
		return
	}
	lang := i18n.FromRequest(req)
	yesterday := h.app.Now().In(clock.Shanghai).AddDate(0, 0, -1).Format(time.DateOnly)
	gws := h.app.Gateways()
	gateway, day := "", yesterday
	if len(gws) > 0 {
		gateway = gws[0]
	}
	status, form := http.StatusOK, Form{}
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		gateway, day = field(req, "gateway"), field(req, "day")
		d, err := time.ParseInLocation(time.DateOnly, day, clock.Shanghai)
		if err != nil {
			status, form = http.StatusUnprocessableEntity, Form{Error: i18n.T(lang, "page.pay.console.recon.day_invalid", nil)}
		} else {
			diffs, err := h.app.ReconcileAs(req.Context(), p.Principal, gateway, d)
			switch st := statusOfErr(err); {
			case err == nil:
				form.Notice = i18n.T(lang, "page.pay.console.recon.done", map[string]any{"gateway": ccLabel(lang, "page.shop.method.", gateway),
					"day": day, "n": len(diffs)})
			case st == http.StatusForbidden || st == http.StatusUnauthorized || st == http.StatusInternalServerError:
				h.actionError(w, req, err)
				return
			default:
				form, status = h.ccFormError(req, lang, err, nil, nil)
			}
		}
	}
	h.reconPage(w, req, p, status, form, gateway, day)
}

func (h *handlers) reconPage(w http.ResponseWriter, req *http.Request, p webctx.Principal, status int, form Form, gateway, day string) {
	v := ConsoleReconView{Page: h.page(req, "page.pay.console.recon.title", consoleNav(), "finance"), Form: form, Day: day}
	v.Sub = paySub(v.Lang, p, "reconciliation")
	v.Gateways = ccOptions(v.Lang, "page.shop.method.", h.app.Gateways(), gateway)
	v.CanRun = len(v.Gateways) > 0
	ds, err := h.app.ReconDiffs(req.Context(), p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	l := v.Lang
	for _, d := range ds {
		v.Rows = append(v.Rows, ConsoleReconRow{ID: d.ID, Day: d.Day, Gateway: d.Gateway, GatewayLabel: ccLabel(l, "page.shop.method.", d.Gateway),
			Kind: d.Kind, KindLabel: ccLabel(l, "page.pay.recon.kind.", d.Kind), Entry: d.Entry, EntryLabel: ccLabel(l, "page.pay.recon.entry.", d.Entry),
			Ref: d.Ref, Ours: ccMoney(l, d.OursFen), Theirs: ccMoney(l, d.TheirsFen)})
	}
	h.r.render(w, req, status, tmplConsoleRecon, v.Lang, v)
}
