package pages

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"image/png"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
	"yuanxu/internal/web/webctx"
)

// accountSub is the sub-navigation of the account pages.
func accountSub(current string) []AccountNav {
	items := []AccountNav{
		{ID: "profile", LabelKey: "page.account.nav.profile", Href: "/account"},
		{ID: "security", LabelKey: "page.account.nav.security", Href: "/account/security"},
		{ID: "sessions", LabelKey: "page.account.nav.sessions", Href: "/account/sessions"},
		{ID: "keys", LabelKey: "page.account.nav.keys", Href: "/account/api-keys"},
		{ID: "inbox", LabelKey: "page.account.nav.inbox", Href: "/account/inbox"},
		{ID: "kyc", LabelKey: "page.kyc.nav", Href: "/account/kyc"},
		{ID: "privacy", LabelKey: "page.privacy.nav", Href: "/account/privacy"},
	}
	for i := range items {
		items[i].Current = items[i].ID == current
	}
	return items
}

func (h *handlers) accountPage(req *http.Request, titleKey, sub string) AccountPage {
	a := AccountPage{Page: h.page(req, titleKey, portalNav(), "account"), Sub: accountSub(sub)}
	a.Notice = doneNotice(req, a.Lang)
	return a
}

func summary(v app.AccountView) AccountSummary {
	s := AccountSummary{ID: v.ID, Kind: string(v.Kind), DisplayName: v.DisplayName, Email: v.EmailMasked, Phone: v.PhoneMasked, Lang: v.Lang,
		EmailVerified: v.EmailVerified, PhoneVerified: v.PhoneVerified, TOTPEnabled: v.TOTPEnabled, MarketingOptOut: v.MarketingOptOut}
	for _, r := range v.Roles {
		s.Roles = append(s.Roles, string(r))
	}
	for _, sc := range v.Scopes {
		s.Scopes = append(s.Scopes, string(sc))
	}
	return s
}

// profile shows the profile, notification preferences and contact change.
func (h *handlers) profile(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := ProfileView{AccountPage: h.accountPage(req, "page.account.title", "profile")}
	h.renderProfile(w, req, p, &v, http.StatusOK)
}

func (h *handlers) renderProfile(w http.ResponseWriter, req *http.Request, p webctx.Principal, v *ProfileView, status int) {
	me, err := h.app.Me(req.Context(), p.Principal)
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	v.Account = summary(me)
	h.r.render(w, req, status, tmplAccountProfile, v.Lang, v)
}

// profilePost saves the display name, language and marketing opt-out. A
// new language becomes the pages' language at once.
func (h *handlers) profilePost(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	name, lang, optOut := field(req, "display_name"), field(req, "lang"), req.PostForm.Get("marketing_opt_out") == "yes"
	v, err := h.app.UpdateProfile(req.Context(), p.Principal, app.ProfileUpdate{DisplayName: &name, Lang: &lang, MarketingOptOut: &optOut})
	if err != nil {
		pv := ProfileView{AccountPage: h.accountPage(req, "page.account.title", "profile")}
		pv.Form, _ = h.formError(req, pv.Lang, err)
		h.renderProfile(w, req, p, &pv, statusOfErr(err))
		return
	}
	setLangCookie(w, req, v.Lang)
	http.Redirect(w, req, "/account?done=profile", http.StatusSeeOther)
}

// contactPost changes the email or phone: action=send re-authenticates
// with the password (and TOTP) and sends a code to the new address;
// action=confirm checks the code.
func (h *handlers) contactPost(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	ctx := req.Context()
	v := ProfileView{AccountPage: h.accountPage(req, "page.account.title", "profile")}
	v.ContactKind, v.ContactAddress = field(req, "kind"), field(req, "address")
	if v.ContactKind != "phone" {
		v.ContactKind = "email"
	}
	v.ContactCodeID, v.ContactSentTo = field(req, "code_id"), field(req, "sent_to")
	var err error
	if req.PostForm.Get("action") == "confirm" {
		if v.ContactKind == "email" {
			err = h.app.ChangeEmail(ctx, p.Principal, p.SessionToken, v.ContactAddress, v.ContactCodeID, field(req, "code"))
		} else {
			err = h.app.ChangePhone(ctx, p.Principal, p.SessionToken, v.ContactAddress, v.ContactCodeID, field(req, "code"))
		}
		if err == nil {
			http.Redirect(w, req, "/account?done=contact", http.StatusSeeOther)
			return
		}
	} else {
		err = h.app.Reauthenticate(ctx, p.SessionToken, req.PostForm.Get("password"), field(req, "totp"))
		if err == nil {
			purpose := account.PurposeChangeEmail
			if v.ContactKind == "phone" {
				purpose = account.PurposeChangePhone
			}
			var t app.CodeTicket
			if t, err = h.app.SendCode(ctx, purpose, v.ContactAddress, string(v.Lang)); err == nil {
				v.ContactCodeID, v.ContactSentTo = t.ID, t.SentToMasked
				v.Notice = i18n.T(v.Lang, "page.register.code_sent", map[string]any{"to": t.SentToMasked})
			}
		}
	}
	status := http.StatusOK
	if err != nil {
		v.Form, _ = h.formError(req, v.Lang, err)
		status = statusOfErr(err)
	}
	h.renderProfile(w, req, p, &v, status)
}

