package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/mailpittest"
	"yuanxu/internal/web"
	"yuanxu/internal/webtest"
)

// The accounts API end to end: registration with codes that travel the
// production path, refusals with bilingual problems, TOTP sign-in, API
// keys, sub-user scopes, other customers' objects, sign-out everywhere and
// credential stuffing.

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// accountsServer is a sandbox server that believes X-Forwarded-For from
// loopback (each client picks its own address).
func accountsServer(t *testing.T, mod func(*webtest.Options)) *webtest.Server {
	t.Helper()
	o := &webtest.Options{Sandbox: true, TrustedProxies: loopback}
	if mod != nil {
		mod(o)
	}
	return webtest.NewServer(t, o)
}

// lang is one language of the problems and messages.
type lang struct {
	name, accept string
}

var langs = []lang{{"zh-CN", "zh-CN,zh;q=0.9"}, {"en", "en-US,en;q=0.9"}}

// pick returns the message of l among the zh-CN and English ones.
func (l lang) pick(zh, en string) string {
	if l.name == "en" {
		return en
	}
	return zh
}

// client is a new client from its own address, in l.
func client(s *webtest.Server, l lang) *webtest.Client {
	return s.NewClient("Accept-Language", l.accept, "X-Forwarded-For", webtest.UniqueIP())
}

// wantProblem checks a problem's status, code and message, and that it
// names field when field is not "".
func wantProblem(t *testing.T, res *webtest.Response, status int, code, detail, field string) webtest.Problem {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
	p := res.Problem(t)
	if p.Code != code {
		t.Errorf("code %q, want %q: %s", p.Code, code, res.Body)
	}
	if detail != "" && p.Detail != detail {
		t.Errorf("detail %q, want %q", p.Detail, detail)
	}
	if field != "" {
		if _, ok := p.Field(field); !ok {
			t.Errorf("no error on %s: %+v", field, p.Errors)
		}
	}
	return p
}

type keyCreated struct {
	Key    string         `json:"key"`
	APIKey web.APIKeyBody `json:"api_key"`
}

type keyList struct {
	APIKeys []web.APIKeyBody `json:"api_keys"`
}

type accountList struct {
	Accounts []web.AccountBody `json:"accounts"`
}

type recoveryCodes struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

type smsOutbox struct {
	Messages []web.SandboxSMSBody `json:"messages"`
}

type sessionList struct {
	Sessions []web.SessionBody `json:"sessions"`
}

// register registers an individual through the API with codes read back
// from the notification store and returns its account.
func register(t *testing.T, s *webtest.Server, c *webtest.Client, email, phone, password string) web.AccountBody {
	t.Helper()
	et := sendCode(t, c, "register_email", email)
	pt := sendCode(t, c, "register_phone", phone)
	res := c.Do(t, "POST", "/api/v1/accounts", registration(email, phone, password, et.ID, s.CodeOf(t, et.ID), pt.ID, s.CodeOf(t, pt.ID)))
	return webtest.Decode[web.AccountBody](t, res, http.StatusCreated)
}

func sendCode(t *testing.T, c *webtest.Client, purpose, target string) web.CodeTicketBody {
	t.Helper()
	return webtest.Decode[web.CodeTicketBody](t, c.Do(t, "POST", "/api/v1/auth/codes", map[string]string{"purpose": purpose, "target": target}), http.StatusAccepted)
}

func registration(email, phone, password, emailID, emailCode, phoneID, phoneCode string) map[string]any {
	return map[string]any{"kind": "individual", "display_name": "李雷", "email": email, "phone": phone, "password": password,
		"email_code_id": emailID, "email_code": emailCode, "phone_code_id": phoneID, "phone_code": phoneCode, "accept_agreement": true,
		"acknowledged_clauses": app.DefaultKeyClauses()}
}

