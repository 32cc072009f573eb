package pages

import (
	"net/http"
	"net/url"
	"strings"

	"yuanxu/internal/app"
	"yuanxu/internal/policy"
	"yuanxu/internal/refund"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The portal's refund pages: the request form with the live preview
// (/orders/{id}/refund), my requests (/refunds) and one request
// (/refunds/{id}) with its withdrawal.

// RefundRequestView is an order's refund page: the preview and, unless
// the order is ineligible, the request form.
type RefundRequestView struct {
	Page
	Form
	Errs     map[string]string // input name → message
	Order    RefundOrder
	Preview  RefundDecisionView
	Eligible bool // the form is offered (eligible or needs_review)
	// OpenRequest is the open request of this order, when there is one.
	OpenRequest *RefundSummary
	// The form, as typed.
	Destinations      []RefundDestination
	Reason, Statement string
	Confirmed         bool
	// BalancePart is the part paid from the balance (it goes back there
	// whatever the destination); "" when none.
	BalancePart   string
	CreditOffered bool // a destination that pays refund credit is offered
	ReviewDays    int
	ReviewClause  string
}

// RefundOrder is the order a refund page is about.
type RefundOrder struct {
	ID, Short, Href, Products, Paid, PaidAt, DeliveredAt, StateLabel string
}

// RefundDestination is one destination the policy offers.
type RefundDestination struct {
	Value, Label, Text string
	Checked, Credit    bool // Credit: the money becomes refund credit
}

// refundTyped is what the request form sent.
type refundTyped struct {
	destination, reason, statement string
	confirmed                      bool
}

// refundRequestPage builds an order's refund page with the form as typed.
func (h *handlers) refundRequestPage(req *http.Request, p webctx.Principal, typed refundTyped) (RefundRequestView, error) {
	ctx := req.Context()
	o, err := h.app.Order(ctx, p.Principal, req.PathValue("id"))
	if err != nil {
		return RefundRequestView{}, err
	}
	d, err := h.app.RefundPreview(ctx, p.Principal, o.ID)
	if err != nil {
		return RefundRequestView{}, err
	}
	v := RefundRequestView{Page: h.page(req, "page.refunds.request.title", portalNav(), "orders"), Errs: map[string]string{},
		Reason: typed.reason, Statement: typed.statement, Confirmed: typed.confirmed}
	v.Next = "/orders/" + url.PathEscape(o.ID) + "/refund"
	byID := h.shopCatalogByID(ctx)
	var names []string
	for _, l := range o.Lines {
		names = append(names, shopName(v.Lang, byID, l.ProductID, l.ProductName))
	}
	v.Order = RefundOrder{ID: o.ID, Short: shopShortID(o.ID), Href: "/orders/" + o.ID, Products: strings.Join(names, i18n.T(v.Lang, "layout.list_sep", nil)),
		Paid: shopYuan(v.Lang, o.PaidFen), PaidAt: shortTime(o.PaidAt), DeliveredAt: shortTime(o.DeliveredAt),
		StateLabel: shopT(v.Lang, "page.shop.state."+o.State, o.State)}
	v.Preview = refundDecisionView(v.Lang, d)
	v.Eligible = d.Outcome != refund.Ineligible

	// An open request of this order: link to it.
	open, err := h.app.Refunds(ctx, p.Principal, []string{app.RefundUnderReview, app.RefundApproved, app.RefundPaying})
	if err != nil {
		return v, err
	}
	for _, r := range open {
		if r.OrderID == o.ID {
			s := refundSummary(v.Lang, r, h.app.Now(), false)
			v.OpenRequest = &s
			break
		}
	}

	set, _, err := h.app.Policy().For(ctx, o.ID)
	if err != nil {
		return v, err
	}
	v.ReviewDays, v.ReviewClause = set.Int(policy.RefundReviewWorkingDays), clauses(string(policy.RefundReviewWorkingDays))
	payout := set.Int(policy.RefundPayoutDays)
	for _, dest := range set.Strings(policy.RefundDestinations) {
		v.Destinations = append(v.Destinations, RefundDestination{Value: dest, Label: shopT(v.Lang, "page.refunds.destination."+dest, dest),
			Text:    i18n.T(v.Lang, "page.refunds.destination."+dest+".text", map[string]any{"days": payout}),
			Checked: dest == typed.destination, Credit: dest != policy.DestinationOriginalRoute})
	}
	var fromBalance int64
	for _, py := range o.Payments {
		if py.Method == app.MethodBalance && py.State == app.PaymentSucceeded {
			fromBalance += py.AmountFen
		}
	}
	if fromBalance > 0 {
		v.BalancePart = shopYuan(v.Lang, fromBalance)
	}
	for _, d := range v.Destinations {
		v.CreditOffered = v.CreditOffered || d.Credit
	}
	return v, nil
}

// refundRequest is an order's refund page.
func (h *handlers) refundRequest(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.refundRequestPage(req, p, refundTyped{})
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	h.r.render(w, req, http.StatusOK, tmplRefundRequest, v.Lang, v)
}

// refundInputs maps the app's fields to the form's inputs.
var refundInputs = map[string]string{"body.destination": "destination", "body.reason": "reason", "body.statement": "statement",
	"body.confirm_suspension": "confirm"}

// refundRequestPost files the request and goes to its page; bad input
// and refusals show the page again with the form as typed.
func (h *handlers) refundRequestPost(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	lang := i18n.FromRequest(req)
	typed := refundTyped{destination: field(req, "destination"), reason: longField(req, "reason", 2000),
		statement: longField(req, "statement", 8000), confirmed: field(req, "confirm_suspension") == "1"}
	fail := func(f Form, fe map[string]string, status int) {
		v, err := h.refundRequestPage(req, p, typed)
		if err != nil {
			h.actionError(w, req, err)
			return
		}
		v.Form = f
		if fe != nil {
			v.Errs = fe
		}
		h.r.render(w, req, status, tmplRefundRequest, v.Lang, v)
	}
	// Everything missing is said at once, before the app is asked.
	fe := map[string]string{}
	if typed.destination == "" {
		fe["destination"] = i18n.T(lang, "page.refunds.rule.destination", nil)
	}
	if typed.reason == "" {
		fe["reason"] = i18n.T(lang, "rule.required", nil)
	}
	if !typed.confirmed {
		fe["confirm"] = i18n.T(lang, "page.refunds.rule.confirm", nil)
	}
	if len(fe) > 0 {
		fail(Form{Error: i18n.T(lang, "page.refunds.form.fix", nil)}, fe, http.StatusUnprocessableEntity)
		return
	}
	r, err := h.app.RequestRefund(req.Context(), p.Principal, app.RefundInput{OrderID: req.PathValue("id"), Reason: typed.reason,
		Statement: typed.statement, Destination: typed.destination, ConfirmSuspension: typed.confirmed})
	if err != nil {
		fe := map[string]string{}
		f, status, ok := refundFormError(lang, err, fe, refundInputs)
		if !ok {
			h.actionError(w, req, err)
			return
		}
		fail(f, fe, status)
		return
	}
	http.Redirect(w, req, "/refunds/"+url.PathEscape(r.ID)+"?done=refund_requested", http.StatusSeeOther)
}

// longField is a trimmed form value bounded to max bytes (the app then
// refuses one that is too long with its own limit).
func longField(req *http.Request, name string, max int) string {
	v := strings.TrimSpace(req.PostForm.Get(name))
	if len(v) > max {
		v = v[:max]
	}
	return v
}

// RefundListView is the customer's requests.
type RefundListView struct {
	Page
	Form
	Rows []RefundSummary
}

// refundList lists the customer's requests, newest first (the app's
// order).
func (h *handlers) refundList(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	vs, err := h.app.Refunds(req.Context(), p.Principal, nil)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := RefundListView{Page: h.page(req, "page.refunds.list.title", portalNav(), "orders")}
	v.Notice = doneNotice(req, v.Lang)
	now := h.app.Now()
	for _, r := range vs {
		v.Rows = append(v.Rows, refundSummary(v.Lang, r, now, false))
	}
	h.r.render(w, req, http.StatusOK, tmplRefunds, v.Lang, v)
}

// RefundDetailView is one request of the customer.
type RefundDetailView struct {
	Page
	Form
	Refund      RefundSummary
	Due         string
	Decision    RefundDecisionView
	CanWithdraw bool
	// Swap is set for a request approved as a swap: the replacements to
	// choose from (refunds_swap.go).
	Swap *SwapView
}

// refundDetailPage builds a request's page.
func (h *handlers) refundDetailPage(req *http.Request, p webctx.Principal) (RefundDetailView, error) {
	r, err := h.app.Refund(req.Context(), p.Principal, req.PathValue("id"))
	if err != nil {
		return RefundDetailView{}, err
	}
	v := RefundDetailView{Page: h.page(req, "page.refunds.detail.title", portalNav(), "orders")}
	v.Refund = refundSummary(v.Lang, r, h.app.Now(), false)
	v.Due = refundDue(v.Lang, r.ReviewDue)
	v.Decision = refundDecisionView(v.Lang, r.Decision)
	v.CanWithdraw = r.State == app.RefundUnderReview
	if r.State == app.RefundSwapPending {
		if v.Swap, err = h.swapView(req, v.Lang, r, "", nil); err != nil {
			return v, err
		}
	}
	return v, nil
}

// refundDetail is one request's page.
func (h *handlers) refundDetail(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.refundDetailPage(req, p)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	h.r.render(w, req, http.StatusOK, tmplRefund, v.Lang, v)
}

// refundWithdraw withdraws a request under review; a refusal shows the
// request's page with the message.
func (h *handlers) refundWithdraw(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	if _, err := h.app.WithdrawRefund(req.Context(), p.Principal, id); err != nil {
		f, status, ok := refundFormError(i18n.FromRequest(req), err, map[string]string{}, nil)
		if !ok {
			h.actionError(w, req, err)
			return
		}
		v, gerr := h.refundDetailPage(req, p)
		if gerr != nil {
			h.actionError(w, req, gerr)
			return
		}
		v.Form = f
		h.r.render(w, req, status, tmplRefund, v.Lang, v)
		return
	}
	http.Redirect(w, req, "/refunds/"+url.PathEscape(id)+"?done=refund_withdrawn", http.StatusSeeOther)
}
