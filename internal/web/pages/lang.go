package pages

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
)

// langCookieMaxAge is how long a chosen language is remembered.
const langCookieMaxAge = 365 * 24 * time.Hour

// setLang handles POST /lang: form field lang (zh-CN or en) and next, the
// local path to return to. It sets the language cookie and answers 303 to
// next, or to "/" when next is missing or not a local path (never an open
// redirect). For a signed-in account it also becomes the profile's
// language (notifications, the next sign-in); failing to save it is logged
// and does not stop the switch. An unsupported lang is a 400 page and sets
// nothing.
func (h *handlers) setLang(w http.ResponseWriter, req *http.Request) {
	req.Body = http.MaxBytesReader(w, req.Body, 4<<10)
	if err := req.ParseForm(); err != nil {
		h.errorPage(w, req, http.StatusBadRequest, "page.error.bad_request.title", "page.error.bad_request.text")
		return
	}
	lang, ok := parseLangField(req.PostForm.Get("lang"))
	if !ok {
		h.errorPage(w, req, http.StatusBadRequest, "page.error.bad_request.title", "page.error.bad_language.text")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     i18n.CookieName,
		Value:    string(lang),
		Path:     "/",
		MaxAge:   int(langCookieMaxAge / time.Second),
		Expires:  time.Now().Add(langCookieMaxAge), // wall time: the browser's clock decides
		HttpOnly: true,
		Secure:   req.TLS != nil,
		SameSite: http.SameSiteLaxMode,
	})
	if p, ok := principal(req); ok {
		l := string(lang)
		if _, err := h.app.UpdateProfile(req.Context(), p.Principal, app.ProfileUpdate{Lang: &l}); err != nil {
			h.log.WarnContext(req.Context(), "saving the chosen language", slog.String("account", p.AccountID), slog.Any("error", err))
		}
	}
	next := req.PostForm.Get("next")
	if !isLocalPath(next) {
		next = "/"
	}
	http.Redirect(w, req, next, http.StatusSeeOther)
}

// parseLangField accepts exactly the supported tags, "zh-CN" and "en".
func parseLangField(v string) (i18n.Lang, bool) {
	for _, l := range i18n.Langs {
		if v == string(l) {
			return l, true
		}
	}
	return "", false
}

// isLocalPath reports whether next is a path on this site: it starts with
// one "/", has no scheme, host, backslash or control character, and stays a
// path after URL parsing and decoding. "//evil.example", "/\evil.example",
// "https://evil.example" and "javascript:…" are all rejected.
func isLocalPath(next string) bool {
	if next == "" || len(next) > 2048 || next[0] != '/' {
		return false
	}
	if strings.HasPrefix(next, "//") || strings.ContainsAny(next, `\`) || hasControl(next) {
		return false
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return false
	}
	// The decoded path must hold no tricks either ("/%2F/host", "%0d%0a").
	return strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//") &&
		!strings.Contains(u.Path, `\`) && !hasControl(u.Path)
}

func hasControl(s string) bool {
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return true
		}
	}
	return false
}
