package web_test

import (
	"net/http"
	"slices"
	"testing"

	"yuanxu/internal/agreement"
	"yuanxu/internal/web"
	"yuanxu/internal/webtest"
)

func TestAgreementAPIPublic(t *testing.T) {
	t.Parallel()
	s := webtest.NewServer(t, nil)
	res := s.Do(t, http.MethodGet, "/api/v1/agreement", nil, "Accept-Language", "en")
	if res.Status != http.StatusOK {
		t.Fatalf("GET /agreement: %d %s", res.Status, res.Body)
	}
	var v web.AgreementVersionBody
	res.JSON(t, &v)
	def := agreement.Default()
	if v.SHA256 != def.SHA256 || v.State != "effective" || len(v.Clauses) != len(def.Clauses) || len(v.KeyClauses) == 0 {
		t.Fatalf("agreement = %s %s %d clauses %v", v.SHA256, v.State, len(v.Clauses), v.KeyClauses)
	}
	keys := 0
	for _, c := range v.Clauses {
		if c.Key {
			keys++
			if c.Explain == "" {
				t.Errorf("key clause %s without explanation", c.ID)
			}
		}
	}
	if keys != len(v.KeyClauses) || v.Policy["refund.window"] != "24h" {
		t.Fatalf("key clauses %d vs %v; policy %v", keys, v.KeyClauses, v.Policy["refund.window"])
	}
	res = s.Do(t, http.MethodGet, "/api/v1/agreement/versions/"+v.ID+"/explain?clause="+v.KeyClauses[0], nil)
	if res.Status != http.StatusOK {
		t.Fatalf("explain: %d %s", res.Status, res.Body)
	}
	res = s.Do(t, http.MethodGet, "/api/v1/agreement/diff?from="+v.ID+"&to="+v.ID, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("diff: %d %s", res.Status, res.Body)
	}
	res = s.Do(t, http.MethodGet, "/api/v1/calendar/deadline?from=2026-09-30T10:00:00%2B08:00&working_days=3", nil)
	var d struct {
		Due         string `json:"due"`
		Provisional bool   `json:"provisional"`
	}
	res.JSON(t, &d)
	if res.Status != http.StatusOK || d.Due != "2026-10-10" || d.Provisional {
		t.Fatalf("deadline: %d %+v", res.Status, d)
	}
	res = s.Do(t, http.MethodGet, "/api/v1/calendar/deadline?from=2026-12-31T10:00:00%2B08:00&working_days=3", nil)
	res.JSON(t, &d)
	if d.Due != "2027-01-06" || !d.Provisional {
		t.Fatalf("deadline into 2027: %+v", d)
	}
	res = s.Do(t, http.MethodGet, "/api/v1/agreement/versions", nil)
	var list struct {
		Versions []web.AgreementVersionBody `json:"versions"`
	}
	res.JSON(t, &list)
	if len(list.Versions) != 1 || !slices.ContainsFunc(list.Versions, func(x web.AgreementVersionBody) bool { return x.ID == v.ID }) {
		t.Fatalf("versions = %+v", list.Versions)
	}
}
