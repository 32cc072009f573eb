package agreement

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"yuanxu/internal/errs"
	"yuanxu/internal/policy"
)

// CodeMalformed is the error code of Parse, and the finding code of every
// structural problem LintSource reports.
const CodeMalformed = "agreement.malformed"

// Parse reads an agreement in the format of the package documentation.
// name labels messages (a file name). On any problem it returns a nil
// Document and one *errs.Error of Kind Invalid and Code CodeMalformed whose
// message lists every problem as "name:line: code: message" and whose
// Fields hold one FieldError per problem (Field "line:N", Rule the finding
// code). Policy problems have their own codes (CodePolicyMissing,
// CodePolicyInvalid, CodePolicyOutOfRange). Drafting placeholders and a
// party/signatory mismatch are not parse errors: Lint reports them.
func Parse(name string, src []byte) (*Document, error) {
	doc, problems := parse(name, src)
	if len(problems) == 0 {
		return doc, nil
	}
	fields := make([]errs.FieldError, len(problems))
	msgs := make([]string, 0, len(problems))
	for i, f := range problems {
		fields[i] = errs.FieldError{Field: fmt.Sprintf("line:%d", f.Line), Rule: f.Code,
			Params: map[string]any{"line": f.Line, "zh": f.Msg.ZH, "en": f.Msg.EN}}
		if i < 10 {
			msgs = append(msgs, fmt.Sprintf("%s:%d: %s: %s", name, f.Line, f.Code, f.Msg.EN))
		}
	}
	if len(problems) > 10 {
		msgs = append(msgs, fmt.Sprintf("and %d more", len(problems)-10))
	}
	return nil, errs.E(errs.Invalid, errs.Op("agreement.Parse"), CodeMalformed, strings.Join(msgs, "; "), fields)
}

var (
	headingRe = regexp.MustCompile(`^#{1,6}(?:[ \t]+|$)`)
	markerRe  = regexp.MustCompile(`^(.*?)[ \t]*\{#([^\s{}]+)((?:[ \t]+\.[A-Za-z][A-Za-z0-9_-]*)*)[ \t]*\}$`)
	explainRe = regexp.MustCompile(`^>[ \t]*explain\.([A-Za-z]+)[ \t]*:(.*)$`)
)

// frontKeys are the front-matter keys; the bool says whether it is required.
var frontKeys = map[string]bool{
	"title": false, "entity.name": true, "entity.uscc": false, "entity.address": false, "signatory": true,
}

// parser holds the state of one parse.
type parser struct {
	doc      *Document
	problems []Finding
	cur      *Clause  // the open clause, nil outside clauses
	body     []string // lines of the open clause's body
	seen     map[ClauseID]int
}

func (p *parser) fail(line int, code string, zh, en string) {
	p.problems = append(p.problems, Finding{Code: code, Line: line, Msg: Text{zh, en}})
}

// parse is Parse without the error wrapping: it returns the Document (nil
// only when the bytes are not text) and every problem found.
func parse(name string, src []byte) (*Document, []Finding) {
	p := &parser{seen: map[ClauseID]int{}}
	if l := invalidUTF8Line(src); l > 0 {
		p.fail(l, CodeMalformed, "不是有效的 UTF-8 文本，或含有控制字符", "not valid UTF-8 text, or holds a control character")
		return nil, p.problems
	}
	canon := Canonicalize(src)
	p.doc = &Document{Name: name, canonical: canon, lines: splitLines(canon), SHA256: digest(canon),
		Stated: map[string]string{}, keyLines: map[string]int{}}
	lines := p.doc.lines
	i := p.frontMatter(lines)
	p.bodyLines(lines, i)
	p.closeClause()
	p.policy()
	p.anyClause()
	slices.SortStableFunc(p.problems, func(a, b Finding) int { return a.Line - b.Line })
	return p.doc, p.problems
}

// frontMatter reads the front matter and returns the index of the first
// line after it.
func (p *parser) frontMatter(lines []string) int {
	if len(lines) == 0 || lines[0] != "---" {
		p.fail(1, CodeMalformed, "缺少文首信息块（以 --- 开始和结束，含 entity.name 与 signatory）",
			"front matter missing (a block between --- lines holding entity.name and signatory)")
		return 0
	}
	got := map[string]int{}
	for i := 1; i < len(lines); i++ {
		l, n := strings.TrimSpace(lines[i]), i+1
		if l == "---" {
			for _, k := range slices.Sorted(maps.Keys(frontKeys)) {
				if _, ok := got[k]; frontKeys[k] && !ok {
					p.fail(n, CodeMalformed, "文首信息缺少 "+k, "front matter lacks "+k)
				}
			}
			return i + 1
		}
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch _, known := frontKeys[k]; {
		case !ok:
			p.fail(n, CodeMalformed, "文首信息应为“键: 值”", `front matter lines are "key: value"`)
		case !known:
			p.fail(n, CodeMalformed, "未知的文首信息键 "+k, "unknown front-matter key "+k)
		case got[k] > 0:
			p.fail(n, CodeMalformed, fmt.Sprintf("文首信息键 %s 重复（首次见第 %d 行）", k, got[k]),
				fmt.Sprintf("front-matter key %s repeated (first on line %d)", k, got[k]))
		case v == "":
			p.fail(n, CodeMalformed, "文首信息 "+k+" 的值为空", "front-matter key "+k+" is empty")
		default:
			got[k] = n
			p.setFront(k, v, n)
		}
	}
	p.fail(1, CodeMalformed, "文首信息块没有结束行 ---", "front matter is not closed by a --- line")
	return len(lines)
}

