package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/web"
	"yuanxu/internal/webtest"
)

// The usage API end to end (issue 14): a node token issued through the
// staff API, a batch with a duplicate, a conflict and bad samples, the
// refusals (wrong token, unreadable batch), the node token not being an
// API key, a customer reading its usage and another customer not, staff
// reading it and the quarantine, and the 1 GB rule (2^30 bytes vs one
// more) seen through the refund eligibility preview.

func usageSample(svc string, start time.Time, secs int, rx, tx uint64) string {
	return fmt.Sprintf(`{"service_id":%q,"interval_start":%q,"interval_seconds":%d,"rx_bytes":%d,"tx_bytes":%d}`,
		svc, start.Format(time.RFC3339Nano), secs, rx, tx)
}

func usageBatch(samples ...string) string { return `{"samples":[` + strings.Join(samples, ",") + `]}` }

// nodeToken issues the sandbox node's token through the staff API.
func nodeToken(t *testing.T, s *webtest.Server) string {
	t.Helper()
	ops := staffClient(t, s, account.RoleOperations)
	out := webtest.Decode[web.NodeTokenOut](t, ops.Do(t, "POST", "/api/v1/staff/nodes/"+app.SandboxNode+"/token", map[string]any{}), http.StatusOK)
	if out.NodeID != app.SandboxNode || !strings.HasPrefix(out.Token, "ynode_") {
		t.Fatalf("node token %+v", out)
	}
	return out.Token
}

func usageStep(t *testing.T, c *webtest.Client, orderID string) web.RefundStepBody {
	t.Helper()
	p := webtest.Decode[web.RefundEligibilityBody](t, c.Do(t, "GET", "/api/v1/orders/"+orderID+"/refund-eligibility", nil), http.StatusOK)
	return stepOf(p.RefundEvaluation, "usage")
}

