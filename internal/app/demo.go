package app

import (
	"context"
	"fmt"

	"yuanxu/internal/account"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// DemoLogin is one seeded demo login, printed once by `serve --demo`.
type DemoLogin struct{ Kind, Role, Login, Password, Note string }

type demoSpec struct {
	kind   account.Kind
	role   account.Role
	email  string
	phone  string
	name   string
	scopes []account.Scope
	owner  string // email of the enterprise, for the sub-user
	// reseller is the email of the reseller that onboarded the customer.
	reseller string
	note     string
}

func demoSpecs() []demoSpec {
	s := []demoSpec{
		{kind: account.KindIndividual, email: "individual@demo.yuanxu.test", phone: "13800000001", name: "张三 (individual)", note: "portal"},
		{kind: account.KindEnterprise, email: "enterprise@demo.yuanxu.test", phone: "13800000002", name: "元序示例科技有限公司", note: "portal; enterprise owner"},
		{kind: account.KindSubUser, email: "subuser@demo.yuanxu.test", phone: "13800000003", name: "李四 (sub-user)", owner: "enterprise@demo.yuanxu.test",
			scopes: []account.Scope{account.ScopeMayOrder, account.ScopeMayManageTickets}, note: "portal; may order and manage tickets, may not request refunds"},
		{kind: account.KindReseller, email: "reseller@demo.yuanxu.test", phone: "13800000004", name: "示例代理商", note: "portal; authorised reseller: /reseller"},
		{kind: account.KindIndividual, email: "client@demo.yuanxu.test", phone: "13800000005", name: "赵六 (reseller's client)", reseller: "reseller@demo.yuanxu.test",
			note: "portal; onboarded by the demo reseller, tickets delegated to it"},
	}
	for _, r := range account.Roles() {
		s = append(s, demoSpec{kind: account.KindStaff, role: r.Role, email: string(r.Role) + "@staff.demo.yuanxu.test",
			name: "demo " + string(r.Role), note: "console; " + r.Desc})
	}
	return s
}

// demoPassword is the fixed, readable password of a demo login. It exists
// only in demo databases (serve --demo).
func demoPassword(s demoSpec) string {
	if s.kind == account.KindStaff {
		return "yuanxu-demo-staff-" + string(s.role)
	}
	return "yuanxu-demo-" + string(s.kind)
}

// SeedDemo creates the demo accounts that do not exist yet: one customer
// of each kind (individual, enterprise owner with a scoped sub-user,
// reseller) and one staff member per role, with fixed readable passwords.
// It is idempotent and returns only the logins it created on this call, so
// that `serve --demo` prints them once. Call it only for --demo.
func (a *App) SeedDemo(ctx context.Context) ([]DemoLogin, error) {
	var out []DemoLogin
	ids := map[string]string{}
	// Demo passwords are published on the console, so the production cost
	// buys nothing here and made `serve --demo` wait seconds per account:
	// they are hashed at the cheap parameters, and the first sign-in
	// rehashes at the configured ones (NeedsRehash).
	demoHasher, err := account.NewHasher(account.TestParams, account.HasherOptions{})
	if err != nil {
		return nil, err
	}
	for _, s := range demoSpecs() {
		c, err := a.parseContact(s.email, "email")
		if err != nil {
			return nil, err
		}
		existing, err := store.AccountByIndex(ctx, a.db, "email", c.Index)
		if err == nil {
			ids[s.email] = existing.ID
			continue
		}
		if !store.IsNotFound(err) {
			return nil, err
		}
		pw := demoPassword(s)
		hash, err := demoHasher.Hash(ctx, pw)
		if err != nil {
			return nil, err
		}
		aid, err := a.seedAccount(ctx, s, c, hash, ids[s.owner], ids[s.reseller])
		if err != nil {
			return nil, fmt.Errorf("demo seed %s: %w", s.email, err)
		}
		ids[s.email] = aid
		out = append(out, DemoLogin{Kind: string(s.kind), Role: string(s.role), Login: s.email, Password: pw, Note: s.note})
	}
	if err := a.seedDemoKYC(ctx, ids); err != nil {
		return nil, err
	}
	if err := a.seedDemoTickets(ctx); err != nil {
		return nil, err
	}
	if err := a.seedDemoAgreement(ctx, ids); err != nil { // agreement_demo.go
		return nil, err
	}
	if err := a.seedDemoCommerce(ctx, ids); err != nil { // catalog_demo.go
		return nil, err
	}
	if err := a.seedDemoResellers(ctx, ids); err != nil { // reseller_demo.go
		return nil, err
	}
	if err := a.seedDemoAnnounce(ctx, ids); err != nil { // announce_demo.go
		return nil, err
	}
	if err := a.seedDemoNetwork(ctx); err != nil { // netdrv_demo.go
		return nil, err
	}
	return out, nil
}

// seedAccount inserts the active account s describes (email c, password
// hash hash, under ownerID and resellerID when set) with its verified
// contacts, roles and scopes, audited as account.demo_seeded, and returns
// its id. Demo and benchmark seeds only: no codes, no agreement screen.
func (a *App) seedAccount(ctx context.Context, s demoSpec, c contact, hash, ownerID, resellerID string) (string, error) {
	var aid string
	err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		aid = id.NewAt(tx.Now)
		row := store.AccountRow{ID: aid, Kind: string(s.kind), State: string(account.StateActive), OwnerID: ownerID, ResellerID: resellerID, DisplayName: s.name,
			EmailIndex: c.Index, EmailMasked: c.Masked, EmailVerifiedAt: tx.Now, PasswordHash: hash, PasswordChangedAt: tx.Now,
			Lang: "zh-CN", AgreementVersion: a.acc().cfg.AgreementVersion, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if s.kind != account.KindStaff {
			row.AgreementAcceptedAt = tx.Now
		}
		var err error
		if s.kind == account.KindReseller {
			row.EnterpriseName = "示例代理商有限公司"
		}
		if s.kind == account.KindEnterprise {
			row.EnterpriseName = s.name
			if row.USCC, err = a.seal("account", "uscc", aid, "91360100MA35XXXXX0"); err != nil {
				return err
			}
		}
		if row.EmailEnc, err = a.seal("account", "email", aid, c.Norm); err != nil {
			return err
		}
		if s.phone != "" {
			p, err := a.parseContact(s.phone, "phone")
			if err != nil {
				return err
			}
			row.PhoneIndex, row.PhoneMasked, row.PhoneVerifiedAt = p.Index, p.Masked, tx.Now
			if row.PhoneEnc, err = a.seal("account", "phone", aid, p.Norm); err != nil {
				return err
			}
		}
		if err := tx.AccountInsert(ctx, row); err != nil {
			return err
		}
		if s.role != "" {
			if err := tx.AccountRolesSet(ctx, aid, []string{string(s.role)}); err != nil {
				return err
			}
		}
		if len(s.scopes) > 0 {
			if err := tx.AccountScopesSet(ctx, aid, scopeStrings(s.scopes)); err != nil {
				return err
			}
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.demo_seeded", SubjectType: "account", SubjectID: aid,
			Data: map[string]any{"kind": s.kind, "role": s.role, "email": c.Masked}})
	})
	return aid, err
}
