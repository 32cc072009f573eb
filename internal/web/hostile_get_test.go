package web_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/store"
	"yuanxu/internal/webtest"
)

// readSideEffects are the tables a GET may legitimately write, and why.
// Everything else must be byte-for-byte unchanged by any GET.
var readSideEffects = map[string]string{
	"account_session": "a request slides the session's idle timeout (last_seen_at)",
	"audit_event":     "reading personal information is itself audited (PIPL: data export, reveals)",
	"audit_batch":     "the audit sealer runs in the background",
	"rate_limit":      "counters of the rate limiter",
	"sweep_run":       "background sweeps record when they ran",
}

// readSideEffectColumns are columns the background workers write on their
// own schedule, which a slow run (under -race, on a loaded machine) may see
// change in the middle of the GET requests; the rest of their rows, and
// their row counts, must stay unchanged.
var readSideEffectColumns = map[string][]string{
	// The delivery worker retries a queued notification with backoff,
	// taking and releasing leases; a new notification still changes the
	// row count and the notification table.
	"notify_delivery": {"status", "attempts", "reason", "provider", "provider_message_id", "next_attempt_at_ms",
		"lease_until_ms", "lease_token", "updated_at_ms", "sent_at_ms", "delivered_at_ms", "first_delivered_at_ms", "failed_at_ms", "bounced_at_ms"},
}

