package pages_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"yuanxu/internal/app"
	"yuanxu/internal/browsertest"
	"yuanxu/internal/store"
)

// TestBrowserCommerceBuyCloudServerWithBalance: the demo individual signs in,
// opens the catalogue, adds a cloud server to the cart, ticks each key
// clause of the agreement in force at checkout, places the order and pays
// it with the balance. Through the app, the test then checks that the
// order is paid, records the agreement version, and has an acceptance
// with occasion checkout whose acknowledged clauses are exactly the key
// clauses; and that the cash went down by the price. Screenshots of the
// cart with its checkout form and of the order page, in Chinese and in
// English (their paths are logged; YUANXU_SCREENSHOTS keeps them).
func TestBrowserCommerceBuyCloudServerWithBalance(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	p := principalOf(t, s, demoIndividual)
	cur, err := s.App.AgreementCurrent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	keys := app.KeyClauseIDs(cur)
	w0, err := s.App.Wallet(ctx, p, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}

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
	tickAll := func() {
		t.Helper()
		for _, id := range keys {
			sel := `#key-clauses input[name="ack"][value="` + id + `"]`
			if browsertest.Eval[bool](b, `document.querySelector('`+sel+`').checked`) {
				t.Fatalf("key clause %s is ticked before the customer ticks it", id)
			}
			b.Click(sel)
		}
		if n := browsertest.Eval[int](b, `document.querySelectorAll('#key-clauses input[name="ack"]:checked').length`); n != len(keys) {
			t.Fatalf("%d of %d key clauses ticked", n, len(keys))
		}
	}

	// The catalogue: every product shows its refund class and clause.
	if st := b.Navigate(s.URL + "/products"); st != http.StatusOK {
		t.Fatalf("products: %d", st)
	}
	loaded(t, b)
	if got, _ := b.Attr(`#product-cs-gz-home .shop-refund`, "data-clause"); got != "3.2.1" {
		t.Errorf("home-broadband server clause %q", got)
	}
	if st := b.ClickNavigate("#choose-cs-nc-bw"); st != http.StatusOK {
		t.Fatalf("product page: %d", st)
	}
	price := strings.TrimSpace(b.Text(`#product-prices tr[data-plan="s1"] .shop-price[data-cycle="month"]`))
	if !strings.HasPrefix(price, "¥39.00") {
		t.Fatalf("monthly price of s1 %q", price)
	}
	if st := b.ClickNavigate("#add-to-cart"); st != http.StatusOK || !strings.Contains(b.Location(), "/cart") {
		t.Fatalf("add to cart: %d at %s", st, b.Location())
	}
	if n := len(b.Texts(".cart-item")); n != 1 {
		t.Fatalf("%d cart items", n)
	}

	// Nothing ticked: refused with the clauses missing, nothing placed.
	b.Allow(`status of 422`)
	if st := b.ClickNavigate("#checkout-submit"); st != http.StatusUnprocessableEntity {
		t.Fatalf("checkout with nothing ticked: %d", st)
	}
	if msg := b.Text("#form-error"); !strings.Contains(msg, "尚未勾选") || !strings.Contains(msg, keys[len(keys)-1]) {
		t.Errorf("refusal %q", msg)
	}
	b.Screenshot("checkout-refused-zh-CN")

	// Checkout in Chinese, then in English: each key clause ticked on its own.
	tickAll()
	b.Screenshot("cart-checkout-zh-CN")
	switchLang("en")
	if got := b.Text("#checkout-heading"); got != "Checkout" {
		t.Fatalf("checkout heading in English %q", got)
	}
	tickAll()
	b.Screenshot("cart-checkout-en")
	if st := b.ClickNavigate("#checkout-submit"); st != http.StatusOK {
		t.Fatalf("place order: %d (%s)", st, b.Text("main"))
	}
	loc := b.Location()
	i := strings.Index(loc, "/orders/")
	if i < 0 {
		t.Fatalf("after checkout: %s (%s)", loc, b.Text("main"))
	}
	orderID := strings.SplitN(loc[i+len("/orders/"):], "?", 2)[0]
	if got, _ := b.Attr("#order-state", "data-state"); got != "created" {
		t.Fatalf("state after checkout %q", got)
	}
	if !strings.Contains(b.Text("#order-expiry"), "left") {
		t.Errorf("expiry %q", b.Text("#order-expiry"))
	}
	b.Screenshot("order-unpaid-en")
	if st := b.ClickNavigate("#pay-balance"); st != http.StatusOK {
		t.Fatalf("pay: %d", st)
	}
	if got, _ := b.Attr("#order-state", "data-state"); got != "delivered" { // activated at payment until the delivery capability lands
		t.Fatalf("state after paying %q (%s)", got, b.Text("main"))
	}
	if b.Text("#form-notice") != "Paid." || !b.Exists("#order-deliver-by") {
		t.Errorf("paid page: notice %q", b.Text("#form-notice"))
	}
	b.Screenshot("order-paid-en")
	switchLang("zh-CN")
	if got := b.Text("#order-state"); got != "已交付" { // activated at payment until the delivery capability lands
		t.Errorf("state in Chinese %q", got)
	}
	b.Screenshot("order-paid-zh-CN")

	// Through the app: paid, the version recorded, one checkout acceptance
	// acknowledging exactly the key clauses, the cash down by the price.
	o, err := s.App.Order(ctx, p, orderID)
	if err != nil {
		t.Fatal(err)
	}
	if o.State != "delivered" || o.PaidAt.IsZero() || o.TotalFen != 3900 || o.Channel != "web" || o.Agreement.VersionID != cur.ID ||
		o.Agreement.SHA256 != cur.SHA256 || o.Agreement.AcceptanceID == "" {
		t.Fatalf("order %+v", o)
	}
	accs, err := s.App.AgreementMyAcceptances(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var found []store.AcceptanceRow
	for _, a := range accs {
		if a.OrderID == orderID {
			found = append(found, a)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d acceptances of the order", len(found))
	}
	got := slices.Clone(found[0].Acknowledged)
	want := slices.Clone(keys)
	slices.Sort(got)
	slices.Sort(want)
	if a := found[0]; a.ID != o.Agreement.AcceptanceID || a.Occasion != store.OccasionCheckout || a.VersionID != cur.ID || !slices.Equal(got, want) {
		t.Fatalf("acceptance %+v; want occasion checkout, version %s, clauses %v", a, cur.ID, want)
	}
	w1, err := s.App.Wallet(ctx, p, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if spent := w0.Balance.SpendableFen - w1.Balance.SpendableFen; spent != o.TotalFen {
		t.Fatalf("balance went down by %d, want the price %d", spent, o.TotalFen)
	}
}
