package pages

import (
	"net/http"
	"net/url"

	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The usage pages (issue 14). The portal's /services/{id}/usage draws the
// service's billed traffic as server-rendered inline SVG (no script, no
// style attributes: the CSP allows neither; classes from usage.css):
// hourly bars for the last 48 hours, daily bars for the last 30 CST days,
// and for a traffic-billed server a gauge of this cycle's use against the
// quota and each pack, with the 80 % alert marked; the figures are in
// tables beneath. The console has the same page for any service
// (/console/services/{id}/usage) and /console/usage: the nodes with their
// service counts, and the latest quarantined samples.

// Usage page templates.
const (
	tmplUsage               = "portal_usage_service"
	tmplConsoleUsage        = "console_usage_overview"
	tmplConsoleServiceUsage = "console_usage_service"
)

func init() {
	pageFiles[tmplUsage] = [2]string{"layout_portal.html", tmplUsage + ".html"}
	pageFiles[tmplConsoleUsage] = [2]string{"layout_console.html", tmplConsoleUsage + ".html"}
	pageFiles[tmplConsoleServiceUsage] = [2]string{"layout_console.html", tmplConsoleServiceUsage + ".html"}
}

// registerUsagePages adds the usage pages (issue 14):
//
//	GET /services/{id}/usage          a service's traffic (customer)
//	GET /console/usage                nodes and quarantined samples
//	GET /console/services/{id}/usage  a service's traffic (staff)
func (h *handlers) registerUsagePages(handle func(string, http.HandlerFunc), cust, staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /services/{id}/usage", cust(h.usageService))
	handle("GET /console/usage", staff(h.consoleUsage))
	handle("GET /console/services/{id}/usage", staff(h.consoleUsageService))
}

// Chart geometry (SVG user units).
const (
	chartW, chartH, chartTop, chartBottom = 720, 200, 10, 24
	gaugeW, gaugeH                        = 720, 56
)

// UsageBar is one bar of a chart.
type UsageBar struct {
	X, Y, W, H int
	Title      string // "<time>: <amount>", the bar's tooltip
	Label      string // an axis label under some bars, else ""
	LabelX     int
}

// UsageChart is one bar chart.
type UsageChart struct {
	ID, Caption    string
	Width, Height  int
	BaseY, LabelY  int
	Bars           []UsageBar
	Max            string // the amount of the tallest bar
	Empty          bool
	Rows           []UsageRow
	PeriodKey, Sum string
}

// UsageRow is one line of a chart's table.
type UsageRow struct{ Period, Amount, Bytes string }

// UsageSegment is a piece of the allowance gauge.
type UsageSegment struct {
	X, W  int
	Class string // quota, pack
	Title string
}

// UsageGauge is this cycle's use against the allowance.
type UsageGauge struct {
	Width, Height int
	Segments      []UsageSegment
	UsedW, AlertX int
	Over          bool
}

// UsagePackRow is a pack counted in the allowance.
type UsagePackRow struct{ ID, Amount, From, Until string }

// UsageView is the usage page of a service.
type UsageView struct {
	Page
	ServiceID, Name, BackHref string
	Direction, NodeID         string
	CycleFrom, CycleTo        string
	Cycle, Total              string
	CycleBytes, TotalBytes    string
	Metered                   bool
	Quota, Allowance          string
	Level                     int
	LevelKey                  string
	Percent                   string
	Packs                     []UsagePackRow
	Gauge                     UsageGauge
	Hourly, Daily             UsageChart
	Quarantined               int
	AsOf                      string
}

func (h *handlers) usageService(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	u, err := h.app.ServiceUsage(req.Context(), p.Principal, req.PathValue("id"))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := usageView(h.page(req, "page.usage.title", portalNav(), "services"), u, "/services/"+url.PathEscape(u.ServiceID))
	h.r.render(w, req, http.StatusOK, tmplUsage, v.Lang, v)
}

func (h *handlers) consoleUsageService(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.ccAuthorize(w, req, p, "account.read_any", "service") {
		return
	}
	u, err := h.app.ServiceUsage(req.Context(), p.Principal, req.PathValue("id"))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := usageView(h.page(req, "page.usage.title", consoleNav(), "services"), u, "/console/services/"+url.PathEscape(u.ServiceID))
	h.r.render(w, req, http.StatusOK, tmplConsoleServiceUsage, v.Lang, v)
}

// ConsoleUsageView is /console/usage.
type ConsoleUsageView struct {
	Page
	Nodes      []app.NodeView
	Quarantine []ConsoleQuarantineRow
}

// ConsoleQuarantineRow is a quarantined sample.
type ConsoleQuarantineRow struct {
	ServiceID, ServiceHref, NodeID, Start, Received, Reason, ReasonLabel, Payload string
}

func (h *handlers) consoleUsage(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	ctx := req.Context()
	nodes, err := h.app.UsageNodes(ctx, p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	qs, err := h.app.UsageQuarantine(ctx, p.Principal, 100)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := ConsoleUsageView{Page: h.page(req, "page.console.usage.title", consoleNav(), "services"), Nodes: nodes}
	for _, q := range qs {
		v.Quarantine = append(v.Quarantine, ConsoleQuarantineRow{ServiceID: q.ServiceID, ServiceHref: "/console/services/" + url.PathEscape(q.ServiceID) + "/usage",
			NodeID: q.NodeID, Start: shortTime(q.Start), Received: shortTime(q.ReceivedAt), Reason: q.Reason,
			ReasonLabel: i18n.T(v.Lang, "page.usage.quarantine.reason."+q.Reason, nil), Payload: q.Payload})
	}
	h.r.render(w, req, http.StatusOK, tmplConsoleUsage, v.Lang, v)
}