// security shows the password change and two-factor state.
func (h *handlers) security(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := SecurityView{AccountPage: h.accountPage(req, "page.security.title", "security")}
	h.renderSecurity(w, req, p, &v, http.StatusOK)
}

func (h *handlers) renderSecurity(w http.ResponseWriter, req *http.Request, p webctx.Principal, v *SecurityView, status int) {
	me, err := h.app.Me(req.Context(), p.Principal)
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	v.TOTPEnabled = me.TOTPEnabled
	h.r.render(w, req, status, tmplAccountSecurity, v.Lang, v)
}

// securityPost handles the security forms by action: password (re-auth
// then change), totp_begin (re-auth then show the QR code), totp_enable
// (check a code, show the recovery codes once), totp_disable.
func (h *handlers) securityPost(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if !h.parseForm(w, req) {
		return
	}
	ctx := req.Context()
	v := SecurityView{AccountPage: h.accountPage(req, "page.security.title", "security")}
	v.Notice = ""
	reauth := func() error {
		return h.app.Reauthenticate(ctx, p.SessionToken, req.PostForm.Get("password"), field(req, "totp"))
	}
	var err error
	switch req.PostForm.Get("action") {
	case "password":
		if err = reauth(); err == nil {
			if err = h.app.ChangePassword(ctx, p.Principal, p.SessionToken, req.PostForm.Get("new_password")); err == nil {
				http.Redirect(w, req, "/account/security?done=password", http.StatusSeeOther)
				return
			}
		}
	case "totp_begin":
		if err = reauth(); err == nil {
			var k account.TOTPKey
			if k, err = h.app.TOTPBegin(ctx, p.Principal, p.SessionToken); err == nil {
				v.Setup, err = totpSetup(k)
			}
		}
	case "totp_enable":
		var codes []string
		if codes, err = h.app.TOTPEnable(ctx, p.Principal, p.SessionToken, field(req, "code")); err == nil {
			v.RecoveryCodes = codes
			v.Notice = i18n.T(v.Lang, "page.security.totp_enabled", nil)
		} else if k := field(req, "secret"); k != "" {
			// Show the same secret again so the customer can retry.
			v.Setup, _ = totpSetup(account.TOTPKey{Secret: k, URL: field(req, "url")})
		}
	case "totp_disable":
		if err = h.app.TOTPDisable(ctx, p.Principal, p.SessionToken, field(req, "code")); err == nil {
			http.Redirect(w, req, "/account/security?done=totp_off", http.StatusSeeOther)
			return
		}
	default:
		h.errorPage(w, req, http.StatusBadRequest, "page.error.bad_request.title", "page.error.bad_request.text")
		return
	}
	status := http.StatusOK
	if err != nil {
		v.Form, _ = h.formError(req, v.Lang, err)
		status = statusOfErr(err)
	}
	h.renderSecurity(w, req, p, &v, status)
}

// totpSetup renders the otpauth URL as a QR code PNG data URL.
func totpSetup(k account.TOTPKey) (*TOTPSetup, error) {
	s := &TOTPSetup{Secret: k.Secret, URL: k.URL}
	if !strings.HasPrefix(k.URL, "otpauth://") {
		return s, nil
	}
	key, err := otp.NewKeyFromURL(k.URL)
	if err != nil {
		return nil, fmt.Errorf("totp url: %w", err)
	}
	img, err := key.Image(220, 220)
	if err != nil {
		return nil, fmt.Errorf("totp qr: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("totp qr: %w", err)
	}
	// Trusted: our own PNG, base64 (no quote or markup can appear in it).
	s.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()))
	return s, nil
}

// sessions lists the account's sessions with end buttons.
func (h *handlers) sessions(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := SessionsView{AccountPage: h.accountPage(req, "page.sessions.title", "sessions")}
	ss, err := h.app.Sessions(req.Context(), p.Principal, p.SessionToken)
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	for _, s := range ss {
		v.Sessions = append(v.Sessions, SessionRow{ID: s.ID, ClientIP: s.ClientIP, UserAgent: s.UserAgent,
			Created: shortTime(s.CreatedAt), LastSeen: shortTime(s.LastSeenAt), Current: s.Current})
	}
	h.r.render(w, req, http.StatusOK, tmplAccountSessions, v.Lang, v)
}

