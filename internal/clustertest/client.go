package clustertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"sync/atomic"
	"time"
)

// Client is one customer's or operator's HTTP client: its own cookie jar
// (the session) and its own address, sent in X-Forwarded-For through the
// balancer (so rate limits see distinct people, as behind a real load
// balancer).
type Client struct {
	Base string
	IP   string
	hc   *http.Client
}

var ipSeq atomic.Int64

// NewClient is a client of base (the balancer's or one instance's URL).
func NewClient(base string) *Client {
	jar, _ := cookiejar.New(nil)
	n := ipSeq.Add(1)
	return &Client{Base: base, IP: fmt.Sprintf("198.51.%d.%d", n/250%250, 1+n%250),
		hc: &http.Client{Jar: jar, Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// On is a client of another base URL sharing c's session and address.
func (c *Client) On(base string) *Client {
	d := *c
	d.Base = base
	return &d
}

// Response is a status and a body; Err is a transport error (the
// request may or may not have been served).
type Response struct {
	Status int
	Body   []byte
	Err    error
}

// OK: a 2xx answer, what the harness counts as acknowledged.
func (r Response) OK() bool { return r.Err == nil && r.Status/100 == 2 }

func (r Response) String() string {
	if r.Err != nil {
		return "transport error: " + r.Err.Error()
	}
	return fmt.Sprintf("%d %s", r.Status, strings.TrimSpace(string(r.Body)))
}

// Decode unmarshals the body into v.
func (r Response) Decode(v any) error {
	if r.Err != nil {
		return r.Err
	}
	return json.Unmarshal(r.Body, v)
}

// Do sends a JSON body (nil: none) with header name/value pairs.
func (c *Client) Do(method, path string, body any, headers ...string) Response {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Response{Err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		return Response{Err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Forwarded-For", c.IP)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		return Response{Err: err}
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return Response{Status: res.StatusCode, Body: b, Err: err}
}

// SignIn signs in through the API (staff: the console's sign-in).
func (c *Client) SignIn(login, password string, staff bool) error {
	r := c.Do("POST", "/api/v1/auth/login", map[string]any{"login": login, "password": password, "staff": staff})
	if !r.OK() {
		return fmt.Errorf("sign in %s: %s", login, r)
	}
	return nil
}

func ready(base string) bool {
	res, err := http.Get(base + "/readyz")
	if err != nil {
		return false
	}
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}
