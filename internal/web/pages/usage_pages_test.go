package pages_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/usage"
	"yuanxu/internal/web/i18n"
)

// The usage pages (issue 14): the chart and its figures in both
// languages, the allowance gauge of a traffic-billed server, another
// customer's 404, and the console's pages.

func TestUsagePagesRenderTheChartAndFigures(t *testing.T) {
	t.Parallel()
	e := newCCEnv(t)
	_, bw := e.svcOf(t, "active")         // cs-nc-bw on the sandbox node
	_, traffic := e.svcOf(t, "suspended") // cs-nc-traffic t2, in grace
	if _, err := e.s.App.SandboxAdvance(e.ctx, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	start := bw.StartsAt.Truncate(time.Second).Add(time.Second)
	if next := start.Truncate(time.Hour).Add(time.Hour); next.Sub(start) < 2*time.Minute {
		start = next.Add(time.Second) // keep the one-minute sample inside one hour: one bar
	}
	res, err := e.s.App.RecordUsage(e.ctx, []usage.Sample{{ServiceID: bw.ID, Start: start, Seconds: 60, TxBytes: 1 << 29, RxBytes: 1 << 29, Class: usage.Customer}})
	if err != nil || res.Accepted != 1 {
		t.Fatalf("record: %+v, %v", res, err)
	}
	for _, c := range []struct{ lang, heading, hourly, rule string }{
		{"zh-CN", "的流量", "最近 48 小时（每小时）", "1 GB"},
		{"en", "Traffic of", "The last 48 hours (hourly)", "1 GB"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			cl := shopClient(t, e.s, demoIndividual, c.lang)
			_, doc := htmlOf(t, cl, "GET", "/services/"+bw.ID+"/usage", nil, http.StatusOK)
			if htmlLang(t, doc) != c.lang || !strings.Contains(ccText(t, doc, "usage-heading"), c.heading) {
				t.Fatalf("lang %s, heading %q", htmlLang(t, doc), ccText(t, doc, "usage-heading"))
			}
			if got := mustID(t, doc, "usage-cycle").attrs["data-bytes"]; got != "1073741824" {
				t.Errorf("cycle bytes %q", got)
			}
			if !strings.Contains(ccText(t, doc, "usage-rule"), c.rule) {
				t.Errorf("rule %q", ccText(t, doc, "usage-rule"))
			}
			hourly := mustID(t, doc, "usage-hourly")
			if !strings.Contains(hourly.textContent(), c.hourly) {
				t.Errorf("hourly caption %q", hourly.textContent())
			}
			bars := hourly.all(func(n *node) bool { return n.attrs["class"] == "usage-bar" })
			tall := 0
			for _, b := range bars {
				if b.attrs["height"] != "0" {
					tall++
				}
			}
			if len(bars) != app.UsageHours || tall != 1 {
				t.Errorf("hourly bars %d, %d with traffic", len(bars), tall)
			}
			if !strings.Contains(ccText(t, doc, "usage-hourly-table"), "1073741824") || !strings.Contains(ccText(t, doc, "usage-daily-table"), "1073741824") {
				t.Error("the tables do not show the figure")
			}
			if doc.byID("usage-gauge") != nil {
				t.Error("a bandwidth server has no quota gauge")
			}
			_, doc = htmlOf(t, cl, "GET", "/services/"+traffic.ID+"/usage", nil, http.StatusOK)
			if mustID(t, doc, "usage-gauge") == nil || mustID(t, doc, "usage-allowance").attrs["data-level"] != "0" ||
				!strings.Contains(ccText(t, doc, "usage-allowance"), "500.00 GiB") {
				t.Errorf("traffic server allowance %q", ccText(t, doc, "usage-allowance"))
			}
		})
	}
	// Someone else's service: not found.
	other := shopClient(t, e.s, demoEnterprise, "en")
	htmlOf(t, other, "GET", "/services/"+bw.ID+"/usage", nil, http.StatusNotFound)

	// The console: the same chart for staff, the nodes and the quarantine.
	if _, err := e.s.App.RecordUsage(e.ctx, []usage.Sample{{ServiceID: bw.ID, Start: start, Seconds: 60, TxBytes: 1, Class: usage.Customer}}); err != nil {
		t.Fatal(err)
	}
	staff := e.console(t, ccDemoStaff(account.RoleSupport), i18n.Lang("en"))
	_, doc := htmlOf(t, staff, "GET", "/console/services/"+bw.ID+"/usage", nil, http.StatusOK)
	if got := mustID(t, doc, "usage-cycle").attrs["data-bytes"]; got != "1073741824" {
		t.Errorf("console cycle bytes %q", got)
	}
	_, doc = htmlOf(t, staff, "GET", "/console/usage", nil, http.StatusOK)
	nodes := doc.all(func(n *node) bool { return n.attrs["data-node"] == app.SandboxNode })
	if len(nodes) != 1 {
		t.Fatalf("sandbox node rows %d", len(nodes))
	}
	if q := doc.all(func(n *node) bool { return n.attrs["data-reason"] == "conflict" }); len(q) != 1 || !strings.Contains(q[0].textContent(), bw.ID) {
		t.Errorf("quarantine rows %d", len(q))
	}
}
