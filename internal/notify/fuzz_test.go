package notify_test

import (
	"strings"
	"testing"

	"yuanxu/internal/notify"
)

// FuzzParsePhone: outside bytes never panic the parser; what it accepts is
// a fixed point and a well-formed E.164 number.
func FuzzParsePhone(f *testing.F) {
	for _, s := range []string{"13812345678", "+86 138 1234 5678", "+44 7700 900123", "0086 138", "+", "++1", "１３８１２３４５６７８"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := notify.ParsePhone(s)
		if err != nil {
			return
		}
		again, err := notify.ParsePhone(p.Normalized)
		if err != nil || again != p {
			t.Fatalf("ParsePhone(%q) = %+v, not a fixed point: %+v, %v", s, p, again, err)
		}
		e := p.E164()
		if !strings.HasPrefix(e, "+") || len(e) < 9 || len(e) > 16 || strings.Trim(e[1:], "0123456789") != "" {
			t.Fatalf("E164 %q is malformed", e)
		}
	})
}

// FuzzParseEmail: the accepted form is normalized and parses to itself.
func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{"a@b.cn", " A@B.CN ", "x <a@b.cn>", "a@@b", "\"q\"@b.cn", "张@例.中国"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := notify.ParseEmail(s)
		if err != nil {
			return
		}
		if again, err := notify.ParseEmail(e); err != nil || again != e {
			t.Fatalf("ParseEmail(%q) = %q, not a fixed point (%q, %v)", s, e, again, err)
		}
		if strings.ContainsAny(e, " <>\r\n") {
			t.Fatalf("accepted %q", e)
		}
	})
}
