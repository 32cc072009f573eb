package pages_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/web/i18n"
)

// TestConsoleEditWindowAndIncidentTexts (issue 17): on the demo maintenance
// window's console page the operations officer finds the texts form filled
// with the stored texts; a missing English title is refused (422) with the
// submitted texts kept; corrected texts are saved, the page shows the new
// title with a notice, and who was reached is unchanged. The same form on
// the demo incident's page changes its title and keeps its state.
func TestConsoleEditWindowAndIncidentTexts(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	idOf := func(table, title string) string {
		var id string
		if err := e.s.App.DB().QueryRow(e.ctx, `SELECT id FROM `+table+` WHERE title_zh = $1`, title).Scan(&id); err != nil {
			t.Fatalf("%s %s: %v", table, title, err)
		}
		return id
	}
	winID, incID := idOf("maintenance_window", "南昌机房核心交换机升级"), idOf("incident", "上游运营商线路抖动")
	ops := e.console(t, ccDemoStaff(account.RoleOperations), i18n.EN)
	page := "/console/maintenance/" + winID
	_, doc := htmlOf(t, ops, "GET", page, nil, http.StatusOK)
	if got := mustID(t, doc, "x-title-en").attrs["value"]; got != "Nanchang core switch upgrade" {
		t.Fatalf("texts form title_en %q", got)
	}
	reach := mustID(t, doc, "reach-summary").textContent()

	_, doc = htmlOf(t, ops, "POST", page, url.Values{"form": {"texts"}, "title_zh": {"草稿标题"}, "title_en": {""}}, http.StatusUnprocessableEntity)
	if mustID(t, doc, "form-error").textContent() == "" || mustID(t, doc, "x-title-zh").attrs["value"] != "草稿标题" {
		t.Errorf("refused edit: error %q, title_zh kept %q", mustID(t, doc, "form-error").textContent(), mustID(t, doc, "x-title-zh").attrs["value"])
	}

	texts := url.Values{"form": {"texts"}, "title_zh": {"南昌机房核心交换机升级（已更正）"}, "title_en": {"Nanchang core switch upgrade (corrected)"},
		"body_zh": {"中断约 10 分钟。"}, "body_en": {"About 10 minutes."}}
	res, _ := htmlOf(t, ops, "POST", page, texts, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != page+"?done=texts_saved" {
		t.Fatalf("redirect %q", loc)
	}
	_, doc = htmlOf(t, ops, "GET", page+"?done=texts_saved", nil, http.StatusOK)
	if got := mustID(t, doc, "window-heading").textContent(); !strings.Contains(got, "Nanchang core switch upgrade (corrected)") {
		t.Errorf("heading %q", got)
	}
	if got := mustID(t, doc, "form-notice").textContent(); !strings.Contains(got, "customers are not notified again") {
		t.Errorf("notice %q", got)
	}
	if got := mustID(t, doc, "reach-summary").textContent(); got != reach {
		t.Errorf("reach %q, was %q", got, reach)
	}
	if got := mustID(t, doc, "x-body-en").textContent(); got != "About 10 minutes." {
		t.Errorf("texts form body_en %q", got)
	}

	page = "/console/incidents/" + incID
	_, doc = htmlOf(t, ops, "GET", page, nil, http.StatusOK)
	state := mustID(t, doc, "incident-state").textContent()
	htmlOf(t, ops, "POST", page, url.Values{"form": {"texts"}, "title_zh": {"上游运营商光缆中断"}, "title_en": {"Upstream carrier fibre cut"}}, http.StatusSeeOther)
	_, doc = htmlOf(t, ops, "GET", page, nil, http.StatusOK)
	if got := mustID(t, doc, "incident-heading").textContent(); got != "Upstream carrier fibre cut" {
		t.Errorf("incident heading %q", got)
	}
	if got := mustID(t, doc, "incident-state").textContent(); got != state {
		t.Errorf("incident state %q, was %q", got, state)
	}
}
