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
)

// The authorities page (issue 16 part B): a compliance lead registers a
// disclosure with its scanned document (the officer shown masked), places
// an authority hold and lifts it, looks up who held an address, and
// downloads a case file from the case page. An officer sees the lookup
// but not the register, and cannot export.
func TestAuthorityPagesRegisterHoldLookupExport(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	cust := e.s.NewCustomer(t, account.KindIndividual)
	lead := e.console(t, ccDemoStaff(account.RoleComplianceLead), i18n.EN)
	officer := e.console(t, ccDemoStaff(account.RoleComplianceOfficer), i18n.ZH)
	pdf := []byte("%PDF-1.4\npage test\n%%EOF\n")
	multi := func(fields map[string][]string) (string, string) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for k, vs := range fields {
			for _, v := range vs {
				_ = mw.WriteField(k, v)
			}
		}
		fw, _ := mw.CreateFormFile("attachment", "notice.pdf")
		_, _ = fw.Write(pdf)
		_ = mw.Close()
		return b.String(), mw.FormDataContentType()
	}
	doc := map[string][]string{"authority": {"海淀分局"}, "doc_type": {"evidence_notice"}, "doc_number": {"调证字〔2026〕7号"}}

	_, page := htmlOf(t, lead, "GET", "/console/authorities", nil, http.StatusOK)
	mustID(t, page, "disclosure-form")
	mustID(t, page, "hold-form")
	mustID(t, page, "lookup-form")

	// A disclosure missing its categories is refused and shown again.
	d := map[string][]string{"officer": {"王警官 13912345678"}, "account_ids": {cust.ID}}
	for k, v := range doc {
		d[k] = v
	}
	body, ct := multi(d)
	if res := lead.Do(t, "POST", "/console/authorities/disclosures", body, "Content-Type", ct); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("incomplete disclosure: %d", res.Status)
	}
	d["fields"] = []string{"identity", "address_log"}
	body, ct = multi(d)
	if res := lead.Do(t, "POST", "/console/authorities/disclosures", body, "Content-Type", ct); res.Status != http.StatusSeeOther {
		t.Fatalf("disclosure: %d %.400s", res.Status, res.Body)
	}
	_, page = htmlOf(t, lead, "GET", "/console/authorities", nil, http.StatusOK)
	officers := mustID(t, page, "disclosures").all(func(n *node) bool { return n.attrs["class"] == "officer" })
	if len(officers) != 1 || strings.Contains(officers[0].textContent(), "12345678") || strings.Contains(officers[0].textContent(), "警官") {
		t.Fatalf("register officer cells: %d", len(officers))
	}

	// A hold, then its lift.
	h := map[string][]string{"account_id": {cust.ID}, "reason": {"freeze"}}
	for k, v := range doc {
		h[k] = v
	}
	body, ct = multi(h)
	if res := lead.Do(t, "POST", "/console/authorities/holds", body, "Content-Type", ct); res.Status != http.StatusSeeOther {
		t.Fatalf("hold: %d %.400s", res.Status, res.Body)
	}
	_, page = htmlOf(t, lead, "GET", "/console/authorities", nil, http.StatusOK)
	holds := mustID(t, page, "holds").all(func(n *node) bool { return n.attrs["class"] == "hold" })
	if len(holds) != 1 || holds[0].attrs["data-in-force"] != "true" {
		t.Fatalf("holds listed: %d", len(holds))
	}
	htmlOf(t, lead, "POST", "/console/authorities/holds/"+holds[0].attrs["data-id"]+"/lift", url.Values{"reason": {"released"}}, http.StatusSeeOther)
	_, page = htmlOf(t, lead, "GET", "/console/authorities", nil, http.StatusOK)
	if got := mustID(t, page, "holds").all(func(n *node) bool { return n.attrs["class"] == "hold" })[0].attrs["data-in-force"]; got != "false" {
		t.Errorf("hold after lift: in force %q", got)
	}

	// The officer looks an address up; nobody held it.
	_, page = htmlOf(t, officer, "GET", "/console/authorities", nil, http.StatusOK)
	if page.byID("disclosures") != nil || page.byID("hold-form") != nil {
		t.Error("an officer sees the register")
	}
	_, page = htmlOf(t, officer, "POST", "/console/authorities/lookup", url.Values{"address": {"198.51.100.200"}, "at": {"2026-01-01T10:00"},
		"purpose": {"abuse_investigation"}}, http.StatusOK)
	if mustID(t, page, "lookup-answer").attrs["data-held"] != "false" {
		t.Error("lookup answer")
	}
	htmlOf(t, officer, "POST", "/console/authorities/lookup", url.Values{"address": {"nope"}, "at": {"2026-01-01T10:00"}, "purpose": {"curiosity"}},
		http.StatusUnprocessableEntity)

	// The case file: the lead has the button, the officer does not.
	res := officer.Do(t, "POST", "/console/compliance/findings", url.Values{"account_id": {cust.ID}, "rule": {"spam"}, "detail": {"bulk"}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
	href, _, _ := strings.Cut(res.Header.Get("Location"), "?")
	if res.Status != http.StatusSeeOther || !strings.HasPrefix(href, "/console/compliance/cases/") {
		t.Fatalf("finding: %d %q", res.Status, href)
	}
	_, page = htmlOf(t, lead, "GET", href, nil, http.StatusOK)
	link := mustID(t, page, "case-export").attrs["href"]
	if res := lead.Do(t, "GET", link, nil); res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/zip" ||
		len(res.Header.Get("X-Manifest-SHA256")) != 64 {
		t.Fatalf("export: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	_, page = htmlOf(t, officer, "GET", href, nil, http.StatusOK)
	if page.byID("case-export") != nil {
		t.Error("an officer sees the export button")
	}
	htmlOf(t, officer, "GET", link, nil, http.StatusForbidden)
}
