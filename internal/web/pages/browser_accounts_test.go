package pages_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"yuanxu/internal/browsertest"
	"yuanxu/internal/mailpittest"
	"yuanxu/internal/webtest"
)

func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBrowserRegisterTwoFactorSignIn: a new customer registers through the
// portal with the email code read from mailpit and the SMS code from the
// sandbox SMS outbox, sets up two-factor (secret read off the page, codes
// computed), sees the recovery codes, signs out and back in with a TOTP
// code. In Chinese and in English, with screenshots of each page.
func TestBrowserRegisterTwoFactorSignIn(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	cases := []struct {
		lang, accept string
		text         map[string]string
	}{
		{"zh-CN", "zh-CN,zh;q=0.9", map[string]string{"registered": "注册", "totp_on": "已开启"}},
		{"en", "en-US,en;q=0.9", map[string]string{"registered": "egistered", "totp_on": "on"}},
	}
	for _, c := range cases {
		t.Run(c.lang, func(t *testing.T) {
			t.Parallel()
			s := webtest.NewServer(t, &webtest.Options{Sandbox: true, SandboxSMS: true, SMTPURL: mp.SMTPURL("none")})
			b := browsertest.New(t, browsertest.WithAcceptLanguage(c.accept))
			email, phone := webtest.Unique()
			const password = "a browser passphrase 42"

			// Register: send both codes, type them in, accept, submit.
			if st := b.Navigate(s.URL + "/register"); st != http.StatusOK {
				t.Fatalf("register page: %d", st)
			}
			loaded(t, b)
			b.SetValue("#display_name", "韩梅梅")
			b.SetValue("#email", email)
			b.SetValue("#phone", phone)
			if st := b.ClickNavigate("#send-email-code"); st != http.StatusOK {
				t.Fatalf("send email code: %d", st)
			}
			if !b.Exists("#email-code-sent") {
				t.Error("no notice that the email code was sent")
			}
			if st := b.ClickNavigate("#send-phone-code"); st != http.StatusOK {
				t.Fatalf("send SMS code: %d", st)
			}
			if got := browsertest.Eval[string](b, `document.querySelector("#email").value`); got != email {
				t.Errorf("the email field lost its value: %q", got)
			}
			mail, emailCode := webtest.MailTo(t, mp, email)
			if zh := strings.Contains(mail.Subject, "验证码"); zh != (c.lang == "zh-CN") {
				t.Errorf("mail subject %q is not in %s", mail.Subject, c.lang)
			}
			phoneCode := s.SMSCode(t, phone, 1)
			b.SetValue("#email_code", emailCode)
			b.SetValue("#phone_code", phoneCode)
			b.SetValue("#password", password)
			// Every key clause of the agreement, ticked one by one, then the whole.
			browsertest.Eval[bool](b, `Array.from(document.querySelectorAll("#key-clauses input[name=ack]")).forEach(e => { if (!e.checked) e.click() }); true`)
			b.Click("#accept")
			b.Screenshot("register-" + c.lang)
			if st := b.ClickNavigate("#register-submit"); st != http.StatusOK {
				t.Fatalf("register: %d", st)
			}
			if loc := b.Location(); !strings.HasSuffix(loc, "/login?done=registered") {
				t.Fatalf("after registering: %s (%s)", loc, b.Text("main"))
			}
			if got := b.Text(".notice"); !strings.Contains(got, c.text["registered"]) {
				t.Errorf("registered notice %q", got)
			}

			// Sign in and look at the account.
			b.SetValue("#identifier", email)
			b.SetValue("#password", password)
			if st := b.ClickNavigate("#login-submit"); st != http.StatusOK {
				t.Fatalf("sign in: %d", st)
			}
			if loc := b.Location(); !strings.HasSuffix(loc, "/account") {
				t.Fatalf("after signing in: %s", loc)
			}
			if got := b.Text("#account-email"); got == email || !strings.Contains(got, "*") {
				t.Errorf("email shown %q, want it masked", got)
			}
			if got, _ := b.Attr("html", "lang"); got != c.lang {
				t.Errorf("account page lang %q", got)
			}
			loaded(t, b)
			b.Screenshot("account-" + c.lang)

			// Two-factor: re-enter the password, read the secret, enable.
			b.Navigate(s.URL + "/account/security")
			b.SetValue("#totp-begin-password", password)
			if st := b.ClickNavigate("#totp-begin"); st != http.StatusOK {
				t.Fatalf("begin 2FA: %d", st)
			}
			secret := b.Text("#totp-secret")
			if secret == "" || !b.Exists("#totp-qr") {
				t.Fatalf("no secret or QR code on the setup page")
			}
			if w := browsertest.Eval[int](b, `document.querySelector("#totp-qr").naturalWidth`); w < 100 {
				t.Errorf("the QR code image did not load (natural width %d)", w)
			}
			b.Screenshot("totp-setup-" + c.lang)
			now := time.Now()
			b.SetValue("#totp-code", totpAt(t, secret, now))
			if st := b.ClickNavigate("#totp-enable"); st != http.StatusOK {
				t.Fatalf("enable 2FA: %d", st)
			}
			codes := b.Texts("#recovery-codes li")
			if len(codes) < 8 {
				t.Fatalf("recovery codes %q", codes)
			}
			if got := b.Text("#totp-state"); !strings.Contains(got, c.text["totp_on"]) {
				t.Errorf("2FA state %q", got)
			}
			b.Screenshot("recovery-codes-" + c.lang)

			// Sign out, and back in with the password and a TOTP code.
			if st := b.ClickNavigate("#signout-button"); st != http.StatusOK {
				t.Fatalf("sign out: %d", st)
			}
			b.Navigate(s.URL + "/account")
			if loc := b.Location(); !strings.Contains(loc, "/login?next=") {
				t.Fatalf("signed out, /account went to %s", loc)
			}
			b.SetValue("#identifier", email)
			b.SetValue("#password", password)
			if st := b.ClickNavigate("#login-submit"); st != http.StatusOK {
				t.Fatalf("sign in again: %d", st)
			}
			if loc := b.Location(); !strings.Contains(loc, "/login/second-factor") {
				t.Fatalf("no second step: %s", loc)
			}
			b.Screenshot("second-factor-" + c.lang)
			b.SetValue("#code", totpAt(t, secret, now.Add(30*time.Second))) // the next step: the enable code's is used
			if st := b.ClickNavigate("#second-factor-submit"); st != http.StatusOK {
				t.Fatalf("second factor: %d", st)
			}
			if loc := b.Location(); !strings.HasSuffix(loc, "/account") {
				t.Fatalf("after the second factor: %s (%s)", loc, b.Text("main"))
			}
			b.Navigate(s.URL + "/account/security")
			if got := b.Text("#totp-state"); !strings.Contains(got, c.text["totp_on"]) {
				t.Errorf("2FA state after signing in again %q", got)
			}

			// The console home, as a staff member.
			b.ClickNavigate("#signout-button")
			if _, err := s.App.SeedDemo(context.Background()); err != nil {
				t.Fatal(err)
			}
			b.Navigate(s.URL + "/console/login")
			b.SetValue("#identifier", "operations@staff.demo.yuanxu.test")
			b.SetValue("#password", "yuanxu-demo-staff-operations")
			if st := b.ClickNavigate("#login-submit"); st != http.StatusOK {
				t.Fatalf("staff sign-in: %d", st)
			}
			if loc := b.Location(); !strings.HasSuffix(loc, "/console/") {
				t.Fatalf("after the staff sign-in: %s", loc)
			}
			// The demo staff member's language is zh-CN: signing in made it
			// the pages' language. Switching saves the choice to the profile.
			if got, _ := b.Attr("html", "lang"); got != c.lang {
				b.ClickNavigate(`.lang-switch button[value="` + c.lang + `"]`)
			}
			if got, _ := b.Attr("html", "lang"); got != c.lang {
				t.Errorf("console lang %q", got)
			}
			loaded(t, b)
			b.Screenshot("console-home-" + c.lang)
		})
	}
}
