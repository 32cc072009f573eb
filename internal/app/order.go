package app

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/agreement"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/order"
	"yuanxu/internal/store"
)

// Orders (issue 9 items 2 and 4, clause 2): checkout prices the lines from
// the catalog (a client never sends a price, total or state), checks every
// blocker at once with its clause (order.CheckoutRules), records the
// agreement version accepted with the key clauses ticked one by one, takes
// stock and the coupon's use by conditional updates, and stores the order
// in one transaction. Payment by balance is a conditional debit; an unpaid
// order expires after order.unpaid_expiry of the version it was placed
// under, giving back stock, the coupon's use and any balance part.

// LineRequest is one line a client asks for.
type LineRequest struct {
	ProductID string `json:"product_id" example:"cs-jx-traffic" maxLength:"64"`
	PlanID    string `json:"plan_id" example:"s2" maxLength:"64"`
	Cycle     string `json:"cycle" enum:"month,quarter,year,one_off" example:"month"`
	Quantity  int64  `json:"quantity" minimum:"1" maximum:"1000" example:"1"`
	// AttachTo is, for a traffic pack, the customer's traffic-billed cloud
	// server service it extends.
	AttachTo string `json:"attach_to,omitempty" example:"" maxLength:"64"`
}

// AgreementAck is the customer's acceptance at checkout of the version in
// force: each key clause ticked on its own (clause 1; SPC interpretation
// art. 10).
type AgreementAck struct {
	VersionID    string   `json:"version_id,omitempty" example:"builtin-2026-01" doc:"the version shown; empty: the one in force"`
	SHA256       string   `json:"sha256,omitempty" example:"" doc:"the SHA-256 of the text shown"`
	Acknowledged []string `json:"acknowledged" example:"[\"3.1\",\"3.2\",\"4.3\",\"6.2\",\"7\",\"8\"]"`
	Explained    []string `json:"explained,omitempty" example:"[]"`
}

// CheckoutRequest is what a client sends to check out.
type CheckoutRequest struct {
	Lines      []LineRequest `json:"lines" minItems:"1" maxItems:"50"`
	CouponCode string        `json:"coupon_code,omitempty" example:"WELCOME10" maxLength:"64"`
	Agreement  AgreementAck  `json:"agreement"`
	// FromCart empties the customer's cart once the order is placed.
	FromCart bool `json:"from_cart,omitempty" example:"false"`
	// Pay, when set, pays the order in the checkout's own transaction
	// (see Checkout): placed and paid, or nothing at all.
	Pay *CheckoutPay `json:"pay,omitempty" doc:"Pay at once: the order is placed and paid in one transaction, or not placed at all."`
}

// CheckoutPay is how an order is paid at checkout. Only the balance can
// pay there: a gateway payment needs the customer at the gateway, which
// POST /orders/{id}/pay starts.
type CheckoutPay struct {
	Method string `json:"method" enum:"balance" example:"balance" doc:"balance: the whole total from the balance, refund credit first."`
}

// Idem is a request's Idempotency-Key and the hash of its raw body.
type Idem struct {
	Key      string
	BodyHash [32]byte
}

// OrderLineView is one frozen line.
type OrderLineView struct {
	ProductID    string `json:"product_id" example:"cs-jx-traffic"`
	PlanID       string `json:"plan_id" example:"s2"`
	ProductName  string `json:"product_name" example:"南昌云服务器（流量计费）"`
	PlanName     string `json:"plan_name" example:"2 vCPU · 4 GiB"`
	Kind         string `json:"kind" example:"cloud_server"`
	Cycle        string `json:"cycle" example:"month"`
	Quantity     int64  `json:"quantity" example:"1"`
	UnitPriceFen int64  `json:"unit_price_fen" example:"9900"`
	TotalFen     int64  `json:"total_fen" example:"9900"`
	RefundClass  string `json:"refund_class" example:"standard"`
	RefundClause string `json:"refund_clause" example:"3.1"`
	// DeliverySLAMinutes is the agreed delivery time frozen at checkout.
	DeliverySLAMinutes int64  `json:"delivery_sla_minutes" example:"10"`
	AttachTo           string `json:"attach_to,omitempty" example:""`
}

// PaymentView is one payment of an order.
type PaymentView struct {
	ID                  string    `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f61"`
	Method              string    `json:"method" enum:"balance,alipay,wechatpay" example:"balance"`
	State               string    `json:"state" enum:"pending,succeeded,failed,cancelled" example:"succeeded"`
	AmountFen           int64     `json:"amount_fen" example:"9900"`
	FromRefundCreditFen int64     `json:"from_refund_credit_fen" example:"0"`
	FromCashFen         int64     `json:"from_cash_fen" example:"9900"`
	CreatedAt           time.Time `json:"created_at" example:"2026-11-26T08:00:00Z"`
	SettledAt           time.Time `json:"settled_at,omitzero" example:"2026-11-26T08:00:00Z"`
}