// dbDigest hashes every row of every table but readSideEffects and River's
// own (the job queue's leader election and periodic bookkeeping tick on
// their own), table by table.
func dbDigest(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`
	if db.Engine() == store.Postgres {
		q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := db.Reader().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		if _, skip := readSideEffects[n]; !skip && !strings.HasPrefix(n, "river_") && !strings.HasPrefix(n, "sqlite_") && n != "goose_db_version" {
			tables = append(tables, n)
		}
	}
	rows.Close()
	out := map[string]string{}
	for _, table := range tables {
		out[table] = tableDigest(t, db.Reader(), table)
	}
	return out
}

func tableDigest(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	rows, err := db.Query(`SELECT * FROM "` + table + `"`)
	if err != nil {
		t.Fatalf("%s: %v", table, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var lines []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		kept := vals[:0:0]
		for i, v := range vals {
			if !slices.Contains(readSideEffectColumns[table], cols[i]) {
				kept = append(kept, v)
			}
		}
		lines = append(lines, fmt.Sprintf("%q", kept))
	}
	sort.Strings(lines) // row order is not state
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return fmt.Sprintf("%d rows %s", len(lines), hex.EncodeToString(sum[:8]))
}

// settledDigest waits until the background sweeps of a fresh demo server
// have nothing left to do: two digests a moment apart agree.
func settledDigest(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	prev := dbDigest(t, db)
	for range 60 {
		time.Sleep(500 * time.Millisecond)
		cur := dbDigest(t, db)
		if equalDigests(prev, cur) {
			return cur
		}
		prev = cur
	}
	t.Fatal("the database never settled")
	return nil
}

func equalDigests(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// revealRoutes answer with personal information in clear on purpose (to
// its owner, or after re-authentication) and are audited; the leak scan
// skips their bodies, never the logs.
var revealRoutes = []string{"/api/v1/me/data-export", "/api/v1/staff/withdrawals/{id}/destination"}

// TestEveryGETChangesNothingAndLeaksNothing (issue 18, hostile input): every
// GET route of the OpenAPI document, called by an anonymous client, a demo
// customer and staff of several roles — with ids of nothing and with real
// ids found in the list routes' answers — leaves every business table as it
// was (CSRF defence: no state change on GET), and no answer other than the
// customer's own data export and the finance reveal of a withdrawal's
// destination, nor the debug log, carries a demo customer's phone number,
// resident ID number or bank account in clear.
func TestEveryGETChangesNothingAndLeaksNothing(t *testing.T) {
	t.Parallel()
	s, logs := newLeakScanServer(t)
	secrets := []string{"13800000001", "13800000002", "13800000004", "13800000005",
		app.DemoResidentID("19900307", 123), app.DemoResidentID("19920512", 321)}

	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	s.Do(t, "GET", "/api/v1/openapi.json", nil).JSON(t, &spec)
	var plain, templated []string
	for p, ops := range spec.Paths {
		if _, ok := ops["get"]; !ok {
			continue
		}
		p = "/api/v1" + strings.TrimPrefix(p, "/api/v1")
		if pathParam.MatchString(p) {
			templated = append(templated, p)
		} else {
			plain = append(plain, p)
		}
	}
	sort.Strings(plain)
	sort.Strings(templated)
	if len(plain)+len(templated) < 40 {
		t.Fatalf("only %d GET routes in the OpenAPI document", len(plain)+len(templated))
	}

	callers := map[string]*webtest.Client{
		"anon":     client(s, langs[0]),
		"customer": signIn(t, s, langs[0], "individual@demo.yuanxu.test", "yuanxu-demo-individual", false),
		"reseller": signIn(t, s, langs[1], "reseller@demo.yuanxu.test", "yuanxu-demo-reseller", false),
	}
	for _, r := range []account.Role{account.RoleAdmin, account.RoleComplianceOfficer, account.RoleFinance, account.RoleOperations, account.RoleSupport} {
		callers[string(r)] = staffClient(t, s, r)
	}
	// A written secret too: a withdrawal's bank account, stored encrypted
	// and shown masked everywhere but the audited finance reveal.
	const bankAccount = "6225880199887766"
	secrets = append(secrets, bankAccount)
	webtest.Decode[map[string]any](t, callers["customer"].Do(t, "POST", "/api/v1/withdrawals",
		map[string]any{"amount_fen": 100, "destination": "招商银行 " + bankAccount + " 张三"}), http.StatusCreated)
	names := make([]string, 0, len(callers))
	for n := range callers {
		names = append(names, n)
	}
	sort.Strings(names)

	// The periodic sweeps (every 30 s) would do their first work in the
	// middle of the requests: do it now, at the same sandbox instant, so
	// that their later runs find nothing left.
	if err := s.App.RunSweeps(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := settledDigest(t, s.App.DB())
	var calls, withRealIDs int
	scan := func(who, path string, res *webtest.Response) {
		calls++
		if res.Status >= 500 {
			t.Errorf("%s GET %s: %d %s", who, path, res.Status, res.Body)
		}
		if slices.Contains(revealRoutes, path) {
			return
		}
		for _, sec := range secrets {
			if strings.Contains(string(res.Body), sec) {
				t.Errorf("%s GET %s: answer carries %s in clear", who, path, sec)
			}
		}
	}
	for _, who := range names {
		c := callers[who]
		ids := map[string][]string{} // list route → ids in its answer
		for _, p := range plain {
			res := c.Do(t, "GET", p, nil)
			scan(who, p, res)
			if res.Status == http.StatusOK {
				ids[p] = idsIn(res.Body)
			}
		}
		for _, p := range templated {
			probe := pathParam.ReplaceAllString(p, noSuchID)
			scan(who, p, c.Do(t, "GET", probe, nil))
			// Real ids: those listed by the route the template extends.
			list := strings.TrimSuffix(p[:strings.Index(p, "{")], "/")
			for _, id := range first(ids[list], 3) {
				real := pathParam.ReplaceAllString(p, id)
				scan(who, p, c.Do(t, "GET", real, nil))
				withRealIDs++
			}
		}
	}
	after := dbDigest(t, s.App.DB())
	for table, d := range before {
		if after[table] != d {
			t.Errorf("GET requests changed table %s: %s → %s", table, d, after[table])
		}
	}
	for table := range after {
		if _, ok := before[table]; !ok {
			t.Errorf("table %s appeared during GET requests", table)
		}
	}
	log := logs.String()
	for _, sec := range secrets {
		if strings.Contains(log, sec) {
			t.Errorf("the debug log carries %s in clear", sec)
		}
	}
	t.Logf("%d GET routes (%d templated), %d callers, %d requests (%d with real ids), %d tables unchanged",
		len(plain)+len(templated), len(templated), len(callers), calls, withRealIDs, len(before))
}

var uuidRe = regexp.MustCompile(`"id":"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"`)

// idsIn lists the distinct "id" values of a JSON answer, in order.
func idsIn(body []byte) []string {
	var out []string
	for _, m := range uuidRe.FindAllSubmatch(body, -1) {
		if id := string(m[1]); !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func first(s []string, n int) []string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
