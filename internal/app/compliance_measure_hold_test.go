package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/compliance"
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
	overturnOnAppeal(t, s.a, p, reviewer, m.ID)
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

// An emergency suspension the detector imposed can be released by staff
// before anyone confirms it (a false positive): the resume ends the
// measure as if it had lapsed, ended by that member of staff, and the
// service runs again. Once confirmed it is an ordinary measure and ends on
// appeal only.
func TestStaffReleasesAnUnconfirmedEmergencyMeasure(t *testing.T) {
	t.Parallel()
	const gib = uint64(1) << 30
	for _, confirmed := range []bool{false, true} {
		t.Run(map[bool]string{false: "unconfirmed", true: "confirmed"}[confirmed], func(t *testing.T) {
			t.Parallel()
			s := newCommerceApp(t)
			ctx := context.Background()
			r, p := s.buyer(t, 100000)
			sv := s.buyService(t, p, "cs-nc-bw", "s1")
			s.surge(t, sv.ID, 200*gib)
			officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
			ms, err := s.a.ComplianceMeasures(ctx, officer, r.view.ID, nil)
			if err != nil || len(ms) != 1 || !ms[0].Emergency {
				t.Fatalf("measures %+v, %v", ms, err)
			}
			if confirmed {
				if _, err := s.a.ConfirmEmergency(ctx, officer, ms[0].ID); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.a.StaffServiceAct(ctx, officer, sv.ID, app.StaffServiceAction{Action: "resume", Reason: "compliance", Note: "a backup job, not an attack"})
			m, _ := s.a.ComplianceMeasure(ctx, officer, ms[0].ID)
			if confirmed {
				wantCode(t, err, "service.held_by_measure")
				if m.State != string(compliance.MeasureInForce) {
					t.Fatalf("confirmed measure after a refused resume: %+v", m)
				}
				return
			}
			if err != nil || got.State != "active" || m.State != string(compliance.MeasureLapsed) || !strings.Contains(m.EndReason, "released by staff") {
				t.Fatalf("release: service %+v, measure %+v, %v", got, m, err)
			}
		})
	}
}

// A ban imposed over an emergency suspension keeps that service
// suspended when the emergency measure lapses — the ban takes it over —
// and refuses to let staff resume it by hand; overturning the ban resumes
// every service, the one taken over included.
func TestBanKeepsAServiceAnEarlierMeasureSuspended(t *testing.T) {
	t.Parallel()
	const gib = uint64(1) << 30
	s := newCommerceApp(t)
	ctx := context.Background()
	r, p := s.buyer(t, 100000)
	sv := s.buyService(t, p, "cs-nc-bw", "s1")
	other := s.buyService(t, p, "cs-nc-bw", "s1")
	s.surge(t, sv.ID, 200*gib)
	officer := s.staff(t, nil, "officer", account.RoleComplianceOfficer)
	lead := s.staff(t, nil, "lead", account.RoleComplianceLead)
	reviewer := s.staff(t, nil, "reviewer", account.RoleAppealReviewer)
	ban, err := s.a.ImposeMeasure(ctx, lead, s.confirmedCase(t, officer, r.view.ID, ""), app.MeasureInput{Kind: "ban", Reason: "fraud, confirmed"})
	if err != nil || len(ban.Services) != 1 || ban.Services[0] != other.ID {
		t.Fatalf("ban = %+v, %v; want it to suspend only the service not suspended yet", ban, err)
	}
	_, err = s.a.StaffServiceAct(ctx, officer, sv.ID, app.StaffServiceAction{Action: "resume", Reason: "compliance", Note: "by hand"})
	wantCode(t, err, "service.held_by_measure")

	s.clock.Advance(25 * time.Hour) // the emergency measure lapses
	if err := s.a.RunSweeps(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.a.Service(ctx, p, sv.ID); got.State != "suspended" {
		t.Fatalf("service after the emergency measure lapsed under the ban: %s", got.State)
	}
	if b, _ := s.a.ComplianceMeasure(ctx, officer, ban.ID); len(b.Services) != 2 {
		t.Fatalf("the ban's services after the lapse: %v, want both", b.Services)
	}

	overturnOnAppeal(t, s.a, p, reviewer, ban.ID)
	for _, id := range []string{sv.ID, other.ID} {
		if got, _ := s.a.Service(ctx, p, id); got.State != "active" {
			t.Fatalf("service %s after the overturn: %s", id, got.State)
		}
	}
}

// overturnOnAppeal has the customer appeal the measure and the reviewer
// take the appeal and overturn it.
func overturnOnAppeal(t *testing.T, a *app.App, customer, reviewer account.Principal, measureID string) {
	t.Helper()
	ctx := context.Background()
	ap, err := a.FileAppeal(ctx, customer, app.AppealInput{MeasureID: measureID, Statement: "it was not what it looked like"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []app.AppealDecision{{Action: "review"}, {Action: "overturn", Text: "shown to be legitimate"}} {
		if _, err := a.DecideAppeal(ctx, reviewer, ap.ID, d); err != nil {
			t.Fatal(err)
		}
	}
}
