package pages_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/browsertest"
	"yuanxu/internal/clock"
	"yuanxu/internal/mailpittest"
	"yuanxu/internal/webtest"
)

// TestBrowserMaintenanceBanner: the operations officer publishes a
// maintenance window on the demo individual's cloud server product with
// more notice than policy; the console shows the affected customer in the
// reach table; the individual sees the banner in the portal and the
// enterprise (no affected service) does not; the notice arrives in mailpit.
func TestBrowserMaintenanceBanner(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true, SandboxSMS: true, SMTPURL: mp.SMTPURL("none")})
	if _, err := s.App.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	const indEmail = "individual@demo.yuanxu.test"
	start := s.App.Now().Add(100 * time.Hour).In(clock.Shanghai)

	sb := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	sb.Navigate(s.URL + "/console/login")
	sb.SetValue("#identifier", "operations@staff.demo.yuanxu.test")
	sb.SetValue("#password", "yuanxu-demo-staff-operations")
	if st := sb.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("staff sign-in: %d", st)
	}
	if st := sb.Navigate(s.URL + "/console/maintenance"); st != http.StatusOK {
		t.Fatalf("maintenance page: %d", st)
	}
	loaded(t, sb)
	sb.SetValue("#w-title-zh", "南昌交换机升级（浏览器测试）")
	sb.SetValue("#w-title-en", "Nanchang switch upgrade (browser test)")
	sb.SetValue("#w-products", "cs-nc-bw")
	sb.SetValue("#w-start", start.Format("2006-01-02T15:04"))
	sb.SetValue("#w-end", start.Add(2*time.Hour).Format("2006-01-02T15:04"))
	if st := sb.ClickNavigate("#window-submit"); st != http.StatusOK {
		t.Fatalf("publish: %d (%s)", st, sb.Text("main"))
	}
	if loc := sb.Location(); !strings.Contains(loc, "/console/maintenance/") || !strings.Contains(loc, "done=window_scheduled") {
		t.Fatalf("after publishing: %s (%s)", loc, sb.Text("main"))
	}
	if n := len(sb.Texts("#reach-table .reach-row")); n != 1 {
		t.Fatalf("%d rows in the reach table", n)
	}
	sb.Screenshot("console-window")

	// The affected individual sees the banner; the enterprise does not.
	// (One customer browser, signed out in between: browsers are scarce.)
	b := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	for _, c := range []struct {
		email, password string
		banner          bool
	}{
		{indEmail, "yuanxu-demo-individual", true},
		{"enterprise@demo.yuanxu.test", "yuanxu-demo-enterprise", false},
	} {
		b.Navigate(s.URL + "/login")
		b.SetValue("#identifier", c.email)
		b.SetValue("#password", c.password)
		if st := b.ClickNavigate("#login-submit"); st != http.StatusOK {
			t.Fatalf("%s sign-in: %d", c.email, st)
		}
		b.Navigate(s.URL + "/services")
		if got := b.Exists("#maintenance-banner"); got != c.banner {
			t.Errorf("%s: banner shown %v, want %v", c.email, got, c.banner)
		}
		if c.banner {
			if txt := b.Text("#maintenance-banner"); !strings.Contains(txt, "南昌交换机升级") || !strings.Contains(txt, start.Format("2006-01-02 15:04")) {
				t.Errorf("banner %q", txt)
			}
			b.Screenshot("portal-banner")
		}
		if st := b.ClickNavigate("#signout-button"); st != http.StatusOK {
			t.Fatalf("sign-out: %d", st)
		}
	}

	// The public status page lists the window, without personal data.
	if st := b.Navigate(s.URL + "/status"); st != http.StatusOK {
		t.Fatalf("status: %d", st)
	}
	if txt := b.Text("#status-current"); !strings.Contains(txt, "南昌交换机升级（浏览器测试）") || strings.Contains(txt, "demo.yuanxu.test") {
		t.Errorf("status page current: %q", txt)
	}

	// The notice arrives by email.
	deadline := time.Now().Add(20 * time.Second)
	for {
		found := false
		for _, m := range mp.Messages(t) {
			if len(m.To) == 1 && m.To[0].Address == indEmail && strings.HasPrefix(m.Subject, "维护通知") && strings.Contains(m.Subject, start.Format("2006-01-02 15:04")) {
				found = true
			}
		}
		if found {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no maintenance notice in mailpit")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// …and only to the affected customer.
	for _, m := range mp.Messages(t) {
		if strings.HasPrefix(m.Subject, "维护通知") && (len(m.To) != 1 || m.To[0].Address != indEmail) {
			t.Errorf("a maintenance notice to %+v", m.To)
		}
	}
}
