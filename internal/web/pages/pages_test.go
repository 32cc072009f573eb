package pages_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/policy"
	"yuanxu/internal/store/storetest"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/pages"
)

func TestRegisterRejectsConflictingMux(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(http.ResponseWriter, *http.Request) {})
	if err := pages.Register(mux, pages.Config{App: a}); err == nil {
		t.Fatal("Register on a mux that already routes / succeeded")
	}
	if err := pages.Register(http.NewServeMux(), pages.Config{}); err == nil {
		t.Fatal("Register without an App succeeded")
	}
}

func TestLangAttributeEverywhere(t *testing.T) {
	t.Parallel()
	h := newHandler(t, newApp(t))
	paths := []struct {
		path   string
		status int
	}{
		{"/", 200}, {"/login", 200}, {"/console/", 200}, {"/console/login", 200},
		{"/no/such/page", 404}, {"/console/no-such", 404},
	}
	langs := []struct {
		header []string
		want   string
	}{
		{nil, "zh-CN"},
		{[]string{"Accept-Language", "en-US,en;q=0.9"}, "en"},
		{[]string{"Accept-Language", "fr, zh-CN;q=0.8, en;q=0.5"}, "zh-CN"},
		{[]string{"Accept-Language", "zh-CN", "Cookie", i18n.CookieName + "=en"}, "en"},
	}
	for _, p := range paths {
		for _, l := range langs {
			resp, doc := page(t, h, p.path, p.status, l.header...)
			if got := htmlLang(t, doc); got != l.want {
				t.Errorf("GET %s %v: <html lang=%q>, want %q", p.path, l.header, got, l.want)
			}
			if got := resp.Header.Get("Content-Language"); got != l.want {
				t.Errorf("GET %s %v: Content-Language %q", p.path, l.header, got)
			}
			if !strings.Contains(resp.Header.Get("Vary"), "Accept-Language") {
				t.Errorf("GET %s: Vary %q", p.path, resp.Header.Get("Vary"))
			}
		}
	}
}

// The promises come from the policy in force: a changed policy changes the
// page, with the clause ids of the registry.
func TestHomePromisesFollowPolicy(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	set, err := policy.ProjectDefaults().With(map[string]string{
		"refund.window":                  "48h",
		"refund.traffic_threshold_bytes": "2147483648",
		"refund.review_working_days":     "5",
		"inspection.window":              "36h",
		"refund.payout_days":             "6",
		"refund.destinations":            "original_route,balance",
	})
	if err != nil {
		t.Fatal(err)
	}
	a.Policy().Source = policy.Static{ID: "v-test", Policy: set}
	h := newHandler(t, a)

	_, doc := page(t, h, "/", 200)
	checks := map[string][]string{
		"promise-refund":     {"48 小时无理由退款", "2 GB", "2147483648 字节", "支付与交付中较晚的时刻", "协议条款 3.1, 3.1.a"},
		"promise-inspection": {"36 小时验收期", "协议条款 2.3"},
		"promise-review":     {"5 个工作日内审核", "协议条款 3.1"},
		"promise-payout":     {"原支付渠道、账户余额（不可提现）", "6 个自然日", "协议条款 3.1, 6.2"},
	}
	for id, wants := range checks {
		got := mustID(t, doc, id).textContent()
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Errorf("#%s = %q, lacks %q", id, got, w)
			}
		}
	}
	if strings.Contains(mustID(t, doc, "promise-payout").textContent(), "同价位") {
		t.Error("a destination the policy left out is offered")
	}
	if v := mustID(t, doc, "promises").attrs["data-policy-version"]; v != "v-test" {
		t.Errorf("policy version %q", v)
	}

	_, doc = page(t, h, "/", 200, "Accept-Language", "en")
	got := mustID(t, doc, "promise-refund").textContent()
	for _, w := range []string{"48-hour no-fault refund", "Within 48 hours of payment or delivery, whichever is later", "2 GB", "Agreement clause 3.1, 3.1.a"} {
		if !strings.Contains(got, w) {
			t.Errorf("en #promise-refund = %q, lacks %q", got, w)
		}
	}
}

