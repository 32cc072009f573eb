package pages_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/browsertest"
	"yuanxu/internal/webtest"
)

// TestBrowserKYCSubmitApproveReject: an individual and an enterprise submit
// real-name verification through the portal (the enterprise uploads a PNG
// licence); a compliance officer approves the individual and rejects the
// enterprise with a reason and a note in the console; each customer then
// sees the outcome on their KYC page. Screenshots of the portal form and
// the console review page in Chinese and English. Manual review (not
// sandbox, whose verifier approves well-formed data at once).
func TestBrowserKYCSubmitApproveReject(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, nil)
	ind := s.NewCustomer(t, account.KindIndividual)
	ent := s.NewCustomer(t, account.KindEnterprise)
	officer := s.NewStaff(t, account.RoleComplianceOfficer)
	idNumber := app.DemoResidentID("19880214", 733)
	uscc := app.DemoUSCC(4242, true)
	png := filepath.Join(t.TempDir(), "licence.png")
	if err := os.WriteFile(png, append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 512)...), 0o600); err != nil {
		t.Fatal(err)
	}

	// Two browsers (the harness holds few slots): the customers take turns
	// in one, with its cookies cleared between them; the officer uses the other.
	signIn := func(b *browsertest.Browser, c webtest.Customer, staff bool) {
		t.Helper()
		ctx, cancel := context.WithTimeout(b.Context(), 10*time.Second)
		defer cancel()
		if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
			t.Fatalf("clear cookies: %v", err)
		}
		path := "/login"
		if staff {
			path = "/console/login"
		}
		b.Navigate(s.URL + path)
		b.SetValue("#identifier", c.Email)
		b.SetValue("#password", c.Password)
		if st := b.ClickNavigate("#login-submit"); st != http.StatusOK {
			t.Fatalf("sign-in %s: %d", c.Email, st)
		}
	}
	switchLang := func(b *browsertest.Browser, lang string) {
		t.Helper()
		if st := b.ClickNavigate(`.lang-switch button[value="` + lang + `"]`); st != http.StatusOK {
			t.Fatalf("switch to %s: %d", lang, st)
		}
	}

	// The individual fills the form (screenshots in both languages) and submits.
	ib := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	signIn(ib, ind, false)
	if st := ib.Navigate(s.URL + "/account/kyc"); st != http.StatusOK {
		t.Fatalf("kyc page: %d", st)
	}
	loaded(t, ib)
	if got, _ := ib.Attr("#kyc-state", "data-state"); got != "unverified" {
		t.Errorf("individual state before submitting %q", got)
	}
	if !ib.Exists("#kyc-blocked") || ib.Exists("#kyc-enterprise-form") {
		t.Error("individual page: want the blocked notice and only the individual form")
	}
	fillIndividual := func() {
		ib.SetValue("#kyc-name", "欧阳浏览")
		ib.SetValue("#kyc-id", idNumber)
		ib.SetValue("#kyc-phone", "13912340000")
	}
	fillIndividual()
	ib.Screenshot("portal-kyc-form-zh-CN")
	switchLang(ib, "en")
	if !strings.Contains(ib.Text("#kyc-individual-form"), "ID") {
		t.Errorf("English form: %q", ib.Text("#kyc-individual-form"))
	}
	fillIndividual()
	ib.Screenshot("portal-kyc-form-en")
	switchLang(ib, "zh-CN")
	fillIndividual()
	if st := ib.ClickNavigate("#kyc-individual-submit"); st != http.StatusOK {
		t.Fatalf("submit individual: %d (%s)", st, ib.Text("main"))
	}
	if got, _ := ib.Attr("#kyc-state", "data-state"); got != "pending" {
		t.Fatalf("individual state after submitting %q (%s)", got, ib.Text("main"))
	}
	if got := ib.Text("#kyc-identity"); strings.Contains(got, idNumber) || got == "" {
		t.Errorf("the ID number is not masked on the status: %q", got)
	}

	// The enterprise submits with a licence upload.
	eb := ib
	signIn(eb, ent, false)
	eb.Navigate(s.URL + "/account/kyc")
	eb.SetValue("#kyc-company", "浏览器测试科技有限公司")
	eb.SetValue("#kyc-uscc", uscc)
	eb.SetValue("#kyc-rep", "司马浏览")
	eb.SetValue("#kyc-ent-phone", "13912341111")
	ctx, cancel := context.WithTimeout(eb.Context(), 10*time.Second)
	if _, err := chromedp.Run(ctx, chromedp.SetUploadFiles(chromedp.CSS("#kyc-licence"), []string{png})); err != nil {
		cancel()
		t.Fatalf("attach licence: %v", err)
	}
	cancel()
	eb.Screenshot("portal-kyc-enterprise-form")
	if st := eb.ClickNavigate("#kyc-enterprise-submit"); st != http.StatusOK {
		t.Fatalf("submit enterprise: %d (%s)", st, eb.Text("main"))
	}
	if got, _ := eb.Attr("#kyc-state", "data-state"); got != "pending" {
		t.Fatalf("enterprise state after submitting %q (%s)", got, eb.Text("main"))
	}

	// The officer sees both on the console home card and in the queue.
	sb := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	signIn(sb, officer, true)
	if st := sb.Navigate(s.URL + "/console"); st != http.StatusOK {
		t.Fatalf("console home: %d", st)
	}
	if !strings.Contains(sb.Text("main"), "实名认证审核队列") {
		t.Errorf("console home has no KYC card: %q", sb.Text("main"))
	}
	if st := sb.Navigate(s.URL + "/console/kyc"); st != http.StatusOK {
		t.Fatalf("kyc queue: %d", st)
	}
	rowOf := func(text string) string {
		t.Helper()
		id := browsertest.Eval[string](sb, `(() => { const r = [...document.querySelectorAll("tr[data-submission]")].find(r => r.textContent.includes(`+
			"`"+text+"`"+`)); return r ? r.dataset.submission : ""; })()`)
		if id == "" {
			t.Fatalf("no queue row with %q: %s", text, sb.Text("main"))
		}
		return id
	}
	indSub, entSub := rowOf(ind.DisplayName), rowOf("浏览器测试科技有限公司")
	if main := sb.Text("main"); strings.Contains(main, idNumber) || strings.Contains(main, uscc) || strings.Contains(main, "欧阳浏览") {
		t.Errorf("the queue shows personal data in clear: %q", main)
	}
	sb.Screenshot("console-kyc-queue")

	// Approve the individual (screenshots of the review page in both languages).
	sb.Navigate(s.URL + "/console/kyc/" + indSub)
	sb.Screenshot("console-kyc-review-zh-CN")
	switchLang(sb, "en")
	sb.Screenshot("console-kyc-review-en")
	sb.Click("#decision-approve")
	if st := sb.ClickNavigate("#kyc-decide"); st != http.StatusOK {
		t.Fatalf("approve: %d", st)
	}
	if strings.Contains(sb.Location(), "/console/kyc/") {
		t.Fatalf("approve did not return to the queue: %s (%s)", sb.Location(), sb.Text("main"))
	}

	// Reject the enterprise with a reason and a note.
	sb.Navigate(s.URL + "/console/kyc/" + entSub)
	sb.Click("#decision-reject")
	sb.SetValue("#decision-reason", "licence_mismatch")
	sb.SetValue("#decision-note", "执照上的名称与填写的公司名称不一致")
	if st := sb.ClickNavigate("#kyc-decide"); st != http.StatusOK {
		t.Fatalf("reject: %d", st)
	}
	if strings.Contains(sb.Location(), "/console/kyc/") {
		t.Fatalf("reject did not return to the queue: %s (%s)", sb.Location(), sb.Text("main"))
	}
	if !sb.Exists("#kyc-queue-empty") {
		t.Errorf("the queue is not empty after both decisions: %s", sb.Text("main"))
	}

	// Each customer sees the outcome.
	signIn(ib, ind, false)
	ib.Navigate(s.URL + "/account/kyc")
	if got, _ := ib.Attr("#kyc-state", "data-state"); got != "approved" || !ib.Exists("#kyc-allowed") {
		t.Errorf("individual after approval: state %q, allowed notice %v", got, ib.Exists("#kyc-allowed"))
	}
	ib.Screenshot("portal-kyc-approved")
	signIn(eb, ent, false)
	eb.Navigate(s.URL + "/account/kyc")
	if got, _ := eb.Attr("#kyc-state", "data-state"); got != "rejected" || !eb.Exists("#kyc-blocked") {
		t.Errorf("enterprise after rejection: state %q, blocked notice %v", got, eb.Exists("#kyc-blocked"))
	}
	if !eb.Exists("#kyc-reason") || !strings.Contains(eb.Text("#kyc-note"), "名称不一致") {
		t.Errorf("enterprise page lacks the reason or note: %q", eb.Text("main"))
	}
	if !eb.Exists("#kyc-enterprise-form") {
		t.Error("a rejected enterprise is not offered the form again")
	}
	eb.Screenshot("portal-kyc-rejected")
}
