package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/agreement"
	"yuanxu/internal/app"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
	"yuanxu/internal/webtest"
)

// signIn returns a client holding a session of login (console sign-in for
// staff).
func signIn(t *testing.T, s *webtest.Server, c webtest.Customer) *webtest.Client {
	t.Helper()
	cl := s.NewClient("User-Agent", "agreement-pages-test/1.0")
	res := cl.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": c.Email, "password": c.Password, "staff": c.Kind == account.KindStaff})
	if res.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", c.Email, res.Status, res.Body)
	}
	return cl
}

// htmlOf fetches path and parses it, failing unless the status is want.
func htmlOf(t *testing.T, c *webtest.Client, method, path string, form url.Values, want int) (*webtest.Response, *node) {
	t.Helper()
	var res *webtest.Response
	if form != nil {
		res = c.Do(t, method, path, form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	} else {
		res = c.Do(t, method, path, nil)
	}
	if res.Status != want {
		t.Fatalf("%s %s: %d, want %d: %.600s", method, path, res.Status, want, res.Body)
	}
	if res.Status == http.StatusSeeOther {
		return res, nil
	}
	return res, parseHTML(t, strings.NewReader(string(res.Body)))
}

func staffPrincipal(c webtest.Customer, roles ...account.Role) account.Principal {
	return account.Principal{AccountID: c.ID, Kind: account.KindStaff, Roles: roles}
}

// revisedAgreement is the default agreement with a 48-hour refund window:
// a material revision.
func revisedAgreement(t *testing.T) string {
	t.Helper()
	src, old := string(agreement.DefaultSource()), "refund.window = 24h"
	if !strings.Contains(src, old) {
		t.Fatalf("default agreement has no %q line", old)
	}
	return strings.Replace(src, old, "refund.window = 48h", 1)
}

// After a material revision takes effect (scheduled with a second legal
// signer, activated when the sandbox clock passes its instant), every
// portal page asks the signed-in customer to accept it; the re-acceptance
// page lists each key clause with its own checkbox and explanation, shows
// the version and its SHA-256, and records the acceptance; then the banner
// is gone and the customer's policy is the new version's (issue 8).
func TestPortalReacceptanceAfterMaterialRevision(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true})
	ctx := context.Background()
	cust := s.NewCustomer(t, account.KindIndividual)
	c := signIn(t, s, cust)
	v1, err := s.App.AgreementCurrent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, doc := htmlOf(t, c, "GET", "/account", nil, http.StatusOK); doc.byID("reaccept-banner") != nil {
		t.Fatal("banner before any revision")
	}
	if _, doc := htmlOf(t, c, "GET", "/account/agreement", nil, http.StatusOK); doc.byID("reaccept-none") == nil || doc.byID("reaccept-form") != nil {
		t.Fatal("re-acceptance form offered with nothing pending")
	}

	drafter, signer := s.NewStaff(t, account.RoleLegal), s.NewStaff(t, account.RoleLegal)
	d, err := s.App.AgreementDraftCreate(ctx, staffPrincipal(drafter, account.RoleLegal), app.DraftInput{Source: revisedAgreement(t), Note: "48h refund window"})
	if err != nil {
		t.Fatal(err)
	}
	eff := s.App.Now().Add(8 * 24 * time.Hour)
	v2, err := s.App.AgreementSchedule(ctx, staffPrincipal(signer, account.RoleLegal), d.ID, app.ScheduleInput{EffectiveAt: eff, Material: true})
	if err != nil {
		t.Fatal(err)
	}
	// Scheduled, not yet in force: no banner.
	if _, doc := htmlOf(t, c, "GET", "/account", nil, http.StatusOK); doc.byID("reaccept-banner") != nil {
		t.Fatal("banner before the revision takes effect")
	}
	if _, err := s.App.SandboxAdvance(ctx, 8*24*time.Hour+time.Second); err != nil {
		t.Fatal(err)
	}
	if cur, err := s.App.AgreementCurrent(ctx); err != nil || cur.ID != v2.ID {
		t.Fatalf("in force after the sandbox advance: %s, %v; want %s", cur.ID, err, v2.ID)
	}
	c = signIn(t, s, cust) // eight days on, the session has lapsed

	// The banner is on every portal page, never on the console.
	for _, path := range []string{"/", "/account", "/tickets", "/agreement"} {
		_, doc := htmlOf(t, c, "GET", path, nil, http.StatusOK)
		b := doc.byID("reaccept-banner")
		if b == nil {
			t.Fatalf("%s: no re-acceptance banner (signed in: %v)", path, doc.byID("signout-button") != nil)
		}
		if l := doc.byID("reaccept-link"); l == nil || l.attrs["href"] != "/account/agreement" || !strings.Contains(b.textContent(), v2.ID) {
			t.Fatalf("%s: banner %q", path, b.textContent())
		}
	}
	if _, doc := htmlOf(t, s.NewClient(), "GET", "/", nil, http.StatusOK); doc.byID("reaccept-banner") != nil {
		t.Fatal("banner for a visitor")
	}

	_, doc := htmlOf(t, c, "GET", "/account/agreement", nil, http.StatusOK)
	form := mustID(t, doc, "reaccept-form")
	if !strings.Contains(mustID(t, doc, "reaccept-sha256").textContent(), v2.SHA256) || !strings.Contains(mustID(t, doc, "reaccept-meta").textContent(), v2.ID) {
		t.Fatalf("version or sha256 not shown: %q %q", mustID(t, doc, "reaccept-meta").textContent(), mustID(t, doc, "reaccept-sha256").textContent())
	}
	hidden := map[string]string{}
	var acks []string
	for _, in := range form.tags("input") {
		switch {
		case in.attrs["type"] == "hidden":
			hidden[in.attrs["name"]] = in.attrs["value"]
		case in.attrs["type"] == "checkbox" && in.attrs["name"] == "ack":
			acks = append(acks, in.attrs["value"])
		}
	}
	keys := app.KeyClauseIDs(v2)
	if !slices.Equal(acks, keys) || hidden["version_id"] != v2.ID || hidden["sha256"] != v2.SHA256 {
		t.Fatalf("checkboxes %v (want %v), hidden %v", acks, keys, hidden)
	}
	explains := form.all(func(n *node) bool { return n.attrs["class"] == "explain-link" })
	if len(explains) != len(keys) || !strings.HasPrefix(explains[0].attrs["href"], "/agreement/explain?version="+v2.ID+"&clause=") {
		t.Fatalf("%d explain links, want %d", len(explains), len(keys))
	}
	if l := doc.byID("reaccept-diff"); l == nil || l.attrs["href"] != "/agreement/diff?from="+v1.ID+"&to="+v2.ID {
		t.Fatal("no diff link against the accepted version")
	}
	// The explanation opens (and is logged).
	if res := c.Do(t, "GET", explains[0].attrs["href"], nil); res.Status != http.StatusOK {
		t.Fatalf("explain: %d", res.Status)
	}

	// One clause left unticked: refused, the ticks kept, nothing recorded.
	partial := url.Values{"version_id": {v2.ID}, "sha256": {v2.SHA256}, "ack": keys[1:]}
	_, doc = htmlOf(t, c, "POST", "/account/agreement", partial, http.StatusUnprocessableEntity)
	if doc.byID("form-error") == nil {
		t.Fatal("refusal not shown")
	}
	if in := doc.byID("ack-" + keys[1]); in == nil || in.attrs["checked"] == "" && !hasAttr(in, "checked") {
		t.Error("ticked clause not kept")
	}
	if need, _, _ := s.App.AgreementNeedsAcceptance(ctx, cust.ID); !need {
		t.Fatal("a partial acceptance counted")
	}

	all := url.Values{"version_id": {v2.ID}, "sha256": {v2.SHA256}, "ack": keys}
	res, _ := htmlOf(t, c, "POST", "/account/agreement", all, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/account/agreement?done=accepted" {
		t.Fatalf("after accepting: %s", loc)
	}
	_, doc = htmlOf(t, c, "GET", "/account/agreement?done=accepted", nil, http.StatusOK)
	if doc.byID("form-notice") == nil || doc.byID("reaccept-none") == nil {
		t.Fatal("no confirmation after accepting")
	}
	for _, path := range []string{"/", "/account"} {
		if _, doc := htmlOf(t, c, "GET", path, nil, http.StatusOK); doc.byID("reaccept-banner") != nil {
			t.Fatalf("%s: banner after accepting", path)
		}
	}
	rs, err := store.Acceptances(ctx, s.App.DB(), store.AcceptanceFilter{AccountID: cust.ID, VersionID: v2.ID})
	if err != nil || len(rs) != 1 {
		t.Fatalf("acceptances %+v, %v", rs, err)
	}
	if r := rs[0]; r.SHA256 != v2.SHA256 || !slices.Equal(r.Acknowledged, keys) || r.Occasion != store.OccasionReacceptance || r.Channel != "web" ||
		r.UserAgent != "agreement-pages-test/1.0" {
		t.Fatalf("acceptance %+v", r)
	}
	if _, err := s.App.SandboxAdvance(ctx, time.Second); err != nil {
		t.Fatal(err)
	}
	set, tr, err := s.App.Policy().ForCustomer(ctx, cust.ID, s.App.Now())
	if err != nil || tr.VersionID != v2.ID || set.Duration(policy.RefundWindow) != 48*time.Hour {
		t.Fatalf("policy after re-acceptance: %+v %v", tr, err)
	}
}