// OrderAgreementView is the agreement version accepted at checkout.
type OrderAgreementView struct {
	VersionID    string   `json:"version_id" example:"builtin-2026-01"`
	SHA256       string   `json:"sha256" example:"9f2c…"`
	AcceptanceID string   `json:"acceptance_id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f62"`
	Acknowledged []string `json:"acknowledged" example:"[\"3.1\"]"`
}

// OrderView is an order as its customer and staff see it.
type OrderView struct {
	ID        string `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f60"`
	AccountID string `json:"account_id" example:"01936a9e-0000-7000-8000-000000000001"`
	Channel   string `json:"channel" example:"web"`
	// ResellerMode is how an order a reseller placed is paid: wholesale
	// (by the reseller) or commission (by the customer); "" otherwise.
	ResellerMode string `json:"reseller_mode,omitempty" enum:"wholesale,commission," example:""`
	State        string `json:"state" enum:"created,paid,provisioning,delivered,delivery_failed,expired,cancelled,refunded,swapped" example:"created"`
	// Purpose is new (a new purchase), renewal or upgrade (of ServiceID):
	// only new purchases have the no-fault refund (refund.applies_to).
	Purpose     string             `json:"purpose" enum:"new,renewal,upgrade" example:"new"`
	ServiceID   string             `json:"service_id,omitempty" example:""`
	Lines       []OrderLineView    `json:"lines"`
	SubtotalFen int64              `json:"subtotal_fen" example:"9900"`
	DiscountFen int64              `json:"discount_fen" example:"0"`
	TotalFen    int64              `json:"total_fen" example:"9900"`
	PaidFen     int64              `json:"paid_fen" example:"0"`
	DueFen      int64              `json:"due_fen" example:"9900"`
	CouponCode  string             `json:"coupon_code,omitempty" example:""`
	Agreement   OrderAgreementView `json:"agreement"`
	Payments    []PaymentView      `json:"payments"`
	// PendingAttempt is the gateway payment waiting for the customer: its
	// page URL or QR code (read by Order, not by Orders).
	PendingAttempt *AttemptView `json:"pending_attempt,omitempty"`
	CreatedAt      time.Time    `json:"created_at" example:"2026-11-26T08:00:00Z"`
	// ExpiresAt is when the order expires unpaid (order.unpaid_expiry).
	ExpiresAt time.Time `json:"expires_at" example:"2026-11-26T08:30:00Z"`
	PaidAt    time.Time `json:"paid_at,omitzero" example:"2026-11-26T08:01:00Z"`
	// DeliverBy is the delivery deadline set at payment (clause 2.2).
	DeliverBy   time.Time `json:"deliver_by,omitzero" example:"2026-11-26T08:11:00Z"`
	DeliveredAt time.Time `json:"delivered_at,omitzero" example:"2026-11-26T08:03:00Z"`
	ClosedAt    time.Time `json:"closed_at,omitzero" example:"2026-11-26T08:30:00Z"`
}

func orderView(r store.OrderRow, pays []store.PaymentRow) OrderView {
	v := OrderView{ID: r.ID, AccountID: r.AccountID, Channel: r.Channel, ResellerMode: r.ResellerMode, State: r.State, Purpose: r.Purpose, ServiceID: r.ServiceID, SubtotalFen: r.SubtotalFen,
		DiscountFen: r.DiscountFen, TotalFen: r.TotalFen, PaidFen: r.PaidFen, DueFen: r.TotalFen - r.PaidFen, CouponCode: r.CouponCode,
		Agreement: OrderAgreementView{VersionID: r.AgreementVersionID, SHA256: r.AgreementSHA256, AcceptanceID: r.AcceptanceID,
			Acknowledged: r.Acknowledged},
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, PaidAt: r.PaidAt, DeliverBy: r.DeliverBy, DeliveredAt: r.DeliveredAt,
		ClosedAt: r.ClosedAt, Lines: []OrderLineView{}, Payments: []PaymentView{}}
	if v.Agreement.Acknowledged == nil {
		v.Agreement.Acknowledged = []string{}
	}
	if order.State(r.State) != order.StateCreated {
		v.DueFen = 0
	}
	for _, l := range r.Lines {
		v.Lines = append(v.Lines, OrderLineView{ProductID: l.ProductID, PlanID: l.PlanID, ProductName: l.ProductName, PlanName: l.PlanName,
			Kind: l.Kind, Cycle: l.Cycle, Quantity: l.Quantity, UnitPriceFen: l.UnitPriceFen, TotalFen: l.TotalFen, RefundClass: l.RefundClass,
			RefundClause: l.RefundClause, DeliverySLAMinutes: int64(l.DeliverySLA / time.Minute), AttachTo: l.AttachTo})
	}
	for _, p := range pays {
		v.Payments = append(v.Payments, PaymentView{ID: p.ID, Method: p.Method, State: p.State, AmountFen: p.AmountFen,
			FromRefundCreditFen: p.FromRefundCreditFen, FromCashFen: p.FromCashFen, CreatedAt: p.CreatedAt, SettledAt: p.SettledAt})
	}
	return v
}

