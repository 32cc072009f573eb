package order

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"yuanxu/internal/agreement"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
)

// Channel is where an order was placed (SEED-REQUIREMENTS 二(1)): "web",
// "api", or "reseller:<id>".
type Channel string

// Channels without a parameter.
const (
	ChannelWeb Channel = "web"
	ChannelAPI Channel = "api"
)

const resellerPrefix = "reseller:"

// ResellerChannel returns the channel of an order placed by reseller id.
func ResellerChannel(id string) Channel { return Channel(resellerPrefix + id) }

// ResellerID returns the reseller of a reseller channel.
func (c Channel) ResellerID() (string, bool) {
	id, ok := strings.CutPrefix(string(c), resellerPrefix)
	if !ok {
		return "", false
	}
	return id, id != ""
}

// Valid reports whether c is web, api, or reseller:<id> with a non-empty id
// of at most 64 bytes without spaces.
func (c Channel) Valid() bool {
	if c == ChannelWeb || c == ChannelAPI {
		return true
	}
	id, ok := c.ResellerID()
	return ok && len(id) <= 64 && !strings.ContainsAny(id, " \t\r\n")
}

// AgreementRef is the agreement version the customer accepted at checkout,
// with the key clauses acknowledged one by one (clause 1, Civil Code 496).
type AgreementRef struct {
	VersionID    string
	SHA256       string // hex, 64 characters, as shown to the customer
	Acknowledged []agreement.ClauseID
}

// MaxQuantity is the most units of one plan a line may hold.
const MaxQuantity int64 = 1000

// Line is one line of an order, with everything frozen at checkout.
type Line struct {
	ProductID    string
	PlanID       string
	Kind         catalog.Kind
	Cycle        catalog.Cycle
	Quantity     int64
	UnitPriceFen int64 // the catalog price at checkout
	TotalFen     int64 // UnitPriceFen × Quantity
	// RefundClass and RefundClause are derived from the product at checkout
	// and shown before it (catalog.RefundClassOf).
	RefundClass  catalog.Class
	RefundClause agreement.ClauseID
	// DeliverySLA is the product's SLA at checkout (clause 2.2).
	DeliverySLA time.Duration
	// AttachTo is the service (the parent cloud server) a traffic pack is
	// for; empty for other kinds.
	AttachTo string
}

// Order is an order and its lines.
type Order struct {
	ID        string
	AccountID string
	Channel   Channel
	State     State
	Lines     []Line
	Agreement AgreementRef

	SubtotalFen int64 // Σ line totals
	DiscountFen int64 // 0 ≤ DiscountFen ≤ SubtotalFen
	TotalFen    int64 // SubtotalFen − DiscountFen: what is charged
	CouponCode  string

	CreatedAt   time.Time
	ExpiresAt   time.Time // unpaid expiry (order.unpaid_expiry)
	PaidAt      time.Time
	DeliverBy   time.Time // exclusive delivery deadline, set at payment
	DeliveredAt time.Time
	ClosedAt    time.Time // when it reached a terminal state
}

// LineInput is what a client sends for one line: no price, no total, no
// state (see the package doc).
type LineInput struct {
	ProductID string
	PlanID    string
	Cycle     catalog.Cycle
	Quantity  int64
	AttachTo  string // the parent server of a traffic pack
}

// CheckoutInput is what a client sends to check out: no prices, totals,
// discount, state or balance (see the package doc).
type CheckoutInput struct {
	Lines        []LineInput
	CouponCode   string
	Acknowledged []agreement.ClauseID // key clauses ticked one by one
}

// LineSpec is one line to price: the catalog product (looked up by the app
// from LineInput.ProductID) and what the client asked for.
type LineSpec struct {
	Product catalog.Product
	Input   LineInput
}

// NewParams is what NewOrder needs.
type NewParams struct {
	ID           string
	AccountID    string
	Channel      Channel
	Lines        []LineSpec
	Agreement    AgreementRef
	CreatedAt    time.Time
	UnpaidExpiry time.Duration // policy order.unpaid_expiry of the version accepted
}

// Error codes of NewOrder.
const CodeOrderInvalid = "order.invalid"

// NewOrder prices the lines from the catalog and returns a created order.
// Every problem is reported at once in one *errs.Error of Kind Invalid and
// code CodeOrderInvalid, with fields such as "lines[0].quantity"; an
// overflowing total is CodeAmountOverflow (field "lines[i].quantity" or
// "lines"). Rules: id, account id, a valid channel, at least one line, a
// version id and a 64-hex SHA256, a positive unpaid expiry; per line an
// active product whose id matches the input, a known plan priced in the
// cycle, 1 ≤ quantity ≤ MaxQuantity, attach_to exactly for traffic packs.
// Stock, licences, KYC, standing and pack ownership are CheckoutRules'
// business.
func NewOrder(p NewParams) (*Order, error) {
	const op = errs.Op("order.NewOrder")
	var fes []errs.FieldError
	bad := func(field, rule string, params map[string]any) {
		fes = append(fes, errs.FieldError{Field: field, Rule: rule, Params: params})
	}
	if p.ID == "" {
		bad("id", "required", nil)
	}
	if p.AccountID == "" {
		bad("account_id", "required", nil)
	}
	if !p.Channel.Valid() {
		bad("channel", "format", nil)
	}
	if p.Agreement.VersionID == "" {
		bad("agreement.version_id", "required", nil)
	}
	if b, err := hex.DecodeString(p.Agreement.SHA256); err != nil || len(b) != 32 {
		bad("agreement.sha256", "format", nil)
	}
	if p.UnpaidExpiry <= 0 {
		bad("unpaid_expiry", "positive", nil)
	}
	if len(p.Lines) == 0 {
		bad("lines", "required", nil)
	}
	o := &Order{
		ID: p.ID, AccountID: p.AccountID, Channel: p.Channel, State: StateCreated,
		Agreement: p.Agreement, CreatedAt: p.CreatedAt, ExpiresAt: UnpaidExpiry(p.CreatedAt, p.UnpaidExpiry),
	}
	for i, s := range p.Lines {
		l, lfes, err := newLine(s, fmt.Sprintf("lines[%d]", i))
		if err != nil {
			return nil, err
		}
		fes = append(fes, lfes...)
		o.Lines = append(o.Lines, l)
	}
	if len(fes) > 0 {
		return nil, errs.E(op, errs.Invalid, CodeOrderInvalid, fmt.Sprintf("%d problem(s) in the order", len(fes)), fes)
	}
	if err := o.recompute(); err != nil {
		return nil, err
	}
	return o, nil
}

