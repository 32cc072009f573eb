package browsertest_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"yuanxu/internal/browsertest"
)

const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:"

// server serves a few fixed pages under the production CSP and echoes the
// Accept-Language header it received.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", csp)
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>
<link rel="icon" href="data:,"></head><body>%s</body></html>`, body)
		}
	}
	mux.Handle("GET /clean", page(`<h1 id="h">Hello 你好</h1><p id="lang"></p>
<a id="next" href="/second">next</a><button id="btn" type="button">b</button>
<ul><li class="i">one</li><li class="i">two</li></ul>`))
	mux.Handle("GET /second", page(`<h1 id="h">Second</h1>`))
	mux.Handle("GET /inline-script", page(`<script>document.title = "ran"</script>`))
	mux.Handle("GET /inline-style", page(`<p style="color:red">styled</p>`))
	mux.Handle("GET /error", page(`<script src="/error.js"></script>`))
	mux.HandleFunc("GET /error.js", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		io.WriteString(w, `console.error("boom from script"); throw new Error("uncaught boom");`)
	})
	mux.HandleFunc("GET /echo-lang", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><link rel="icon" href="data:,"></head><body><p id="al">%s</p></body></html>`,
			strings.ReplaceAll(r.Header.Get("Accept-Language"), "<", ""))
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func TestReadsAndClicks(t *testing.T) {
	t.Parallel()
	ts := server(t)
	b := browsertest.New(t)
	if got := b.Navigate(ts.URL + "/clean"); got != http.StatusOK {
		t.Fatalf("status = %d", got)
	}
	if got := b.Text("#h"); got != "Hello 你好" {
		t.Errorf("Text = %q", got)
	}
	if got := b.Texts("li.i"); len(got) != 2 || got[0] != "one" || got[1] != "two" {
		t.Errorf("Texts = %q", got)
	}
	if v, ok := b.Attr("#next", "href"); !ok || v != "/second" {
		t.Errorf("Attr = %q, %v", v, ok)
	}
	if _, ok := b.Attr("#next", "data-missing"); ok {
		t.Error("Attr reports a missing attribute as present")
	}
	if b.Exists("#nothing") || !b.Exists("#btn") {
		t.Error("Exists is wrong")
	}
	b.Click("#btn")
	if got := b.ClickNavigate("#next"); got != http.StatusOK {
		t.Errorf("ClickNavigate status = %d", got)
	}
	if got := b.Location(); got != ts.URL+"/second" {
		t.Errorf("Location = %q", got)
	}
	if got := b.Text("#h"); got != "Second" {
		t.Errorf("after click: %q", got)
	}
}

func TestAcceptLanguage(t *testing.T) {
	t.Parallel()
	ts := server(t)
	b := browsertest.New(t)
	b.Navigate(ts.URL + "/echo-lang")
	if got := b.Text("#al"); got != browsertest.DefaultAcceptLanguage {
		t.Errorf("default Accept-Language = %q", got)
	}
	b.SetLanguage("en")
	b.Navigate(ts.URL + "/echo-lang")
	if got := b.Text("#al"); got != "en" {
		t.Errorf("after SetLanguage: %q", got)
	}

	b2 := browsertest.New(t, browsertest.WithAcceptLanguage("en-GB,en;q=0.8"))
	b2.Navigate(ts.URL + "/echo-lang")
	if got := b2.Text("#al"); got != "en-GB,en;q=0.8" {
		t.Errorf("WithAcceptLanguage: %q", got)
	}
}

// The harness must see what would break pages in production: CSP
// violations (inline script and style) and script errors.
func TestCatchesConsoleProblems(t *testing.T) {
	t.Parallel()
	ts := server(t)
	cases := []struct {
		path string
		want []string
	}{
		{"/inline-script", []string{"Content Security Policy"}},
		{"/inline-style", []string{"Content Security Policy"}},
		{"/error", []string{"boom from script", "uncaught boom"}},
	}
	for _, c := range cases {
		t.Run(strings.TrimPrefix(c.path, "/"), func(t *testing.T) {
			t.Parallel()
			b := browsertest.New(t)
			b.Navigate(ts.URL + c.path)
			got := strings.Join(b.TakeProblems(), "\n")
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("problems %q lack %q", got, w)
				}
			}
			if b.Title() == "ran" {
				t.Error("the inline script ran despite the CSP")
			}
		})
	}
}

func TestAllow(t *testing.T) {
	t.Parallel()
	ts := server(t)
	b := browsertest.New(t)
	b.Allow(`boom`)
	b.Navigate(ts.URL + "/error")
	if p := b.TakeProblems(); len(p) != 0 {
		t.Errorf("allowed problems reported: %q", p)
	}
}

func TestScreenshot(t *testing.T) {
	t.Parallel()
	ts := server(t)
	b := browsertest.New(t, browsertest.WithWindowSize(800, 600))
	b.Navigate(ts.URL + "/clean")
	p := b.Screenshot("clean")
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("%s is not a PNG", p)
	}
}
