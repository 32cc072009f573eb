package web_test

import (
	"bufio"
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/notify"
	"yuanxu/internal/store"
	"yuanxu/internal/webtest"
)

var noTime time.Time

// probe is one row of the matrix: a route and, for routes with an {id},
// whose object the id names.
type probe struct {
	route   string // "METHOD /path" as registered; "* /path" for any method
	method  string // sent
	path    string // sent, {id} to be filled
	variant string // "-", "own" or "other"
}

func (p probe) key() string { return p.route + " " + p.variant }

// probePaths are what is sent for routes whose pattern is no path.
var probePaths = map[string]string{
	"* /":          "/no/such/page",
	"* /api/":      "/api/v1/no/such/route",
	"GET /static/": "/static/app.css",
}

// destructive routes end sessions, change the password or act on another
// account's standing: they run after the parallel phase, each cell with a
// fresh session and, for "other", a fresh victim.
var destructive = []string{
	"POST /api/v1/auth/logout", "POST /api/v1/auth/logout-all", "PUT /api/v1/me/password",
	"POST /api/v1/staff/accounts/{id}/disable", "PUT /api/v1/staff/accounts/{id}/standing",
	"DELETE /api/v1/staff/accounts/{id}/standing",
	"POST /logout", "POST /console/logout", "POST /account/logout-all",
}

// isTicketRoute: a route whose {id} is a ticket (ticketFor).
func isTicketRoute(route string) bool {
	return strings.Contains(route, "/tickets/{id}")
}

func (p probe) destructive() bool { return slices.Contains(destructive, p.route) }

// probesOf turns a mux pattern into its rows.
func probesOf(pattern string) []probe {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "*", pattern
	}
	route := method + " " + path
	send := strings.ReplaceAll(path, "{$}", "")
	if p, ok := probePaths[route]; ok {
		send = p
	}
	if method == "*" {
		method = "GET"
	}
	if !strings.Contains(path, "{id}") {
		return []probe{{route: route, method: method, path: send, variant: "-"}}
	}
	return []probe{{route, method, send, "own"}, {route, method, send, "other"}}
}

// send makes the request of probe p as actor a with session cookie.
// victim is the account "other" names on the rows that act on a fresh one.
func (env *matrixEnv) send(t *testing.T, p probe, a *actor, cookie string, victim ...string) *webtest.Response {
	t.Helper()
	path := strings.ReplaceAll(p.path, "{id}", url.PathEscape(env.target(p, a, victim...)))
	if isTicketRoute(p.route) {
		tk := env.ticketFor(p, a)
		path = strings.ReplaceAll(strings.ReplaceAll(p.path, "{id}", url.PathEscape(tk.id)), "{attachment}", url.PathEscape(tk.attachment))
	}
	if cp, ok := env.commercePath(p, a); ok { // api_commerce_matrix_test.go
		path = cp
	}
	if rp, ok := env.resellerPath(p, a); ok { // api_reseller_matrix_test.go
		path = rp
	}
	if cp, ok := env.compliancePath(p, a); ok { // api_compliance_matrix_test.go
		path = cp
	}
	if mp, ok := env.measuresPath(p, a); ok { // api_measures_matrix_test.go
		path = mp
	}
	if ap, ok := env.acmePath(p, a); ok { // api_acme_matrix_test.go
		path = ap
	}
	if ap, ok := env.authorityPath(p, a); ok { // api_authority_matrix_test.go
		path = ap
	}
	if np, ok := env.netdrvPath(p, a); ok { // api_netdrv_matrix_test.go
		path = np
	}
	if p.route == "DELETE /api/v1/staff/accounts/{id}/standing" {
		path += "?flag=restricted&reason=matrix"
	}
	if cookie != "" && a.password != "" {
		env.keepReauthenticated(t, cookie, a.password)
	}
	h := []string{"X-Forwarded-For", a.ip, "Accept-Language", "en"}
	if cookie != "" {
		h = append(h, "Cookie", "yuanxu_session="+cookie)
	}
	if a.bearer != "" {
		h = append(h, "Authorization", "Bearer "+a.bearer)
	}
	ct, body := env.body(p, a)
	var b any
	if body != "" {
		b = body
		h = append(h, "Content-Type", ct)
	}
	return env.s.Do(t, p.method, path, b, h...)
}

