package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/webtest"
)

// TestResellerAPIWithKeys: the demo reseller (authorised for cloud servers
// and VPN lines, with a verified client) works through an API key holding
// reseller scopes: lists its customers, is refused accepting the agreement
// for one and ordering outside its scope (problems in zh-CN and English
// with the field and the rule), orders with an Idempotency-Key (the replay
// answers the same order), and reads the customer's services. A key
// without order.create is refused; a rival reseller reaches nothing; the
// public check answers anyone.
func TestResellerAPIWithKeys(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	ctx := context.Background()
	rp := mustPrincipal(t, s, "reseller@demo.yuanxu.test", "yuanxu-demo-reseller")
	for _, l := range langs {
		t.Run(l.name, func(t *testing.T) {
			c := signIn(t, s, l, "reseller@demo.yuanxu.test", "yuanxu-demo-reseller", false)
			key := webtest.Decode[keyCreated](t, c.Do(t, "POST", "/api/v1/me/api-keys", map[string]any{"name": "crm-" + l.name,
				"scopes": []string{"reseller.client.manage", "order.create", "order.read", "service.read", "reseller.commission.read"}}), http.StatusCreated)
			bearer := s.NewClient("Authorization", "Bearer "+key.Key, "Accept-Language", l.accept, "X-Forwarded-For", webtest.UniqueIP())

			type customers struct {
				Items []app.ResellerCustomerView `json:"items"`
			}
			cs := webtest.Decode[customers](t, bearer.Do(t, "GET", "/api/v1/reseller/customers", nil), http.StatusOK)
			if len(cs.Items) != 1 || !cs.Items[0].KYCApproved || cs.Items[0].EmailMasked == "client@demo.yuanxu.test" {
				t.Fatalf("customers = %+v", cs.Items)
			}
			client := cs.Items[0].ID
			orders := "/api/v1/reseller/customers/" + url.PathEscape(client) + "/orders"
			line := []map[string]any{{"product_id": "cs-nc-bw", "plan_id": "s1", "cycle": "month", "quantity": 1}}

			p := wantProblem(t, bearer.Do(t, "POST", orders, map[string]any{"lines": line, "agreement": map[string]any{"acknowledged": app.DefaultKeyClauses()}}),
				422, "reseller.cannot_accept_for_customer", l.pick("代理商不能代客户接受服务协议；请让客户本人在控制台接受。",
					"A reseller cannot accept the agreement for a customer; the customer accepts it in the portal."), "body.agreement")
			if f, _ := p.Field("body.agreement"); f.Rule != "customer_only" {
				t.Errorf("rule %q", f.Rule)
			}
			wantProblem(t, bearer.Do(t, "POST", orders, map[string]any{"lines": []map[string]any{{"product_id": "cert-dv", "plan_id": "dv1",
				"cycle": "year", "quantity": 1}}}), 403, "reseller.out_of_scope", "", "")

			h := []string{"Idempotency-Key", "crm-order-" + l.name}
			first := bearer.Do(t, "POST", orders, map[string]any{"lines": line}, h...)
			o := webtest.Decode[app.OrderView](t, first, http.StatusCreated)
			again := bearer.Do(t, "POST", orders, map[string]any{"lines": line}, h...)
			if r := webtest.Decode[app.OrderView](t, again, http.StatusCreated); r.ID != o.ID || again.Header.Get("Idempotent-Replayed") != "true" {
				t.Fatalf("replay = %s %q", r.ID, again.Header.Get("Idempotent-Replayed"))
			}
			if o.Channel != "reseller:"+rp.AccountID || o.AccountID != client || o.ResellerMode != "commission" {
				t.Fatalf("order = %+v", o)
			}
			// The reseller reads the order and the customer's services.
			webtest.Decode[app.OrderView](t, bearer.Do(t, "GET", "/api/v1/orders/"+o.ID, nil), http.StatusOK)
			webtest.Decode[map[string]any](t, bearer.Do(t, "GET", "/api/v1/reseller/customers/"+client+"/services", nil), http.StatusOK)

			// A key without order.create may not order.
			narrow := webtest.Decode[keyCreated](t, c.Do(t, "POST", "/api/v1/me/api-keys", map[string]any{"name": "ro-" + l.name,
				"scopes": []string{"reseller.client.manage"}}), http.StatusCreated)
			nb := s.NewClient("Authorization", "Bearer "+narrow.Key, "Accept-Language", l.accept)
			wantProblem(t, nb.Do(t, "POST", orders, map[string]any{"lines": line}), 403, "authz.api_key_scope", "", "")
		})
	}

	// A rival reseller reaches none of the demo reseller's customers.
	rival := s.NewCustomer(t, account.KindReseller)
	rc := signIn(t, s, langs[1], rival.Email, rival.Password, false)
	cs, err := s.App.ResellerCustomers(ctx, rp)
	if err != nil || len(cs) != 1 {
		t.Fatalf("customers = %+v, %v", cs, err)
	}
	wantProblem(t, rc.Do(t, "GET", "/api/v1/reseller/customers/"+cs[0].ID, nil), 404, "account.not_found", "", "")
	wantProblem(t, rc.Do(t, "POST", "/api/v1/reseller/customers/"+cs[0].ID+"/orders", map[string]any{"lines": []map[string]any{{"product_id": "cs-nc-bw",
		"plan_id": "s1", "cycle": "month", "quantity": 1}}}), 404, "account.not_found", "", "")

	// Anyone checks the demo reseller's code.
	auths, err := s.App.ResellerAuthorisations(ctx, rp, "")
	if err != nil || len(auths) == 0 {
		t.Fatalf("auths = %+v, %v", auths, err)
	}
	anon := client(s, langs[0])
	chk := webtest.Decode[app.PublicResellerCheck](t, anon.Do(t, "GET", "/api/v1/resellers/check?code="+auths[0].Code, nil), http.StatusOK)
	if chk.Status != "valid" || chk.CompanyName != "示例代理商有限公司" {
		t.Fatalf("check = %+v", chk)
	}
	wantProblem(t, anon.Do(t, "GET", "/api/v1/resellers/check?code=nonsense", nil), 422, "reseller.code_invalid", "授权编号的格式为 YXR-XXXX-XXXX。", "query.code")
}

// mustPrincipal authenticates login through the app.
func mustPrincipal(t *testing.T, s *webtest.Server, login, password string) account.Principal {
	t.Helper()
	p, _, err := s.App.Authenticate(context.Background(), s.SessionFor(t, login, password, false, webtest.UniqueIP()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
