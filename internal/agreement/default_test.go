package agreement_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode"

	"yuanxu/internal/agreement"
	"yuanxu/internal/policy"
)

func TestDefaultStatesTheProjectPolicy(t *testing.T) {
	t.Parallel()
	d := agreement.Default()
	if got, want := d.Policy.Digest(), policy.ProjectDefaults().Digest(); got != want {
		t.Errorf("default policy %v\nwant project defaults %v", d.Policy.Values(), policy.ProjectDefaults().Values())
	}
	if got, want := slices.Sorted(maps.Keys(d.Stated)), policy.Keys(); !slices.Equal(got, want) {
		t.Errorf("the policy block states %v, want every key %v", got, want)
	}
	if d.Entity.Name != "江西省元素序列信息技术有限公司" || d.Signatory != d.Entity.Name {
		t.Errorf("entity %q, signatory %q", d.Entity.Name, d.Signatory)
	}
}

func TestDefaultFollowsTheDesignNumbering(t *testing.T) {
	t.Parallel()
	d := agreement.Default()
	var ids []agreement.ClauseID
	for _, c := range d.Clauses {
		ids = append(ids, c.ID)
	}
	want := append(agreement.Catalogue(), "A")
	if !slices.Equal(ids, want) {
		t.Errorf("clauses %v\nwant %v", ids, want)
	}
	if got := d.KeyClauses(); !slices.Equal(got, agreement.RequiredKeyClauses) {
		t.Errorf("key clauses %v, want %v", got, agreement.RequiredKeyClauses)
	}
}

func TestDefaultIsBilingualAndExplainsKeyClauses(t *testing.T) {
	t.Parallel()
	hasHan := func(s string) bool {
		return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
	}
	for _, c := range agreement.Default().Clauses {
		zt, zb := c.In("zh")
		et, eb := c.In("en")
		if !hasHan(zt) || !hasHan(zb) {
			t.Errorf("clause %s has no Chinese title or body", c.ID)
		}
		if hasHan(et) || et == "" || eb == "" || eb == zb {
			t.Errorf("clause %s has no English title or body: %q", c.ID, et)
		}
		if c.ID != "A" && hasHan(eb) && !strings.Contains(eb, "江西省元素序列信息技术有限公司") {
			t.Errorf("clause %s: the English body holds Chinese text", c.ID)
		}
		if c.Key && (!hasHan(c.Explain.ZH) || c.Explain.EN == "" || hasHan(c.Explain.EN)) {
			t.Errorf("key clause %s lacks an explanation in both languages: %+v", c.ID, c.Explain)
		}
	}
}

// TestDefaultIsInOurOwnWords: no run of ten Chinese characters (punctuation
// included) of the seed appears in the default, apart from the company's
// name and the name of the state.
func TestDefaultIsInOurOwnWords(t *testing.T) {
	t.Parallel()
	seed := string(readSeed(t))
	const n = 10
	isText := func(r rune) bool {
		return unicode.Is(unicode.Han, r) || strings.ContainsRune("，、；：（）“”。", r)
	}
	grams := map[string]bool{}
	for _, run := range strings.FieldsFunc(seed, func(r rune) bool { return !isText(r) }) {
		rs := []rune(run)
		for i := 0; i+n <= len(rs); i++ {
			grams[string(rs[i:i+n])] = true
		}
	}
	allowed := []string{"江西省元素序列信息技术有限公司", "中华人民共和国"}
	for _, run := range strings.FieldsFunc(string(agreement.DefaultSource()), func(r rune) bool { return !isText(r) }) {
		rs := []rune(run)
		for i := 0; i+n <= len(rs); i++ {
			g := string(rs[i : i+n])
			if grams[g] && !slices.ContainsFunc(allowed, func(a string) bool { return strings.Contains(a, g) }) {
				t.Errorf("the default copies the seed's words: %q", g)
			}
		}
	}
}
