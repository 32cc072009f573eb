package app_test

import (
	"context"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
)

func TestAPIKeyCreateAuthenticateRevoke(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	r := s.register(t, "individual")
	p, _ := s.login(t, r.email, goodPassword)
	ctx := context.Background()
	_, _, err := s.a.APIKeyCreate(ctx, p, "ci", []string{"staff.manage"}, time.Time{})
	wantCode(t, err, account.CodeAPIKeyScope)
	view, key, err := s.a.APIKeyCreate(ctx, p, "ci", []string{"order.read"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	kp, err := s.a.AuthenticateAPIKey(ctx, key)
	if err != nil || kp.AccountID != p.AccountID || !kp.ViaAPIKey {
		t.Fatalf("key principal %+v, %v", kp, err)
	}
	wantKind(t, s.a.Authorize(ctx, kp, "order.create", kp.TenantObject()), errs.Forbidden)
	if err := s.a.Authorize(ctx, kp, "order.read", kp.TenantObject()); err != nil {
		t.Fatal(err)
	}
	keys, err := s.a.APIKeys(ctx, p)
	if err != nil || len(keys) != 1 || keys[0].LastUsedAt.IsZero() || keys[0].Display == key {
		t.Fatalf("keys = %+v, %v", keys, err)
	}
	other := s.register(t, "individual")
	op, _ := s.login(t, other.email, goodPassword)
	wantKind(t, s.a.APIKeyRevoke(ctx, op, view.ID), errs.NotFound)
	if err := s.a.APIKeyRevoke(ctx, p, view.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.a.AuthenticateAPIKey(ctx, key)
	wantCode(t, err, account.CodeAPIKeyRevoked)
	_, err = s.a.AuthenticateAPIKey(ctx, "yx_garbage")
	wantCode(t, err, account.CodeAPIKeyInvalid)
}

func TestSubUserScopesAndOtherCustomersObjects(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	ent := s.register(t, "enterprise")
	owner, _ := s.login(t, ent.email, goodPassword)
	ctx := context.Background()
	email, phone := uniq()
	sub, err := s.a.SubUserCreate(ctx, owner, app.SubUserInput{DisplayName: "Buyer", Email: email, Phone: phone, Password: goodPassword,
		Scopes: []account.Scope{account.ScopeMayOrder}})
	if err != nil {
		t.Fatal(err)
	}
	sp, _ := s.login(t, email, goodPassword)
	if sp.OwnerID != owner.AccountID || sp.TenantID() != owner.AccountID {
		t.Fatalf("sub-user principal %+v", sp)
	}
	stranger := s.register(t, "individual")
	strangerP, _ := s.login(t, stranger.email, goodPassword)
	foreign := strangerP.TenantObject()
	foreign.Type = "order"
	tests := []struct {
		name string
		p    account.Principal
		perm account.Permission
		obj  account.Object
		kind errs.Kind
		ok   bool
	}{
		{"sub-user orders for the enterprise", sp, "order.create", sp.TenantObject(), 0, true},
		{"sub-user beyond scope", sp, "refund.request", sp.TenantObject(), errs.Forbidden, false},
		{"sub-user on another customer's order", sp, "order.read", foreign, errs.NotFound, false},
		{"owner on another customer's order", owner, "order.read", foreign, errs.NotFound, false},
		{"customer on a staff permission", owner, "account.read_any", account.Object{}, errs.Forbidden, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.a.Authorize(ctx, tt.p, tt.perm, tt.obj)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantKind(t, err, tt.kind)
		})
	}
	_, err = s.a.AccountGet(ctx, strangerP, sub.ID)
	wantCode(t, err, "account.not_found")
	_, err = s.a.AccountGet(ctx, strangerP, "0190f000-0000-7000-8000-000000000000")
	wantCode(t, err, "account.not_found")
	wantCode(t, s.a.SubUserSetScopes(ctx, strangerP, sub.ID, nil), "account.not_found")
	if err := s.a.SubUserSetScopes(ctx, owner, sub.ID, []account.Scope{account.ScopeMayRequestRefunds}); err != nil {
		t.Fatal(err)
	}
	sp, _ = s.login(t, email, goodPassword)
	if err := s.a.Authorize(ctx, sp, "refund.request", sp.TenantObject()); err != nil {
		t.Fatalf("after re-scoping: %v", err)
	}
	list, err := s.a.SubUsers(ctx, owner)
	if err != nil || len(list) != 1 || list[0].ID != sub.ID {
		t.Fatalf("sub-users = %+v, %v", list, err)
	}
	if v, err := s.a.AccountGet(ctx, owner, sub.ID); err != nil || v.ID != sub.ID {
		t.Fatalf("owner reads sub-user: %v", err)
	}
}

func TestStaffRolesConsoleSeparationAndStanding(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	ctx := ipCtx("192.0.2.77")
	mk := func(p *account.Principal, email string, roles ...account.Role) account.Principal {
		t.Helper()
		if _, err := s.a.CreateStaff(ctx, p, app.CreateStaffInput{Email: email, DisplayName: "Staff", Password: goodPassword, Roles: roles}); err != nil {
			t.Fatal(err)
		}
		res, err := s.a.Login(ctx, app.LoginInput{Login: email, Password: goodPassword, Staff: true})
		if err != nil {
			t.Fatal(err)
		}
		pr, _, err := s.a.Authenticate(ctx, res.SessionToken)
		if err != nil {
			t.Fatal(err)
		}
		return pr
	}
	admin := mk(nil, "admin@corp.example", account.RoleAdmin)
	// Staff log in only on the console, customers only on the portal.
	_, err := s.a.Login(ctx, app.LoginInput{Login: "admin@corp.example", Password: goodPassword})
	wantCode(t, err, account.CodeLoginInvalid)
	cust := s.register(t, "individual")
	_, err = s.a.Login(ctx, app.LoginInput{Login: cust.email, Password: goodPassword, Staff: true})
	wantCode(t, err, account.CodeLoginInvalid)

	officer := mk(&admin, "officer@corp.example", account.RoleComplianceOfficer)
	lead := mk(&admin, "lead@corp.example", account.RoleComplianceLead)
	support := mk(&admin, "support@corp.example", account.RoleSupport)
	wantCode(t, s.a.StaffSetRoles(ctx, admin, admin.AccountID, []account.Role{account.RoleAdmin, account.RoleFinance}), account.ReasonSeparation)
	_, err = s.a.CreateStaff(ctx, &support, app.CreateStaffInput{Email: "x@corp.example", DisplayName: "X", Password: goodPassword, Roles: []account.Role{account.RoleAdmin}})
	wantKind(t, err, errs.Forbidden)
	staff, err := s.a.StaffList(ctx, admin)
	if err != nil || len(staff) != 4 {
		t.Fatalf("staff = %d, %v", len(staff), err)
	}
	found, _, err := s.a.CustomerSearch(ctx, support, app.CustomerQuery{Q: cust.phone})
	if err != nil || len(found) != 1 || found[0].ID != cust.view.ID {
		t.Fatalf("search = %+v, %v", found, err)
	}
	_, _, err = s.a.CustomerSearch(ctx, admin, app.CustomerQuery{Q: cust.email})
	wantKind(t, err, errs.Forbidden)

	// Standing: restrict, ban by the lead; the lead who imposed a ban
	// cannot lift it alone.
	wantKind(t, s.a.StandingSet(ctx, support, cust.view.ID, account.Measure{Flag: account.FlagRestricted, Reason: "x"}), errs.Forbidden)
	if err := s.a.StandingSet(ctx, officer, cust.view.ID, account.Measure{Flag: account.FlagRestricted, Reason: "spam", CaseRef: "CASE-1"}); err != nil {
		t.Fatal(err)
	}
	wantKind(t, s.a.StandingSet(ctx, officer, cust.view.ID, account.Measure{Flag: account.FlagBanned, Reason: "spam"}), errs.Forbidden)
	if err := s.a.StandingSet(ctx, lead, cust.view.ID, account.Measure{Flag: account.FlagBanned, Reason: "fraud", CaseRef: "CASE-2"}); err != nil {
		t.Fatal(err)
	}
	st, err := s.a.StandingOf(ctx, cust.view.ID)
	if err != nil || st.Restricted == nil || st.Banned == nil || st.Worst() != account.FlagBanned {
		t.Fatalf("standing = %+v, %v", st, err)
	}
	cp, _ := s.login(t, cust.email, goodPassword) // bans never stop logging in
	wantCode(t, s.a.Authorize(ctx, cp, "order.create", cp.TenantObject()), "standing.banned")
	wantCode(t, s.a.StandingLift(ctx, lead, cust.view.ID, account.FlagBanned, "appeal upheld"), account.ReasonSeparation)
	lead2 := mk(&admin, "lead2@corp.example", account.RoleComplianceLead)
	if err := s.a.StandingLift(ctx, lead2, cust.view.ID, account.FlagBanned, "appeal upheld"); err != nil {
		t.Fatal(err)
	}
	if err := s.a.StandingLift(ctx, officer, cust.view.ID, account.FlagRestricted, "resolved"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.a.StandingOf(ctx, cust.view.ID); !st.Good() {
		t.Fatalf("standing after lift = %+v", st)
	}
	if n := countRows(t, s.a, `SELECT COUNT(*) FROM standing_measure WHERE account_id = $1`, cust.view.ID); n != 2 {
		t.Fatalf("history rows = %d", n)
	}
	// Disabling ends the customer's sessions.
	_, res := s.login(t, cust.email, goodPassword)
	if err := s.a.AccountDisable(ctx, admin, cust.view.ID, "left"); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.a.Authenticate(ctx, res.SessionToken)
	wantCode(t, err, account.CodeSessionEnded)
	_, err = s.a.Login(ctx, app.LoginInput{Login: cust.email, Password: goodPassword})
	wantCode(t, err, account.CodeLoginInvalid)
}

func TestSeedDemoIsIdempotentAndLogsIn(t *testing.T) {
	t.Parallel()
	s := newAccountApp(t)
	ctx := context.Background()
	logins, err := s.a.SeedDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := 5 + len(account.Roles()); len(logins) != want { // individual, enterprise, sub-user, reseller, reseller's client
		t.Fatalf("logins = %d, want %d", len(logins), want)
	}
	again, err := s.a.SeedDemo(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second seed = %d, %v", len(again), err)
	}
	for _, l := range logins {
		res, err := s.a.Login(ipCtx("127.0.0.1"), app.LoginInput{Login: l.Login, Password: l.Password, Staff: l.Kind == "staff"})
		if err != nil || res.SessionToken == "" {
			t.Fatalf("%s: %v", l.Login, err)
		}
		p, _, err := s.a.Authenticate(ctx, res.SessionToken)
		if err != nil || string(p.Kind) != l.Kind {
			t.Fatalf("%s: %+v %v", l.Login, p, err)
		}
	}
}
