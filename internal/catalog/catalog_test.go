package catalog_test

import (
	"errors"
	"math"
	"slices"
	"testing"

	"yuanxu/internal/agreement"
	"yuanxu/internal/catalog"
	"yuanxu/internal/errs"
)

func TestRefundClassOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		p      catalog.Product
		class  catalog.Class
		clause agreement.ClauseID
	}{
		{"StandardServer", bandwidthServer(catalog.LineStandard), catalog.ClassStandard, agreement.ClauseRefundNoFault},
		{"TrafficServer", trafficServer(), catalog.ClassStandard, agreement.ClauseRefundNoFault},
		{"HomeBroadbandServer", bandwidthServer(catalog.LineHomeBroadband), catalog.ClassHomeBroadband, agreement.ClauseHomeBroadband},
		{"StandardVPN", vpn(catalog.LineStandard), catalog.ClassStandard, agreement.ClauseRefundNoFault},
		{"HomeBroadbandVPN", vpn(catalog.LineHomeBroadband), catalog.ClassHomeBroadband, agreement.ClauseHomeBroadband},
		{"CDN", cdn(), catalog.ClassStandard, agreement.ClauseRefundNoFault},
		{"DVCertificate", cert(catalog.ValidationDV), catalog.ClassCertificate, agreement.ClauseCertificate},
		{"OVCertificate", cert(catalog.ValidationOV), catalog.ClassCertificate, agreement.ClauseCertificate},
		{"TrafficPack", pack(), catalog.ClassTrafficPack, agreement.ClauseTrafficPack},
		{"UnknownKindIsStandard", catalog.Product{Kind: "mystery"}, catalog.ClassStandard, agreement.ClauseRefundNoFault},
		{"ServerWithoutSpecIsStandard", catalog.Product{Kind: catalog.KindCloudServer}, catalog.ClassStandard, agreement.ClauseRefundNoFault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			class, clause := catalog.RefundClassOf(tt.p)
			if class != tt.class || clause != tt.clause {
				t.Fatalf("RefundClassOf = %s, %s; want %s, %s", class, clause, tt.class, tt.clause)
			}
		})
	}
}

func TestValidateAcceptsEveryKind(t *testing.T) {
	t.Parallel()
	for _, p := range []catalog.Product{trafficServer(), bandwidthServer(catalog.LineHomeBroadband), vpn(catalog.LineStandard), cdn(), cert(catalog.ValidationOV), pack()} {
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", p.ID, err)
		}
	}
}

func fields(t *testing.T, err error) []string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v; want *errs.Error", err)
	}
	if e.Kind != errs.Invalid || e.Code != catalog.CodeProductInvalid {
		t.Fatalf("kind, code = %s, %s", e.Kind, e.Code)
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Field+":"+f.Rule)
	}
	return out
}

