package pages

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The announcement pages (issue 17; clauses 6.2, 7 and 9.3). Public:
// /announcements, /announcements.atom (Atom 1.0, both languages) and
// /status (current and past incidents and maintenance, no personal data).
// Portal layout: a banner for a signed-in customer whose services a current
// or upcoming window affects. The console editors are in
// announce_console.go.

// Announcement page templates.
const (
	tmplAnnouncements = "portal_announcements"
	tmplStatus        = "portal_status"
)

func init() {
	for _, n := range []string{tmplAnnouncements, tmplStatus} {
		pageFiles[n] = [2]string{"layout_portal.html", n + ".html"}
	}
}

func (h *handlers) registerAnnouncePages(handle func(string, http.HandlerFunc), cust, staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	h.registerMyMaintenance(handle, cust)
	handle("GET /announcements", h.announcements)
	handle("GET /announcements.atom", h.announcementsAtom)
	handle("GET /status", h.statusPage)
	h.registerAnnounceConsole(handle, staff) // announce_console.go
	h.registerAssignConsole(handle, staff)   // announce_assign_console.go
}

// MaintenanceBanner lists the current and upcoming windows that affect
// the signed-in customer's services.
type MaintenanceBanner struct {
	Items []BannerItem
}

// BannerItem is one window in the banner.
type BannerItem struct {
	ID, Title, Start, End string
	Emergency, Started    bool
}

// maintenanceBanner is the banner for a signed-in customer on a portal
// page; nil for anyone else, outside the portal, or when nothing affects
// the customer.
func (h *handlers) maintenanceBanner(req *http.Request, lang i18n.Lang) *MaintenanceBanner {
	p, ok := principal(req)
	if !ok || !p.Customer() || isConsole(req.URL.Path) {
		return nil
	}
	ws, err := h.app.AffectedWindows(req.Context(), p.Principal, "")
	if err != nil || len(ws) == 0 {
		return nil
	}
	b := &MaintenanceBanner{}
	for _, w := range ws {
		b.Items = append(b.Items, BannerItem{ID: w.Window.ID, Title: w.Window.Title(string(lang)), Start: shortTime(w.Window.Start),
			End: shortTime(w.Window.End), Emergency: w.Window.Emergency, Started: w.Window.State == app.WindowInProgress})
	}
	return b
}

// AnnouncementsView is the public list of announcements.
type AnnouncementsView struct {
	Page
	Items []AnnouncementItem
}

// AnnouncementItem is one announcement in the page's language. Body is
// plain text, escaped by the template; paragraphs split at blank lines.
type AnnouncementItem struct {
	ID, Title, Published, DateTime string
	Paragraphs                     []string
}

