package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/kyc"
	"yuanxu/internal/pii"
	"yuanxu/internal/webtest"
)

// The reseller rows of the authorisation matrix (section "Resellers" of
// testdata/authz_matrix.txt). The demo reseller (column resel) is
// authorised for cloud servers and has a client of its own, verified; a
// second reseller ("rival") is authorised too and owns the "other"
// objects: an invitation, a webhook endpoint, a failed delivery. The
// staff state-change rows act on authorisations of a third reseller, one
// per staff column and variant, so that suspending one changes no other
// row's answer. Bodies are valid, so the answers are about who asks.

type matrixResellers struct {
	code               string // the demo reseller's public check code
	client             string // the demo reseller's verified client
	ownInv, otherInv   string // pending invitations (demo reseller, rival)
	ownHook, otherHook string // webhook endpoints
	ownFail, otherFail string // failed deliveries
	ownOrder           string // an unpaid order the demo reseller placed for its client
	// auths: staff column → "api own", "page other"… → an authorisation
	// of the victim.
	auths map[string]map[string]string
}

func (env *matrixEnv) setupResellers(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	s := env.s
	a := s.App
	principal := func(cookie string) account.Principal {
		p, _, err := a.Authenticate(ctx, cookie)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	admin := principal(env.byName["admin"].cookie)
	authorise := func(id string) app.ResellerAuthView {
		v, err := a.AuthoriseReseller(ctx, admin, app.ResellerAuthInput{ResellerID: id, Kinds: []string{"cloud_server"}, Mode: "commission",
			RateBP: 1000, ValidUntil: a.Now().Add(365 * 24 * time.Hour)})
		if err != nil {
			t.Fatalf("authorise reseller %s: %v", id, err)
		}
		return v
	}
	newReseller := func() (webtest.Customer, account.Principal) {
		c := s.NewCustomer(t, account.KindReseller)
		p := principal(s.SessionFor(t, c.Email, c.Password, false, c.RegistrationIP))
		if _, err := a.KYCSubmit(webtest.ActorCtx(c.RegistrationIP), p, c.ID, app.KYCSubmitInput{Subject: kyc.SubjectIndividual, Name: "钱七",
			IDNumber: pii.Secret(app.DemoResidentID("19830303", int(time.Now().UnixNano()%900))), Phone: pii.Secret(c.Phone)}); err != nil {
			t.Fatalf("reseller kyc: %v", err)
		}
		matrixShop{t: t, env: env}.approveKYC(c.ID)
		return c, p
	}
	mr := &matrixResellers{auths: map[string]map[string]string{}}
	env.resellers = mr
	resel := env.byName["resel"]
	reselP := principal(resel.cookie)
	mr.code = authorise(resel.id).Code
	client := s.NewResellerClient(t, reselP)
	clientP := principal(s.SessionFor(t, client.Email, client.Password, false, client.RegistrationIP))
	if _, err := a.KYCSubmit(webtest.ActorCtx(client.RegistrationIP), clientP, client.ID, app.KYCSubmitInput{Subject: kyc.SubjectIndividual,
		Name: "孙八", IDNumber: pii.Secret(app.DemoResidentID("19840404", 404)), Phone: pii.Secret(client.Phone)}); err != nil {
		t.Fatalf("client kyc: %v", err)
	}
	matrixShop{t: t, env: env}.approveKYC(client.ID)
	if err := a.SetTicketDelegation(ctx, clientP, true); err != nil {
		t.Fatal(err)
	}
	mr.client = client.ID
	_, rivalP := newReseller()
	authorise(rivalP.AccountID)
	a.ConfigureWebhooks(app.WebhookConfig{AllowPrivate: true})
	for _, x := range []struct {
		p         account.Principal
		inv, hook *string
		fail      *string
	}{{reselP, &mr.ownInv, &mr.ownHook, &mr.ownFail}, {rivalP, &mr.otherInv, &mr.otherHook, &mr.otherFail}} {
		inv, err := a.InviteCustomer(ctx, x.p, app.InviteInput{Kind: "individual", Email: "matrix-pending@example.com"})
		if err != nil {
			t.Fatal(err)
		}
		*x.inv = inv.ID
		ep, err := a.CreateWebhookEndpoint(ctx, x.p, app.WebhookEndpointInput{URL: "http://127.0.0.1:9/matrix"})
		if err != nil {
			t.Fatal(err)
		}
		*x.hook = ep.ID
	}
	// Deliveries: the rival's client joining queues one for the rival;
	// the demo client's join queued none (no endpoint then): an order does.
	rivalClient := s.NewResellerClient(t, rivalP)
	_ = rivalClient
	ro, _, err := a.ResellerCheckout(ctx, reselP, client.ID, app.CheckoutRequest{Lines: []app.LineRequest{{ProductID: matrixActiveProduct,
		PlanID: "s1", Cycle: "month", Quantity: 1}}}, app.Idem{})
	if err != nil {
		t.Fatalf("reseller order: %v", err)
	}
	mr.ownOrder = ro.ID
	for acc, dst := range map[string]*string{reselP.AccountID: &mr.ownFail, rivalP.AccountID: &mr.otherFail} {
		var id string
		if err := a.DB().QueryRow(ctx, `SELECT id FROM webhook_delivery WHERE account_id = $1 ORDER BY id LIMIT 1`, acc).Scan(&id); err != nil {
			t.Fatalf("delivery of %s: %v", acc, err)
		}
		// Failed after its attempts (the fixture skips the eleven hours).
		if _, err := a.DB().Writer().ExecContext(ctx, `UPDATE webhook_delivery SET state = 'failed', attempts = 8 WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		*dst = id
	}
	_, victimP := newReseller()
	for _, act := range env.actors {
		if act.kind != account.KindStaff {
			continue
		}
		mr.auths[act.name] = map[string]string{}
		for _, k := range []string{"api own", "api other", "page own", "page other"} {
			mr.auths[act.name][k] = authorise(victimP.AccountID).ID
		}
	}
}

// resellerPath is the path a reseller row sends, when it names an object
// of the fixture.
func (env *matrixEnv) resellerPath(p probe, a *actor) (string, bool) {
	mr := env.resellers
	if mr == nil {
		return "", false
	}
	_, path, _ := strings.Cut(p.route, " ")
	pick := func(own, other string) string {
		if p.variant == "other" {
			return other
		}
		return own
	}
	var id string
	switch path {
	case "/api/v1/resellers/check":
		return path + "?code=" + mr.code, true
	case "/api/v1/reseller/customers/{id}", "/api/v1/reseller/customers/{id}/orders", "/api/v1/reseller/customers/{id}/tickets", "/api/v1/reseller/customers/{id}/services",
		"/reseller/customers/{id}/order":
		id = pick(mr.client, env.stranger.ID)
	case "/api/v1/reseller/invitations/{id}/revoke":
		id = pick(mr.ownInv, mr.otherInv)
	case "/api/v1/reseller/webhooks/{id}/active":
		id = pick(mr.ownHook, mr.otherHook)
	case "/api/v1/reseller/webhook-deliveries/{id}/retry":
		id = pick(mr.ownFail, mr.otherFail)
	case "/reseller/orders/{id}/pay":
		id = pick(mr.ownOrder, env.commerce.other["pay"])
	case "/api/v1/staff/reseller-authorisations/{id}/state", "/console/reseller-authorisations/{id}":
		// One authorisation per staff column, route and variant: the
		// allowed cells suspend theirs.
		k := "api " + p.variant
		if !strings.HasPrefix(path, "/api/") {
			k = "page " + p.variant
		}
		m := mr.auths[a.name]
		if m == nil {
			m = mr.auths["admin"]
		}
		id = m[k]
	case "/api/v1/staff/resellers/{id}/statement", "/api/v1/staff/resellers/{id}/settle", "/console/resellers/{id}", "/console/resellers/{id}/settle":
		id = pick(env.byName["resel"].id, env.stranger.ID)
	default:
		return "", false
	}
	return strings.ReplaceAll(path, "{id}", id), true
}

// resellerBody is the body of a reseller row.
func (env *matrixEnv) resellerBody(p probe, a *actor) (contentType, body string, ok bool) {
	if env.resellers == nil {
		return "", "", false
	}
	const form = "application/x-www-form-urlencoded"
	values := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	js := func(v any) (string, string, bool) {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return "application/json", string(b), true
	}
	switch p.route {
	case "POST /api/v1/invitations/{token}/accept":
		return js(map[string]any{"display_name": "matrix", "phone": "13800009999", "password": "a long enough passphrase 4",
			"phone_code_id": noSuchID, "phone_code": "000000", "accept_agreement": true, "acknowledged_clauses": app.DefaultKeyClauses()})
	case "PUT /api/v1/me/reseller-delegation":
		return js(map[string]any{"tickets": true})
	case "POST /api/v1/reseller/invitations":
		return js(map[string]any{"kind": "individual", "email": "matrix-" + a.name + "@example.com"})
	case "POST /api/v1/reseller/customers/{id}/orders":
		return js(map[string]any{"lines": []map[string]any{{"product_id": matrixActiveProduct, "plan_id": "s1", "cycle": "month", "quantity": 1}}})
	case "POST /api/v1/reseller/webhooks":
		return js(map[string]any{"url": "https://hooks.example.com/" + a.name})
	case "PUT /api/v1/reseller/webhooks/{id}/active":
		return js(map[string]any{"active": true})
	case "POST /api/v1/staff/reseller-authorisations":
		return js(map[string]any{"reseller_id": env.byName["resel"].id, "kinds": []string{"vpn"}, "mode": "wholesale", "rate_bp": 500,
			"valid_until": time.Now().Add(30 * 24 * time.Hour).Format(time.RFC3339)})
	case "POST /api/v1/staff/reseller-authorisations/{id}/state":
		return js(map[string]any{"action": "suspend", "reason": "matrix"})
	// Pages: form bodies.
	case "POST /reseller/invitations":
		return form, values("kind", "individual", "email", "matrix-page-"+a.name+"@example.com"), true
	case "POST /reseller/webhooks":
		return form, values("url", "https://hooks.example.com/page-"+a.name), true
	case "POST /reseller/customers/{id}/order":
		return form, values("choice", matrixActiveProduct+"|s1|month"), true
	case "POST /account/reseller-delegation":
		return form, values("tickets", "on"), true
	case "POST /console/resellers":
		return form, url.Values{"reseller_id": {env.byName["resel"].id}, "kinds": {"cdn"}, "mode": {"commission"}, "rate": {"5"},
			"valid_until": {time.Now().AddDate(0, 1, 0).Format("2006-01-02")}}.Encode(), true
	case "POST /console/reseller-authorisations/{id}":
		return form, values("action", "suspend", "reason", "matrix"), true
	}
	return "", "", false
}
