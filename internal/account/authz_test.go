package account_test

import (
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

// The cast of the authorisation tests.
var (
	alice  = account.Principal{AccountID: "alice", Kind: account.KindIndividual}
	bob    = account.Principal{AccountID: "bob", Kind: account.KindIndividual}
	ent    = account.Principal{AccountID: "ent", Kind: account.KindEnterprise}
	subNo  = account.Principal{AccountID: "sub-none", Kind: account.KindSubUser, OwnerID: "ent"}
	subAll = account.Principal{AccountID: "sub-all", Kind: account.KindSubUser, OwnerID: "ent", Scopes: account.Scopes()}
	resell = account.Principal{AccountID: "resell", Kind: account.KindReseller}

	support    = staff("st-support", account.RoleSupport)
	lead       = staff("st-lead", account.RoleSupportLead)
	officer    = staff("st-officer", account.RoleComplianceOfficer)
	compLead   = staff("st-complead", account.RoleComplianceLead)
	appealRev  = staff("st-appeal", account.RoleAppealReviewer)
	finApprove = staff("st-finapp", account.RoleFinanceApprover)
	admin      = staff("st-admin", account.RoleAdmin)
	legal      = staff("st-legal", account.RoleLegal)
	noRole     = staff("st-none", "root")
)

func staff(id string, roles ...account.Role) account.Principal {
	return account.Principal{AccountID: id, Kind: account.KindStaff, Roles: roles}
}

func owned(owner string) account.Object { return account.Object{Type: "order", OwnerAccountID: owner} }

func banned(p account.Principal) account.Principal {
	p.Standing.Banned = &account.Measure{Reason: "phishing", CaseRef: "case-1"}
	return p
}

func withStanding(p account.Principal, f account.Flag) account.Principal {
	m := &account.Measure{CaseRef: "case-2"}
	switch f {
	case account.FlagRestricted:
		p.Standing.Restricted = m
	case account.FlagSuspended:
		p.Standing.Suspended = m
	case account.FlagBanned:
		p.Standing.Banned = m
	}
	return p
}

func viaKey(p account.Principal, scopes ...account.Permission) account.Principal {
	p.ViaAPIKey, p.KeyScopes = true, scopes
	return p
}

func TestCan(t *testing.T) {
	t.Parallel()
	subKeyObj := account.Object{Type: "api_key", OwnerAccountID: "sub-all", OwnerParentID: "ent"}
	siblingKeyObj := account.Object{Type: "api_key", OwnerAccountID: "sub-other", OwnerParentID: "ent"}
	clientOrder := account.Object{Type: "order", OwnerAccountID: "client", ResellerID: "resell"}
	tests := []struct {
		name   string
		p      account.Principal
		perm   account.Permission
		obj    account.Object
		status account.Status
		reason string
	}{
		{"Anonymous", account.Principal{}, "order.read", owned("alice"), account.Unauthenticated, account.ReasonUnauthenticated},
		{"UnknownPermission", alice, "order.delete_everything", owned("alice"), account.Forbidden, account.ReasonUnknownPermission},
		{"UnknownKind", account.Principal{AccountID: "x", Kind: "martian"}, "order.read", owned("x"), account.Forbidden, account.ReasonInvalidPrincipal},
		{"SubUserWithoutEnterprise", account.Principal{AccountID: "x", Kind: account.KindSubUser}, "profile.manage", owned("x"), account.Forbidden, account.ReasonInvalidPrincipal},

		{"OwnOrder", alice, "order.read", owned("alice"), account.Allow, account.ReasonAllowed},
		{"OthersOrderHidden", alice, "order.read", owned("bob"), account.NotFound, account.ReasonHidden},
		{"CreateNeedsObject", alice, "order.create", account.Object{}, account.Forbidden, account.ReasonObjectRequired},
		{"CreateOwn", alice, "order.create", alice.TenantObject(), account.Allow, account.ReasonAllowed},
		{"StaffPermOnOthersHidden", alice, "refund.approve_second", owned("bob"), account.NotFound, account.ReasonHidden},
		{"StaffPermOnOwnForbidden", alice, "refund.approve_second", owned("alice"), account.Forbidden, account.ReasonStaffOnly},
		{"StaffPermNoObject", alice, "catalog.manage", account.Object{}, account.Forbidden, account.ReasonStaffOnly},
		{"IndividualNoSubUsers", alice, "subuser.manage", alice.SelfObject(), account.Forbidden, account.ReasonNotHeld},

		{"OwnerOnOwnOrder", ent, "order.read", owned("ent"), account.Allow, account.ReasonAllowed},
		{"OwnerOnSubUserKey", ent, "api_key.manage_own", subKeyObj, account.Allow, account.ReasonAllowed},
		{"OwnerOnSubUserSessions", ent, "session.manage_own", subKeyObj, account.Allow, account.ReasonAllowed},
		{"OwnerNotSubUserMFA", ent, "mfa.manage_own", subKeyObj, account.Forbidden, account.ReasonRelation},
		{"OwnerManagesSubUser", ent, "subuser.manage", account.Object{OwnerAccountID: "sub-all", OwnerParentID: "ent"}, account.Allow, account.ReasonAllowed},
		{"OwnerNotOthersOrder", ent, "order.read", owned("alice"), account.NotFound, account.ReasonHidden},

		{"SubUserNoScopeOrder", subNo, "order.create", subNo.TenantObject(), account.Forbidden, account.ReasonScopeMissing},
		{"SubUserNoScopeRefund", subNo, "refund.request", owned("ent"), account.Forbidden, account.ReasonScopeMissing},
		{"SubUserOwnProfile", subNo, "profile.manage", subNo.SelfObject(), account.Allow, account.ReasonAllowed},
		{"SubUserScopedOrder", subAll, "order.create", subAll.TenantObject(), account.Allow, account.ReasonAllowed},
		{"SubUserScopedRefund", subAll, "refund.request", owned("ent"), account.Allow, account.ReasonAllowed},
		{"SubUserNotEnterpriseKeys", subAll, "api_key.manage_own", account.Object{OwnerAccountID: "ent"}, account.Forbidden, account.ReasonRelation},
		{"SubUserOwnKey", subAll, "api_key.manage_own", subKeyObj, account.Allow, account.ReasonAllowed},
		{"SubUserSiblingHidden", subAll, "api_key.manage_own", siblingKeyObj, account.NotFound, account.ReasonHidden},
		{"SubUserOtherTenantHidden", subAll, "order.read", owned("bob"), account.NotFound, account.ReasonHidden},
		{"SubUserNeverManagesSubUsers", subAll, "subuser.manage", owned("ent"), account.Forbidden, account.ReasonScopeMissing},
		{"SubUserNoWithdraw", subAll, "wallet.withdraw", owned("ent"), account.Forbidden, account.ReasonScopeMissing},
		{"SubUserNoAppealForEnterprise", subAll, "appeal.file", owned("ent"), account.Forbidden, account.ReasonScopeMissing},

		{"ResellerOrdersForClient", resell, "order.create", clientOrder, account.Allow, account.ReasonAllowed},
		{"ResellerNoRefundForClient", resell, "refund.request", clientOrder, account.Forbidden, account.ReasonRelation},
		{"ResellerNotOthers", resell, "order.read", owned("bob"), account.NotFound, account.ReasonHidden},
		{"ResellerClients", resell, "reseller.client.manage", clientOrder, account.Allow, account.ReasonAllowed},
		{"ResellerCannotApproveRefunds", resell, "refund.decide", clientOrder, account.Forbidden, account.ReasonStaffOnly},

		{"SupportReadsAny", support, "account.read_any", owned("alice"), account.Allow, account.ReasonAllowed},
		{"SupportCannotDecide", support, "refund.decide", owned("alice"), account.Forbidden, account.ReasonNotHeld},
		{"LeadDecides", lead, "refund.decide", owned("alice"), account.Allow, account.ReasonAllowed},
		{"LeadInheritsSupport", lead, "ticket.answer", owned("alice"), account.Allow, account.ReasonAllowed},
		{"StaffNoCustomerPerms", support, "order.create", owned("alice"), account.NotFound, account.ReasonHidden},
		{"StaffOwnProfile", support, "profile.manage", support.SelfObject(), account.Allow, account.ReasonAllowed},
		{"UnknownRoleGrantsNothing", noRole, "account.read_any", owned("alice"), account.Forbidden, account.ReasonNotHeld},

		{"SecondApprover", finApprove, "refund.approve_second", account.Object{OwnerAccountID: "alice", FirstApprover: "st-lead"}, account.Allow, account.ReasonAllowed},
		{"SecondApproverNotFirst", finApprove, "refund.approve_second", account.Object{OwnerAccountID: "alice", FirstApprover: "st-finapp"}, account.Forbidden, account.ReasonSeparation},
		{"AppealByOther", appealRev, "appeal.decide", account.Object{OwnerAccountID: "alice", ImposedBy: "st-officer"}, account.Allow, account.ReasonAllowed},
		{"AppealNotByImposer", staff("st-both", account.RoleComplianceOfficer, account.RoleAppealReviewer), "appeal.decide",
			account.Object{OwnerAccountID: "alice", ImposedBy: "st-both"}, account.Forbidden, account.ReasonSeparation},
		{"BanConfirmNotOwnProposal", compLead, "compliance.ban.confirm", account.Object{OwnerAccountID: "alice", PreparedBy: "st-complead"}, account.Forbidden, account.ReasonSeparation},
		{"BanConfirm", compLead, "compliance.ban.confirm", account.Object{OwnerAccountID: "alice", PreparedBy: "st-officer"}, account.Allow, account.ReasonAllowed},
		{"OfficerCannotConfirmBan", officer, "compliance.ban.confirm", account.Object{OwnerAccountID: "alice"}, account.Forbidden, account.ReasonNotHeld},
		{"PublishNotOwnDraft", legal, "agreement.publish", account.Object{PreparedBy: "st-legal"}, account.Forbidden, account.ReasonSeparation},
		{"PublishOthersDraft", legal, "agreement.publish", account.Object{PreparedBy: "st-other"}, account.Allow, account.ReasonAllowed},
		{"AdminNotOwnRoles", admin, "staff.manage", account.Object{OwnerAccountID: "st-admin"}, account.Forbidden, account.ReasonSeparation},
		{"AdminOthersRoles", admin, "staff.manage", account.Object{OwnerAccountID: "st-support"}, account.Allow, account.ReasonAllowed},
		{"AdminNoPII", admin, "pii.unmask", account.Object{OwnerAccountID: "alice", Purpose: "x"}, account.Forbidden, account.ReasonNotHeld},
		{"AdminNoRefunds", admin, "refund.decide", owned("alice"), account.Forbidden, account.ReasonNotHeld},
		{"UnmaskNeedsPurpose", officer, "pii.unmask", account.Object{OwnerAccountID: "alice"}, account.Forbidden, account.ReasonPurposeRequired},
		{"UnmaskWithPurpose", officer, "pii.unmask", account.Object{OwnerAccountID: "alice", Purpose: "kyc_review"}, account.Allow, account.ReasonAllowed},

		{"BannedNoOrder", banned(alice), "order.create", owned("alice"), account.Forbidden, "standing.banned"},
		{"BannedNoPay", banned(alice), "order.pay", owned("alice"), account.Forbidden, "standing.banned"},
		{"BannedNoWithdraw", banned(alice), "wallet.withdraw", owned("alice"), account.Forbidden, "standing.banned"},
		{"BannedMayAppeal", banned(alice), "appeal.file", owned("alice"), account.Allow, account.ReasonAllowed},
		{"BannedMayOpenTickets", banned(alice), "ticket.create", owned("alice"), account.Allow, account.ReasonAllowed},
		{"BannedMayFileRefundRequest", banned(alice), "refund.request", owned("alice"), account.Allow, account.ReasonAllowed},
		{"BannedMayReadOrders", banned(alice), "order.read", owned("alice"), account.Allow, account.ReasonAllowed},
		{"BannedOthersStillHidden", banned(alice), "order.create", owned("bob"), account.NotFound, account.ReasonHidden},
		{"SuspendedNoRenew", withStanding(alice, account.FlagSuspended), "order.renew", owned("alice"), account.Forbidden, "standing.suspended"},
		{"RestrictedMayRenew", withStanding(alice, account.FlagRestricted), "order.renew", owned("alice"), account.Allow, account.ReasonAllowed},
		{"RestrictedNoOrder", withStanding(alice, account.FlagRestricted), "order.create", owned("alice"), account.Forbidden, "standing.restricted"},

		{"KeyInScope", viaKey(alice, "order.read"), "order.read", owned("alice"), account.Allow, account.ReasonAllowed},
		{"KeyOutOfScope", viaKey(alice, "order.read"), "order.create", owned("alice"), account.Forbidden, account.ReasonKeyScope},
		{"KeyCannotExceedOwner", viaKey(subNo, "order.create"), "order.create", owned("ent"), account.Forbidden, account.ReasonScopeMissing},
		{"KeyOthersHidden", viaKey(alice, "order.read"), "order.read", owned("bob"), account.NotFound, account.ReasonHidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := account.Can(tt.p, tt.perm, tt.obj)
			if d.Status != tt.status || d.Reason != tt.reason || d.Allowed != (tt.status == account.Allow) {
				t.Fatalf("Can = {%v %v %q %v}, want %v %q", d.Allowed, d.Status, d.Reason, d.Params, tt.status, tt.reason)
			}
			if err := d.Err(); (err == nil) != d.Allowed {
				t.Fatalf("Err() = %v for %v", err, d.Status)
			}
		})
	}
}

