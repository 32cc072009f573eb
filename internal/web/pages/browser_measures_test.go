package pages_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/browsertest"
	"yuanxu/internal/mailpittest"
	"yuanxu/internal/webtest"
)

// TestBrowserBanNoticeAppealOverturn: a compliance officer confirms a case
// against the demo individual (through the app); the compliance lead bans
// the account on the console's measures page; the notice arrives in
// mailpit with the use rule, the evidence summary and how to appeal; the
// customer reads the measure on /measures — the reason and the appeal
// deadline (the notice was delivered) — and appeals with an attachment; an
// appeal reviewer, not the lead, takes the appeal and overturns it in the
// console; the customer's page shows the measure overturned, the balance
// is back, and the audit chain and the ledger verify.
func TestBrowserBanNoticeAppealOverturn(t *testing.T) {
	t.Parallel()
	mp := mailpittest.Start(t, mailpittest.Options{})
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true, SMTPURL: mp.SMTPURL("none")})
	ctx := context.Background()
	if _, err := s.App.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	cust := principalOf(t, s, demoIndividual)
	w0, err := s.App.Wallet(ctx, cust, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	officer := s.NewStaff(t, account.RoleComplianceOfficer)
	op, _, err := s.App.Authenticate(ctx, s.SessionFor(t, officer.Email, officer.Password, true, webtest.UniqueIP()))
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.App.RaiseFinding(ctx, op, app.FindingInput{AccountID: cust.AccountID, Rule: "fraud", Detail: "phishing pages on the server"})
	if err != nil {
		t.Fatal(err)
	}
	for _, act := range []app.CaseAction{{Action: "review"}, {Action: "confirm", Text: "the pages imitate a bank"}} {
		if _, err := s.App.ActOnCase(ctx, op, c.ID, act); err != nil {
			t.Fatal(err)
		}
	}
	staffSignIn := func(role string) *browsertest.Browser {
		b := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
		b.Navigate(s.URL + "/console/login")
		b.SetValue("#identifier", role+"@staff.demo.yuanxu.test")
		b.SetValue("#password", "yuanxu-demo-staff-"+role)
		if st := b.ClickNavigate("#login-submit"); st != http.StatusOK {
			t.Fatalf("%s sign-in: %d", role, st)
		}
		return b
	}

	// The lead bans the account on the console's measures page.
	lb := staffSignIn("compliance_lead")
	if st := lb.ClickNavigate(`.site-nav a[data-nav="measures"]`); st != http.StatusOK || !strings.HasSuffix(lb.Location(), "/console/measures") {
		t.Fatalf("measures page: %d at %s", st, lb.Location())
	}
	loaded(t, lb)
	lb.SetValue("#impose-case", c.ID)
	lb.SetValue("#impose-kind", "ban")
	lb.SetValue("#impose-reason", "仿冒银行的钓鱼页面 / phishing pages imitating a bank")
	if st := lb.ClickNavigate("#impose-submit"); st != http.StatusOK || !strings.Contains(lb.Location(), "done=measure") {
		t.Fatalf("impose: %d at %s (%s)", st, lb.Location(), lb.Text("main"))
	}
	if got, _ := lb.Attr("tr.measure-row", "data-state"); got != "in_force" {
		t.Fatalf("measure state %q", got)
	}
	lb.Screenshot("console-measure-ban")

	// The notice arrives by email.
	var notice mailpittest.Summary
	for _, m := range mp.WaitFor(t, 1, 20*time.Second) {
		if strings.Contains(m.Subject, "处置通知") || strings.Contains(m.Subject, "Notice of measure") {
			notice = m
		}
	}
	if notice.ID == "" {
		t.Fatalf("no notice in mailpit: %+v", mp.Messages(t))
	}
	body := mp.Message(t, notice.ID).Text
	for _, want := range []string{"fraud", "1 signal(s)", "仿冒银行的钓鱼页面", "/measures", "6.2"} {
		if !strings.Contains(body, want) {
			t.Errorf("the notice lacks %q:\n%s", want, body)
		}
	}

	// The customer reads it and appeals with an attachment.
	cb := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	cb.Navigate(s.URL + "/login")
	cb.SetValue("#identifier", demoIndividual.Email)
	cb.SetValue("#password", demoIndividual.Password)
	if st := cb.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("customer sign-in: %d", st)
	}
	var notified bool
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && !notified; time.Sleep(200 * time.Millisecond) {
		cb.Navigate(s.URL + "/measures")
		got, _ := cb.Attr("section.measure", "data-notice")
		notified = got == "delivered"
	}
	if !notified {
		t.Fatalf("the notice is not shown delivered: %s", cb.Text("main"))
	}
	loaded(t, cb)
	if !strings.Contains(cb.Text(".measure-reason"), "仿冒银行的钓鱼页面") || !strings.Contains(cb.Text(".measure-deadline"), "当日结束前") {
		t.Errorf("measure: reason %q, deadline %q", cb.Text(".measure-reason"), cb.Text(".measure-deadline"))
	}
	png := filepath.Join(t.TempDir(), "letter.png")
	if err := os.WriteFile(png, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 128)...), 0o600); err != nil {
		t.Fatal(err)
	}
	cb.SetValue("section.measure textarea", "页面是银行委托的安全测试，见附件授权函。")
	uctx, cancel := context.WithTimeout(cb.Context(), 10*time.Second)
	if _, err := chromedp.Run(uctx, chromedp.SetUploadFiles(chromedp.CSS(`section.measure input[type="file"]`), []string{png})); err != nil {
		cancel()
		t.Fatalf("attach: %v", err)
	}
	cancel()
	cb.Screenshot("portal-measure-appeal")
	if st := cb.ClickNavigate(".appeal-submit"); st != http.StatusOK || !strings.Contains(cb.Location(), "done=appealed") {
		t.Fatalf("appeal: %d at %s (%s)", st, cb.Location(), cb.Text("main"))
	}
	if got, _ := cb.Attr("tr.appeal", "data-state"); got != "open" {
		t.Fatalf("appeal state %q", got)
	}
	if st := cb.ClickNavigate(".appeal-thread"); st != http.StatusOK || cb.Text(".attachment") != "letter.png" {
		t.Errorf("appeal thread: %d, attachment %q", st, cb.Text(".attachment"))
	}

	// The lead may not decide it; a second reviewer overturns it.
	lb.Navigate(s.URL + "/console/measures")
	if !lb.Exists(`tr.appeal-row[data-state="open"]`) || lb.Exists(".appeal-review") {
		t.Error("the officer who imposed the ban is offered the appeal's decision")
	}
	rb := staffSignIn("appeal_reviewer")
	rb.Navigate(s.URL + "/console/measures")
	if st := rb.ClickNavigate(".appeal-review"); st != http.StatusOK {
		t.Fatalf("review: %d", st)
	}
	rb.SetValue("tr.appeal-row textarea", "授权函属实 / the bank's letter is genuine")
	if st := rb.ClickNavigate(".appeal-overturn"); st != http.StatusOK || !strings.Contains(rb.Location(), "done=measure") {
		t.Fatalf("overturn: %d at %s (%s)", st, rb.Location(), rb.Text("main"))
	}
	rb.Screenshot("console-appeal-overturned")
	cb.Navigate(s.URL + "/measures")
	if got, _ := cb.Attr("section.measure", "data-state"); got != "overturned" {
		t.Fatalf("after the overturn the measure is %q", got)
	}
	if got, _ := cb.Attr("tr.appeal", "data-state"); got != "overturned" {
		t.Fatalf("after the overturn the appeal is %q", got)
	}
	cb.Screenshot("portal-measure-overturned")
	if w, err := s.App.Wallet(ctx, cust, "", "", 1); err != nil || w.Balance != w0.Balance {
		t.Errorf("balance after the overturn %+v, before %+v (%v)", w.Balance, w0.Balance, err)
	}
	if r, err := s.App.AuditVerify(ctx); err != nil || r.Break != nil {
		t.Errorf("audit chain: %+v %v", r, err)
	}
	if r, err := s.App.LedgerVerify(ctx); err != nil || !r.OK() {
		t.Errorf("ledger: %+v %v", r, err)
	}
}
