package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/webtest"
)

// TestDeliveryAPI: a sandbox purchase is delivered at once and labelled
// sandbox, its instants in +08:00; the credentials answer a fresh
// session; operations see the demo's waiting manual line in the queue,
// are refused a fulfilment without an address (422 naming the field,
// nothing recorded), then fulfil it; the customer reports a problem inside
// the window; nodes are created (token once) and revoked.
func TestDeliveryAPI(t *testing.T) {
	t.Parallel()
	s := newCommerceServer(t)
	c := demoIndividual(t, s, langs[1])
	ops := staffClient(t, s, account.RoleOperations)
	sv := buyService(t, c, "cs-nc-bw", "s1")

	d := webtest.Decode[app.ServiceDeliveryView](t, c.Do(t, "GET", "/api/v1/services/"+sv.ID+"/delivery", nil), http.StatusOK)
	if d.Status != "delivered" || !d.Sandbox || len(d.Addresses) != 1 || !strings.HasPrefix(d.Addresses[0], "198.18.0.") ||
		!strings.HasSuffix(d.DeliveredAt.Format(time.RFC3339), "+08:00") || !d.InspectionOpen || !d.HasCredentials {
		t.Fatalf("delivery %+v", d)
	}
	creds := webtest.Decode[struct {
		Credentials map[string]string `json:"credentials"`
	}](t, c.Do(t, "GET", "/api/v1/services/"+sv.ID+"/credentials", nil), http.StatusOK)
	if creds.Credentials["username"] != "root" {
		t.Errorf("credentials %+v", creds)
	}

	// The demo's waiting manual line.
	q := webtest.Decode[struct {
		Items []app.QueueItem `json:"items"`
	}](t, ops.Do(t, "GET", "/api/v1/staff/provisioning", nil), http.StatusOK)
	if len(q.Items) != 1 || q.Items[0].Status != "pending" || q.Items[0].Driver != "manual" || q.Items[0].RemainingSeconds <= 0 {
		t.Fatalf("queue %+v", q.Items)
	}
	waiting := q.Items[0].ServiceID
	wantProblem(t, ops.Do(t, "POST", "/api/v1/staff/services/"+waiting+"/fulfil", map[string]any{"addresses": []string{}, "credentials": []any{},
		"notes": "x"}), http.StatusUnprocessableEntity, "delivery.invalid", "", "body.addresses")
	if d := webtest.Decode[app.ServiceDeliveryView](t, c.Do(t, "GET", "/api/v1/services/"+waiting+"/delivery", nil), http.StatusOK); d.Status != "pending" {
		t.Fatalf("after a refused fulfilment %+v", d)
	}
	done := webtest.Decode[app.ServiceDeliveryView](t, ops.Do(t, "POST", "/api/v1/staff/services/"+waiting+"/fulfil", map[string]any{
		"addresses": []string{"203.0.113.9"}, "credentials": []map[string]string{{"name": "psk", "value": "k3y"}}, "notes": "WireGuard config by email"}),
		http.StatusOK)
	if done.Status != "delivered" || done.Sandbox || done.Addresses[0] != "203.0.113.9" {
		t.Fatalf("fulfilled %+v", done)
	}
	wantProblem(t, ops.Do(t, "POST", "/api/v1/staff/services/"+waiting+"/fulfil", map[string]any{"addresses": []string{"203.0.113.9"},
		"credentials": []any{}, "notes": ""}), http.StatusConflict, "delivery.not_pending", "", "")
	wantProblem(t, c.Do(t, "GET", "/api/v1/staff/provisioning", nil), http.StatusForbidden, "authz.staff_only", "", "")

	// A problem inside the window.
	res := c.Do(t, "POST", "/api/v1/services/"+waiting+"/delivery-problem", map[string]any{"problem": "missing_function", "detail": "no IPv6"})
	if res.Status != http.StatusCreated {
		t.Fatalf("report: %d %s", res.Status, res.Body)
	}
	// Who held an address: a purpose is required, and the lookup is
	// audited with the staff member, the address and the ids found.
	wantProblem(t, ops.Do(t, "GET", "/api/v1/staff/addresses/203.0.113.9/holder", nil), http.StatusUnprocessableEntity,
		"compliance.lookup_invalid", "", "query.purpose")
	h := webtest.Decode[struct {
		Held      bool   `json:"held"`
		ServiceID string `json:"service_id"`
		AccountID string `json:"account_id"`
	}](t, ops.Do(t, "GET", "/api/v1/staff/addresses/203.0.113.9/holder?purpose=abuse_investigation&reference=case+Z", nil), http.StatusOK)
	if !h.Held || h.ServiceID != waiting {
		t.Errorf("holder %+v", h)
	}
	var actor, data string
	if err := s.App.DB().QueryRow(context.Background(), `SELECT actor, data FROM audit_event WHERE action = 'compliance.address_lookup'
 AND subject_id = '203.0.113.9'`).Scan(&actor, &data); err != nil {
		t.Fatalf("the holder lookup is not audited (once): %v", err)
	}
	var ev map[string]any
	if err := json.Unmarshal([]byte(data), &ev); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(actor, "staff:") || h.AccountID == "" || ev["account"] != h.AccountID || ev["service"] != waiting ||
		ev["purpose"] != "abuse_investigation" || ev["reference"] != "case Z" || ev["held"] != true || ev["at"] == nil {
		t.Errorf("audited %s %s", actor, data)
	}

	// Nodes.
	nc := webtest.Decode[app.NodeCreated](t, ops.Do(t, "POST", "/api/v1/staff/nodes", map[string]any{"id": "gz-edge-1", "kind": "cdn", "name": "赣州边缘 1",
		"region": "cn-jx-ganzhou"}), http.StatusCreated)
	if !strings.HasPrefix(nc.Token, "ynode_") || nc.Node.Kind != "cdn" {
		t.Fatalf("node %+v", nc)
	}
	wantProblem(t, ops.Do(t, "POST", "/api/v1/staff/nodes", map[string]any{"id": "gz-edge-1", "kind": "cdn", "name": "again", "region": ""}),
		http.StatusConflict, "node.exists", "", "body.id")
	webtest.Decode[app.NodeView](t, ops.Do(t, "POST", "/api/v1/staff/nodes/gz-edge-1/revoke", nil), http.StatusOK)
	wantProblem(t, ops.Do(t, "POST", "/api/v1/staff/nodes/gz-edge-1/revoke", nil), http.StatusConflict, "node.revoked", "", "")
	nodes := webtest.Decode[struct {
		Items []app.NodeView `json:"items"`
	}](t, ops.Do(t, "GET", "/api/v1/staff/nodes", nil), http.StatusOK)
	for _, n := range nodes.Items {
		if n.ID == "gz-edge-1" && (n.RevokedAt.IsZero() || !n.Disabled) {
			t.Errorf("revoked node %+v", n)
		}
	}
}
