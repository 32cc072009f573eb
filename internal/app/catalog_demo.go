package app

import (
	"context"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/money"
	"yuanxu/internal/service"
	"yuanxu/internal/store"
)

// demoProducts is the demo catalog (serve --demo): every kind, both line
// types, both billing modes, stock-counted and unlimited plans, and one
// product (the cross-border VPN) that no demo licence covers, so that a
// refused sale can be tried by hand.
func demoProducts() []ProductView {
	const gib = uint64(1) << 30
	m := func(cycle string, fen int64) PriceView { return PriceView{Cycle: cycle, AmountFen: fen} }
	monthly := func(fen int64) []PriceView {
		return []PriceView{m("month", fen), m("quarter", fen*3*95/100), m("year", fen*10)}
	}
	return []ProductView{
		{ID: "cs-nc-bw", Name: "南昌云服务器（固定带宽）", NameEn: "Nanchang cloud server (fixed bandwidth)", Kind: "cloud_server", Active: true,
			Description: "标准线路，5 Mbps 独享带宽，不限流量。Standard line, 5 Mbps dedicated, unmetered.",
			Spec: ProductSpec{Server: &ServerSpec{CPU: 2, MemoryMiB: 4096, DiskGiB: 60, Region: "cn-jx-nanchang", Line: "standard", Billing: "bandwidth",
				BandwidthMbps: 5}},
			Plans: []PlanView{{ID: "s1", Name: "1 vCPU · 2 GiB · 40 GiB", Prices: monthly(3900), Stock: -1},
				{ID: "s2", Name: "2 vCPU · 4 GiB · 60 GiB", Prices: monthly(7900), Stock: -1}},
			DeliverySLAMinutes: 10, Driver: "sandbox", SortKey: 10},
		{ID: "cs-nc-traffic", Name: "南昌云服务器（流量计费）", NameEn: "Nanchang cloud server (traffic billed)", Kind: "cloud_server", Active: true,
			Description: "每月 500 GiB 出方向流量，超出可购流量包。500 GiB outbound a month; traffic packs for more.",
			Spec: ProductSpec{Server: &ServerSpec{CPU: 2, MemoryMiB: 4096, DiskGiB: 60, Region: "cn-jx-nanchang", Line: "standard", Billing: "traffic",
				BandwidthMbps: 100, QuotaBytes: 500 * gib, Direction: "tx"}},
			Plans:              []PlanView{{ID: "t2", Name: "2 vCPU · 4 GiB · 500 GiB/月", Prices: monthly(5900), Stock: -1}},
			DeliverySLAMinutes: 10, Driver: "sandbox", SortKey: 20},
		{ID: "cs-gz-home", Name: "赣州家宽云服务器", NameEn: "Ganzhou home-broadband server", Kind: "cloud_server", Active: true,
			Description: "家庭宽带线路：开通后不适用无理由退款（第三条第二款第1项）。Home broadband: no no-fault refund once opened (clause 3.2.1).",
			Spec: ProductSpec{Server: &ServerSpec{CPU: 4, MemoryMiB: 8192, DiskGiB: 100, Region: "cn-jx-ganzhou", Line: "home_broadband",
				Billing: "bandwidth", BandwidthMbps: 50}},
			Plans:              []PlanView{{ID: "h4", Name: "4 vCPU · 8 GiB · 50 Mbps", Prices: monthly(12900), Stock: 20}},
			DeliverySLAMinutes: 60 * 24, Driver: "manual", SortKey: 30},
		{ID: "vpn-domestic", Name: "国内 VPN 专线", NameEn: "Domestic VPN line", Kind: "vpn", Active: true, Region: "cn-jx",
			Spec:               ProductSpec{VPN: &VPNSpec{Line: "standard", Scope: "domestic"}},
			Plans:              []PlanView{{ID: "v10", Name: "10 Mbps", Prices: monthly(9900), Stock: -1}},
			DeliverySLAMinutes: 30, Driver: "sandbox", SortKey: 40},
		{ID: "vpn-home", Name: "家宽 VPN 线路", NameEn: "Home-broadband VPN line", Kind: "vpn", Active: true, Region: "cn-jx",
			Spec:               ProductSpec{VPN: &VPNSpec{Line: "home_broadband", Scope: "domestic"}},
			Plans:              []PlanView{{ID: "vh", Name: "50 Mbps 家宽", Prices: monthly(6900), Stock: 50}},
			DeliverySLAMinutes: 60 * 24, Driver: "manual", SortKey: 50},
		{ID: "vpn-cross-border", Name: "跨境 VPN 专线", NameEn: "Cross-border VPN line", Kind: "vpn", Active: true, Region: "cn-jx",
			Description: "演示：许可证登记中无跨境范围，结算会被拒绝。Demo: no licence covers cross-border lines, so checkout refuses it.",
			Spec:        ProductSpec{VPN: &VPNSpec{Line: "standard", Scope: "cross_border"}},
			Plans:       []PlanView{{ID: "x10", Name: "10 Mbps", Prices: monthly(29900), Stock: -1}}, DeliverySLAMinutes: 60 * 24 * 3,
			Driver: "manual", SortKey: 60},
		{ID: "cdn-traffic", Name: "CDN 加速（流量包月）", NameEn: "CDN (monthly traffic)", Kind: "cdn", Active: true,
			Spec:               ProductSpec{CDN: &CDNSpec{Plan: "traffic", QuotaBytes: 1024 * gib}},
			Plans:              []PlanView{{ID: "c1t", Name: "1 TiB/月", Prices: monthly(9900), Stock: -1}},
			DeliverySLAMinutes: 30, Driver: "sandbox", SortKey: 70},
		{ID: "cert-dv", Name: "DV 域名型证书", NameEn: "DV certificate", Kind: "certificate", Active: true,
			Description: "证书签发后不适用无理由退款（第三条第二款第2项）。No no-fault refund once submitted to the CA (clause 3.2.2).",
			Spec:        ProductSpec{Cert: &CertSpec{Validation: "dv", Domains: 1}},
			Plans:       []PlanView{{ID: "dv1", Name: "单域名 1 年", Prices: []PriceView{m("one_off", 9900)}, Stock: -1}}, DeliverySLAMinutes: 60,
			Driver: "sandbox", SortKey: 80},
		{ID: "cert-ov", Name: "OV 企业型证书", NameEn: "OV certificate", Kind: "certificate", Active: true,
			Spec:  ProductSpec{Cert: &CertSpec{Validation: "ov", Domains: 1}},
			Plans: []PlanView{{ID: "ov1", Name: "单域名 1 年", Prices: []PriceView{m("one_off", 199900)}, Stock: -1}}, DeliverySLAMinutes: 60 * 24 * 5,
			Driver: "manual", SortKey: 90},
		{ID: "pack-100g", Name: "流量包 100 GiB", NameEn: "Traffic pack 100 GiB", Kind: "traffic_pack", Active: true,
			Description: "仅可叠加到本人名下按流量计费的云服务器；购买后不适用无理由退款（第三条第二款第3项）。Attaches only to your own traffic-billed server; no no-fault refund (clause 3.2.3).",
			Spec:        ProductSpec{Pack: &PackSpec{Bytes: 100 * gib, ValidityDays: 30}},
			Plans:       []PlanView{{ID: "p100", Name: "100 GiB · 30 天", Prices: []PriceView{m("one_off", 3000)}, Stock: -1}}, DeliverySLAMinutes: 10,
			Driver: "sandbox", SortKey: 100},
	}
}

