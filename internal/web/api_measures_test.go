package web_test

import (
	"net/http"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// Measures and appeals through the API, in both languages: a ban on a
// confirmed case (compliance.ban.confirm only), the customer's view of it
// and its appeal with an attachment, the separation of duties (403
// compliance.separation_of_duties for the officer who imposed it, whatever
// roles they hold), another customer's 404, and the overturn by a second
// reviewer that restores the services and the balance.
func TestMeasureAppealOverturnByAPI(t *testing.T) {
	t.Parallel()
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			s := newCommerceServer(t)
			cust, info := verifiedCustomer(t, s, l)
			officer := staffIn(t, s, account.RoleComplianceOfficer, l)
			both := s.NewStaff(t, account.RoleComplianceLead, account.RoleAppealReviewer)
			lead := signIn(t, s, l, both.Email, both.Password, true)
			lead.Header.Set("Accept-Language", l.accept)
			lead.SetCookie(i18n.CookieName, l.name)
			reviewer := staffIn(t, s, account.RoleAppealReviewer, l)

			c := webtest.Decode[app.CaseView](t, officer.Do(t, "POST", "/api/v1/staff/compliance/findings",
				map[string]any{"account_id": info.ID, "rule": "fraud", "detail": "phishing pages"}), http.StatusCreated)
			wantProblem(t, lead.Do(t, "POST", "/api/v1/staff/compliance/cases/"+c.ID+"/measures", map[string]any{"kind": "ban", "reason": "phishing"}),
				http.StatusConflict, "measure.case_not_confirmed", l.pick("处置须基于已确认的违规案件（协议第 4.2 条）。", "Measures follow a confirmed violation case (clause 4.2)."), "")
			for _, act := range []map[string]any{{"action": "review"}, {"action": "confirm", "text": "pages confirmed"}} {
				webtest.Decode[app.CaseView](t, officer.Do(t, "POST", "/api/v1/staff/compliance/cases/"+c.ID+"/actions", act), http.StatusOK)
			}
			res := officer.Do(t, "POST", "/api/v1/staff/compliance/cases/"+c.ID+"/measures", map[string]any{"kind": "ban", "reason": "phishing"})
			if res.Status != http.StatusForbidden {
				t.Fatalf("an officer banned: %d %s", res.Status, res.Body)
			}
			m := webtest.Decode[app.MeasureView](t, lead.Do(t, "POST", "/api/v1/staff/compliance/cases/"+c.ID+"/measures",
				map[string]any{"kind": "ban", "reason": "phishing pages on the server"}), http.StatusCreated)
			if m.State != "in_force" || m.Kind != "ban" || m.Notice != "pending" {
				t.Fatalf("ban = %+v", m)
			}
			mine := webtest.Decode[struct{ Items []app.MeasureView }](t, cust.Do(t, "GET", "/api/v1/measures", nil), http.StatusOK)
			if len(mine.Items) != 1 || mine.Items[0].Rule != "fraud" || mine.Items[0].Reason != "phishing pages on the server" || mine.Items[0].AppealWorkDays != 15 {
				t.Fatalf("my measures = %+v", mine)
			}
			other, _ := verifiedCustomer(t, s, l)
			wantProblem(t, other.Do(t, "POST", "/api/v1/appeals", map[string]any{"measure_id": m.ID, "statement": "not mine"}), http.StatusForbidden,
				"appeal.not_yours", l.pick("处置仅可由被处置的客户本人申诉（协议第 6.2 条）。", "A measure is appealed by the customer it is about (clause 6.2)."), "")
			png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)
			ap := webtest.Decode[app.AppealView](t, cust.Do(t, "POST", "/api/v1/appeals", map[string]any{"measure_id": m.ID, "statement": "the pages are a bank's own test",
				"attachments": []map[string]any{{"filename": "letter.png", "content": png}}}), http.StatusCreated)
			if ap.State != "open" || ap.TicketID == "" {
				t.Fatalf("appeal = %+v", ap)
			}
			if res := other.Do(t, "GET", "/api/v1/appeals/"+ap.ID, nil); res.Status != http.StatusNotFound {
				t.Fatalf("another customer read the appeal: %d", res.Status)
			}
			wantProblem(t, lead.Do(t, "POST", "/api/v1/staff/compliance/appeals/"+ap.ID+"/decide", map[string]any{"action": "review"}), http.StatusForbidden,
				"compliance.separation_of_duties", l.pick("申诉须由原处置人以外的人员复核（协议第 6.2 条）。",
					"An appeal is decided by someone other than the officer who imposed the measure (clause 6.2)."), "")
			webtest.Decode[app.AppealView](t, reviewer.Do(t, "POST", "/api/v1/staff/compliance/appeals/"+ap.ID+"/decide", map[string]any{"action": "review"}), http.StatusOK)
			wantProblem(t, reviewer.Do(t, "POST", "/api/v1/staff/compliance/appeals/"+ap.ID+"/decide", map[string]any{"action": "uphold"}),
				http.StatusUnprocessableEntity, "appeal.reason_required", "", "body.text")
			got := webtest.Decode[app.AppealView](t, reviewer.Do(t, "POST", "/api/v1/staff/compliance/appeals/"+ap.ID+"/decide",
				map[string]any{"action": "overturn", "text": "the bank's letter confirms it"}), http.StatusOK)
			if got.State != "overturned" || got.Measure.State != "overturned" {
				t.Fatalf("overturned = %+v", got)
			}
			mine = webtest.Decode[struct{ Items []app.MeasureView }](t, cust.Do(t, "GET", "/api/v1/measures", nil), http.StatusOK)
			if len(mine.Items) != 1 || mine.Items[0].State != "overturned" {
				t.Fatalf("after the overturn = %+v", mine)
			}
		})
	}
}
