package pages

import (
	"net/http"
	"strings"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// The console editors (announce.manage): announcements; maintenance windows
// with the reach table (who was reached, by which channel, when, and
// whether in time) and their state actions; incidents with the cause tag
// and the resolution that applies clause 7.

// Console announcement templates.
const (
	tmplConsoleAnnouncements = "console_announcements"
	tmplConsoleMaintenance   = "console_maintenance"
	tmplConsoleWindow        = "console_maintenance_window"
	tmplConsoleIncidents     = "console_incidents"
	tmplConsoleIncident      = "console_incident"
)

// causeTags lists the cause tags in the editors' order.
var causeTags = []string{"provider_fault", "third_party", "force_majeure", "customer_caused", "maintenance_with_notice", "maintenance_without_notice"}

func init() {
	for _, n := range []string{tmplConsoleAnnouncements, tmplConsoleMaintenance, tmplConsoleWindow, tmplConsoleIncidents, tmplConsoleIncident} {
		pageFiles[n] = [2]string{"layout_console.html", n + ".html"}
	}
	for _, n := range []string{"announcement_saved", "window_scheduled", "window_changed", "incident_opened", "incident_resolved", "texts_saved"} {
		notices[n] = "page.console.announce.notice." + n
	}
}

func (h *handlers) registerAnnounceConsole(handle func(string, http.HandlerFunc), staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("GET /console/announcements", staff(h.consoleAnnouncements))
	handle("POST /console/announcements", staff(h.consoleAnnouncements))
	handle("GET /console/maintenance", staff(h.consoleMaintenance))
	handle("POST /console/maintenance", staff(h.consoleMaintenance))
	handle("GET /console/maintenance/{id}", staff(h.consoleWindow))
	handle("POST /console/maintenance/{id}", staff(h.consoleWindow))
	handle("GET /console/incidents", staff(h.consoleIncidents))
	handle("POST /console/incidents", staff(h.consoleIncidents))
	handle("GET /console/incidents/{id}", staff(h.consoleIncident))
	handle("POST /console/incidents/{id}", staff(h.consoleIncident))
}

// announceSubnav is the sub-navigation of the editors.
func announceSubnav(current string) []NavItem {
	items := []NavItem{{ID: "announcements", LabelKey: "page.console.announce.nav.announcements", Href: "/console/announcements"},
		{ID: "maintenance", LabelKey: "page.console.announce.nav.maintenance", Href: "/console/maintenance"},
		{ID: "incidents", LabelKey: "page.console.announce.nav.incidents", Href: "/console/incidents"},
		{ID: "assignments", LabelKey: "page.console.announce.nav.assignments", Href: "/console/assignments"}}
	for i := range items {
		items[i].Current = items[i].ID == current
	}
	return items
}

// ConsoleAnnouncementsView lists announcements with the editor.
type ConsoleAnnouncementsView struct {
	Page
	Form
	Sub                              []NavItem
	Items                            []ConsoleAnnouncementRow
	TitleZh, TitleEn, BodyZh, BodyEn string
	// EditID is the announcement the form rewrites ("": a new one, from
	// ?edit=ID); Publish is the checkbox's state.
	EditID  string
	Publish bool
}

// ConsoleAnnouncementRow is one announcement in the console.
type ConsoleAnnouncementRow struct {
	ID, TitleZh, TitleEn, Published string
	Draft                           bool
}

func (h *handlers) consoleAnnouncements(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := ConsoleAnnouncementsView{Page: h.page(req, "page.console.announce.announcements.title", consoleNav(), "announce"), Sub: announceSubnav("announcements")}
	status := http.StatusOK
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		v.TitleZh, v.TitleEn, v.BodyZh, v.BodyEn = field(req, "title_zh"), field(req, "title_en"), req.PostForm.Get("body_zh"), req.PostForm.Get("body_en")
		v.EditID, v.Publish = field(req, "id"), field(req, "publish") == "1"
		_, err := h.app.SaveAnnouncement(req.Context(), p.Principal, v.EditID, app.AnnouncementInput{TitleZh: v.TitleZh, TitleEn: v.TitleEn,
			BodyZh: v.BodyZh, BodyEn: v.BodyEn, Publish: v.Publish})
		if err == nil {
			http.Redirect(w, req, "/console/announcements?done=announcement_saved", http.StatusSeeOther)
			return
		}
		if s := statusOfErr(err); s == http.StatusForbidden || s == http.StatusNotFound {
			h.actionError(w, req, err)
			return
		}
		v.Form, status = h.formError(req, v.Lang, err)
	} else {
		v.Notice, v.Publish = doneNotice(req, v.Lang), true
		if id := req.URL.Query().Get("edit"); id != "" {
			a, err := h.app.Announcement(req.Context(), &p.Principal, id)
			if err != nil {
				h.actionError(w, req, err)
				return
			}
			v.EditID, v.TitleZh, v.TitleEn, v.BodyZh, v.BodyEn, v.Publish = a.ID, a.TitleZh, a.TitleEn, a.BodyZh, a.BodyEn, !a.PublishedAt.IsZero()
		}
	}
	vs, err := h.app.Announcements(req.Context(), &p.Principal, true, 200)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, a := range vs {
		v.Items = append(v.Items, ConsoleAnnouncementRow{ID: a.ID, TitleZh: a.TitleZh, TitleEn: a.TitleEn, Published: shortTime(a.PublishedAt),
			Draft: a.PublishedAt.IsZero()})
	}
	h.r.render(w, req, status, tmplConsoleAnnouncements, v.Lang, v)
}

