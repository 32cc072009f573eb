// Package i18n is yuanxu's one message catalog, zh-CN (the default) and
// English. Every user-visible string — page text and error messages — is a
// key here with both translations; a test fails when either is missing.
//
// Catalog entries are registered from several files (catalog_*.go), one per
// area, each calling register in an init function; keys must be unique across
// files.
package i18n

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Lang is a supported language tag.
type Lang string

const (
	ZH Lang = "zh-CN" // default
	EN Lang = "en"
)

// Langs lists the supported languages, default first.
var Langs = []Lang{ZH, EN}

// Parse maps a tag ("en", "en-US", "zh", "zh-CN", "zh-Hans") to a supported
// language.
func Parse(tag string) (Lang, bool) {
	t := strings.ToLower(strings.TrimSpace(tag))
	switch {
	case t == "en" || strings.HasPrefix(t, "en-"):
		return EN, true
	case t == "zh" || strings.HasPrefix(t, "zh-"):
		return ZH, true
	}
	return "", false
}

// Negotiate picks the best supported language from an Accept-Language header
// by q-value; zh-CN when nothing matches or the header is empty or malformed.
func Negotiate(acceptLanguage string) Lang {
	best, bestQ := ZH, -1.0
	for _, part := range strings.Split(acceptLanguage, ",") {
		fields := strings.Split(strings.TrimSpace(part), ";")
		lang, ok := Parse(fields[0])
		if !ok {
			continue
		}
		q := 1.0
		for _, f := range fields[1:] {
			f = strings.TrimSpace(f)
			if v, found := strings.CutPrefix(f, "q="); found {
				if p, err := strconv.ParseFloat(v, 64); err == nil && p >= 0 && p <= 1 {
					q = p
				}
			}
		}
		if q > bestQ && q > 0 {
			best, bestQ = lang, q
		}
	}
	return best
}

// Message is one entry: its zh-CN and English text. Text may hold
// placeholders {name} filled from params.
type Message struct {
	ZH string
	EN string
}

var catalog = map[string]Message{}

// register adds entries; a duplicate key panics at start.
func register(m map[string]Message) {
	for k, v := range m {
		if _, dup := catalog[k]; dup {
			panic("i18n: duplicate key " + k)
		}
		catalog[k] = v
	}
}

// Has reports whether key is in the catalog.
func Has(key string) bool { _, ok := catalog[key]; return ok }

// Keys lists every key, sorted.
func Keys() []string {
	ks := make([]string, 0, len(catalog))
	for k := range catalog {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Lookup returns the entry for key.
func Lookup(key string) (Message, bool) { m, ok := catalog[key]; return m, ok }

// T returns key's text in lang with {name} placeholders replaced from
// params. A missing key returns the key itself (and the catalog test fails).
func T(lang Lang, key string, params map[string]any) string {
	m, ok := catalog[key]
	if !ok {
		return key
	}
	s := m.ZH
	if lang == EN {
		s = m.EN
	}
	if len(params) == 0 || !strings.Contains(s, "{") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			b.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		name := s[i+1 : i+j]
		if v, ok := params[name]; ok {
			fmt.Fprint(&b, v)
		} else {
			b.WriteString(s[i : i+j+1])
		}
		s = s[i+j+1:]
	}
	return b.String()
}
