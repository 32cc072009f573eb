package web_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// TestEditWindowAndIncidentTextsAPI: the operations officer corrects the
// demo maintenance window's and incident's zh-CN and English texts through
// the API. The window keeps its schedule, state and who was reached; the
// incident keeps its cause and decisions; the public status page and the
// affected customer's maintenance page show the new texts. A missing title
// is announce.invalid (422, zh-CN and English, naming the field), an
// unknown id 404.
func TestEditWindowAndIncidentTextsAPI(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	ops := signIn(t, s, langs[0], "operations@staff.demo.yuanxu.test", "yuanxu-demo-staff-operations", true)
	type windows struct {
		Items []app.WindowView `json:"items"`
	}
	type incidents struct {
		Items []app.IncidentView `json:"items"`
	}
	var w app.WindowView
	for _, x := range webtest.Decode[windows](t, ops.Do(t, "GET", "/api/v1/staff/maintenance-windows", nil), http.StatusOK).Items {
		if x.TitleZh == "南昌机房核心交换机升级" {
			w = x
		}
	}
	if w.ID == "" {
		t.Fatal("no demo window")
	}
	before := webtest.Decode[app.WindowDetail](t, ops.Do(t, "GET", "/api/v1/staff/maintenance-windows/"+w.ID, nil), http.StatusOK)
	texts := map[string]any{"title_zh": "南昌机房核心交换机升级（已更正）", "title_en": "Nanchang core switch upgrade (corrected)",
		"body_zh": "中断约 10 分钟。", "body_en": "About 10 minutes of downtime."}
	got := webtest.Decode[app.WindowView](t, ops.Do(t, "PUT", "/api/v1/staff/maintenance-windows/"+w.ID+"/texts", texts), http.StatusOK)
	if got.TitleZh != texts["title_zh"] || got.BodyEn != texts["body_en"] || !got.Start.Equal(w.Start) || !got.End.Equal(w.End) ||
		got.State != w.State || got.NoticeHours != w.NoticeHours || !reflect.DeepEqual(got.Products, w.Products) {
		t.Fatalf("edited window %+v (was %+v)", got, w)
	}
	after := webtest.Decode[app.WindowDetail](t, ops.Do(t, "GET", "/api/v1/staff/maintenance-windows/"+w.ID, nil), http.StatusOK)
	if len(after.Reach) == 0 || !reflect.DeepEqual(after.Reach, before.Reach) {
		t.Errorf("reach changed by an edit of texts:\n%+v\n%+v", before.Reach, after.Reach)
	}

	var inc app.IncidentView
	for _, x := range webtest.Decode[incidents](t, ops.Do(t, "GET", "/api/v1/staff/incidents", nil), http.StatusOK).Items {
		if x.TitleZh == "上游运营商线路抖动" {
			inc = x
		}
	}
	if inc.ID == "" {
		t.Fatal("no demo incident")
	}
	ed := webtest.Decode[app.IncidentView](t, ops.Do(t, "PUT", "/api/v1/staff/incidents/"+inc.ID+"/texts",
		map[string]any{"title_zh": "上游运营商光缆中断", "title_en": "Upstream carrier fibre cut"}), http.StatusOK)
	if ed.TitleEn != "Upstream carrier fibre cut" || ed.Cause != inc.Cause || ed.State != inc.State || !reflect.DeepEqual(ed.Services, inc.Services) {
		t.Fatalf("edited incident %+v (was %+v)", ed, inc)
	}

	anon := s.NewClient()
	if r := anon.Do(t, "GET", "/status", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "南昌机房核心交换机升级（已更正）") ||
		!strings.Contains(string(r.Body), "上游运营商光缆中断") {
		t.Fatalf("status page %d after the edits", r.Status)
	}
	ind := signIn(t, s, langs[0], "individual@demo.yuanxu.test", "yuanxu-demo-individual", false)
	if r := ind.Do(t, "GET", "/account/maintenance", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "南昌机房核心交换机升级（已更正）") ||
		!strings.Contains(string(r.Body), "上游运营商光缆中断") {
		t.Fatalf("own maintenance page %d: %s", r.Status, r.Body)
	}

	for _, l := range langs {
		ops.SetCookie(i18n.CookieName, l.name)
		msg := l.pick("信息不完整或不一致，请查看 errors 中列出的字段。", "The input is incomplete or inconsistent; see the fields listed in errors.")
		wantProblem(t, ops.Do(t, "PUT", "/api/v1/staff/maintenance-windows/"+w.ID+"/texts", map[string]any{"title_zh": "x", "title_en": " "}),
			422, "announce.invalid", msg, "body.title_en")
		wantProblem(t, ops.Do(t, "PUT", "/api/v1/staff/incidents/"+inc.ID+"/texts", map[string]any{"title_zh": "", "title_en": "x"}),
			422, "announce.invalid", msg, "body.title_zh")
		wantProblem(t, ops.Do(t, "PUT", "/api/v1/staff/incidents/01936a9e-4c1f-7c39-9f1e-000000000000/texts", map[string]any{"title_zh": "x", "title_en": "x"}),
			404, "incident.not_found", l.pick("未找到该故障记录。", "No such incident."), "")
		wantProblem(t, ops.Do(t, "PUT", "/api/v1/staff/maintenance-windows/01936a9e-4c1f-7c39-9f1e-000000000000/texts", map[string]any{"title_zh": "x", "title_en": "x"}),
			404, "maintenance_window.not_found", l.pick("未找到该维护窗口。", "No such maintenance window."), "")
	}
}