// login signs c in (portal) and returns the answer.
func login(t *testing.T, c *webtest.Client, loginName, password string) web.LoginBody {
	t.Helper()
	return webtest.Decode[web.LoginBody](t, c.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": loginName, "password": password}), http.StatusOK)
}

var han = regexp.MustCompile(`\p{Han}`)

// TestRegisterWithCodesFromMailAndSMS: a customer registers with the
// email code read from mailpit and the SMS code read from the sandbox SMS
// outbox through the staff API, then signs in.
func TestRegisterWithCodesFromMailAndSMS(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	s := accountsServer(t, func(o *webtest.Options) { o.SandboxSMS, o.SMTPURL = true, mp.SMTPURL("none") })
	support := s.NewStaff(t, account.RoleSupport)
	staff := s.NewClient("X-Forwarded-For", webtest.UniqueIP())
	webtest.Decode[web.LoginBody](t, staff.Do(t, "POST", "/api/v1/auth/login",
		map[string]any{"login": support.Email, "password": support.Password, "staff": true}), http.StatusOK)

	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			c := client(s, l)
			email, phone := webtest.Unique()
			et := sendCode(t, c, "register_email", email)
			if et.Channel != "email" || et.SentTo == email || !strings.Contains(et.SentTo, "*") || !et.ExpiresAt.After(time.Now()) {
				t.Errorf("email ticket %+v", et)
			}
			pt := sendCode(t, c, "register_phone", phone)
			if pt.Channel != "sms" || pt.SentTo == phone || !strings.Contains(pt.SentTo, "*") {
				t.Errorf("phone ticket %+v", pt)
			}

			// The email code, from mailpit.
			mail, emailCode := webtest.MailTo(t, mp, email)
			if zh := han.MatchString(mail.Subject); zh != (l.name == "zh-CN") {
				t.Errorf("subject %q is not in %s", mail.Subject, l.name)
			}
			if !strings.Contains(mail.Subject, emailCode) {
				t.Errorf("mail %q / %q", mail.Subject, mail.Text)
			}

			// The SMS code, from the sandbox SMS outbox (staff API).
			var phoneCode string
			for deadline := time.Now().Add(15 * time.Second); phoneCode == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				out := webtest.Decode[smsOutbox](t, staff.Do(t, "GET", "/api/v1/staff/sandbox/sms?phone="+phone, nil), http.StatusOK)
				if len(out.Messages) > 0 {
					if strings.Contains(out.Messages[0].To, phone) {
						t.Errorf("outbox shows the number unmasked: %q", out.Messages[0].To)
					}
					phoneCode = webtest.CodeIn(out.Messages[0].Text)
				}
			}
			if phoneCode == "" {
				t.Fatal("no SMS code in the sandbox outbox")
			}
			if phoneCode != s.CodeOf(t, pt.ID) || emailCode != s.CodeOf(t, et.ID) {
				t.Fatal("the delivered codes are not the issued ones")
			}

			res := c.Do(t, "POST", "/api/v1/accounts", registration(email, phone, webtest.Password, et.ID, emailCode, pt.ID, phoneCode))
			acc := webtest.Decode[web.AccountBody](t, res, http.StatusCreated)
			if acc.Kind != "individual" || !acc.EmailVerified || !acc.PhoneVerified || acc.Lang != l.name || acc.TOTPEnabled ||
				acc.Email == email || acc.Phone == phone || acc.ID == "" {
				t.Errorf("account %+v", acc)
			}
			lb := login(t, c, email, webtest.Password)
			if lb.NeedsTOTP || lb.NeedsChallenge || lb.Account == nil || lb.Account.ID != acc.ID {
				t.Errorf("login %+v", lb)
			}
			me := webtest.Decode[web.AccountBody](t, c.Do(t, "GET", "/api/v1/me", nil), http.StatusOK)
			if me.ID != acc.ID {
				t.Errorf("me %+v", me)
			}
			// The codes were used up.
			res = s.NewClient("X-Forwarded-For", webtest.UniqueIP()).Do(t, "POST", "/api/v1/accounts",
				registration("again."+email, "138"+phone[3:], webtest.Password, et.ID, emailCode, pt.ID, phoneCode))
			if res.Status != http.StatusUnprocessableEntity {
				t.Errorf("codes used twice: %d %s", res.Status, res.Body)
			}
		})
	}
}