// domainOrder is the order package's view of a stored order.
func domainOrder(r store.OrderRow) *order.Order {
	o := &order.Order{ID: r.ID, AccountID: r.AccountID, Channel: order.Channel(r.Channel), State: order.State(r.State),
		SubtotalFen: r.SubtotalFen, DiscountFen: r.DiscountFen, TotalFen: r.TotalFen, CouponCode: r.CouponCode,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, PaidAt: r.PaidAt, DeliverBy: r.DeliverBy, DeliveredAt: r.DeliveredAt, ClosedAt: r.ClosedAt}
	for _, l := range r.Lines {
		o.Lines = append(o.Lines, order.Line{ProductID: l.ProductID, PlanID: l.PlanID, Kind: catalog.Kind(l.Kind), Cycle: catalog.Cycle(l.Cycle),
			Quantity: l.Quantity, UnitPriceFen: l.UnitPriceFen, TotalFen: l.TotalFen, RefundClass: catalog.Class(l.RefundClass),
			RefundClause: agreement.ClauseID(l.RefundClause), DeliverySLA: l.DeliverySLA, AttachTo: l.AttachTo})
	}
	return o
}

// withState copies the lifecycle fields of o onto r.
func withState(r store.OrderRow, o *order.Order, now time.Time) store.OrderRow {
	r.State, r.PaidAt, r.DeliverBy, r.DeliveredAt, r.ClosedAt, r.UpdatedAt = string(o.State), o.PaidAt, o.DeliverBy, o.DeliveredAt, o.ClosedAt, now
	return r
}

func (a *App) orderObject(ctx context.Context, r store.OrderRow) (account.Object, error) {
	return a.customerObject(ctx, "order", r.AccountID)
}

// loadOrder reads an order and authorises p on it: a customer through
// custPerm within its reach (order.not_found otherwise), staff through
// staffPerm.
func (a *App) loadOrder(ctx context.Context, q store.Querier, p account.Principal, orderID string, custPerm, staffPerm account.Permission) (store.OrderRow, error) {
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, staffPerm, account.Object{Type: "order"}); err != nil {
			return store.OrderRow{}, err
		}
	}
	r, err := store.OrderGet(ctx, q, orderID)
	if store.IsNotFound(err) {
		return r, errNotFound("order")
	}
	if err != nil {
		return r, err
	}
	return r, a.authorizeOrderRead(ctx, p, r, custPerm)
}

// authorizeOrderRead is loadOrder's check of a customer's read of order r
// (custPerm on the order's object); staff were checked before the read.
func (a *App) authorizeOrderRead(ctx context.Context, p account.Principal, r store.OrderRow, custPerm account.Permission) error {
	if p.Kind == account.KindStaff {
		return nil
	}
	obj, err := a.orderObject(ctx, r)
	if err != nil {
		return err
	}
	return a.Authorize(ctx, p, custPerm, obj)
}

// Order reads one order with its payments (order.read; staff
// account.read_any).
func (a *App) Order(ctx context.Context, p account.Principal, orderID string) (OrderView, error) {
	r, err := a.loadOrder(ctx, a.db, p, orderID, "order.read", "account.read_any")
	if err != nil {
		return OrderView{}, err
	}
	pays, err := store.Payments(ctx, a.db, r.ID)
	if err != nil {
		return OrderView{}, err
	}
	v := orderView(r, pays)
	ats, err := store.Attempts(ctx, a.db, store.AttemptFilter{OrderID: r.ID, Limit: 10})
	if err != nil {
		return OrderView{}, err
	}
	for _, at := range ats {
		if at.State == AttemptPending && v.State == string(order.StateCreated) {
			av := attemptView(at)
			v.PendingAttempt = &av
			break
		}
	}
	return v, nil
}

// OrderListFilter selects orders: a customer's own (AccountID ignored), or
// for staff any account's.
type OrderListFilter struct {
	AccountID string
	States    []string
	Before    string
	Limit     int
}

