package catalog_test

import (
	"time"

	"yuanxu/internal/catalog"
)

func plan(c catalog.Cycle, fen int64) []catalog.Plan {
	return []catalog.Plan{{ID: "p1", Name: "basic", Prices: []catalog.Price{{Cycle: c, AmountFen: fen}}, Stock: catalog.StockUnlimited}}
}

func trafficServer() catalog.Product {
	return catalog.Product{
		ID: "cs-traffic", Name: "Cloud 2C4G", Kind: catalog.KindCloudServer, Active: true,
		Server: &catalog.CloudServer{CPU: 2, MemoryMiB: 4096, DiskGiB: 40, Region: "cn-jx", Line: catalog.LineStandard,
			Billing: catalog.BillingTraffic, QuotaBytes: 200 << 30, Direction: catalog.DirectionLarger},
		Plans:       []catalog.Plan{{ID: "p1", Prices: []catalog.Price{{Cycle: catalog.CycleMonth, AmountFen: 5900}, {Cycle: catalog.CycleYear, AmountFen: 59000}}, Stock: 10}},
		DeliverySLA: time.Hour, Driver: catalog.DriverSandbox,
	}
}

func bandwidthServer(line catalog.Line) catalog.Product {
	return catalog.Product{
		ID: "cs-bw", Name: "Cloud 1C1G", Kind: catalog.KindCloudServer,
		Server: &catalog.CloudServer{CPU: 1, MemoryMiB: 1024, DiskGiB: 20, Region: "cn-jx", Line: line,
			Billing: catalog.BillingBandwidth, BandwidthMbps: 5},
		Plans: plan(catalog.CycleMonth, 1000), DeliverySLA: time.Hour, Driver: catalog.DriverManual,
	}
}

func vpn(line catalog.Line) catalog.Product {
	return catalog.Product{ID: "vpn", Name: "VPN", Kind: catalog.KindVPN,
		VPN:   &catalog.VPN{Line: line, Scope: catalog.ScopeDomestic},
		Plans: plan(catalog.CycleQuarter, 3000), DeliverySLA: 30 * time.Minute, Driver: catalog.DriverWireGuard}
}

func cdn() catalog.Product {
	return catalog.Product{ID: "cdn", Name: "CDN 1TB", Kind: catalog.KindCDN,
		CDN:   &catalog.CDN{Plan: catalog.CDNTraffic, QuotaBytes: 1 << 40},
		Plans: plan(catalog.CycleMonth, 2000), DeliverySLA: time.Hour, Driver: catalog.DriverNginx}
}

func cert(v catalog.Validation) catalog.Product {
	return catalog.Product{ID: "cert", Name: "DV", Kind: catalog.KindCertificate,
		Cert:  &catalog.Certificate{Validation: v, Domains: 1},
		Plans: plan(catalog.CycleOneOff, 9900), DeliverySLA: 24 * time.Hour, Driver: catalog.DriverACME}
}

func pack() catalog.Product {
	return catalog.Product{ID: "pack", Name: "100 GiB", Kind: catalog.KindTrafficPack,
		Pack:  &catalog.TrafficPack{Bytes: 100 << 30, Validity: 30 * 24 * time.Hour},
		Plans: plan(catalog.CycleOneOff, 1500), DeliverySLA: 10 * time.Minute, Driver: catalog.DriverSandbox}
}