// The re-acceptance page is the customer's: visitors sign in first, staff
// are refused.
func TestReacceptancePageAccess(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true})
	res := s.NewClient().Do(t, "GET", "/account/agreement", nil)
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login?next=") {
		t.Fatalf("visitor: %d %s", res.Status, res.Header.Get("Location"))
	}
	staff := signIn(t, s, s.NewStaff(t, account.RoleLegal))
	htmlOf(t, staff, "GET", "/account/agreement", nil, http.StatusForbidden)
	htmlOf(t, staff, "POST", "/account/agreement", url.Values{"ack": {"x"}}, http.StatusForbidden)
}

func hasAttr(n *node, name string) bool {
	_, ok := n.attrs[name]
	return ok
}

// Console pages of issue 8: legal staff see the versions and lint a draft;
// an admin registers a licence and proposes a calendar override that only
// a second admin may approve; customers get 403, visitors the sign-in.
func TestConsoleAgreementLicencesCalendarPages(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true})
	ctx := context.Background()
	cur, err := s.App.AgreementCurrent(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Access: visitors to the console sign-in, customers and other roles 403.
	for _, path := range []string{"/console/agreement", "/console/licences", "/console/calendar"} {
		res := s.NewClient().Do(t, "GET", path, nil)
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/console/login?next="+url.QueryEscape(path) {
			t.Errorf("visitor %s: %d %s", path, res.Status, res.Header.Get("Location"))
		}
	}
	cust := signIn(t, s, s.NewCustomer(t, account.KindIndividual))
	for _, path := range []string{"/console/agreement", "/console/licences", "/console/calendar"} {
		htmlOf(t, cust, "GET", path, nil, http.StatusForbidden)
	}
	htmlOf(t, cust, "POST", "/console/calendar", url.Values{"date": {"2026-10-10"}, "reason": {"x"}}, http.StatusForbidden)

	// Legal: versions and the nav; a draft with a placeholder is linted.
	legal := signIn(t, s, s.NewStaff(t, account.RoleLegal))
	_, doc := htmlOf(t, legal, "GET", "/console/agreement", nil, http.StatusOK)
	rows := mustID(t, doc, "console-versions").all(func(n *node) bool { return n.attrs["data-version"] != "" })
	if len(rows) != 1 || rows[0].attrs["data-version"] != cur.ID || rows[0].attrs["data-state"] != "effective" {
		t.Fatalf("versions %d", len(rows))
	}
	var navs []string
	for _, n := range doc.all(func(n *node) bool { return n.attrs["data-nav"] != "" && n.attrs["href"] != "" }) {
		navs = append(navs, n.attrs["data-nav"]+"="+n.attrs["href"])
		if n.attrs["data-nav"] == "agreement" && n.attrs["aria-current"] != "page" {
			t.Error("agreement nav item not current")
		}
	}
	for _, want := range []string{"agreement=/console/agreement", "licences=/console/licences", "calendar=/console/calendar"} {
		if !slices.Contains(navs, want) {
			t.Errorf("console nav %v lacks %s", navs, want)
		}
	}
	htmlOf(t, legal, "GET", "/console/licences", nil, http.StatusForbidden)
	htmlOf(t, legal, "GET", "/console/calendar", nil, http.StatusForbidden)

	src := strings.Replace(string(agreement.DefaultSource()), "refund.window = 24h", "refund.window = 48h", 1)
	withX := strings.Replace(src, "本条约定如何购买", "本条约定如何购买[X]", 1)
	if withX == src {
		t.Fatal("default agreement changed: no place for the placeholder")
	}
	res, _ := htmlOf(t, legal, "POST", "/console/agreement", url.Values{"source": {withX}, "note": {"with a placeholder"}}, http.StatusSeeOther)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/console/agreement/") {
		t.Fatalf("draft created: %s", loc)
	}
	_, doc = htmlOf(t, legal, "GET", loc, nil, http.StatusOK)
	f := doc.byID("lint-findings")
	if f == nil || !strings.Contains(f.textContent(), "[X]") {
		t.Fatalf("lint findings: %v", doc.textContent())
	}
	if doc.byID("schedule-form") == nil {
		t.Fatal("a draft offers no sign-off")
	}
	// A clean draft lints clean.
	res, _ = htmlOf(t, legal, "POST", "/console/agreement", url.Values{"source": {src}, "note": {"clean"}}, http.StatusSeeOther)
	if _, doc = htmlOf(t, legal, "GET", res.Header.Get("Location"), nil, http.StatusOK); doc.byID("lint-clean") == nil {
		t.Fatalf("clean draft: %v", doc.byID("lint-findings").textContent())
	}

	// Admin: a licence.
	admin1, admin2 := signIn(t, s, s.NewStaff(t, account.RoleAdmin)), signIn(t, s, s.NewStaff(t, account.RoleAdmin))
	htmlOf(t, admin1, "GET", "/console/licences", nil, http.StatusOK)
	_, doc = htmlOf(t, admin1, "POST", "/console/licences", url.Values{"type": {"idc"}, "number": {"B1-20269999"}, "holder": {"测试有限公司"},
		"valid_from": {"2026-01-01"}, "valid_until": {"2031-01-01"}}, http.StatusOK)
	if doc.byID("form-notice") == nil || !strings.Contains(mustID(t, doc, "licences").textContent(), "B1-20269999") {
		t.Fatalf("licence not listed: %s", mustID(t, doc, "licences").textContent())
	}
	_, doc = htmlOf(t, admin1, "POST", "/console/licences", url.Values{"type": {"idc"}}, http.StatusUnprocessableEntity)
	if doc.byID("form-error") == nil {
		t.Fatal("invalid licence: no error shown")
	}

	// Admin: an override, which its proposer cannot approve; a second admin can.
	_, doc = htmlOf(t, admin1, "GET", "/console/calendar", nil, http.StatusOK)
	if !strings.Contains(doc.textContent(), "second admin") && !strings.Contains(doc.textContent(), "两名不同的管理员") {
		t.Error("the two-admin rule is not stated")
	}
	_, doc = htmlOf(t, admin1, "POST", "/console/calendar", url.Values{"action": {"propose"}, "date": {"2026-10-10"}, "reason": {"test override"}}, http.StatusOK)
	ovs := mustID(t, doc, "overrides").all(func(n *node) bool { return n.attrs["data-override"] != "" })
	if len(ovs) != 1 {
		t.Fatalf("%d overrides", len(ovs))
	}
	oid := ovs[0].attrs["data-override"]
	_, doc = htmlOf(t, admin1, "POST", "/console/calendar", url.Values{"action": {"approve"}, "id": {oid}}, http.StatusForbidden)
	if doc.byID("form-error") == nil {
		t.Fatal("self-approval: no error shown")
	}
	if row := doc.all(func(n *node) bool { return n.attrs["data-override"] == oid }); len(row) != 1 || len(row[0].tags("form")) != 2 {
		t.Fatal("self-approved override no longer pending")
	}
	_, doc = htmlOf(t, admin2, "POST", "/console/calendar", url.Values{"action": {"approve"}, "id": {oid}}, http.StatusOK)
	if row := doc.all(func(n *node) bool { return n.attrs["data-override"] == oid }); len(row) != 1 || len(row[0].tags("form")) != 1 {
		t.Fatal("approved override still offers approval")
	}
	from := time.Date(2026, 9, 30, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if dl, err := s.App.CalendarDeadline(ctx, from, 3); err != nil || dl.Due.String() != "2026-10-12" {
		t.Fatalf("deadline with the approved override = %v, %v", dl.Due, err)
	}
}
