package account_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
)

var update = flag.Bool("update", false, "rewrite testdata/catalog.golden")

func asErr(err error, e **errs.Error) bool { return errors.As(err, e) }

// TestCatalogGolden: permission ids are stored in role grants and API key
// scopes, so none may be renamed or dropped silently; the golden file is
// also the reviewable summary of who may do what. Run with -update after a
// deliberate change and review the diff.
func TestCatalogGolden(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("# permission audience reach distinct action apikey purpose\n")
	for _, s := range account.Catalog() {
		fmt.Fprintf(&b, "%s %s %v %v %q %v %v\n", s.ID, s.Audience, s.Reach, s.Distinct, s.Action, s.APIKey, s.NeedsPurpose)
	}
	b.WriteString("\n# role: permissions (included roles expanded)\n")
	for _, r := range account.Roles() {
		fmt.Fprintf(&b, "%s: %v\n", r.Role, r.Role.Permissions())
	}
	b.WriteString("\n# scope: permissions\n")
	for _, s := range account.Scopes() {
		fmt.Fprintf(&b, "%s: %v\n", s, s.Permissions())
	}
	b.WriteString("\n# kind: base permissions\n")
	for _, k := range account.Kinds() {
		fmt.Fprintf(&b, "%s: %v\n", k, account.KindPermissions(k))
	}
	got := b.String()
	const path = "testdata/catalog.golden"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestCatalogGolden -update)", err)
	}
	if got != string(want) {
		t.Errorf("catalog differs from %s; if deliberate, rerun with -update and review the diff.\n--- got\n%s", path, got)
	}
	// Ids that existed must still exist.
	for _, line := range strings.Split(string(want), "\n") {
		if id, _, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") && !strings.Contains(id, ":") {
			if !account.Permission(id).Valid() {
				t.Errorf("permission %q was removed", id)
			}
		}
	}
}

func TestCatalogIntegrity(t *testing.T) {
	t.Parallel()
	idRE := regexp.MustCompile(`^[a-z][a-z_]*(\.[a-z][a-z_]*)+$`)
	relations := []account.Relation{account.RelSelf, account.RelTenant, account.RelManaged, account.RelClient}
	parties := []account.Party{account.PartyOwner, account.PartyImposedBy, account.PartyFirstApprover, account.PartyPreparedBy}
	heldBySomeone := map[account.Permission]bool{}
	for _, k := range account.Kinds() {
		for _, p := range account.KindPermissions(k) {
			heldBySomeone[p] = true
		}
	}
	for _, r := range account.Roles() {
		for _, p := range r.Role.Permissions() {
			heldBySomeone[p] = true
		}
	}
	for _, s := range account.Catalog() {
		if !idRE.MatchString(string(s.ID)) {
			t.Errorf("%s: id not lower_snake dotted", s.ID)
		}
		if s.Desc == "" {
			t.Errorf("%s: no description", s.ID)
		}
		switch s.Audience {
		case account.AudienceStaff:
			if len(s.Reach) != 0 {
				t.Errorf("%s: a staff permission has a Reach", s.ID)
			}
			if s.APIKey || s.Action != "" {
				t.Errorf("%s: a staff permission on API keys or standing", s.ID)
			}
		case account.AudienceCustomer, account.AudienceAccount:
			if len(s.Reach) == 0 || !slices.Contains(s.Reach, account.RelSelf) {
				t.Errorf("%s: Reach %v lacks self", s.ID, s.Reach)
			}
			for _, r := range s.Reach {
				if !slices.Contains(relations, r) {
					t.Errorf("%s: unknown relation %q", s.ID, r)
				}
			}
		default:
			t.Errorf("%s: unknown audience %q", s.ID, s.Audience)
		}
		for _, p := range s.Distinct {
			if !slices.Contains(parties, p) {
				t.Errorf("%s: unknown party %q", s.ID, p)
			}
		}
		if !heldBySomeone[s.ID] {
			t.Errorf("%s: nobody holds it", s.ID)
		}
		if got, ok := account.Lookup(s.ID); !ok || got.ID != s.ID {
			t.Errorf("Lookup(%s) = %v, %v", s.ID, got, ok)
		}
	}
	if _, ok := account.Lookup("nope.nope"); ok {
		t.Error("Lookup of an unknown id succeeded")
	}
}

