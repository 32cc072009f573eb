package pages

import (
	"net/http"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/web/i18n"
)

// loginTarget is where a sign-in form posts and lands, customer or staff.
type loginTarget struct {
	staff              bool
	action, second     string // the form and the second-factor step
	home               string // where to go by default afterwards
	tmpl, tmplSecond   string
	titleKey, navOwner string
}

var (
	portalLogin  = loginTarget{action: "/login", second: "/login/second-factor", home: "/account", tmpl: tmplLogin, tmplSecond: tmplSecondFactor, titleKey: "page.login.title", navOwner: "account"}
	consoleLogin = loginTarget{staff: true, action: "/console/login", second: "/console/login/second-factor", home: "/console/", tmpl: tmplConsoleLogin, tmplSecond: tmplConsoleSecondFactor, titleKey: "page.console_login.title"}
)

func (h *handlers) loginPage(req *http.Request, t loginTarget) LoginStep {
	nav, cur := portalNav(), t.navOwner
	if t.staff {
		nav = consoleNav()
	}
	v := LoginStep{Page: h.page(req, t.titleKey, nav, cur), Action: t.action, After: nextOr(req, t.home), Staff: t.staff}
	v.Notice = doneNotice(req, v.Lang)
	return v
}

// login renders the customer sign-in form.
func (h *handlers) login(w http.ResponseWriter, req *http.Request) {
	v := h.loginPage(req, portalLogin)
	h.r.render(w, req, http.StatusOK, tmplLogin, v.Lang, v)
}

// consoleLogin renders the staff sign-in form.
func (h *handlers) consoleLogin(w http.ResponseWriter, req *http.Request) {
	v := h.loginPage(req, consoleLogin)
	h.r.render(w, req, http.StatusOK, tmplConsoleLogin, v.Lang, v)
}

func (h *handlers) loginPost(w http.ResponseWriter, req *http.Request) {
	h.signIn(w, req, portalLogin)
}

func (h *handlers) consoleLoginPost(w http.ResponseWriter, req *http.Request) {
	h.signIn(w, req, consoleLogin)
}

// signIn handles a sign-in form: the password (and a challenge code when
// the throttle asked for one; for staff, the one-time code in the same
// form). On success it sets the session cookie and the account's language
// and answers 303 to next; with two-factor pending, to the second step.
func (h *handlers) signIn(w http.ResponseWriter, req *http.Request, t loginTarget) {
	if !h.parseForm(w, req) {
		return
	}
	v := h.loginPage(req, t)
	v.Notice = ""
	v.Identifier = field(req, "identifier")
	res, err := h.app.Login(req.Context(), app.LoginInput{
		Login: v.Identifier, Password: req.PostForm.Get("password"), DeviceToken: cookie(req, deviceCookie),
		ChallengeCodeID: field(req, "challenge_id"), ChallengeCode: field(req, "challenge_code"),
		UserAgent: req.UserAgent(), Staff: t.staff,
	})
	if err != nil {
		var status int
		v.Form, status = h.formError(req, v.Lang, err)
		h.r.render(w, req, status, t.tmpl, v.Lang, v)
		return
	}
	if res.NeedsChallenge {
		v.ChallengeID, v.ChallengeSentTo = res.Challenge.ID, res.Challenge.SentToMasked
		v.Notice = i18n.T(v.Lang, "page.login.challenge_sent", map[string]any{"to": res.Challenge.SentToMasked})
		h.r.render(w, req, http.StatusOK, t.tmpl, v.Lang, v)
		return
	}
	setSession(w, req, res.SessionToken)
	setDevice(w, req, res.DeviceToken)
	setLangCookie(w, req, res.Account.Lang)
	if res.NeedsTOTP {
		if otp := field(req, "otp"); otp != "" {
			tok, err := h.app.LoginSecondFactor(req.Context(), res.SessionToken, otp)
			if err != nil {
				v.Lang = i18n.FromRequest(req)
				sv := SecondFactorView{Page: h.page(req, t.titleKey, v.Nav, ""), Action: t.second, After: v.After}
				var status int
				sv.Form, status = h.formError(req, sv.Lang, err)
				h.r.render(w, req, status, t.tmplSecond, sv.Lang, sv)
				return
			}
			setSession(w, req, tok)
			http.Redirect(w, req, v.After, http.StatusSeeOther)
			return
		}
		http.Redirect(w, req, t.second+"?next="+urlQuery(v.After), http.StatusSeeOther)
		return
	}
	http.Redirect(w, req, v.After, http.StatusSeeOther)
}