// TestCanNeverRevealsForeignObjects: for every permission in the catalog
// and every non-staff principal, an object that belongs to someone else is
// NotFound, whatever the permission (no IDOR, DESIGN §5).
func TestCanNeverRevealsForeignObjects(t *testing.T) {
	t.Parallel()
	foreign := account.Object{OwnerAccountID: "stranger", OwnerParentID: "other-ent", ResellerID: "other-reseller",
		ImposedBy: "x", FirstApprover: "y", PreparedBy: "z", Purpose: "p"}
	for _, p := range []account.Principal{alice, ent, subNo, subAll, resell, banned(alice), viaKey(alice, "order.read")} {
		for _, s := range account.Catalog() {
			if d := account.Can(p, s.ID, foreign); d.Status != account.NotFound {
				t.Errorf("%s %s on a foreign object: %v %s", p.AccountID, s.ID, d.Status, d.Reason)
			}
		}
	}
}

func TestCanAnonymous(t *testing.T) {
	t.Parallel()
	for _, s := range account.Catalog() {
		if d := account.Can(account.Principal{Kind: account.KindStaff, Roles: []account.Role{account.RoleAdmin}}, s.ID, account.Object{}); d.Status != account.Unauthenticated {
			t.Errorf("%s without an account id: %v", s.ID, d.Status)
		}
	}
}

