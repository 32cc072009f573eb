package account

import (
	"fmt"
	"slices"
)

// Permission is a stable permission id ("order.create"). Ids are stored in
// role grants and API key scopes and are never renamed; a retired id stays
// in the catalog with no grants.
type Permission string

// Audience says who can ever hold a permission.
type Audience string

// Audiences.
const (
	// AudienceAccount: every kind, on its own account (profile, sessions,
	// two-factor, notification preferences).
	AudienceAccount Audience = "account"
	// AudienceCustomer: customer kinds, on objects within their Reach.
	AudienceCustomer Audience = "customer"
	// AudienceStaff: staff through roles, on any customer's objects,
	// subject to separation of duties.
	AudienceStaff Audience = "staff"
)

// Relation is how a principal stands to an object's owner.
type Relation string

// Relations, computed by Can from the Principal and the Object.
const (
	RelNone    Relation = "none"    // someone else's: the object's existence is hidden
	RelSelf    Relation = "self"    // the principal owns it
	RelTenant  Relation = "tenant"  // a sub-user, on its enterprise's object
	RelManaged Relation = "managed" // an enterprise owner, on one of its sub-users' objects
	RelClient  Relation = "client"  // a reseller, on an object of a customer it onboarded
)

// Party names a person recorded on an object, for separation of duties.
type Party string

// Parties a permission can require the principal to differ from.
const (
	PartyOwner         Party = "owner"          // Object.OwnerAccountID: nobody changes their own staff account's roles
	PartyImposedBy     Party = "imposed_by"     // Object.ImposedBy: the officer who imposed a measure
	PartyFirstApprover Party = "first_approver" // Object.FirstApprover: the first of two approvers
	PartyPreparedBy    Party = "prepared_by"    // Object.PreparedBy: who drafted, proposed or prepared what is being approved
)

// Spec is the data of one permission. Can reads nothing else.
type Spec struct {
	ID       Permission
	Audience Audience
	// Reach lists the relations a customer or account permission works
	// across; staff permissions ignore it (staff act on any customer's
	// objects).
	Reach []Relation
	// Distinct lists the parties the principal must not be: separation of
	// duties as data ("not the officer who imposed this measure").
	Distinct []Party
	// NeedsPurpose: the Object must carry a purpose code (which the app
	// logs), e.g. for unmasking personal information.
	NeedsPurpose bool
	// Action, if set, is the standing action the permission exercises: a
	// principal whose standing blocks it is refused (Standing.Check).
	Action Action
	// APIKey: the permission may be granted to an API key.
	APIKey bool
	// Clauses cites the agreement clauses (or "PIPL 44" and the like) that
	// the permission or its separation of duties implements.
	Clauses []string
	Desc    string
}

var (
	self      = []Relation{RelSelf}
	selfMgd   = []Relation{RelSelf, RelManaged}
	tenant    = []Relation{RelSelf, RelTenant}
	tenantMgd = []Relation{RelSelf, RelTenant, RelManaged}
	withCli   = []Relation{RelSelf, RelTenant, RelClient}
	selfCli   = []Relation{RelSelf, RelClient}
	// A reseller reaches a client's tickets only where the client
	// delegated them (the app checks the delegation; clause 3.1.c).
	tenantMgdCli = []Relation{RelSelf, RelTenant, RelManaged, RelClient}
)

