package pages

import (
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"yuanxu/internal/errs"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// deviceCookie remembers a device that signed in (the login throttle
// trusts it).
const deviceCookie = "yuanxu_device"

// principal returns the request's signed-in principal.
func principal(req *http.Request) (webctx.Principal, bool) {
	p, ok := webctx.From(req.Context())
	return p, ok && !p.ViaAPIKey
}

// customerOnly wraps a portal account page: anonymous visitors are sent to
// /login?next=<this page>, staff get a 403 page.
func (h *handlers) customerOnly(next func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		p, ok := principal(req)
		switch {
		case !ok:
			redirectToLogin(w, req, "/login")
		case !p.Customer():
			h.errorPage(w, req, http.StatusForbidden, "page.error.forbidden.title", "page.error.forbidden.customer_only")
		default:
			next(w, req, p)
		}
	}
}

// staffOnly wraps a console page: anonymous visitors are sent to
// /console/login?next=<this page>, customers get a 403 page.
func (h *handlers) staffOnly(next func(http.ResponseWriter, *http.Request, webctx.Principal)) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		p, ok := principal(req)
		switch {
		case !ok:
			redirectToLogin(w, req, "/console/login")
		case !p.Staff():
			h.errorPage(w, req, http.StatusForbidden, "page.error.forbidden.title", "page.error.forbidden.staff_only")
		default:
			next(w, req, p)
		}
	}
}

// redirectToLogin answers 303 to login?next=<the page> (a GET page; after
// a POST, the page the form was on is unknown, so next is the path only).
func redirectToLogin(w http.ResponseWriter, req *http.Request, login string) {
	next := req.URL.Path
	if req.Method == http.MethodGet && req.URL.RawQuery != "" {
		next += "?" + req.URL.RawQuery
	}
	http.Redirect(w, req, login+"?next="+url.QueryEscape(next), http.StatusSeeOther)
}

// nextOr returns the form's or query's next if it is a local path, else def.
func nextOr(req *http.Request, def string) string {
	n := req.FormValue("next")
	if isLocalPath(n) && !strings.HasPrefix(n, "/login") && !strings.HasPrefix(n, "/console/login") {
		return n
	}
	return def
}

// setSession sets (or, with token "", clears) the session cookie.
func setSession(w http.ResponseWriter, req *http.Request, token string) {
	c := &http.Cookie{Name: webctx.SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: req.TLS != nil, SameSite: http.SameSiteLaxMode}
	if token == "" {
		c.MaxAge = -1
	}
	http.SetCookie(w, c)
}

// setDevice remembers the device for 180 days.
func setDevice(w http.ResponseWriter, req *http.Request, token string) {
	if token == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: deviceCookie, Value: token, Path: "/", HttpOnly: true, Secure: req.TLS != nil,
		SameSite: http.SameSiteLaxMode, MaxAge: int((180 * 24 * time.Hour) / time.Second)})
}

// setLangCookie makes the account's language the pages' language from now
// on (it overrides Accept-Language, as the switcher does).
func setLangCookie(w http.ResponseWriter, req *http.Request, lang string) i18n.Lang {
	l, ok := parseLangField(lang)
	if !ok {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: i18n.CookieName, Value: string(l), Path: "/", MaxAge: int(langCookieMaxAge / time.Second),
		HttpOnly: true, Secure: req.TLS != nil, SameSite: http.SameSiteLaxMode})
	// The page rendered in this response follows the new language too.
	req.AddCookie(&http.Cookie{Name: i18n.CookieName, Value: string(l)})
	return l
}

// cookie returns a cookie's value or "".
func cookie(req *http.Request, name string) string {
	if c, err := req.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// parseForm bounds and parses a posted form; false means the 400 page was
// written.
func (h *handlers) parseForm(w http.ResponseWriter, req *http.Request) bool {
	req.Body = http.MaxBytesReader(w, req.Body, 64<<10)
	if err := req.ParseForm(); err != nil {
		h.errorPage(w, req, http.StatusBadRequest, "page.error.bad_request.title", "page.error.bad_request.text")
		return false
	}
	return true
}

// field returns a trimmed, bounded form value.
func field(req *http.Request, name string) string {
	v := strings.TrimSpace(req.PostForm.Get(name))
	if len(v) > 512 {
		v = v[:512]
	}
	return v
}

// formError translates err for a form: the problem code's message (the
// same catalog the API uses) and one line per offending field. Internal
// errors are logged and shown as the generic message. It also returns the
// HTTP status the page is answered with.
func (h *handlers) formError(req *http.Request, lang i18n.Lang, err error) (Form, int) {
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind == errs.Internal {
		h.log.ErrorContext(req.Context(), "page action failed", slog.String("path", req.URL.Path), slog.Any("error", err))
		return Form{Error: i18n.T(lang, "page.error.internal.text", nil)}, http.StatusInternalServerError
	}
	code := e.Code
	if code == "" {
		code = e.Kind.String()
	}
	params := map[string]any{"request_id": ""}
	if len(e.Fields) > 0 {
		maps.Copy(params, e.Fields[0].Params)
		params["field"] = e.Fields[0].Field
	}
	maps.Copy(params, e.Params)
	key := "error." + code
	if !i18n.Has(key) {
		key = "error." + e.Kind.String()
	}
	f := Form{Error: i18n.T(lang, key, params)}
	for _, fe := range e.Fields {
		fp := map[string]any{"field": fe.Field}
		maps.Copy(fp, fe.Params)
		rk := "rule." + fe.Rule
		if !i18n.Has(rk) {
			rk = "rule.invalid"
		}
		f.FieldErrors = append(f.FieldErrors, i18n.T(lang, rk, fp))
	}
	return f, statusOf(e.Kind)
}

// statusOf is the page status of an error kind (the API's table, for the
// kinds a form can meet).
func statusOf(k errs.Kind) int {
	switch k {
	case errs.Invalid:
		return http.StatusUnprocessableEntity
	case errs.NotFound:
		return http.StatusNotFound
	case errs.Conflict:
		return http.StatusConflict
	case errs.Unauthenticated:
		return http.StatusUnauthorized
	case errs.Forbidden:
		return http.StatusForbidden
	case errs.RateLimited:
		return http.StatusTooManyRequests
	case errs.Unavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// notices are the success messages a redirect may ask for (?done=…); only
// these keys are ever shown.
var notices = map[string]string{
	"reset":      "page.notice.password_reset",
	"registered": "page.notice.registered",
	"profile":    "page.notice.profile_saved",
	"contact":    "page.notice.contact_changed",
	"password":   "page.notice.password_changed",
	"totp_off":   "page.notice.totp_disabled",
	"session":    "page.notice.session_ended",
	"revoked":    "page.notice.key_revoked",
	"read":       "page.notice.marked_read",
	"staff":      "page.notice.staff_saved",
	"signed_out": "page.notice.signed_out",
	"resent":     "page.notice.resent",
}

// doneNotice is the translated notice a redirect asked for, or "".
func doneNotice(req *http.Request, lang i18n.Lang) string {
	if k, ok := notices[req.URL.Query().Get("done")]; ok {
		return i18n.T(lang, k, nil)
	}
	return ""
}

func urlQuery(s string) string { return url.QueryEscape(s) }

// isRejection reports whether err says a credential is not (or no longer)
// good, rather than that the backend failed.
func isRejection(err error) bool {
	switch errs.KindOf(err) {
	case errs.Unauthenticated, errs.NotFound, errs.Forbidden, errs.Invalid:
		return true
	}
	return false
}

// statusOfErr is the page status of an error.
func statusOfErr(err error) int { return statusOf(errs.KindOf(err)) }
