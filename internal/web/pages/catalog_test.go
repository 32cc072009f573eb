package pages_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"yuanxu/internal/policy"
	"yuanxu/internal/web/i18n"
)

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

// Every page key has both languages with the same placeholders.
func TestCatalogPages(t *testing.T) {
	t.Parallel()
	n := 0
	for _, k := range i18n.Keys() {
		if !strings.HasPrefix(k, "page.") && !strings.HasPrefix(k, "layout.") {
			continue
		}
		n++
		m, _ := i18n.Lookup(k)
		if strings.TrimSpace(m.ZH) == "" || strings.TrimSpace(m.EN) == "" {
			t.Errorf("%s: missing a translation", k)
			continue
		}
		zh, en := placeholder.FindAllString(m.ZH, -1), placeholder.FindAllString(m.EN, -1)
		slices.Sort(zh)
		slices.Sort(en)
		if !slices.Equal(slices.Compact(zh), slices.Compact(en)) {
			t.Errorf("%s: placeholders differ: zh %v, en %v", k, zh, en)
		}
	}
	if n < 50 {
		t.Errorf("only %d page keys", n)
	}
}

// Keys the pages build at run time exist for every value the policy
// registry allows.
func TestCatalogDynamicKeys(t *testing.T) {
	t.Parallel()
	var keys []string
	for _, l := range i18n.Langs {
		keys = append(keys, "layout.lang."+string(l))
	}
	anchor, _ := policy.Lookup(string(policy.RefundWindowAnchor))
	for _, v := range anchor.Enum {
		keys = append(keys, "page.home.anchor."+v)
	}
	dest, _ := policy.Lookup(string(policy.RefundDestinations))
	for _, v := range dest.Enum {
		keys = append(keys, "page.home.destination."+v)
	}
	for _, k := range keys {
		if !i18n.Has(k) {
			t.Errorf("missing catalog key %s", k)
		}
	}
}