func TestValidateReportsEveryProblem(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(p *catalog.Product)
		base   func() catalog.Product
		want   []string
	}{
		{"EmptyProduct", func(p *catalog.Product) { *p = catalog.Product{} }, trafficServer,
			[]string{"id:required", "name:required", "kind:enum", "plans:required", "delivery_sla:positive"}},
		{"TrafficServerWithoutQuotaOrDirection", func(p *catalog.Product) { p.Server.QuotaBytes = 0; p.Server.Direction = "up" }, trafficServer,
			[]string{"server.quota_bytes:required", "server.direction:enum"}},
		{"BandwidthServerWithQuota", func(p *catalog.Product) {
			p.Server.QuotaBytes = 1
			p.Server.Direction = catalog.DirectionTx
			p.Server.BandwidthMbps = 0
		}, func() catalog.Product { return bandwidthServer(catalog.LineStandard) },
			[]string{"server.bandwidth_mbps:min", "server.quota_bytes:not_allowed_for_billing", "server.direction:not_allowed_for_billing"}},
		{"ServerSpecs", func(p *catalog.Product) {
			*p.Server = catalog.CloudServer{Line: "fibre", Billing: "free"}
		}, trafficServer,
			[]string{"server.cpu:min", "server.memory_mib:min", "server.disk_gib:min", "server.region:required", "server.line:enum", "server.billing:enum"}},
		{"WrongSpecForKind", func(p *catalog.Product) { p.VPN = &catalog.VPN{} }, trafficServer,
			[]string{"vpn:not_allowed_for_kind"}},
		{"MissingSpec", func(p *catalog.Product) { p.Server = nil }, trafficServer,
			[]string{"server:required"}},
		{"CertificateMonthlyAndWrongDriver", func(p *catalog.Product) {
			p.Plans[0].Prices[0].Cycle = catalog.CycleMonth
			p.Driver = catalog.DriverWireGuard
		}, func() catalog.Product { return cert(catalog.ValidationDV) },
			[]string{"plans[0].prices[0].cycle:not_allowed_for_kind", "driver:not_allowed_for_kind"}},
		{"ServerOneOff", func(p *catalog.Product) { p.Plans[0].Prices[1].Cycle = catalog.CycleOneOff }, trafficServer,
			[]string{"plans[0].prices[1].cycle:not_allowed_for_kind"}},
		{"PlanProblems", func(p *catalog.Product) {
			p.Plans = append(p.Plans, catalog.Plan{ID: "p1", Stock: -5}, catalog.Plan{Prices: []catalog.Price{
				{Cycle: catalog.CycleMonth, AmountFen: -1}, {Cycle: catalog.CycleMonth, AmountFen: catalog.MaxPriceFen + 1}}})
		}, trafficServer,
			[]string{"plans[1].id:duplicate", "plans[1].stock:min", "plans[1].prices:required", "plans[2].id:required",
				"plans[2].prices[0].amount_fen:range", "plans[2].prices[1].cycle:duplicate", "plans[2].prices[1].amount_fen:range"}},
		{"PackWithoutBytesOrValidity", func(p *catalog.Product) { p.Pack.Bytes = 0; p.Pack.Validity = 0 }, pack,
			[]string{"pack.bytes:required", "pack.validity:positive"}},
		{"VPNEnums", func(p *catalog.Product) { p.VPN.Line = ""; p.VPN.Scope = "moon" },
			func() catalog.Product { return vpn(catalog.LineStandard) }, []string{"vpn.line:enum", "vpn.scope:enum"}},
		{"CDNBandwidthPlan", func(p *catalog.Product) { p.CDN.Plan = catalog.CDNBandwidth }, cdn,
			[]string{"cdn.bandwidth_mbps:min", "cdn.quota_bytes:not_allowed_for_plan"}},
		{"CDNTrafficWithoutQuota", func(p *catalog.Product) { p.CDN.QuotaBytes = 0 }, cdn, []string{"cdn.quota_bytes:required"}},
		{"CDNUnknownPlan", func(p *catalog.Product) { p.CDN.Plan = "x" }, cdn, []string{"cdn.plan:enum"}},
		{"CertificateSpec", func(p *catalog.Product) { p.Cert.Validation = "ev"; p.Cert.Domains = 0 },
			func() catalog.Product { return cert(catalog.ValidationDV) }, []string{"cert.validation:enum", "cert.domains:min"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := tt.base()
			tt.mutate(&p)
			if got := fields(t, p.Validate()); !slices.Equal(got, tt.want) {
				t.Fatalf("fields =\n %q\nwant\n %q", got, tt.want)
			}
		})
	}
}

func TestBilledBytes(t *testing.T) {
	t.Parallel()
	const maxU = math.MaxUint64
	tests := []struct {
		d      catalog.Direction
		rx, tx uint64
		want   uint64
	}{
		{catalog.DirectionTx, 5, 7, 7},
		{catalog.DirectionRx, 5, 7, 5},
		{catalog.DirectionLarger, 5, 7, 7},
		{catalog.DirectionLarger, 9, 7, 9},
		{catalog.DirectionSum, 5, 7, 12},
		{catalog.DirectionSum, maxU, 1, maxU},
		{catalog.DirectionSum, maxU, maxU, maxU},
		{catalog.DirectionSum, 1 << 29, 1 << 29, 1 << 30},
		{"", 5, 7, 7},
		{"bogus", 9, 7, 7},
	}
	for _, tt := range tests {
		if got := catalog.BilledBytes(tt.d, tt.rx, tt.tx); got != tt.want {
			t.Errorf("BilledBytes(%q, %d, %d) = %d; want %d", tt.d, tt.rx, tt.tx, got, tt.want)
		}
	}
}

