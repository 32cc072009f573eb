package pages_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/web/i18n"
)

// TestConsoleNodeWireGuardForm: operations give a new VPN node its
// WireGuard interface from the nodes page; mistakes (an endpoint without
// a port, a pool overlapping the demo node's) are refused with what was
// typed kept; the saved interface is shown, its key awaiting the agent.
// Customers cannot reach the page.
func TestConsoleNodeWireGuardForm(t *testing.T) {
	t.Parallel()
	s := newShopServer(t)
	ops := signIn(t, s, s.NewStaff(t, account.RoleOperations))
	ops.SetCookie(i18n.CookieName, "en")
	if res := ops.Do(t, "POST", "/console/nodes", url.Values{"id": {"nc-vpn-x"}, "kind": {"vpn"}, "name": {"x"}, "region": {"cn-jx-nanchang"}}.Encode(),
		"Content-Type", "application/x-www-form-urlencoded"); res.Status != http.StatusOK {
		t.Fatalf("create node: %d", res.Status)
	}
	_, doc := htmlOf(t, ops, "GET", "/console/nodes", nil, http.StatusOK)
	if doc.byID("wg-nc-vpn-x") == nil {
		t.Fatal("no WireGuard link for the VPN node")
	}
	_, doc = htmlOf(t, ops, "GET", "/console/nodes/nc-vpn-x/wireguard", nil, http.StatusOK)
	if doc.byID("wg-form") == nil || !strings.Contains(mustID(t, doc, "wg-public-key").textContent(), "Not reported") ||
		mustID(t, doc, "wg-port").attrs["value"] != "51820" {
		t.Fatalf("empty interface page %q", mustID(t, doc, "wg-form").textContent())
	}
	for _, bad := range []url.Values{
		{"endpoint": {"no-port"}, "listen_port": {"51820"}, "pool_v4": {"10.90.0.0/24"}},
		{"endpoint": {"x.example.test:51820"}, "listen_port": {"51820"}, "pool_v4": {"10.66.0.0/25"}}, // the demo node's pool
		{"endpoint": {"x.example.test:51820"}, "listen_port": {"port"}, "pool_v4": {"10.90.0.0/24"}},
	} {
		_, doc := htmlOf(t, ops, "POST", "/console/nodes/nc-vpn-x/wireguard", bad, http.StatusUnprocessableEntity)
		if mustID(t, doc, "wg-endpoint").attrs["value"] != bad.Get("endpoint") || mustID(t, doc, "wg-pool4").attrs["value"] != bad.Get("pool_v4") {
			t.Errorf("%v: the typed values were not kept", bad)
		}
	}
	res := ops.Do(t, "POST", "/console/nodes/nc-vpn-x/wireguard", url.Values{"endpoint": {"x.example.test:51820"}, "listen_port": {"51821"},
		"pool_v4": {"10.90.0.0/24"}, "dns": {"10.90.0.1, 223.5.5.5"}}.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if res.Status != http.StatusSeeOther || !strings.HasSuffix(res.Header.Get("Location"), "/console/nodes/nc-vpn-x/wireguard?done=wireguard_saved") {
		t.Fatalf("save: %d %s", res.Status, res.Header.Get("Location"))
	}
	_, doc = htmlOf(t, ops, "GET", "/console/nodes/nc-vpn-x/wireguard?done=wireguard_saved", nil, http.StatusOK)
	for id, want := range map[string]string{"wg-endpoint": "x.example.test:51820", "wg-port": "51821", "wg-pool4": "10.90.0.0/24", "wg-dns": "10.90.0.1, 223.5.5.5"} {
		if got := mustID(t, doc, id).attrs["value"]; got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if !strings.Contains(doc.textContent(), "The WireGuard interface was saved.") {
		t.Error("no saved notice")
	}

	cust := shopClient(t, s, demoIndividual, "en")
	if res := cust.Do(t, "GET", "/console/nodes/nc-vpn-x/wireguard", nil); res.Status == http.StatusOK {
		t.Fatal("a customer reached the node's interface page")
	}
}