// ConsoleMaintenanceView lists windows with the scheduling form.
type ConsoleMaintenanceView struct {
	Page
	Form
	Sub                                  []NavItem
	Windows                              []ConsoleWindowRow
	TitleZh, TitleEn, BodyZh, BodyEn     string
	Products, Regions, Nodes, Start, End string
	Emergency                            bool
}

// ConsoleWindowRow is one window in the console.
type ConsoleWindowRow struct {
	ID, Title, Start, End, StateLabel, Scope string
	Emergency                                bool
}

func (h *handlers) consoleMaintenance(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := ConsoleMaintenanceView{Page: h.page(req, "page.console.announce.maintenance.title", consoleNav(), "announce"), Sub: announceSubnav("maintenance")}
	status := http.StatusOK
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		v.TitleZh, v.TitleEn, v.BodyZh, v.BodyEn = field(req, "title_zh"), field(req, "title_en"), req.PostForm.Get("body_zh"), req.PostForm.Get("body_en")
		v.Products, v.Regions, v.Nodes, v.Start, v.End = field(req, "products"), field(req, "regions"), field(req, "nodes"), field(req, "start"), field(req, "end")
		v.Emergency = field(req, "emergency") == "1"
		wv, err := h.app.ScheduleWindow(req.Context(), p.Principal, app.WindowInput{TitleZh: v.TitleZh, TitleEn: v.TitleEn, BodyZh: v.BodyZh, BodyEn: v.BodyEn,
			Products: splitList(v.Products), Regions: splitList(v.Regions), Nodes: splitList(v.Nodes), Start: parseLocal(v.Start), End: parseLocal(v.End),
			Emergency: v.Emergency})
		if err == nil {
			http.Redirect(w, req, "/console/maintenance/"+wv.ID+"?done=window_scheduled", http.StatusSeeOther)
			return
		}
		if s := statusOfErr(err); s == http.StatusForbidden {
			h.actionError(w, req, err)
			return
		}
		v.Form, status = h.formError(req, v.Lang, err)
	}
	ws, err := h.app.MaintenanceWindows(req.Context(), p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	sep := i18n.T(v.Lang, "layout.list_sep", nil)
	for _, x := range ws {
		scope := append(append(append([]string{}, x.Products...), x.Regions...), x.Nodes...)
		v.Windows = append(v.Windows, ConsoleWindowRow{ID: x.ID, Title: x.Title(string(v.Lang)), Start: shortTime(x.Start), End: shortTime(x.End),
			StateLabel: i18n.T(v.Lang, "page.status.state."+x.State, nil), Scope: strings.Join(scope, sep), Emergency: x.Emergency})
	}
	h.r.render(w, req, status, tmplConsoleMaintenance, v.Lang, v)
}

// ConsoleWindowView is one window with its reach table.
type ConsoleWindowView struct {
	Page
	Form
	Sub                              []NavItem
	Window                           ConsoleWindowRow
	NoticeHours                      int
	Reach                            []ReachRow
	Reached, Total                   int
	CanStart, CanExtend, CanComplete bool
	Texts                            TextsForm
}

// TextsForm is the form that corrects the zh-CN and English texts of a
// window or an incident (app.EditWindowTexts, app.EditIncidentTexts).
type TextsForm struct {
	Action                           string // the page's own path
	TitleZh, TitleEn, BodyZh, BodyEn string
}

// textsForm fills the texts form: with what was submitted when it was
// refused, else with the stored texts.
func textsForm(action string, sub *app.TextsInput, titleZh, titleEn, bodyZh, bodyEn string) TextsForm {
	if sub != nil {
		titleZh, titleEn, bodyZh, bodyEn = sub.TitleZh, sub.TitleEn, sub.BodyZh, sub.BodyEn
	}
	return TextsForm{Action: action, TitleZh: titleZh, TitleEn: titleEn, BodyZh: bodyZh, BodyEn: bodyEn}
}