// catalog is every permission. Add rows; never rename or reuse an id.
var catalog = []Spec{
	// Own account (every kind).
	{ID: "profile.manage", Audience: AudienceAccount, Reach: self, Clauses: []string{"5"}, Desc: "view and update one's own profile, email and phone (after re-authentication)"},
	{ID: "session.manage_own", Audience: AudienceAccount, Reach: selfMgd, Desc: "list and end one's sessions; an enterprise owner those of its sub-users"},
	{ID: "mfa.manage_own", Audience: AudienceAccount, Reach: self, Clauses: []string{"5"}, Desc: "set up or remove two-factor authentication and recovery codes"},
	{ID: "notification.manage_own", Audience: AudienceAccount, Reach: self, APIKey: true, Desc: "read the inbox and set notification preferences"},

	// Customers.
	{ID: "api_key.manage_own", Audience: AudienceCustomer, Reach: selfMgd, Desc: "create, list and revoke one's API keys; an enterprise owner those of its sub-users"},
	{ID: "pi.request", Audience: AudienceCustomer, Reach: self, Clauses: []string{"6.2"}, Desc: "request access to, a copy, correction or deletion of one's personal information (PIPL 44-47)"},
	{ID: "account.close", Audience: AudienceCustomer, Reach: self, Desc: "close one's account"},
	{ID: "agreement.accept", Audience: AudienceCustomer, Reach: withCli, APIKey: true, Clauses: []string{"1", "9.4"}, Desc: "accept an agreement version, clause by clause"},
	{ID: "kyc.submit", Audience: AudienceCustomer, Reach: self, Clauses: []string{"2.1"}, Desc: "submit real-name (individual or enterprise) verification"},
	{ID: "order.create", Audience: AudienceCustomer, Reach: withCli, Action: ActionOrder, APIKey: true, Clauses: []string{"2.1"}, Desc: "place an order (a reseller: for a customer it onboarded)"},
	{ID: "order.read", Audience: AudienceCustomer, Reach: withCli, APIKey: true, Desc: "read orders"},
	{ID: "order.pay", Audience: AudienceCustomer, Reach: withCli, Action: ActionOrder, APIKey: true, Clauses: []string{"2.2"}, Desc: "pay an order"},
	{ID: "order.cancel", Audience: AudienceCustomer, Reach: withCli, APIKey: true, Clauses: []string{"2.2"}, Desc: "cancel an unpaid order, or a paid one whose delivery deadline passed"},
	{ID: "order.renew", Audience: AudienceCustomer, Reach: withCli, Action: ActionRenew, APIKey: true, Desc: "renew or upgrade a service"},
	{ID: "service.read", Audience: AudienceCustomer, Reach: withCli, APIKey: true, Desc: "read services, their credentials and usage"},
	{ID: "service.manage", Audience: AudienceCustomer, Reach: tenant, Action: ActionServiceManage, APIKey: true, Desc: "operate a service: reboot, reinstall, console, settings"},
	{ID: "refund.request", Audience: AudienceCustomer, Reach: tenant, APIKey: true, Clauses: []string{"3.1.c"}, Desc: "file a refund or swap request and choose its destination"},
	{ID: "refund.read", Audience: AudienceCustomer, Reach: tenant, APIKey: true, Desc: "read refund requests and their decisions"},
	{ID: "ticket.create", Audience: AudienceCustomer, Reach: tenant, APIKey: true, Clauses: []string{"5"}, Desc: "open a ticket (consult, complaint, suggestion, defect, PI request)"},
	{ID: "ticket.manage_own", Audience: AudienceCustomer, Reach: tenantMgdCli, APIKey: true, Clauses: []string{"5", "3.1.c"}, Desc: "read, reply to and close tickets (a reseller: those its client delegated)"},
	{ID: "appeal.file", Audience: AudienceCustomer, Reach: self, Clauses: []string{"6.2"}, Desc: "appeal a measure taken against one's account"},
	{ID: "wallet.read", Audience: AudienceCustomer, Reach: tenant, APIKey: true, Desc: "read balances and the ledger"},
	{ID: "wallet.topup", Audience: AudienceCustomer, Reach: tenant, Action: ActionTopUp, Desc: "top up the balance"},
	{ID: "wallet.withdraw", Audience: AudienceCustomer, Reach: self, Action: ActionWithdraw, Clauses: []string{"4.3"}, Desc: "withdraw cash (never refund credit) to its original route"},
	{ID: "invoice.read", Audience: AudienceCustomer, Reach: tenant, APIKey: true, Desc: "read invoices"},
	{ID: "invoice.request", Audience: AudienceCustomer, Reach: tenant, Desc: "request an invoice (fapiao)"},
	{ID: "subuser.manage", Audience: AudienceCustomer, Reach: selfMgd, Desc: "create, scope, disable and remove the enterprise's sub-users"},
	{ID: "reseller.client.manage", Audience: AudienceCustomer, Reach: selfCli, APIKey: true, Clauses: []string{"2.1"}, Desc: "onboard customers (the platform verifies their KYC) and read them, minimal PI"},
	{ID: "reseller.commission.read", Audience: AudienceCustomer, Reach: self, APIKey: true, Desc: "read one's commission"},

	// Staff.
	{ID: "account.read_any", Audience: AudienceStaff, Desc: "search and read any customer's account, orders, services and usage, masked"},
	{ID: "account.disable", Audience: AudienceStaff, Distinct: []Party{PartyOwner}, Desc: "disable or re-enable an account (not one's own)"},
	{ID: "ticket.answer", Audience: AudienceStaff, Clauses: []string{"5"}, Desc: "read any ticket and answer it"},
	{ID: "ticket.assign", Audience: AudienceStaff, Clauses: []string{"5"}, Desc: "assign a ticket, move it between departments, change its priority"},
	{ID: "ticket.canned.manage", Audience: AudienceStaff, Desc: "write the canned replies staff insert into answers"},
	{ID: "refund.review", Audience: AudienceStaff, Clauses: []string{"3.1"}, Desc: "review a refund request and prepare its eligibility"},
	{ID: "refund.decide", Audience: AudienceStaff, Clauses: []string{"3.1"}, Desc: "approve or reject a refund or swap within the dual-control limit"},
	{ID: "refund.approve_second", Audience: AudienceStaff, Distinct: []Party{PartyFirstApprover}, Desc: "second approval of a refund above refund.dual_control_fen (not the first approver)"},
	{ID: "compliance.report", Audience: AudienceStaff, Clauses: []string{"4.2"}, Desc: "raise a violation report"},
	{ID: "compliance.case.read", Audience: AudienceStaff, Clauses: []string{"4.2"}, Desc: "read violation cases and evidence"},
	{ID: "compliance.case.review", Audience: AudienceStaff, Clauses: []string{"4.2"}, Desc: "review violation cases, manage evidence, confirm or dismiss"},
	{ID: "compliance.measure.impose", Audience: AudienceStaff, Distinct: []Party{PartyOwner}, Clauses: []string{"4.2", "6.1"}, Desc: "restrict or suspend an account or one of its services; propose a ban"},
	{ID: "compliance.ban.confirm", Audience: AudienceStaff, Distinct: []Party{PartyPreparedBy, PartyOwner}, Clauses: []string{"4.2", "6.2"}, Desc: "confirm or lift a ban (not one's own proposal)"},
	{ID: "compliance.blocklist.manage", Audience: AudienceStaff, Desc: "manage the re-registration blocklist (ATFL 22)"},
	{ID: "compliance.disclosure.manage", Audience: AudienceStaff, Clauses: []string{"6.2"}, Desc: "handle authority requests and the disclosure register"},
	{ID: "appeal.decide", Audience: AudienceStaff, Distinct: []Party{PartyImposedBy}, Clauses: []string{"6.2"}, Desc: "decide an appeal (never the officer who imposed the measure), restore services, extend terms"},
	{ID: "kyc.review", Audience: AudienceStaff, Clauses: []string{"2.1"}, Desc: "review real-name verification"},
	{ID: "pii.unmask", Audience: AudienceStaff, NeedsPurpose: true, Clauses: []string{"6.2"}, Desc: "see personal information unmasked, with a logged purpose code"},
	{ID: "finance.payout", Audience: AudienceStaff, Clauses: []string{"6.2"}, Desc: "execute refund payouts and withdrawals"},
	{ID: "finance.reconcile", Audience: AudienceStaff, Desc: "reconcile the ledger with gateways"},
	{ID: "finance.invoice", Audience: AudienceStaff, Desc: "issue invoices"},
	{ID: "finance.withdrawal.approve", Audience: AudienceStaff, Distinct: []Party{PartyPreparedBy, PartyFirstApprover}, Desc: "approve a withdrawal (not one prepared by oneself; a second approval above refund.dual_control_fen not by the first approver)"},
	{ID: "finance.balance.manage", Audience: AudienceStaff, Clauses: []string{"3.2.4", "4.3"}, Desc: "handle frozen balances and the pay-back when an account ends"},
	{ID: "agreement.draft", Audience: AudienceStaff, Clauses: []string{"9.4"}, Desc: "draft agreement versions, tag key clauses, mark clauses void, run the linter"},
	{ID: "agreement.publish", Audience: AudienceStaff, Distinct: []Party{PartyPreparedBy}, Clauses: []string{"9.4"}, Desc: "schedule a version and send revision notices (not the drafter of that version)"},
	{ID: "announce.manage", Audience: AudienceStaff, Clauses: []string{"6.2", "7.3"}, Desc: "announcements, maintenance windows, incidents with cause tags"},
	{ID: "service.operate", Audience: AudienceStaff, Clauses: []string{"6.1"}, Desc: "extend a customer's service term (goodwill, outage) and switch its automatic renewal on the customer's behalf"},
	{ID: "provisioning.manage", Audience: AudienceStaff, Clauses: []string{"2.2"}, Desc: "provisioning, delivery failures and retries"},
	{ID: "catalog.manage", Audience: AudienceStaff, Desc: "products, plans, prices, delivery SLAs"},
	{ID: "staff.manage", Audience: AudienceStaff, Distinct: []Party{PartyOwner}, Desc: "create staff accounts and assign roles (never one's own)"},
	{ID: "config.manage", Audience: AudienceStaff, Desc: "configuration values"},
	{ID: "calendar.manage", Audience: AudienceStaff, Desc: "import and override holiday data"},
	{ID: "calendar.approve", Audience: AudienceStaff, Distinct: []Party{PartyPreparedBy}, Desc: "approve a holiday import (dual control: not the importer)"},
	{ID: "licence.manage", Audience: AudienceStaff, Clauses: []string{"1"}, Desc: "the IDC licence register"},
	{ID: "reseller.authorise", Audience: AudienceStaff, Clauses: []string{"2.1"}, Desc: "authorise a reseller, with scope and expiry"},
	{ID: "audit.read", Audience: AudienceStaff, Desc: "read the audit log"},
	{ID: "audit.export", Audience: AudienceStaff, Desc: "export audit data for regulators"},
	{ID: "notify.log.read", Audience: AudienceStaff, Desc: "read the notification delivery log and the sandbox SMS outbox"},
	{ID: "notify.resend", Audience: AudienceStaff, Desc: "resend a notification"},
}

var catalogIndex = func() map[Permission]*Spec {
	m := make(map[Permission]*Spec, len(catalog))
	for i := range catalog {
		s := &catalog[i]
		if _, dup := m[s.ID]; dup {
			panic(fmt.Sprintf("account: permission %q listed twice", s.ID))
		}
		m[s.ID] = s
	}
	return m
}()

// Catalog returns a copy of every permission's Spec, in catalog order.
func Catalog() []Spec {
	out := make([]Spec, len(catalog))
	for i, s := range catalog {
		out[i] = s.clone()
	}
	return out
}

// Lookup returns the Spec of p.
func Lookup(p Permission) (Spec, bool) {
	s, ok := catalogIndex[p]
	if !ok {
		return Spec{}, false
	}
	return s.clone(), true
}

// Valid reports whether p is in the catalog.
func (p Permission) Valid() bool { _, ok := catalogIndex[p]; return ok }

func (s Spec) clone() Spec {
	s.Reach = slices.Clone(s.Reach)
	s.Distinct = slices.Clone(s.Distinct)
	s.Clauses = slices.Clone(s.Clauses)
	return s
}