// target is the id a probe names for a.
func (env *matrixEnv) target(p probe, a *actor, victim ...string) string {
	or := func(id string) string {
		if id == "" {
			return noSuchID
		}
		return id
	}
	r, st := p.route, &env.stranger
	if strings.Contains(r, "/staff/kyc/{id}") || strings.Contains(r, "/console/kyc/{id}") {
		return env.kyc[p.variant] // a submission, not an account
	}
	if p.variant == "other" {
		switch {
		case strings.Contains(r, "/sessions/"):
			return st.session
		case strings.Contains(r, "/api-keys/"):
			return st.key
		case strings.Contains(r, "/inbox/"):
			return st.inbox
		case strings.Contains(r, "/staff/members/"):
			return env.victimStaff
		case len(victim) > 0:
			return victim[0]
		}
		return st.ID
	}
	switch {
	case strings.Contains(r, "/sessions/"):
		return or(a.sessions[r])
	case strings.Contains(r, "/api-keys/"):
		return or(a.keys[r])
	case strings.Contains(r, "/inbox/"):
		return or(a.inbox)
	case strings.Contains(r, "/sub-users/") && a.subUser != "":
		return a.subUser
	}
	return or(a.id)
}

// body is the request body of p for a: valid enough that the answer is
// about who asks (wrong codes on purpose where a code is needed, so that
// an allowed caller gets 422, not a change).
func (env *matrixEnv) body(p probe, a *actor) (contentType, body string) {
	const form, js = "application/x-www-form-urlencoded", "application/json"
	if ct, b, ok := env.resellerBody(p, a); ok { // api_reseller_matrix_test.go
		return ct, b
	}
	if ct, b, ok := env.complianceBody(p, a); ok { // api_compliance_matrix_test.go
		return ct, b
	}
	if ct, b, ok := env.acmeBody(p, a); ok { // api_acme_matrix_test.go
		return ct, b
	}
	if ct, b, ok := env.announceBody(p, a); ok { // api_announce_matrix_test.go
		return ct, b
	}
	if ct, b, ok := env.authorityBody(p, a); ok { // api_authority_matrix_test.go
		return ct, b
	}
	if ct, b, ok := env.netdrvBody(p, a); ok { // api_netdrv_matrix_test.go
		return ct, b
	}
	if ct, b, ok := env.commerceBody(p, a); ok { // api_commerce_matrix_test.go
		return ct, b
	}
	n := a.name
	login, password := "nobody-"+n+"@example.com", "not the password 0"
	if a.login != "" && !a.key {
		login, password = a.login, a.password
	}
	phone := fmt.Sprintf("1370000%04d", slices.IndexFunc(matrixColumns, func(c column) bool { return c.name == n }))
	values := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	switch p.route {
	case "POST /api/v1/auth/codes":
		return js, fmt.Sprintf(`{"purpose":"register_email","target":"code-%s@example.com"}`, n)
	case "POST /api/v1/accounts":
		return js, fmt.Sprintf(`{"kind":"individual","display_name":"Matrix","email":"reg-%s@example.com","phone":%q,"password":"a long enough passphrase 5",`+
			`"email_code_id":%q,"email_code":"000000","phone_code_id":%q,"phone_code":"000000","accept_agreement":true}`, n, phone, noSuchID, noSuchID)
	case "POST /api/v1/auth/login":
		return js, fmt.Sprintf(`{"login":%q,"password":%q}`, login, password)
	case "POST /api/v1/auth/second-factor", "POST /api/v1/me/totp/enable", "POST /api/v1/me/totp/disable":
		return js, `{"code":"000000"}`
	case "POST /api/v1/auth/reauth":
		return js, fmt.Sprintf(`{"password":%q}`, password)
	case "POST /api/v1/auth/password-reset":
		return js, fmt.Sprintf(`{"login":"nobody-%s@example.com"}`, n)
	case "POST /api/v1/auth/password-reset/confirm":
		return js, fmt.Sprintf(`{"login":"nobody-%s@example.com","code_id":%q,"code":"000000","new_password":"a long enough passphrase 4"}`, n, noSuchID)
	case "PATCH /api/v1/me":
		return js, `{"display_name":"Matrix"}`
	case "PUT /api/v1/me/password":
		return js, fmt.Sprintf(`{"new_password":%q}`, a.nextPassword())
	case "POST /api/v1/me/email":
		return js, fmt.Sprintf(`{"address":"new-%s@example.com","code_id":%q,"code":"000000"}`, n, noSuchID)
	case "POST /api/v1/me/phone":
		return js, fmt.Sprintf(`{"address":"1360%s","code_id":%q,"code":"000000"}`, phone[4:], noSuchID)
	case "POST /api/v1/me/api-keys":
		return js, `{"name":"matrix","scopes":["order.read"]}`
	case "POST /api/v1/me/sub-users":
		return js, fmt.Sprintf(`{"display_name":"Matrix sub","email":"sub-%s@example.com","phone":"1350%s","password":"a long enough passphrase 2","scopes":["may_order"]}`, n, phone[4:])
	case "PUT /api/v1/me/sub-users/{id}/scopes":
		return js, `{"scopes":["may_order","may_manage_tickets"]}` // the demo sub-user's own: nothing changes
	case "POST /api/v1/staff/members":
		return js, fmt.Sprintf(`{"email":"staff-%s@example.com","display_name":"Matrix staff","password":"a long enough passphrase 1","roles":["auditor"]}`, n)
	case "PUT /api/v1/staff/members/{id}/roles":
		return js, `{"roles":["auditor"]}` // the victim's own: nothing changes
	case "POST /api/v1/staff/accounts/{id}/disable":
		return js, `{"reason":"matrix test"}`
	case "PUT /api/v1/staff/accounts/{id}/standing":
		return js, `{"flag":"restricted","reason":"matrix test","case_ref":"VC-MATRIX"}`
	case "POST /api/v1/tickets/{id}/replies", "POST /api/v1/staff/tickets/{id}/replies":
		return js, `{"body":"matrix reply"}`
	case "PATCH /api/v1/staff/tickets/{id}":
		return js, `{"priority":"high"}`
	case "POST /api/v1/sandbox/clock":
		return js, `{"advance":"1s"}`

	case "POST /login", "POST /console/login":
		return form, values("identifier", login, "password", password)
	case "POST /login/second-factor", "POST /console/login/second-factor":
		return form, values("code", "000000")
	case "POST /register":
		return form, values("action", "register", "kind", "individual", "display_name", "Matrix", "email", "preg-"+n+"@example.com",
			"phone", phone, "password", "a long enough passphrase 5", "email_code_id", noSuchID, "email_code", "000000",
			"phone_code_id", noSuchID, "phone_code", "000000", "accept", "yes")
	case "POST /password-reset": // not the API row's login: one code per target per minute
		return form, values("login", "page-nobody-"+n+"@example.com")
	case "POST /password-reset/confirm":
		return form, values("login", "nobody-"+n+"@example.com", "code_id", noSuchID, "code", "000000", "new_password", "a long enough passphrase 4")
	case "POST /account/profile":
		return form, values("display_name", "Matrix", "lang", "zh-CN")
	case "POST /account/contact":
		return form, values("action", "confirm", "kind", "email", "address", "new2-"+n+"@example.com", "code_id", noSuchID, "code", "000000")
	case "POST /account/security":
		return form, values("action", "totp_enable", "code", "000000")
	case "POST /account/api-keys":
		return form, values("name", "matrix", "scope", "order.read")
	case "POST /console/staff":
		return form, values("action", "create", "email", "cstaff-"+n+"@example.com", "display_name", "Matrix staff",
			"new_password", "a long enough passphrase 1", "role", "auditor")
	case "POST /tickets/{id}/reply", "POST /console/tickets/{id}/reply":
		return form, values("body", "matrix reply")
	case "POST /console/tickets/{id}/update":
		return form, values("priority", "high")
	case "POST /lang":
		return form, values("lang", "zh-CN", "next", "/")
	}
	if p.method != "GET" && p.method != "DELETE" && strings.HasPrefix(p.path, "/api/") {
		return js, "{}"
	}
	return "", ""
}