func paragraphs(body string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (h *handlers) announcements(w http.ResponseWriter, req *http.Request) {
	v := AnnouncementsView{Page: h.page(req, "page.announce.title", portalNav(), "")}
	vs, err := h.app.Announcements(req.Context(), nil, false, 100)
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	for _, a := range vs {
		v.Items = append(v.Items, AnnouncementItem{ID: a.ID, Title: a.Title(string(v.Lang)), Published: shortTime(a.PublishedAt),
			DateTime: a.PublishedAt.Format(time.RFC3339), Paragraphs: paragraphs(a.Body(string(v.Lang)))})
	}
	h.r.render(w, req, http.StatusOK, tmplAnnouncements, v.Lang, v)
}

// atomFeed is an Atom 1.0 feed (RFC 4287).
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Lang    string      `xml:"xml:lang,attr,omitempty"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Links   []atomLink  `xml:"link"`
	Author  atomPerson  `xml:"author"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href     string `xml:"href,attr"`
	Rel      string `xml:"rel,attr,omitempty"`
	Type     string `xml:"type,attr,omitempty"`
	Hreflang string `xml:"hreflang,attr,omitempty"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Lang string `xml:"xml:lang,attr,omitempty"`
	Text string `xml:",chardata"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     atomText   `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
	Content   atomText   `xml:"content"`
}

// announcementsAtom is the feed of published announcements: one entry per
// announcement and language (zh-CN and English), each with a stable tag:
// id, its published and updated instants and a link to the list.
func (h *handlers) announcementsAtom(w http.ResponseWriter, req *http.Request) {
	vs, err := h.app.Announcements(req.Context(), nil, false, 100)
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	base := "https://" + req.Host
	if req.TLS == nil {
		base = "http://" + req.Host
	}
	f := atomFeed{ID: "urn:yuanxu:announcements", Title: "元序 yuanxu 公告 / Announcements", Author: atomPerson{Name: "元序 yuanxu"},
		Updated: time.Unix(0, 0).UTC().Format(time.RFC3339),
		Links: []atomLink{{Href: base + "/announcements.atom", Rel: "self", Type: "application/atom+xml"},
			{Href: base + "/announcements", Rel: "alternate", Type: "text/html"}}}
	for _, a := range vs {
		if up := a.UpdatedAt.UTC().Format(time.RFC3339); up > f.Updated {
			f.Updated = up
		}
		for _, l := range []struct{ lang, title, body string }{{"zh-CN", a.TitleZh, a.BodyZh}, {"en", a.TitleEn, a.BodyEn}} {
			f.Entries = append(f.Entries, atomEntry{ID: "urn:yuanxu:announcement:" + a.ID + ":" + l.lang,
				Title: atomText{Type: "text", Lang: l.lang, Text: l.title}, Updated: a.UpdatedAt.UTC().Format(time.RFC3339),
				Published: a.PublishedAt.UTC().Format(time.RFC3339),
				Links:     []atomLink{{Href: base + "/announcements#a-" + a.ID, Rel: "alternate", Type: "text/html", Hreflang: l.lang}},
				Content:   atomText{Type: "text", Lang: l.lang, Text: l.body}})
		}
	}
	out, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(out)
}

// StatusPageView is the public status page.
type StatusPageView struct {
	Page
	Current, Past []StatusRow
}

// StatusRow is one incident or window on the status page.
type StatusRow struct {
	Kind, ID, Title, StateLabel, CauseLabel, Start, End string
	Paragraphs                                          []string
	Emergency                                           bool
}

func statusRows(lang i18n.Lang, items []app.StatusItem) []StatusRow {
	var out []StatusRow
	for _, it := range items {
		r := StatusRow{Kind: it.Kind, ID: it.ID, Title: it.Title(string(lang)), StateLabel: i18n.T(lang, "page.status.state."+it.State, nil),
			Start: shortTime(it.Start), End: shortTime(it.End), Emergency: it.Emergency, Paragraphs: paragraphs(it.Body(string(lang)))}
		if it.Cause != "" {
			r.CauseLabel = i18n.T(lang, "page.announce.cause."+it.Cause, nil)
		}
		out = append(out, r)
	}
	return out
}

func (h *handlers) statusPage(w http.ResponseWriter, req *http.Request) {
	v := StatusPageView{Page: h.page(req, "page.status.title", portalNav(), "")}
	s, err := h.app.Status(req.Context())
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	v.Current, v.Past = statusRows(v.Lang, s.Current), statusRows(v.Lang, s.Past)
	h.r.render(w, req, http.StatusOK, tmplStatus, v.Lang, v)
}

// parseLocal reads a datetime-local form value as Beijing time.
func parseLocal(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02T15:04", s, clock.Shanghai)
	if err != nil {
		return time.Time{}
	}
	return t
}

// tmplMyMaintenance is the customer's own page.
const tmplMyMaintenance = "portal_my_maintenance"

func init() {
	pageFiles[tmplMyMaintenance] = [2]string{"layout_portal.html", tmplMyMaintenance + ".html"}
	notices["objected"] = "page.announce.mine.objected"
}

func (h *handlers) registerMyMaintenance(handle func(string, http.HandlerFunc), cust func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /account/maintenance", cust(h.myMaintenance))
	handle("POST /account/assignments/{id}/object", cust(h.objectAssignment))
}

// MyMaintenanceView is a customer's maintenance, incidents and assignment
// notices.
type MyMaintenanceView struct {
	Page
	Form
	Windows     []MyWindowRow
	Incidents   []MyIncidentRow
	Assignments []MyAssignmentRow
}

// MyWindowRow is one window affecting the customer.
type MyWindowRow struct {
	Title, Start, End   string
	Services            int
	Notified, Emergency bool
}

// MyIncidentRow is one incident that touched the customer's services.
type MyIncidentRow struct {
	Title, CauseLabel, StateLabel, Start, End string
	Decisions                                 []string
}

// MyAssignmentRow is one assignment notice with the customer's objection.
type MyAssignmentRow struct {
	ID, Assignee, Effective string
	Objected, Open          bool
	Refund                  string
	Refunds                 []ConsoleObjectionRefund // one per order, paid to the original route
}

func (h *handlers) myMaintenance(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	h.renderMyMaintenance(w, req, p, http.StatusOK, Form{Notice: doneNotice(req, i18n.FromRequest(req))})
}

func (h *handlers) renderMyMaintenance(w http.ResponseWriter, req *http.Request, p webctx.Principal, status int, form Form) {
	ctx := req.Context()
	v := MyMaintenanceView{Page: h.page(req, "page.announce.mine.title", portalNav(), "account"), Form: form}
	ws, err := h.app.AffectedWindows(ctx, p.Principal, "")
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, x := range ws {
		v.Windows = append(v.Windows, MyWindowRow{Title: x.Window.Title(string(v.Lang)), Start: shortTime(x.Window.Start), End: shortTime(x.Window.End),
			Services: len(x.Services), Notified: x.Notified, Emergency: x.Window.Emergency})
	}
	is, err := h.app.CustomerIncidents(ctx, p.Principal, "")
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, x := range is {
		r := MyIncidentRow{Title: x.Title(string(v.Lang)), CauseLabel: i18n.T(v.Lang, "page.announce.cause."+x.Cause, nil),
			StateLabel: i18n.T(v.Lang, "page.status.state."+x.State, nil), Start: shortTime(x.StartedAt), End: shortTime(x.EndedAt)}
		for _, s := range x.Services {
			switch {
			case !s.Decided:
			case s.ExtensionMs > 0:
				r.Decisions = append(r.Decisions, i18n.T(v.Lang, "page.announce.mine.extended", map[string]any{"clause": s.Clause,
					"extension": (time.Duration(s.ExtensionMs) * time.Millisecond).Round(time.Minute).String()}))
			default:
				r.Decisions = append(r.Decisions, i18n.T(v.Lang, "page.announce.mine.exempt", map[string]any{"clause": s.Clause}))
			}
		}
		v.Incidents = append(v.Incidents, r)
	}
	as, err := h.app.Assignments(ctx, p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	now := h.app.Now()
	for _, x := range as {
		r := MyAssignmentRow{ID: x.ID, Assignee: x.Assignee, Effective: shortTime(x.EffectiveAt), Open: now.Before(x.EffectiveAt)}
		if len(x.Objections) > 0 {
			r.Objected = true
			r.Refund = fen(x.Objections[0].TotalFen)
			for _, rf := range x.Objections[0].Refunds {
				r.Refunds = append(r.Refunds, ConsoleObjectionRefund{ID: rf.ID, OrderID: rf.OrderID, Amount: fen(rf.AmountFen), State: rf.State,
					StateLabel: i18n.T(v.Lang, "page.console.announce.refund_state."+rf.State, nil)})
			}
		}
		v.Assignments = append(v.Assignments, r)
	}
	h.r.render(w, req, status, tmplMyMaintenance, v.Lang, v)
}

func fen(f int64) string {
	return "¥" + strconv.FormatInt(f/100, 10) + "." + fmt.Sprintf("%02d", f%100)
}

func (h *handlers) objectAssignment(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	if _, err := h.app.ObjectToAssignment(req.Context(), p.Principal, req.PathValue("id")); err != nil {
		if s := statusOfErr(err); s == http.StatusForbidden || s == http.StatusNotFound {
			h.actionError(w, req, err)
			return
		}
		form, status := h.formError(req, i18n.FromRequest(req), err)
		h.renderMyMaintenance(w, req, p, status, form)
		return
	}
	http.Redirect(w, req, "/account/maintenance?done=objected", http.StatusSeeOther)
}