func textsOf(req *http.Request) *app.TextsInput {
	return &app.TextsInput{TitleZh: field(req, "title_zh"), TitleEn: field(req, "title_en"), BodyZh: field(req, "body_zh"), BodyEn: field(req, "body_en")}
}

// ReachRow says whether and when one affected customer was reached.
type ReachRow struct {
	AccountID, Name, Email, SMS, NoticeBy string
	Services                              int
	Notified                              bool
}

func (h *handlers) consoleWindow(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	ctx := req.Context()
	status := http.StatusOK
	var form Form
	var texts *app.TextsInput // as submitted, when refused
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		done := "window_changed"
		var err error
		if field(req, "form") == "texts" {
			texts, done = textsOf(req), "texts_saved"
			_, err = h.app.EditWindowTexts(ctx, p.Principal, req.PathValue("id"), *texts)
		} else {
			_, err = h.app.ActOnWindow(ctx, p.Principal, req.PathValue("id"), app.WindowAction{Action: field(req, "action"), End: parseLocal(field(req, "end"))})
		}
		if err == nil {
			http.Redirect(w, req, "/console/maintenance/"+req.PathValue("id")+"?done="+done, http.StatusSeeOther)
			return
		}
		if s := statusOfErr(err); s == http.StatusForbidden || s == http.StatusNotFound {
			h.actionError(w, req, err)
			return
		}
		form, status = h.formError(req, i18n.FromRequest(req), err)
	}
	d, err := h.app.MaintenanceWindow(ctx, p.Principal, req.PathValue("id"))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := ConsoleWindowView{Page: h.page(req, "page.console.announce.window.title", consoleNav(), "announce"), Form: form, Sub: announceSubnav("maintenance"),
		NoticeHours: d.Window.NoticeHours, Total: len(d.Reach)}
	if req.Method == http.MethodGet {
		v.Notice = doneNotice(req, v.Lang)
	}
	x := d.Window
	v.Texts = textsForm("/console/maintenance/"+x.ID, texts, x.TitleZh, x.TitleEn, x.BodyZh, x.BodyEn)
	v.Window = ConsoleWindowRow{ID: x.ID, Title: x.Title(string(v.Lang)), Start: shortTime(x.Start), End: shortTime(x.End),
		StateLabel: i18n.T(v.Lang, "page.status.state."+x.State, nil), Emergency: x.Emergency}
	v.CanStart = x.State == app.WindowScheduled
	v.CanExtend = x.State == app.WindowScheduled || x.State == app.WindowInProgress
	v.CanComplete = v.CanExtend
	for _, r := range d.Reach {
		v.Reach = append(v.Reach, ReachRow{AccountID: r.AccountID, Name: r.Name, Email: shortTime(r.EmailAt), SMS: shortTime(r.SMSAt),
			NoticeBy: shortTime(r.NoticeBy), Services: len(r.Services), Notified: r.Notified})
		if r.Notified {
			v.Reached++
		}
	}
	h.r.render(w, req, status, tmplConsoleWindow, v.Lang, v)
}

// ConsoleIncidentsView lists incidents with the form that records one.
type ConsoleIncidentsView struct {
	Page
	Form
	Sub                              []NavItem
	Incidents                        []ConsoleIncidentRow
	Causes                           []Option
	Windows                          []Option
	TitleZh, TitleEn, BodyZh, BodyEn string
	Cause, WindowID, Services, Start string
}

// Option is a select option.
type Option struct {
	Value, Label string
}

// ConsoleIncidentRow is one incident in the console.
type ConsoleIncidentRow struct {
	ID, Title, CauseLabel, StateLabel, Start, End string
	Services, Extended                            int
	Open                                          bool
}

func (h *handlers) causeOptions(lang i18n.Lang) []Option {
	out := make([]Option, 0, len(causeTags))
	for _, c := range causeTags {
		out = append(out, Option{Value: c, Label: i18n.T(lang, "page.announce.cause."+c, nil)})
	}
	return out
}

func incidentRow(lang i18n.Lang, x app.IncidentView) ConsoleIncidentRow {
	r := ConsoleIncidentRow{ID: x.ID, Title: x.Title(string(lang)), CauseLabel: i18n.T(lang, "page.announce.cause."+x.Cause, nil),
		StateLabel: i18n.T(lang, "page.status.state."+x.State, nil), Start: shortTime(x.StartedAt), End: shortTime(x.EndedAt),
		Services: len(x.Services), Open: x.State == app.IncidentOpen}
	for _, s := range x.Services {
		if s.ExtensionMs > 0 {
			r.Extended++
		}
	}
	return r
}

