package pages_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// A ban made final by an upheld appeal while an authority order holds the
// account: the console's measures page shows the account ended and the
// order holding its pay-back (issue 16 item 5).
func TestConsoleMeasuresShowsEndedAccountAndHeldPayback(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	staff := func(role account.Role) account.Principal {
		c := ccDemoStaff(role)
		p, _, err := e.s.App.Authenticate(e.ctx, e.s.SessionFor(t, c.Email, c.Password, true, webtest.UniqueIP()))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	officer, lead, reviewer := staff(account.RoleComplianceOfficer), staff(account.RoleComplianceLead), staff(account.RoleAppealReviewer)
	cust := principalOf(t, e.s, demoIndividual)
	ctx := context.Background()
	c, err := e.s.App.RaiseFinding(ctx, officer, app.FindingInput{AccountID: cust.AccountID, Rule: "fraud", Detail: "phishing pages"})
	if err != nil {
		t.Fatal(err)
	}
	for _, act := range []app.CaseAction{{Action: "review"}, {Action: "confirm", Text: "the pages imitate a bank"}} {
		if _, err := e.s.App.ActOnCase(ctx, officer, c.ID, act); err != nil {
			t.Fatal(err)
		}
	}
	m, err := e.s.App.ImposeMeasure(ctx, lead, c.ID, app.MeasureInput{Kind: "ban", Reason: "phishing"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.App.PlaceHold(ctx, lead, app.HoldInput{LegalDocInput: app.LegalDocInput{Authority: "北京市公安局海淀分局", DocType: "assist_notice",
		DocNumber: "京公（海）协冻字〔2026〕88号"}, AccountID: cust.AccountID, Reason: "fraud investigation"}); err != nil {
		t.Fatal(err)
	}
	ap, err := e.s.App.FileAppeal(ctx, cust, app.AppealInput{MeasureID: m.ID, Statement: "a bank's own security test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []app.AppealDecision{{Action: "review"}, {Action: "uphold", Text: "no authorisation from the bank"}} {
		if _, err := e.s.App.DecideAppeal(ctx, reviewer, ap.ID, d); err != nil {
			t.Fatal(err)
		}
	}
	b := e.console(t, ccDemoStaff(account.RoleComplianceLead), i18n.EN)
	_, doc := htmlOf(t, b, "GET", "/console/measures", nil, http.StatusOK)
	var row *node
	for _, n := range doc.all(func(n *node) bool { return n.attrs["data-measure"] == m.ID }) {
		row = n
	}
	if row == nil {
		t.Fatalf("the ban is not listed: %s", doc.textContent())
	}
	text := row.textContent()
	if !strings.Contains(text, "the account has ended") || !strings.Contains(text, "Pay-back held by an authority order") || !strings.Contains(text, "协冻字〔2026〕88号") {
		t.Fatalf("the row does not show the end and the hold: %s", text)
	}
}