func TestHomeDefaults(t *testing.T) {
	t.Parallel()
	a := newApp(t)
	h := newHandler(t, a)
	_, doc := page(t, h, "/", 200)
	title := doc.tags("title")[0].textContent()
	if title != "自助服务与计费平台 · 元序" {
		t.Errorf("title %q", title)
	}
	if got := mustID(t, doc, "promise-refund").textContent(); !strings.Contains(got, "24 小时无理由退款") || !strings.Contains(got, "1 GB") {
		t.Errorf("#promise-refund = %q", got)
	}
	var nav []string
	for _, n := range doc.all(func(n *node) bool { return n.attrs["data-nav"] != "" }) {
		nav = append(nav, n.attrs["data-nav"]+":"+n.tag)
	}
	if got := strings.Join(nav, ","); got != "products:a,cart:a,orders:a,services:a,wallet:a,tickets:a,account:a" {
		t.Errorf("nav = %s", got)
	}
	if n := mustID(t, doc, "products"); n.tag != "section" {
		t.Errorf("the Products link target is a %s", n.tag)
	}
	for _, n := range doc.all(func(n *node) bool { return n.attrs["aria-disabled"] == "true" }) {
		if !strings.Contains(n.textContent(), "随下单功能上线") {
			t.Errorf("disabled nav item %q has no note", n.textContent())
		}
	}
	if got := mustID(t, doc, "legal-entity").textContent(); got != "运营主体：（法律实体待配置）" {
		t.Errorf("footer %q", got)
	}

	// Sandbox banner: business time in Asia/Shanghai.
	banner := mustID(t, doc, "sandbox-banner")
	tm := banner.tags("time")
	if len(tm) != 1 {
		t.Fatal("no <time> in the sandbox banner")
	}
	at, err := time.Parse(time.RFC3339, tm[0].attrs["datetime"])
	if err != nil {
		t.Fatal(err)
	}
	if _, off := at.Zone(); off != 8*3600 {
		t.Errorf("banner time %s is not +08:00", at)
	}
	if d := a.Now().Sub(at); d < -time.Second || d > time.Minute {
		t.Errorf("banner time %s, business time %s", at, a.Now())
	}
	if got := tm[0].textContent(); got != at.In(clock.Shanghai).Format("2006-01-02 15:04:05") {
		t.Errorf("banner shows %q", got)
	}
}

func TestNoSandboxBanner(t *testing.T) {
	t.Parallel()
	s, err := app.NewSecrets()
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 2, 17, 4, 0, 0, 0, time.UTC)
	a, err := app.New(context.Background(), app.Config{DB: storetest.Open(t), Secrets: s, Clock: clock.NewManual(at)})
	if err != nil {
		t.Fatal(err)
	}
	_, doc := page(t, newHandler(t, a), "/", 200)
	if doc.byID("sandbox-banner") != nil {
		t.Error("sandbox banner outside sandbox mode")
	}
	if doc.byID("promise-refund") == nil {
		t.Error("no promises")
	}
}

func TestConsoleHomeQueues(t *testing.T) {
	t.Parallel()
	h := newHandler(t, newApp(t))
	for _, c := range []struct {
		lang, empty, refunds string
	}{
		{"zh-CN", "0 / 暂无", "3 个工作日"},
		{"en", "0 / none", "3 working days"},
	} {
		_, doc := page(t, h, "/console/", 200, "Accept-Language", c.lang)
		var ids []string
		for _, q := range doc.all(func(n *node) bool { return n.attrs["class"] == "card queue" }) {
			ids = append(ids, q.attrs["id"])
			counts := q.all(func(n *node) bool { return strings.HasPrefix(n.attrs["class"], "queue-count") })
			if len(counts) != 1 || counts[0].textContent() != c.empty {
				t.Errorf("%s %s: count %q", c.lang, q.attrs["id"], counts[0].textContent())
			}
		}
		if got := strings.Join(ids, ","); got != "queue-refunds,queue-provisioning,queue-delivery,queue-violations,queue-tickets,queue-ticket_breaches,queue-kyc" {
			t.Errorf("queues %s", got)
		}
		if got := mustID(t, doc, "queue-refunds").textContent(); !strings.Contains(got, c.refunds) {
			t.Errorf("refund queue %q lacks %q", got, c.refunds)
		}
		if got := mustID(t, doc, "queue-violations").textContent(); !strings.Contains(got, "24") || !strings.Contains(got, "4.2") {
			t.Errorf("violations queue %q", got)
		}
		cur := doc.all(func(n *node) bool { return n.attrs["aria-current"] == "page" })
		if len(cur) != 1 || cur[0].attrs["data-nav"] != "home" {
			t.Errorf("console nav current item wrong")
		}
	}
}

