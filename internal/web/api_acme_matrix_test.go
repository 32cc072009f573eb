package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
)

// The certificate rows of the authorisation matrix (issue 13, the acme
// driver; section "Certificates by ACME" of testdata/authz_matrix.txt).
// The reads name the service of a paid order, as the other service reads
// do (own: the column's; other: the stranger's): it is a cloud server, so
// whoever may read it gets acme.not_acme_product (409) past
// authorisation, and everyone else 404. The rows that change a request
// keep the account-id placeholders (404), as the other service-changing
// rows do, with a valid body so the answer is about who asks.

// acmePath is the path a certificate row sends for a, or false.
func (env *matrixEnv) acmePath(p probe, a *actor) (string, bool) {
	mc := env.commerce
	if mc == nil {
		return "", false
	}
	switch p.route {
	case "GET /api/v1/services/{id}/certificate", "GET /api/v1/services/{id}/certificate/key":
	default:
		return "", false
	}
	var id string
	if p.variant == "other" {
		id = env.serviceOf(mc.readOrder["other"])
	} else if a.kind.Customer() {
		id = env.serviceOf(mc.own[a.name]["paid"])
	} else {
		id = env.serviceOf(mc.own["indiv"]["paid"])
	}
	return strings.ReplaceAll(p.path, "{id}", url.PathEscape(id)), true
}

// acmeBody is the request body of a certificate row, or false.
func (env *matrixEnv) acmeBody(p probe, _ *actor) (string, string, bool) {
	if p.route != "POST /api/v1/services/{id}/certificate" {
		return "", "", false
	}
	b, err := json.Marshal(map[string]any{"domains": []string{"matrix.example.test"}, "challenge": "http-01"})
	if err != nil {
		panic(err)
	}
	return "application/json", string(b), true
}
