package pages_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/browsertest"
	"yuanxu/internal/web"
)

// newServer serves the whole web surface the way production does: through
// web.NewServer, with its CSP, cross-origin protection and middleware.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	ts, _ := newServerApp(t)
	return ts
}

// newServerApp is newServer, also returning the app.
func newServerApp(t *testing.T) (*httptest.Server, *app.App) {
	t.Helper()
	a := newApp(t)
	if err := a.ConfigureAccounts(app.AccountConfig{Hash: account.TestParams}); err != nil {
		t.Fatal(err)
	}
	h, err := web.NewServer(web.Config{App: a, Version: "test-1.0"})
	if err != nil {
		t.Fatalf("web.NewServer: %v", err)
	}
	if resp := get(t, h, "/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("web.NewServer does not serve the portal: GET / = %d", resp.StatusCode)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts, a
}

// staffSignIn seeds the demo accounts and signs b in to the console as
// the demo staff member of role.
func staffSignIn(t *testing.T, b *browsertest.Browser, ts *httptest.Server, a *app.App, role string) {
	t.Helper()
	if _, err := a.SeedDemo(context.Background()); err != nil {
		t.Fatalf("SeedDemo: %v", err)
	}
	b.Navigate(ts.URL + "/console/login")
	b.SetValue("#identifier", role+"@staff.demo.yuanxu.test")
	b.SetValue("#password", "yuanxu-demo-staff-"+role)
	if st := b.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("staff sign-in: status %d", st)
	}
}

// loaded checks what every page needs: the stylesheet applied and htmx
// loaded (both under the CSP and their integrity attributes).
func loaded(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	if v := browsertest.Eval[string](b, `typeof htmx === "object" ? htmx.version : "missing"`); v != "2.0.11" {
		t.Errorf("htmx: %s", v)
	}
	if v := browsertest.Eval[string](b, `getComputedStyle(document.body).fontFamily`); !strings.Contains(v, "Noto Sans CJK SC") {
		t.Errorf("stylesheet not applied: body font %q", v)
	}
}

func TestBrowserPortalHome(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	cases := []struct {
		name, acceptLanguage, lang, title string
		nav                               []string
		promise, clause, banner           string
	}{
		{"zh", "zh-CN,zh;q=0.9", "zh-CN", "自助服务与计费平台 · 元序",
			[]string{"产品", "购物车", "订单", "服务", "钱包", "工单", "账户"},
			"自支付与交付中较晚的时刻起 24 小时内，计费方向已用流量未超过 1 GB 的，可申请无理由退款。",
			"协议条款 3.1, 3.1.a", "沙箱模式"},
		{"en", "en-US,en;q=0.9", "en", "Self-service and billing · yuanxu",
			[]string{"Products", "Cart", "Orders", "Services", "Wallet", "Tickets", "Account"},
			"Within 24 hours of payment or delivery, whichever is later, if no more than 1 GB of billed-direction traffic has been used, you may ask for a refund without giving a reason.",
			"Agreement clause 3.1, 3.1.a", "Sandbox mode"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := browsertest.New(t, browsertest.WithAcceptLanguage(c.acceptLanguage))
			if st := b.Navigate(ts.URL + "/"); st != http.StatusOK {
				t.Fatalf("status %d", st)
			}
			if got, _ := b.Attr("html", "lang"); got != c.lang {
				t.Errorf("lang %q", got)
			}
			if got := b.Title(); got != c.title {
				t.Errorf("title %q", got)
			}
			if got := b.Texts(".site-nav .nav-link"); strings.Join(got, "|") != strings.Join(c.nav, "|") {
				t.Errorf("nav %q", got)
			}
			if got := b.Text("#promise-refund p"); got != c.promise {
				t.Errorf("refund promise %q", got)
			}
			if got := b.Text("#promise-refund .clause"); got != c.clause {
				t.Errorf("clause %q", got)
			}
			if got := b.Text("#sandbox-banner .sandbox-label"); !strings.EqualFold(got, c.banner) {
				t.Errorf("banner %q", got)
			}
			if got := len(b.Texts("#promises .promise")); got != 4 {
				t.Errorf("%d promises", got)
			}
			loaded(t, b)
			b.Screenshot("portal-home-" + c.name)
		})
	}
}

// The language switcher is a plain form: clicking it changes the page and
// the choice persists on the next page load, over Accept-Language.
func TestBrowserLanguageSwitch(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	b := browsertest.New(t) // zh-CN
	b.Navigate(ts.URL + "/console/login")
	if got := b.Text("#login-heading"); got != "登录运营控制台" {
		t.Fatalf("heading %q", got)
	}
	if st := b.ClickNavigate(`.lang-switch button[value="en"]`); st != http.StatusOK {
		t.Fatalf("after switching: status %d", st)
	}
	if got := b.Location(); got != ts.URL+"/console/login" {
		t.Errorf("returned to %s", got)
	}
	if got, _ := b.Attr("html", "lang"); got != "en" {
		t.Errorf("lang %q after switching", got)
	}
	if got := b.Text("#login-heading"); got != "Sign in to the staff console" {
		t.Errorf("heading %q after switching", got)
	}
	if _, disabled := b.Attr(`.lang-switch button[value="en"]`, "disabled"); !disabled {
		t.Error("the current language's button is not disabled")
	}

	b.Navigate(ts.URL + "/")
	if got, _ := b.Attr("html", "lang"); got != "en" {
		t.Errorf("next page lang %q: the choice did not persist", got)
	}
	if got := b.Text("#home-heading"); !strings.HasPrefix(got, "Cloud servers") {
		t.Errorf("next page heading %q", got)
	}

	b.ClickNavigate(`.lang-switch button[value="zh-CN"]`)
	if got, _ := b.Attr("html", "lang"); got != "zh-CN" {
		t.Errorf("lang %q after switching back", got)
	}
}