// nextPassword is the password the password-change row sets for a.
func (a *actor) nextPassword() string { return "matrix passphrase of " + a.name + " 2" }

// sendFresh runs a destructive probe for a with a fresh session (and a
// fresh victim for "other" on the rows that act on an account).
func (env *matrixEnv) sendFresh(t *testing.T, p probe, a *actor) *webtest.Response {
	t.Helper()
	ctx := context.Background()
	s := env.s
	cookie := ""
	if a.login != "" && !a.key {
		cookie = s.SessionFor(t, a.login, a.password, a.kind == account.KindStaff, a.ip)
		if p.route == "PUT /api/v1/me/password" {
			if err := s.App.Reauthenticate(webtest.ActorCtx(a.ip), cookie, a.password, ""); err != nil {
				t.Fatalf("reauth %s: %v", a.name, err)
			}
		}
	}
	var victim []string
	if p.variant == "other" && strings.HasPrefix(p.route, "PUT /api/v1/staff/accounts/") ||
		p.variant == "other" && strings.HasPrefix(p.route, "POST /api/v1/staff/accounts/") ||
		p.variant == "other" && strings.HasPrefix(p.route, "DELETE /api/v1/staff/accounts/") {
		v := s.NewCustomer(t, account.KindIndividual)
		if strings.HasPrefix(p.route, "DELETE ") {
			err := s.App.StandingSet(ctx, env.compliance, v.ID, account.Measure{Flag: account.FlagRestricted, Reason: "matrix", CaseRef: "VC-MATRIX"})
			if err != nil {
				t.Fatalf("restrict the victim: %v", err)
			}
		}
		victim = append(victim, v.ID)
	}
	res := env.send(t, p, a, cookie, victim...)
	if p.route == "PUT /api/v1/me/password" && class(res) == "allow" {
		for _, o := range env.actors { // the apikey column shares the individual's account
			if o.login == a.login {
				o.password = a.nextPassword()
			}
		}
	}
	return res
}

