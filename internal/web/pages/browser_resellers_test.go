package pages_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/browsertest"
	"yuanxu/internal/kyc"
	"yuanxu/internal/mailpittest"
	"yuanxu/internal/pii"
	"yuanxu/internal/webtest"
)

var inviteLink = regexp.MustCompile(`/invite/([0-9a-f]{48})`)

// TestBrowserResellerInvitesAndOrders: an administrator authorises a
// verified reseller in the console; the reseller invites a customer from
// its desk; the invitation arrives in mailpit; the invited person opens
// the link, registers with the SMS code and acknowledges every key clause
// themselves, then submits real-name verification (the sandbox verifier
// approves it); the reseller orders for them, and the customer's notice of
// it arrives by email. The public check page confirms the code. Screenshots
// of each page, the desk and the console in both languages.
func TestBrowserResellerInvitesAndOrders(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true, SandboxSMS: true, SMTPURL: mp.SMTPURL("none")})
	ctx := context.Background()
	if err := s.App.SeedDemoCatalog(ctx); err != nil {
		t.Fatal(err)
	}
	rs := s.NewCustomer(t, account.KindReseller)
	admin := s.NewStaff(t, account.RoleAdmin)
	rp, _, err := s.App.Authenticate(ctx, s.SessionFor(t, rs.Email, rs.Password, false, rs.RegistrationIP))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.KYCSubmit(webtest.ActorCtx(rs.RegistrationIP), rp, rs.ID, app.KYCSubmitInput{Subject: kyc.SubjectEnterprise,
		CompanyName: rs.EnterpriseName, USCC: pii.Secret(app.DemoUSCC(5151, true)), Representative: "周代理", Phone: pii.Secret(rs.Phone),
		Licence: append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 256)...)}); err != nil {
		t.Fatalf("reseller kyc: %v", err)
	}

	b := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	signIn := func(email, password string, staff bool) {
		t.Helper()
		cctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
		defer cancel()
		if _, err := chromedp.Call(cctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			t.Fatalf("clear cookies: %v", err)
		}
		path := "/login"
		if staff {
			path = "/console/login"
		}
		b.Navigate(s.URL + path)
		b.SetValue("#identifier", email)
		b.SetValue("#password", password)
		if st := b.ClickNavigate("#login-submit"); st != http.StatusOK {
			t.Fatalf("sign-in %s: %d", email, st)
		}
	}
	both := func(name string) {
		t.Helper()
		b.Screenshot(name + "-zh-CN")
		if st := b.ClickNavigate(`.lang-switch button[value="en"]`); st != http.StatusOK {
			t.Fatalf("switch to en: %d", st)
		}
		b.Screenshot(name + "-en")
		if st := b.ClickNavigate(`.lang-switch button[value="zh-CN"]`); st != http.StatusOK {
			t.Fatalf("switch back: %d", st)
		}
	}

	// The administrator authorises the reseller for cloud servers.
	signIn(admin.Email, admin.Password, true)
	if st := b.Navigate(s.URL + "/console/resellers"); st != http.StatusOK {
		t.Fatalf("console resellers: %d", st)
	}
	loaded(t, b)
	b.Click("#kind-cloud_server")
	if st := b.ClickNavigate("#grant-submit"); st != http.StatusOK {
		t.Fatalf("grant: %d (%s)", st, b.Text("main"))
	}
	if !b.Exists(`.console-auth[data-status="valid"]`) {
		t.Fatalf("no valid authorisation listed: %s", b.Text("main"))
	}
	code := strings.TrimSpace(b.Text(".console-auth code"))
	both("console-resellers")

	// Anyone can check the code.
	if st := b.Navigate(s.URL + "/resellers/check?code=" + code); st != http.StatusOK {
		t.Fatalf("check page: %d", st)
	}
	if got, _ := b.Attr("#check-result", "data-status"); got != "valid" {
		t.Fatalf("public check: %q (%s)", got, b.Text("main"))
	}
	both("reseller-check")

	// The reseller invites a customer.
	signIn(rs.Email, rs.Password, false)
	if st := b.Navigate(s.URL + "/reseller"); st != http.StatusOK {
		t.Fatalf("reseller desk: %d", st)
	}
	if b.Exists("#cannot-sell") {
		t.Fatalf("an authorised reseller is told it cannot sell: %s", b.Text("main"))
	}
	email, phone := webtest.Unique()
	b.SetValue("#invite-email", email)
	b.SetValue("#invite-note", "CRM-7")
	if st := b.ClickNavigate("#invite-submit"); st != http.StatusOK {
		t.Fatalf("invite: %d (%s)", st, b.Text("main"))
	}
	if !b.Exists(`.invitation[data-state="pending"]`) {
		t.Fatalf("no pending invitation: %s", b.Text("main"))
	}

	// The invitation arrives; the invited person accepts it themselves.
	var token string
	deadline := time.Now().Add(15 * time.Second)
	for token == "" {
		for _, m := range mp.Messages(t) {
			if len(m.To) == 1 && m.To[0].Address == email {
				if g := inviteLink.FindStringSubmatch(mp.Message(t, m.ID).Text); g != nil {
					token = g[1]
				}
			}
		}
		if token == "" {
			if time.Now().After(deadline) {
				t.Fatal("no invitation email in mailpit")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
	if _, err := chromedp.Call(cctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	cancel()
	if st := b.Navigate(s.URL + "/invite/" + token); st != http.StatusOK {
		t.Fatalf("invitation page: %d", st)
	}
	loaded(t, b)
	b.SetValue("#display_name", "邀请客户")
	b.SetValue("#phone", phone)
	if st := b.ClickNavigate("#send-phone-code"); st != http.StatusOK {
		t.Fatalf("send code: %d (%s)", st, b.Text("main"))
	}
	b.SetValue("#phone_code", s.SMSCode(t, phone, 1))
	const password = "an invited passphrase 9"
	b.SetValue("#password", password)
	for _, id := range app.DefaultKeyClauses() {
		b.Click(`input[name="ack"][value="` + id + `"]`)
	}
	b.Click("#accept")
	b.Screenshot("portal-invite-zh-CN")
	if st := b.ClickNavigate("#invite-submit"); st != http.StatusOK || !strings.Contains(b.Location(), "/login") {
		t.Fatalf("accept invitation: %d at %s (%s)", st, b.Location(), b.Text("main"))
	}

	// The customer verifies themselves (the sandbox verifier approves).
	signIn(email, password, false)
	b.Navigate(s.URL + "/account/kyc")
	b.SetValue("#kyc-name", "欧阳邀请")
	b.SetValue("#kyc-id", app.DemoResidentID("19900303", 515))
	b.SetValue("#kyc-phone", phone)
	if st := b.ClickNavigate("#kyc-individual-submit"); st != http.StatusOK {
		t.Fatalf("kyc: %d (%s)", st, b.Text("main"))
	}
	if got, _ := b.Attr("#kyc-state", "data-state"); got != "approved" {
		t.Fatalf("customer kyc state %q", got)
	}

	// The reseller orders for the customer.
	signIn(rs.Email, rs.Password, false)
	b.Navigate(s.URL + "/reseller")
	if !b.Exists(".reseller-customer a.btn") {
		t.Fatalf("no order link for the verified customer: %s", b.Text("#reseller-customers"))
	}
	if st := b.ClickNavigate(".reseller-customer a.btn"); st != http.StatusOK {
		t.Fatalf("order form: %d", st)
	}
	if !b.Exists("#reseller-order-submit") {
		t.Fatalf("no order form: %s", b.Text("main"))
	}
	b.Screenshot("portal-reseller-order-zh-CN")
	if st := b.ClickNavigate("#reseller-order-submit"); st != http.StatusOK {
		t.Fatalf("order: %d (%s)", st, b.Text("main"))
	}
	if !b.Exists(`.reseller-order[data-state="created"]`) {
		t.Fatalf("no order listed: %s", b.Text("main"))
	}
	both("portal-reseller")

	// The order is the customer's, on the reseller's channel, resting on
	// the customer's own acceptance; the customer was told by email.
	cs, err := s.App.ResellerCustomers(ctx, rp)
	if err != nil || len(cs) != 1 || !cs[0].KYCApproved {
		t.Fatalf("reseller customers = %+v, %v", cs, err)
	}
	os, err := s.App.ResellerOrders(ctx, rp, cs[0].ID, 10)
	if err != nil || len(os) != 1 || os[0].Channel != "reseller:"+rs.ID || os[0].AccountID != cs[0].ID {
		t.Fatalf("orders = %+v, %v", os, err)
	}
	deadline = time.Now().Add(15 * time.Second)
	for {
		told := false
		for _, m := range mp.Messages(t) {
			if len(m.To) == 1 && m.To[0].Address == email && strings.Contains(m.Subject, rs.EnterpriseName) && strings.Contains(m.Subject, "下单") {
				told = true
			}
		}
		if told {
			break
		}
		if time.Now().After(deadline) {
			var subj []string
			for _, m := range mp.Messages(t) {
				subj = append(subj, m.To[0].Address+": "+m.Subject)
			}
			t.Fatalf("the customer was not told of the reseller's order by email: %q", subj)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
