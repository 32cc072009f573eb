package webtest

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"
	"time"
)

// Client talks to a Server as one browser or API consumer does: it keeps
// the cookies the server sets (session, device, language), sends Header
// with every request and does not follow redirects. Use it from one
// goroutine.
type Client struct {
	// Header is sent with every request (Accept-Language,
	// X-Forwarded-For, Authorization…); Do's headers override it.
	Header http.Header
	s      *Server
	hc     *http.Client
	jar    *cookiejar.Jar
}

// NewClient returns a client without cookies; headers are name, value
// pairs put in its Header.
func (s *Server) NewClient(headers ...string) *Client {
	jar, _ := cookiejar.New(nil) // never fails without options
	c := &Client{Header: http.Header{}, s: s, jar: jar, hc: &http.Client{
		Transport:     s.HTTP.Client().Transport,
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	for i := 0; i+1 < len(headers); i += 2 {
		c.Header.Set(headers[i], headers[i+1])
	}
	return c
}

// Do sends one request with the client's cookies and Header, and keeps
// the cookies the response sets. body and headers are as for Server.Do.
func (c *Client) Do(t testing.TB, method, path string, body any, headers ...string) *Response {
	t.Helper()
	return c.s.do(t, c.hc, c.Header, method, path, body, headers...)
}

func (c *Client) base() *url.URL {
	u, _ := url.Parse(c.s.URL + "/")
	return u
}

// Cookie returns the value of a cookie the client holds, "" if none.
func (c *Client) Cookie(name string) string {
	for _, ck := range c.jar.Cookies(c.base()) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// SetCookie makes the client hold a cookie (value "" removes it).
func (c *Client) SetCookie(name, value string) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/"}
	if value == "" {
		ck.MaxAge = -1
	}
	c.jar.SetCookies(c.base(), []*http.Cookie{ck})
}
