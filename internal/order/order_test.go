package order_test

import (
	"errors"
	"math"
	"math/big"
	"slices"
	"testing"
	"time"

	"yuanxu/internal/agreement"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/order"
)

func asErr(t *testing.T, err error) *errs.Error {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v; want *errs.Error", err)
	}
	return e
}

func fieldRules(e *errs.Error) []string {
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field+":"+f.Rule)
	}
	return out
}

func TestStateMachine(t *testing.T) {
	t.Parallel()
	allowed := map[[2]order.State]bool{}
	for _, p := range [][2]order.State{
		{order.StateCreated, order.StatePaid}, {order.StateCreated, order.StateExpired}, {order.StateCreated, order.StateCancelled},
		{order.StatePaid, order.StateProvisioning}, {order.StatePaid, order.StateCancelled}, {order.StatePaid, order.StateRefunded}, {order.StatePaid, order.StateSwapped},
		{order.StateProvisioning, order.StateDelivered}, {order.StateProvisioning, order.StateDeliveryFailed},
		{order.StateProvisioning, order.StateCancelled}, {order.StateProvisioning, order.StateRefunded}, {order.StateProvisioning, order.StateSwapped},
		{order.StateDelivered, order.StateRefunded}, {order.StateDelivered, order.StateSwapped},
		{order.StateDeliveryFailed, order.StateProvisioning}, {order.StateDeliveryFailed, order.StateCancelled},
		{order.StateDeliveryFailed, order.StateRefunded}, {order.StateDeliveryFailed, order.StateSwapped},
	} {
		allowed[p] = true
	}
	for _, from := range order.States {
		for _, to := range order.States {
			if got := from.CanMoveTo(to); got != allowed[[2]order.State{from, to}] {
				t.Errorf("%s → %s = %v", from, to, got)
			}
		}
	}
	for _, s := range []order.State{order.StateExpired, order.StateCancelled, order.StateRefunded, order.StateSwapped} {
		if !s.Terminal() {
			t.Errorf("%s not terminal", s)
		}
	}
	if order.StateDelivered.Terminal() || order.State("x").Valid() || order.State("x").Terminal() {
		t.Error("Terminal/Valid wrong")
	}
}

func TestMoveRecordsInstantsAndDeadline(t *testing.T) {
	t.Parallel()
	o := newOrder(t, spec(server("a", 100, time.Hour), catalog.CycleMonth, 1), spec(server("b", 100, 3*time.Hour), catalog.CycleMonth, 1))
	paid := t0.Add(10 * time.Minute)
	if err := o.Move(order.StateDelivered, paid); asErr(t, err).Code != order.CodeBadTransition || errs.KindOf(err) != errs.Conflict {
		t.Fatalf("created → delivered: %v", err)
	}
	if o.State != order.StateCreated {
		t.Fatal("failed move changed the state")
	}
	if err := o.Move(order.StatePaid, paid); err != nil {
		t.Fatal(err)
	}
	if !o.PaidAt.Equal(paid) || !o.DeliverBy.Equal(paid.Add(3*time.Hour)) {
		t.Fatalf("paid at %v, deliver by %v", o.PaidAt, o.DeliverBy)
	}
	if o.DeliveryBreached(paid.Add(3*time.Hour-time.Nanosecond)) || !o.DeliveryBreached(paid.Add(3*time.Hour)) {
		t.Fatal("breach must be exactly at the deadline (exclusive instant)")
	}
	if !o.Lines[0].DeliveryDeadline(paid).Equal(paid.Add(time.Hour)) {
		t.Fatal("line deadline")
	}
	must := func(s order.State, at time.Time) {
		if err := o.Move(s, at); err != nil {
			t.Fatal(err)
		}
	}
	must(order.StateProvisioning, paid.Add(time.Minute))
	must(order.StateDelivered, paid.Add(2*time.Hour))
	if !o.DeliveredAt.Equal(paid.Add(2*time.Hour)) || o.DeliveryBreached(paid.Add(9*time.Hour)) {
		t.Fatal("delivered")
	}
	must(order.StateRefunded, paid.Add(3*time.Hour))
	if !o.ClosedAt.Equal(paid.Add(3 * time.Hour)) {
		t.Fatal("closed at")
	}
	if err := o.Move(order.StateSwapped, paid.Add(4*time.Hour)); err == nil {
		t.Fatal("refunded twice: an order is refunded or swapped at most once")
	}
}