func FuzzBilledBytes(f *testing.F) {
	f.Add(uint64(0), uint64(0))
	f.Add(uint64(math.MaxUint64), uint64(1))
	f.Fuzz(func(t *testing.T, rx, tx uint64) {
		sum := catalog.BilledBytes(catalog.DirectionSum, rx, tx)
		if sum < rx || sum < tx {
			t.Fatalf("sum %d wrapped below an operand (%d, %d)", sum, rx, tx)
		}
		if l := catalog.BilledBytes(catalog.DirectionLarger, rx, tx); l > sum || l != max(rx, tx) {
			t.Fatalf("larger %d, sum %d", l, sum)
		}
	})
}

func TestPackAttachable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		pack, server catalog.Product
		owner, cust  string
		code, field  string
	}{
		{"OwnTrafficServer", pack(), trafficServer(), "c1", "c1", "", ""},
		{"BandwidthServer", pack(), bandwidthServer(catalog.LineStandard), "c1", "c1", catalog.CodePackNeedsTrafficServer, "attach_to"},
		{"NotAServer", pack(), cdn(), "c1", "c1", catalog.CodePackNeedsTrafficServer, "attach_to"},
		{"SomeoneElsesServer", pack(), trafficServer(), "c2", "c1", catalog.CodePackNotOwner, "attach_to"},
		{"OwnerCheckedFirst", pack(), bandwidthServer(catalog.LineStandard), "c2", "c1", catalog.CodePackNotOwner, "attach_to"},
		{"NoOwner", pack(), trafficServer(), "", "", catalog.CodePackNotOwner, "attach_to"},
		{"NotAPack", cdn(), trafficServer(), "c1", "c1", catalog.CodeNotAPack, "product_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := catalog.PackAttachable(tt.pack, tt.server, tt.owner, tt.cust)
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *errs.Error
			if !errors.As(err, &e) || e.Code != tt.code || e.Kind != errs.Invalid || len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Fatalf("err = %#v; want %s on %s", err, tt.code, tt.field)
			}
		})
	}
}

func TestPlanHelpers(t *testing.T) {
	t.Parallel()
	p := trafficServer()
	pl, ok := p.Plan("p1")
	if !ok {
		t.Fatal("plan p1 missing")
	}
	if fen, ok := pl.PriceFen(catalog.CycleYear); !ok || fen != 59000 {
		t.Errorf("year price = %d, %v", fen, ok)
	}
	if _, ok := pl.PriceFen(catalog.CycleQuarter); ok {
		t.Error("quarter price found")
	}
	if _, ok := p.Plan("nope"); ok {
		t.Error("plan nope found")
	}
	if !pl.InStock(10) || pl.InStock(11) || pl.InStock(0) {
		t.Error("InStock with stock 10 wrong")
	}
	pl.Stock = catalog.StockUnlimited
	if !pl.InStock(1 << 40) {
		t.Error("unlimited stock not in stock")
	}
	if !slices.Equal(catalog.CyclesFor(catalog.KindTrafficPack), []catalog.Cycle{catalog.CycleOneOff}) {
		t.Error("packs are one-off")
	}
	if !slices.Contains(catalog.DriversFor(catalog.KindCertificate), catalog.DriverACME) {
		t.Error("certificates use acme")
	}
	if !p.Provisioned() || (catalog.Product{Kind: "x"}).Provisioned() {
		t.Error("Provisioned")
	}
}

func BenchmarkValidate(b *testing.B) {
	p := trafficServer()
	for b.Loop() {
		if err := p.Validate(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRefundClassOf(b *testing.B) {
	p := vpn(catalog.LineHomeBroadband)
	for b.Loop() {
		catalog.RefundClassOf(p)
	}
}

func BenchmarkBilledBytes(b *testing.B) {
	var n uint64
	for b.Loop() {
		n += catalog.BilledBytes(catalog.DirectionSum, n, 12345)
	}
}
