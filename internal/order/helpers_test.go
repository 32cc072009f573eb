package order_test

import (
	"strings"
	"testing"
	"time"

	"yuanxu/internal/agreement"
	"yuanxu/internal/catalog"
	"yuanxu/internal/order"
)

var t0 = time.Date(2026, 6, 18, 23, 59, 0, 0, time.FixedZone("CST", 8*3600))

func server(id string, fen int64, sla time.Duration) catalog.Product {
	return catalog.Product{
		ID: id, Name: id, Kind: catalog.KindCloudServer, Active: true,
		Server: &catalog.CloudServer{CPU: 1, MemoryMiB: 1024, DiskGiB: 20, Region: "cn-jx", Line: catalog.LineStandard,
			Billing: catalog.BillingTraffic, QuotaBytes: 1 << 40, Direction: catalog.DirectionTx},
		Plans:       []catalog.Plan{{ID: "p1", Prices: []catalog.Price{{Cycle: catalog.CycleMonth, AmountFen: fen}}, Stock: catalog.StockUnlimited}},
		DeliverySLA: sla, Driver: catalog.DriverSandbox,
	}
}

func trafficPack() catalog.Product {
	return catalog.Product{ID: "pack", Name: "pack", Kind: catalog.KindTrafficPack, Active: true,
		Pack:        &catalog.TrafficPack{Bytes: 100 << 30, Validity: 720 * time.Hour},
		Plans:       []catalog.Plan{{ID: "p1", Prices: []catalog.Price{{Cycle: catalog.CycleOneOff, AmountFen: 1500}}, Stock: catalog.StockUnlimited}},
		DeliverySLA: 10 * time.Minute, Driver: catalog.DriverSandbox}
}

func params(lines ...order.LineSpec) order.NewParams {
	return order.NewParams{
		ID: "o1", AccountID: "c1", Channel: order.ChannelWeb, Lines: lines,
		Agreement:    order.AgreementRef{VersionID: "v1", SHA256: strings.Repeat("ab", 32), Acknowledged: []agreement.ClauseID{"3.1"}},
		CreatedAt:    t0,
		UnpaidExpiry: 30 * time.Minute,
	}
}

func spec(p catalog.Product, cycle catalog.Cycle, qty int64) order.LineSpec {
	return order.LineSpec{Product: p, Input: order.LineInput{ProductID: p.ID, PlanID: "p1", Cycle: cycle, Quantity: qty}}
}

func newOrder(t testing.TB, lines ...order.LineSpec) *order.Order {
	t.Helper()
	o, err := order.NewOrder(params(lines...))
	if err != nil {
		t.Fatal(err)
	}
	return o
}
