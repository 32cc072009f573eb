package pages

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The finance queues: withdrawals (approve — a second, different approver
// above refund.dual_control_fen —, reject with a reason, mark paid with
// the transfer reference, unmask the bank account to pay it, or pay it
// back to the original route by gateway refunds of the customer's
// top-ups) and fapiao requests (issue with the number, reject with a
// note).

// ConsoleWithdrawalsView is the withdrawals queue of one tab.
type ConsoleWithdrawalsView struct {
	Page
	Form
	Sub                []ConsoleSubNav
	Tabs               []ConsoleSubNav
	View               string
	Rows               []ConsoleWithdrawalRow
	CanApprove, CanPay bool
	Me                 string // the viewer's account id: approvals by them say so
}

// ConsoleWithdrawalRow is one withdrawal with what the viewer may do.
type ConsoleWithdrawalRow struct {
	ID, AccountID, KindLabel, SourceLabel, Amount, State, StateLabel string
	Destination, Unmasked                                            string
	FirstApprover, SecondApprover, RejectReason, TransferRef         string
	Requested, FirstApproved, SecondApproved, Paid                   string
	NeedsSecond                                                      bool
	// Actions the viewer may take now; Route pays by gateway refunds.
	Approve, Reject, Pay, Unmask, Route bool
	// WaitsForOther: the viewer gave the first approval; someone else
	// must give the second.
	WaitsForOther bool
	// Typed values and the message of a refused action on this row.
	Reason, Ref, Error string
}

// ConsoleInvoicesView is the fapiao queue of one tab.
type ConsoleInvoicesView struct {
	Page
	Form
	Sub  []ConsoleSubNav
	Tabs []ConsoleSubNav
	View string
	Rows []ConsoleInvoiceRow
}

// ConsoleInvoiceRow is one fapiao request.
type ConsoleInvoiceRow struct {
	ID, AccountID, OrderID, TypeLabel, Title, TaxID, Email, Amount, State, StateLabel string
	InvoiceNo, Note, Created, Handled                                                 string
	Open                                                                              bool
	// Typed values and the message of a refused action on this row.
	Number, NoteDraft, Error string
}

// ccWithdrawalTabs are the queue's tabs: "open" (every state still in
// flight) first.
var ccWithdrawalTabs = append([]string{"open"}, append(slices.Clone(ccWithdrawalStates), "all")...)

func ccTabs(lang i18n.Lang, base, prefix string, ids []string, current string) []ConsoleSubNav {
	out := make([]ConsoleSubNav, len(ids))
	for i, t := range ids {
		out[i] = ConsoleSubNav{ID: t, Label: ccLabel(lang, prefix, t), Href: base + "?" + url.Values{"state": {t}}.Encode(), Current: t == current}
	}
	return out
}

// withdrawalsPage lists the queue's tab; a POST that failed shows again
// with its row's message and typed values (row: the withdrawal id).
func (h *handlers) withdrawalsPage(w http.ResponseWriter, req *http.Request, p webctx.Principal, view string, status int, form Form,
	row string, edit func(*ConsoleWithdrawalRow)) {
	v := ConsoleWithdrawalsView{Page: h.page(req, "page.console.withdrawals.title", consoleNav(), "finance"), Form: form, View: view,
		CanApprove: p.Holds("finance.withdrawal.approve"), CanPay: p.Holds("finance.payout"), Me: p.AccountID}
	if v.Notice == "" && v.Error == "" {
		v.Notice = doneNotice(req, v.Lang)
	}
	v.Sub = ccFinanceSub(v.Lang, p, "withdrawals")
	v.Tabs = ccTabs(v.Lang, "/console/finance/withdrawals", "page.console.withdrawals.state.", ccWithdrawalTabs, view)
	var states []string
	switch view {
	case "open":
		states = []string{app.WithdrawalRequested, app.WithdrawalAwaitingSecond, app.WithdrawalApproved, app.WithdrawalPaying}
	case "all":
	default:
		states = []string{view}
	}
	ws, err := h.app.Withdrawals(req.Context(), p.Principal, states)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	l := v.Lang
	for _, x := range ws {
		r := ConsoleWithdrawalRow{ID: x.ID, AccountID: x.AccountID, KindLabel: ccLabel(l, "page.console.withdrawals.kind.", x.Kind),
			SourceLabel: ccLabel(l, "page.console.finance.account.", x.Source), Amount: ccMoney(l, x.AmountFen), State: x.State,
			StateLabel: ccLabel(l, "page.console.withdrawals.state.", x.State), Destination: x.DestinationMasked, NeedsSecond: x.NeedsSecond,
			FirstApprover: x.FirstApprover, SecondApprover: x.SecondApprover, RejectReason: x.RejectReason, TransferRef: x.TransferRef,
			Requested: shortTime(x.RequestedAt), FirstApproved: shortTime(x.FirstApprovedAt), SecondApproved: shortTime(x.SecondApprovedAt),
			Paid: shortTime(x.PaidAt)}
		if r.Destination == "original route" {
			r.Destination = i18n.T(l, "page.console.withdrawals.original_route", nil)
		}
		request := x.Kind == app.WithdrawalKindRequest
		switch x.State {
		case app.WithdrawalRequested:
			r.Approve, r.Reject = v.CanApprove, v.CanApprove && request
		case app.WithdrawalAwaitingSecond:
			r.WaitsForOther = x.FirstApprover == p.AccountID
			r.Approve, r.Reject = v.CanApprove && !r.WaitsForOther, v.CanApprove && request
		case app.WithdrawalApproved:
			r.Pay, r.Unmask, r.Reject = v.CanPay, v.CanPay && request, v.CanApprove && request
			r.Route = v.CanPay && request
		}
		if x.ID == row && edit != nil {
			edit(&r)
		}
		v.Rows = append(v.Rows, r)
	}
	h.r.render(w, req, status, tmplConsoleWithdrawals, v.Lang, v)
}

func ccWithdrawalTab(s string) string {
	if slices.Contains(ccWithdrawalTabs, s) {
		return s
	}
	return "open"
}

// consoleWithdrawals is the queue (finance.withdrawal.approve or
// finance.payout).
func (h *handlers) consoleWithdrawals(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !p.Holds("finance.withdrawal.approve") && !h.ccAuthorize(w, req, p, "finance.payout", "withdrawal") {
		return
	}
	h.withdrawalsPage(w, req, p, ccWithdrawalTab(req.URL.Query().Get("state")), http.StatusOK, Form{}, "", nil)
}

// ccWithdrawalActions maps each action to the permission it needs.
var ccWithdrawalActions = map[string]account.Permission{
	"approve": "finance.withdrawal.approve",
	"reject":  "finance.withdrawal.approve",
	"paid":    "finance.payout",
	"unmask":  "finance.payout",
	"route":   "finance.payout",
}

// consoleWithdrawalPost decides on a withdrawal (action=approve, reject
// with reason, paid with transfer_ref), pays it back to its original
// route (action=route: gateway refunds) or shows its bank account in
// clear (action=unmask, audited by the app) on the queue.
func (h *handlers) consoleWithdrawalPost(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !p.Holds("finance.withdrawal.approve") && !h.ccAuthorize(w, req, p, "finance.payout", "withdrawal") {
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	ctx := req.Context()
	wid, action := bounded(req.PathValue("id")), field(req, "action")
	view := ccWithdrawalTab(field(req, "view"))
	lang := i18n.FromRequest(req)
	reason, ref := field(req, "reason"), field(req, "transfer_ref")
	keep := func(msg string) func(*ConsoleWithdrawalRow) {
		return func(r *ConsoleWithdrawalRow) { r.Reason, r.Ref, r.Error = reason, ref, msg }
	}
	perm, ok := ccWithdrawalActions[action]
	if !ok {
		msg := i18n.T(lang, "page.console.withdrawals.unknown_action", nil)
		h.withdrawalsPage(w, req, p, view, http.StatusUnprocessableEntity, Form{Error: msg}, wid, keep(msg))
		return
	}
	if !h.ccAuthorize(w, req, p, perm, "withdrawal") {
		return
	}
	if action == "unmask" {
		dest, err := h.app.WithdrawalDestination(ctx, p.Principal, wid)
		if err != nil {
			h.actionError(w, req, err)
			return
		}
		if dest == "" {
			dest = i18n.T(lang, "page.console.withdrawals.original_route", nil)
		}
		notice := i18n.T(lang, "page.console.withdrawals.unmasked", nil)
		h.withdrawalsPage(w, req, p, view, http.StatusOK, Form{Notice: notice}, wid, func(r *ConsoleWithdrawalRow) { r.Unmasked = dest })
		return
	}
	var err error
	if action == "route" {
		_, err = h.app.PayWithdrawalToRoute(ctx, p.Principal, wid)
	} else {
		_, err = h.app.DecideWithdrawal(ctx, p.Principal, wid, app.WithdrawalDecision{Action: action, Reason: reason, TransferRef: ref})
	}
	if err == nil {
		http.Redirect(w, req, "/console/finance/withdrawals?"+url.Values{"state": {view}, "done": {"withdrawal_" + action}}.Encode(), http.StatusSeeOther)
		return
	}
	code := errs.CodeOf(err)
	switch st := statusOfErr(err); {
	case st == http.StatusNotFound || st == http.StatusInternalServerError || st == http.StatusUnauthorized:
		h.actionError(w, req, err)
		return
	case st == http.StatusForbidden && code != account.ReasonSeparation:
		h.actionError(w, req, err)
		return
	}
	f, status := h.ccFormError(req, lang, err, nil, nil)
	if code == account.ReasonSeparation {
		f.Error = i18n.T(lang, "page.console.withdrawals.second_must_differ", nil)
	}
	ccFieldMessage(lang, &f, err, map[string]string{"body.reason": "page.console.withdrawals.reason_required",
		"body.transfer_ref": "page.console.withdrawals.ref_required"})
	h.withdrawalsPage(w, req, p, view, status, f, wid, keep(f.Error))
}

// ccInvoiceTabs are the fapiao queue's tabs.
var ccInvoiceTabs = []string{"requested", "issued", "rejected", "all"}

func ccInvoiceTab(s string) string {
	if slices.Contains(ccInvoiceTabs, s) {
		return s
	}
	return "requested"
}

// invoicesPage lists the fapiao queue's tab; a POST that failed shows
// again with its row's message and typed values.
func (h *handlers) invoicesPage(w http.ResponseWriter, req *http.Request, p webctx.Principal, view string, status int, form Form,
	row string, edit func(*ConsoleInvoiceRow)) {
	v := ConsoleInvoicesView{Page: h.page(req, "page.console.invoices.title", consoleNav(), "finance"), Form: form, View: view}
	if v.Notice == "" && v.Error == "" {
		v.Notice = doneNotice(req, v.Lang)
	}
	v.Sub = ccFinanceSub(v.Lang, p, "invoices")
	v.Tabs = ccTabs(v.Lang, "/console/finance/invoices", "page.console.invoices.state.", ccInvoiceTabs, view)
	state := view
	if view == "all" {
		state = ""
	}
	is, err := h.app.Invoices(req.Context(), p.Principal, state)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	l := v.Lang
	for _, x := range is {
		r := ConsoleInvoiceRow{ID: x.ID, AccountID: x.AccountID, OrderID: x.OrderID, TypeLabel: ccLabel(l, "page.console.invoices.type.", x.Type),
			Title: x.Title, TaxID: x.TaxID, Email: x.Email, Amount: ccMoney(l, x.AmountFen), State: x.State,
			StateLabel: ccLabel(l, "page.console.invoices.state.", x.State), InvoiceNo: x.InvoiceNo, Note: x.Note, Created: shortTime(x.CreatedAt),
			Handled: shortTime(x.HandledAt), Open: x.State == "requested"}
		if x.ID == row && edit != nil {
			edit(&r)
		}
		v.Rows = append(v.Rows, r)
	}
	h.r.render(w, req, status, tmplConsoleInvoices, v.Lang, v)
}

// consoleInvoices is the fapiao queue (finance.invoice).
func (h *handlers) consoleInvoices(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "finance.invoice", "invoice") {
		return
	}
	h.invoicesPage(w, req, p, ccInvoiceTab(req.URL.Query().Get("state")), http.StatusOK, Form{}, "", nil)
}

// consoleInvoicePost records a fapiao as issued (with its number) or
// rejected (with a note).
func (h *handlers) consoleInvoicePost(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "finance.invoice", "invoice") {
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	iid, action := bounded(req.PathValue("id")), field(req, "action")
	view := ccInvoiceTab(field(req, "view"))
	number, note := field(req, "invoice_no"), field(req, "note")
	err := h.app.HandleInvoice(req.Context(), p.Principal, iid, app.InvoiceDecision{Action: action, InvoiceNo: number, Note: note})
	if err == nil {
		http.Redirect(w, req, "/console/finance/invoices?"+url.Values{"state": {view}, "done": {"invoice_" + action}}.Encode(), http.StatusSeeOther)
		return
	}
	if st := statusOfErr(err); st == http.StatusForbidden || st == http.StatusUnauthorized || st == http.StatusInternalServerError {
		h.actionError(w, req, err)
		return
	}
	lang := i18n.FromRequest(req)
	f, status := h.ccFormError(req, lang, err, nil, nil)
	ccFieldMessage(lang, &f, err, map[string]string{"body.invoice_no": "page.console.invoices.number_required",
		"body.note": "page.console.invoices.note_required"})
	h.invoicesPage(w, req, p, view, status, f, iid, func(r *ConsoleInvoiceRow) { r.Number, r.NoteDraft, r.Error = number, note, f.Error })
}

// ccFieldMessage replaces the message of a one-field error by the key
// keys names for that field: a row form says what it misses.
func ccFieldMessage(lang i18n.Lang, f *Form, err error, keys map[string]string) {
	var e *errs.Error
	if errors.As(err, &e) && len(e.Fields) == 1 {
		if k, ok := keys[e.Fields[0].Field]; ok {
			f.Error, f.FieldErrors = i18n.T(lang, k, nil), nil
		}
	}
}