func TestUsageIngestReadAndTheOneGigabyteRule(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	tok := nodeToken(t, s)
	c := refundCustomer(t, s, langs[1])
	o := boughtServer(t, c)
	var svc app.ServiceView
	for _, sv := range listServices(t, c, "/api/v1/services?limit=100").Items {
		if sv.OrderID == o.ID {
			svc = sv
		}
	}
	webtest.Decode[map[string]any](t, c.Do(t, "POST", "/api/v1/sandbox/clock", map[string]any{"advance": "10m"}), http.StatusOK) // within the session idle timeout
	t0 := svc.StartsAt.Truncate(time.Second).Add(time.Second)
	node := s.NewClient("Accept-Language", langs[1].accept, "X-Forwarded-For", webtest.UniqueIP())
	post := func(token, body string) *webtest.Response {
		return node.Do(t, "POST", "/api/v1/usage", body, "Authorization", "Bearer "+token, "Content-Type", "application/json")
	}

	// Exactly 2^30 billed bytes (a bandwidth server bills rx+tx), the same
	// sample again, a conflicting one, an invalid one, an unknown service.
	res := webtest.Decode[app.IngestResult](t, post(tok, usageBatch(
		usageSample(svc.ID, t0, 60, 1<<29, 1<<29),
		usageSample(svc.ID, t0, 60, 1<<29, 1<<29),
		usageSample(svc.ID, t0, 60, 1<<29, 1<<30),
		usageSample(svc.ID, t0.Add(time.Minute), 0, 1, 1),
		usageSample("no-such-service", t0, 60, 1, 1),
	)), http.StatusOK)
	if res.Accepted != 1 || res.Duplicates != 1 || res.Quarantined != 1 || len(res.Rejected) != 3 {
		t.Fatalf("first batch %+v", res)
	}
	for i, want := range []struct {
		index  int
		reason string
	}{{2, "conflict"}, {3, "invalid"}, {4, "unknown_service"}} {
		if got := res.Rejected[i]; got.Index != want.index || got.Reason != want.reason {
			t.Errorf("rejected[%d] %+v, want %+v", i, got, want)
		}
	}
	if st := usageStep(t, c, o.ID); st.Outcome != "pass" {
		t.Errorf("usage step at exactly 2^30 bytes: %+v", st)
	}

	// Refusals: a wrong token, none, an API key, an unreadable batch.
	wantProblem(t, post("ynode_wrong", usageBatch(usageSample(svc.ID, t0, 60, 1, 1))), http.StatusUnauthorized, "usage.node_unauthorized",
		"The node token is missing or unknown: send the token an administrator issued for this node as Authorization: Bearer.", "")
	wantProblem(t, node.Do(t, "POST", "/api/v1/usage", usageBatch(usageSample(svc.ID, t0, 60, 1, 1)), "Content-Type", "application/json"),
		http.StatusUnauthorized, "usage.node_unauthorized", "", "")
	for _, body := range []string{`not json`, `{"samples":[]}`, `{"samples":[{"service_id":"x","rx_bytes":-5}]}`, `{"samples":[],"x":1}`} {
		wantProblem(t, post(tok, body), http.StatusUnprocessableEntity, "usage.batch_invalid", "", "")
	}
	// A node token is no API key: other routes refuse it.
	if r := node.Do(t, "GET", "/api/v1/services", nil, "Authorization", "Bearer "+tok); r.Status != http.StatusUnauthorized {
		t.Errorf("node token on another route: %d %s", r.Status, r.Body)
	}

	// One byte more: the 1 GB rule now fails.
	res = webtest.Decode[app.IngestResult](t, post(tok, usageBatch(usageSample(svc.ID, t0.Add(time.Minute), 60, 0, 1))), http.StatusOK)
	if res.Accepted != 1 || len(res.Rejected) != 0 {
		t.Fatalf("second batch %+v", res)
	}
	if st := usageStep(t, c, o.ID); st.Outcome != "fail" {
		t.Errorf("usage step at 2^30+1 bytes: %+v", st)
	}

	// The customer's view.
	u := webtest.Decode[app.UsageView](t, c.Do(t, "GET", "/api/v1/services/"+svc.ID+"/usage", nil), http.StatusOK)
	if u.ServiceID != svc.ID || u.CycleBytes != 1<<30+1 || u.TotalBytes != 1<<30+1 || u.Metered || u.Direction != "sum" ||
		len(u.Hourly) != app.UsageHours || len(u.Daily) != app.UsageDays || u.Refused != 1 || u.NodeID != app.SandboxNode {
		t.Fatalf("usage %+v", u)
	}
	var hourly, daily int64
	for _, p := range u.Hourly {
		hourly += p.BilledBytes
	}
	for _, p := range u.Daily {
		daily += p.BilledBytes
		if _, off := p.Start.Zone(); off != 8*3600 || p.Start.Hour() != 0 {
			t.Errorf("daily point %s is not a CST midnight", p.Start)
		}
	}
	if hourly != 1<<30+1 || daily != 1<<30+1 {
		t.Errorf("series sum hourly %d daily %d", hourly, daily)
	}

	// Someone else: not found; staff through /staff/.
	other, _ := verifiedCustomer(t, s, langs[1])
	wantProblem(t, other.Do(t, "GET", "/api/v1/services/"+svc.ID+"/usage", nil), http.StatusNotFound, "service.not_found", "", "")
	support := staffClient(t, s, account.RoleSupport)
	if su := webtest.Decode[app.UsageView](t, support.Do(t, "GET", "/api/v1/staff/services/"+svc.ID+"/usage", nil), http.StatusOK); su.CycleBytes != u.CycleBytes {
		t.Errorf("staff usage %+v", su)
	}
	q := webtest.Decode[struct {
		Items []app.QuarantineView `json:"items"`
	}](t, support.Do(t, "GET", "/api/v1/staff/usage/quarantine", nil), http.StatusOK)
	if len(q.Items) != 1 || q.Items[0].ServiceID != svc.ID || q.Items[0].Reason != "conflict" || q.Items[0].NodeID != app.SandboxNode {
		t.Errorf("quarantine %+v", q.Items)
	}
	// Only provisioning.manage issues node tokens; customers never.
	wantProblem(t, support.Do(t, "POST", "/api/v1/staff/nodes/x1/token", map[string]any{}), http.StatusForbidden, account.ReasonNotHeld, "", "")
	if r := c.Do(t, "POST", "/api/v1/staff/nodes/x1/token", map[string]any{}); r.Status != http.StatusForbidden {
		t.Errorf("customer issuing a node token: %d", r.Status)
	}
}

func TestUsageTrafficServerShowsItsQuota(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := refundCustomer(t, s, langs[0])
	svc := buyService(t, c, "cs-nc-traffic", "t2")
	u := webtest.Decode[app.UsageView](t, c.Do(t, "GET", "/api/v1/services/"+svc.ID+"/usage", nil), http.StatusOK)
	if !u.Metered || u.QuotaBytes != 500<<30 || u.AllowanceBytes != 500<<30 || u.Level != 0 || u.Direction != "tx" || u.CycleEnd.IsZero() {
		t.Fatalf("traffic server usage %+v", u)
	}
}
