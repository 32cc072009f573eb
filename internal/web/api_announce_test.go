package web_test

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/webtest"
)

// TestMaintenanceAPIRefusalsAndReads: the operations officer is refused a
// window in the past, one ending before it starts and one with less notice
// than policy (problems in zh-CN and English naming the field and the
// rule); emergency work is accepted flagged. The demo individual reads its
// own affected windows and gets 404 for another customer's; the status
// JSON and page, the announcement list and its Atom feed are public and
// carry no personal data.
func TestMaintenanceAPIRefusalsAndReads(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	now := s.App.Now()
	win := func(start, end time.Duration, emergency bool) map[string]any {
		return map[string]any{"title_zh": "维护", "title_en": "Maintenance", "products": []string{"cs-nc-bw"},
			"start": now.Add(start).Format(time.RFC3339), "end": now.Add(end).Format(time.RFC3339), "emergency": emergency}
	}
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			ops := signIn(t, s, l, "operations@staff.demo.yuanxu.test", "yuanxu-demo-staff-operations", true)
			ops.SetCookie(i18n.CookieName, l.name) // the account's language is zh-CN
			msg := l.pick("维护窗口不符合要求（服务协议第六条第（二）项）：请查看 errors 中列出的字段。",
				"The maintenance window is not acceptable (agreement clause 6.2); see the fields listed in errors.")
			for _, c := range []struct {
				body        map[string]any
				field, rule string
			}{
				{win(-time.Hour, time.Hour, false), "body.start", "in_future"},
				{win(100*time.Hour, 99*time.Hour, false), "body.end", "after_start"},
				{win(24*time.Hour, 26*time.Hour, false), "body.start", "notice_too_short"},
			} {
				p := wantProblem(t, ops.Do(t, "POST", "/api/v1/staff/maintenance-windows", c.body), 422, "announce.window_invalid", msg, c.field)
				if f, _ := p.Field(c.field); f.Rule != c.rule || f.Message == "" {
					t.Errorf("%s: %+v", c.field, f)
				}
			}
			w := webtest.Decode[app.WindowView](t, ops.Do(t, "POST", "/api/v1/staff/maintenance-windows", win(2*time.Hour, 3*time.Hour, true)), http.StatusCreated)
			if !w.Emergency || w.NoticeHours != 72 {
				t.Fatalf("emergency window %+v", w)
			}
		})
	}

	ind := signIn(t, s, langs[0], "individual@demo.yuanxu.test", "yuanxu-demo-individual", false)
	me := webtest.Decode[map[string]any](t, ind.Do(t, "GET", "/api/v1/me", nil), http.StatusOK)
	myID, _ := me["id"].(string)
	type windows struct {
		Items []app.CustomerWindow `json:"items"`
	}
	mine := webtest.Decode[windows](t, ind.Do(t, "GET", "/api/v1/accounts/"+myID+"/maintenance", nil), http.StatusOK)
	if len(mine.Items) < 1 || len(mine.Items[0].Services) == 0 {
		t.Fatalf("own affected windows %+v", mine)
	}
	if r := ind.Do(t, "GET", "/account/maintenance", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "上游运营商线路抖动") ||
		!strings.Contains(string(r.Body), "南昌机房核心交换机升级") || !strings.Contains(string(r.Body), "第 7.4 条") {
		t.Fatalf("own maintenance page %d: %s", r.Status, r.Body)
	}
	ent := signIn(t, s, langs[1], "enterprise@demo.yuanxu.test", "yuanxu-demo-enterprise", false)
	ent.SetCookie(i18n.CookieName, "en")
	wantProblem(t, ent.Do(t, "GET", "/api/v1/accounts/"+myID+"/maintenance", nil), 404, "maintenance_window.not_found", "No such maintenance window.", "")

	anon := s.NewClient()
	res := anon.Do(t, "GET", "/api/v1/status", nil)
	st := webtest.Decode[app.StatusView](t, res, http.StatusOK)
	if len(st.Current) < 2 || len(st.Past) < 1 || strings.Contains(string(res.Body), "demo.yuanxu.test") || strings.Contains(string(res.Body), myID) {
		t.Fatalf("status %s", res.Body)
	}
	if r := anon.Do(t, "GET", "/status", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "南昌机房核心交换机升级") {
		t.Fatalf("status page %d", r.Status)
	}
	if r := anon.Do(t, "GET", "/announcements", nil); r.Status != http.StatusOK || !strings.Contains(string(r.Body), "南昌机房扩容完成") {
		t.Fatalf("announcements page %d", r.Status)
	}
	feed := anon.Do(t, "GET", "/announcements.atom", nil)
	if feed.Status != http.StatusOK || !strings.HasPrefix(feed.Header.Get("Content-Type"), "application/atom+xml") {
		t.Fatalf("feed %d %s", feed.Status, feed.Header.Get("Content-Type"))
	}
	var f struct {
		XMLName xml.Name `xml:"http://www.w3.org/2005/Atom feed"`
		ID      string   `xml:"id"`
		Updated string   `xml:"updated"`
		Links   []struct {
			Rel string `xml:"rel,attr"`
		} `xml:"link"`
		Entries []struct {
			ID      string `xml:"id"`
			Updated string `xml:"updated"`
			Title   struct {
				Lang string `xml:"http://www.w3.org/XML/1998/namespace lang,attr"`
				Text string `xml:",chardata"`
			} `xml:"title"`
			Link struct {
				Href string `xml:"href,attr"`
			} `xml:"link"`
		} `xml:"entry"`
	}
	if err := xml.Unmarshal(feed.Body, &f); err != nil {
		t.Fatal(err)
	}
	if f.ID == "" || f.Updated == "" || len(f.Links) != 2 || len(f.Entries) != 2 {
		t.Fatalf("feed %+v", f)
	}
	langsSeen := map[string]string{}
	for _, e := range f.Entries {
		if _, err := time.Parse(time.RFC3339, e.Updated); err != nil || e.ID == "" || e.Link.Href == "" {
			t.Errorf("entry %+v", e)
		}
		langsSeen[e.Title.Lang] = e.Title.Text
	}
	if langsSeen["zh-CN"] != "南昌机房扩容完成" || langsSeen["en"] != "Nanchang data centre expanded" {
		t.Errorf("entries by language %v", langsSeen)
	}
}