func (h *handlers) secondFactor(w http.ResponseWriter, req *http.Request) {
	h.secondFactorStep(w, req, portalLogin)
}

func (h *handlers) consoleSecondFactor(w http.ResponseWriter, req *http.Request) {
	h.secondFactorStep(w, req, consoleLogin)
}

// secondFactorStep shows (GET) or checks (POST) the TOTP step. Without a
// pending session cookie it sends the visitor back to the sign-in form.
func (h *handlers) secondFactorStep(w http.ResponseWriter, req *http.Request, t loginTarget) {
	nav := portalNav()
	if t.staff {
		nav = consoleNav()
	}
	tok := cookie(req, "yuanxu_session")
	if tok == "" {
		http.Redirect(w, req, t.action, http.StatusSeeOther)
		return
	}
	v := SecondFactorView{Page: h.page(req, t.titleKey, nav, t.navOwner), Action: t.second, After: nextOr(req, t.home)}
	if req.Method == http.MethodGet {
		h.r.render(w, req, http.StatusOK, t.tmplSecond, v.Lang, v)
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	v.After = nextOr(req, t.home)
	tok, err := h.app.LoginSecondFactor(req.Context(), tok, field(req, "code"))
	if err != nil {
		var status int
		v.Form, status = h.formError(req, v.Lang, err)
		h.r.render(w, req, status, t.tmplSecond, v.Lang, v)
		return
	}
	setSession(w, req, tok)
	http.Redirect(w, req, v.After, http.StatusSeeOther)
}

// logout ends the session (if any), clears the cookie and answers 303 to
// the sign-in page with a notice.
func (h *handlers) logout(w http.ResponseWriter, req *http.Request) {
	h.signOut(w, req, "/login?done=signed_out")
}

func (h *handlers) consoleLogout(w http.ResponseWriter, req *http.Request) {
	h.signOut(w, req, "/console/login?done=signed_out")
}

func (h *handlers) signOut(w http.ResponseWriter, req *http.Request, to string) {
	if tok := cookie(req, "yuanxu_session"); tok != "" {
		if err := h.app.Logout(req.Context(), tok); err != nil && !isRejection(err) {
			h.internalError(w, req, err)
			return
		}
	}
	setSession(w, req, "")
	http.Redirect(w, req, to, http.StatusSeeOther)
}

// register shows the registration form (GET) or handles one of its three
// buttons (POST action=send_email, send_phone or register). Sending a code
// keeps what was typed (except the password) and the other code's id.
func (h *handlers) register(w http.ResponseWriter, req *http.Request) {
	v := RegisterView{Page: h.page(req, "page.register.title", portalNav(), "account"), Kind: string(account.KindIndividual)}
	if set, id, err := h.policyInForce(req.Context()); err == nil && set != nil {
		v.AgreementVersion = id
	}
	v.KeyClauses, v.AgreementVersion, v.AgreementSHA256 = h.registerKeyClauses(req, v.Lang, nil) // agreement.go
	if req.Method == http.MethodGet {
		h.r.render(w, req, http.StatusOK, tmplRegister, v.Lang, v)
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	v.Kind, v.DisplayName, v.Email, v.Phone = field(req, "kind"), field(req, "display_name"), field(req, "email"), field(req, "phone")
	v.EnterpriseName, v.USCC = field(req, "enterprise_name"), field(req, "uscc")
	v.EmailCodeID, v.EmailSentTo, v.PhoneCodeID, v.PhoneSentTo = field(req, "email_code_id"), field(req, "email_sent_to"), field(req, "phone_code_id"), field(req, "phone_sent_to")
	v.Accepted = req.PostForm.Get("accept") == "yes"
	v.KeyClauses, _, _ = h.registerKeyClauses(req, v.Lang, req.PostForm["ack"])
	ctx := req.Context()
	status := http.StatusOK
	switch req.PostForm.Get("action") {
	case "send_email", "send_phone":
		purpose, target := account.PurposeRegisterEmail, v.Email
		if req.PostForm.Get("action") == "send_phone" {
			purpose, target = account.PurposeRegisterPhone, v.Phone
		}
		t, err := h.app.SendCode(ctx, purpose, target, string(v.Lang))
		if err != nil {
			v.Form, status = h.formError(req, v.Lang, err)
			break
		}
		if purpose == account.PurposeRegisterEmail {
			v.EmailCodeID, v.EmailSentTo = t.ID, t.SentToMasked
		} else {
			v.PhoneCodeID, v.PhoneSentTo = t.ID, t.SentToMasked
		}
		v.Notice = i18n.T(v.Lang, "page.register.code_sent", map[string]any{"to": t.SentToMasked})
	default:
		_, err := h.app.Register(ctx, app.RegisterInput{Kind: v.Kind, DisplayName: v.DisplayName, Email: v.Email, Phone: v.Phone,
			Password: req.PostForm.Get("password"), EnterpriseName: v.EnterpriseName, USCC: v.USCC, Lang: string(v.Lang),
			EmailCodeID: v.EmailCodeID, EmailCode: field(req, "email_code"), PhoneCodeID: v.PhoneCodeID, PhoneCode: field(req, "phone_code"),
			AcceptAgreement: v.Accepted, AcknowledgedClauses: req.PostForm["ack"], AgreementSHA256: field(req, "agreement_sha256"), UserAgent: req.UserAgent()})
		if err != nil {
			v.Form, status = h.formError(req, v.Lang, err)
			break
		}
		http.Redirect(w, req, "/login?done=registered", http.StatusSeeOther)
		return
	}
	h.r.render(w, req, status, tmplRegister, v.Lang, v)
}

// passwordReset shows the request step (GET), sends the code (POST with
// login) and then shows the confirm step.
func (h *handlers) passwordReset(w http.ResponseWriter, req *http.Request) {
	v := ResetView{Page: h.page(req, "page.reset.title", portalNav(), "account")}
	if req.Method == http.MethodGet {
		h.r.render(w, req, http.StatusOK, tmplReset, v.Lang, v)
		return
	}
	if !h.parseForm(w, req) {
		return
	}
	v.Login = field(req, "login")
	t, err := h.app.StartPasswordReset(req.Context(), v.Login, string(v.Lang))
	status := http.StatusOK
	if err != nil {
		v.Form, status = h.formError(req, v.Lang, err)
	} else {
		v.Confirm, v.CodeID, v.SentTo = true, t.ID, t.SentToMasked
		v.Notice = i18n.T(v.Lang, "page.reset.sent", nil)
	}
	h.r.render(w, req, status, tmplReset, v.Lang, v)
}

// passwordResetConfirm sets the new password and sends the visitor to the
// sign-in page.
func (h *handlers) passwordResetConfirm(w http.ResponseWriter, req *http.Request) {
	if !h.parseForm(w, req) {
		return
	}
	v := ResetView{Page: h.page(req, "page.reset.title", portalNav(), "account"), Confirm: true,
		Login: field(req, "login"), CodeID: field(req, "code_id"), SentTo: field(req, "sent_to")}
	err := h.app.ResetPassword(req.Context(), app.ResetInput{Login: v.Login, CodeID: v.CodeID, Code: field(req, "code"),
		NewPassword: req.PostForm.Get("new_password"), TOTP: field(req, "totp")})
	if err != nil {
		var status int
		v.Form, status = h.formError(req, v.Lang, err)
		h.r.render(w, req, status, tmplReset, v.Lang, v)
		return
	}
	http.Redirect(w, req, "/login?done=reset", http.StatusSeeOther)
}
