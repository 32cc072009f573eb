package pages_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/store/storetest"
	"yuanxu/internal/web/pages"
	"yuanxu/internal/web/webctx"
)

// testCSP is the policy package web sets; the in-process handler of the
// non-browser tests sets it too.
const testCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// newApp returns a sandbox App on a fresh store.
func newApp(t *testing.T) *app.App {
	t.Helper()
	s, err := app.NewSecrets()
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Config{DB: storetest.Open(t), Secrets: s, Sandbox: true})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// newHandler registers the pages alone on a fresh mux behind the test CSP
// (the browser tests boot the whole of package web instead).
func newHandler(t *testing.T, a *app.App) http.Handler {
	t.Helper()
	mux := http.NewServeMux()
	if err := pages.Register(mux, pages.Config{App: a, Version: "test-1.0"}); err != nil {
		t.Fatalf("Register: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", testCSP)
		// Console pages need a staff session; package web resolves it, so
		// these in-process tests put a staff principal in the context.
		if strings.HasPrefix(r.URL.Path, "/console/") && !strings.HasPrefix(r.URL.Path, "/console/login") {
			r = r.WithContext(webctx.With(r.Context(), webctx.Principal{
				Principal: account.Principal{AccountID: "staff-1", Kind: account.KindStaff, Roles: []account.Role{account.RoleSupport}}}))
		}
		mux.ServeHTTP(w, r)
	})
}

// do serves one request in process.
func do(t *testing.T, h http.Handler, r *http.Request) *http.Response {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

func get(t *testing.T, h http.Handler, path string, header ...string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return do(t, h, r)
}

// node is a parsed HTML element: enough DOM to assert structure without a
// dependency. It uses encoding/xml in HTML mode (void elements auto-closed,
// HTML entities known).
type node struct {
	tag      string
	attrs    map[string]string
	children []*node
	text     strings.Builder // this element's own text, children excluded
	parent   *node
}

func parseHTML(t *testing.T, body io.Reader) *node {
	t.Helper()
	d := xml.NewDecoder(body)
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	root := &node{tag: "#root", attrs: map[string]string{}}
	cur := root
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return root
		}
		if err != nil {
			t.Fatalf("parsing HTML: %v", err)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{tag: strings.ToLower(tok.Name.Local), attrs: map[string]string{}, parent: cur}
			for _, a := range tok.Attr {
				name := strings.ToLower(a.Name.Local)
				if a.Name.Space != "" {
					name = strings.ToLower(a.Name.Space) + ":" + name
				}
				n.attrs[name] = a.Value
			}
			cur.children = append(cur.children, n)
			cur = n
		case xml.EndElement:
			for n := cur; n != root; n = n.parent {
				if n.tag == strings.ToLower(tok.Name.Local) {
					cur = n.parent
					break
				}
			}
		case xml.CharData:
			cur.text.Write(tok)
		}
	}
}

// all returns every element (depth first) for which match is true.
func (n *node) all(match func(*node) bool) []*node {
	var out []*node
	var rec func(*node)
	rec = func(m *node) {
		for _, c := range m.children {
			if match(c) {
				out = append(out, c)
			}
			rec(c)
		}
	}
	rec(n)
	return out
}

func (n *node) byID(id string) *node {
	if r := n.all(func(m *node) bool { return m.attrs["id"] == id }); len(r) > 0 {
		return r[0]
	}
	return nil
}

func (n *node) tags(tag string) []*node {
	return n.all(func(m *node) bool { return m.tag == tag })
}

// textContent is the element's text with whitespace collapsed.
func (n *node) textContent() string {
	var b strings.Builder
	var rec func(*node)
	rec = func(m *node) {
		b.WriteString(m.text.String())
		b.WriteString(" ")
		for _, c := range m.children {
			rec(c)
		}
	}
	rec(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// mustID returns the element with the id or fails the test.
func mustID(t *testing.T, doc *node, id string) *node {
	t.Helper()
	n := doc.byID(id)
	if n == nil {
		t.Fatalf("no element #%s", id)
	}
	return n
}

// page fetches path and parses it, checking status and content type.
func page(t *testing.T, h http.Handler, path string, status int, header ...string) (*http.Response, *node) {
	t.Helper()
	resp := get(t, h, path, header...)
	defer resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("GET %s: status %d, want %d", path, resp.StatusCode, status)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Fatalf("GET %s: Content-Type %q", path, ct)
	}
	return resp, parseHTML(t, resp.Body)
}

// htmlLang returns the lang attribute of <html>.
func htmlLang(t *testing.T, doc *node) string {
	t.Helper()
	hs := doc.tags("html")
	if len(hs) != 1 {
		t.Fatalf("%d <html> elements", len(hs))
	}
	return hs[0].attrs["lang"]
}