func TestNewOrderFreezesPricesAndTotals(t *testing.T) {
	t.Parallel()
	o := newOrder(t, spec(server("a", 5900, time.Hour), catalog.CycleMonth, 3),
		order.LineSpec{Product: trafficPack(), Input: order.LineInput{ProductID: "pack", PlanID: "p1", Cycle: catalog.CycleOneOff, Quantity: 2, AttachTo: "svc-1"}})
	if o.State != order.StateCreated || o.SubtotalFen != 3*5900+2*1500 || o.TotalFen != o.SubtotalFen || o.DiscountFen != 0 {
		t.Fatalf("order = %+v", o)
	}
	l := o.Lines[1]
	if l.UnitPriceFen != 1500 || l.TotalFen != 3000 || l.RefundClass != catalog.ClassTrafficPack || l.RefundClause != agreement.ClauseTrafficPack ||
		l.DeliverySLA != 10*time.Minute || l.AttachTo != "svc-1" {
		t.Fatalf("line = %+v", l)
	}
	if !o.ExpiresAt.Equal(t0.Add(30*time.Minute)) || !order.UnpaidExpiry(t0, time.Minute).Equal(t0.Add(time.Minute)) {
		t.Fatal("unpaid expiry")
	}
	if o.Expired(t0.Add(30*time.Minute-1)) || !o.Expired(t0.Add(30*time.Minute)) {
		t.Fatal("expiry is an exclusive instant")
	}
}

