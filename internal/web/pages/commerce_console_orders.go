package pages

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/id"
	"yuanxu/internal/order"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// ConsoleOrdersView lists orders, newest first, by state and account.
type ConsoleOrdersView struct {
	Page
	Form
	Errs      ccFieldErrs
	State     string
	AccountID string
	States    []ConsoleOption
	Rows      []ConsoleOrderRow
	NextHref  string
}

// ConsoleOrderRow is one order of the list.
type ConsoleOrderRow struct {
	ID, AccountID, State, StateLabel, Created, Total, Paid, Products, Channel string
}

// ConsoleOrderView is one order: lines with their refund classes, the
// agreement accepted at checkout, payments and the timeline.
type ConsoleOrderView struct {
	Page
	Form
	ID, AccountID, Channel, State, StateLabel       string
	Subtotal, Discount, Total, Paid, Due, Coupon    string
	AgreementVersion, AgreementSHA256, AcceptanceID string
	Acknowledged                                    string
	Lines                                           []ConsoleOrderLine
	Payments                                        []ConsolePaymentRow
	Timeline                                        []ConsoleEvent
}

// ConsoleOrderLine is one frozen line.
type ConsoleOrderLine struct {
	Product, ProductID, Plan, KindLabel, Cycle, Unit, Total, RefundClass, RefundClause, SLA, AttachTo string
	Quantity                                                                                          int64
}

// ConsolePaymentRow is one payment of an order.
type ConsolePaymentRow struct {
	ID, Method, State, Amount, FromCredit, FromCash, Created, Settled string
}

// ConsoleEvent is one step of a timeline.
type ConsoleEvent struct {
	At, Text string
	at       time.Time
}

const ccOrdersPage = 50

// consoleOrders lists orders (account.read_any) by state and account id,
// newest first, paged by ?before= (the last order id of a page).
func (h *handlers) consoleOrders(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "account.read_any", "order") {
		return
	}
	q := req.URL.Query()
	v := ConsoleOrdersView{Page: h.page(req, "page.console.orders.title", consoleNav(), "orders"), Errs: ccFieldErrs{},
		State: bounded(q.Get("state")), AccountID: bounded(strings.TrimSpace(q.Get("account")))}
	v.States = ccOptions(v.Lang, "page.console.commerce.order_state.", append([]string{""}, strs(order.States)...), v.State)
	v.States[0].Label = i18n.T(v.Lang, "page.console.commerce.any", nil)
	if v.State != "" && !order.State(v.State).Valid() {
		v.Errs.add(v.Lang, "state", "enum")
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
		h.r.render(w, req, http.StatusUnprocessableEntity, tmplConsoleOrders, v.Lang, v)
		return
	}
	f := app.OrderListFilter{AccountID: v.AccountID, Before: before, Limit: ccOrdersPage + 1}
	if v.State != "" {
		f.States = []string{v.State}
	}
	list, err := h.app.Orders(req.Context(), p.Principal, f)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	if len(list) > ccOrdersPage {
		list = list[:ccOrdersPage]
		next := url.Values{"before": {list[len(list)-1].ID}}
		if v.State != "" {
			next.Set("state", v.State)
		}
		if v.AccountID != "" {
			next.Set("account", v.AccountID)
		}
		v.NextHref = "/console/orders?" + next.Encode()
	}
	for _, o := range list {
		r := ConsoleOrderRow{ID: o.ID, AccountID: o.AccountID, State: o.State, StateLabel: ccLabel(v.Lang, "page.console.commerce.order_state.", o.State),
			Created: shortTime(o.CreatedAt), Total: ccMoney(v.Lang, o.TotalFen), Paid: ccMoney(v.Lang, o.PaidFen),
			Channel: o.Channel}
		var names []string
		for _, l := range o.Lines {
			names = append(names, l.ProductName)
		}
		r.Products = strings.Join(slices.Compact(names), i18n.T(v.Lang, "layout.list_sep", nil))
		v.Rows = append(v.Rows, r)
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleOrders, v.Lang, v)
}

