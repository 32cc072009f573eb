package pages_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/web"
	"yuanxu/internal/webtest"
)

// The language switcher saves a signed-in account's choice to its profile
// (the language of its notifications and of its next sign-in); for a
// visitor it only sets the cookie.
func TestLangSwitchSavesTheProfileLanguage(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true})
	switchTo := func(c *webtest.Client, lang string) {
		t.Helper()
		res := c.Do(t, "POST", "/lang", url.Values{"lang": {lang}, "next": {"/account"}}.Encode(),
			"Content-Type", "application/x-www-form-urlencoded")
		if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/account" {
			t.Fatalf("POST /lang: %d %s", res.Status, res.Header.Get("Location"))
		}
		if v, _ := res.Cookie("yuanxu_lang"); v != lang {
			t.Errorf("language cookie %q, want %s", v, lang)
		}
	}

	cust := s.NewCustomer(t, account.KindIndividual) // zh-CN
	c := s.NewClient()
	res := c.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": cust.Email, "password": cust.Password})
	if res.Status != http.StatusOK {
		t.Fatalf("login: %d %s", res.Status, res.Body)
	}
	switchTo(c, "en")
	if me := webtest.Decode[web.AccountBody](t, c.Do(t, "GET", "/api/v1/me", nil), http.StatusOK); me.Lang != "en" {
		t.Errorf("profile language %q after switching to en", me.Lang)
	}
	// The next sign-in, from another browser, follows the saved choice.
	other := s.NewClient()
	lb := webtest.Decode[web.LoginBody](t, other.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": cust.Email, "password": cust.Password}), http.StatusOK)
	if lb.Account == nil || lb.Account.Lang != "en" || other.Cookie("yuanxu_lang") != "en" {
		t.Errorf("next sign-in: %+v, cookie %q", lb.Account, other.Cookie("yuanxu_lang"))
	}

	// Staff too (their notifications have a language).
	staff := s.NewStaff(t, account.RoleSupport)
	sc := s.NewClient()
	res = sc.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": staff.Email, "password": staff.Password, "staff": true})
	if res.Status != http.StatusOK {
		t.Fatalf("staff login: %d %s", res.Status, res.Body)
	}
	switchTo(sc, "en")
	if v, err := s.App.AccountGet(context.Background(), account.Principal{AccountID: staff.ID, Kind: account.KindStaff, Roles: []account.Role{account.RoleSupport}}, staff.ID); err != nil || v.Lang != "en" {
		t.Errorf("staff profile language %q (%v)", v.Lang, err)
	}

	// A visitor: the cookie only.
	switchTo(s.NewClient(), "en")
}
