package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"yuanxu/internal/web/webctx"
)

// client talks to an instance as its buyers do: JSON API calls and portal
// pages with a buyer's session cookie.
type client struct {
	in *instance
	hc *http.Client
	// orders holds the paid orders of each buyer, for refund eligibility.
	mu     sync.Mutex
	orders map[int][]string
}

func newClient(in *instance) *client {
	t := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}
	return &client{in: in, hc: &http.Client{Transport: t, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, orders: map[int][]string{}}
}

// do sends a request as buyer (its session cookie; -1: none) and decodes a
// JSON answer into out when out is not nil; any status but want is an
// error naming the answer.
func (c *client) do(ctx context.Context, buyer int, method, path string, body []byte, want int, out any, header ...string) error {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.in.URL+path, r)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if buyer >= 0 {
		req.AddCookie(&http.Cookie{Name: webctx.SessionCookie, Value: c.in.Fixture.Buyers[buyer].Session})
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != want {
		return fmt.Errorf("%s %s: %d %.300s", method, path, res.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// checkoutBody is the fixture plan's checkout, every key clause
// acknowledged; with pay, paid from the balance in the same request.
func (c *client) checkoutBody(pay bool) []byte {
	f := c.in.Fixture
	body := map[string]any{
		"lines":     []map[string]any{{"product_id": f.ProductID, "plan_id": f.PlanID, "cycle": f.Cycle, "quantity": 1}},
		"agreement": map[string]any{"version_id": "", "acknowledged": f.Acknowledged},
	}
	if pay {
		body["pay"] = map[string]any{"method": "balance"}
	}
	b, _ := json.Marshal(body)
	return b
}

// checkout is one checkout paid by balance as buyer pick(client): POST
// /api/v1/orders with pay (placed and paid in one request and one
// transaction), or with twoStep POST /api/v1/orders then POST
// /api/v1/orders/{id}/pay (two requests, two transactions).
func (c *client) checkout(pick func(client int) int, twoStep bool) op {
	body := c.checkoutBody(!twoStep)
	pay := []byte(`{"method":"balance"}`)
	return func(ctx context.Context, cl int) (int, error) {
		buyer := pick(cl)
		var o struct {
			ID    string `json:"id"`
			State string `json:"state"`
		}
		if err := c.do(ctx, buyer, http.MethodPost, "/api/v1/orders", body, http.StatusCreated, &o); err != nil {
			return 0, err
		}
		if twoStep {
			if err := c.do(ctx, buyer, http.MethodPost, "/api/v1/orders/"+o.ID+"/pay", pay, http.StatusOK, &o); err != nil {
				return 0, err
			}
		}
		if o.State != "paid" && o.State != "provisioning" && o.State != "delivered" {
			return 0, fmt.Errorf("order %s is %s after paying", o.ID, o.State)
		}
		c.mu.Lock()
		if len(c.orders[buyer]) < 200 {
			c.orders[buyer] = append(c.orders[buyer], o.ID)
		}
		c.mu.Unlock()
		return 1, nil
	}
}

// refundEligibility is GET /api/v1/orders/{id}/refund-eligibility over
// the paid orders of buyer client (round robin).
func (c *client) refundEligibility() (op, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.orders) == 0 {
		return nil, fmt.Errorf("bench: no paid orders to decide refunds of")
	}
	var next sync.Map
	return func(ctx context.Context, cl int) (int, error) {
		buyer := cl % len(c.in.Fixture.Buyers)
		ids := c.orders[buyer]
		if len(ids) == 0 {
			buyer, ids = 0, c.orders[0]
		}
		v, _ := next.LoadOrStore(cl, new(int))
		i := v.(*int)
		*i++
		var d struct {
			Outcome string `json:"outcome"`
		}
		if err := c.do(ctx, buyer, http.MethodGet, "/api/v1/orders/"+ids[*i%len(ids)]+"/refund-eligibility", nil, http.StatusOK, &d); err != nil {
			return 0, err
		}
		return 1, nil
	}, nil
}

// portalPages are the signed-in portal pages the portal case cycles
// through.
var portalPages = []string{"/products", "/orders", "/wallet", "/services"}

// portal is GET of a portal page as a buyer, cycling pages and buyers.
func (c *client) portal() op {
	return func(ctx context.Context, i int) (int, error) {
		return 1, c.do(ctx, i%len(c.in.Fixture.Buyers), http.MethodGet, portalPages[i%len(portalPages)], nil, http.StatusOK, nil)
	}
}

// usageBatch posts batches of size samples as the sandbox node: client i
// reports for service i (mod the services), one-second intervals counting
// up from 30 days before the service started, so that every sample is new
// and valid.
func (c *client) usageBatch(size int) op {
	f := c.in.Fixture
	next := make([]int64, len(f.Services))
	var mu sync.Mutex
	return func(ctx context.Context, cl int) (int, error) {
		si := cl % len(f.Services)
		mu.Lock()
		first := next[si]
		next[si] += int64(size)
		mu.Unlock()
		base := f.Services[si].StartsAt.Add(-30 * 24 * time.Hour)
		var buf bytes.Buffer
		buf.WriteString(`{"samples":[`)
		for k := range int64(size) {
			if k > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"service_id":%q,"interval_start":%q,"interval_seconds":1,"rx_bytes":%d,"tx_bytes":%d}`,
				f.Services[si].ID, base.Add(time.Duration(first+k)*time.Second).UTC().Format(time.RFC3339), 100+k%7, 1000+k%13)
		}
		buf.WriteString(`]}`)
		var res struct {
			Accepted int `json:"accepted"`
		}
		if err := c.do(ctx, -1, http.MethodPost, "/api/v1/usage", buf.Bytes(), http.StatusOK, &res, "Authorization", "Bearer "+f.NodeToken); err != nil {
			return 0, err
		}
		if res.Accepted != size {
			return res.Accepted, fmt.Errorf("usage batch: %d of %d samples accepted", res.Accepted, size)
		}
		return size, nil
	}
}