// consoleOrder shows one order (account.read_any).
func (h *handlers) consoleOrder(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "account.read_any", "order") {
		return
	}
	o, err := h.app.Order(req.Context(), p.Principal, bounded(req.PathValue("id")))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	l := i18n.FromRequest(req)
	v := ConsoleOrderView{Page: h.page(req, "page.console.order.title", consoleNav(), "orders"), ID: o.ID, AccountID: o.AccountID,
		Channel: o.Channel, State: o.State, StateLabel: ccLabel(l, "page.console.commerce.order_state.", o.State),
		Subtotal: ccMoney(l, o.SubtotalFen), Discount: ccMoney(l, o.DiscountFen), Total: ccMoney(l, o.TotalFen), Paid: ccMoney(l, o.PaidFen),
		Due: ccMoney(l, o.DueFen), Coupon: o.CouponCode, AgreementVersion: o.Agreement.VersionID, AgreementSHA256: o.Agreement.SHA256,
		AcceptanceID: o.Agreement.AcceptanceID, Acknowledged: strings.Join(o.Agreement.Acknowledged, ", ")}
	for _, ln := range o.Lines {
		v.Lines = append(v.Lines, ConsoleOrderLine{Product: ln.ProductName, ProductID: ln.ProductID, Plan: ln.PlanName,
			KindLabel: ccLabel(l, "page.console.commerce.kind.", ln.Kind), Cycle: ccLabel(l, "page.console.commerce.cycle.", ln.Cycle),
			Quantity: ln.Quantity, Unit: ccMoney(l, ln.UnitPriceFen), Total: ccMoney(l, ln.TotalFen),
			RefundClass: ccLabel(l, "page.console.commerce.refund_class.", ln.RefundClass), RefundClause: ln.RefundClause,
			SLA: ccMinutes(l, ln.DeliverySLAMinutes), AttachTo: ln.AttachTo})
	}
	for _, pm := range o.Payments {
		v.Payments = append(v.Payments, ConsolePaymentRow{ID: pm.ID, Method: ccLabel(l, "page.console.commerce.method.", pm.Method),
			State: ccLabel(l, "page.console.commerce.payment_state.", pm.State), Amount: ccMoney(l, pm.AmountFen),
			FromCredit: ccMoney(l, pm.FromRefundCreditFen), FromCash: ccMoney(l, pm.FromCashFen), Created: shortTime(pm.CreatedAt),
			Settled: shortTime(pm.SettledAt)})
	}
	v.Timeline = ccOrderTimeline(l, o)
	h.r.render(w, req, http.StatusOK, tmplConsoleOrder, v.Lang, v)
}

// ccOrderTimeline is what happened to an order, from its own times and its
// payments', in time order. A deadline still ahead (expiry of an unpaid
// order, delivery by) is shown as such.
func ccOrderTimeline(l i18n.Lang, o app.OrderView) []ConsoleEvent {
	var ev []ConsoleEvent
	add := func(at time.Time, key string, params map[string]any) {
		if !at.IsZero() {
			ev = append(ev, ConsoleEvent{At: shortTime(at), Text: i18n.T(l, key, params), at: at})
		}
	}
	add(o.CreatedAt, "page.console.order.event.created", map[string]any{"total": ccMoney(l, o.TotalFen)})
	for _, pm := range o.Payments {
		m := ccLabel(l, "page.console.commerce.method.", pm.Method)
		add(pm.CreatedAt, "page.console.order.event.payment_started", map[string]any{"method": m, "amount": ccMoney(l, pm.AmountFen)})
		add(pm.SettledAt, "page.console.order.event.payment_settled", map[string]any{"method": m,
			"state": ccLabel(l, "page.console.commerce.payment_state.", pm.State)})
	}
	add(o.PaidAt, "page.console.order.event.paid", nil)
	if order.State(o.State) == order.StateCreated {
		add(o.ExpiresAt, "page.console.order.event.expires", nil)
	}
	if o.DeliveredAt.IsZero() {
		add(o.DeliverBy, "page.console.order.event.deliver_by", nil)
	}
	add(o.DeliveredAt, "page.console.order.event.delivered", nil)
	add(o.ClosedAt, "page.console.order.event.closed", map[string]any{"state": ccLabel(l, "page.console.commerce.order_state.", o.State)})
	slices.SortStableFunc(ev, func(a, b ConsoleEvent) int { return a.at.Compare(b.at) })
	return ev
}