// TestRegisterRefusals: wrong and expired codes, a common password, a
// duplicate email or phone: a bilingual problem naming the field, and
// nothing stored (the right codes still work afterwards).
func TestRegisterRefusals(t *testing.T) {
	t.Parallel()
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			s := accountsServer(t, nil)
			taken := s.NewCustomer(t, account.KindIndividual)
			c := client(s, l)
			email, phone := webtest.Unique()
			et, pt := sendCode(t, c, "register_email", email), sendCode(t, c, "register_phone", phone)
			ec, pc := s.CodeOf(t, et.ID), s.CodeOf(t, pt.ID)
			wrong := func(code string) string { return string('0'+(code[0]-'0'+1)%10) + code[1:] }

			res := c.Do(t, "POST", "/api/v1/accounts", registration(email, phone, webtest.Password, et.ID, wrong(ec), pt.ID, pc))
			wantProblem(t, res, 422, "code.mismatch", l.pick("验证码不正确。", "The code is wrong."), "body.email_code")

			res = c.Do(t, "POST", "/api/v1/accounts", registration(email, phone, "Password123", et.ID, ec, pt.ID, pc))
			p := res.Problem(t)
			if f, ok := p.Field("body.password"); res.Status != 422 || !ok || f.Rule != "not_common" || han.MatchString(f.Message) != (l.name == "zh-CN") {
				t.Errorf("common password: %d %s", res.Status, res.Body)
			}

			res = c.Do(t, "POST", "/api/v1/accounts", registration(taken.Email, phone, webtest.Password, et.ID, ec, pt.ID, pc))
			wantProblem(t, res, 409, "account.email_taken", l.pick("该邮箱已注册。", "This email is already registered."), "body.email")
			res = c.Do(t, "POST", "/api/v1/accounts", registration(email, taken.Phone, webtest.Password, et.ID, ec, pt.ID, pc))
			wantProblem(t, res, 409, "account.phone_taken", l.pick("该手机号已注册。", "This mobile number is already registered."), "body.phone")

			// Nothing was stored: no account, and the right codes still work.
			if res := c.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": email, "password": webtest.Password}); res.Status != 401 {
				t.Fatalf("an account exists after refusals: %d %s", res.Status, res.Body)
			}
			register := c.Do(t, "POST", "/api/v1/accounts", registration(email, phone, webtest.Password, et.ID, ec, pt.ID, pc))
			webtest.Decode[web.AccountBody](t, register, http.StatusCreated)

			// Expired: ten minutes of sandbox time later, fresh codes are refused.
			email2, phone2 := webtest.Unique()
			et2, pt2 := sendCode(t, c, "register_email", email2), sendCode(t, c, "register_phone", phone2)
			webtest.Decode[map[string]any](t, c.Do(t, "POST", "/api/v1/sandbox/clock", map[string]string{"advance": "10m1s"}), http.StatusOK)
			res = c.Do(t, "POST", "/api/v1/accounts", registration(email2, phone2, webtest.Password, et2.ID, s.CodeOf(t, et2.ID), pt2.ID, s.CodeOf(t, pt2.ID)))
			wantProblem(t, res, 422, "code.expired", l.pick("验证码已过期，请重新获取。", "The code has expired; request a new one."), "")
		})
	}
}

