package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/pii"
	"yuanxu/internal/web"
	"yuanxu/internal/webtest"
)

// writeRevealRoutes answer a write with personal information in clear on
// purpose; the leak scan skips their bodies, never the logs.
var writeRevealRoutes = []string{
	// A KYC reviewer's unmask: the reviewer re-authenticated, the reveal
	// is audited (PIPL art. 51: access control over sensitive data).
	"POST /api/v1/staff/kyc/{id}/unmask",
}

// sessionEnders end or weaken the caller's own session or standing (sign
// out, password, closure, roles); each caller sends them last so that the
// scan of every other operation runs signed in.
var sessionEnders = []string{
	"POST /api/v1/auth/logout", "POST /api/v1/auth/logout-all", "POST /api/v1/me/closure", "PUT /api/v1/me/password",
	"DELETE /api/v1/me/sessions/{id}", "PUT /api/v1/staff/members/{id}/roles", "POST /api/v1/staff/accounts/{id}/disable",
	"POST /api/v1/me/totp/enable",
}

// exampleOf builds a value from a schema's examples: an object from its
// properties' examples, an array of one built item, a scalar from its
// example. Examples are on every field (TestOpenAPIDocumentIsValid).
func (d openAPIDocument) exampleOf(schema map[string]any, depth int) any {
	if ref, ok := schema["$ref"].(string); ok {
		target, err := d.resolve(ref)
		if err != nil {
			return nil
		}
		schema, _ = target.(map[string]any)
	}
	if depth > 8 || schema == nil {
		return nil
	}
	if ex, ok := schema["examples"].([]any); ok && len(ex) > 0 {
		return ex[0]
	}
	if ex, ok := schema["example"]; ok {
		return ex
	}
	if props, ok := schema["properties"].(map[string]any); ok {
		out := map[string]any{}
		for name, p := range props {
			if ps, ok := p.(map[string]any); ok {
				if v := d.exampleOf(ps, depth+1); v != nil {
					out[name] = v
				}
			}
		}
		return out
	}
	if items, ok := schema["items"].(map[string]any); ok {
		if v := d.exampleOf(items, depth+1); v != nil {
			return []any{v}
		}
		return []any{}
	}
	return nil
}

