package app

import (
	"context"
	"strings"

	"yuanxu/internal/account"
	"yuanxu/internal/agreement"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// DemoDrafter is who prepared the demo revision: no account, so that the
// demo legal staff member (legal@staff.demo.yuanxu.test) may sign it off.
const DemoDrafter = "demo-drafter"

// seedDemoAgreement gives a demo database what the agreement pages need to
// be tried (serve --demo): an acceptance record for each demo customer of
// the version in force, and a draft of a material revision (a 48-hour
// refund window instead of 24) waiting for the demo legal staff member to
// lint, sign off and schedule. Idempotent.
func (a *App) seedDemoAgreement(ctx context.Context, ids map[string]string) error {
	for email, accountID := range ids {
		if strings.Contains(email, "@staff.") {
			continue
		}
		l, err := loadAccount(ctx, a.db, accountID)
		if err != nil || l.row.Kind == string(account.KindStaff) || l.row.Kind == string(account.KindSubUser) {
			continue
		}
		rs, err := store.Acceptances(ctx, a.db, store.AcceptanceFilter{AccountID: accountID, Limit: 1})
		if err != nil {
			return err
		}
		if len(rs) > 0 {
			continue
		}
		demoCtx := WithActor(ctx, Actor{ID: "system", ClientIP: "127.0.0.1"})
		in := AcceptInput{Acknowledged: a.keyClausesInForce(ctx), UserAgent: "demo seed"}
		if l.row.ResellerID != "" {
			in.Channel, in.ResellerID = agreement.ChannelResellerInvitation, l.row.ResellerID
		}
		row, err := a.prepareAcceptance(demoCtx, a.db, accountID, in, store.OccasionRegistration)
		if err != nil {
			return err
		}
		if err := a.db.InTx(demoCtx, func(ctx context.Context, tx *store.Tx) error {
			_, err := a.insertAcceptance(ctx, tx, row)
			return err
		}); err != nil {
			return err
		}
	}
	vs, err := store.AgreementVersions(ctx, a.db, store.AgreementVersionFilter{})
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.Origin == store.AgreementOriginStaff {
			return nil
		}
	}
	src := strings.Replace(string(agreement.DefaultSource()), "refund.window = 24h", "refund.window = 48h", 1)
	doc, err := agreement.Parse("demo revision", []byte(src))
	if err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		r := store.AgreementVersionRow{ID: id.NewAt(tx.Now), Origin: store.AgreementOriginStaff, Title: doc.Title, Source: src, SHA256: doc.SHA256,
			State: string(agreement.StateDraft), Note: "演示：无理由退款时限由 24 小时延长至 48 小时（重大修订）/ Demo: the no-fault refund window grows from 24 to 48 hours (material)",
			PreparedBy: DemoDrafter, CreatedAt: tx.Now, UpdatedAt: tx.Now}
		if _, err := tx.AgreementVersionInsert(ctx, r); err != nil {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "agreement.drafted", SubjectType: "agreement_version", SubjectID: r.ID,
			Data: map[string]any{"sha256": r.SHA256, "demo": true}})
	})
}

// keyClausesInForce returns the key clauses of the version in force (the
// embedded default's when it cannot be read).
func (a *App) keyClausesInForce(ctx context.Context) []string {
	if v, err := a.AgreementCurrent(ctx); err == nil {
		return KeyClauseIDs(v)
	}
	return DefaultKeyClauses()
}