// demoCoupons are the demo's coupons: a first-purchase percentage, a fixed
// amount on servers with limits, and an expired one.
func demoCoupons(now time.Time) []CouponView {
	return []CouponView{
		{Code: "WELCOME10", Kind: "percent", PercentBP: 1000, FirstPurchaseOnly: true, MaxUsesPerCustomer: 1, Active: true},
		{Code: "SERVER20", Kind: "fixed", AmountFen: 2000, ProductIDs: []string{"cs-nc-bw", "cs-nc-traffic", "cs-gz-home"}, MaxUses: 100,
			MaxUsesPerCustomer: 2, Active: true},
		{Code: "EXPIRED5", Kind: "fixed", AmountFen: 500, ValidUntil: now.Add(-24 * time.Hour), Active: true},
	}
}

// SeedDemoCatalog seeds the demo catalog, its coupons and the licence
// register that covers them (but for cross-border VPN lines). Idempotent:
// it does nothing when any product exists. serve --demo calls it; tests
// use it for a realistic catalog.
func (a *App) SeedDemoCatalog(ctx context.Context) error {
	if n, err := store.ProductCount(ctx, a.db); err != nil || n > 0 {
		return err
	}
	ctx = WithActor(ctx, Actor{ID: "system", ClientIP: "127.0.0.1"})
	now := a.Now()
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		for _, l := range []store.LicenceRow{
			{ID: "demo-idc", Type: LicenceIDC, Number: "B1-20260001", ProductKinds: []string{"cloud_server", "traffic_pack"}},
			{ID: "demo-cdn", Type: LicenceCDN, Number: "B1-20260002", ProductKinds: []string{"cdn"}},
			{ID: "demo-ipvpn", Type: LicenceIPVPN, Number: "B1-20260003", ProductKinds: []string{"vpn"}, Scopes: []string{ScopeDomestic}},
		} {
			l.Holder, l.ValidFrom, l.ValidUntil = "演示 IDC 公司 (demo)", now.AddDate(-1, 0, 0), now.AddDate(4, 0, 0)
			l.Note, l.CreatedBy, l.CreatedAt, l.UpdatedAt = "demo register entry", "system", now, now
			if err := tx.LicenceInsert(ctx, l); err != nil {
				return err
			}
		}
		for _, p := range demoProducts() {
			if err := validateProduct(p); err != nil {
				return err
			}
			if err := a.putProduct(ctx, tx, p, false, ProductView{}); err != nil {
				return err
			}
		}
		for _, c := range demoCoupons(now) {
			row := store.CouponRow{Code: c.Code, Kind: c.Kind, PercentBP: c.PercentBP, AmountFen: c.AmountFen, ProductIDs: c.ProductIDs,
				FirstPurchaseOnly: c.FirstPurchaseOnly, MaxUses: c.MaxUses, MaxUsesPerCustomer: c.MaxUsesPerCustomer, ValidUntil: c.ValidUntil,
				Active: true, CreatedBy: "system", CreatedAt: now}
			if err := tx.CouponPut(ctx, row); err != nil {
				return err
			}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "catalog.demo_seeded", SubjectType: "catalog", SubjectID: "demo",
			Data: map[string]any{"products": len(demoProducts())}})
	})
}

