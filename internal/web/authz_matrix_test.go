package web

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/store/storetest"
)

var updateMatrix = flag.Bool("update-matrix", false, "rewrite testdata/authz_matrix.txt from what the server answers (then review the diff by hand)")

// The authorisation matrix: every route of the router × every kind of
// principal × (own object, another customer's object) → the answer class.
// The expected answers live in testdata/authz_matrix.txt, a reviewed table
// kept apart from the permission data the app enforces. A route without a
// row fails the test: a new route needs its row.
//
// Answer classes: ok (2xx, or 400/409/422: past authentication and
// authorisation, refused on content or state), 401, 403, 404, login (303
// to a sign-in page), 405, 503.
const matrixFile = "testdata/authz_matrix.txt"

// matrixRoles are the columns, in order.
var matrixRoles = func() []string {
	r := []string{"anon", "individual", "enterprise", "sub_user", "reseller"}
	for _, s := range account.Roles() {
		r = append(r, string(s.Role))
	}
	return r
}()

// destructive rows end the caller's session or change others' state; they
// run last, each with a fresh session.
var destructive = map[string]bool{
	"POST /api/v1/auth/logout": true, "POST /api/v1/auth/logout-all": true, "POST /logout": true,
	"POST /console/logout": true, "POST /account/logout-all": true,
	"POST /api/v1/staff/accounts/{id}/disable": true,
}

// matrixBodies are request bodies valid enough that authorisation, not
// validation, decides (the app validates after authorising where it can).
var matrixBodies = map[string]string{
	"POST /api/v1/staff/members":               `{"email":"new.staff@example.com","display_name":"New","password":"a long enough passphrase 1","roles":["support"]}`,
	"PUT /api/v1/staff/members/{id}/roles":     `{"roles":["support"]}`,
	"POST /api/v1/staff/accounts/{id}/disable": `{"reason":"matrix test"}`,
	"PUT /api/v1/staff/accounts/{id}/standing": `{"flag":"restricted","reason":"matrix test"}`,
	"PUT /api/v1/me/sub-users/{id}/scopes":     `{"scopes":["may_order"]}`,
	"POST /api/v1/me/sub-users":                `{"display_name":"Sub","email":"sub.matrix@example.com","password":"a long enough passphrase 2","scopes":["may_order"]}`,
	"POST /api/v1/me/api-keys":                 `{"name":"matrix","scopes":["order.read"]}`,
	"PATCH /api/v1/me":                         `{"display_name":"Matrix"}`,
	"POST /api/v1/auth/reauth":                 `{"password":"wrong password here"}`,
	"PUT /api/v1/me/password":                  `{"new_password":"a long enough passphrase 3"}`,
	"POST /api/v1/me/totp/enable":              `{"code":"000000"}`,
	"POST /api/v1/me/totp/disable":             `{"code":"000000"}`,
	"POST /api/v1/me/email":                    `{"address":"x@example.com","code_id":"x","code":"000000"}`,
	"POST /api/v1/me/phone":                    `{"address":"13800009999","code_id":"x","code":"000000"}`,
	"POST /api/v1/auth/second-factor":          `{"code":"000000"}`,
	"POST /api/v1/auth/login":                  `{"login":"nobody@example.com","password":"wrong password here"}`,
	"POST /api/v1/auth/codes":                  `{"purpose":"register_email","target":"matrix@example.com"}`,
	"POST /api/v1/auth/password-reset":         `{"login":"nobody@example.com"}`,
	"POST /api/v1/auth/password-reset/confirm": `{"login":"nobody@example.com","code_id":"x","code":"000000","new_password":"a long enough passphrase 4"}`,
	"POST /api/v1/accounts":                    `{"kind":"individual","display_name":"x","email":"x@example.com","phone":"13800009998","password":"a long enough passphrase 5","email_code_id":"x","email_code":"000000","phone_code_id":"x","phone_code":"000000","accept_agreement":true}`,
	"POST /api/v1/sandbox/clock":               `{"advance":"1h"}`,
}

type matrixPrincipal struct {
	cookie string
	id     string
	ip     string
	login  app.DemoLogin
}

