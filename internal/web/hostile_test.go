package web_test

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/web"
	"yuanxu/internal/webtest"
)

// closedObject walks a request schema and reports every object schema with
// named properties that does not refuse other properties
// (additionalProperties: false). Maps (no properties) are free-form by
// design and checked by their handlers.
func (d openAPIDocument) closedObject(t *testing.T, where string, schema map[string]any, depth int, bad *[]string) {
	t.Helper()
	if depth > 12 {
		return
	}
	if ref, ok := schema["$ref"].(string); ok {
		target, err := d.resolve(ref)
		if err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if m, ok := target.(map[string]any); ok {
			d.closedObject(t, where+"→"+ref[strings.LastIndex(ref, "/")+1:], m, depth+1, bad)
		}
		return
	}
	if props, ok := schema["properties"].(map[string]any); ok && len(props) > 0 {
		if schema["additionalProperties"] != false {
			*bad = append(*bad, where)
		}
		for name, p := range props {
			if m, ok := p.(map[string]any); ok {
				d.closedObject(t, where+"."+name, m, depth+1, bad)
			}
		}
	}
	if items, ok := schema["items"].(map[string]any); ok {
		d.closedObject(t, where+"[]", items, depth+1, bad)
	}
}

// TestMassAssignmentIsRefusedEverywhere (issue 18): no request body of the
// API accepts a field it does not declare — structurally, every object
// schema of every request body in the OpenAPI document is closed — and, as
// a customer would try it, the fields that would assign money, state or
// ownership (balance, status, price, account_id, roles) are refused with 400
// request.unknown_field on the customer's own routes, changing nothing.
func TestMassAssignmentIsRefusedEverywhere(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	doc := openAPIDoc(t, s)
	var bad []string
	bodies := 0
	for key, op := range doc.operations(t) {
		if op.RequestBody == nil {
			continue
		}
		for ct, mt := range op.RequestBody.Content {
			if !strings.Contains(ct, "json") {
				continue
			}
			bodies++
			doc.closedObject(t, key, mt.Schema, 0, &bad)
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Errorf("request schemas that accept undeclared fields:\n%s", strings.Join(bad, "\n"))
	}
	if bodies < 30 {
		t.Fatalf("only %d JSON request bodies in the document", bodies)
	}

	c := signIn(t, s, langs[0], "individual@demo.yuanxu.test", "yuanxu-demo-individual", false)
	other := signIn(t, s, langs[0], "enterprise@demo.yuanxu.test", "yuanxu-demo-enterprise", false)
	otherID := webtest.Decode[web.AccountBody](t, other.Do(t, "GET", "/api/v1/me", nil), http.StatusOK).ID
	me := c.Do(t, "GET", "/api/v1/me", nil).Body
	wallet := c.Do(t, "GET", "/api/v1/wallet", nil).Body
	probes := []struct {
		method, path string
		body         map[string]any
	}{
		{"PATCH", "/api/v1/me", map[string]any{"kind": "staff"}},
		{"PATCH", "/api/v1/me", map[string]any{"roles": []string{"admin"}}},
		{"PATCH", "/api/v1/me", map[string]any{"state": "active", "balance_fen": 100000000}},
		{"PATCH", "/api/v1/me", map[string]any{"id": otherID}},
		{"POST", "/api/v1/sandbox/topup", map[string]any{"amount_fen": 100, "account_id": otherID}},
		{"POST", "/api/v1/orders", map[string]any{"lines": orderReq("cs-nc-bw", "s1", "month", 1)["lines"], "agreement": ack(), "account_id": otherID}},
		{"POST", "/api/v1/orders", map[string]any{"lines": orderReq("cs-nc-bw", "s1", "month", 1)["lines"], "agreement": ack(), "status": "paid"}},
		{"POST", "/api/v1/tickets", map[string]any{"category": "consult", "subject": "hi", "body": "hello", "account_id": otherID}},
		{"POST", "/api/v1/tickets", map[string]any{"category": "consult", "subject": "hi", "body": "hello", "status": "closed"}},
	}
	for _, p := range probes {
		t.Run(fmt.Sprintf("%s %s %v", p.method, p.path, keys(p.body)), func(t *testing.T) {
			res := c.Do(t, p.method, p.path, p.body)
			if res.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", res.Status, res.Body)
			}
			if pr := res.Problem(t); pr.Code != "request.unknown_field" {
				t.Fatalf("code %q, want request.unknown_field: %s", pr.Code, res.Body)
			}
		})
	}
	if got := c.Do(t, "GET", "/api/v1/me", nil).Body; string(got) != string(me) {
		t.Errorf("the profile changed:\n%s\n%s", me, got)
	}
	if got := c.Do(t, "GET", "/api/v1/wallet", nil).Body; string(got) != string(wallet) {
		t.Errorf("the wallet changed:\n%s\n%s", wallet, got)
	}
	if list := webtest.Decode[page[map[string]any]](t, c.Do(t, "GET", "/api/v1/tickets", nil), http.StatusOK); len(list.Items) != 0 {
		t.Errorf("a refused body opened a ticket: %+v", list.Items)
	}
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		if k != "lines" && k != "agreement" && k != "category" && k != "subject" && k != "body" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// TestSessionFixationAndTimeoutsThroughHTTP (issue 18): a session cookie
// planted before sign-in — made up, or the attacker's own valid session —
// is never the one the victim is signed in with; and a signed-in session
// ends after the idle timeout, and at the absolute timeout however busy it
// is (sandbox clock), answering 401.
func TestSessionFixationAndTimeoutsThroughHTTP(t *testing.T) {
	t.Parallel()
	s := accountsServer(t, nil)
	victim := s.NewCustomer(t, account.KindIndividual)
	attacker := s.NewCustomer(t, account.KindIndividual)

	t.Run("fixation", func(t *testing.T) {
		atk := client(s, langs[0])
		login(t, atk, attacker.Email, attacker.Password)
		attackerToken := atk.Cookie(web.SessionCookie)
		for name, planted := range map[string]string{"made up": "yx_s_planted-by-the-attacker", "attacker's own": attackerToken} {
			c := client(s, langs[0])
			c.SetCookie(web.SessionCookie, planted)
			login(t, c, victim.Email, victim.Password)
			got := c.Cookie(web.SessionCookie)
			if got == "" || got == planted {
				t.Fatalf("%s: the session after sign-in is the planted one", name)
			}
			// The planted cookie never opens the victim's account.
			probe := s.NewClient("X-Forwarded-For", webtest.UniqueIP())
			probe.SetCookie(web.SessionCookie, planted)
			res := probe.Do(t, "GET", "/api/v1/me", nil)
			if res.Status == http.StatusOK && strings.Contains(string(res.Body), victim.ID) {
				t.Fatalf("%s: the planted session reads the victim's account", name)
			}
		}
		// The attacker's own session is still only the attacker's.
		if me := webtest.Decode[web.AccountBody](t, atk.Do(t, "GET", "/api/v1/me", nil), http.StatusOK); me.ID != attacker.ID {
			t.Fatalf("the attacker's session now reads %s", me.ID)
		}
	})

	t.Run("timeouts", func(t *testing.T) {
		// Sub-tests share the sandbox clock: run in sequence.
		pol := account.SessionPolicyFor(account.KindIndividual)
		advance := func(d string) {
			t.Helper()
			if res := s.Do(t, "POST", "/api/v1/sandbox/clock", map[string]any{"advance": d}); res.Status != http.StatusOK {
				t.Fatalf("advance %s: %d %s", d, res.Status, res.Body)
			}
		}
		c := client(s, langs[1])
		login(t, c, victim.Email, victim.Password)
		advance((pol.Idle - time.Minute).String())
		webtest.Decode[web.AccountBody](t, c.Do(t, "GET", "/api/v1/me", nil), http.StatusOK) // slides the idle timeout
		advance(pol.Idle.String())
		// The answer does not say why (the reason is in the session log).
		wantProblem(t, c.Do(t, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated", "", "")

		c = client(s, langs[1])
		login(t, c, victim.Email, victim.Password)
		busy := pol.Idle / 2
		for total := busy; total < pol.Absolute; total += busy {
			advance(busy.String())
			webtest.Decode[web.AccountBody](t, c.Do(t, "GET", "/api/v1/me", nil), http.StatusOK)
		}
		advance(busy.String())
		wantProblem(t, c.Do(t, "GET", "/api/v1/me", nil), http.StatusUnauthorized, "unauthenticated", "", "")
	})
}

// TestAttackersFailuresDoNotLockOutTheOwner (issue 18): one address
// hammering a victim's login with wrong passwords is answered 429 with
// Retry-After once it passes the limit, while the owner, from their own
// address and remembered device, still signs in at once.
func TestAttackersFailuresDoNotLockOutTheOwner(t *testing.T) {
	t.Parallel()
	s := accountsServer(t, nil)
	victim := s.NewCustomer(t, account.KindIndividual)
	home := client(s, langs[0])
	login(t, home, victim.Email, victim.Password) // a known device and address
	login(t, home, victim.Email, victim.Password)

	attacker := s.NewClient("X-Forwarded-For", "100.70.0.1")
	statuses := map[int]int{}
	var limited *webtest.Response
	for i := 0; i < 40; i++ {
		res := attacker.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": victim.Email, "password": fmt.Sprintf("wrong guess %d", i)})
		statuses[res.Status]++
		if res.Status == http.StatusTooManyRequests && limited == nil {
			limited = res
		}
		if res.Status != http.StatusUnauthorized && res.Status != http.StatusTooManyRequests {
			t.Fatalf("attempt %d: %d %s", i, res.Status, res.Body)
		}
	}
	if limited == nil {
		t.Fatalf("40 failures from one address were never limited: %v", statuses)
	}
	if limited.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// The right password from the attacker's address is refused too while
	// limited: the limit is on the address, not a lock on the account.
	if res := attacker.Do(t, "POST", "/api/v1/auth/login", map[string]any{"login": victim.Email, "password": victim.Password}); res.Status == http.StatusOK {
		if _, set := res.Cookie(web.SessionCookie); set {
			t.Fatal("the limited address signed in")
		}
	}
	if lb := login(t, home, victim.Email, victim.Password); lb.NeedsChallenge || lb.NeedsTOTP || lb.Account == nil || lb.Account.ID != victim.ID {
		t.Fatalf("the owner at home after the attack: %+v", lb)
	}
	webtest.Decode[web.AccountBody](t, home.Do(t, "GET", "/api/v1/me", nil), http.StatusOK)
	t.Logf("attacker's answers: %v", statuses)
}
