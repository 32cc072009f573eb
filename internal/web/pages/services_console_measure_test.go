package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// On the console's service page, a service a compliance measure in force
// suspended shows the measure and its case instead of the resume form
// (it runs again when the measure ends, on appeal), in both languages; a
// resume posted anyway is refused with the measure named, and the
// service stays suspended.
func TestConsoleServiceHeldByAMeasure(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	ctx := context.Background()
	c := ccDemoStaff(account.RoleComplianceOfficer)
	officer, _, err := e.s.App.Authenticate(ctx, e.s.SessionFor(t, c.Email, c.Password, true, webtest.UniqueIP()))
	if err != nil {
		t.Fatal(err)
	}
	p, active := e.svcOf(t, "active")
	cs, err := e.s.App.RaiseFinding(ctx, officer, app.FindingInput{AccountID: p.AccountID, ServiceID: active.ID, Rule: "spam", Detail: "40 000 mails an hour"})
	if err != nil {
		t.Fatal(err)
	}
	for _, act := range []app.CaseAction{{Action: "review"}, {Action: "confirm", Text: "the mail log shows it"}} {
		if _, err := e.s.App.ActOnCase(ctx, officer, cs.ID, act); err != nil {
			t.Fatal(err)
		}
	}
	m, err := e.s.App.ImposeMeasure(ctx, officer, cs.ID, app.MeasureInput{Kind: "suspend", ServiceID: active.ID, Reason: "spam, confirmed"})
	if err != nil {
		t.Fatal(err)
	}
	path := "/console/services/" + active.ID
	for _, l := range i18n.Langs {
		cl := e.console(t, c, l)
		_, doc := htmlOf(t, cl, "GET", path, nil, http.StatusOK)
		held := mustID(t, doc, "held-by-measure")
		if held.attrs["data-measure"] != m.ID || !strings.Contains(held.textContent(), cs.ID) || doc.byID("compliance-form") != nil {
			t.Errorf("%s: held note %q (measure %q), resume form shown %v", l, held.textContent(), held.attrs["data-measure"], doc.byID("compliance-form") != nil)
		}
		if l == i18n.EN {
			_, doc = htmlOf(t, cl, "POST", path+"/action", url.Values{"action": {"resume"}, "note": {"by hand"}}, http.StatusConflict)
			if msg := mustID(t, doc, "form-error").textContent(); !strings.Contains(msg, m.ID) || !strings.Contains(msg, "an appeal overturning it") {
				t.Errorf("refused resume %q", msg)
			}
		}
	}
	if got := e.svcNow(t, p, active.ID); got.State != "suspended" {
		t.Fatalf("service after a refused resume: %s", got.State)
	}
}
