package pages

import (
	"net/http"
	"strings"
	"time"

	"yuanxu/internal/agreement"
	"yuanxu/internal/app"
	"yuanxu/internal/clock"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// Console pages of issue 8: a version (edit, lint, sign off and schedule),
// the licence register and the calendar overrides.
const (
	tmplConsoleAgreementVersion = "console_agreement_version"
	tmplConsoleLicences         = "console_licences"
	tmplConsoleCalendar         = "console_calendar"
)

func init() {
	pageFiles[tmplConsoleAgreementVersion] = [2]string{"layout_console.html", "console_agreement_version.html"}
	pageFiles[tmplConsoleLicences] = [2]string{"layout_console.html", "console_licences.html"}
	pageFiles[tmplConsoleCalendar] = [2]string{"layout_console.html", "console_calendar.html"}
}

// ConsoleVersionView is one version in the console.
type ConsoleVersionView struct {
	Page
	Form
	ID, Title, State, SHA256, Source, Note, PreparedBy, SignedOffBy, EffectiveAt string
	Draft, Material                                                              bool
	Findings                                                                     []string
	EarliestDefault                                                              string // datetime-local value
}

// ConsoleLicencesView is the licence register.
type ConsoleLicencesView struct {
	Page
	Form
	Licences []app.Licence
}

// ConsoleCalendarView lists overrides and confirmations.
type ConsoleCalendarView struct {
	Page
	Form
	Overrides     []app.CalendarOverride
	Confirmations []app.CalendarConfirmation
}

func (h *handlers) registerAgreementConsole(handle func(string, http.HandlerFunc), staff func(func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc) {
	handle("POST /console/agreement", staff(h.consoleDraftCreate))
	handle("GET /console/agreement/{id}", staff(h.consoleVersion))
	handle("POST /console/agreement/{id}", staff(h.consoleVersion))
	handle("GET /console/licences", staff(h.consoleLicences))
	handle("POST /console/licences", staff(h.consoleLicences))
	handle("GET /console/calendar", staff(h.consoleCalendar))
	handle("POST /console/calendar", staff(h.consoleCalendar))
}

// maxSourceForm bounds a posted form carrying an agreement text: the
// default agreement is some 45 kB of UTF-8, three times that URL-encoded,
// beyond parseForm's 64 KiB.
const maxSourceForm = 1 << 20

// parseSourceForm is parseForm for the forms that carry an agreement text.
func (h *handlers) parseSourceForm(w http.ResponseWriter, req *http.Request) bool {
	req.Body = http.MaxBytesReader(w, req.Body, maxSourceForm)
	if err := req.ParseForm(); err != nil {
		h.errorPage(w, req, http.StatusBadRequest, "page.error.bad_request.title", "page.error.bad_request.text")
		return false
	}
	return true
}

func (h *handlers) consoleDraftCreate(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseSourceForm(w, req) {
		return
	}
	v, err := h.app.AgreementDraftCreate(req.Context(), p.Principal, app.DraftInput{Source: req.PostForm.Get("source"), Note: field(req, "note")})
	if err != nil {
		h.renderConsoleAgreement(w, req, p, err)
		return
	}
	http.Redirect(w, req, "/console/agreement/"+v.ID, http.StatusSeeOther)
}

func (h *handlers) consoleVersion(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	ctx := req.Context()
	view := ConsoleVersionView{Page: h.page(req, "page.agreement.console.title", consoleNav(), "agreement")}
	status := http.StatusOK
	id := req.PathValue("id")
	if req.Method == http.MethodPost {
		if !h.parseSourceForm(w, req) {
			return
		}
		var err error
		switch req.PostForm.Get("action") {
		case "schedule":
			var at time.Time
			at, err = time.ParseInLocation("2006-01-02T15:04", field(req, "effective_at"), clock.Shanghai)
			if err == nil {
				_, err = h.app.AgreementSchedule(ctx, p.Principal, id, app.ScheduleInput{EffectiveAt: at, Material: req.PostForm.Get("material") == "yes"})
			} else {
				_, err = h.app.AgreementSchedule(ctx, p.Principal, id, app.ScheduleInput{Material: req.PostForm.Get("material") == "yes"})
			}
		default:
			_, err = h.app.AgreementDraftUpdate(ctx, p.Principal, id, app.DraftInput{Source: req.PostForm.Get("source"), Note: field(req, "note")})
		}
		if err != nil {
			view.Form, status = h.formError(req, view.Lang, err)
			if status == http.StatusForbidden {
				h.errorPage(w, req, http.StatusForbidden, "page.error.forbidden.title", "page.error.forbidden.text")
				return
			}
		} else {
			view.Notice = i18n.T(view.Lang, "page.agreement.console.saved", nil)
		}
	}
	v, err := h.app.AgreementVersionGet(ctx, &p.Principal, id)
	if err != nil {
		h.agreementError(w, req, err)
		return
	}
	view.ID, view.Title, view.State, view.SHA256, view.Source, view.Note = v.ID, v.Title, string(v.State), v.SHA256, v.Source, v.Note
	view.PreparedBy, view.SignedOffBy, view.EffectiveAt, view.Material = v.PreparedBy, v.SignedOffBy, fmtInstant(v), v.Material
	view.Draft = v.State == agreement.StateDraft
	if fs, err := h.app.AgreementLint(ctx, p.Principal, id); err == nil {
		for _, f := range fs {
			view.Findings = append(view.Findings, f.String())
		}
	}
	days := v.Doc.Policy.Int("agreement.notice_days")
	view.EarliestDefault = h.app.Now().Add(time.Duration(days)*24*time.Hour + time.Hour).In(clock.Shanghai).Format("2006-01-02T15:04")
	h.r.render(w, req, status, tmplConsoleAgreementVersion, view.Lang, view)
}

func (h *handlers) consoleLicences(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	ctx := req.Context()
	view := ConsoleLicencesView{Page: h.page(req, "page.licences.title", consoleNav(), "licences")}
	status := http.StatusOK
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		var err error
		if rid := field(req, "revoke"); rid != "" {
			err = h.app.LicenceRevoke(ctx, p.Principal, rid)
		} else {
			from, _ := time.ParseInLocation("2006-01-02", field(req, "valid_from"), clock.Shanghai)
			until, _ := time.ParseInLocation("2006-01-02", field(req, "valid_until"), clock.Shanghai)
			_, err = h.app.LicenceCreate(ctx, p.Principal, app.LicenceInput{Type: field(req, "type"), Number: field(req, "number"), Holder: field(req, "holder"),
				Scopes: req.PostForm["scope"], Regions: splitList(field(req, "regions")), ProductKinds: req.PostForm["kind"], ValidFrom: from, ValidUntil: until,
				Note: field(req, "note")})
		}
		if err != nil {
			view.Form, status = h.formError(req, view.Lang, err)
		} else {
			view.Notice = i18n.T(view.Lang, "page.agreement.console.saved", nil)
		}
	}
	ls, err := h.app.Licences(ctx, p.Principal)
	if err != nil {
		f, st := h.formError(req, view.Lang, err)
		if st == http.StatusForbidden {
			h.errorPage(w, req, http.StatusForbidden, "page.error.forbidden.title", "page.error.forbidden.text")
			return
		}
		view.Form, status = f, st
	}
	view.Licences = ls
	h.r.render(w, req, status, tmplConsoleLicences, view.Lang, view)
}

func (h *handlers) consoleCalendar(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	ctx := req.Context()
	view := ConsoleCalendarView{Page: h.page(req, "page.calendar.title", consoleNav(), "calendar")}
	status := http.StatusOK
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		var err error
		switch req.PostForm.Get("action") {
		case "approve":
			err = h.app.CalendarOverrideApprove(ctx, p.Principal, field(req, "id"))
		case "withdraw":
			err = h.app.CalendarOverrideWithdraw(ctx, p.Principal, field(req, "id"))
		case "approve_confirmation":
			err = h.app.CalendarConfirmApprove(ctx, p.Principal, field(req, "id"))
		default:
			_, err = h.app.CalendarOverridePropose(ctx, p.Principal, app.OverrideInput{Date: field(req, "date"), Working: req.PostForm.Get("working") == "yes", Reason: field(req, "reason")})
		}
		if err != nil {
			view.Form, status = h.formError(req, view.Lang, err)
		} else {
			view.Notice = i18n.T(view.Lang, "page.agreement.console.saved", nil)
		}
	}
	os, err := h.app.CalendarOverrides(ctx, p.Principal)
	if err != nil {
		h.errorPage(w, req, http.StatusForbidden, "page.error.forbidden.title", "page.error.forbidden.text")
		return
	}
	cs, _ := h.app.CalendarConfirmations(ctx, p.Principal)
	view.Overrides, view.Confirmations = os, cs
	h.r.render(w, req, status, tmplConsoleCalendar, view.Lang, view)
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '，' }) {
		out = append(out, x)
	}
	return out
}