func TestNewOrderReportsEveryProblem(t *testing.T) {
	t.Parallel()
	inactive := server("off", 100, time.Hour)
	inactive.Active = false
	tests := []struct {
		name   string
		mutate func(p *order.NewParams)
		code   string
		want   []string
	}{
		{"Empty", func(p *order.NewParams) { *p = order.NewParams{} }, order.CodeOrderInvalid,
			[]string{"id:required", "account_id:required", "channel:format", "agreement.version_id:required", "agreement.sha256:format", "unpaid_expiry:positive", "lines:required"}},
		{"BadLines", func(p *order.NewParams) {
			p.Lines = []order.LineSpec{
				{Product: server("a", 1, time.Hour), Input: order.LineInput{ProductID: "zzz"}},
				{Product: inactive, Input: order.LineInput{ProductID: "off", PlanID: "p9", Quantity: 0}},
				{Product: server("a", 1, time.Hour), Input: order.LineInput{ProductID: "a", PlanID: "p1", Cycle: catalog.CycleYear, Quantity: order.MaxQuantity + 1, AttachTo: "x"}},
				{Product: trafficPack(), Input: order.LineInput{ProductID: "pack", PlanID: "p1", Cycle: catalog.CycleOneOff, Quantity: -1}},
			}
		}, order.CodeOrderInvalid,
			[]string{"lines[0].product_id:unknown", "lines[1].product_id:not_for_sale", "lines[1].plan_id:unknown", "lines[1].quantity:range",
				"lines[2].cycle:not_offered", "lines[2].quantity:range", "lines[2].attach_to:not_allowed_for_kind",
				"lines[3].quantity:range", "lines[3].attach_to:required"}},
		{"BadChannel", func(p *order.NewParams) { p.Channel = "reseller:" }, order.CodeOrderInvalid, []string{"channel:format"}},
		{"LineOverflow", func(p *order.NewParams) {
			p.Lines = []order.LineSpec{spec(server("big", math.MaxInt64/2, time.Hour), catalog.CycleMonth, 3)}
		}, order.CodeAmountOverflow, []string{"lines[0].quantity:overflow"}},
		{"SubtotalOverflow", func(p *order.NewParams) {
			s := spec(server("big", math.MaxInt64/2+1, time.Hour), catalog.CycleMonth, 1)
			p.Lines = []order.LineSpec{s, s}
		}, order.CodeAmountOverflow, []string{"lines:overflow"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := params(spec(server("a", 100, time.Hour), catalog.CycleMonth, 1))
			tt.mutate(&p)
			o, err := order.NewOrder(p)
			if o != nil {
				t.Fatal("order returned with an error")
			}
			e := asErr(t, err)
			if e.Code != tt.code || e.Kind != errs.Invalid {
				t.Fatalf("code = %s (%s)", e.Code, e.Kind)
			}
			if got := fieldRules(e); !slices.Equal(got, tt.want) {
				t.Fatalf("fields =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}

func TestChannel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		c     order.Channel
		valid bool
		resID string
	}{
		{order.ChannelWeb, true, ""},
		{order.ChannelAPI, true, ""},
		{order.ResellerChannel("r42"), true, "r42"},
		{"reseller:", false, ""},
		{"reseller:a b", false, "a b"},
		{"phone", false, ""},
		{"", false, ""},
	}
	for _, tt := range tests {
		if tt.c.Valid() != tt.valid {
			t.Errorf("%q valid = %v", tt.c, !tt.valid)
		}
		if id, _ := tt.c.ResellerID(); id != tt.resID {
			t.Errorf("%q reseller = %q", tt.c, id)
		}
	}
}

func TestLineTotalAndSum(t *testing.T) {
	t.Parallel()
	tests := []struct {
		unit, qty, want int64
		ok              bool
	}{
		{0, 0, 0, true},
		{100, 3, 300, true},
		{math.MaxInt64, 1, math.MaxInt64, true},
		{math.MaxInt64, 2, 0, false},
		{1 << 32, 1 << 31, 0, false},
		{1 << 31, 1 << 31, 1 << 62, true},
		{-1, 1, 0, false},
		{1, -1, 0, false},
	}
	for _, tt := range tests {
		got, err := order.LineTotal(tt.unit, tt.qty)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("LineTotal(%d, %d) = %d, %v", tt.unit, tt.qty, got, err)
		}
		if err != nil && errs.CodeOf(err) != order.CodeAmountOverflow {
			t.Errorf("code = %s", errs.CodeOf(err))
		}
	}
	if s, err := order.SumFen(1, 2, 3); err != nil || s != 6 {
		t.Error("SumFen")
	}
	if _, err := order.SumFen(math.MaxInt64, 1); errs.CodeOf(err) != order.CodeAmountOverflow {
		t.Error("SumFen overflow")
	}
	if _, err := order.SumFen(5, -1); err == nil {
		t.Error("SumFen negative")
	}
}

// FuzzLineTotal: random prices and quantities never panic; the result is
// the exact product when it fits in int64, an overflow error otherwise.
func FuzzLineTotal(f *testing.F) {
	f.Add(int64(5900), int64(3))
	f.Add(int64(math.MaxInt64), int64(2))
	f.Add(int64(-1), int64(math.MinInt64))
	f.Add(int64(3037000500), int64(3037000500))
	f.Fuzz(func(t *testing.T, unit, qty int64) {
		got, err := order.LineTotal(unit, qty)
		exact := new(big.Int).Mul(big.NewInt(unit), big.NewInt(qty))
		fits := unit >= 0 && qty >= 0 && exact.IsInt64()
		switch {
		case fits && (err != nil || got != exact.Int64()):
			t.Fatalf("LineTotal(%d, %d) = %d, %v; want %s", unit, qty, got, err, exact)
		case !fits && (err == nil || errs.CodeOf(err) != order.CodeAmountOverflow):
			t.Fatalf("LineTotal(%d, %d) = %d, %v; want overflow", unit, qty, got, err)
		}
		if s, err := order.SumFen(max(unit, 0), max(qty, 0)); err == nil {
			if new(big.Int).Add(big.NewInt(max(unit, 0)), big.NewInt(max(qty, 0))).Int64() != s {
				t.Fatal("SumFen wrong")
			}
		}
	})
}

func BenchmarkLineTotal(b *testing.B) {
	var n int64
	for b.Loop() {
		v, _ := order.LineTotal(5900, 1000)
		n += v
	}
}

func BenchmarkNewOrder(b *testing.B) {
	p := params(spec(server("a", 5900, time.Hour), catalog.CycleMonth, 3), spec(server("b", 100, time.Hour), catalog.CycleMonth, 1))
	for b.Loop() {
		if _, err := order.NewOrder(p); err != nil {
			b.Fatal(err)
		}
	}
}
