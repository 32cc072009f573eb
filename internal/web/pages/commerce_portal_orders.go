package pages

import (
	"net/http"
	"net/url"
	"slices"

	"yuanxu/internal/app"
	"yuanxu/internal/money"
	"yuanxu/internal/order"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// Orders (/orders, /orders/{id}): lines with their refund class and
// clause, totals, state, the unpaid expiry (a time and what is left, no
// script), the delivery deadline after payment, payments; paying by
// balance, through a gateway (payments_portal.go) or split, cancelling an
// unpaid order, the printable receipt and the fapiao request of a paid
// order.

// ShopOrdersView lists the customer's orders.
type ShopOrdersView struct {
	Page
	ShopForm
	Rows     []ShopOrderRow
	NextHref string
}

// ShopOrderRow is one order in the list.
type ShopOrderRow struct {
	ID, Short, Href, Created, State, StateLabel, Total, Summary string
	ExpiresAt, Left                                             string
}

// ShopOrder is an order as its pages show it.
type ShopOrder struct {
	ID, Short, State, StateLabel, Channel, Created string
	Purpose, PurposeLabel, ServiceID               string // new, renewal or upgrade (of ServiceID)
	Lines                                          []ShopOrderLine
	Subtotal, Discount, Total, Paid, Due           string
	HasDiscount                                    bool
	Coupon                                         string
	Unpaid                                         bool
	ExpiresAt, Left                                string
	Expired                                        bool // unpaid, past its expiry, not yet swept
	PaidAt, DeliverBy, DeliveredAt, ClosedAt       string
	Payments                                       []ShopPayment
	PendingGateway                                 bool
	AgreementVersion, AgreementSHA, AgreementShort string
	AcceptanceID, Acknowledged                     string
	AgreementHref                                  string
}

// ShopOrderLine is one frozen line.
type ShopOrderLine struct {
	Product, Plan, Kind, Cycle, Quantity, Unit, Total, SLA, AttachTo string
	Refund                                                           ShopRefund
}

// ShopPayment is one payment of an order.
type ShopPayment struct {
	Method, State, StateKey, Amount, FromCash, FromCredit, Created, Settled string
	Pending                                                                 bool
}

// ShopOrderView is an order's page with its forms.
type ShopOrderView struct {
	Page
	ShopForm
	Order                         ShopOrder
	Balance                       string // spendable now, "" when unreadable
	CanPay, CanCancel, CanInvoice bool
	SplitAmount                   string
	Gateways                      []ShopOption
	InvoiceTypes                  []ShopOption
	InvoiceTitle, TaxID, Email    string
	Invoices                      []ShopInvoice

	// PayChoices are the gateway buttons; SplitKinds the split form's
	// kinds; Attempt the gateway payment waiting for the customer (the
	// page then refreshes itself until it is settled).
	PayChoices []PayChoice
	SplitKinds []ShopOption
	Attempt    *PayAttempt
	// BreachedDeadline is the missed delivery deadline when the deadline
	// sweep recorded a breach of this order ("" otherwise; issue 13).
	BreachedDeadline string
}

// ShopInvoice is one fapiao request of the order.
type ShopInvoice struct {
	ID, Type, Title, TaxID, Email, Amount, State, InvoiceNo, Note, Created string
}

// ShopReceiptView is the printable receipt.
type ShopReceiptView struct {
	Page
	Order     ShopOrder
	AccountID string
	Printed   string
}

func (h *handlers) shopOrderOf(req *http.Request, lang i18n.Lang, o app.OrderView, byID map[string]app.ProductView) ShopOrder {
	now := h.app.Now()
	rt := h.shopTerms(req.Context(), o.Agreement.VersionID)
	v := ShopOrder{ID: o.ID, Short: shopShortID(o.ID), State: o.State, StateLabel: shopT(lang, "page.shop.state."+o.State, o.State),
		Channel: shopT(lang, "page.shop.channel."+o.Channel, o.Channel), Created: shopTime(o.CreatedAt),
		Subtotal: shopYuan(lang, o.SubtotalFen), Discount: shopYuan(lang, o.DiscountFen), Total: shopYuan(lang, o.TotalFen),
		Paid: shopYuan(lang, o.PaidFen), Due: shopYuan(lang, o.DueFen), HasDiscount: o.DiscountFen > 0, Coupon: o.CouponCode,
		Unpaid: o.State == string(order.StateCreated), PaidAt: shopTime(o.PaidAt), DeliverBy: shopTime(o.DeliverBy),
		DeliveredAt: shopTime(o.DeliveredAt), ClosedAt: shopTime(o.ClosedAt), AgreementVersion: o.Agreement.VersionID,
		AgreementSHA: o.Agreement.SHA256, AgreementShort: shopSHA(o.Agreement.SHA256), AcceptanceID: o.Agreement.AcceptanceID,
		Acknowledged: shopClauses(lang, o.Agreement.Acknowledged), AgreementHref: "/agreement/versions/" + url.PathEscape(o.Agreement.VersionID)}
	if v.Unpaid {
		v.ExpiresAt, v.Left = shopTime(o.ExpiresAt), shopLeft(lang, now, o.ExpiresAt)
		v.Expired = v.Left == ""
	}
	if v.Channel == o.Channel && len(o.Channel) > 9 && o.Channel[:9] == "reseller:" {
		v.Channel = i18n.T(lang, "page.shop.channel.reseller", nil)
	}
	v.Purpose, v.ServiceID = o.Purpose, o.ServiceID
	if v.Purpose == "" {
		v.Purpose = app.PurposeNew
	}
	v.PurposeLabel = shopT(lang, "page.shop.purpose."+v.Purpose, v.Purpose)
	for _, l := range o.Lines {
		refund := shopRefundView(lang, l.RefundClass, l.RefundClause, rt)
		if v.Purpose != app.PurposeNew {
			// Only new purchases have the no-fault refund (refund.applies_to).
			refund.Text = i18n.T(lang, "page.shop.refund.not_new", map[string]any{"clause": rt.appliesClause})
		}
		v.Lines = append(v.Lines, ShopOrderLine{Product: shopName(lang, byID, l.ProductID, l.ProductName), Plan: l.PlanName,
			Kind: shopT(lang, "page.shop.kind."+l.Kind, l.Kind), Cycle: shopT(lang, "page.shop.cycle."+l.Cycle, l.Cycle),
			Quantity: shopInt(l.Quantity), Unit: shopYuan(lang, l.UnitPriceFen), Total: shopYuan(lang, l.TotalFen),
			SLA: shopSLA(lang, l.DeliverySLAMinutes), AttachTo: shopShortID(l.AttachTo), Refund: refund})
	}
	for _, py := range o.Payments {
		sp := ShopPayment{Method: shopT(lang, "page.shop.method."+py.Method, py.Method), State: shopT(lang, "page.shop.payment."+py.State, py.State),
			StateKey: py.State, Amount: shopYuan(lang, py.AmountFen), Created: shopTime(py.CreatedAt), Settled: shopTime(py.SettledAt),
			Pending: py.State == app.PaymentPending}
		if py.Method == app.MethodBalance {
			sp.FromCash, sp.FromCredit = shopYuan(lang, py.FromCashFen), shopYuan(lang, py.FromRefundCreditFen)
		}
		v.PendingGateway = v.PendingGateway || sp.Pending
		v.Payments = append(v.Payments, sp)
	}
	return v
}

// shopOrders lists the customer's orders, newest first.
func (h *handlers) shopOrders(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := ShopOrdersView{Page: h.page(req, "page.shop.orders.title", portalNav(), "orders")}
	v.Notice = doneNotice(req, v.Lang)
	const pageSize = 50
	os, err := h.app.Orders(req.Context(), p.Principal, app.OrderListFilter{Before: bounded(req.URL.Query().Get("before")), Limit: pageSize})
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	byID, now := h.shopCatalogByID(req.Context()), h.app.Now()
	for _, o := range os {
		r := ShopOrderRow{ID: o.ID, Short: shopShortID(o.ID), Href: "/orders/" + url.PathEscape(o.ID), Created: shortTime(o.CreatedAt), State: o.State,
			StateLabel: shopT(v.Lang, "page.shop.state."+o.State, o.State), Total: shopYuan(v.Lang, o.TotalFen)}
		var names []string
		for _, l := range o.Lines {
			names = append(names, shopName(v.Lang, byID, l.ProductID, l.ProductName))
		}
		r.Summary = shopClauses(v.Lang, names)
		if o.State == string(order.StateCreated) {
			r.ExpiresAt, r.Left = shortTime(o.ExpiresAt), shopLeft(v.Lang, now, o.ExpiresAt)
		}
		v.Rows = append(v.Rows, r)
	}
	if len(os) == pageSize {
		v.NextHref = "/orders?before=" + url.QueryEscape(os[len(os)-1].ID)
	}
	h.r.render(w, req, http.StatusOK, tmplShopOrders, v.Lang, v)
}

// shopOrderPage builds an order's page; the forms start empty.
func (h *handlers) shopOrderPage(req *http.Request, p webctx.Principal, id string) (ShopOrderView, error) {
	ctx := req.Context()
	o, err := h.app.Order(ctx, p.Principal, id)
	if err != nil {
		return ShopOrderView{}, err
	}
	v := ShopOrderView{Page: h.page(req, "page.shop.order.title", portalNav(), "orders")}
	v.Next = "/orders/" + url.PathEscape(o.ID)
	v.Order = h.shopOrderOf(req, v.Lang, o, h.shopCatalogByID(ctx))
	if b, ok, err := h.app.OrderBreach(ctx, p.Principal, o.ID); err != nil {
		return v, err
	} else if ok {
		v.BreachedDeadline = shortTime(b.DeliverBy)
	}
	v.CanPay = v.Order.Unpaid && !v.Order.PendingGateway && !v.Order.Expired
	v.CanCancel = v.Order.Unpaid
	v.CanInvoice = !o.PaidAt.IsZero() && o.State != string(order.StateRefunded) && o.State != string(order.StateCancelled)
	v.Gateways = shopOptions(v.Lang, "page.shop.method.", []string{app.MethodAlipay, app.MethodWeChatPay}, app.MethodAlipay)
	v.PayChoices, v.SplitKinds = h.payChoices(v.Lang), payKinds(v.Lang, "")
	if o.PendingAttempt != nil {
		at := payAttemptOf(v.Lang, *o.PendingAttempt)
		v.Attempt = &at
	}
	v.InvoiceTypes = shopOptions(v.Lang, "page.shop.invoice.type.", []string{app.InvoiceNormal, app.InvoiceSpecial}, app.InvoiceNormal)
	if wv, err := h.app.Wallet(ctx, p.Principal, "", "", 1); err == nil {
		v.Balance = shopYuan(v.Lang, wv.Balance.SpendableFen)
	}
	if v.CanInvoice {
		if ivs, err := h.app.Invoices(ctx, p.Principal, ""); err == nil {
			for _, iv := range ivs {
				if iv.OrderID != o.ID {
					continue
				}
				v.Invoices = append(v.Invoices, ShopInvoice{ID: iv.ID, Type: shopT(v.Lang, "page.shop.invoice.type."+iv.Type, iv.Type),
					Title: iv.Title, TaxID: iv.TaxID, Email: iv.Email, Amount: shopYuan(v.Lang, iv.AmountFen),
					State: shopT(v.Lang, "page.shop.invoice.state."+iv.State, iv.State), InvoiceNo: iv.InvoiceNo, Note: iv.Note,
					Created: shortTime(iv.CreatedAt)})
				if iv.State != "rejected" {
					v.CanInvoice = false // one open request per order
				}
			}
		}
	}
	return v, nil
}

// shopOrder is an order's page.
func (h *handlers) shopOrder(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v, err := h.shopOrderPage(req, p, req.PathValue("id"))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v.Notice = doneNotice(req, v.Lang)
	if v.Order.Unpaid && v.Order.PendingGateway {
		payRefresh(w) // until the gateway's notification settles it
	}
	h.r.render(w, req, http.StatusOK, tmplShopOrder, v.Lang, v)
}

// shopOrderFail shows an order's page again with err on form formID, and
// echo applied to the view (what was typed).
func (h *handlers) shopOrderFail(w http.ResponseWriter, req *http.Request, p webctx.Principal, err error, formID string, echo func(*ShopOrderView)) {
	h.shopFail(w, req, err, formID, func(f ShopForm, status int) {
		v, gerr := h.shopOrderPage(req, p, req.PathValue("id"))
		if gerr != nil {
			h.actionError(w, req, gerr)
			return
		}
		v.ShopForm = f
		// A form the order no longer offers (paid meanwhile, expired)
		// shows its error at the top of the page.
		if shown := map[string]bool{"pay": v.CanPay, "gateway": v.CanPay, "split": v.CanPay, "cancel": v.CanCancel, "invoice": v.CanInvoice}; !shown[formID] {
			v.FormID = ""
		}
		if echo != nil {
			echo(&v)
		}
		h.r.render(w, req, status, tmplShopOrder, v.Lang, v)
	})
}

// shopPay pays the order all by balance; all through a gateway (method
// alipay or wechatpay, kind page or qr); or split: a balance part now and
// the rest through a gateway. A gateway part stays pending, shown on the
// order's page, until the gateway's verified notification completes it.
func (h *handlers) shopPay(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	in := app.PayRequest{Method: app.MethodBalance}
	amount, gateway, kind := field(req, "balance_amount"), field(req, "gateway"), payKind(field(req, "kind"))
	formID := "pay"
	var err error
	switch method := field(req, "method"); method {
	case "split":
		formID = "split"
		in.Method, in.Gateway, in.Kind = "split", gateway, kind
		var f money.Fen
		if f, err = money.ParseYuanField(amount, "body.balance_fen"); err == nil {
			in.BalanceFen = int64(f)
		}
	case app.MethodAlipay, app.MethodWeChatPay:
		formID = "gateway"
		in.Method, in.Kind = method, kind
	}
	if err == nil {
		_, err = h.app.PayOrder(req.Context(), p.Principal, id, in)
	}
	if err == nil {
		done := "order_paid"
		switch in.Method {
		case "split":
			done = "split_started"
		case app.MethodAlipay, app.MethodWeChatPay:
			done = "payment_started"
		}
		http.Redirect(w, req, "/orders/"+url.PathEscape(id)+"?done="+done, http.StatusSeeOther)
		return
	}
	h.shopOrderFail(w, req, p, err, formID, func(v *ShopOrderView) {
		v.SplitAmount = amount
		if slices.Contains([]string{app.MethodAlipay, app.MethodWeChatPay}, gateway) {
			v.Gateways = shopOptions(v.Lang, "page.shop.method.", []string{app.MethodAlipay, app.MethodWeChatPay}, gateway)
		}
		if formID == "split" {
			v.SplitKinds = payKinds(v.Lang, kind)
		}
	})
}

// shopCancel cancels an unpaid order.
func (h *handlers) shopCancel(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	if _, err := h.app.CancelOrder(req.Context(), p.Principal, id); err != nil {
		h.shopOrderFail(w, req, p, err, "cancel", nil)
		return
	}
	http.Redirect(w, req, "/orders/"+url.PathEscape(id)+"?done=order_cancelled", http.StatusSeeOther)
}

// shopInvoice requests a fapiao for a paid order.
func (h *handlers) shopInvoice(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	id := req.PathValue("id")
	in := app.InvoiceRequest{OrderID: id, Type: field(req, "type"), Title: field(req, "title"), TaxID: field(req, "tax_id"), Email: field(req, "email")}
	if _, err := h.app.RequestInvoice(req.Context(), p.Principal, in); err != nil {
		h.shopOrderFail(w, req, p, err, "invoice", func(v *ShopOrderView) {
			v.InvoiceTitle, v.TaxID, v.Email = in.Title, in.TaxID, in.Email
			if in.Type == app.InvoiceSpecial {
				v.InvoiceTypes = shopOptions(v.Lang, "page.shop.invoice.type.", []string{app.InvoiceNormal, app.InvoiceSpecial}, in.Type)
			}
		})
		return
	}
	http.Redirect(w, req, "/orders/"+url.PathEscape(id)+"?done=invoice_requested", http.StatusSeeOther)
}

// shopReceipt is the printable receipt of an order.
func (h *handlers) shopReceipt(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	o, err := h.app.Order(req.Context(), p.Principal, req.PathValue("id"))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := ShopReceiptView{Page: h.page(req, "page.shop.receipt.title", portalNav(), "orders"), AccountID: o.AccountID,
		Printed: shopTime(h.app.Now())}
	v.Order = h.shopOrderOf(req, v.Lang, o, h.shopCatalogByID(req.Context()))
	h.r.render(w, req, http.StatusOK, tmplShopReceipt, v.Lang, v)
}