func (p *parser) setFront(k, v string, n int) {
	d := p.doc
	switch k {
	case "title":
		d.Title = v
	case "entity.name":
		d.Entity.Name, d.at.entity = v, n
	case "entity.uscc":
		d.Entity.USCC = v
		if !ValidUSCC(v) {
			p.fail(n, CodeMalformed, "统一社会信用代码格式或校验位错误（GB 32100）",
				"the unified social credit code is malformed or fails its check character (GB 32100)")
		}
	case "entity.address":
		d.Entity.Address = v
	case "signatory":
		d.Signatory, d.at.signatory = v, n
	}
}

// bodyLines reads clauses, fences and explanations from line index start.
func (p *parser) bodyLines(lines []string, start int) {
	fence, fenceLine, inPolicy := "", 0, false
	for i := start; i < len(lines); i++ {
		raw, n := lines[i], i+1
		l := strings.TrimSpace(raw)
		if fence != "" {
			if isFenceClose(l, fence) {
				fence, inPolicy = "", false
			} else if inPolicy {
				p.policyLine(l, n)
			}
			p.addBody(raw)
			continue
		}
		if f, info, ok := fenceOpen(l); ok {
			fence, fenceLine = f, n
			if info == "policy" {
				if p.doc.at.policy > 0 {
					p.fail(n, CodeMalformed, fmt.Sprintf("参数块重复（第一个在第 %d 行）", p.doc.at.policy),
						fmt.Sprintf("a second policy block (the first is on line %d)", p.doc.at.policy))
				} else {
					p.doc.at.policy, inPolicy = n, true
				}
			}
			p.addBody(raw)
			continue
		}
		if headingRe.MatchString(l) && !strings.HasPrefix(raw, "    ") {
			p.heading(l, n)
			continue
		}
		if m := explainRe.FindStringSubmatch(l); m != nil {
			p.explain(m[1], strings.TrimSpace(m[2]), n)
			continue
		}
		p.addBody(raw)
	}
	if fence != "" {
		p.fail(fenceLine, CodeMalformed, "代码块没有结束", "fenced block is not closed")
	}
}

// fenceOpen recognises an opening fence of three or more backticks or
// tildes and returns the fence and its info string.
func fenceOpen(l string) (fence, info string, ok bool) {
	for _, c := range []string{"`", "~"} {
		if strings.HasPrefix(l, c+c+c) {
			f := l[:len(l)-len(strings.TrimLeft(l, c))]
			return f, strings.TrimSpace(l[len(f):]), true
		}
	}
	return "", "", false
}

func isFenceClose(l, fence string) bool {
	return len(l) >= len(fence) && strings.Trim(l, fence[:1]) == ""
}

func (p *parser) addBody(raw string) {
	if p.cur != nil {
		p.body = append(p.body, raw)
	}
}

// heading closes the open clause and, when the heading has a marker, opens
// the next one.
func (p *parser) heading(l string, n int) {
	p.closeClause()
	level := len(l) - len(strings.TrimLeft(l, "#"))
	text := strings.TrimSpace(l[level:])
	if !strings.Contains(text, "{#") {
		if p.doc.Title == "" && text != "" {
			p.doc.Title = text
		}
		return
	}
	m := markerRe.FindStringSubmatch(text)
	if m == nil {
		p.fail(n, CodeMalformed, "条款标记格式错误，应为 {#编号} 或 {#编号 .key}，且位于标题末尾",
			"malformed clause marker: want {#id} or {#id .key} at the end of the heading")
		return
	}
	title, id, classes := strings.TrimSpace(m[1]), ClauseID(m[2]), strings.Fields(m[3])
	c := &Clause{ID: id, Level: level, Line: n, Title: title}
	switch {
	case !ValidID(id):
		p.fail(n, CodeMalformed, fmt.Sprintf("条款编号 %q 不合法：应由点号分隔的字母数字段组成，如 3.1.a", id),
			fmt.Sprintf("clause id %q is not valid: want dot-separated letters and digits such as 3.1.a", id))
	case p.seen[id] > 0:
		p.fail(n, CodeMalformed, fmt.Sprintf("条款编号 %s 重复（首次见第 %d 行）", id, p.seen[id]),
			fmt.Sprintf("clause id %s repeated (first on line %d)", id, p.seen[id]))
	case title == "":
		p.fail(n, CodeMalformed, "条款 "+string(id)+" 没有标题", "clause "+string(id)+" has no title")
	}
	for _, cl := range classes {
		if cl != ".key" {
			p.fail(n, CodeMalformed, "未知的条款类别 "+cl+"（只允许 .key）", "unknown clause class "+cl+" (only .key is allowed)")
			continue
		}
		c.Key = true
	}
	if p.seen[id] == 0 {
		p.seen[id] = n
	}
	p.cur, p.body = c, nil
}

