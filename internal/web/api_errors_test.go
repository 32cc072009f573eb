package web_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"

	"yuanxu/internal/webtest"
)

// sandboxStart is the test clock's first instant in these tests.
var sandboxStart = time.Date(2026, 6, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newSandbox(t *testing.T) *webtest.Server {
	t.Helper()
	return webtest.NewServer(t, &webtest.Options{Sandbox: true, SandboxStart: sandboxStart})
}

// languages are the two message languages and how a client asks for them.
var languages = []struct {
	name   string
	header []string
	han    bool // whether messages are Chinese
}{
	{"zh-CN default", nil, true},
	{"en", []string{"Accept-Language", "en-US,en;q=0.9,zh;q=0.1"}, false},
}

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// checkLanguage asserts that the problem's texts are in the asked language.
func checkLanguage(t *testing.T, p webtest.Problem, han bool) {
	t.Helper()
	texts := []string{p.Title, p.Detail}
	for _, f := range p.Errors {
		texts = append(texts, f.Message)
	}
	for _, s := range texts {
		if hasHan(s) != han {
			t.Errorf("text %q: Chinese=%v, want %v", s, hasHan(s), han)
		}
		if strings.Contains(s, "{") {
			t.Errorf("text %q has an unfilled placeholder", s)
		}
	}
}

type wantField struct{ field, rule string }

func TestProblemsForEachClassOfMistake(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	big := `{"advance":"` + strings.Repeat("1", 1<<20) + `"}`
	tests := []struct {
		name   string
		method string
		path   string
		body   any
		status int
		code   string
		fields []wantField
	}{
		{"malformed json", "POST", "/api/v1/sandbox/clock", `{"advance":`, 400, "request.malformed_json", []wantField{{"body", "json"}}},
		{"not json at all", "POST", "/api/v1/sandbox/clock", `advance=25h`, 400, "request.malformed_json", []wantField{{"body", "json"}}},
		{"unknown field", "POST", "/api/v1/sandbox/clock", `{"advance":"1h","colour":"red"}`, 400, "request.unknown_field", []wantField{{"body.colour", "unknown_field"}}},
		{"wrong type", "POST", "/api/v1/sandbox/clock", `{"advance":25}`, 400, "request.invalid_type", []wantField{{"body.advance", "type"}}},
		{"wrong top-level type", "POST", "/api/v1/sandbox/clock", `["25h"]`, 400, "request.invalid_type", []wantField{{"body", "type"}}},
		{"missing field", "POST", "/api/v1/sandbox/clock", `{}`, 422, "request.required", []wantField{{"body.advance", "one_of_required"}, {"body.set", "one_of_required"}}},
		{"missing body", "POST", "/api/v1/sandbox/clock", ``, 422, "request.required", []wantField{{"body", "required"}}},
		{"both fields", "POST", "/api/v1/sandbox/clock", `{"advance":"1h","set":"2027-01-01T00:00:00+08:00"}`, 422, "request.exactly_one_of", []wantField{{"body.advance", "exactly_one_of"}, {"body.set", "exactly_one_of"}}},
		{"bad duration", "POST", "/api/v1/sandbox/clock", `{"advance":"25 hours"}`, 400, "request.invalid_format", []wantField{{"body.advance", "duration"}}},
		{"bad instant", "POST", "/api/v1/sandbox/clock", `{"set":"tomorrow"}`, 400, "request.invalid_format", []wantField{{"body.set", "format"}}},
		{"too long", "POST", "/api/v1/sandbox/clock", `{"advance":"` + strings.Repeat("1", 65) + `h"}`, 422, "request.invalid", []wantField{{"body.advance", "max_length"}}},
		{"advance zero", "POST", "/api/v1/sandbox/clock", `{"advance":"0s"}`, 422, "sandbox.advance_not_positive", []wantField{{"body.advance", "positive"}}},
		{"advance negative", "POST", "/api/v1/sandbox/clock", `{"advance":"-1d"}`, 422, "sandbox.advance_not_positive", []wantField{{"body.advance", "positive"}}},
		{"advance too far", "POST", "/api/v1/sandbox/clock", `{"advance":"2000d"}`, 422, "sandbox.advance_too_large", []wantField{{"body.advance", "max"}}},
		{"set in the past", "POST", "/api/v1/sandbox/clock", `{"set":"2026-05-01T00:00:00+08:00"}`, 422, "sandbox.set_not_later", []wantField{{"body.set", "after_now"}}},
		{"oversized body", "POST", "/api/v1/sandbox/clock", big, 413, "request.too_large", nil},
		{"unknown query parameter", "GET", "/api/v1/meta?colour=red", nil, 400, "request.unknown_field", []wantField{{"query.colour", "unknown_field"}}},
		{"unknown api route", "GET", "/api/v1/no/such/route", nil, 404, "route.not_found", nil},
		{"unknown api version", "GET", "/api/v9/meta", nil, 404, "route.not_found", nil},
		{"wrong method", "DELETE", "/api/v1/sandbox/clock", nil, 405, "route.method_not_allowed", nil},
	}
	for _, tt := range tests {
		for _, lang := range languages {
			t.Run(tt.name+"/"+lang.name, func(t *testing.T) {
				t.Parallel()
				headers := append([]string{"Content-Type", "application/json"}, lang.header...)
				res := s.Do(t, tt.method, tt.path, tt.body, headers...)
				if res.Status != tt.status {
					t.Fatalf("status %d, want %d: %s", res.Status, tt.status, res.Body)
				}
				p := res.Problem(t)
				if p.Code != tt.code {
					t.Errorf("code %q, want %q (%s)", p.Code, tt.code, res.Body)
				}
				var got []wantField
				for _, f := range p.Errors {
					got = append(got, wantField{f.Field, f.Rule})
				}
				if !slices.Equal(got, tt.fields) {
					t.Errorf("fields %v, want %v", got, tt.fields)
				}
				checkLanguage(t, p, lang.han)
				if strings.Contains(string(res.Body), "colour\":\"red") || strings.Contains(string(res.Body), "11111111") {
					t.Errorf("problem echoes the request body: %.200s", res.Body)
				}
			})
		}
	}
}

func TestMethodNotAllowedListsAllow(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	res := s.Do(t, "PUT", "/api/v1/meta", nil)
	p := res.Problem(t)
	if res.Status != 405 || p.Code != "route.method_not_allowed" {
		t.Fatalf("got %d %s", res.Status, p.Code)
	}
	allow := res.Header.Get("Allow")
	if !strings.Contains(allow, "GET") {
		t.Errorf("Allow = %q, want GET listed", allow)
	}
}

func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	// The limit is 120 a minute in fixed wall-clock windows. Requests
	// alternate languages until each has been limited once; 361 requests
	// cross at most two window boundaries, so some window sees over 120.
	limited := map[int]*webtest.Response{}
	for i := 0; i < 361 && len(limited) < len(languages); i++ {
		lang := i % len(languages)
		headers := append([]string{"Content-Type", "application/json"}, languages[lang].header...)
		res := s.Do(t, "POST", "/api/v1/sandbox/clock", `{}`, headers...)
		switch res.Status {
		case http.StatusTooManyRequests:
			if limited[lang] == nil {
				limited[lang] = res
			}
		case http.StatusUnprocessableEntity:
		default:
			t.Fatalf("request %d: status %d: %s", i, res.Status, res.Body)
		}
	}
	for i, lang := range languages {
		res := limited[i]
		if res == nil {
			t.Fatalf("%s: never rate limited", lang.name)
		}
		p := res.Problem(t)
		if p.Code != "rate_limited" {
			t.Errorf("code %q, want rate_limited", p.Code)
		}
		secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 60 {
			t.Errorf("Retry-After = %q, want 1..60 seconds", res.Header.Get("Retry-After"))
		}
		checkLanguage(t, p, lang.han)
	}
	// GET is not limited.
	if res := s.Do(t, "GET", "/api/v1/sandbox/clock", nil); res.Status != http.StatusOK {
		t.Errorf("GET clock after limit: %d", res.Status)
	}
}

func TestAcceptLanguageQValuesAndCookie(t *testing.T) {
	t.Parallel()
	s := newSandbox(t)
	tests := []struct {
		name    string
		headers []string
		han     bool
	}{
		{"no header", nil, true},
		{"zh-CN", []string{"Accept-Language", "zh-CN"}, true},
		{"en preferred by q", []string{"Accept-Language", "zh;q=0.2, en;q=0.8"}, false},
		{"zh preferred by q", []string{"Accept-Language", "en;q=0.3, zh-TW;q=0.9"}, true},
		{"unsupported only", []string{"Accept-Language", "fr-FR"}, true},
		{"malformed", []string{"Accept-Language", ";;q=x,,"}, true},
		{"cookie wins", []string{"Accept-Language", "zh-CN", "Cookie", "yuanxu_lang=en"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := s.Do(t, "GET", "/api/v1/nope", nil, tt.headers...)
			checkLanguage(t, res.Problem(t), tt.han)
		})
	}
}
