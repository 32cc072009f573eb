package agreement

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"yuanxu/internal/policy"
)

// Text is a short text in the two languages every view supports.
type Text struct {
	ZH string // zh-CN, the default language
	EN string
}

// In returns the text in lang ("en" or anything else for zh-CN), falling
// back to the other language when that one is empty.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" || t.ZH == "" {
		return t.EN
	}
	return t.ZH
}

// Entity is the legal entity that offers the agreement: one configured
// record that every template uses (DESIGN.md §4).
type Entity struct {
	Name    string // registered name, e.g. 江西省元素序列信息技术有限公司
	USCC    string // unified social credit code (GB 32100), "" when not stated
	Address string // registered address, "" when not stated
}

// Clause is one clause of a document.
type Clause struct {
	ID    ClauseID
	Level int    // the heading level, 1 to 6
	Line  int    // the heading's line
	Title string // the heading text without its marker: "中文 / English"
	// Body is the clause's Markdown as written, both languages and the
	// "<!-- en -->" separator included, explanation lines excluded, with
	// leading and trailing blank lines removed.
	Body    string
	Key     bool // a key clause: shown distinctly and acknowledged on its own
	Explain Text // the plain-language explanation; both set on every key clause
}

// enMarker separates a clause's Chinese text from its English rendering.
const enMarker = "<!-- en -->"

// In returns the clause's title and body in lang: "en" for English,
// anything else for zh-CN. The title is split at its first " / "; the body
// at the "<!-- en -->" line. A clause written in one language only returns
// that language for both.
func (c Clause) In(lang string) (title, body string) {
	title = c.Title
	if zh, en, ok := strings.Cut(c.Title, " / "); ok {
		title = pick(lang, strings.TrimSpace(zh), strings.TrimSpace(en))
	}
	body = c.Body
	if zh, en, ok := strings.Cut(c.Body, enMarker); ok {
		body = pick(lang, strings.TrimSpace(zh), strings.TrimSpace(en))
	}
	return title, body
}

func pick(lang, zh, en string) string {
	if lang == "en" && en != "" || zh == "" {
		return en
	}
	return zh
}

// Document is a parsed agreement. Parse builds it; it is never changed
// afterwards and is safe for concurrent reading.
type Document struct {
	Name      string // the name given to Parse (a file name), for messages
	Title     string // front-matter title, else the first heading without a marker
	Entity    Entity
	Signatory string
	Clauses   []Clause    // in document order
	Policy    *policy.Set // every §3 key: the stated values, defaults for the rest
	// Stated holds the policy values exactly as the policy block states
	// them, keyed by name; keys left to their default are absent.
	Stated map[string]string
	SHA256 string // hex SHA-256 of the canonical bytes

	canonical []byte
	lines     []string       // the canonical text split into lines, lines[0] is line 1
	keyLines  map[string]int // policy key → line
	at        docLines
}

// docLines are the lines of the parts the linter reports on.
type docLines struct {
	entity, signatory, policy int
}

// Canonical returns a copy of the canonical bytes the SHA256 is taken of.
func (d *Document) Canonical() []byte { return slices.Clone(d.canonical) }

// Clause returns the clause with id.
func (d *Document) Clause(id ClauseID) (Clause, bool) {
	for _, c := range d.Clauses {
		if c.ID == id {
			return c, true
		}
	}
	return Clause{}, false
}

// KeyClauses returns the ids of the key clauses, in document order.
func (d *Document) KeyClauses() []ClauseID {
	var out []ClauseID
	for _, c := range d.Clauses {
		if c.Key {
			out = append(out, c.ID)
		}
	}
	return out
}

// Canonicalize returns src in canonical form: no UTF-8 byte-order mark,
// line endings LF, no trailing blanks (spaces, tabs, U+3000) on any line, no
// trailing blank lines, and one final newline (an empty input stays empty).
// It changes only what a reader cannot see, so that re-saving a document in
// another editor keeps its SHA256.
func Canonicalize(src []byte) []byte {
	s := strings.TrimPrefix(string(src), "\uFEFF")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, isBlank)
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return []byte{}
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

func isBlank(r rune) bool { return r == ' ' || r == '\t' || r == '\u3000' }

// digest is the hex SHA-256 of b.
func digest(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// splitLines splits canonical text into lines without the final newline.
func splitLines(canonical []byte) []string {
	s := strings.TrimSuffix(string(canonical), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// invalidUTF8Line returns the first line of src (1-based) holding invalid
// UTF-8 or a control character other than tab, CR and LF, or 0.
func invalidUTF8Line(src []byte) int {
	line := 1
	for len(src) > 0 {
		r, n := utf8.DecodeRune(src)
		if r == utf8.RuneError && n <= 1 {
			return line
		}
		switch {
		case r == '\n', r == '\r' && (len(src) == 1 || src[1] != '\n'): // LF, or a lone CR as Canonicalize reads it
			line++
		case unicode.IsControl(r) && r != '\t' && r != '\r':
			return line
		}
		src = src[n:]
	}
	return 0
}

// usccAlphabet is GB 32100's character set, in value order.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// ValidUSCC reports whether code is an 18-character unified social credit
// code whose check character (GB 32100-2015) is right.
func ValidUSCC(code string) bool {
	weights := [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	if len(code) != 18 {
		return false
	}
	sum := 0
	for i := range 17 {
		v := strings.IndexByte(usccAlphabet, code[i])
		if v < 0 {
			return false
		}
		sum += v * weights[i]
	}
	check := (31 - sum%31) % 31
	return code[17] == usccAlphabet[check]
}

// sameParty reports whether two names denote the same entity once
// insignificant differences are ignored: blanks, and ASCII versus
// full-width parentheses.
func sameParty(a, b string) bool { return normParty(a) == normParty(b) }

func normParty(s string) string {
	s = strings.NewReplacer("(", "（", ")", "）").Replace(s)
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