// totpCode is the TOTP code of secret for the 30-second step of at.
func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestLoginWithTOTP: two-factor setup through the API, then a sign-in
// that needs the second factor, with a TOTP step used only once and
// recovery codes that work once.
func TestLoginWithTOTP(t *testing.T) {
	t.Parallel()
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			s := accountsServer(t, nil)
			cust := s.NewCustomerIn(t, account.KindIndividual, l.name)
			c := client(s, l)
			login(t, c, cust.Email, cust.Password)

			// Setup needs a password entered within five minutes (sandbox
			// time; TOTP itself runs on wall time).
			webtest.Decode[map[string]any](t, c.Do(t, "POST", "/api/v1/sandbox/clock", map[string]string{"advance": "6m"}), http.StatusOK)
			wantProblem(t, c.Do(t, "POST", "/api/v1/me/totp", nil), 403, "session.reauth_required",
				l.pick("此操作需要重新验证密码（5 分钟内有效）。", "This needs your password again (valid for 5 minutes)."), "")
			if res := c.Do(t, "POST", "/api/v1/auth/reauth", map[string]string{"password": cust.Password}); res.Status != 204 {
				t.Fatalf("reauth: %d %s", res.Status, res.Body)
			}
			setup := webtest.Decode[web.TOTPSetupBody](t, c.Do(t, "POST", "/api/v1/me/totp", nil), http.StatusOK)
			if setup.Secret == "" || !strings.HasPrefix(setup.URL, "otpauth://totp/") {
				t.Fatalf("setup %+v", setup)
			}
			now := time.Now()
			wantProblem(t, c.Do(t, "POST", "/api/v1/me/totp/enable", map[string]string{"code": "000000"}), 422, "totp.invalid", "", "")
			rc := webtest.Decode[recoveryCodes](t, c.Do(t, "POST", "/api/v1/me/totp/enable", map[string]string{"code": totpCode(t, setup.Secret, now)}), http.StatusOK)
			if len(rc.RecoveryCodes) < 8 {
				t.Fatalf("recovery codes %v", rc.RecoveryCodes)
			}
			if me := webtest.Decode[web.AccountBody](t, c.Do(t, "GET", "/api/v1/me", nil), 200); !me.TOTPEnabled {
				t.Error("two-factor not shown as on")
			}
			if res := c.Do(t, "POST", "/api/v1/auth/logout", nil); res.Status != 204 {
				t.Fatalf("logout: %d", res.Status)
			}

			// Sign-in: the password opens a pending session only.
			lb := login(t, c, cust.Email, cust.Password)
			if !lb.NeedsTOTP {
				t.Fatalf("login without the second factor: %+v", lb)
			}
			pending := c.Cookie(web.SessionCookie)
			wantProblem(t, c.Do(t, "GET", "/api/v1/me", nil), 401, "unauthenticated", l.pick("请先登录。", "Please sign in first."), "")
			next := totpCode(t, setup.Secret, now.Add(30*time.Second)) // the enable code's step is used
			if res := c.Do(t, "POST", "/api/v1/auth/second-factor", map[string]string{"code": next}); res.Status != 204 {
				t.Fatalf("second factor: %d %s", res.Status, res.Body)
			}
			if tok := c.Cookie(web.SessionCookie); tok == "" || tok == pending {
				t.Error("the session token did not rotate")
			}
			webtest.Decode[web.AccountBody](t, c.Do(t, "GET", "/api/v1/me", nil), 200)

			// The same step again is refused; a recovery code works once.
			other := client(s, l)
			if lb := login(t, other, cust.Email, cust.Password); !lb.NeedsTOTP {
				t.Fatalf("second login: %+v", lb)
			}
			wantProblem(t, other.Do(t, "POST", "/api/v1/auth/second-factor", map[string]string{"code": next}), 422, "totp.reused",
				l.pick("该动态码已使用过，请等待下一个。", "That code was already used; wait for the next one."), "")
			if res := other.Do(t, "POST", "/api/v1/auth/second-factor", map[string]string{"code": rc.RecoveryCodes[0]}); res.Status != 204 {
				t.Fatalf("recovery code: %d %s", res.Status, res.Body)
			}
			third := client(s, l)
			login(t, third, cust.Email, cust.Password)
			wantProblem(t, third.Do(t, "POST", "/api/v1/auth/second-factor", map[string]string{"code": rc.RecoveryCodes[0]}), 422,
				"recovery_code.invalid", l.pick("恢复码无效或已使用。", "The recovery code is invalid or used."), "")
		})
	}
}

