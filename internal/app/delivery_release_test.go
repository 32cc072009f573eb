package app_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
)

// TestEndedServiceReleasesItsAddresses: a WireGuard line that ends (grace
// over, terminated) leaves its node's peer list at that instant, its
// tunnel address returns to the pool and its holding in the address
// history closes then; the address given to the next customer shows two
// holders at different times.
func TestEndedServiceReleasesItsAddresses(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	s.useDriver(t, "vpn-domestic", "wireguard")
	tok := s.vpnNode(t, ops, "nc-vpn-a", "cn-jx-nanchang", "10.66.0.0/29")
	_, p1 := s.buyer(t, 100000)
	_, p2 := s.buyer(t, 100000)

	o1 := s.buy(t, p1, "vpn-domestic", "v10", "month")
	svc1 := s.serviceOf(t, p1, o1.ID)
	t1 := s.clock.Now()
	if d, err := s.a.ServiceDelivery(ctx, p1, svc1.ID); err != nil || len(d.Addresses) != 1 || d.Addresses[0] != "10.66.0.2" {
		t.Fatalf("delivery = %+v, %v", d, err)
	}
	peers := func() int {
		t.Helper()
		cfg, err := s.a.AgentConfigFor(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		return len(cfg.WireGuard.Peers)
	}
	if n := peers(); n != 1 {
		t.Fatalf("peers before the end = %d", n)
	}

	v1, err := s.a.Service(ctx, p1, svc1.ID)
	if err != nil {
		t.Fatal(err)
	}
	s.sweepTo(t, v1.ExpiresAt)
	s.sweepTo(t, v1.ExpiresAt.Add(app.DefaultServiceLifecycle.Grace))
	if v1, err = s.a.Service(ctx, p1, svc1.ID); err != nil || v1.State != "terminated" {
		t.Fatalf("after the grace period: %+v, %v", v1, err)
	}
	end := v1.TerminatedAt
	if n := peers(); n != 0 {
		t.Fatalf("peers after the end = %d", n)
	}
	for _, q := range []struct {
		q    string
		want int
	}{
		{`SELECT COUNT(*) FROM wg_peer WHERE service_id = $1 AND removed_at_ms IS NOT NULL`, 1},
		{`SELECT COUNT(*) FROM address_assignment WHERE service_id = $1 AND until_ms IS NULL`, 0},
		{`SELECT COUNT(*) FROM audit_event WHERE subject_id = $1 AND action = 'service.addresses_released'`, 1},
	} {
		if n := countRows(t, s.a, q.q, svc1.ID); n != q.want {
			t.Errorf("%s = %d, want %d", q.q, n, q.want)
		}
	}

	// The freed address goes to the next customer.
	s.clock.Advance(time.Hour)
	o2 := s.buy(t, p2, "vpn-domestic", "v10", "month")
	svc2 := s.serviceOf(t, p2, o2.ID)
	t2 := s.clock.Now()
	if d, err := s.a.ServiceDelivery(ctx, p2, svc2.ID); err != nil || len(d.Addresses) != 1 || d.Addresses[0] != "10.66.0.2" {
		t.Fatalf("second delivery = %+v, %v", d, err)
	}
	if n := peers(); n != 1 {
		t.Fatalf("peers after the reassignment = %d", n)
	}
	s.wantHolders(t, ops, "10.66.0.2", []holderCase{
		{"first holder", t1, svc1.ID},
		{"first holder's last instant", end.Add(-time.Millisecond), svc1.ID},
		{"released", end, ""},
		{"between holders", t2.Add(-time.Millisecond), ""},
		{"second holder", t2, svc2.ID},
	})
}

// TestAddressHistoryPurgedAfterRetention: a holding that ended is kept
// retention.network_logs_days (183 by default) after its end and deleted
// by the purge sweep from then on; an open holding is never deleted,
// however old.
func TestAddressHistoryPurgedAfterRetention(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	ops := s.staff(t, nil, "ops", account.RoleOperations)
	_, p1 := s.buyer(t, 100000)
	_, p2 := s.buyer(t, 100000)
	a1 := s.serviceOf(t, p1, s.buy(t, p1, "cs-gz-home", "h4", "month").ID)
	a2 := s.serviceOf(t, p2, s.buy(t, p2, "cs-gz-home", "h4", "month").ID)
	t1 := s.clock.Now()
	if _, err := s.a.Fulfil(ctx, ops, a1.ID, app.FulfilInput{Addresses: []string{"203.0.113.77"}}); err != nil {
		t.Fatal(err)
	}
	s.clock.Advance(2 * time.Hour)
	t2 := s.clock.Now() // a1's holding ends, a2's begins
	if _, err := s.a.Fulfil(ctx, ops, a2.ID, app.FulfilInput{Addresses: []string{"203.0.113.77"}}); err != nil {
		t.Fatal(err)
	}
	holder := func(at time.Time) string {
		t.Helper()
		h, _, err := s.a.AddressHolder(ctx, ops, app.LookupInput{Address: "203.0.113.77", At: at, Purpose: "abuse_investigation"})
		if err != nil {
			t.Fatal(err)
		}
		return h.ServiceID
	}
	retention := 183 * 24 * time.Hour
	for _, c := range []struct {
		name       string
		now        time.Time
		purged     int64
		atT1, atT2 string
	}{
		{"a day after", t2.Add(24 * time.Hour), 0, a1.ID, a2.ID},
		{"the retention's last instant", t2.Add(retention - time.Millisecond), 0, a1.ID, a2.ID},
		{"retention over", t2.Add(retention), 1, "", a2.ID},
		{"years later", t2.Add(5 * retention), 0, "", a2.ID},
	} {
		s.clock.Advance(c.now.Sub(s.clock.Now()))
		n, err := s.a.AddressHistoryPurgeForTest(ctx, s.clock.Now())
		if err != nil || n != c.purged {
			t.Fatalf("%s: purged %d, %v; want %d", c.name, n, err, c.purged)
		}
		if got := holder(t1); got != c.atT1 {
			t.Errorf("%s: holder at t1 = %q, want %q", c.name, got, c.atT1)
		}
		if got := holder(t2); got != c.atT2 {
			t.Errorf("%s: holder at t2 = %q, want %q", c.name, got, c.atT2)
		}
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM audit_event WHERE action = 'address_history.purged'`); n != 1 {
		t.Fatalf("purge audited %d times", n)
	}
}
