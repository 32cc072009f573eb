package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
)

// The compliance rows of the authorisation matrix (section "Compliance" of
// testdata/authz_matrix.txt). Cases have no customer owner: "own" and
// "other" name two real cases about the stranger, each with a piece of
// evidence; the rows that change a case (review) act on a case of their
// own per staff column and variant, so that parallel rows cannot change
// each other's answers. Bodies are valid, so the answers are about who
// asks.

type matrixCompliance struct {
	blocks   map[string]map[string]string // column → variant → a blocklist entry (the lift rows)
	cases    map[string]string            // variant → case
	evidence map[string]string            // variant → evidence of that case
	review   map[string]map[string]string // column → "api own", "page other"… → a detected case
}

var matrixPNG = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 32)...)

func (env *matrixEnv) setupCompliance(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	a := env.s.App
	p, _, err := a.Authenticate(ctx, env.byName["compL"].cookie)
	if err != nil {
		t.Fatal(err)
	}
	mc := &matrixCompliance{cases: map[string]string{}, evidence: map[string]string{}, review: map[string]map[string]string{},
		blocks: map[string]map[string]string{}}
	env.compliance2 = mc
	for _, v := range []string{"own", "other"} {
		// A finding joins the open case about the same target and rule:
		// distinct rules make distinct cases.
		c, err := a.RaiseFinding(ctx, p, app.FindingInput{AccountID: env.stranger.ID, Rule: map[string]string{"own": "spam", "other": "fraud"}[v],
			Detail: "matrix " + v})
		if err != nil {
			t.Fatal(err)
		}
		mc.cases[v] = c.ID
		ev, err := a.AddEvidence(ctx, p, c.ID, "matrix.png", matrixPNG, v)
		if err != nil {
			t.Fatal(err)
		}
		mc.evidence[v] = ev.ID
	}
	// One blocklist entry per staff column and variant for the lift rows.
	for i, act := range env.actors {
		if act.kind != account.KindStaff {
			continue
		}
		mc.blocks[act.name] = map[string]string{}
		for j, v := range []string{"own", "other"} {
			b, err := a.BlockAdd(ctx, p, app.BlockInput{Kind: "phone", Value: fmt.Sprintf("1370000%02d%02d", i, j), Reason: "matrix", AuthorityRef: "matrix"})
			if err != nil {
				t.Fatal(err)
			}
			mc.blocks[act.name][v] = b.ID
		}
	}
	// One detected case per staff column and row for the review rows: a
	// case per account (the target), so each is a customer of its own.
	for _, act := range env.actors {
		if act.kind != account.KindStaff {
			continue
		}
		mc.review[act.name] = map[string]string{}
		for _, k := range []string{"api own", "api other", "page own", "page other"} {
			c := env.s.NewCustomer(t, account.KindIndividual)
			rc, err := a.RaiseFinding(ctx, p, app.FindingInput{AccountID: c.ID, Rule: "spam", Detail: "matrix review " + act.name + " " + k})
			if err != nil {
				t.Fatal(err)
			}
			mc.review[act.name][k] = rc.ID
		}
	}
}

func (env *matrixEnv) compliancePath(p probe, a *actor) (string, bool) {
	mc := env.compliance2
	if mc == nil {
		return "", false
	}
	_, path, _ := strings.Cut(p.route, " ")
	v := p.variant
	switch path {
	case "/api/v1/staff/compliance/cases/{id}", "/console/compliance/cases/{id}":
		if p.method == "POST" {
			return strings.ReplaceAll(path, "{id}", env.reviewCase(p, a)), true
		}
		return strings.ReplaceAll(path, "{id}", mc.cases[v]), true
	case "/api/v1/staff/compliance/blocklist/{id}/lift":
		m := mc.blocks[a.name]
		if m == nil {
			m = mc.blocks["compL"]
		}
		return strings.ReplaceAll(path, "{id}", m[v]), true
	case "/api/v1/staff/compliance/cases/{id}/actions":
		return strings.ReplaceAll(path, "{id}", env.reviewCase(p, a)), true
	case "/api/v1/staff/compliance/cases/{id}/evidence", "/console/compliance/cases/{id}/evidence":
		return strings.ReplaceAll(path, "{id}", mc.cases[v]), true
	case "/api/v1/staff/compliance/cases/{id}/evidence/{evidence}", "/console/compliance/cases/{id}/evidence/{evidence}":
		return strings.NewReplacer("{id}", mc.cases[v], "{evidence}", mc.evidence[v]).Replace(path), true
	}
	return "", false
}

// reviewCase is the detected case a review row of a acts on.
func (env *matrixEnv) reviewCase(p probe, a *actor) string {
	k := "api " + p.variant
	if !strings.HasPrefix(p.route, "POST /api/") {
		k = "page " + p.variant
	}
	m := env.compliance2.review[a.name]
	if m == nil {
		m = env.compliance2.review["compL"]
	}
	return m[k]
}

func (env *matrixEnv) complianceBody(p probe, a *actor) (string, string, bool) {
	if env.compliance2 == nil {
		return "", "", false
	}
	js := func(v any) (string, string, bool) {
		b, _ := json.Marshal(v)
		return "application/json", string(b), true
	}
	const form = "application/x-www-form-urlencoded"
	switch p.route {
	case "POST /api/v1/abuse-reports":
		return js(map[string]any{"rule": "spam", "target": "mx-" + a.name + ".matrix.example", "detail": "matrix"})
	case "POST /api/v1/staff/compliance/findings":
		return js(map[string]any{"account_id": env.stranger.ID, "rule": "infringement", "detail": "matrix " + a.name})
	case "POST /api/v1/staff/compliance/blocklist":
		return js(map[string]any{"kind": "phone", "value": "136" + fmt.Sprintf("%08d", len(a.name)*1000+int(a.name[0])), "reason": "matrix",
			"authority_ref": "matrix " + a.name})
	case "POST /api/v1/staff/compliance/cases/{id}/actions":
		return js(map[string]any{"action": "review"})
	case "POST /api/v1/staff/compliance/cases/{id}/evidence":
		return js(map[string]any{"filename": "m.png", "content": base64.StdEncoding.EncodeToString(matrixPNG), "note": a.name})
	case "POST /abuse":
		return form, url.Values{"rule": {"spam"}, "target": {"page-" + a.name + ".matrix.example"}, "detail": {"matrix"}}.Encode(), true
	case "POST /console/compliance/findings":
		return form, url.Values{"account_id": {env.stranger.ID}, "rule": {"infringement"}, "detail": {"matrix page " + a.name}}.Encode(), true
	case "POST /console/compliance/cases/{id}":
		return form, url.Values{"action": {"review"}}.Encode(), true
	case "POST /console/compliance/cases/{id}/evidence":
		var b strings.Builder
		mw := multipart.NewWriter(&b)
		fw, _ := mw.CreateFormFile("attachment", "m.png")
		_, _ = fw.Write(matrixPNG)
		_ = mw.WriteField("note", a.name)
		_ = mw.Close()
		return mw.FormDataContentType(), b.String(), true
	}
	return "", "", false
}