// TestAPIKeyLifecycle: a key is shown once, works as a bearer token within
// its scopes only, shows its last use, and stops working when revoked.
func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			s := accountsServer(t, nil)
			cust := s.NewCustomerIn(t, account.KindIndividual, l.name)
			c := client(s, l)
			login(t, c, cust.Email, cust.Password)
			created := webtest.Decode[keyCreated](t, c.Do(t, "POST", "/api/v1/me/api-keys",
				map[string]any{"name": "部署机器人", "scopes": []string{"notification.manage_own", "order.read"}}), http.StatusCreated)
			if created.Key == "" || strings.Contains(created.APIKey.Display, created.Key) || created.APIKey.LastUsedAt != nil {
				t.Fatalf("created %+v", created)
			}
			bearer := s.NewClient("Accept-Language", l.accept, "Authorization", "Bearer "+created.Key)
			webtest.Decode[map[string]any](t, bearer.Do(t, "GET", "/api/v1/me/inbox", nil), http.StatusOK)
			wantProblem(t, bearer.Do(t, "GET", "/api/v1/me/sessions", nil), 403, "authz.api_key_scope",
				l.pick("此 API 密钥未包含该权限（session.manage_own）。", "This API key does not carry this permission (session.manage_own)."), "")
			wantProblem(t, bearer.Do(t, "POST", "/api/v1/me/api-keys", map[string]any{"name": "x", "scopes": []string{"order.read"}}), 403,
				"auth.session_required", "", "")
			// A bearer token wins over a cookie: it never borrows a session.
			withCookie := s.NewClient("Authorization", "Bearer "+created.Key, "Cookie", web.SessionCookie+"="+c.Cookie(web.SessionCookie))
			if res := withCookie.Do(t, "GET", "/api/v1/me/sessions", nil); res.Status != 403 {
				t.Errorf("bearer with a session cookie: %d", res.Status)
			}

			list := webtest.Decode[keyList](t, c.Do(t, "GET", "/api/v1/me/api-keys", nil), http.StatusOK)
			if len(list.APIKeys) != 1 || list.APIKeys[0].ID != created.APIKey.ID || list.APIKeys[0].LastUsedAt == nil ||
				strings.Contains(string(c.Do(t, "GET", "/api/v1/me/api-keys", nil).Body), created.Key) {
				t.Errorf("list %+v", list)
			}
			if res := c.Do(t, "DELETE", "/api/v1/me/api-keys/"+created.APIKey.ID, nil); res.Status != 204 {
				t.Fatalf("revoke: %d %s", res.Status, res.Body)
			}
			wantProblem(t, bearer.Do(t, "GET", "/api/v1/me/inbox", nil), 401, "auth.invalid_token",
				l.pick("API 密钥无效、已过期或已被撤销。", "The API key is invalid, expired or revoked."), "")
			list = webtest.Decode[keyList](t, c.Do(t, "GET", "/api/v1/me/api-keys", nil), http.StatusOK)
			if len(list.APIKeys) != 1 || list.APIKeys[0].RevokedAt == nil {
				t.Errorf("after revoking: %+v", list)
			}
		})
	}
}

