package pages_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// The compliance pages (issue 16): a visitor reports abuse on /abuse —
// bad input shown again in the visitor's language with what was typed, a
// good report answered with a receipt only — and compliance officers work
// the case in the console: it is listed, taken for review, given evidence
// (a multipart upload, downloadable and checked against its hash), and
// dismissed with a reason. A customer and support staff cannot open it.
func TestCompliancePagesReportToDecision(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	visitor := e.s.NewClient("Accept-Language", "en", "X-Forwarded-For", webtest.UniqueIP())
	_, doc := htmlOf(t, visitor, "GET", "/abuse", nil, http.StatusOK)
	mustID(t, doc, "abuse-form")
	_, doc = htmlOf(t, visitor, "POST", "/abuse", url.Values{"rule": {"spam"}, "target": {"not a host"}, "detail": {"typed detail"}},
		http.StatusUnprocessableEntity)
	if got := mustID(t, doc, "form-error").textContent(); !strings.Contains(got, "IP address or a domain") {
		t.Errorf("English field error: %q", got)
	}
	if got := mustID(t, doc, "abuse-detail").textContent(); got != "typed detail" {
		t.Errorf("the detail was not kept: %q", got)
	}
	_, doc = htmlOf(t, visitor, "POST", "/abuse", url.Values{"rule": {"network_attack"}, "target": {"203.0.113.77"}, "detail": {"SYN flood"}},
		http.StatusOK)
	if r, ok := mustID(t, doc, "abuse-receipt").attrs["data-receipt"]; !ok || r == "" {
		t.Fatal("no receipt")
	}

	officer := e.console(t, ccDemoStaff(account.RoleComplianceOfficer), i18n.ZH)
	_, doc = htmlOf(t, officer, "GET", "/console/compliance", nil, http.StatusOK)
	var href string
	for _, n := range doc.all(func(n *node) bool { return n.attrs["class"] == "case-row" }) {
		if strings.Contains(n.textContent(), "203.0.113.77") {
			href = n.all(func(m *node) bool { return m.tag == "a" })[0].attrs["href"]
		}
	}
	if href == "" {
		t.Fatalf("the case is not listed: %s", doc.textContent())
	}
	htmlOf(t, officer, "POST", href, url.Values{"action": {"review"}}, http.StatusSeeOther)

	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("attachment", "flows.png")
	png := append([]byte("\x89PNG\r\n\x1a\n"), []byte("netflow")...)
	_, _ = fw.Write(png)
	_ = mw.WriteField("note", "netflow")
	_ = mw.Close()
	if res := officer.Do(t, "POST", href+"/evidence", body.String(), "Content-Type", mw.FormDataContentType()); res.Status != http.StatusSeeOther {
		t.Fatalf("evidence upload: %d %.400s", res.Status, res.Body)
	}
	_, doc = htmlOf(t, officer, "GET", href, nil, http.StatusOK)
	if got := mustID(t, doc, "case-heading").attrs["data-state"]; got != "under_review" {
		t.Errorf("state %q", got)
	}
	links := mustID(t, doc, "case-evidence").all(func(n *node) bool { return n.tag == "a" })
	if len(links) != 1 {
		t.Fatalf("evidence listed: %d", len(links))
	}
	if res := officer.Do(t, "GET", links[0].attrs["href"], nil); res.Status != http.StatusOK || !bytes.Equal(res.Body, png) ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("evidence download: %d", res.Status)
	}
	// Dismissing without a reason is refused in Chinese, then with one it is done.
	_, doc = htmlOf(t, officer, "POST", href, url.Values{"action": {"dismiss"}}, http.StatusUnprocessableEntity)
	if got := mustID(t, doc, "form-error").textContent(); !strings.Contains(got, "此项必填") {
		t.Errorf("Chinese field error: %q", got)
	}
	htmlOf(t, officer, "POST", href, url.Values{"action": {"dismiss"}, "text": {"误报"}}, http.StatusSeeOther)
	_, doc = htmlOf(t, officer, "GET", href, nil, http.StatusOK)
	if got := mustID(t, doc, "case-heading").attrs["data-state"]; got != "dismissed" {
		t.Errorf("state after dismissal %q", got)
	}

	// Neither a customer nor support opens a case.
	cust := signIn(t, e.s, demoIndividual)
	htmlOf(t, cust, "GET", href, nil, http.StatusForbidden)
	support := e.console(t, ccDemoStaff(account.RoleSupport), i18n.EN)
	htmlOf(t, support, "GET", href, nil, http.StatusForbidden)
}
