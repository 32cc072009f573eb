package order_test

import (
	"testing"
	"time"

	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/order"
)

func TestApplyCoupon(t *testing.T) {
	t.Parallel()
	now := t0
	pct := func(bp int64) order.Coupon { return order.Coupon{Code: "P", Kind: order.CouponPercent, PercentBP: bp} }
	fixed := func(fen int64) order.Coupon { return order.Coupon{Code: "F", Kind: order.CouponFixed, AmountFen: fen} }
	with := func(c order.Coupon, f func(*order.Coupon)) order.Coupon { f(&c); return c }
	ctx := order.CouponContext{FirstPurchase: true, Now: now}
	tests := []struct {
		name     string
		c        order.Coupon
		ctx      order.CouponContext
		discount int64
		code     string
		kind     errs.Kind
	}{
		{"TenPercent", pct(1000), ctx, 2000, "", 0}, // lines: a 3×5000, b 1×5000 → 20000
		{"HundredPercent", pct(10000), ctx, 20000, "", 0},
		{"PercentRoundsHalfUp", pct(1), ctx, 2, "", 0}, // 20000 × 0.0001 = 2
		{"FixedBelowTotal", fixed(1234), ctx, 1234, "", 0},
		{"FixedCappedAtTotal", fixed(1 << 40), ctx, 20000, "", 0},
		{"PerProductOnlyCoversItsLines", with(pct(5000), func(c *order.Coupon) { c.ProductIDs = []string{"b"} }), ctx, 2500, "", 0},
		{"PerProductFixedCapped", with(fixed(9999), func(c *order.Coupon) { c.ProductIDs = []string{"b"} }), ctx, 5000, "", 0},
		{"NotApplicable", with(pct(5000), func(c *order.Coupon) { c.ProductIDs = []string{"zzz"} }), ctx, 0, order.CodeCouponNotApplicable, errs.Invalid},
		{"ValidWindowInclusiveStart", with(pct(1000), func(c *order.Coupon) { c.ValidFrom = now; c.ValidUntil = now.Add(time.Second) }), ctx, 2000, "", 0},
		{"NotYetValid", with(pct(1000), func(c *order.Coupon) { c.ValidFrom = now.Add(time.Nanosecond) }), ctx, 0, order.CodeCouponNotYetValid, errs.Invalid},
		{"ExpiredAtExclusiveEnd", with(pct(1000), func(c *order.Coupon) { c.ValidUntil = now }), ctx, 0, order.CodeCouponExpired, errs.Invalid},
		{"FirstPurchaseOnly", with(pct(1000), func(c *order.Coupon) { c.FirstPurchaseOnly = true }),
			order.CouponContext{Now: now}, 0, order.CodeCouponFirstPurchaseOnly, errs.Invalid},
		{"FirstPurchaseOK", with(pct(1000), func(c *order.Coupon) { c.FirstPurchaseOnly = true }), ctx, 2000, "", 0},
		{"ExhaustedGlobally", with(pct(1000), func(c *order.Coupon) { c.MaxUses = 5 }),
			order.CouponContext{FirstPurchase: true, UsesTotal: 5, Now: now}, 0, order.CodeCouponExhausted, errs.Conflict},
		{"LastGlobalUse", with(pct(1000), func(c *order.Coupon) { c.MaxUses = 5 }),
			order.CouponContext{UsesTotal: 4, Now: now}, 2000, "", 0},
		{"ExhaustedForCustomer", with(pct(1000), func(c *order.Coupon) { c.MaxUsesPerCust = 1 }),
			order.CouponContext{UsesByCustomer: 1, UsesTotal: 1, Now: now}, 0, order.CodeCouponExhausted, errs.Conflict},
		{"MalformedPercent", pct(10001), ctx, 0, order.CodeCouponInvalid, errs.Invalid},
		{"MalformedFixed", fixed(0), ctx, 0, order.CodeCouponInvalid, errs.Invalid},
		{"MalformedKind", order.Coupon{Code: "X", Kind: "bogo"}, ctx, 0, order.CodeCouponInvalid, errs.Invalid},
		{"MalformedWindow", with(pct(1), func(c *order.Coupon) { c.ValidFrom = now; c.ValidUntil = now }), ctx, 0, order.CodeCouponInvalid, errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := newOrder(t, spec(server("a", 5000, time.Hour), catalog.CycleMonth, 3), spec(server("b", 5000, time.Hour), catalog.CycleMonth, 1))
			before := *o
			d, err := order.ApplyCoupon(o, tt.c, tt.ctx)
			if tt.code != "" {
				e := asErr(t, err)
				if e.Code != tt.code || e.Kind != tt.kind || d != 0 {
					t.Fatalf("err = %v (%s); want %s (%s)", err, e.Kind, tt.code, tt.kind)
				}
				if o.DiscountFen != before.DiscountFen || o.TotalFen != before.TotalFen || o.CouponCode != "" {
					t.Fatal("a refused coupon changed the order")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d != tt.discount || o.DiscountFen != d || o.TotalFen != o.SubtotalFen-d || o.TotalFen < 0 || o.CouponCode != tt.c.Code {
				t.Fatalf("discount %d, order %+v; want %d", d, o, tt.discount)
			}
		})
	}
}

func TestApplyCouponOnlyToUnpaidOrders(t *testing.T) {
	t.Parallel()
	o := newOrder(t, spec(server("a", 5000, time.Hour), catalog.CycleMonth, 1))
	if err := o.Move(order.StatePaid, t0); err != nil {
		t.Fatal(err)
	}
	_, err := order.ApplyCoupon(o, order.Coupon{Code: "P", Kind: order.CouponPercent, PercentBP: 100}, order.CouponContext{Now: t0})
	if e := asErr(t, err); e.Code != order.CodeCouponNotApplicable || e.Kind != errs.Conflict {
		t.Fatalf("err = %v", err)
	}
}

func TestApplyCouponFreeOrderNotApplicable(t *testing.T) {
	t.Parallel()
	o := newOrder(t, spec(server("free", 0, time.Hour), catalog.CycleMonth, 1))
	_, err := order.ApplyCoupon(o, order.Coupon{Code: "F", Kind: order.CouponFixed, AmountFen: 1}, order.CouponContext{Now: t0})
	if errs.CodeOf(err) != order.CodeCouponNotApplicable {
		t.Fatalf("err = %v", err)
	}
}

func TestRestoreUse(t *testing.T) {
	t.Parallel()
	if got := order.RestoreUse(order.CouponUsage{Total: 3, ByCustomer: 1}); got != (order.CouponUsage{Total: 2, ByCustomer: 0}) {
		t.Errorf("RestoreUse = %+v", got)
	}
	if got := order.RestoreUse(order.CouponUsage{}); got != (order.CouponUsage{}) {
		t.Errorf("RestoreUse below zero = %+v", got)
	}
	o := newOrder(t, spec(server("a", 5000, time.Hour), catalog.CycleMonth, 1))
	if _, err := order.ApplyCoupon(o, order.Coupon{Code: "P", Kind: order.CouponPercent, PercentBP: 100}, order.CouponContext{Now: t0}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		path []order.State
		want bool
	}{
		{nil, false},
		{[]order.State{order.StateExpired}, true},
		{[]order.State{order.StateCancelled}, true},
		{[]order.State{order.StatePaid}, false},
		{[]order.State{order.StatePaid, order.StateProvisioning, order.StateDelivered}, false},
		{[]order.State{order.StatePaid, order.StateProvisioning, order.StateDelivered, order.StateRefunded}, true},
		{[]order.State{order.StatePaid, order.StateProvisioning, order.StateDelivered, order.StateSwapped}, true},
	} {
		c := *o
		for _, s := range tt.path {
			if err := c.Move(s, t0); err != nil {
				t.Fatal(err)
			}
		}
		if c.CouponReturns() != tt.want {
			t.Errorf("%v: CouponReturns = %v", tt.path, !tt.want)
		}
	}
	plain := newOrder(t, spec(server("a", 5000, time.Hour), catalog.CycleMonth, 1))
	_ = plain.Move(order.StateExpired, t0)
	if plain.CouponReturns() {
		t.Error("an order without a coupon returns nothing")
	}
}

func BenchmarkApplyCoupon(b *testing.B) {
	o := newOrder(b, spec(server("a", 5000, time.Hour), catalog.CycleMonth, 3))
	c := order.Coupon{Code: "P", Kind: order.CouponPercent, PercentBP: 1234, ProductIDs: []string{"a"}}
	ctx := order.CouponContext{Now: t0}
	for b.Loop() {
		if _, err := order.ApplyCoupon(o, c, ctx); err != nil {
			b.Fatal(err)
		}
	}
}