func TestBrowserConsoleLogin(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	cases := []struct {
		name, acceptLanguage, heading string
		labels                        []string
		notice                        string
	}{
		{"zh", "zh-CN", "登录运营控制台", []string{"工作邮箱", "密码", "动态验证码"}, "账号或密码不正确。"},
		{"en", "en", "Sign in to the staff console", []string{"Work email", "Password", "One-time code"},
			"Wrong login or password."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b := browsertest.New(t, browsertest.WithAcceptLanguage(c.acceptLanguage))
			b.Navigate(ts.URL + "/console/login")
			if got := b.Text("#login-heading"); got != c.heading {
				t.Errorf("heading %q", got)
			}
			if got := b.Texts("#login-form label"); strings.Join(got, "|") != strings.Join(c.labels, "|") {
				t.Errorf("labels %q", got)
			}
			for sel, want := range map[string]string{"#identifier": "email", "#password": "password", "#otp": "text"} {
				if got, _ := b.Attr(sel, "type"); got != want {
					t.Errorf("%s type %q", sel, got)
				}
			}
			if got, _ := b.Attr("#otp", "autocomplete"); got != "one-time-code" {
				t.Errorf("otp autocomplete %q", got)
			}
			if got := b.Texts(".site-nav .nav-link"); len(got) != 21 {
				t.Errorf("console nav %q", got)
			}
			loaded(t, b)
			b.Screenshot("console-login-" + c.name)

			// A wrong password is refused with the problem code's message.
			b.Allow(`status of 401`)
			// One login per subtest: the two run in parallel from one address, and
			// the login throttle would rightly slow the second.
			b.SetValue("#identifier", "ops-"+c.name+"@example.com")
			b.SetValue("#password", "not-a-real-password")
			b.SetValue("#otp", "123456")
			if st := b.ClickNavigate("#login-submit"); st != http.StatusUnauthorized {
				t.Errorf("submit: status %d", st)
			}
			if got := b.Text("#form-error"); got != c.notice {
				t.Errorf("notice %q", got)
			}
			if got := browsertest.Eval[string](b, `document.querySelector("#password").value`); got != "" {
				t.Error("the password came back in the page")
			}
		})
	}
}

func TestBrowserConsoleHome(t *testing.T) {
	t.Parallel()
	ts, a := newServerApp(t)
	b := browsertest.New(t)
	staffSignIn(t, b, ts, a, "support")
	b.Navigate(ts.URL + "/console/")
	titles := b.Texts(".queue .queue-title")
	want := []string{"待审核退款", "交付队列", "交付超时", "待确认违规案件", "待回复工单", "工单超时", "实名认证审核队列"}
	if strings.Join(titles, "|") != strings.Join(want, "|") {
		t.Errorf("queues %q", titles)
	}
	for _, c := range b.Texts(".queue:not(#queue-tickets):not(#queue-kyc):not(#queue-provisioning) .queue-count") { // the demo seed leaves a ticket, a KYC submission and a manual delivery waiting
		if c != "0 / 暂无" {
			t.Errorf("queue count %q", c)
		}
	}
	if got := b.Text("#queue-refunds .queue-detail"); !strings.Contains(got, "3 个工作日") {
		t.Errorf("refund queue detail %q", got)
	}
	if got := b.Text(`.site-nav [aria-current="page"]`); got != "首页" {
		t.Errorf("current nav %q", got)
	}
	loaded(t, b)
	b.Screenshot("console-home-zh")
	b.ClickNavigate(`.lang-switch button[value="en"]`)
	if got := b.Text(`.site-nav [aria-current="page"]`); got != "Home" {
		t.Errorf("current nav in English %q", got)
	}
	b.Screenshot("console-home-en")
}

func TestBrowserNotFound(t *testing.T) {
	t.Parallel()
	ts := newServer(t)
	b := browsertest.New(t, browsertest.WithAcceptLanguage("en"))
	b.Allow(`status of 404`)
	if st := b.Navigate(ts.URL + "/no/such/page"); st != http.StatusNotFound {
		t.Errorf("status %d", st)
	}
	if got := b.Text("#error-heading"); got != "Page not found" {
		t.Errorf("heading %q", got)
	}
	loaded(t, b)
	if st := b.ClickNavigate("#error-home"); st != http.StatusOK {
		t.Errorf("home link: %d", st)
	}
}
