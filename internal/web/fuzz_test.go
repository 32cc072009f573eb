package web_test

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"

	"yuanxu/internal/webtest"
)

// FuzzSandboxClockBody throws arbitrary bodies at the one body-decoding
// route: the answer is always 200 with a clock, or a well-formed
// problem+json that is not a 500.
func FuzzSandboxClockBody(f *testing.F) {
	for _, seed := range []string{
		`{"advance":"25h"}`, `{"advance":"2d"}`, `{"set":"2030-01-01T00:00:00+08:00"}`, `{}`, ``, `null`, `[]`, `"x"`,
		`{"advance":25}`, `{"advance":"1h","set":"2030-01-01T00:00:00Z"}`, `{"advance":"-1h"}`, `{"Advance":"1h"}`,
		`{"advance":"1h","x":{"y":[1,2,{}]}}`, `{"advance":"9999999999999h"}`, `{"set":"2030-13-01T00:00:00Z"}`,
		`{"advance":null}`, `{"advance":"1h"`, `{"advance":"1h"}{}`, "\xef\xbb\xbf{}", `{"advance":"\u0000"}`,
		`{"set":true}`, `{"advance":"106752d"}`, `{"advance":"1d-1h"}`,
	} {
		f.Add(seed)
	}
	// Every request comes from its own address (through a trusted proxy)
	// so that the rate limit does not hide the decoding path.
	s := webtest.NewServer(f, &webtest.Options{Sandbox: true, SandboxStart: sandboxStart,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	var n atomic.Uint32
	f.Fuzz(func(t *testing.T, body string) {
		i := n.Add(1)
		ip := fmt.Sprintf("10.%d.%d.%d", byte(i>>16), byte(i>>8), byte(i))
		res := s.Do(t, "POST", "/api/v1/sandbox/clock", body, "Content-Type", "application/json", "X-Forwarded-For", ip)
		if res.Status >= 500 {
			t.Fatalf("body %q: status %d: %s", body, res.Status, res.Body)
		}
		if res.Status == 200 {
			var c struct {
				Now string `json:"now"`
			}
			if err := json.Unmarshal(res.Body, &c); err != nil || c.Now == "" {
				t.Fatalf("body %q: 200 without a clock: %s", body, res.Body)
			}
			return
		}
		p := res.Problem(t)
		if p.Status < 400 || p.Status >= 500 {
			t.Fatalf("body %q: problem status %d", body, p.Status)
		}
	})
}
