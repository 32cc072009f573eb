package pages_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/browsertest"
	"yuanxu/internal/notify"
	"yuanxu/internal/pii"
	"yuanxu/internal/store"
	"yuanxu/internal/webtest"
)

// sentCode reads the digits a verification code ticket carried, from the
// notification store (what the email or SMS said).
func sentCode(t *testing.T, a *app.App, ticketID string) string {
	t.Helper()
	var nid string
	var vars []byte
	err := a.DB().QueryRow(context.Background(), `SELECT id, vars FROM notification WHERE event = $1 AND subject_type = 'verification_code' AND subject_id = $2`,
		string(notify.EventVerificationCode), ticketID).Scan(&nid, &vars)
	if err != nil {
		t.Fatalf("no code for ticket %s: %v", ticketID, err)
	}
	plain, err := a.Secrets().PII.Open(vars, pii.AAD{Table: "notification", Column: "vars", Row: nid})
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := json.Unmarshal(plain, &v); err != nil {
		t.Fatal(err)
	}
	return v["code"]
}

// A new customer registers through the portal form, acknowledging every
// key clause on its own; the acceptance record holds the SHA256 of the
// version in force and each clause ticked (issue 8; SPC interpretation art.
// 10: a single checkbox is not enough).
func TestBrowserRegistrationAcknowledgesKeyClauses(t *testing.T) {
	t.Parallel()
	ts, a := newServerApp(t)
	ctx := context.Background()
	cur, err := a.AgreementCurrent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := app.KeyClauseIDs(cur)
	b := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	if st := b.Navigate(ts.URL + "/register"); st != http.StatusOK {
		t.Fatalf("register form: %d", st)
	}
	got := browsertest.Eval[[]string](b, `Array.from(document.querySelectorAll('#key-clauses input[name=ack]')).map(e => e.value)`)
	if !slices.Equal(got, keys) {
		t.Fatalf("key clause checkboxes %v, want %v", got, keys)
	}
	if n := len(b.Texts("#key-clauses .explain-link")); n != len(keys) {
		t.Errorf("%d explain links, want %d", n, len(keys))
	}
	b.SetValue("#display_name", "浏览器测试")
	b.SetValue("#email", "browser-agreement@example.com")
	b.SetValue("#phone", "13912345678")
	if st := b.ClickNavigate("#send-email-code"); st != http.StatusOK {
		t.Fatalf("send email code: %d", st)
	}
	if st := b.ClickNavigate("#send-phone-code"); st != http.StatusOK {
		t.Fatalf("send phone code: %d", st)
	}
	emailID, _ := b.Attr("input[name=email_code_id]", "value")
	phoneID, _ := b.Attr("input[name=phone_code_id]", "value")
	b.SetValue("#email_code", sentCode(t, a, emailID))
	b.SetValue("#phone_code", sentCode(t, a, phoneID))
	b.SetValue("#password", "a long enough browser passphrase 7")
	b.Click("#accept")
	for _, k := range keys {
		b.Click(`input[name=ack][value="` + k + `"]`)
	}
	b.Screenshot("register-key-clauses")
	if st := b.ClickNavigate("#register-submit"); st != http.StatusOK {
		t.Fatalf("register: %d", st)
	}
	if loc := b.Location(); !strings.Contains(loc, "/login?done=registered") {
		t.Fatalf("after registering: %s (%s)", loc, b.Text("#form-error"))
	}
	var accountID string
	if err := a.DB().QueryRow(ctx, `SELECT id FROM account WHERE kind = 'individual' AND display_name = $1`, "浏览器测试").Scan(&accountID); err != nil {
		t.Fatal(err)
	}
	rs, err := store.Acceptances(ctx, a.DB(), store.AcceptanceFilter{AccountID: accountID})
	if err != nil || len(rs) != 1 {
		t.Fatalf("acceptances %+v, %v", rs, err)
	}
	r := rs[0]
	if r.SHA256 != cur.SHA256 || r.VersionID != cur.ID || !slices.Equal(r.Acknowledged, keys) || r.Channel != "web" || r.Occasion != store.OccasionRegistration || r.UserAgent == "" {
		t.Fatalf("acceptance %+v; want version %s sha256 %s clauses %v", r, cur.ID, cur.SHA256, keys)
	}
}

// After a material revision takes effect, a signed-in customer sees the
// banner, follows it, ticks each key clause and accepts; the banner goes
// and the record holds the new version's SHA-256 and the browser's user
// agent (issue 8).
func TestBrowserReacceptanceAfterMaterialRevision(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true})
	ctx := context.Background()
	cust := s.NewCustomer(t, account.KindIndividual)
	drafter, signer := s.NewStaff(t, account.RoleLegal), s.NewStaff(t, account.RoleLegal)
	d, err := s.App.AgreementDraftCreate(ctx, staffPrincipal(drafter, account.RoleLegal), app.DraftInput{Source: revisedAgreement(t), Note: "48h"})
	if err != nil {
		t.Fatal(err)
	}
	v2, err := s.App.AgreementSchedule(ctx, staffPrincipal(signer, account.RoleLegal), d.ID, app.ScheduleInput{EffectiveAt: s.App.Now().Add(8 * 24 * time.Hour), Material: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.App.SandboxAdvance(ctx, 8*24*time.Hour+time.Second); err != nil {
		t.Fatal(err)
	}

	b := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	b.Navigate(s.URL + "/login")
	b.SetValue("#identifier", cust.Email)
	b.SetValue("#password", cust.Password)
	if st := b.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("sign in: %d", st)
	}
	if !b.Exists("#reaccept-banner") {
		t.Fatalf("no banner at %s", b.Location())
	}
	if st := b.ClickNavigate("#reaccept-link"); st != http.StatusOK || !strings.HasSuffix(b.Location(), "/account/agreement") {
		t.Fatalf("banner link: %d %s", st, b.Location())
	}
	if got := b.Text("#reaccept-sha256"); !strings.Contains(got, v2.SHA256) {
		t.Errorf("sha256 shown %q", got)
	}
	keys := app.KeyClauseIDs(v2)
	if got := browsertest.Eval[[]string](b, `Array.from(document.querySelectorAll('#key-clauses input[name=ack]')).map(e => e.value)`); !slices.Equal(got, keys) {
		t.Fatalf("checkboxes %v, want %v", got, keys)
	}
	for _, k := range keys {
		b.Click(`input[name=ack][value="` + k + `"]`)
	}
	b.Screenshot("reaccept-key-clauses")
	if st := b.ClickNavigate("#reaccept-submit"); st != http.StatusOK {
		t.Fatalf("accept: %d", st)
	}
	if !b.Exists("#form-notice") || b.Exists("#reaccept-banner") || b.Exists("#reaccept-form") {
		t.Fatalf("after accepting: %s", b.Text("main"))
	}
	b.Navigate(s.URL + "/account")
	if b.Exists("#reaccept-banner") {
		t.Fatal("banner after accepting")
	}
	rs, err := store.Acceptances(ctx, s.App.DB(), store.AcceptanceFilter{AccountID: cust.ID, VersionID: v2.ID})
	if err != nil || len(rs) != 1 || rs[0].SHA256 != v2.SHA256 || !slices.Equal(rs[0].Acknowledged, keys) || rs[0].UserAgent == "" || rs[0].Occasion != store.OccasionReacceptance {
		t.Fatalf("acceptances %+v, %v", rs, err)
	}
}
