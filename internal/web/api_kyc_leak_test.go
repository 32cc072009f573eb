package web_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/webtest"
)

// kycLeakLog is a log sink safe for concurrent writers.
type kycLeakLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *kycLeakLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *kycLeakLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestAPIKYCPersonalDataNeverLeaks runs the real-name flows through the
// HTTP API with known personal data — good and bad input (a wrong check
// character, a forbidden USCC letter, a duplicate ID number) — and proves
// none of it appears in any response body (problem+json included) other
// than the customer's own data export and a staff unmask (which returns
// the value on purpose, audited), nor in the server's debug log, nor in
// GET /metrics.
func TestAPIKYCPersonalDataNeverLeaks(t *testing.T) {
	t.Parallel()
	logs := &kycLeakLog{}
	s := webtest.NewServer(t, &webtest.Options{Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	const (
		name    = "欧阳接口"
		rep     = "司马接口"
		phone   = "13977665544"
		entTel  = "13977660011"
		company = "接口泄露测试有限公司"
	)
	idNumber := app.DemoResidentID("19791103", 521)
	uscc := app.DemoUSCC(9191, true)
	const checks = "0123456789X"
	badID := idNumber[:17] + string(checks[(strings.IndexByte(checks, idNumber[17])+1)%11])
	badUSCC := uscc[:17] + "O"
	secrets := []string{name, rep, phone, entTel, idNumber, uscc, badID, badUSCC, idNumber[:17], uscc[:17],
		phone[:3] + " " + phone[3:7] + " " + phone[7:], "SECRETLICENCE"}

	type seen struct {
		what string
		body []byte
	}
	var bodies []seen
	do := func(c *webtest.Client, method, path string, body any, want ...int) *webtest.Response {
		t.Helper()
		res := c.Do(t, method, path, body)
		bodies = append(bodies, seen{method + " " + path, res.Body})
		if len(want) > 0 && !containsInt(want, res.Status) {
			t.Errorf("%s %s: %d, want %v: %s", method, path, res.Status, want, res.Body)
		}
		return res
	}
	login := func(c webtest.Customer, staff bool) *webtest.Client {
		t.Helper()
		cl := s.NewClient("X-Forwarded-For", webtest.UniqueIP())
		webtest.Decode[map[string]any](t, cl.Do(t, "POST", "/api/v1/auth/login",
			map[string]any{"login": c.Email, "password": c.Password, "staff": staff}), http.StatusOK)
		return cl
	}
	ind := login(s.NewCustomer(t, account.KindIndividual), false)
	ent := login(s.NewCustomer(t, account.KindEnterprise), false)
	dup := login(s.NewCustomerIn(t, account.KindIndividual, "en"), false)
	officer := login(s.NewStaff(t, account.RoleComplianceOfficer), true)
	licence := append([]byte("\x89PNG\r\n\x1a\n"), []byte("licence-bytes-SECRETLICENCE")...)
	indForm := func(id string) map[string]any { return map[string]any{"name": name, "id_number": id, "phone": phone} }
	entForm := func(code string) map[string]any {
		return map[string]any{"company_name": company, "uscc": code, "representative": rep, "phone": entTel, "licence": licence}
	}

	// Bad input: wrong check character, forbidden letter, wrong form for the kind.
	do(ind, "POST", "/api/v1/me/kyc/individual", indForm(badID), 422, 400)
	do(ent, "POST", "/api/v1/me/kyc/enterprise", entForm(badUSCC), 422, 400)
	do(ind, "POST", "/api/v1/me/kyc/enterprise", entForm(uscc), 409, 403, 422, 400)
	do(ent, "POST", "/api/v1/me/kyc/enterprise", map[string]any{"company_name": company, "uscc": uscc, "representative": rep, "phone": entTel,
		"licence": []byte("not an image " + idNumber)}, 422, 400)
	// Good input, review, decisions.
	do(ind, "POST", "/api/v1/me/kyc/individual", indForm(idNumber), 200, 201, 202)
	do(ent, "POST", "/api/v1/me/kyc/enterprise", entForm(uscc), 200, 201, 202)
	do(ind, "GET", "/api/v1/me/kyc", nil, 200)
	var queue struct {
		Submissions []struct {
			ID      string `json:"id"`
			Subject string `json:"subject"`
		} `json:"submissions"`
	}
	if err := json.Unmarshal(do(officer, "GET", "/api/v1/staff/kyc", nil, 200).Body, &queue); err != nil {
		t.Fatal(err)
	}
	if len(queue.Submissions) != 2 {
		t.Fatalf("queue: %+v", queue)
	}
	for _, sub := range queue.Submissions {
		do(officer, "GET", "/api/v1/staff/kyc/"+sub.ID, nil, 200)
		// A bad decision first (a rejection without a reason).
		do(officer, "POST", "/api/v1/staff/kyc/"+sub.ID+"/decision", map[string]any{"decision": "reject"}, 422, 400)
		if sub.Subject == "individual" {
			do(officer, "POST", "/api/v1/staff/kyc/"+sub.ID+"/decision", map[string]any{"decision": "approve"}, 200)
			// Unmask returns the value on purpose; it is not checked below.
			res := officer.Do(t, "POST", "/api/v1/staff/kyc/"+sub.ID+"/unmask", map[string]any{"field": "identity", "purpose": "kyc_review"})
			if res.Status != http.StatusOK || !bytes.Contains(res.Body, []byte(idNumber)) {
				t.Errorf("unmask: %d %s", res.Status, res.Body)
			}
			do(officer, "POST", "/api/v1/staff/kyc/"+sub.ID+"/unmask", map[string]any{"field": "identity", "purpose": "curiosity"}, 422, 400, 403)
		} else {
			do(officer, "POST", "/api/v1/staff/kyc/"+sub.ID+"/decision", map[string]any{"decision": "reject", "reason": "licence_mismatch", "note": "名称不一致"}, 200)
		}
	}
	// A duplicate ID number: another customer submits the verified one.
	res := do(dup, "POST", "/api/v1/me/kyc/individual", indForm(idNumber))
	if res.Status < 400 {
		if err := json.Unmarshal(do(officer, "GET", "/api/v1/staff/kyc", nil, 200).Body, &queue); err != nil {
			t.Fatal(err)
		}
		for _, sub := range queue.Submissions {
			do(officer, "POST", "/api/v1/staff/kyc/"+sub.ID+"/decision", map[string]any{"decision": "approve"}, 409)
		}
	}
	for _, c := range []struct {
		cl    *webtest.Client
		state []string
	}{{ind, []string{"approved"}}, {ent, []string{"rejected"}}, {dup, []string{"unverified", "pending"}}} {
		var st struct {
			State string `json:"state"`
		}
		if err := json.Unmarshal(do(c.cl, "GET", "/api/v1/me/kyc", nil, 200).Body, &st); err != nil || !containsString(c.state, st.State) {
			t.Errorf("state %q (%v), want one of %v", st.State, err, c.state)
		}
	}
	if !strings.Contains(string(res.Body), "identity") && res.Status >= 400 {
		t.Errorf("duplicate ID refused with %d: %s", res.Status, res.Body)
	}
	do(ent, "POST", "/api/v1/me/closure", map[string]any{})
	// The customer's own export is the one response that may carry the data.
	if res := ind.Do(t, "GET", "/api/v1/me/data-export", nil); res.Status != http.StatusOK {
		t.Errorf("export: %d %s", res.Status, res.Body)
	}
	metrics := s.Do(t, "GET", "/metrics", nil)
	bodies = append(bodies, seen{"GET /metrics", metrics.Body})

	leaks := func(what, text string) {
		t.Helper()
		for _, x := range secrets {
			if strings.Contains(text, x) {
				t.Errorf("%s carries personal data %q", what, x)
			}
			if q, _ := json.Marshal(x); strings.Contains(text, strings.Trim(string(q), `"`)) && string(q) != `"`+x+`"` {
				t.Errorf("%s carries personal data %q (escaped)", what, x)
			}
		}
	}
	for _, b := range bodies {
		leaks(b.what, string(b.body))
	}
	log := logs.String()
	if !strings.Contains(log, "/api/v1/me/kyc") {
		t.Errorf("the request log was not captured (%d bytes)", len(log))
	}
	leaks("the server log", log)
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
