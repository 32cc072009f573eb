package order_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/agreement"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
	"yuanxu/internal/order"
)

func TestCheckoutRules(t *testing.T) {
	t.Parallel()
	keys := []agreement.ClauseID{agreement.ClauseRefundNoFault, agreement.ClauseHomeBroadband, agreement.ClauseLawVenue}
	srv := server("srv", 100, time.Hour)
	bw := server("bw", 100, time.Hour)
	bw.Server.Billing, bw.Server.QuotaBytes, bw.Server.Direction, bw.Server.BandwidthMbps = catalog.BillingBandwidth, 0, "", 5
	good := func() order.CheckoutFacts {
		return order.CheckoutFacts{CustomerID: "c1", KeyClauses: keys, Acknowledged: keys, KYCApproved: true,
			Lines: []order.LineFacts{{Product: srv, LicenceCovers: true},
				{Product: trafficPack(), LicenceCovers: true, Server: srv, ServerOwner: "c1"}}}
	}
	tests := []struct {
		name    string
		mutate  func(f *order.CheckoutFacts)
		codes   []string
		clauses []agreement.ClauseID
		fields  []string
	}{
		{"AllGood", func(*order.CheckoutFacts) {}, nil, nil, nil},
		{"MissingAcknowledgement", func(f *order.CheckoutFacts) { f.Acknowledged = keys[:1] },
			[]string{order.CodeKeyClauseNotAcknowledged}, []agreement.ClauseID{agreement.ClauseOverview}, []string{"acknowledged"}},
		{"NoKYC", func(f *order.CheckoutFacts) { f.KYCApproved = false },
			[]string{order.CodeKYCRequired}, []agreement.ClauseID{agreement.ClauseChannels}, []string{"kyc"}},
		{"Banned", func(f *order.CheckoutFacts) { f.Standing.Banned = true; f.Standing.Restricted = true },
			[]string{order.CodeStandingBlocksOrder}, []agreement.ClauseID{agreement.ClauseMonitoring}, []string{"account"}},
		{"NoLicence", func(f *order.CheckoutFacts) { f.Lines[1].LicenceCovers = false },
			[]string{order.CodeLicenceNotCovered}, []agreement.ClauseID{agreement.ClauseOverview}, []string{"lines[1].product_id"}},
		{"PackOnOthersServer", func(f *order.CheckoutFacts) { f.Lines[1].ServerOwner = "c2" },
			[]string{catalog.CodePackNotOwner}, []agreement.ClauseID{agreement.ClauseTrafficPack}, []string{"lines[1].attach_to"}},
		{"PackOnBandwidthServer", func(f *order.CheckoutFacts) { f.Lines[1].Server = bw },
			[]string{catalog.CodePackNeedsTrafficServer}, []agreement.ClauseID{agreement.ClauseTrafficPack}, []string{"lines[1].attach_to"}},
		{"Everything", func(f *order.CheckoutFacts) {
			f.Acknowledged = nil
			f.KYCApproved = false
			f.Standing.Suspended = true
			f.Lines[0].LicenceCovers = false
			f.Lines[1].Server = bw
		},
			[]string{order.CodeKeyClauseNotAcknowledged, order.CodeKYCRequired, order.CodeStandingBlocksOrder, order.CodeLicenceNotCovered, catalog.CodePackNeedsTrafficServer},
			[]agreement.ClauseID{agreement.ClauseOverview, agreement.ClauseChannels, agreement.ClauseMonitoring, agreement.ClauseOverview, agreement.ClauseTrafficPack},
			[]string{"acknowledged", "kyc", "account", "lines[0].product_id", "lines[1].attach_to"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := good()
			tt.mutate(&f)
			bs := order.CheckoutRules(f)
			var codes, fields []string
			var clauses []agreement.ClauseID
			for _, b := range bs {
				codes, fields, clauses = append(codes, b.Code), append(fields, b.Field), append(clauses, b.Clause)
			}
			if !slices.Equal(codes, tt.codes) || !slices.Equal(fields, tt.fields) || !slices.Equal(clauses, tt.clauses) {
				t.Fatalf("blockers = %+v", bs)
			}
			err := order.BlockersErr(bs)
			if len(bs) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e := asErr(t, err)
			if len(e.Fields) != len(bs) || (len(bs) == 1 && e.Code != bs[0].Code) || (len(bs) > 1 && e.Code != order.CodeCheckoutBlocked) {
				t.Fatalf("err = %+v", e)
			}
		})
	}
}

func TestBlockersErrKind(t *testing.T) {
	t.Parallel()
	if k := errs.KindOf(order.BlockersErr([]order.Blocker{{Code: order.CodeKYCRequired}, {Code: order.CodeStandingBlocksOrder}})); k != errs.Forbidden {
		t.Errorf("kind = %s; want forbidden", k)
	}
	if k := errs.KindOf(order.BlockersErr([]order.Blocker{{Code: order.CodeKYCRequired}, {Code: order.CodeLicenceNotCovered}})); k != errs.Invalid {
		t.Errorf("kind = %s; want invalid", k)
	}
	e := asErr(t, order.BlockersErr([]order.Blocker{{Code: order.CodeKeyClauseNotAcknowledged, Clause: "1", Field: "acknowledged", Params: map[string]any{"missing": []string{"8"}}}}))
	if e.Fields[0].Params["clause"] != "1" || e.Fields[0].Params["missing"] == nil {
		t.Errorf("params = %v", e.Fields[0].Params)
	}
}

// TestClientInputCarriesNoPriceOrStatus: what a client sends has no field
// for a price, total, discount, state or balance, so none can be honoured.
func TestClientInputCarriesNoPriceOrStatus(t *testing.T) {
	t.Parallel()
	forbidden := []string{"price", "total", "discount", "state", "status", "balance", "amount", "fen", "paid"}
	for _, typ := range []reflect.Type{reflect.TypeFor[order.CheckoutInput](), reflect.TypeFor[order.LineInput]()} {
		for f := range typ.Fields() {
			for _, w := range forbidden {
				if strings.Contains(strings.ToLower(f.Name), w) {
					t.Errorf("%s.%s looks like a client-set %s", typ.Name(), f.Name, w)
				}
			}
		}
	}
}

func BenchmarkCheckoutRules(b *testing.B) {
	srv := server("srv", 100, time.Hour)
	f := order.CheckoutFacts{CustomerID: "c1", KeyClauses: agreement.RequiredKeyClauses, Acknowledged: agreement.RequiredKeyClauses, KYCApproved: true,
		Lines: []order.LineFacts{{Product: srv, LicenceCovers: true}, {Product: trafficPack(), LicenceCovers: true, Server: srv, ServerOwner: "c1"}}}
	for b.Loop() {
		if bs := order.CheckoutRules(f); len(bs) != 0 {
			b.Fatal(bs)
		}
	}
}