func TestLoginForms(t *testing.T) {
	t.Parallel()
	h := newHandler(t, newApp(t))
	for _, c := range []struct {
		path   string
		fields []string
		notice string
	}{
		{"/login", []string{"identifier", "password"}, "账号或密码不正确"},
		{"/console/login", []string{"identifier", "password", "otp"}, "账号或密码不正确"},
	} {
		_, doc := page(t, h, c.path, 200)
		form := mustID(t, doc, "login-form")
		if form.attrs["method"] != "post" || form.attrs["action"] != c.path {
			t.Errorf("%s: form %v", c.path, form.attrs)
		}
		for _, f := range c.fields {
			in := mustID(t, doc, f)
			labels := doc.all(func(n *node) bool { return n.tag == "label" && n.attrs["for"] == f })
			if in.tag != "input" || len(labels) != 1 || labels[0].textContent() == "" {
				t.Errorf("%s: field %s has no label", c.path, f)
			}
		}
		if mustID(t, doc, "password").attrs["type"] != "password" {
			t.Errorf("%s: password field is not type=password", c.path)
		}
		if doc.byID("form-error") != nil {
			t.Errorf("%s: notice shown before any POST", c.path)
		}

		form2 := url.Values{"identifier": {"ops@example.com"}, "password": {"hunter2-secret"}, "otp": {"123456"}}
		r := httptest.NewRequest(http.MethodPost, c.path, strings.NewReader(form2.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp := do(t, h, r)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST %s: %d", c.path, resp.StatusCode)
		}
		if resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("POST %s set a cookie", c.path)
		}
		doc = parseHTML(t, resp.Body)
		if got := mustID(t, doc, "form-error").textContent(); !strings.Contains(got, c.notice) {
			t.Errorf("POST %s notice %q", c.path, got)
		}
		if got := mustID(t, doc, "identifier").attrs["value"]; got != "ops@example.com" {
			t.Errorf("POST %s: identifier not kept: %q", c.path, got)
		}
		if got := mustID(t, doc, "password").attrs["value"]; got != "" {
			t.Errorf("POST %s echoed the password", c.path)
		}
	}
}

