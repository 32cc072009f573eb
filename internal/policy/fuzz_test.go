package policy

import (
	"testing"
	"unicode/utf8"
)

// FuzzParse checks the value parser on every key: it never panics, an
// accepted value is canonical and in range, and parsing the canonical text
// again gives the same value.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"24h", "1h30m", "-1s", "1073741824", "-0", "+7", "007", "99999999999999999999",
		"true", "TRUE", "original_route,balance,swap", " swap , swap ", ",", "[X]", "【X】法院",
		"公司注册地人民法院", "a\x00b", "\xff", "1e3", "0x10", "9223372036854775807ns",
	} {
		for i := range registry {
			f.Add(uint8(i), seed)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, text string) {
		k := &registry[int(which)%len(registry)]
		v, fe := k.parse(text)
		if fe != nil {
			if fe.Field != k.Name || fe.Rule == "" {
				t.Fatalf("bad FieldError %+v", fe)
			}
			// Parse must agree with the single-value parser.
			if _, err := Parse(map[string]string{k.Name: text}); err == nil {
				t.Fatalf("Parse accepted %q for %s, parse rejected it (%s)", text, k.Name, fe.Rule)
			}
			return
		}
		if v.text == "" || !utf8.ValidString(v.text) {
			t.Fatalf("%s: %q canonicalised to %q", k.Name, text, v.text)
		}
		switch k.Type {
		case TypeDuration, TypeInt, TypeBytes, TypeFen:
			if v.n < k.Min || v.n > k.Max {
				t.Fatalf("%s: %q gives %d outside [%d, %d]", k.Name, text, v.n, k.Min, k.Max)
			}
		case TypeEnumList:
			if len(v.list) == 0 {
				t.Fatalf("%s: %q gives an empty list", k.Name, text)
			}
		}
		again, fe := k.parse(v.text)
		if fe != nil {
			t.Fatalf("%s: canonical %q of %q rejected: %s", k.Name, v.text, text, fe.Rule)
		}
		if again.text != v.text || again.n != v.n || again.b != v.b || len(again.list) != len(v.list) {
			t.Fatalf("%s: %q → %+v, re-parsed %+v", k.Name, text, v, again)
		}
	})
}