// seedDemoCommerce seeds the demo catalog and gives the demo individual and
// enterprise ¥1,000 of cash from the sandbox gateway, once.
func (a *App) seedDemoCommerce(ctx context.Context, ids map[string]string) error {
	n, err := store.ProductCount(ctx, a.db)
	if err != nil || n > 0 {
		return err
	}
	if err := a.SeedDemoCatalog(ctx); err != nil {
		return err
	}
	ctx = WithActor(ctx, Actor{ID: "system", ClientIP: "127.0.0.1"})
	if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		for _, email := range []string{"individual@demo.yuanxu.test", "enterprise@demo.yuanxu.test"} {
			if aid := ids[email]; aid != "" {
				if err := a.seedBalance(ctx, tx, aid, money.Fen(100000), "demo-seed"); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		return err
	}
	return a.seedDemoServices(ctx, ids)
}

// seedDemoServices gives the demo individual services in several states,
// bought through the real checkout with its balance and delivered by the
// sandbox driver: one running with automatic renewal, one expired into its
// grace period, one terminated; and a manual product waiting for
// operations to deliver it.
// Idempotent: it does nothing when the individual has any order.
func (a *App) seedDemoServices(ctx context.Context, ids map[string]string) error {
	aid := ids["individual@demo.yuanxu.test"]
	if aid == "" {
		return nil
	}
	if os, err := store.Orders(ctx, a.db, store.OrderFilter{AccountID: aid, Limit: 1}); err != nil || len(os) > 0 {
		return err
	}
	l, err := loadAccount(ctx, a.db, aid)
	if err != nil {
		return err
	}
	p := account.Principal{AccountID: aid, Kind: account.Kind(l.row.Kind), Standing: l.effective}
	ctx = WithActor(ctx, Actor{ID: "system", ClientIP: "127.0.0.1"})
	ack := AgreementAck{Acknowledged: a.keyClausesInForce(ctx)}
	var svcIDs []string
	for _, pl := range []struct{ product, plan string }{{"cs-nc-bw", "s1"}, {"cs-nc-traffic", "t2"}, {"vpn-domestic", "v10"}} {
		o, _, err := a.Checkout(ctx, p, CheckoutRequest{Lines: []LineRequest{{ProductID: pl.product, PlanID: pl.plan, Cycle: "month", Quantity: 1}}, Agreement: ack}, Idem{})
		if err != nil {
			return err
		}
		if _, err := a.PayOrder(ctx, p, o.ID, PayRequest{Method: MethodBalance}); err != nil {
			return err
		}
		svcs, err := store.Services(ctx, a.db, store.ServiceFilter{OrderID: o.ID})
		if err != nil || len(svcs) != 1 {
			return err
		}
		svcIDs = append(svcIDs, svcs[0].ID)
	}
	if _, err := a.SetAutoRenew(ctx, p, svcIDs[0], true); err != nil {
		return err
	}
	// A manual product (the home-broadband VPN line) waits in the
	// operations queue with its deadline counting down, for the demo's
	// operations login to fulfil (issue 13).
	o, _, err := a.Checkout(ctx, p, CheckoutRequest{Lines: []LineRequest{{ProductID: "vpn-home", PlanID: "vh", Cycle: "month", Quantity: 1}}, Agreement: ack}, Idem{})
	if err != nil {
		return err
	}
	if _, err := a.PayOrder(ctx, p, o.ID, PayRequest{Method: MethodBalance}); err != nil {
		return err
	}
	grace := a.serviceLifecycle().Grace
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		// The second lapsed two days ago; the third lapsed past its grace.
		for i, ago := range []time.Duration{2 * 24 * time.Hour, grace + 24*time.Hour} {
			id := svcIDs[i+1]
			sv, err := a.mutateService(ctx, tx, id, func(_ *store.ServiceRow, s *service.Service) error {
				s.ExpiresAt = tx.Now.Add(-ago)
				s.StartsAt = s.ExpiresAt.AddDate(0, -1, 0)
				return nil
			})
			if err != nil {
				return err
			}
			// Their orders move back with them: bought a month before the
			// term ended, so a refund of them is refused (the window has
			// passed) while the running server's, bought now, is eligible —
			// both can be tried in the portal.
			if _, err := tx.Exec(ctx, `UPDATE orders SET created_at_ms = $2, paid_at_ms = $2, delivered_at_ms = $2, deliver_by_ms = $3,
 expires_at_ms = $4, updated_at_ms = $5 WHERE id = $1`, sv.OrderID, store.Ms(sv.StartsAt), store.Ms(sv.StartsAt.Add(10*time.Minute)),
				store.Ms(sv.StartsAt.Add(30*time.Minute)), store.Ms(tx.Now)); err != nil {
				return err
			}
			tx.Forget() // the order was written behind the typed writers' back
			if _, err := tx.Exec(ctx, `UPDATE service_delivery SET delivered_at_ms = $2, deliver_by_ms = $3, accepted_at_ms = $4 WHERE service_id = $1`,
				id, store.Ms(sv.StartsAt), store.Ms(sv.StartsAt.Add(10*time.Minute)), store.Ms(sv.StartsAt.Add(24*time.Hour))); err != nil {
				return err
			}
			if err := a.serviceEvent(ctx, tx, id, "demo_backdated", "", map[string]any{"expired_ago_h": ago.Hours()}); err != nil {
				return err
			}
		}
		if err := a.SuspendService(ctx, tx, svcIDs[1], service.ReasonOverdue, "demo"); err != nil {
			return err
		}
		return a.terminateService(ctx, tx, svcIDs[2], "grace_ended")
	})
}