func TestGrantTables(t *testing.T) {
	t.Parallel()
	audience := func(p account.Permission) account.Audience {
		s, ok := account.Lookup(p)
		if !ok {
			t.Fatalf("%s is granted but not in the catalog", p)
		}
		return s.Audience
	}
	for _, r := range account.Roles() {
		if len(r.Grants) == 0 || r.Desc == "" {
			t.Errorf("role %s: no grants or no description", r.Role)
		}
		for _, p := range r.Role.Permissions() {
			if audience(p) != account.AudienceStaff {
				t.Errorf("role %s grants customer permission %s", r.Role, p)
			}
		}
	}
	for _, s := range account.Scopes() {
		for _, p := range s.Permissions() {
			spec, _ := account.Lookup(p)
			if spec.Audience != account.AudienceCustomer || !slices.Contains(spec.Reach, account.RelTenant) {
				t.Errorf("scope %s grants %s, which cannot act on the enterprise's objects", s, p)
			}
		}
	}
	for _, k := range account.Kinds() {
		for _, p := range account.KindPermissions(k) {
			a := audience(p)
			if a == account.AudienceStaff {
				t.Errorf("kind %s holds staff permission %s by default", k, p)
			}
			if k == account.KindStaff && a != account.AudienceAccount {
				t.Errorf("staff hold customer permission %s", p)
			}
		}
	}
}

// TestRoleSeparation holds the role table to SEED-REQUIREMENTS §4.
func TestRoleSeparation(t *testing.T) {
	t.Parallel()
	holds := func(r account.Role, p account.Permission) bool { return slices.Contains(r.Permissions(), p) }
	never := []struct {
		role  account.Role
		perms []account.Permission
		why   string
	}{
		{account.RoleAdmin, []account.Permission{"refund.decide", "refund.approve_second", "compliance.measure.impose", "compliance.ban.confirm", "pii.unmask", "appeal.decide", "finance.payout"}, "admin: no refund, ban or PI powers by default"},
		{account.RoleSupport, []account.Permission{"refund.decide", "pii.unmask", "compliance.measure.impose", "compliance.ban.confirm"}, "L1 cannot approve, ban or unmask"},
		{account.RoleAppealReviewer, []account.Permission{"compliance.measure.impose", "compliance.ban.confirm"}, "the appeal reviewer does not impose measures"},
		{account.RoleComplianceOfficer, []account.Permission{"compliance.ban.confirm", "appeal.decide"}, "reviewers propose bans; leads confirm; appeals are someone else's"},
		{account.RoleFinance, []account.Permission{"refund.approve_second", "finance.withdrawal.approve"}, "finance operators never approve"},
		{account.RoleAuditor, []account.Permission{"pii.unmask", "staff.manage", "config.manage"}, "auditors are read-only and masked"},
	}
	for _, n := range never {
		for _, p := range n.perms {
			if holds(n.role, p) {
				t.Errorf("%s holds %s (%s)", n.role, p, n.why)
			}
		}
	}
	if !holds(account.RoleSupportLead, "ticket.answer") || !holds(account.RoleComplianceLead, "pii.unmask") || !holds(account.RoleFinanceApprover, "finance.payout") {
		t.Error("included roles are not expanded")
	}
	if s, _ := account.Lookup("appeal.decide"); !slices.Contains(s.Distinct, account.PartyImposedBy) {
		t.Error("appeal.decide does not exclude the imposing officer (clause 6.2)")
	}
	if s, _ := account.Lookup("refund.approve_second"); !slices.Contains(s.Distinct, account.PartyFirstApprover) {
		t.Error("refund.approve_second does not exclude the first approver")
	}
}

func TestParseScopesAndRoles(t *testing.T) {
	t.Parallel()
	got, err := account.ParseScopes([]string{"may_order", "may_order", "may_view_billing"})
	if err != nil || !slices.Equal(got, []account.Scope{account.ScopeMayOrder, account.ScopeMayViewBilling}) {
		t.Errorf("ParseScopes = %v, %v", got, err)
	}
	_, err = account.ParseScopes([]string{"may_order", "god_mode", "root"})
	var e *errs.Error
	if !asErr(err, &e) || e.Code != account.CodeScopeInvalid || len(e.Fields) != 2 || e.Fields[0].Field != "body.scopes.1" {
		t.Errorf("ParseScopes(bad) = %#v", err)
	}
	roles, err := account.ParseRoles([]string{"admin", "support", "admin"})
	if err != nil || len(roles) != 2 {
		t.Errorf("ParseRoles = %v, %v", roles, err)
	}
	if _, err := account.ParseRoles([]string{"superuser"}); errs.CodeOf(err) != account.CodeRoleInvalid {
		t.Errorf("ParseRoles(bad) = %v", err)
	}
}

func TestPrincipalPermissions(t *testing.T) {
	t.Parallel()
	if got := subNo.Permissions(); !slices.Equal(got, account.KindPermissions(account.KindSubUser)) {
		t.Errorf("scopeless sub-user holds %v", got)
	}
	p := staff("x", account.RoleSupport, account.RoleAuditor)
	got := p.Permissions()
	for _, want := range []account.Permission{"ticket.answer", "audit.export", "profile.manage"} {
		if !slices.Contains(got, want) {
			t.Errorf("support+auditor lacks %s: %v", want, got)
		}
	}
	if !slices.IsSorted(got) {
		t.Error("Permissions not sorted")
	}
}
