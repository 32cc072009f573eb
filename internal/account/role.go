package account

import (
	"fmt"
	"slices"
)

// Role is a staff role (SEED-REQUIREMENTS §4, merged where one person
// usually holds both). A staff account holds any number of roles; its
// permissions are their union.
type Role string

// Staff roles.
const (
	RoleSupport           Role = "support"            // L1 support agent
	RoleSupportLead       Role = "support_lead"       // L2 supervisor: decides refunds within limits
	RoleComplianceOfficer Role = "compliance_officer" // compliance reviewer
	RoleComplianceLead    Role = "compliance_lead"    // confirms and lifts bans, authority requests, blocklist
	RoleAppealReviewer    Role = "appeal_reviewer"
	RoleFinance           Role = "finance"          // finance operator
	RoleFinanceApprover   Role = "finance_approver" // second approvals, frozen balances
	RoleLegal             Role = "legal"            // legal editor and agreement publisher (never of a version they drafted)
	RoleOperations        Role = "operations"       // ops/NOC
	RoleAdmin             Role = "admin"            // platform admin: no refund, ban or PI powers
	RoleAuditor           Role = "auditor"          // read-only, masked
)

// RoleSpec is one role as data: its own grants plus every grant of the
// roles it includes.
type RoleSpec struct {
	Role     Role
	Includes []Role
	Grants   []Permission
	Desc     string
}

var roleTable = []RoleSpec{
	{Role: RoleSupport, Grants: []Permission{"account.read_any", "ticket.answer", "refund.review", "compliance.report", "notify.log.read", "notify.resend"},
		Desc: "reads tickets, orders and usage (masked), answers, prepares refund eligibility, raises violation reports"},
	{Role: RoleSupportLead, Includes: []Role{RoleSupport}, Grants: []Permission{"refund.decide", "ticket.assign", "ticket.canned.manage", "service.operate"},
		Desc: "approves or rejects refunds and swaps within limits, handles SLA escalations"},
	{Role: RoleComplianceOfficer, Grants: []Permission{"account.read_any", "kyc.review", "compliance.report", "compliance.case.read", "compliance.case.review", "compliance.measure.impose", "pii.unmask", "ticket.answer"},
		Desc: "KYC review, violation cases, restrict and suspend, propose bans, unmask with a purpose"},
	{Role: RoleComplianceLead, Includes: []Role{RoleComplianceOfficer}, Grants: []Permission{"compliance.ban.confirm", "compliance.blocklist.manage", "compliance.disclosure.manage"},
		Desc: "confirms and lifts bans, authority requests and the disclosure register, the blocklist"},
	{Role: RoleAppealReviewer, Grants: []Permission{"account.read_any", "compliance.case.read", "appeal.decide"},
		Desc: "decides appeals, restores services, orders term extensions"},
	{Role: RoleFinance, Grants: []Permission{"account.read_any", "finance.payout", "finance.reconcile", "finance.invoice"},
		Desc: "payouts, reconciliation, invoices"},
	{Role: RoleFinanceApprover, Includes: []Role{RoleFinance}, Grants: []Permission{"refund.approve_second", "finance.withdrawal.approve", "finance.balance.manage"},
		Desc: "second approval of large refunds and withdrawals, frozen balances"},
	{Role: RoleLegal, Grants: []Permission{"agreement.draft", "agreement.publish"},
		Desc: "drafts agreement versions and publishes those drafted by someone else"},
	{Role: RoleOperations, Grants: []Permission{"account.read_any", "provisioning.manage", "service.operate", "announce.manage", "notify.log.read", "notify.resend"},
		Desc: "provisioning, delivery failures, maintenance notices, incidents"},
	{Role: RoleAdmin, Grants: []Permission{"staff.manage", "account.disable", "config.manage", "calendar.manage", "calendar.approve", "licence.manage", "catalog.manage", "reseller.authorise", "audit.read", "notify.log.read"},
		Desc: "staff and roles, configuration, holiday import, licences, catalog; no refund, ban or PI powers"},
	{Role: RoleAuditor, Grants: []Permission{"audit.read", "audit.export", "account.read_any"},
		Desc: "read-only and masked; exports for regulators"},
}