// TestSubUserBeyondScope: a sub-user acts within the scopes its
// enterprise delegated, and a change of scopes applies at once.
func TestSubUserBeyondScope(t *testing.T) {
	t.Parallel()
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			s := accountsServer(t, nil)
			ent := s.NewCustomerIn(t, account.KindEnterprise, l.name)
			owner := client(s, l)
			login(t, owner, ent.Email, ent.Password)
			email, phone := webtest.Unique()
			sub := webtest.Decode[web.AccountBody](t, owner.Do(t, "POST", "/api/v1/me/sub-users", map[string]any{"display_name": "王芳",
				"email": email, "phone": phone, "password": webtest.Password, "scopes": []string{"may_order"}}), http.StatusCreated)
			if sub.Kind != "sub_user" || sub.OwnerID != ent.ID || strings.Join(sub.Scopes, ",") != "may_order" {
				t.Fatalf("sub-user %+v", sub)
			}
			c := client(s, l)
			login(t, c, email, webtest.Password)
			// Problems follow the account's language once signed in.
			webtest.Decode[web.AccountBody](t, c.Do(t, "PATCH", "/api/v1/me", map[string]string{"lang": l.name}), http.StatusOK)
			wantProblem(t, c.Do(t, "GET", "/api/v1/me/sub-users", nil), 403, "authz.scope_missing", "", "")
			wantProblem(t, c.Do(t, "PUT", "/api/v1/me/sub-users/"+sub.ID+"/scopes", map[string]any{"scopes": []string{"may_request_refunds"}}),
				403, "authz.scope_missing", "", "")
			res := c.Do(t, "POST", "/api/v1/me/api-keys", map[string]any{"name": "refunds", "scopes": []string{"refund.request"}})
			p := wantProblem(t, res, 422, "api_key.scope_invalid",
				l.pick("API 密钥的权限范围无效或超出账户权限。", "A key scope is invalid or beyond the account's permissions."), "body.scopes.0")
			if f, _ := p.Field("body.scopes.0"); strings.Contains(strings.Join(toStrings(f.Params["allowed"]), ","), "refund.request") {
				t.Errorf("refund.request offered to a sub-user without may_request_refunds: %+v", f)
			}
			webtest.Decode[keyCreated](t, c.Do(t, "POST", "/api/v1/me/api-keys", map[string]any{"name": "orders", "scopes": []string{"order.read"}}), http.StatusCreated)

			// The owner delegates refunds: the sub-user may now.
			if res := owner.Do(t, "PUT", "/api/v1/me/sub-users/"+sub.ID+"/scopes", map[string]any{"scopes": []string{"may_order", "may_request_refunds"}}); res.Status != 204 {
				t.Fatalf("set scopes: %d %s", res.Status, res.Body)
			}
			webtest.Decode[keyCreated](t, c.Do(t, "POST", "/api/v1/me/api-keys", map[string]any{"name": "refunds", "scopes": []string{"refund.request"}}), http.StatusCreated)
			list := webtest.Decode[accountList](t, owner.Do(t, "GET", "/api/v1/me/sub-users", nil), http.StatusOK)
			if len(list.Accounts) != 1 || list.Accounts[0].ID != sub.ID {
				t.Errorf("sub-users %+v", list)
			}
		})
	}
}

