package pages_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/app"
)

// TestServicePageDeliveryStates: a sandbox service shows its sandbox label,
// address and the open inspection window; the demo's waiting manual line,
// once past its deadline (the sandbox clock advanced, which runs the
// deadline sweep), shows the breach and the right to a full refund, in
// both languages.
func TestServicePageDeliveryStates(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ctx := context.Background()
	p := principalOf(t, s, demoIndividual)
	svcs, err := s.App.Services(ctx, p, app.ServiceListFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var sandboxID, waitingID string
	for _, v := range svcs {
		switch {
		case v.State == "active":
			sandboxID = v.ID
		case v.State == "pending":
			waitingID = v.ID
		}
	}
	if sandboxID == "" || waitingID == "" {
		t.Fatalf("demo services %+v", svcs)
	}
	cl := shopClient(t, s, demoIndividual, "zh-CN")
	_, doc := htmlOf(t, cl, "GET", "/services/"+sandboxID, nil, http.StatusOK)
	if doc.byID("delivery-sandbox") == nil || mustID(t, doc, "delivery-status").attrs["data-status"] != "delivered" ||
		!strings.HasPrefix(mustID(t, doc, "delivery-addresses").textContent(), "198.18.0.") ||
		mustID(t, doc, "delivery-inspection").attrs["data-open"] != "yes" || doc.byID("delivery-problem-form") == nil {
		t.Errorf("sandbox delivery section %q", mustID(t, doc, "delivery").textContent())
	}
	if doc.byID("credentials-form") == nil || doc.byID("credentials-table") != nil {
		t.Error("credentials shown without re-authentication")
	}
	if _, err := s.App.SandboxAdvance(ctx, 25*time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ lang, right string }{{"zh-CN", "全额退款"}, {"en", "full refund"}} {
		cl := shopClient(t, s, demoIndividual, c.lang)
		_, doc := htmlOf(t, cl, "GET", "/services/"+waitingID, nil, http.StatusOK)
		if doc.byID("delivery-breach") == nil || !strings.Contains(mustID(t, doc, "delivery-refund-right").textContent(), c.right) ||
			doc.byID("delivery-problem-form") != nil {
			t.Errorf("%s: breached delivery section %q", c.lang, mustID(t, doc, "delivery").textContent())
		}
		sv, err := s.App.Service(ctx, p, waitingID)
		if err != nil {
			t.Fatal(err)
		}
		_, doc = htmlOf(t, cl, "GET", "/orders/"+sv.OrderID, nil, http.StatusOK)
		if !strings.Contains(mustID(t, doc, "order-breach").textContent(), c.right) {
			t.Errorf("%s: order page breach %q", c.lang, mustID(t, doc, "order-breach").textContent())
		}
		_, doc = htmlOf(t, cl, "GET", "/services/"+sandboxID, nil, http.StatusOK)
		if mustID(t, doc, "delivery-inspection").attrs["data-open"] != "no" || doc.byID("delivery-problem-form") != nil || doc.byID("delivery-defects") == nil {
			t.Errorf("%s: closed window %q", c.lang, mustID(t, doc, "delivery").textContent())
		}
	}
}
