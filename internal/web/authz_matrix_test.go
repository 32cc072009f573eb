package web_test

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/kyc"
	"yuanxu/internal/pii"
	"yuanxu/internal/web"
	"yuanxu/internal/webtest"
)

// The authorisation matrix (issue 5; DESIGN.md §5 "no IDOR"): every route
// of the router × every kind of principal × (the principal's own object,
// another customer's) → the answer. The expected answers are the reviewed
// table in testdata/authz_matrix.txt, kept apart from the permission data
// the app enforces (internal/account's role and permission tables): the
// table says what SEED-REQUIREMENTS §4 wants, the test says what the server
// does, and a difference fails. A route without a row fails too, so every
// new route brings its row.
//
// go test ./internal/web -run TestAuthorizationMatrix -update rewrites the
// answers of the table (keeping its comments, appending rows for new
// routes, dropping rows of routes that are gone). Review the diff row by
// row before committing it: -update makes the table say what the server
// does, which is only right if the server is.
var update = flag.Bool("update", false, "rewrite testdata/authz_matrix.txt with the answers the server gives (review the diff by hand)")

const matrixFile = "testdata/authz_matrix.txt"

// column is one kind of principal of the matrix.
type column struct {
	name string // as in the table
	kind account.Kind
	role account.Role // staff
	key  bool         // the individual's API key, as a bearer token
}

// matrixColumns are the table's columns, in order: anonymous, the four
// customer kinds of the demo seed, an API key, and one staff member per
// role of internal/account's role table.
var matrixColumns = []column{
	{name: "anon"},
	{name: "indiv", kind: account.KindIndividual},
	{name: "entr", kind: account.KindEnterprise},
	{name: "subu", kind: account.KindSubUser},
	{name: "resel", kind: account.KindReseller},
	{name: "apikey", kind: account.KindIndividual, key: true},
	{name: "supp", kind: account.KindStaff, role: account.RoleSupport},
	{name: "suppL", kind: account.KindStaff, role: account.RoleSupportLead},
	{name: "comp", kind: account.KindStaff, role: account.RoleComplianceOfficer},
	{name: "compL", kind: account.KindStaff, role: account.RoleComplianceLead},
	{name: "appeal", kind: account.KindStaff, role: account.RoleAppealReviewer},
	{name: "fin", kind: account.KindStaff, role: account.RoleFinance},
	{name: "finA", kind: account.KindStaff, role: account.RoleFinanceApprover},
	{name: "legal", kind: account.KindStaff, role: account.RoleLegal},
	{name: "ops", kind: account.KindStaff, role: account.RoleOperations},
	{name: "admin", kind: account.KindStaff, role: account.RoleAdmin},
	{name: "audit", kind: account.KindStaff, role: account.RoleAuditor},
}

// appBugs are cells where the server answers what the table says is wrong,
// because of a bug outside package web (reported to the app's owner):
// "ROUTE VARIANT COLUMN" → the answer given today. Such a cell is logged,
// not failed; once the answer changes the entry must go.
var appBugs = map[string]string{
	// none today: add "ROUTE VARIANT COLUMN": "answer given today" with a
	// comment naming the bug, and remove the entry with the fix.
}

// actor is one column's principal and the objects it owns for the test.
type actor struct {
	column
	id              string // account id ("" for anon)
	login, password string
	ip              string // client address (X-Forwarded-For)
	cookie          string // the shared session of the parallel phase
	bearer          string // apikey column
	// own objects, one per route that ends or revokes it
	sessions map[string]string
	keys     map[string]string
	inbox    string
	subUser  string // entr: its sub-user
	// tickets: "own" and "other" → route (or "" for the read-only rows)
	// → a ticket with one attachment (see ticketFor)
	tickets map[string]map[string]matrixTicket
}

// matrixTicket is a real ticket of the matrix and its attachment.
type matrixTicket struct{ id, attachment string }

// matrixEnv is the server under test and the principals and objects of
// the matrix.
type matrixEnv struct {
	s        *webtest.Server
	actors   []*actor
	byName   map[string]*actor
	stranger struct {
		webtest.Customer
		session, key, inbox string
		ticket              matrixTicket
	}
	victimStaff string
	// kyc: the submission the staff KYC rows name, "own" and "other"
	kyc         map[string]string
	compliance  account.Principal // imposes the measures lifted in the lift rows
	commerce    *matrixCommerce   // the commerce rows' objects (api_commerce_matrix_test.go)
	resellers   *matrixResellers  // the reseller rows' objects (api_reseller_matrix_test.go)
	compliance2 *matrixCompliance // the compliance rows' objects (api_compliance_matrix_test.go)
	authority   *matrixAuthority  // the authority rows' objects (api_authority_matrix_test.go)
	measures    *matrixMeasures   // the measure and appeal rows' objects (api_measures_matrix_test.go)
}

