package pages

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/policy"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The console's refund pages: the review queue by deadline
// (refund.review) and one request with its evidence, trace, dual-control
// state and the decision forms (refund.decide).

// ConsoleRefundsView is the review queue.
type ConsoleRefundsView struct {
	Page
	Form
	Tab  string
	Tabs []ConsoleSubNav
	Rows []ConsoleRefundRow
}

// ConsoleRefundRow is one request of the queue.
type ConsoleRefundRow struct {
	RefundSummary
	// Approval says the dual-control state in a few words ("" when the
	// amount needs one approver and none was given).
	Approval string
}

// consoleRefundTabs are the queue's tabs and the states each shows.
var consoleRefundTabs = []struct {
	id     string
	states []string
}{
	{"under_review", []string{app.RefundUnderReview}},
	{"paying", []string{app.RefundApproved, app.RefundPaying}},
	{"paid", []string{app.RefundPaid}},
	{"rejected", []string{app.RefundRejected}},
	{"withdrawn", []string{app.RefundWithdrawn}},
	{"all", nil},
}

// consoleRefunds is the review queue, soonest deadline first, overdue
// requests marked (refund.review).
func (h *handlers) consoleRefunds(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "refund.review", "refund") {
		return
	}
	v := ConsoleRefundsView{Page: h.page(req, "page.console.refunds.title", consoleNav(), "refunds"), Tab: req.URL.Query().Get("state")}
	v.Notice = doneNotice(req, v.Lang)
	var states []string
	found := false
	for _, t := range consoleRefundTabs {
		if t.id == v.Tab {
			states, found = t.states, true
		}
	}
	if !found {
		v.Tab, states = "under_review", []string{app.RefundUnderReview}
	}
	for _, t := range consoleRefundTabs {
		v.Tabs = append(v.Tabs, ConsoleSubNav{ID: t.id, Label: i18n.T(v.Lang, "page.console.refunds.tab."+t.id, nil),
			Href: "/console/refunds?state=" + t.id, Current: t.id == v.Tab})
	}
	list, err := h.app.Refunds(req.Context(), p.Principal, states)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	now := h.app.Now()
	names := map[string]string{}
	for _, r := range list {
		row := ConsoleRefundRow{RefundSummary: refundSummary(v.Lang, r, now, true)}
		if r.FirstApprover != "" && r.State == app.RefundUnderReview {
			row.Approval = i18n.T(v.Lang, "page.console.refunds.first_by", map[string]any{"who": h.staffName(req, p, names, r.FirstApprover)})
		}
		v.Rows = append(v.Rows, row)
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleRefunds, v.Lang, v)
}

// staffName is a staff member's display name as p may read it (the id
// when unreadable), remembered in cache.
func (h *handlers) staffName(req *http.Request, p webctx.Principal, cache map[string]string, id string) string {
	if n, ok := cache[id]; ok {
		return n
	}
	lang := i18n.FromRequest(req)
	n := id
	switch {
	case id == "system":
		n = i18n.T(lang, "page.console.refunds.system", nil)
	case id == p.AccountID:
		n = i18n.T(lang, "page.console.refunds.you", nil)
	default:
		if acc, err := h.app.AccountGet(req.Context(), p.Principal, id); err == nil && acc.DisplayName != "" {
			n = acc.DisplayName
			if acc.EmailMasked != "" {
				n += " (" + acc.EmailMasked + ")"
			}
		}
	}
	cache[id] = n
	return n
}

// ConsoleRefundView is one request with the decision forms the viewer
// may use. FormID names the form an error belongs to.
type ConsoleRefundView struct {
	Page
	Form
	FormID   string
	Errs     map[string]string
	Refund   RefundSummary
	Customer string // the customer's name and masked email, "" when unreadable
	Due      string
	Decision RefundDecisionView
	Evidence []RefundFact
	// Dual control: Dual is set above the limit; Approval says where it
	// stands ("first approval by X, a second approver is needed").
	Dual          bool
	DualLimit     string
	Approval      string
	FirstIsMe     bool
	CanDecide     bool // holds refund.decide and the request is under review
	CanApprove    bool // may give the approval the request needs next
	ApproveSecond bool // the approval would be the second
	// WhyNoApprove says why the approve form is not offered ("" when it is).
	WhyNoApprove string
	// The forms, as typed.
	ReasonCodes []ConsoleOption
	ReasonCode  string
	ApproveText string
	RejectText  string
}