func TestSetLanguage(t *testing.T) {
	t.Parallel()
	h := newHandler(t, newApp(t))
	post := func(form url.Values, tlsOn bool) *http.Response {
		r := httptest.NewRequest(http.MethodPost, "/lang", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if tlsOn {
			r.TLS = &tls.ConnectionState{}
		}
		return do(t, h, r)
	}

	resp := post(url.Values{"lang": {"en"}, "next": {"/console/login?x=1"}}, false)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login?x=1" {
		t.Fatalf("status %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cs := resp.Cookies()
	if len(cs) != 1 {
		t.Fatalf("cookies %v", cs)
	}
	c := cs[0]
	if c.Name != i18n.CookieName || c.Value != "en" || c.Path != "/" || c.MaxAge != 365*24*3600 ||
		!c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure {
		t.Errorf("cookie %+v", c)
	}
	if c := post(url.Values{"lang": {"zh-CN"}, "next": {"/"}}, true).Cookies(); len(c) != 1 || !c[0].Secure || c[0].Value != "zh-CN" {
		t.Errorf("over TLS: cookie %+v", c)
	}

	// The cookie wins over Accept-Language on the next page.
	_, doc := page(t, h, "/", 200, "Accept-Language", "zh-CN", "Cookie", c.Name+"="+c.Value)
	if htmlLang(t, doc) != "en" {
		t.Error("language cookie ignored")
	}

	for _, next := range []string{
		"", "https://evil.example/", "//evil.example", "///evil.example", `/\evil.example`, `\\evil.example`,
		"javascript:alert(1)", "evil.example", "/%0d%0aSet-Cookie:x=1", "/\r\nLocation: https://evil.example",
		"/%2F%2Fevil.example", "http:/evil.example",
	} {
		resp := post(url.Values{"lang": {"en"}, "next": {next}}, false)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Errorf("next=%q: status %d, Location %q", next, resp.StatusCode, resp.Header.Get("Location"))
		}
	}

	for _, bad := range []string{"fr", "", "EN", "en-US;<script>"} {
		resp := post(url.Values{"lang": {bad}, "next": {"/"}}, false)
		if resp.StatusCode != http.StatusBadRequest || len(resp.Cookies()) != 0 {
			t.Errorf("lang=%q: status %d, cookies %v", bad, resp.StatusCode, resp.Cookies())
		}
	}
	if resp := get(t, h, "/lang"); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /lang: %d", resp.StatusCode)
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	h := newHandler(t, newApp(t))
	_, doc := page(t, h, "/no/such/page", 404)
	if got := mustID(t, doc, "error-heading").textContent(); got != "页面不存在" {
		t.Errorf("zh 404 heading %q", got)
	}
	if got := mustID(t, doc, "error-home").attrs["href"]; got != "/" {
		t.Errorf("404 home link %q", got)
	}
	_, doc = page(t, h, "/no/such/page", 404, "Accept-Language", "en")
	if got := mustID(t, doc, "error-heading").textContent(); got != "Page not found" {
		t.Errorf("en 404 heading %q", got)
	}
	_, doc = page(t, h, "/console/nope", 404)
	if (doc.byID("staff-signin-link") == nil && doc.byID("staff-signout-button") == nil) || mustID(t, doc, "error-home").attrs["href"] != "/console/" {
		t.Error("a console 404 is not in the console layout")
	}
	for _, p := range []string{"/api/v1/nope", "/callbacks/nope"} {
		resp := get(t, h, p)
		if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("GET %s: %d %s", p, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if resp := get(t, h, "/static/nope.css"); resp.StatusCode != 404 {
		t.Errorf("missing asset: %d", resp.StatusCode)
	}
}

// Pages hold no inline script, inline style or event-handler attribute: the
// CSP would block them.
func TestNoInlineScriptOrStyle(t *testing.T) {
	t.Parallel()
	h := newHandler(t, newApp(t))
	for _, p := range []string{"/", "/login", "/console/", "/console/login", "/nope"} {
		for _, lang := range []string{"zh-CN", "en"} {
			resp := get(t, h, p, "Accept-Language", lang)
			doc := parseHTML(t, resp.Body)
			if n := doc.tags("style"); len(n) != 0 {
				t.Errorf("%s: <style> element", p)
			}
			for _, s := range doc.tags("script") {
				if s.attrs["src"] == "" || strings.TrimSpace(s.textContent()) != "" {
					t.Errorf("%s: inline <script>", p)
				}
				if !strings.HasPrefix(s.attrs["integrity"], "sha384-") {
					t.Errorf("%s: script %s without integrity", p, s.attrs["src"])
				}
			}
			for _, n := range doc.all(func(*node) bool { return true }) {
				for a, v := range n.attrs {
					if a == "style" || strings.HasPrefix(a, "on") || strings.HasPrefix(strings.TrimSpace(v), "javascript:") {
						t.Errorf("%s: <%s %s=%q>", p, n.tag, a, v)
					}
					if (a == "href" || a == "src") && strings.HasPrefix(v, "http") {
						t.Errorf("%s: external resource %s", p, v)
					}
				}
			}
		}
	}
}