// noSuchID is a well-formed id of nothing.
const noSuchID = "0197a5d2-8c1e-7d40-9a7b-3f1d2c4b5a69"

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	if !*update {
		if _, err := os.Stat(matrixFile); err != nil {
			t.Fatalf("%v: run go test -run TestAuthorizationMatrix -update, then review the table", err)
		}
	}
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	routes, err := web.RouteList(web.Config{App: s.App})
	if err != nil {
		t.Fatal(err)
	}
	env := newMatrixEnv(t, s)
	// huma builds the spec documents on their first request. Under -race
	// the 3.0 YAML took more than the client's 30 s once, when its first
	// request came amid the parallel phase's hundreds. Build them here,
	// one at a time, so that phase reads them as served thereafter.
	for _, doc := range []string{"openapi.json", "openapi.yaml", "openapi-3.0.json", "openapi-3.0.yaml"} {
		if res := s.Do(t, http.MethodGet, "/api/v1/"+doc, nil); res.Status != http.StatusOK {
			t.Fatalf("GET /api/v1/%s: %d", doc, res.Status)
		}
	}

	var probes []probe
	for _, r := range routes {
		probes = append(probes, probesOf(r)...)
	}
	var (
		mu  sync.Mutex
		got = map[string][]string{}
	)
	record := func(p probe, answers []string) {
		mu.Lock()
		defer mu.Unlock()
		got[p.key()] = answers
	}
	// Phase 1: the rows that leave the shared sessions alone, in parallel.
	t.Run("shared", func(t *testing.T) {
		for _, p := range probes {
			if p.destructive() {
				continue
			}
			t.Run(p.key(), func(t *testing.T) {
				t.Parallel()
				answers := make([]string, len(env.actors))
				for i, a := range env.actors {
					answers[i] = class(env.send(t, p, a, a.cookie))
				}
				record(p, answers)
			})
		}
	})
	// Phase 2: rows that end sessions, change passwords or impose
	// measures, one after another, each cell with a fresh session (and a
	// fresh victim account where the row acts on one).
	t.Run("destructive", func(t *testing.T) {
		for _, p := range probes {
			if !p.destructive() {
				continue
			}
			answers := make([]string, len(env.actors))
			for i, a := range env.actors {
				answers[i] = class(env.sendFresh(t, p, a))
			}
			record(p, answers)
		}
	})
	if t.Failed() {
		return
	}

	keys := make([]string, len(probes))
	for i, p := range probes {
		keys[i] = p.key()
	}
	if *update {
		writeMatrix(t, keys, got)
		return
	}
	want := readMatrix(t)
	for _, k := range keys {
		w, ok := want.rows[k]
		if !ok {
			t.Errorf("route %q has no row in %s: add it (run with -update, then review)", k, matrixFile)
			continue
		}
		for i, c := range matrixColumns {
			g := got[k][i]
			bug, known := appBugs[k+" "+c.name]
			switch {
			case g == w[i] && known:
				t.Errorf("%s as %s: %s now, as the table wants: remove the appBugs entry", k, c.name, g)
			case g == w[i]:
			case known && g == bug:
				t.Logf("known app bug: %s as %s answers %s, want %s", k, c.name, g, w[i])
			default:
				t.Errorf("%s as %s: got %s, want %s", k, c.name, g, w[i])
			}
		}
	}
	for k := range want.rows {
		if !slices.Contains(keys, k) {
			t.Errorf("%s has a row for %q, which is no route", matrixFile, k)
		}
	}
}

// class maps a response to its answer: allow (2xx, or a redirect other
// than to a sign-in form), login (303 to a sign-in form with what to do
// next), or the status code.
func class(res *webtest.Response) string {
	switch {
	case res.Status >= 200 && res.Status < 300:
		return "allow"
	case res.Status >= 300 && res.Status < 400:
		u, err := url.Parse(res.Header.Get("Location"))
		if err == nil && (u.Path == "/login" || u.Path == "/console/login") && u.Query().Get("done") == "" {
			return "login"
		}
		return "allow"
	}
	return strconv.Itoa(res.Status)
}

