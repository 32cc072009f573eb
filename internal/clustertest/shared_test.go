package clustertest_test

import (
	"bytes"
	"fmt"
	"net/http"
	"testing"

	"yuanxu/internal/clustertest"
)

// TestSharedStateAcrossInstances (issue 18 item 1): what one instance
// records, every instance honours — rate-limit counters (an address
// limited through one instance is limited through all: round-robin over
// three instances does not triple its attempts), sessions (a sign-in
// through the balancer reads on each instance) and uploads (an
// attachment sent to one instance downloads, byte for byte, from every
// other).
func TestSharedStateAcrossInstances(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			c := clustertest.NewCluster(t, clustertest.Options{Bin: bin, Engine: e.engine, Instances: e.instances})
			t.Run("RateLimits", func(t *testing.T) { testSharedRateLimits(t, c) })
			t.Run("SessionsAndUploads", func(t *testing.T) { testSharedUploads(t, c) })
		})
	}
}

// firstLimited sends wrong passwords for a login nobody holds (so no
// demo account gathers failures) and returns the index of the first
// 429; every earlier answer must be 401.
func firstLimited(t *testing.T, cl *clustertest.Client) int {
	t.Helper()
	for i := range 60 {
		r := cl.Do("POST", "/api/v1/auth/login", map[string]any{"login": "nobody@example.test", "password": fmt.Sprintf("guess %d", i)})
		switch r.Status {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			return i
		default:
			t.Fatalf("attempt %d: %s", i, r)
		}
	}
	t.Fatal("60 failed sign-ins from one address were never limited")
	return 0
}

// testSharedRateLimits: the address limited after n attempts on one
// instance is limited after about n through the balancer too. The
// counters use fixed wall-clock windows, so one window boundary may
// restart the count once: the bound is 2n, where per-instance counters
// over three instances would allow 3n.
func testSharedRateLimits(t *testing.T, c *clustertest.Cluster) {
	one := firstLimited(t, clustertest.NewClient(c.Members[0].URL()))
	spread := firstLimited(t, clustertest.NewClient(c.LB.URL()))
	if one < 1 || spread > 2*one {
		t.Fatalf("limited after %d attempts on one instance but %d spread over %d", one, spread, len(c.Members))
	}
	t.Logf("limited after %d attempts on one instance, %d through the balancer over %d instances", one, spread, len(c.Members))
}

// testSharedUploads: a customer signed in through the balancer opens a
// ticket with an attachment on the first instance; every instance shows
// the ticket and serves the same bytes, to the customer and to support.
func testSharedUploads(t *testing.T, c *clustertest.Cluster) {
	cust := clustertest.Customer(t, c.LB.URL(), clustertest.Individual, clustertest.IndividualPassword)
	content := []byte("traceroute from the customer's office, sent to one instance\n")
	r := cust.On(c.Members[0].URL()).Do("POST", "/api/v1/tickets", map[string]any{
		"subject": "upload seen by every instance", "category": "consult", "body": "see the attached trace",
		"attachments": []map[string]any{{"filename": "trace.txt", "content": content}},
	})
	var tk struct {
		ID       string `json:"id"`
		Messages []struct {
			Attachments []struct {
				ID string `json:"id"`
			} `json:"attachments"`
		} `json:"messages"`
	}
	if r.Status != http.StatusCreated && r.Status != http.StatusOK {
		t.Fatalf("open a ticket with an attachment: %s", r)
	}
	if err := r.Decode(&tk); err != nil || len(tk.Messages) != 1 || len(tk.Messages[0].Attachments) != 1 {
		t.Fatalf("ticket = %+v, %v", tk, err)
	}
	att := tk.Messages[0].Attachments[0].ID
	support := clustertest.Staff(t, c.LB.URL(), "support")
	for i, in := range c.Members {
		got := cust.On(in.URL()).Do("GET", "/api/v1/tickets/"+tk.ID+"/attachments/"+att, nil)
		if got.Status != http.StatusOK || !bytes.Equal(got.Body, content) {
			t.Errorf("instance %d, customer: %d %q", i, got.Status, got.Body)
		}
		got = support.On(in.URL()).Do("GET", "/api/v1/staff/tickets/"+tk.ID+"/attachments/"+att, nil)
		if got.Status != http.StatusOK || !bytes.Equal(got.Body, content) {
			t.Errorf("instance %d, support: %d %q", i, got.Status, got.Body)
		}
	}
}
