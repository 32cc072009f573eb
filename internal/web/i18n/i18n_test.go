package i18n

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var placeholderRE = regexp.MustCompile(`\{([A-Za-z0-9_]+)\}`)

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestCatalogEveryKeyHasBothLanguages(t *testing.T) {
	t.Parallel()
	if len(Keys()) == 0 {
		t.Fatal("catalog is empty")
	}
	for _, k := range Keys() {
		m, _ := Lookup(k)
		if strings.TrimSpace(m.ZH) == "" {
			t.Errorf("%s: zh-CN text is empty", k)
		}
		if strings.TrimSpace(m.EN) == "" {
			t.Errorf("%s: English text is empty", k)
		}
	}
}

func TestCatalogPlaceholdersMatchBetweenLanguages(t *testing.T) {
	t.Parallel()
	for _, k := range Keys() {
		m, _ := Lookup(k)
		zh, en := placeholders(m.ZH), placeholders(m.EN)
		if !slices.Equal(zh, en) {
			t.Errorf("%s: placeholders differ: zh-CN %v, en %v", k, zh, en)
		}
		for _, s := range []string{m.ZH, m.EN} {
			if strings.HasPrefix(k, "test.i18n.") {
				continue // deliberately malformed entries for TestT
			}
			if strings.Count(s, "{") != strings.Count(s, "}") {
				t.Errorf("%s: unbalanced braces in %q", k, s)
			}
		}
	}
}

// The codes the app emits must have messages (the web layer falls back to
// a generic text, but users deserve the specific one).
func TestCatalogHasAppErrorCodes(t *testing.T) {
	t.Parallel()
	for _, code := range []string{
		"sandbox.advance_not_positive", "sandbox.advance_too_large", "sandbox.set_not_later",
		"rate_limited", "not_found", "duplicate", "conflict", "internal", "unavailable",
		"invalid", "unauthenticated", "forbidden", "too_large",
	} {
		if !Has("error." + code) {
			t.Errorf("no catalog entry error.%s", code)
		}
	}
	for _, rule := range []string{"positive", "max", "after_now", "required", "duration", "unknown_field", "type", "invalid"} {
		if !Has("rule." + rule) {
			t.Errorf("no catalog entry rule.%s", rule)
		}
	}
}

func TestNegotiate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, header string
		want         Lang
	}{
		{"empty is zh-CN", "", ZH},
		{"english", "en", EN},
		{"english region", "en-US", EN},
		{"chinese", "zh-CN", ZH},
		{"chinese script", "zh-Hans-CN", ZH},
		{"unsupported only", "fr-FR, de", ZH},
		{"first supported wins at equal q", "fr, en, zh", EN},
		{"q-values pick zh", "en;q=0.5, zh-CN;q=0.9", ZH},
		{"q-values pick en", "zh;q=0.4, en-GB;q=0.8, fr", EN},
		{"q zero excludes", "en;q=0, zh;q=0.1", ZH},
		{"q zero only", "en;q=0", ZH},
		{"spaces and case", "  EN-us ; q=1 ", EN},
		{"wildcard ignored", "*", ZH},
		{"malformed q ignored", "en;q=abc", EN},
		{"q out of range ignored", "en;q=7", EN},
		{"garbage", ";;;,,,;q=", ZH},
		{"semicolons only", "en;;;", EN},
		{"junk bytes", "\x00\xff,en", EN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Negotiate(tt.header); got != tt.want {
				t.Errorf("Negotiate(%q) = %s, want %s", tt.header, got, tt.want)
			}
		})
	}
}

func FuzzNegotiate(f *testing.F) {
	for _, s := range []string{"", "en", "zh-CN;q=0.9,en;q=0.8", ";q=", "en;q=1e309"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		if l := Negotiate(h); l != ZH && l != EN {
			t.Fatalf("Negotiate(%q) = %q", h, l)
		}
	})
}

func TestT(t *testing.T) {
	t.Parallel()
	// A private key keeps the test independent of catalog wording.
	const key = "test.i18n.greeting"
	if !Has(key) {
		t.Fatal("test entry not registered")
	}
	tests := []struct {
		name   string
		lang   Lang
		key    string
		params map[string]any
		want   string
	}{
		{"zh with params", ZH, key, map[string]any{"name": "张三", "n": 3}, "你好，张三，共 3 条"},
		{"en with params", EN, key, map[string]any{"name": "Ann", "n": 3}, "Hello, Ann: 3 items"},
		{"missing param kept", EN, key, map[string]any{"name": "Ann"}, "Hello, Ann: {n} items"},
		{"no params", EN, key, nil, "Hello, {name}: {n} items"},
		{"unknown lang is zh", Lang("fr"), key, map[string]any{"name": "x", "n": 1}, "你好，x，共 1 条"},
		{"missing key returns key", EN, "no.such.key", nil, "no.such.key"},
		{"unterminated brace", EN, "test.i18n.brace", map[string]any{"a": 1}, "1 and {b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := T(tt.lang, tt.key, tt.params); got != tt.want {
				t.Errorf("T(%s, %s) = %q, want %q", tt.lang, tt.key, got, tt.want)
			}
		})
	}
}

func TestRegisterDuplicatePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("registering a duplicate key did not panic")
		}
	}()
	register(map[string]Message{"test.i18n.greeting": {ZH: "x", EN: "x"}})
}

func TestKeysSortedAndLookup(t *testing.T) {
	t.Parallel()
	ks := Keys()
	if !slices.IsSorted(ks) {
		t.Error("Keys is not sorted")
	}
	all := maps.Collect(func(yield func(string, Message) bool) {
		for _, k := range ks {
			m, ok := Lookup(k)
			if !ok || !yield(k, m) {
				return
			}
		}
	})
	if len(all) != len(ks) {
		t.Errorf("Lookup found %d of %d keys", len(all), len(ks))
	}
}

func init() {
	register(map[string]Message{
		"test.i18n.greeting": {ZH: "你好，{name}，共 {n} 条", EN: "Hello, {name}: {n} items"},
		"test.i18n.brace":    {ZH: "{a} 和 {b", EN: "{a} and {b"},
	})
}