// newMatrixEnv seeds the demo accounts and signs every principal in
// through the app (not through the login route: failed logins of other
// rows must not throttle the setup), re-authenticated so that the rows
// for sensitive changes answer on the role, with two-factor setup begun so
// that the enable rows do not depend on the order rows run in.
func newMatrixEnv(t *testing.T, s *webtest.Server) *matrixEnv {
	t.Helper()
	ctx := context.Background()
	demo, err := s.App.SeedDemo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	env := &matrixEnv{s: s, byName: map[string]*actor{}}
	for i, c := range matrixColumns {
		a := &actor{column: c, ip: fmt.Sprintf("203.0.113.%d", 10+i), sessions: map[string]string{}, keys: map[string]string{}}
		for _, d := range demo {
			if d.Kind == string(c.kind) && d.Role == string(c.role) && a.login == "" { // the first: the reseller's client comes later
				a.login, a.password = d.Login, d.Password
			}
		}
		if c.name != "anon" && a.login == "" {
			t.Fatalf("no demo login for column %s", c.name)
		}
		env.actors = append(env.actors, a)
		env.byName[c.name] = a
	}
	for _, a := range env.actors {
		if a.login == "" {
			continue
		}
		a.cookie = s.SessionFor(t, a.login, a.password, a.kind == account.KindStaff, a.ip)
		p, _, err := s.App.Authenticate(ctx, a.cookie)
		if err != nil {
			t.Fatal(err)
		}
		a.id = p.AccountID
		if err := s.App.Reauthenticate(webtest.ActorCtx(a.ip), a.cookie, a.password, ""); err != nil {
			t.Fatalf("reauth %s: %v", a.name, err)
		}
		if _, err := s.App.TOTPBegin(ctx, p, a.cookie); err != nil {
			t.Fatalf("totp begin %s: %v", a.name, err)
		}
		if a.role == account.RoleComplianceOfficer {
			env.compliance = p
		}
		// Spare sessions to end, one per row that ends one.
		for _, r := range []string{"DELETE /api/v1/me/sessions/{id}", "POST /account/sessions/{id}/end"} {
			a.sessions[r] = env.sessionID(t, a.login, a.password, a.kind == account.KindStaff, a.ip)
		}
		if a.kind.Customer() {
			for _, r := range []string{"DELETE /api/v1/me/api-keys/{id}", "POST /account/api-keys/{id}/revoke"} {
				k, _, err := s.App.APIKeyCreate(ctx, p, "matrix spare", []string{"order.read"}, noTime)
				if err != nil {
					t.Fatalf("spare key of %s: %v", a.name, err)
				}
				a.keys[r] = k.ID
			}
		}
		if a.key {
			_, full, err := s.App.APIKeyCreate(ctx, p, "matrix", []string{"order.read", "notification.manage_own"}, noTime)
			if err != nil {
				t.Fatal(err)
			}
			a.bearer, a.cookie = full, ""
		}
		a.inbox = env.inboxItem(t, a.id)
		switch {
		case a.key: // the individual's account: its tickets
			a.tickets = env.byName["indiv"].tickets
		case a.kind.Customer():
			a.tickets = map[string]map[string]matrixTicket{"own": env.openTickets(t, p, customerTicketWrites)}
		default: // staff: tickets of two customers of their own
			a.tickets = map[string]map[string]matrixTicket{}
			for _, v := range []string{"own", "other"} {
				a.tickets[v] = env.openTickets(t, env.customerPrincipal(t), staffTicketWrites)
			}
		}
	}
	env.byName["entr"].subUser = env.byName["subu"].id

	// Another customer, with a session, an API key and an inbox item.
	st := &env.stranger
	st.Customer = s.NewCustomer(t, account.KindIndividual)
	st.session = env.sessionID(t, st.Email, st.Password, false, st.RegistrationIP)
	tok := s.SessionFor(t, st.Email, st.Password, false, st.RegistrationIP)
	sp, _, err := s.App.Authenticate(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	k, _, err := s.App.APIKeyCreate(ctx, sp, "stranger", []string{"order.read"}, noTime)
	if err != nil {
		t.Fatal(err)
	}
	st.key, st.inbox = k.ID, env.inboxItem(t, st.ID)
	st.ticket = env.openTicket(t, sp)
	// KYC submissions: the demo enterprise's (pending, with a licence) and
	// the stranger's.
	_, err = s.App.KYCSubmit(ctx, sp, st.ID, app.KYCSubmitInput{Subject: kyc.SubjectIndividual, Name: "李四",
		IDNumber: pii.Secret(app.DemoResidentID("19850101", 777)), Phone: pii.Secret(st.Phone)})
	if err != nil {
		t.Fatalf("stranger's kyc: %v", err)
	}
	env.kyc = map[string]string{}
	for v, acc := range map[string]string{"own": env.byName["entr"].id, "other": st.ID} {
		kv, err := s.App.KYCStatus(ctx, env.compliance, acc)
		if err != nil || kv.Current == nil {
			t.Fatalf("kyc of %s: %v (%+v)", acc, err, kv)
		}
		env.kyc[v] = kv.Current.ID
	}
	// Another staff member, for the staff-roles row.
	env.victimStaff = s.NewStaff(t, account.RoleAuditor).ID
	env.setupCommerce(t)
	env.setupResellers(t)
	env.setupCompliance(t)
	env.setupAuthority(t)
	env.setupMeasures(t, sp) // api_measures_matrix_test.go
	return env
}

// customerTicketWrites and staffTicketWrites are the ticket rows that
// change a ticket: every cell of them acts on a ticket of its own, so that
// the rows, run in parallel, cannot change each other's answers.
var (
	customerTicketWrites = []string{"POST /api/v1/tickets/{id}/replies", "POST /api/v1/tickets/{id}/close", "POST /api/v1/tickets/{id}/reopen",
		"POST /tickets/{id}/reply", "POST /tickets/{id}/close", "POST /tickets/{id}/reopen"}
	staffTicketWrites = []string{"POST /api/v1/staff/tickets/{id}/replies", "PATCH /api/v1/staff/tickets/{id}", "POST /api/v1/staff/tickets/{id}/close",
		"POST /console/tickets/{id}/reply", "POST /console/tickets/{id}/update", "POST /console/tickets/{id}/close"}
)

// openTicket opens a ticket as p through the app, with one attachment.
func (env *matrixEnv) openTicket(t *testing.T, p account.Principal) matrixTicket {
	t.Helper()
	v, err := env.s.App.TicketCreate(context.Background(), p, app.TicketInput{Subject: "matrix", Category: "consult", Body: "matrix ticket",
		Attachments: []app.AttachmentInput{{Name: "matrix.txt", Data: []byte("matrix attachment\n")}}})
	if err != nil {
		t.Fatalf("open a ticket as %s: %v", p.AccountID, err)
	}
	for _, m := range v.Messages {
		for _, at := range m.Attachments {
			return matrixTicket{id: v.ID, attachment: at.ID}
		}
	}
	t.Fatalf("ticket %s: no attachment in its view", v.ID)
	return matrixTicket{}
}

// openTickets opens p's tickets of the matrix: one for the rows that only
// read (key ""), and one per row of writes; the reopen rows' is closed.
func (env *matrixEnv) openTickets(t *testing.T, p account.Principal, writes []string) map[string]matrixTicket {
	t.Helper()
	out := map[string]matrixTicket{"": env.openTicket(t, p)}
	for _, r := range writes {
		tk := env.openTicket(t, p)
		if strings.HasSuffix(r, "/reopen") {
			if _, err := env.s.App.TicketClose(context.Background(), p, tk.id); err != nil {
				t.Fatalf("close ticket %s: %v", tk.id, err)
			}
		}
		out[r] = tk
	}
	return out
}

// customerPrincipal registers a fresh individual and returns its principal.
func (env *matrixEnv) customerPrincipal(t *testing.T) account.Principal {
	t.Helper()
	c := env.s.NewCustomer(t, account.KindIndividual)
	tok := env.s.SessionFor(t, c.Email, c.Password, false, c.RegistrationIP)
	p, _, err := env.s.App.Authenticate(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// ticketFor is the ticket a ticket row names for a. A customer's own: a
// ticket its account opened (the individual's for the apikey column);
// staff's own and other: tickets of two customers, one per column and
// variant, since staff act on customers' tickets; everyone else's other
// (and anon's own): the stranger's.
func (env *matrixEnv) ticketFor(p probe, a *actor) matrixTicket {
	byRoute := a.tickets[p.variant]
	if byRoute == nil {
		return env.stranger.ticket
	}
	if tk, ok := byRoute[p.route]; ok {
		return tk
	}
	return byRoute[""]
}