func (h *handlers) consoleIncidents(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	ctx := req.Context()
	v := ConsoleIncidentsView{Page: h.page(req, "page.console.announce.incidents.title", consoleNav(), "announce"), Sub: announceSubnav("incidents")}
	v.Causes = h.causeOptions(v.Lang)
	status := http.StatusOK
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		v.TitleZh, v.TitleEn, v.BodyZh, v.BodyEn = field(req, "title_zh"), field(req, "title_en"), req.PostForm.Get("body_zh"), req.PostForm.Get("body_en")
		v.Cause, v.WindowID, v.Services, v.Start = field(req, "cause"), field(req, "window_id"), req.PostForm.Get("service_ids"), field(req, "started_at")
		x, err := h.app.OpenIncident(ctx, p.Principal, app.IncidentInput{TitleZh: v.TitleZh, TitleEn: v.TitleEn, BodyZh: v.BodyZh, BodyEn: v.BodyEn,
			Cause: v.Cause, WindowID: v.WindowID, ServiceIDs: splitList(v.Services), StartedAt: parseLocal(v.Start)})
		if err == nil {
			http.Redirect(w, req, "/console/incidents/"+x.ID+"?done=incident_opened", http.StatusSeeOther)
			return
		}
		if s := statusOfErr(err); s == http.StatusForbidden {
			h.actionError(w, req, err)
			return
		}
		v.Form, status = h.formError(req, v.Lang, err)
	}
	xs, err := h.app.Incidents(ctx, p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, x := range xs {
		v.Incidents = append(v.Incidents, incidentRow(v.Lang, x))
	}
	ws, err := h.app.MaintenanceWindows(ctx, p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, x := range ws {
		v.Windows = append(v.Windows, Option{Value: x.ID, Label: x.Title(string(v.Lang)) + " · " + shortTime(x.Start)})
	}
	h.r.render(w, req, status, tmplConsoleIncidents, v.Lang, v)
}

// ConsoleIncidentView is one incident with its decisions and the
// resolution form.
type ConsoleIncidentView struct {
	Page
	Form
	Sub      []NavItem
	Incident ConsoleIncidentRow
	Causes   []Option
	Cause    string
	Services []IncidentServiceRow
	Texts    TextsForm
}

// IncidentServiceRow is one affected service and its clause-7 decision.
type IncidentServiceRow struct {
	ServiceID, AccountID, Clause, Extension string
	Decided, Exempt, Notified               bool
}

func (h *handlers) consoleIncident(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	ctx := req.Context()
	status := http.StatusOK
	var form Form
	var texts *app.TextsInput // as submitted, when refused
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		done := "incident_resolved"
		var err error
		if field(req, "form") == "texts" {
			texts, done = textsOf(req), "texts_saved"
			_, err = h.app.EditIncidentTexts(ctx, p.Principal, req.PathValue("id"), *texts)
		} else {
			_, err = h.app.ResolveIncident(ctx, p.Principal, req.PathValue("id"), app.ResolveInput{EndedAt: parseLocal(field(req, "ended_at")),
				Cause: field(req, "cause")})
		}
		if err == nil {
			http.Redirect(w, req, "/console/incidents/"+req.PathValue("id")+"?done="+done, http.StatusSeeOther)
			return
		}
		if s := statusOfErr(err); s == http.StatusForbidden || s == http.StatusNotFound {
			h.actionError(w, req, err)
			return
		}
		form, status = h.formError(req, i18n.FromRequest(req), err)
	}
	x, err := h.app.Incident(ctx, p.Principal, req.PathValue("id"))
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	v := ConsoleIncidentView{Page: h.page(req, "page.console.announce.incident.title", consoleNav(), "announce"), Form: form, Sub: announceSubnav("incidents"),
		Incident: incidentRow(i18n.FromRequest(req), x), Cause: x.Cause, Texts: textsForm("/console/incidents/"+x.ID, texts, x.TitleZh, x.TitleEn, x.BodyZh, x.BodyEn)}
	v.Causes = h.causeOptions(v.Lang)
	if req.Method == http.MethodGet {
		v.Notice = doneNotice(req, v.Lang)
	}
	for _, s := range x.Services {
		r := IncidentServiceRow{ServiceID: s.ServiceID, AccountID: s.AccountID, Clause: s.Clause, Decided: s.Decided, Exempt: s.Exempt, Notified: s.Notified}
		if s.ExtensionMs > 0 {
			r.Extension = (time.Duration(s.ExtensionMs) * time.Millisecond).Round(time.Minute).String()
		}
		v.Services = append(v.Services, r)
	}
	h.r.render(w, req, status, tmplConsoleIncident, v.Lang, v)
}