func (p *parser) explain(lang, text string, n int) {
	c := p.cur
	if c == nil {
		p.fail(n, CodeMalformed, "说明行不在任何条款之内", "explanation outside any clause")
		return
	}
	var dst *string
	switch lang {
	case "zh":
		dst = &c.Explain.ZH
	case "en":
		dst = &c.Explain.EN
	default:
		p.fail(n, CodeMalformed, "说明语言只能是 zh 或 en", "explanation language must be zh or en")
		return
	}
	switch {
	case *dst != "":
		p.fail(n, CodeMalformed, "条款 "+string(c.ID)+" 的 explain."+lang+" 重复", "clause "+string(c.ID)+" repeats explain."+lang)
	case text == "":
		p.fail(n, CodeMalformed, "说明内容为空", "empty explanation")
	default:
		*dst = text
	}
}

func (p *parser) closeClause() {
	c := p.cur
	if c == nil {
		return
	}
	p.cur = nil
	lo, hi := 0, len(p.body)
	for lo < hi && strings.TrimSpace(p.body[lo]) == "" {
		lo++
	}
	for hi > lo && strings.TrimSpace(p.body[hi-1]) == "" {
		hi--
	}
	c.Body = strings.Join(p.body[lo:hi], "\n")
	if c.Key && (c.Explain.ZH == "" || c.Explain.EN == "") {
		p.fail(c.Line, CodeMalformed, "关键条款 "+string(c.ID)+" 须有中英文说明（explain.zh 与 explain.en）",
			"key clause "+string(c.ID)+" needs both explain.zh and explain.en")
	}
	p.doc.Clauses = append(p.doc.Clauses, *c)
}

// policyLine reads one line of the policy block.
func (p *parser) policyLine(l string, n int) {
	if l == "" || strings.HasPrefix(l, "#") {
		return
	}
	k, v, ok := strings.Cut(l, "=")
	k, v = strings.TrimSpace(k), strings.TrimSpace(v)
	switch {
	case !ok || k == "" || strings.ContainsAny(k, " \t"):
		p.fail(n, CodeMalformed, "参数行应为“键 = 值”", `policy lines are "key = value"`)
	case p.doc.keyLines[k] > 0:
		p.fail(n, CodeMalformed, fmt.Sprintf("参数 %s 重复（首次见第 %d 行）", k, p.doc.keyLines[k]),
			fmt.Sprintf("policy key %s repeated (first on line %d)", k, p.doc.keyLines[k]))
	default:
		p.doc.keyLines[k] = n
		p.doc.Stated[k] = v
	}
}

// policy validates the stated values with policy.Parse and maps its field
// errors onto lines.
func (p *parser) policy() {
	d := p.doc
	if d.at.policy == 0 {
		p.fail(1, CodeMalformed, "缺少参数块（```policy）", "policy block (```policy) missing")
		return
	}
	set, err := policy.Parse(d.Stated)
	if err == nil {
		d.Policy = set
		return
	}
	var e *errs.Error
	if !errors.As(err, &e) {
		p.fail(d.at.policy, CodePolicyInvalid, err.Error(), err.Error())
		return
	}
	for _, fe := range e.Fields {
		line, ok := d.keyLines[fe.Field]
		if !ok {
			line = d.at.policy
		}
		text, stated := d.Stated[fe.Field]
		f := policyFinding(fe, text, stated)
		f.Line = line
		p.problems = append(p.problems, f)
	}
}

// anyClause reports a document without clauses: it is not an agreement in
// this format (LintSource lints such a file as plain text instead).
func (p *parser) anyClause() {
	if len(p.doc.Clauses) == 0 {
		p.fail(1, CodeMalformed, "文件中没有带编号的条款（标题末尾的 {#编号}）",
			"no clause with an id (a heading ending in {#id})")
	}
}