// endSession ends one session; ending the current one signs out.
func (h *handlers) endSession(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if err := h.app.EndSession(req.Context(), p.Principal, req.PathValue("id")); err != nil {
		h.actionError(w, req, err)
		return
	}
	http.Redirect(w, req, "/account/sessions?done=session", http.StatusSeeOther)
}

// logoutAll ends every session of the account.
func (h *handlers) logoutAll(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if err := h.app.LogoutEverywhere(req.Context(), p.Principal); err != nil {
		h.actionError(w, req, err)
		return
	}
	setSession(w, req, "")
	http.Redirect(w, req, "/login?done=signed_out", http.StatusSeeOther)
}

// apiKeys lists API keys; POST creates one and shows it once.
func (h *handlers) apiKeys(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := KeysView{AccountPage: h.accountPage(req, "page.keys.title", "keys")}
	status := http.StatusOK
	if req.Method == http.MethodPost {
		if !h.parseForm(w, req) {
			return
		}
		v.Notice = ""
		var exp time.Time
		_, full, err := h.app.APIKeyCreate(req.Context(), p.Principal, field(req, "name"), req.PostForm["scope"], exp)
		if err != nil {
			v.Form, _ = h.formError(req, v.Lang, err)
			status = statusOfErr(err)
		} else {
			v.NewKey = full
		}
	}
	ks, err := h.app.APIKeys(req.Context(), p.Principal)
	if err != nil {
		h.actionError(w, req, err)
		return
	}
	for _, k := range ks {
		v.Keys = append(v.Keys, KeyRow{ID: k.ID, Name: k.Name, Display: k.Display, Scopes: strings.Join(k.Scopes, ", "),
			Created: shortTime(k.CreatedAt), LastUsed: shortTime(k.LastUsedAt), Revoked: !k.RevokedAt.IsZero()})
	}
	v.Scopes = keyScopes(p.Principal)
	h.r.render(w, req, status, tmplAccountKeys, v.Lang, v)
}

// keyScopes lists the permissions the principal holds that an API key may
// carry.
func keyScopes(p account.Principal) []string {
	var out []string
	for _, s := range account.Catalog() {
		if s.APIKey && p.Holds(s.ID) {
			out = append(out, string(s.ID))
		}
	}
	return out
}

func (h *handlers) revokeKey(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if err := h.app.APIKeyRevoke(req.Context(), p.Principal, req.PathValue("id")); err != nil {
		h.actionError(w, req, err)
		return
	}
	http.Redirect(w, req, "/account/api-keys?done=revoked", http.StatusSeeOther)
}

// inbox lists in-app notifications.
func (h *handlers) inbox(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	v := InboxView{AccountPage: h.accountPage(req, "page.inbox.title", "inbox"), UnreadOnly: req.URL.Query().Get("unread") == "1"}
	if err := h.app.Authorize(req.Context(), p.Principal, "notification.manage_own", p.SelfObject()); err != nil {
		h.actionError(w, req, err)
		return
	}
	items, err := h.app.Inbox(req.Context(), p.AccountID, v.UnreadOnly, 100)
	if err != nil {
		h.internalError(w, req, err)
		return
	}
	for _, it := range items {
		v.Items = append(v.Items, InboxRow{ID: it.NotificationID, Title: it.Title, Body: it.Body, Created: shortTime(it.CreatedAt), Read: !it.ReadAt.IsZero()})
	}
	h.r.render(w, req, http.StatusOK, tmplAccountInbox, v.Lang, v)
}

func (h *handlers) markRead(w http.ResponseWriter, req *http.Request, p webctx.Principal) {
	if err := h.app.Authorize(req.Context(), p.Principal, "notification.manage_own", p.SelfObject()); err != nil {
		h.actionError(w, req, err)
		return
	}
	if err := h.app.InboxMarkRead(req.Context(), p.AccountID, req.PathValue("id")); err != nil {
		h.actionError(w, req, err)
		return
	}
	http.Redirect(w, req, "/account/inbox?done=read", http.StatusSeeOther)
}

// actionError answers a failed button (no form to show again) with the
// error page of its status.
func (h *handlers) actionError(w http.ResponseWriter, req *http.Request, err error) {
	switch statusOfErr(err) {
	case http.StatusNotFound:
		h.errorPage(w, req, http.StatusNotFound, "page.error.not_found.title", "page.error.not_found.text")
	case http.StatusForbidden:
		h.errorPage(w, req, http.StatusForbidden, "page.error.forbidden.title", "page.error.forbidden.text")
	case http.StatusUnauthorized:
		redirectToLogin(w, req, "/login")
	case http.StatusInternalServerError:
		h.internalError(w, req, err)
	default:
		h.errorPage(w, req, http.StatusBadRequest, "page.error.bad_request.title", "page.error.bad_request.text")
	}
}