func toStrings(v any) []string {
	var out []string
	if vs, ok := v.([]any); ok {
		for _, x := range vs {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestOtherCustomersObjectsAreNotFound: another customer's account, key and
// session answer exactly like ids that exist nowhere, and are untouched.
func TestOtherCustomersObjectsAreNotFound(t *testing.T) {
	t.Parallel()
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			s := accountsServer(t, nil)
			a, b := s.NewCustomerIn(t, account.KindIndividual, l.name), s.NewCustomerIn(t, account.KindEnterprise, l.name)
			ca, cb := client(s, l), client(s, l)
			login(t, ca, a.Email, a.Password)
			login(t, cb, b.Email, b.Password)
			bKey := webtest.Decode[keyCreated](t, cb.Do(t, "POST", "/api/v1/me/api-keys", map[string]any{"name": "b", "scopes": []string{"order.read"}}), 201)
			bSessions := webtest.Decode[sessionList](t, cb.Do(t, "GET", "/api/v1/me/sessions", nil), 200)
			if len(bSessions.Sessions) != 1 {
				t.Fatalf("b's sessions %+v", bSessions)
			}
			for _, tt := range []struct {
				method, path, id, code, detail string
			}{
				{"GET", "/api/v1/accounts/%s", b.ID, "account.not_found", l.pick("账户不存在。", "No such account.")},
				{"DELETE", "/api/v1/me/api-keys/%s", bKey.APIKey.ID, "api_key.not_found", ""},
				{"DELETE", "/api/v1/me/sessions/%s", bSessions.Sessions[0].ID, "session.not_found", l.pick("会话不存在。", "No such session.")},
				{"PUT", "/api/v1/me/sub-users/%s/scopes", b.ID, "account.not_found", ""},
			} {
				var body any
				if tt.method == "PUT" {
					body = map[string]any{"scopes": []string{"may_order"}}
				}
				theirs := wantProblem(t, ca.Do(t, tt.method, fmt.Sprintf(tt.path, tt.id), body), 404, tt.code, tt.detail, "")
				nowhere := wantProblem(t, ca.Do(t, tt.method, fmt.Sprintf(tt.path, noSuchID), body), 404, tt.code, tt.detail, "")
				theirs.RequestID, nowhere.RequestID = "", ""
				if !reflect.DeepEqual(theirs, nowhere) {
					t.Errorf("%s %s: another's %+v differs from nothing's %+v", tt.method, tt.path, theirs, nowhere)
				}
			}
			// b's key and session still work.
			bearer := s.NewClient("Authorization", "Bearer "+bKey.Key)
			if res := bearer.Do(t, "GET", "/api/v1/me/inbox", nil); res.Status != 403 { // order.read only: refused on scope, but authenticated
				t.Errorf("b's key after a's attempts: %d %s", res.Status, res.Body)
			}
			webtest.Decode[web.AccountBody](t, cb.Do(t, "GET", "/api/v1/me", nil), 200)
		})
	}
}

// TestLogoutEverywhere: signing out everywhere ends every session of the
// account, the one that asked included, and nobody else's.
func TestLogoutEverywhere(t *testing.T) {
	t.Parallel()
	s := accountsServer(t, nil)
	cust, bystander := s.NewCustomer(t, account.KindIndividual), s.NewCustomer(t, account.KindIndividual)
	l := langs[1]
	phone, laptop, other := client(s, l), client(s, l), client(s, l)
	login(t, phone, cust.Email, cust.Password)
	login(t, laptop, cust.Email, cust.Password)
	login(t, other, bystander.Email, bystander.Password)
	if n := len(webtest.Decode[sessionList](t, laptop.Do(t, "GET", "/api/v1/me/sessions", nil), 200).Sessions); n != 2 {
		t.Fatalf("%d sessions, want 2", n)
	}
	res := phone.Do(t, "POST", "/api/v1/auth/logout-all", nil)
	if res.Status != 204 {
		t.Fatalf("logout-all: %d %s", res.Status, res.Body)
	}
	if v, ok := res.Cookie(web.SessionCookie); !ok || v != "" {
		t.Errorf("the cookie was not cleared: %q %v", v, ok)
	}
	laptopCookie := laptop.Cookie(web.SessionCookie)
	wantProblem(t, laptop.Do(t, "GET", "/api/v1/me", nil), 401, "unauthenticated", "", "")
	wantProblem(t, phone.Do(t, "GET", "/api/v1/me", nil), 401, "unauthenticated", "", "")
	if _, _, err := s.App.Authenticate(context.Background(), laptopCookie); err == nil {
		t.Error("the laptop's session still authenticates")
	}
	webtest.Decode[web.AccountBody](t, other.Do(t, "GET", "/api/v1/me", nil), 200)
	// Signing in again works.
	login(t, laptop, cust.Email, cust.Password)
	webtest.Decode[web.AccountBody](t, laptop.Do(t, "GET", "/api/v1/me", nil), 200)
}