// sessionID signs in once more and returns the new session's public id.
func (env *matrixEnv) sessionID(t *testing.T, login, password string, staff bool, ip string) string {
	t.Helper()
	tok := env.s.SessionFor(t, login, password, staff, ip)
	_, sv, err := env.s.App.Authenticate(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	return sv.ID
}

// inboxItem puts a notification in an account's inbox and returns its id.
func (env *matrixEnv) inboxItem(t *testing.T, accountID string) string {
	t.Helper()
	var id string
	err := env.s.App.DB().InTx(context.Background(), func(ctx context.Context, tx *store.Tx) error {
		rec, err := env.s.App.Notify(ctx, tx, notify.Request{Event: notify.EventMarketingNewsletter,
			Recipient: notify.Recipient{AccountID: accountID}, Vars: map[string]string{"title": "matrix", "summary": "matrix"}})
		id = rec.NotificationID
		return err
	})
	if err != nil {
		t.Fatalf("inbox item: %v", err)
	}
	return id
}

// matrixTable is the parsed testdata/authz_matrix.txt.
type matrixTable struct {
	rows  map[string][]string
	lines []string
}

const columnsDirective = "@columns"

// readMatrix parses the table: comment lines start with #, the @columns
// line names the columns, every other line is "METHOD /path variant"
// followed by one answer per column and an optional "# note".
func readMatrix(t *testing.T) matrixTable {
	t.Helper()
	f, err := os.Open(matrixFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := matrixTable{rows: map[string][]string{}}
	want := columnNames()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		m.lines = append(m.lines, line)
		content, _, _ := strings.Cut(line, "#")
		fs := strings.Fields(content)
		switch {
		case len(fs) == 0:
		case fs[0] == columnsDirective:
			if !slices.Equal(fs[1:], want) {
				t.Fatalf("%s:%d: columns %v, want %v", matrixFile, n, fs[1:], want)
			}
		case len(fs) != 3+len(want):
			t.Fatalf("%s:%d: %d fields, want route, variant and %d answers", matrixFile, n, len(fs), len(want))
		default:
			k := strings.Join(fs[:3], " ")
			if _, dup := m.rows[k]; dup {
				t.Fatalf("%s:%d: %s twice", matrixFile, n, k)
			}
			for _, a := range fs[3:] {
				if !validAnswer(a) {
					t.Fatalf("%s:%d: answer %q (allow, login or a status)", matrixFile, n, a)
				}
			}
			m.rows[k] = fs[3:]
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return m
}

func validAnswer(a string) bool {
	if a == "allow" || a == "login" {
		return true
	}
	return len(a) == 3 && a[0] >= '1' && a[0] <= '5' && strings.Trim(a, "0123456789") == ""
}

func columnNames() []string {
	out := make([]string, len(matrixColumns))
	for i, c := range matrixColumns {
		out[i] = c.name
	}
	return out
}

// formatRow lays a row out in the table's columns.
func formatRow(cells []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-45s %-6s", cells[0], cells[1])
	for _, c := range cells[2:] {
		fmt.Fprintf(&b, " %-6s", c)
	}
	return strings.TrimRight(b.String(), " ")
}

// writeMatrix rewrites the table with the answers got: existing rows keep
// their place and notes, rows of routes that are gone are dropped, new
// rows are appended for review. A cell listed in appBugs keeps the
// table's answer.
func writeMatrix(t *testing.T, keys []string, got map[string][]string) {
	t.Helper()
	var old matrixTable
	if _, err := os.Stat(matrixFile); err == nil {
		old = readMatrix(t)
	}
	row := func(k string) string {
		fs := strings.Fields(k) // METHOD /path variant
		cells := []string{fs[0] + " " + fs[1], fs[2]}
		for i, c := range matrixColumns {
			a := got[k][i]
			if bug, ok := appBugs[k+" "+c.name]; ok && bug == a && old.rows[k] != nil {
				a = old.rows[k][i]
			}
			cells = append(cells, a)
		}
		return formatRow(cells)
	}
	header := formatRow(append([]string{"# route", "variant"}, columnNames()...))
	var out []string
	written := map[string]bool{}
	if old.lines == nil {
		out = append(out, "# The authorisation matrix: see TestAuthorizationMatrix.", "", columnsDirective+" "+strings.Join(columnNames(), " "), header)
	}
	for _, line := range old.lines {
		content, note, hasNote := strings.Cut(line, "#")
		fs := strings.Fields(content)
		switch {
		case len(fs) == 0 || fs[0] == columnsDirective:
			out = append(out, line)
		default:
			k := strings.Join(fs[:3], " ")
			if got[k] == nil {
				continue // the route is gone
			}
			l := row(k)
			if hasNote {
				l += "  #" + note
			}
			out = append(out, l)
			written[k] = true
		}
	}
	var fresh []string
	for _, k := range keys {
		if !written[k] {
			fresh = append(fresh, row(k))
		}
	}
	if len(fresh) > 0 {
		out = append(out, "", "# New rows: review each answer, then move the rows to their section.")
		out = append(out, fresh...)
	}
	if err := os.WriteFile(matrixFile, []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s: review the diff", matrixFile)
}

// reauthAt records when each session last re-authenticated (wall time).
var reauthAt sync.Map // session cookie → time.Time

// keepReauthenticated re-authenticates a session whose re-authentication
// is older than three minutes, so that rows needing a recent one (two-factor,
// password) keep their answer however long the matrix runs (minutes under
// -race), well within account.ReauthWindow and the re-authentication rate
// limit.
func (env *matrixEnv) keepReauthenticated(t *testing.T, cookie, password string) {
	t.Helper()
	now := time.Now()
	prev, loaded := reauthAt.LoadOrStore(cookie, now)
	if loaded && (now.Sub(prev.(time.Time)) < 3*time.Minute || !reauthAt.CompareAndSwap(cookie, prev, now)) {
		return // fresh enough, or another row is re-authenticating it now
	}
	if err := env.s.App.Reauthenticate(context.Background(), cookie, password, ""); err != nil {
		t.Logf("matrix: re-authenticating a session: %v", err)
	}
}
