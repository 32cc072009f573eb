package policy

import (
	"context"
	"errors"
	"testing"
	"time"

	"yuanxu/internal/errs"
)

// fakeSource is an in-memory Source: versions in force from given instants,
// acceptances per customer, and the version recorded on each order.
type fakeSource struct {
	sets     map[string]*Set
	inForce  []fakeEffective // ascending by from
	accepted map[string][]fakeEffective
	orders   map[string]string
	fail     error // returned by every method when set
}

type fakeEffective struct {
	from    time.Time
	version string
}

func (f *fakeSource) VersionForOrder(_ context.Context, orderID string) (string, error) {
	if f.fail != nil {
		return "", f.fail
	}
	v, ok := f.orders[orderID]
	if !ok {
		return "", errs.ErrNotFound
	}
	return v, nil
}

func (f *fakeSource) VersionAcceptedBefore(_ context.Context, customerID string, at time.Time) (string, bool, error) {
	if f.fail != nil {
		return "", false, f.fail
	}
	var best fakeEffective
	for _, a := range f.accepted[customerID] {
		if a.from.Before(at) && !a.from.Before(best.from) {
			best = a
		}
	}
	return best.version, best.version != "", nil
}

func (f *fakeSource) VersionInForce(_ context.Context, at time.Time) (string, error) {
	if f.fail != nil {
		return "", f.fail
	}
	v := ""
	for _, e := range f.inForce {
		if !e.from.After(at) {
			v = e.version
		}
	}
	if v == "" {
		return "", errs.ErrNotFound
	}
	return v, nil
}

func (f *fakeSource) SetForVersion(_ context.Context, id string) (*Set, error) {
	if f.fail != nil {
		return nil, f.fail
	}
	s, ok := f.sets[id]
	if !ok {
		return nil, errs.ErrNotFound
	}
	return s, nil
}

