package pages_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"yuanxu/internal/app"
	"yuanxu/internal/browsertest"
	"yuanxu/internal/catalog"
	"yuanxu/internal/service"
)

// TestBrowserServicesRenewForOneCycle: the demo individual opens my
// services, opens the running service, renews it for one cycle ticking
// each key clause of the agreement in force, pays the renewal order with
// the balance, and sees the new expiry on the service's page: through the
// app, it is the old expiry plus one month (service.AddCycles), and the
// page shows exactly that. Screenshots of /services and of the service's
// page in Chinese and in English (their paths are logged;
// YUANXU_SCREENSHOTS keeps them).
func TestBrowserServicesRenewForOneCycle(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	p := principalOf(t, s, demoIndividual)
	svcs, err := s.App.Services(ctx, p, app.ServiceListFilter{States: []string{"active"}})
	if err != nil || len(svcs) != 1 {
		t.Fatalf("running demo services: %d, %v", len(svcs), err)
	}
	before := svcs[0]
	cur, err := s.App.AgreementCurrent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := app.KeyClauseIDs(cur)
	cst := func(v app.ServiceView) string { return v.ExpiresAt.In(service.CST).Format("2006-01-02 15:04") }

	b := browsertest.New(t, browsertest.WithAcceptLanguage("zh-CN"))
	b.Navigate(s.URL + "/login")
	b.SetValue("#identifier", demoIndividual.Email)
	b.SetValue("#password", demoIndividual.Password)
	if st := b.ClickNavigate("#login-submit"); st != http.StatusOK {
		t.Fatalf("sign-in: %d", st)
	}
	switchLang := func(lang string) {
		t.Helper()
		if st := b.ClickNavigate(`.lang-switch button[value="` + lang + `"]`); st != http.StatusOK {
			t.Fatalf("switch to %s: %d", lang, st)
		}
	}

	// My services, in Chinese then English.
	if st := b.ClickNavigate(`.site-nav a[data-nav="services"]`); st != http.StatusOK || !strings.HasSuffix(b.Location(), "/services") {
		t.Fatalf("services: %d at %s", st, b.Location())
	}
	loaded(t, b)
	if got := b.Text("#services-heading"); got != "我的服务" {
		t.Errorf("heading %q", got)
	}
	if n := len(b.Texts("#services tr.service")); n != 4 { // with the manual line waiting for delivery
		t.Fatalf("%d services listed", n)
	}
	if got := b.Text(`#services tr[data-state="suspended"] .suspension`); got != "已到期未续费" {
		t.Errorf("suspension reason %q", got)
	}
	b.Screenshot("services-zh-CN")
	switchLang("en")
	if got := b.Text(`#services tr[data-state="suspended"] .suspension`); got != "Expired, not renewed" {
		t.Errorf("suspension reason in English %q", got)
	}
	b.Screenshot("services-en")

	// The running service.
	if st := b.ClickNavigate(`#services tr[data-state="active"] a.service-link`); st != http.StatusOK {
		t.Fatalf("service page: %d", st)
	}
	if got := b.Text("#service-expires"); got != cst(before) {
		t.Fatalf("expiry shown %q, want %q", got, cst(before))
	}
	if got := b.Text("#cancel-not-refund"); !strings.Contains(got, "not a refund") {
		t.Errorf("cancellation note %q", got)
	}
	b.Screenshot("service-en")
	switchLang("zh-CN")
	if got := b.Text("#renew-heading"); got != "续费" {
		t.Errorf("renew heading %q", got)
	}
	b.Screenshot("service-zh-CN")

	// Renew for one cycle, each key clause ticked on its own.
	b.SetValue("#cycles", "1")
	for _, id := range keys {
		sel := `#renew-clauses input[name="ack"][value="` + id + `"]`
		if browsertest.Eval[bool](b, `document.querySelector('`+sel+`').checked`) {
			t.Fatalf("key clause %s is ticked before the customer ticks it", id)
		}
		b.Click(sel)
	}
	if n := browsertest.Eval[int](b, `document.querySelectorAll('#renew-clauses input[name="ack"]:checked').length`); n != len(keys) {
		t.Fatalf("%d of %d key clauses ticked", n, len(keys))
	}
	if st := b.ClickNavigate("#renew-submit"); st != http.StatusOK {
		t.Fatalf("renew: %d (%s)", st, b.Text("main"))
	}
	if got, _ := b.Attr("#order-purpose", "data-purpose"); got != "renewal" || !strings.Contains(b.Location(), "/orders/") {
		t.Fatalf("after renewing: purpose %q at %s", got, b.Location())
	}
	if st := b.ClickNavigate("#pay-balance"); st != http.StatusOK {
		t.Fatalf("pay: %d", st)
	}
	if got, _ := b.Attr("#order-state", "data-state"); got != "delivered" {
		t.Fatalf("renewal order state %q after paying (%s)", got, b.Text("main"))
	}

	// The new expiry: one month after the old one, on the page and in the app.
	if st := b.Navigate(s.URL + "/services/" + before.ID); st != http.StatusOK {
		t.Fatalf("service page again: %d", st)
	}
	after, err := s.App.Service(ctx, p, before.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := service.AddCycles(before.ExpiresAt, catalog.CycleMonth, 1)
	if !after.ExpiresAt.Equal(want) {
		t.Fatalf("expiry %s, want the old one plus a month %s", after.ExpiresAt, want)
	}
	if got := b.Text("#service-expires"); got != cst(after) {
		t.Errorf("the page shows %q, want %q", got, cst(after))
	}
	if got, _ := b.Attr(`#service-history tr.service-event`, "data-kind"); got != "renewed" {
		t.Errorf("latest history entry %q", got)
	}
	b.Screenshot("service-renewed-zh-CN")
}
