package web_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	yclock "yuanxu/internal/clock"
)

// The authority rows of the authorisation matrix (section "Authorities"
// of testdata/authz_matrix.txt). "own" and "other" name two real register
// entries and two real holds about the stranger; the rows that change
// state (lift a hold, flag an account) act on an object of their own per
// staff column and variant, so that parallel rows cannot change each
// other's answers. Bodies are valid, so the answers are about who asks.

type matrixAuthority struct {
	disclosures map[string]string            // variant → register entry
	holds       map[string]string            // variant → hold with a document
	lift        map[string]map[string]string // column → "own /api", "other /con"… → a hold in force
	flag        map[string]map[string]string // column → "own", "other", "page" → a customer without a flag
	flagged     string                       // a customer with an open flag (the read rows)
}

var matrixPDF = []byte("%PDF-1.4\nmatrix\n%%EOF\n")

func (env *matrixEnv) setupAuthority(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	a := env.s.App
	p, _, err := a.Authenticate(ctx, env.byName["compL"].cookie)
	if err != nil {
		t.Fatal(err)
	}
	doc := app.LegalDocInput{Authority: "matrix bureau", DocType: "evidence_notice", DocNumber: "M-1", DocFilename: "m.pdf", DocContent: matrixPDF}
	ma := &matrixAuthority{disclosures: map[string]string{}, holds: map[string]string{}, lift: map[string]map[string]string{},
		flag: map[string]map[string]string{}}
	env.authority = ma
	for _, v := range []string{"own", "other"} {
		d, err := a.RecordDisclosure(ctx, p, app.DisclosureInput{LegalDocInput: doc, Officer: "matrix officer", AccountIDs: []string{env.stranger.ID},
			Fields: []string{"identity"}})
		if err != nil {
			t.Fatal(err)
		}
		ma.disclosures[v] = d.ID
		h, err := a.PlaceHold(ctx, p, app.HoldInput{LegalDocInput: doc, AccountID: env.stranger.ID, Reason: "matrix " + v})
		if err != nil {
			t.Fatal(err)
		}
		ma.holds[v] = h.ID
	}
	c := env.s.NewCustomer(t, account.KindIndividual)
	if _, err := a.FlagReverify(ctx, p, c.ID, app.ReverifyInput{Reason: "matrix"}); err != nil {
		t.Fatal(err)
	}
	ma.flagged = c.ID
	for _, act := range env.actors {
		if act.kind != account.KindStaff {
			continue
		}
		ma.lift[act.name], ma.flag[act.name] = map[string]string{}, map[string]string{}
		for _, v := range []string{"own /api", "other /api", "own /con", "other /con"} {
			h, err := a.PlaceHold(ctx, p, app.HoldInput{LegalDocInput: app.LegalDocInput{Authority: "matrix", DocType: "other", DocNumber: "M-2"},
				AccountID: env.stranger.ID, Reason: "matrix lift " + act.name})
			if err != nil {
				t.Fatal(err)
			}
			ma.lift[act.name][v] = h.ID
		}
		for _, v := range []string{"own", "other", "page"} {
			ma.flag[act.name][v] = env.s.NewCustomer(t, account.KindIndividual).ID
		}
	}
}

// perColumn is m[a.name][v], or compL's for the customer columns (their
// answer does not depend on the object).
func perColumn(m map[string]map[string]string, a *actor, v string) string {
	if c := m[a.name]; c != nil {
		return c[v]
	}
	return m["compL"][v]
}

func (env *matrixEnv) authorityPath(p probe, a *actor) (string, bool) {
	ma := env.authority
	if ma == nil {
		return "", false
	}
	_, path, _ := strings.Cut(p.route, " ")
	v := p.variant
	id := ""
	switch path {
	case "/api/v1/staff/compliance/disclosures/{id}", "/api/v1/staff/compliance/disclosures/{id}/document":
		id = ma.disclosures[v]
	case "/api/v1/staff/compliance/holds/{id}/document":
		id = ma.holds[v]
	case "/api/v1/staff/compliance/holds/{id}/lift", "/console/authorities/holds/{id}/lift":
		id = perColumn(ma.lift, a, v+" "+path[:4])
	case "/api/v1/staff/compliance/cases/{id}/export", "/console/compliance/cases/{id}/export":
		id = env.compliance2.cases[v]
	case "/api/v1/staff/compliance/accounts/{id}/reverify":
		id = ma.flagged
		if p.method == "POST" {
			id = perColumn(ma.flag, a, v)
		}
	case "/api/v1/staff/addresses/{address}/holder":
		return "/api/v1/staff/addresses/203.0.113.252/holder?purpose=authority_request", true // a purpose is required
	default:
		return "", false
	}
	return strings.ReplaceAll(path, "{id}", id), true
}

func (env *matrixEnv) authorityBody(p probe, a *actor) (string, string, bool) {
	if env.authority == nil {
		return "", "", false
	}
	js := func(v any) (string, string, bool) {
		b, _ := json.Marshal(v)
		return "application/json", string(b), true
	}
	doc := map[string]any{"authority": "matrix bureau", "doc_type": "evidence_notice", "doc_number": "M-3", "doc_filename": "m.pdf",
		"doc_content": base64.StdEncoding.EncodeToString(matrixPDF)}
	switch p.route {
	case "POST /api/v1/staff/compliance/disclosures":
		doc["officer"], doc["account_ids"], doc["fields"] = "matrix officer", []string{env.stranger.ID}, []string{"contact"}
		return js(doc)
	case "POST /api/v1/staff/compliance/holds":
		doc["account_id"], doc["reason"] = env.stranger.ID, "matrix"
		return js(doc)
	case "POST /api/v1/staff/compliance/holds/{id}/lift", "POST /api/v1/staff/compliance/accounts/{id}/reverify":
		return js(map[string]any{"reason": "matrix"})
	case "POST /console/authorities/holds/{id}/lift":
		return "application/x-www-form-urlencoded", url.Values{"reason": {"matrix"}}.Encode(), true
	case "POST /console/authorities/lookup":
		return "application/x-www-form-urlencoded", url.Values{"address": {"203.0.113.251"}, "at": {env.s.App.Now().Add(-time.Hour).In(yclock.Shanghai).Format("2006-01-02T15:04")},
			"purpose": {"authority_request"}}.Encode(), true
	case "POST /console/authorities/reverify":
		return "application/x-www-form-urlencoded", url.Values{"account_id": {perColumn(env.authority.flag, a, "page")}, "reason": {"matrix"}}.Encode(), true
	case "POST /console/authorities/disclosures", "POST /console/authorities/holds":
		var b strings.Builder
		mw := multipart.NewWriter(&b)
		for k, v := range map[string]string{"authority": "matrix", "doc_type": "other", "doc_number": "M-4", "officer": "matrix officer",
			"account_ids": env.stranger.ID, "account_id": env.stranger.ID, "fields": "contact", "reason": "matrix"} {
			_ = mw.WriteField(k, v)
		}
		_ = mw.Close()
		return mw.FormDataContentType(), b.String(), true
	case "POST /api/v1/staff/compliance/address-lookups":
		return js(map[string]any{"address": "203.0.113.250", "at": env.s.App.Now().Add(-time.Hour).Format(time.RFC3339), "purpose": "authority_request"})
	}
	return "", "", false
}
