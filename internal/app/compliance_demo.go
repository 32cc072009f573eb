package app

import (
	"context"
	"fmt"

	"yuanxu/internal/account"
	"yuanxu/internal/store"
)

// demoRestricted is the demo customer under a compliance measure.
var demoRestricted = demoSpec{kind: account.KindIndividual, email: "restricted@demo.yuanxu.test", phone: "13800000006", name: "王五 (restricted)",
	note: "portal; under a compliance restriction (no new purchases): /measures, and /console/measures for staff"}

// SeedDemoCompliance gives `serve --demo` a measure to look at by hand
// (issue 16): a customer of its own, restricted@demo.yuanxu.test, on whom
// the demo compliance officer raised a finding (spam, clause 4.1),
// reviewed it with one piece of evidence, confirmed it and imposed a
// restriction (no new purchases, clause 4.2), its notice queued. The
// other demo customers are untouched, so that they can still buy. It runs
// after SeedDemo (it needs the demo staff), is idempotent, and returns
// the login it created on this call (none when the customer exists).
// It is separate from SeedDemo so that tests seeding the demo do not
// receive its notice.
func (a *App) SeedDemoCompliance(ctx context.Context) ([]DemoLogin, error) {
	c, err := a.parseContact(demoRestricted.email, "email")
	if err != nil {
		return nil, err
	}
	if _, err := store.AccountByIndex(ctx, a.db, "email", c.Index); err == nil || !store.IsNotFound(err) {
		return nil, err
	}
	officerRow, err := a.demoRow(ctx, string(account.RoleComplianceOfficer)+"@staff.demo.yuanxu.test")
	if err != nil {
		return nil, fmt.Errorf("demo compliance: %w (seed the demo first)", err)
	}
	officer, err := loadRow(ctx, a.db, officerRow)
	if err != nil {
		return nil, err
	}
	pw := demoPassword(demoRestricted)
	hash, err := a.acc().hasher.Hash(ctx, pw)
	if err != nil {
		return nil, err
	}
	aid, err := a.seedAccount(ctx, demoRestricted, c, hash, "", "")
	if err != nil {
		return nil, fmt.Errorf("demo seed %s: %w", demoRestricted.email, err)
	}
	op := officer.principal()
	cs, err := a.RaiseFinding(ctx, op, FindingInput{AccountID: aid, Rule: "spam",
		Detail: "示例：服务器一小时内向 4 万个地址发送营销邮件 / demo: marketing mail to 40 000 addresses in an hour"})
	if err != nil {
		return nil, err
	}
	if _, err := a.ActOnCase(ctx, op, cs.ID, CaseAction{Action: "review"}); err != nil {
		return nil, err
	}
	if _, err := a.AddEvidence(ctx, op, cs.ID, "mail-log.txt", []byte("2026-06-01 03:00 smtp out: 40213 recipients, 0 opt-in records\n"),
		"demo mail log"); err != nil {
		return nil, err
	}
	if _, err := a.ActOnCase(ctx, op, cs.ID, CaseAction{Action: "confirm", Text: "demo: the mail log shows no opt-in"}); err != nil {
		return nil, err
	}
	if _, err := a.ImposeMeasure(ctx, op, cs.ID, MeasureInput{Kind: "restrict",
		Reason: "示例：未经同意的群发邮件 / demo: unsolicited bulk mail"}); err != nil {
		return nil, err
	}
	return []DemoLogin{{Kind: string(demoRestricted.kind), Login: demoRestricted.email, Password: pw, Note: demoRestricted.note}}, nil
}

// demoRow reads a demo account by its email.
func (a *App) demoRow(ctx context.Context, email string) (store.AccountRow, error) {
	c, err := a.parseContact(email, "email")
	if err != nil {
		return store.AccountRow{}, err
	}
	return store.AccountByIndex(ctx, a.db, "email", c.Index)
}