// Orders lists orders newest first with their lines (payments are read by
// Order): a customer its tenant's (order.read), staff any (account.read_any).
func (a *App) Orders(ctx context.Context, p account.Principal, f OrderListFilter) ([]OrderView, error) {
	if p.Kind == account.KindStaff {
		if err := a.Authorize(ctx, p, "account.read_any", account.Object{Type: "order"}); err != nil {
			return nil, err
		}
	} else {
		f.AccountID = p.TenantID()
		obj, err := a.customerObject(ctx, "order", f.AccountID)
		if err != nil {
			return nil, err
		}
		if err := a.Authorize(ctx, p, "order.read", obj); err != nil {
			return nil, err
		}
	}
	for _, s := range f.States {
		if !order.State(s).Valid() {
			return nil, errs.E(errs.Op("app.Orders"), errs.Invalid, order.CodeOrderInvalid, "unknown state",
				errs.FieldError{Field: "query.state", Rule: "enum"})
		}
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	rows, err := store.Orders(ctx, a.db, store.OrderFilter{AccountID: f.AccountID, States: f.States, Before: f.Before, Limit: f.Limit, WithLines: true})
	if err != nil {
		return nil, err
	}
	out := make([]OrderView, 0, len(rows))
	for _, r := range rows {
		out = append(out, orderView(r, nil))
	}
	return out, nil
}

// Error codes of checkout and payment beyond the order package's.
const (
	CodeOutOfStock        = "order.out_of_stock"
	CodeOrderExpired      = "order.expired"
	CodeOrderNotPayable   = "order.not_payable"
	CodePaymentPending    = "order.payment_pending"
	CodePaymentInvalid    = "order.payment_invalid"
	CodeCouponNotFound    = "coupon.not_found"
	CodeAttachNotFound    = "order.attach_to_not_found"
	CodeIdemReplayCorrupt = "idempotency.stored_response_invalid"
)

func fieldErr(op, code string, kind errs.Kind, field, rule, msg string, params map[string]any) error {
	return errs.E(errs.Op(op), kind, code, msg, errs.FieldError{Field: field, Rule: rule, Params: params})
}

// validateCheckout checks the shape of a request before anything is read.
func validateCheckout(in *CheckoutRequest) error {
	var fes []errs.FieldError
	if len(in.Lines) == 0 || len(in.Lines) > 50 {
		fes = append(fes, errs.FieldError{Field: "body.lines", Rule: "range", Params: map[string]any{"min": 1, "max": 50}})
	}
	in.CouponCode = strings.ToUpper(strings.TrimSpace(in.CouponCode))
	if len(in.CouponCode) > 64 {
		fes = append(fes, errs.FieldError{Field: "body.coupon_code", Rule: "max_length", Params: map[string]any{"max": 64}})
	}
	for i, l := range in.Lines {
		at := "body.lines[" + strconv.Itoa(i) + "]."
		if len(l.ProductID) > 64 || l.ProductID == "" {
			fes = append(fes, errs.FieldError{Field: at + "product_id", Rule: "required"})
		}
		if len(l.PlanID) > 64 || l.PlanID == "" {
			fes = append(fes, errs.FieldError{Field: at + "plan_id", Rule: "required"})
		}
		if !catalog.Cycle(l.Cycle).Valid() {
			fes = append(fes, errs.FieldError{Field: at + "cycle", Rule: "enum"})
		}
		if l.Quantity < 1 || l.Quantity > order.MaxQuantity {
			fes = append(fes, errs.FieldError{Field: at + "quantity", Rule: "range", Params: map[string]any{"min": 1, "max": order.MaxQuantity}})
		}
		if len(l.AttachTo) > 64 {
			fes = append(fes, errs.FieldError{Field: at + "attach_to", Rule: "max_length"})
		}
	}
	if len(fes) > 0 {
		return errs.E(errs.Op("app.Checkout"), errs.Invalid, order.CodeOrderInvalid, "the order request is not valid", fes)
	}
	return nil
}

// bodyFields prefixes the domain's field names ("lines[0].quantity") with
// "body." as the API reports them.
func bodyFields(err error) error {
	var e *errs.Error
	if errors.As(err, &e) {
		for i := range e.Fields {
			switch f := e.Fields[i].Field; {
			case f == "acknowledged":
				e.Fields[i].Field = "body.agreement.acknowledged"
			case !strings.HasPrefix(f, "body.") && !strings.HasPrefix(f, "header.") && f != "kyc" && f != "account":
				e.Fields[i].Field = "body." + f
			}
		}
	}
	return err
}