// TestCredentialStuffing: many wrong passwords from many addresses never
// sign in, and do not lock the real owner out: from a known device or
// address they sign in as usual; from a new one, with a challenge code.
func TestCredentialStuffing(t *testing.T) {
	t.Parallel()
	s := accountsServer(t, nil)
	victim := s.NewCustomer(t, account.KindIndividual)
	l := langs[0]
	home := client(s, l)
	login(t, home, victim.Email, victim.Password) // a known device and address
	device := home.Cookie(web.DeviceCookie)
	if device == "" {
		t.Fatal("no device cookie after a sign-in")
	}

	refused := map[int]int{}
	for i := 0; i < 120; i++ {
		bot := s.NewClient("X-Forwarded-For", fmt.Sprintf("100.64.%d.%d", i/200, i%200+1))
		res := bot.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": victim.Email, "password": fmt.Sprintf("guess number %d x", i)})
		refused[res.Status]++
		if _, set := res.Cookie(web.SessionCookie); set || res.Status == 200 {
			t.Fatalf("attempt %d signed in: %d %s", i, res.Status, res.Body)
		}
		if res.Status != 401 && res.Status != 429 {
			t.Fatalf("attempt %d: %d %s", i, res.Status, res.Body)
		}
	}
	t.Logf("stuffing answers: %v", refused)

	// The owner: from the known device and address, at once.
	if lb := login(t, home, victim.Email, victim.Password); lb.NeedsChallenge || lb.NeedsTOTP {
		t.Fatalf("the owner at home: %+v", lb)
	}
	webtest.Decode[web.AccountBody](t, home.Do(t, "GET", "/api/v1/me", nil), 200)
	// From a new address with the remembered device: at once too.
	travel := s.NewClient("X-Forwarded-For", "100.66.0.1")
	travel.SetCookie(web.DeviceCookie, device)
	if lb := login(t, travel, victim.Email, victim.Password); lb.NeedsChallenge {
		t.Fatalf("the owner's device from a new address: %+v", lb)
	}
	// From a new device and address: with the code sent to their email.
	fresh := s.NewClient("X-Forwarded-For", "100.67.0.1")
	lb := login(t, fresh, victim.Email, victim.Password)
	if !lb.NeedsChallenge || lb.Challenge == nil || fresh.Cookie(web.SessionCookie) != "" {
		t.Fatalf("the owner on a new device: %+v", lb)
	}
	lb = login2(t, fresh, victim.Email, victim.Password, lb.Challenge.ID, s.CodeOf(t, lb.Challenge.ID))
	if lb.NeedsChallenge || lb.Account == nil || lb.Account.ID != victim.ID {
		t.Fatalf("with the challenge code: %+v", lb)
	}
	webtest.Decode[web.AccountBody](t, fresh.Do(t, "GET", "/api/v1/me", nil), 200)

	// Even the right password from an unknown address gets no session:
	// a challenge, or (a code was sent a moment ago) a wait.
	thief := s.NewClient("X-Forwarded-For", "100.65.0.1")
	res := thief.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": victim.Email, "password": victim.Password})
	if _, set := res.Cookie(web.SessionCookie); set || !(res.Status == 429 || res.Status == 200 && strings.Contains(string(res.Body), `"needs_challenge":true`)) {
		t.Fatalf("the right password from a new address under attack: %d %s", res.Status, res.Body)
	}
}

func login2(t *testing.T, c *webtest.Client, loginName, password, challengeID, code string) web.LoginBody {
	t.Helper()
	return webtest.Decode[web.LoginBody](t, c.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": loginName, "password": password,
		"challenge_code_id": challengeID, "challenge_code": code}), http.StatusOK)
}