// Scope is a delegated scope an enterprise owner grants a sub-user.
type Scope string

// Sub-user scopes.
const (
	ScopeMayOrder          Scope = "may_order"
	ScopeMayManageServices Scope = "may_manage_services"
	ScopeMayRequestRefunds Scope = "may_request_refunds"
	ScopeMayManageTickets  Scope = "may_manage_tickets"
	ScopeMayViewBilling    Scope = "may_view_billing"
	ScopeMayPay            Scope = "may_pay"
)

// scopeTable maps each scope onto the customer permissions it delegates,
// exercised on the enterprise's objects (RelTenant).
var scopeTable = []struct {
	Scope  Scope
	Grants []Permission
}{
	{ScopeMayOrder, []Permission{"order.create", "order.read", "order.pay", "order.cancel", "order.renew", "agreement.accept", "service.read"}},
	{ScopeMayManageServices, []Permission{"service.read", "service.manage", "order.read"}},
	{ScopeMayRequestRefunds, []Permission{"refund.request", "refund.read", "order.read", "service.read"}}, // clause 3.1.c: only if delegated
	{ScopeMayManageTickets, []Permission{"ticket.create", "ticket.manage_own"}},
	{ScopeMayViewBilling, []Permission{"order.read", "wallet.read", "invoice.read", "refund.read"}},
	{ScopeMayPay, []Permission{"order.pay", "wallet.read", "wallet.topup"}},
}

// kindBase is what each kind holds before roles and scopes.
var kindBase = map[Kind][]Permission{
	KindIndividual: individualBase,
	KindEnterprise: append(slices.Clone(individualBase), "subuser.manage"),
	KindReseller:   append(slices.Clone(individualBase), "reseller.client.manage", "reseller.commission.read"),
	KindSubUser:    {"profile.manage", "session.manage_own", "mfa.manage_own", "notification.manage_own", "api_key.manage_own", "pi.request"},
	KindStaff:      {"profile.manage", "session.manage_own", "mfa.manage_own", "notification.manage_own"},
}

var individualBase = []Permission{
	"profile.manage", "session.manage_own", "mfa.manage_own", "notification.manage_own",
	"api_key.manage_own", "pi.request", "account.close", "agreement.accept", "kyc.submit",
	"order.create", "order.read", "order.pay", "order.cancel", "order.renew",
	"service.read", "service.manage", "refund.request", "refund.read",
	"ticket.create", "ticket.manage_own", "appeal.file",
	"wallet.read", "wallet.topup", "wallet.withdraw", "invoice.read", "invoice.request",
}

// Expanded grant sets, built once at package initialisation.
var (
	roleGrants  = expandRoles()
	scopeGrants = func() map[Scope]map[Permission]bool {
		m := map[Scope]map[Permission]bool{}
		for _, s := range scopeTable {
			m[s.Scope] = setOf(s.Grants)
		}
		return m
	}()
	kindGrants = func() map[Kind]map[Permission]bool {
		m := map[Kind]map[Permission]bool{}
		for k, ps := range kindBase {
			m[k] = setOf(ps)
		}
		return m
	}()
)

func setOf(ps []Permission) map[Permission]bool {
	m := make(map[Permission]bool, len(ps))
	for _, p := range ps {
		m[p] = true
	}
	return m
}

func expandRoles() map[Role]map[Permission]bool {
	byRole := map[Role]RoleSpec{}
	for _, r := range roleTable {
		byRole[r.Role] = r
	}
	out := map[Role]map[Permission]bool{}
	var walk func(r Role, seen []Role) map[Permission]bool
	walk = func(r Role, seen []Role) map[Permission]bool {
		if slices.Contains(seen, r) {
			panic(fmt.Sprintf("account: role %q includes itself", r))
		}
		spec, ok := byRole[r]
		if !ok {
			panic(fmt.Sprintf("account: role %q is not in the role table", r))
		}
		m := setOf(spec.Grants)
		for _, inc := range spec.Includes {
			for p := range walk(inc, append(seen, r)) {
				m[p] = true
			}
		}
		return m
	}
	for _, r := range roleTable {
		out[r.Role] = walk(r.Role, nil)
	}
	return out
}

