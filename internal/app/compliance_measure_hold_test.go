package app_test

import (
	"context"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
)

// TestMeasureHoldsWhatItImposed (clauses 4.2, 6.2): what a compliance
// measure put in force — the account's standing flag, the services it
// suspended — is not ended by hand through the older staff routes (lift a
// standing flag, resume a service): each answers *.held_by_measure with
// the measure and its case, and nothing changes. The measure ends as a
// whole when an appeal overturns it. A flag or a suspension a member of
// staff set by hand, outside any measure, is still lifted by hand.
func TestMeasureHoldsWhatItImposed(t *testing.T) {
	t.Parallel()
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 20000)
	s.paidOrder(t, p, "cs-nc-bw", "s1", "month")
	svcs, err := s.a.Services(ctx, p, app.ServiceListFilter{})
	if err != nil || len(svcs) != 1 || svcs[0].State != "active" {
		t.Fatalf("services = %+v, %v", svcs, err)
	}
	svc := svcs[0].ID
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	lead := s.staff(t, nil, "lead", account.RoleComplianceLead)
	reviewer := s.staff(t, nil, "reviewer", account.RoleAppealReviewer)
	caseID := s.confirmedCase(t, officer, r.view.ID, "")
	m, err := s.a.ImposeMeasure(ctx, officer, caseID, app.MeasureInput{Kind: "suspend", Reason: "spam, confirmed"})
	if err != nil || m.State != "in_force" || len(m.Services) != 1 {
		t.Fatalf("measure = %+v, %v", m, err)
	}

	held := func(err error, code string) {
		t.Helper()
		wantCode(t, err, code)
		wantKind(t, err, errs.Conflict)
		var e *errs.Error
		if !errorsAs(err, &e) || e.Params["measure"] != m.ID || e.Params["case"] != caseID {
			t.Fatalf("params %+v, want the measure %s and its case %s", e, m.ID, caseID)
		}
	}
	held(s.a.StandingLift(ctx, lead, r.view.ID, account.FlagSuspended, "lifting it by hand"), "standing.held_by_measure")
	_, err = s.a.StaffServiceAct(ctx, officer, svc, app.StaffServiceAction{Action: "resume", Reason: "compliance", Note: "by hand"})
	held(err, "service.held_by_measure")
	if st, _ := s.a.StandingOf(ctx, r.view.ID); st.Suspended == nil {
		t.Fatal("the measure's suspension flag was lifted by hand")
	}
	if sv, _ := s.a.Service(ctx, p, svc); sv.State != "suspended" {
		t.Fatalf("service after the refused resume = %+v", sv)
	}

	// A restriction set by hand, outside any measure, is lifted by hand.
	if err := s.a.StandingSet(ctx, officer, r.view.ID, account.Measure{Flag: account.FlagRestricted, Reason: "chargeback under review"}); err != nil {
		t.Fatal(err)
	}
	if err := s.a.StandingLift(ctx, officer, r.view.ID, account.FlagRestricted, "chargeback withdrawn"); err != nil {
		t.Fatalf("lifting a flag set by hand: %v", err)
	}

	// The appeal overturns the measure: the flag and the suspension end together.
	ap, err := s.a.FileAppeal(ctx, p, app.AppealInput{MeasureID: m.ID, Statement: "the mails were a newsletter with opt-in"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: "review"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.a.DecideAppeal(ctx, reviewer, ap.ID, app.AppealDecision{Action: "overturn", Text: "opt-in shown"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.a.StandingOf(ctx, r.view.ID); st.Suspended != nil || st.Restricted != nil {
		t.Fatalf("standing after the overturn = %+v", st)
	}
	if sv, _ := s.a.Service(ctx, p, svc); sv.State != "active" {
		t.Fatalf("service after the overturn = %+v", sv)
	}

	// A suspension by hand, with no measure behind it, is resumed by hand.
	if _, err := s.a.StaffServiceAct(ctx, officer, svc, app.StaffServiceAction{Action: "suspend", Reason: "compliance", Note: "authority phone call"}); err != nil {
		t.Fatal(err)
	}
	if sv, err := s.a.StaffServiceAct(ctx, officer, svc, app.StaffServiceAction{Action: "resume", Reason: "compliance", Note: "call withdrawn"}); err != nil ||
		sv.State != "active" {
		t.Fatalf("resuming a suspension by hand = %+v, %v", sv, err)
	}
}