func TestResolver(t *testing.T) {
	t.Parallel()
	day := func(d int) time.Time { return time.Date(2026, 6, d, 0, 0, 0, 0, time.UTC) }
	v1 := ProjectDefaults()
	v2, err := v1.With(map[string]string{"refund.window": "48h"})
	if err != nil {
		t.Fatal(err)
	}
	src := &fakeSource{
		sets:    map[string]*Set{"v1": v1, "v2": v2, "empty": nil},
		inForce: []fakeEffective{{day(1), "v1"}, {day(20), "v2"}},
		accepted: map[string][]fakeEffective{
			"alice": {{day(2), "v1"}, {day(21), "v2"}},
			"bob":   {{day(3), "v1"}},
		},
		orders: map[string]string{"o-old": "v1", "o-new": "v2", "o-bad": "", "o-gone": "v9", "o-empty": "empty"},
	}
	r := Resolver{Source: src}
	ctx := context.Background()

	t.Run("For", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			order, version string
			window         time.Duration
			kind           errs.Kind // of the error; 0 (Internal) with wantErr
			wantErr        bool
			notFound       bool
		}{
			{order: "o-old", version: "v1", window: 24 * time.Hour},
			{order: "o-new", version: "v2", window: 48 * time.Hour},
			{order: "o-missing", wantErr: true, kind: errs.NotFound, notFound: true},
			{order: "o-gone", wantErr: true, kind: errs.NotFound, notFound: true},
			{order: "o-bad", wantErr: true, kind: errs.Internal},
			{order: "o-empty", wantErr: true, kind: errs.Internal},
			{order: "", wantErr: true, kind: errs.Invalid},
		}
		for _, tc := range tests {
			t.Run(tc.order, func(t *testing.T) {
				t.Parallel()
				s, tr, err := r.For(ctx, tc.order)
				if tc.wantErr {
					if err == nil || errs.KindOf(err) != tc.kind || errors.Is(err, errs.ErrNotFound) != tc.notFound {
						t.Fatalf("err = %v (kind %v), want kind %v, not found %v", err, errs.KindOf(err), tc.kind, tc.notFound)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				want := Trace{VersionID: tc.version, Reason: ReasonAcceptedAtCheckout, OrderID: tc.order, Digest: s.Digest()}
				if tr != want {
					t.Errorf("trace = %+v, want %+v", tr, want)
				}
				if s.Duration(RefundWindow) != tc.window {
					t.Errorf("window = %v, want %v", s.Duration(RefundWindow), tc.window)
				}
			})
		}
	})

	t.Run("ForCustomer", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name, customer string
			at             time.Time
			version        string
			reason         Reason
			notFound       bool
		}{
			{"latest acceptance", "alice", day(25), "v2", ReasonAcceptedBefore, false},
			{"acceptance at the instant does not count", "alice", day(21), "v1", ReasonAcceptedBefore, false},
			{"older acceptance wins over newer version in force", "bob", day(25), "v1", ReasonAcceptedBefore, false},
			{"no acceptance yet: in force", "bob", day(3), "v1", ReasonInForce, false},
			{"stranger: in force", "carol", day(25), "v2", ReasonInForce, false},
			{"stranger at a version's start", "carol", day(20), "v2", ReasonInForce, false},
			{"nothing in force", "carol", day(1).Add(-time.Nanosecond), "", "", true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				s, tr, err := r.ForCustomer(ctx, tc.customer, tc.at)
				if tc.notFound {
					if !errors.Is(err, errs.ErrNotFound) || errs.KindOf(err) != errs.NotFound {
						t.Fatalf("err = %v, want not found", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				want := Trace{VersionID: tc.version, Reason: tc.reason, CustomerID: tc.customer, At: tc.at, Digest: s.Digest()}
				if tr != want {
					t.Errorf("trace = %+v, want %+v", tr, want)
				}
				if s != src.sets[tc.version] {
					t.Error("Set is not the version's")
				}
			})
		}
	})

	t.Run("errors pass through", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("disk on fire")
		r := Resolver{Source: &fakeSource{fail: boom}}
		if _, _, err := r.For(ctx, "o"); !errors.Is(err, boom) || errs.KindOf(err) != errs.Internal {
			t.Errorf("For err = %v", err)
		}
		if _, _, err := r.ForCustomer(ctx, "c", day(1)); !errors.Is(err, boom) {
			t.Errorf("ForCustomer err = %v", err)
		}
		if _, _, err := r.ForCustomer(ctx, "", day(1)); errs.KindOf(err) != errs.Invalid {
			t.Errorf("empty customer err = %v", err)
		}
	})
}

func TestStatic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	at := time.Date(2026, 6, 11, 0, 0, 0, 0, time.UTC)

	s, tr, err := Resolver{Source: Static{}}.For(ctx, "any-order")
	if err != nil {
		t.Fatal(err)
	}
	if s != ProjectDefaults() || tr.VersionID != BuiltinVersion || tr.Reason != ReasonAcceptedAtCheckout {
		t.Errorf("For: trace %+v", tr)
	}
	s, tr, err = Resolver{Source: Static{}}.ForCustomer(ctx, "any-customer", at)
	if err != nil {
		t.Fatal(err)
	}
	if s != ProjectDefaults() || tr.VersionID != BuiltinVersion || tr.Reason != ReasonInForce {
		t.Errorf("ForCustomer: trace %+v", tr)
	}

	custom, err := ProjectDefaults().With(map[string]string{"maintenance.notice_hours": "48"})
	if err != nil {
		t.Fatal(err)
	}
	st := Static{ID: "v7", Policy: custom}
	s, tr, err = Resolver{Source: st}.ForCustomer(ctx, "c", at)
	if err != nil || s != custom || tr.VersionID != "v7" || tr.Digest != custom.Digest() {
		t.Errorf("custom Static: %+v, %v", tr, err)
	}
	if _, err := st.SetForVersion(ctx, BuiltinVersion); !errors.Is(err, errs.ErrNotFound) || errs.KindOf(err) != errs.NotFound {
		t.Errorf("unknown version err = %v", err)
	}
}