// consoleRefundPage renders one request; edit fills a refused form.
func (h *handlers) consoleRefundPage(w http.ResponseWriter, req *http.Request, p webctx.Principal, status int, edit func(*ConsoleRefundView)) {
	r, err := h.app.Refund(req.Context(), p.Principal, bounded(req.PathValue("id")))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := ConsoleRefundView{Page: h.page(req, "page.console.refund.title", consoleNav(), "refunds"), Errs: map[string]string{}}
	now := h.app.Now()
	v.Refund = refundSummary(v.Lang, r, now, true)
	v.Due = refundDue(v.Lang, r.ReviewDue)
	v.Decision = refundDecisionView(v.Lang, r.Decision)
	v.Evidence = refundEvidence(v.Lang, r.Evidence)
	if acc, err := h.app.AccountGet(req.Context(), p.Principal, r.AccountID); err == nil {
		v.Customer = strings.TrimSpace(acc.DisplayName + " " + acc.EmailMasked)
	}
	v.Notice = doneNotice(req, v.Lang)
	names := map[string]string{}
	v.Dual = r.NeedsSecond
	if set, _, err := h.app.Policy().For(req.Context(), r.OrderID); err == nil {
		v.DualLimit = shopYuan(v.Lang, set.Int64(policy.RefundDualControlFen))
	}
	v.FirstIsMe = r.FirstApprover != "" && r.FirstApprover == p.AccountID
	under := r.State == app.RefundUnderReview
	switch {
	case under && v.Dual && r.FirstApprover != "":
		v.Approval = i18n.T(v.Lang, "page.console.refund.dual.first", map[string]any{"who": h.staffName(req, p, names, r.FirstApprover)})
	case under && v.Dual:
		v.Approval = i18n.T(v.Lang, "page.console.refund.dual.none", map[string]any{"limit": v.DualLimit})
	case r.FirstApprover != "":
		v.Approval = i18n.T(v.Lang, "page.console.refund.approved_by", map[string]any{"who": h.staffName(req, p, names, r.FirstApprover)})
	}
	v.CanDecide = under && p.Holds("refund.decide")
	v.ApproveSecond = v.Dual && r.FirstApprover != ""
	switch {
	case !v.CanDecide:
	case v.ApproveSecond && v.FirstIsMe:
		v.WhyNoApprove = i18n.T(v.Lang, "page.console.refund.dual.you", nil)
	case v.ApproveSecond && !p.Holds("refund.approve_second"):
		v.WhyNoApprove = i18n.T(v.Lang, "page.console.refund.dual.cannot_second", nil)
	default:
		v.CanApprove = true
	}
	if edit != nil {
		edit(&v)
	}
	v.ReasonCodes = ccOptions(v.Lang, "page.refunds.reason_code.", append([]string{""}, refundReasonCodes...), v.ReasonCode)
	v.ReasonCodes[0].Label = i18n.T(v.Lang, "page.console.refund.reject.choose", nil)
	h.r.render(w, req, status, tmplConsoleRefundDetails, v.Lang, v)
}

// consoleRefund shows one request (refund.review).
func (h *handlers) consoleRefund(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "refund.review", "refund") {
		return
	}
	h.consoleRefundPage(w, req, p, http.StatusOK, nil)
}

// consoleRefundPost approves or rejects a request (refund.decide): a
// rejection needs a reason code from the list. A refusal shows the page
// again with its message and what was typed.
func (h *handlers) consoleRefundPost(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "refund.review", "refund") || !h.ccAuthorize(w, req, p, "refund.decide", "refund") {
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	lang := i18n.FromRequest(req)
	action, code, text := field(req, "action"), field(req, "reason_code"), longField(req, "text", 4000)
	keep := func(f Form, fe map[string]string) func(*ConsoleRefundView) {
		return func(v *ConsoleRefundView) {
			v.Form, v.FormID = f, action
			if fe != nil {
				v.Errs = fe
			}
			if action == "reject" {
				v.RejectText, v.ReasonCode = text, code
			} else {
				v.ApproveText = text
			}
		}
	}
	fe := map[string]string{}
	switch action {
	case "approve":
	case "reject":
		if !slices.Contains(refundReasonCodes, code) {
			fe["reason_code"] = i18n.T(lang, "page.console.refund.rule.reason_code", nil)
		}
	default:
		h.consoleRefundPage(w, req, p, http.StatusUnprocessableEntity, keep(Form{Error: i18n.T(lang, "page.console.refund.unknown_action", nil)}, nil))
		return
	}
	if len([]rune(text)) > 1000 {
		fe["text"] = i18n.T(lang, "rule.max_length", map[string]any{"max": 1000})
	}
	if len(fe) > 0 {
		h.consoleRefundPage(w, req, p, http.StatusUnprocessableEntity, keep(ccInvalidForm(lang), fe))
		return
	}
	id := req.PathValue("id")
	r, err := h.app.RefundDecide(req.Context(), p.Principal, id, app.RefundDecision{Action: action, ReasonCode: code, Text: text})
	if err != nil {
		// A refused approval (the first approver again, or no right to
		// the second) is said on the page; other refusals of the page
		// and missing requests get their error pages.
		var e *errs.Error
		if errors.As(err, &e) && e.Kind == errs.Forbidden && action == "approve" && e.Code != account.ReasonStaffOnly {
			h.consoleRefundPage(w, req, p, http.StatusForbidden, keep(Form{Error: refundErrorText(lang, e)}, nil))
			return
		}
		fe := map[string]string{}
		f, status, ok := refundFormError(lang, err, fe, map[string]string{"body.reason_code": "reason_code", "body.text": "text"})
		if !ok {
			h.actionError(w, req, err)
			return
		}
		h.consoleRefundPage(w, req, p, status, keep(f, fe))
		return
	}
	done := "refund_rejected"
	switch {
	case action == "reject":
	case r.State == app.RefundUnderReview:
		done = "refund_first_approval"
	case r.State == app.RefundPaying || r.State == app.RefundApproved:
		done = "refund_paying"
	default:
		done = "refund_paid"
	}
	http.Redirect(w, req, "/console/refunds/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
}