// Roles returns a copy of the role table.
func Roles() []RoleSpec {
	out := make([]RoleSpec, len(roleTable))
	for i, r := range roleTable {
		r.Includes, r.Grants = slices.Clone(r.Includes), slices.Clone(r.Grants)
		out[i] = r
	}
	return out
}

// Valid reports whether r is in the role table.
func (r Role) Valid() bool { _, ok := roleGrants[r]; return ok }

// Permissions returns every permission r grants, included roles' too,
// sorted.
func (r Role) Permissions() []Permission { return sortedKeys(roleGrants[r]) }

// Scopes lists every sub-user scope in table order.
func Scopes() []Scope {
	out := make([]Scope, len(scopeTable))
	for i, s := range scopeTable {
		out[i] = s.Scope
	}
	return out
}

// Valid reports whether s is a sub-user scope.
func (s Scope) Valid() bool { _, ok := scopeGrants[s]; return ok }

// Permissions returns the customer permissions s delegates, sorted.
func (s Scope) Permissions() []Permission { return sortedKeys(scopeGrants[s]) }

// KindPermissions returns what k holds before roles and scopes, sorted.
func KindPermissions(k Kind) []Permission { return sortedKeys(kindGrants[k]) }

func sortedKeys(m map[Permission]bool) []Permission {
	out := make([]Permission, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Holds reports whether p holds perm, before Can looks at any object: by
// its kind, and for a sub-user by a scope, for staff by a role. Unknown
// roles and scopes grant nothing. An API key's scopes are not considered.
func (p Principal) Holds(perm Permission) bool {
	if kindGrants[p.Kind][perm] {
		return true
	}
	switch p.Kind {
	case KindSubUser:
		for _, s := range p.Scopes {
			if scopeGrants[s][perm] {
				return true
			}
		}
	case KindStaff:
		for _, r := range p.Roles {
			if roleGrants[r][perm] {
				return true
			}
		}
	}
	return false
}

// Permissions returns every permission p holds, sorted.
func (p Principal) Permissions() []Permission {
	var out []Permission
	for _, s := range catalog {
		if p.Holds(s.ID) {
			out = append(out, s.ID)
		}
	}
	slices.Sort(out)
	return out
}

// ParseScopes validates scope strings for a sub-user (field body.scopes),
// dropping duplicates. Every unknown scope is reported in one *errs.Error.
func ParseScopes(ss []string) ([]Scope, error) {
	var fe fieldErrors
	var out []Scope
	for i, s := range ss {
		sc := Scope(s)
		if !sc.Valid() {
			fe.add(fmt.Sprintf("body.scopes.%d", i), "one_of", map[string]any{"allowed": scopeStrings()})
			continue
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	if err := fe.err(CodeScopeInvalid, "unknown sub-user scope"); err != nil {
		return nil, err
	}
	return out, nil
}

func scopeStrings() []string {
	out := make([]string, len(scopeTable))
	for i, s := range scopeTable {
		out[i] = string(s.Scope)
	}
	return out
}

// ParseRoles validates role strings for a staff account (field body.roles),
// dropping duplicates.
func ParseRoles(ss []string) ([]Role, error) {
	var fe fieldErrors
	var out []Role
	allowed := make([]string, len(roleTable))
	for i, r := range roleTable {
		allowed[i] = string(r.Role)
	}
	for i, s := range ss {
		r := Role(s)
		if !r.Valid() {
			fe.add(fmt.Sprintf("body.roles.%d", i), "one_of", map[string]any{"allowed": allowed})
			continue
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	if err := fe.err(CodeRoleInvalid, "unknown staff role"); err != nil {
		return nil, err
	}
	return out, nil
}