func newLine(s LineSpec, at string) (Line, []errs.FieldError, error) {
	var fes []errs.FieldError
	bad := func(field, rule string) { fes = append(fes, errs.FieldError{Field: at + "." + field, Rule: rule}) }
	in, p := s.Input, s.Product
	if in.ProductID == "" || in.ProductID != p.ID {
		bad("product_id", "unknown")
		return Line{}, fes, nil
	}
	if !p.Active {
		bad("product_id", "not_for_sale")
	}
	class, clause := catalog.RefundClassOf(p)
	l := Line{ProductID: p.ID, PlanID: in.PlanID, Kind: p.Kind, Cycle: in.Cycle, Quantity: in.Quantity,
		RefundClass: class, RefundClause: clause, DeliverySLA: p.DeliverySLA, AttachTo: in.AttachTo}
	plan, ok := p.Plan(in.PlanID)
	if !ok {
		bad("plan_id", "unknown")
	} else if price, ok := plan.PriceFen(in.Cycle); !ok {
		bad("cycle", "not_offered")
	} else {
		l.UnitPriceFen = price
	}
	if in.Quantity < 1 || in.Quantity > MaxQuantity {
		fes = append(fes, errs.FieldError{Field: at + ".quantity", Rule: "range", Params: map[string]any{"min": 1, "max": MaxQuantity}})
	}
	switch {
	case p.Kind == catalog.KindTrafficPack && in.AttachTo == "":
		bad("attach_to", "required")
	case p.Kind != catalog.KindTrafficPack && in.AttachTo != "":
		bad("attach_to", "not_allowed_for_kind")
	}
	if len(fes) > 0 {
		return l, fes, nil
	}
	total, err := LineTotal(l.UnitPriceFen, l.Quantity)
	if err != nil {
		return l, nil, errs.E(errs.Op("order.NewOrder"), errs.Invalid, CodeAmountOverflow, "line total overflows",
			errs.FieldError{Field: at + ".quantity", Rule: "overflow"}, err)
	}
	l.TotalFen = total
	return l, nil, nil
}

// recompute sets SubtotalFen and TotalFen from the lines and DiscountFen.
func (o *Order) recompute() error {
	totals := make([]int64, len(o.Lines))
	for i, l := range o.Lines {
		totals[i] = l.TotalFen
	}
	sub, err := SumFen(totals...)
	if err != nil {
		return errs.E(errs.Op("order.recompute"), errs.Invalid, CodeAmountOverflow, "order subtotal overflows",
			errs.FieldError{Field: "lines", Rule: "overflow"}, err)
	}
	o.SubtotalFen = sub
	o.DiscountFen = min(max(o.DiscountFen, 0), sub)
	o.TotalFen = sub - o.DiscountFen
	return nil
}

// UnpaidExpiry returns when an order created at createdAt expires unpaid,
// given the policy duration order.unpaid_expiry (clause 2.2): an exclusive
// instant — a payment at exactly that instant is too late.
func UnpaidExpiry(createdAt time.Time, d time.Duration) time.Time { return createdAt.Add(d) }

// DeliveryDeadline returns the exclusive instant by which o must be
// delivered when paid at paidAt: paidAt plus the longest frozen line SLA
// (each line's own deadline is Line.DeliveryDeadline). Move sets it on
// payment as DeliverBy.
func (o Order) DeliveryDeadline(paidAt time.Time) time.Time {
	var sla time.Duration
	for _, l := range o.Lines {
		sla = max(sla, l.DeliverySLA)
	}
	return paidAt.Add(sla)
}

// DeliveryDeadline returns the exclusive instant by which this line must be
// delivered when paid at paidAt. A line not delivered by then lets the
// customer cancel for a full refund to the original route, whatever its
// refund class (clause 2.2).
func (l Line) DeliveryDeadline(paidAt time.Time) time.Time { return paidAt.Add(l.DeliverySLA) }

// DeliveryBreached reports whether o, paid and not delivered, is past its
// delivery deadline at now.
func (o Order) DeliveryBreached(now time.Time) bool {
	switch o.State {
	case StatePaid, StateProvisioning, StateDeliveryFailed:
		return !o.DeliverBy.IsZero() && !now.Before(o.DeliverBy)
	}
	return false
}

// Expired reports whether o, still unpaid, has expired at now.
func (o Order) Expired(now time.Time) bool {
	return o.State == StateCreated && !now.Before(o.ExpiresAt)
}