func TestDecisionErr(t *testing.T) {
	t.Parallel()
	hidden := account.Can(alice, "order.read", owned("bob")).Err()
	var e *errs.Error
	if !asErr(hidden, &e) || e.Kind != errs.NotFound || e.Code != "order.not_found" || e.Params != nil || len(e.Fields) != 0 {
		t.Fatalf("hidden: %#v", hidden)
	}
	untyped := account.Can(alice, "order.read", account.Object{OwnerAccountID: "bob"}).Err()
	if errs.CodeOf(untyped) != "not_found" {
		t.Errorf("untyped hidden code = %q", errs.CodeOf(untyped))
	}
	ban := account.Can(banned(alice), "order.create", owned("alice")).Err()
	if !asErr(ban, &e) || e.Kind != errs.Forbidden || e.Code != "standing.banned" || e.Params["clause"] != "4.2" ||
		e.Params["case_ref"] != "case-1" || e.Params["permission"] != "order.create" {
		t.Errorf("banned: %#v", ban)
	}
	sod := account.Can(appealRev, "appeal.decide", account.Object{OwnerAccountID: "a", ImposedBy: "st-appeal"}).Err()
	if !asErr(sod, &e) || e.Code != account.ReasonSeparation || e.Params["party"] != "imposed_by" || e.Params["clause"] != "6.2" {
		t.Errorf("separation: %#v", sod)
	}
	scope := account.Can(subNo, "refund.request", owned("ent")).Err()
	if !asErr(scope, &e) || e.Code != account.ReasonScopeMissing {
		t.Fatalf("scope: %#v", scope)
	}
	if got, _ := e.Params["scopes"].([]string); len(got) != 1 || got[0] != "may_request_refunds" {
		t.Errorf("scopes param = %v", e.Params["scopes"])
	}
	if errs.KindOf(account.Can(account.Principal{}, "order.read", owned("a")).Err()) != errs.Unauthenticated {
		t.Error("anonymous is not Unauthenticated")
	}
	if (account.Decision{}).Err() == nil || (account.Decision{}).Allowed {
		t.Error("the zero Decision allows")
	}
	if account.Status(99).String() != "forbidden" || account.NotFound.String() != "not_found" {
		t.Error("Status strings")
	}
}

func TestRelate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		p    account.Principal
		o    account.Object
		want account.Relation
	}{
		{alice, owned("alice"), account.RelSelf},
		{alice, owned(""), account.RelNone},
		{subAll, owned("ent"), account.RelTenant},
		{ent, account.Object{OwnerAccountID: "sub-all", OwnerParentID: "ent"}, account.RelManaged},
		{alice, account.Object{OwnerAccountID: "x", OwnerParentID: "alice"}, account.RelNone}, // only enterprises manage
		{resell, account.Object{OwnerAccountID: "c", ResellerID: "resell"}, account.RelClient},
		{alice, account.Object{OwnerAccountID: "c", ResellerID: "alice"}, account.RelNone}, // only resellers have clients
	}
	for _, tt := range tests {
		if got := account.Relate(tt.p, tt.o); got != tt.want {
			t.Errorf("Relate(%s, %+v) = %s, want %s", tt.p.AccountID, tt.o, got, tt.want)
		}
	}
}