// newLeakScanServer is a sandbox server with the demo seed whose log, at
// debug level, the leak scans read back.
func newLeakScanServer(t *testing.T) (*webtest.Server, *kycLeakLog) {
	t.Helper()
	logs := &kycLeakLog{}
	s := webtest.NewServer(t, &webtest.Options{Sandbox: true, TrustedProxies: loopback,
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if _, err := s.App.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s, logs
}

// TestEveryWriteLeaksNoPersonalInformation (issue 18, hostile input): every
// POST, PUT, PATCH and DELETE operation of the OpenAPI document, sent with
// a body built from its schema's examples by an anonymous client, a demo
// customer whose profile holds personal information and staff of two
// roles — with ids of nothing and with real ids from the list route the
// path extends — answers without a demo customer's phone number, resident
// ID number or withdrawal bank account in clear (but for the audited KYC
// unmask), and none of them reaches the debug log. No answer is a 5xx.
func TestEveryWriteLeaksNoPersonalInformation(t *testing.T) {
	t.Parallel()
	s, logs := newLeakScanServer(t)
	const bankAccount = "6225880199887766"
	secrets := []string{"13800000001", "13800000002", "13800000004", "13800000005",
		app.DemoResidentID("19900307", 123), app.DemoResidentID("19920512", 321), bankAccount}

	doc := openAPIDoc(t, s)
	type op struct{ method, path, key string }
	var ops []op
	for key := range doc.operations(t) {
		method, path, _ := strings.Cut(key, " ")
		if method == "GET" || method == "HEAD" || method == "OPTIONS" {
			continue
		}
		path = "/api/v1" + strings.TrimPrefix(path, "/api/v1")
		ops = append(ops, op{method, path, method + " " + path})
	}
	sort.Slice(ops, func(i, j int) bool {
		ei, ej := slices.Contains(sessionEnders, ops[i].key), slices.Contains(sessionEnders, ops[j].key)
		if ei != ej {
			return ej
		}
		return ops[i].key < ops[j].key
	})
	if len(ops) < 100 {
		t.Fatalf("only %d write operations in the OpenAPI document", len(ops))
	}
	bodies := map[string]any{}
	for key, o := range doc.operations(t) {
		if o.RequestBody == nil {
			continue
		}
		for ct, mt := range o.RequestBody.Content {
			if strings.Contains(ct, "json") {
				method, path, _ := strings.Cut(key, " ")
				bodies[method+" /api/v1"+strings.TrimPrefix(path, "/api/v1")] = doc.exampleOf(mt.Schema, 0)
			}
		}
	}

	customer := signIn(t, s, langs[0], "individual@demo.yuanxu.test", "yuanxu-demo-individual", false)
	// Bodies that name an account name the demo customer, so that staff
	// writes (findings, holds, disclosures, adjustments) act on, and answer
	// about, an account whose profile holds the needles.
	customerID := webtest.Decode[web.AccountBody](t, customer.Do(t, "GET", "/api/v1/me", nil), http.StatusOK).ID
	for _, b := range bodies {
		if m, ok := b.(map[string]any); ok {
			if _, ok := m["account_id"]; ok {
				m["account_id"] = customerID
			}
			if _, ok := m["account_ids"]; ok {
				m["account_ids"] = []string{customerID}
			}
		}
	}
	// A written secret too: a withdrawal's bank account, filed afresh
	// before each caller's turn (the customer's own turn cancels it and
	// ends its sessions, hence a sign-in of its own).
	withdraw := func() {
		c := signIn(t, s, langs[0], "individual@demo.yuanxu.test", "yuanxu-demo-individual", false)
		webtest.Decode[map[string]any](t, c.Do(t, "POST", "/api/v1/withdrawals",
			map[string]any{"amount_fen": 100, "destination": "招商银行 " + bankAccount + " 张三"}), http.StatusCreated)
	}
	// Callers in order: the customer's own writes first, staff last (their
	// writes disable accounts and end sessions).
	callers := []struct {
		name string
		c    *webtest.Client
	}{
		{"customer", customer},
		{"anon", client(s, langs[1])},
		{"reseller", signIn(t, s, langs[1], "reseller@demo.yuanxu.test", "yuanxu-demo-reseller", false)},
		{"support_lead", staffClient(t, s, account.RoleSupportLead)},
		{"finance_approver", staffClient(t, s, account.RoleFinanceApprover)},
		{"operations", staffClient(t, s, account.RoleOperations)},
		{"compliance_lead", staffClient(t, s, account.RoleComplianceLead)},
		{"legal", staffClient(t, s, account.RoleLegal)},
		{"admin", staffClient(t, s, account.RoleAdmin)},
	}
	var calls, withRealIDs, accepted int
	scan := func(who string, o op, res *webtest.Response) {
		calls++
		if res.Status < 300 {
			accepted++
		}
		if res.Status >= 500 {
			t.Errorf("%s %s: %d %s", who, o.key, res.Status, res.Body)
		}
		if slices.Contains(writeRevealRoutes, o.key) {
			return
		}
		for _, sec := range secrets {
			if strings.Contains(string(res.Body), sec) {
				t.Errorf("%s %s: answer carries %s in clear", who, o.key, sec)
			}
		}
	}
	for _, caller := range callers {
		withdraw()
		ids := map[string][]string{} // list route → ids in its answer
		for _, o := range ops {
			body := bodies[o.key]
			if !pathParam.MatchString(o.path) {
				scan(caller.name, o, caller.c.Do(t, o.method, o.path, body))
				continue
			}
			scan(caller.name, o, caller.c.Do(t, o.method, pathParam.ReplaceAllString(o.path, noSuchID), body))
			list := strings.TrimSuffix(o.path[:strings.Index(o.path, "{")], "/")
			if _, ok := ids[list]; !ok {
				if res := caller.c.Do(t, "GET", list, nil); res.Status == http.StatusOK {
					ids[list] = idsIn(res.Body)
				} else {
					ids[list] = nil
				}
			}
			for _, id := range first(ids[list], 2) {
				scan(caller.name, o, caller.c.Do(t, o.method, pathParam.ReplaceAllString(o.path, id), body))
				withRealIDs++
			}
		}
	}
	log := logs.String()
	for _, sec := range secrets {
		if strings.Contains(log, sec) {
			t.Errorf("the debug log carries %s in clear", sec)
		}
	}
	if !strings.Contains(log, `"level":"DEBUG"`) {
		t.Error("the debug log is empty: the scan proves nothing")
	}
	// Most bodies of examples are refused (403, 404, 422): the scan covers
	// the problems they answer, but must also have seen writes succeed.
	if accepted < 60 {
		t.Errorf("only %d of %d writes succeeded: the scan saw too few real answers", accepted, calls)
	}
	t.Logf("%d write operations, %d callers, %d requests (%d with real ids, %d accepted)", len(ops), len(callers), calls, withRealIDs, accepted)
}

// TestPersonalInformationWrittenOnPurposeStaysMasked (issue 18, hostile
// input): the flows whose bodies carry personal information by design —
// registration, real-name (KYC) submission, a change of mobile number, a
// withdrawal to a bank account, an anonymous abuse report with a contact,
// and an authority disclosure naming its officer — sent with fresh values,
// answer them only masked (pii.MaskPhone, MaskIDNumber, MaskEmail; bank
// accounts and officers' numbers never in clear), as do the views that
// list them afterwards; the same flows refused (a malformed number, a
// wrong code, an amount beyond the balance, bad kinds) answer problems that
// name fields, never the values; and no value reaches the debug log.
func TestPersonalInformationWrittenOnPurposeStaysMasked(t *testing.T) {
	t.Parallel()
	s, logs := newLeakScanServer(t)
	email, phone := webtest.Unique()
	_, newPhone := webtest.Unique()
	const (
		name        = "欧阳写测"
		bankAccount = "6217000010099887766"
		officerTel  = "13911223344"
		contact     = "whistle.x18@reporter.example"
	)
	idNumber := app.DemoResidentID("19850917", 777)
	// Refused bodies carry values of their own: a problem must not echo them.
	const (
		badPhone     = "1397766554" // ten digits
		badBank      = "6217000010011223344"
		badOfficer   = "13822334455"
		badContact   = "refused.x18@reporter.example"
		refusedPhone = "13955667788" // well formed, sent with a wrong code
	)
	secrets := []string{phone, newPhone, name, bankAccount, officerTel, contact, idNumber, badPhone, badBank, badOfficer, badContact, refusedPhone}
	var answers []string
	// keep checks an answer's status (0: any refusal but 429) and keeps its
	// body for the scan.
	keep := func(what string, res *webtest.Response, want int) *webtest.Response {
		t.Helper()
		if want == 0 && res.Status >= 400 && res.Status < 500 && res.Status != http.StatusTooManyRequests {
			want = res.Status // any refusal
		}
		if res.Status != want {
			t.Fatalf("%s: status %d, want %d: %s", what, res.Status, want, res.Body)
		}
		answers = append(answers, what+"\n"+string(res.Body))
		return res
	}

	// Registration, with codes sent to the fresh addresses.
	c := client(s, langs[0])
	var sent []web.CodeTicketBody
	for purpose, to := range map[string]string{"register_email": email, "register_phone": phone} {
		res := keep("codes "+purpose, c.Do(t, "POST", "/api/v1/auth/codes", map[string]string{"purpose": purpose, "target": to}), http.StatusAccepted)
		var tk web.CodeTicketBody
		res.JSON(t, &tk)
		if want := map[string]string{"register_email": pii.MaskEmail(email), "register_phone": pii.MaskPhone(phone)}[purpose]; tk.SentTo != want {
			t.Errorf("code sent_to %q, want %q", tk.SentTo, want)
		}
		sent = append(sent, tk)
	}
	et, pt := sent[0], sent[1]
	if et.Channel != "email" {
		et, pt = pt, et
	}
	var acct web.AccountBody
	keep("register", c.Do(t, "POST", "/api/v1/accounts", registration(email, phone, webtest.Password, et.ID, s.CodeOf(t, et.ID), pt.ID,
		s.CodeOf(t, pt.ID))), http.StatusCreated).JSON(t, &acct)
	if acct.Phone != pii.MaskPhone(phone) {
		t.Errorf("registration answers phone %q, want %q", acct.Phone, pii.MaskPhone(phone))
	}
	c = signIn(t, s, langs[0], email, webtest.Password, false)

	// Real-name submission.
	keep("kyc", c.Do(t, "POST", "/api/v1/me/kyc/individual", map[string]any{"name": name, "id_number": idNumber, "phone": phone}), http.StatusOK)
	keep("kyc view", c.Do(t, "GET", "/api/v1/me/kyc", nil), http.StatusOK)

	// A change of mobile number: re-authentication, a code to the new one.
	keep("reauth", c.Do(t, "POST", "/api/v1/auth/reauth", map[string]any{"password": webtest.Password}), http.StatusNoContent)
	var nt web.CodeTicketBody
	keep("codes change_phone", c.Do(t, "POST", "/api/v1/auth/codes", map[string]string{"purpose": "change_phone", "target": newPhone}),
		http.StatusAccepted).JSON(t, &nt)
	keep("change phone", c.Do(t, "POST", "/api/v1/me/phone", map[string]any{"address": newPhone, "code_id": nt.ID, "code": s.CodeOf(t, nt.ID)}),
		http.StatusNoContent)
	keep("me", c.Do(t, "GET", "/api/v1/me", nil), http.StatusOK).JSON(t, &acct)
	if acct.Phone != pii.MaskPhone(newPhone) {
		t.Errorf("profile phone %q after the change, want %q", acct.Phone, pii.MaskPhone(newPhone))
	}

	// A withdrawal to a bank account.
	topUp(t, c, 10000)
	keep("withdrawal", c.Do(t, "POST", "/api/v1/withdrawals", map[string]any{"amount_fen": 100, "destination": "中国建设银行 " + bankAccount + " " + name}),
		http.StatusCreated)
	keep("withdrawals", c.Do(t, "GET", "/api/v1/withdrawals", nil), http.StatusOK)
	finance := staffClient(t, s, account.RoleFinance)
	keep("staff withdrawals", finance.Do(t, "GET", "/api/v1/staff/withdrawals", nil), http.StatusOK)

	// An anonymous abuse report with a contact.
	keep("abuse report", client(s, langs[1]).Do(t, "POST", "/api/v1/abuse-reports", map[string]any{"rule": "spam", "target": "x18.leak.example",
		"detail": "spam mail every minute", "contact": contact}), http.StatusCreated)
	officer := staffClient(t, s, account.RoleComplianceOfficer)
	keep("cases", officer.Do(t, "GET", "/api/v1/staff/compliance/cases", nil), http.StatusOK)

	// An authority disclosure naming its officer.
	lead := staffClient(t, s, account.RoleComplianceLead)
	keep("disclosure", lead.Do(t, "POST", "/api/v1/staff/compliance/disclosures", map[string]any{"authority": "海淀分局", "doc_type": "assist_notice",
		"doc_number": "协查字〔2026〕18号", "doc_filename": "n.pdf", "doc_content": "JVBERi0xLjQKJSVFT0YK", "officer": "王警官 " + officerTel,
		"account_ids": []string{acct.ID}, "fields": []string{"identity", "contact"}}), http.StatusCreated)
	keep("disclosures", lead.Do(t, "GET", "/api/v1/staff/compliance/disclosures", nil), http.StatusOK)

	// The same flows refused: malformed or unverified values, bad amounts
	// and kinds; the problems name fields, never the values.
	anon := client(s, langs[1])
	keep("bad phone code", anon.Do(t, "POST", "/api/v1/auth/codes", map[string]string{"purpose": "register_phone", "target": badPhone}), 0)
	keep("bad registration", anon.Do(t, "POST", "/api/v1/accounts", registration("x18.bad@example.com", badPhone, webtest.Password,
		noSuchID, "000000", noSuchID, "000000")), 0)
	keep("wrong code phone change", c.Do(t, "POST", "/api/v1/me/phone", map[string]any{"address": refusedPhone, "code_id": nt.ID, "code": "000000"}), 0)
	keep("bad withdrawal", c.Do(t, "POST", "/api/v1/withdrawals", map[string]any{"amount_fen": 99999999, "destination": "中国银行 " + badBank}), 0)
	keep("bad abuse report", anon.Do(t, "POST", "/api/v1/abuse-reports", map[string]any{"rule": "nonsense", "target": "x18.leak.example",
		"detail": "x", "contact": badContact}), 0)
	keep("bad disclosure", lead.Do(t, "POST", "/api/v1/staff/compliance/disclosures", map[string]any{"authority": "海淀分局", "doc_type": "nonsense",
		"doc_number": "", "doc_filename": "n.exe", "doc_content": "TVqQ", "officer": "王警官 " + badOfficer, "account_ids": []string{},
		"fields": []string{"everything"}}), 0)

	// Where the answers show the values, they show them masked.
	masked := map[string][]string{
		"kyc":        {pii.MaskName(name), pii.MaskIDNumber(idNumber), pii.MaskPhone(phone)},
		"withdrawal": {"****" + bankAccount[len(bankAccount)-4:]},
		"disclosure": {pii.MaskPhone(officerTel)},
	}
	for _, a := range answers {
		what, body, _ := strings.Cut(a, "\n")
		for _, m := range masked[what] {
			if !strings.Contains(body, m) {
				t.Errorf("%s: answer lacks the masked %q: %s", what, m, body)
			}
		}
		for _, sec := range secrets {
			if strings.Contains(body, sec) {
				t.Errorf("%s: answer carries %s in clear: %s", what, sec, body)
			}
		}
	}
	log := logs.String()
	for _, sec := range secrets {
		if strings.Contains(log, sec) {
			t.Errorf("the debug log carries %s in clear", sec)
		}
	}
	if !strings.Contains(log, `"level":"DEBUG"`) {
		t.Error("the debug log is empty: the scan proves nothing")
	}
}