func TestAuthorizationMatrix(t *testing.T) {
	if !*updateMatrix {
		if _, err := os.Stat(matrixFile); err != nil {
			// TODO(accounts): the table is not generated yet: re-logins for the
			// destructive rows trip the login throttle (failed re-auth rows count
			// as failures). Pre-create the sessions with app.Login, then run
			// -update-matrix and review the table.
			t.Skip("no " + matrixFile + " yet")
		}
	}
	ctx := context.Background()
	secrets, err := app.NewSecrets()
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(ctx, app.Config{DB: storetest.Open(t), Secrets: secrets, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.ConfigureAccounts(app.AccountConfig{Hash: account.TestParams}); err != nil {
		t.Fatal(err)
	}
	if err := a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Stop(context.Background()) })
	demo, err := a.SeedDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newServer(Config{App: a, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.handler)
	t.Cleanup(hs.Close)
	client := hs.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	do := func(method, path, body, cookie, ip string) (*http.Response, error) {
		var rd *strings.Reader
		if body == "" {
			body = "{}"
			if !strings.HasPrefix(path, "/api/") {
				body = ""
			}
		}
		rd = strings.NewReader(body)
		req, _ := http.NewRequest(method, hs.URL+path, rd)
		if strings.HasPrefix(path, "/api/") {
			req.Header.Set("Content-Type", "application/json")
		} else {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req.Header.Set("X-Forwarded-For", ip)
		if cookie != "" {
			req.Header.Set("Cookie", SessionCookie+"="+cookie)
		}
		res, err := client.Do(req)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if os.Getenv("MATRIX_DEBUG") != "" && res.StatusCode >= 400 {
				fmt.Println(method, path, res.StatusCode, string(b))
			}
		}
		return res, err
	}
	principals := map[string]*matrixPrincipal{"anon": {ip: "198.51.100.1"}}
	login := func(p *matrixPrincipal) {
		t.Helper()
		staff := p.login.Kind == string(account.KindStaff)
		body := fmt.Sprintf(`{"login":%q,"password":%q,"staff":%v}`, p.login.Login, p.login.Password, staff)
		res, err := do("POST", "/api/v1/auth/login", body, "", p.ip)
		if err != nil || res.StatusCode != 200 {
			t.Fatalf("login %s: %v %v", p.login.Login, err, res.StatusCode)
		}
		for _, c := range res.Cookies() {
			if c.Name == SessionCookie {
				p.cookie = c.Value
			}
		}
		sv, _, err := a.Authenticate(ctx, p.cookie)
		if err != nil {
			t.Fatalf("authenticate %s: %v", p.login.Login, err)
		}
		p.id = sv.AccountID
	}
	for i, d := range demo {
		role := d.Kind
		if d.Kind == string(account.KindStaff) {
			role = d.Role
		}
		p := &matrixPrincipal{login: d, ip: fmt.Sprintf("198.51.100.%d", 10+i)}
		login(p)
		principals[role] = p
	}
	for _, r := range matrixRoles {
		if principals[r] == nil {
			t.Fatalf("no demo login for %s", r)
		}
	}
	// A victim: the object of "another customer" (and of the disable row).
	victim, err := a.CreateStaff(ctx, nil, app.CreateStaffInput{Email: "victim@example.com", DisplayName: "victim",
		Password: "a long enough passphrase 6", Roles: []account.Role{account.RoleAuditor}})
	if err != nil {
		t.Fatal(err)
	}
	other := principals["individual"].id

	// Every route, from the router itself.
	var routes []string
	for _, k := range s.operationKeys() {
		routes = append(routes, k)
	}
	for _, p := range s.pageRoutes {
		if !strings.Contains(p, " ") || strings.HasSuffix(p, "/static/") {
			continue
		}
		routes = append(routes, p)
	}
	slices.SortStableFunc(routes, func(x, y string) int {
		if destructive[x] != destructive[y] {
			if destructive[x] {
				return 1
			}
			return -1
		}
		return 0
	})

	got := map[string][]string{}
	var order []string
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		variants := []string{""}
		if strings.Contains(path, "{id}") {
			variants = []string{"own", "other"}
		}
		for _, v := range variants {
			key := route
			if v != "" {
				key += " " + v
			}
			order = append(order, key)
			for _, role := range matrixRoles {
				p := principals[role]
				if destructive[route] && p.login.Login != "" {
					login(p)
				}
				id := p.id
				if v == "other" {
					id = other
					if role == "individual" {
						id = principals["enterprise"].id
					}
					if route == "POST /api/v1/staff/accounts/{id}/disable" {
						id = victim.ID
					}
				}
				if id == "" {
					id = "0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"
				}
				u := strings.ReplaceAll(strings.ReplaceAll(path, "{$}", ""), "{id}", id)
				res, err := do(method, u, matrixBodies[route], p.cookie, p.ip)
				if err != nil {
					t.Fatalf("%s %s as %s: %v", method, u, role, err)
				}
				got[key] = append(got[key], class(res))
			}
		}
	}

	if *updateMatrix {
		var b strings.Builder
		b.WriteString("# Authorisation matrix: route [own|other] then one answer per column.\n")
		b.WriteString("# Classes: ok (2xx, or 400/409/422 past authz), 401, 403, 404, login (303 to sign-in), 405, 503.\n")
		b.WriteString("# Reviewed by hand; regenerate with -update-matrix only to add rows, and review the diff.\n")
		fmt.Fprintf(&b, "# columns: %s\n", strings.Join(matrixRoles, " "))
		for _, k := range order {
			fmt.Fprintf(&b, "%-52s %s\n", k, strings.Join(got[k], " "))
		}
		if err := os.WriteFile(matrixFile, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readMatrix(t)
	for _, k := range order {
		w, ok := want[k]
		if !ok {
			t.Errorf("route %q has no row in %s", k, matrixFile)
			continue
		}
		for i, role := range matrixRoles {
			if i >= len(w) || w[i] != got[k][i] {
				exp := "?"
				if i < len(w) {
					exp = w[i]
				}
				t.Errorf("%s as %s: got %s, want %s", k, role, got[k][i], exp)
			}
		}
	}
	for k := range want {
		if !slices.Contains(order, k) {
			t.Errorf("%s has a row for %q, which is no route", matrixFile, k)
		}
	}
}

// class maps a response to its answer class.
func class(res *http.Response) string {
	switch c := res.StatusCode; {
	case c == 303 && (strings.HasPrefix(res.Header.Get("Location"), "/login") || strings.HasPrefix(res.Header.Get("Location"), "/console/login")):
		return "login"
	case c < 400 || c == 400 || c == 409 || c == 422 || c == 429:
		return "ok"
	default:
		return fmt.Sprint(c)
	}
}

func readMatrix(t *testing.T) map[string][]string {
	t.Helper()
	f, err := os.Open(matrixFile)
	if err != nil {
		t.Fatalf("%v (run with -update-matrix to create it, then review it)", err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		n := 2
		if len(fs) > 2 && (fs[2] == "own" || fs[2] == "other") {
			n = 3
		}
		out[strings.Join(fs[:n], " ")] = fs[n:]
	}
	return out
}
