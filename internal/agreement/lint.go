package agreement

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"yuanxu/internal/errs"
	"yuanxu/internal/policy"
)

// Finding codes. They are stable: the console, the CLI and tests key on
// them.
const (
	CodePlaceholder       = "agreement.placeholder"         // a drafting placeholder is left in the text
	CodePartyMismatch     = "agreement.party_mismatch"      // the signatory is not the party the agreement names
	CodePolicyMissing     = "agreement.policy_missing"      // a required policy parameter is not stated
	CodePolicyInvalid     = "agreement.policy_invalid"      // unknown key, bad type, bad enum value, placeholder
	CodePolicyOutOfRange  = "agreement.policy_out_of_range" // a value below or above its range
	CodeClauseMissing     = "agreement.clause_missing"      // a clause the code cites is not in the document
	CodeKeyClauseUnmarked = "agreement.key_clause_unmarked" // a clause that must be a key clause is not marked .key
)

// Finding is one problem the linter found.
type Finding struct {
	Code string
	Line int // 1-based line of the source
	Msg  Text
}

// String renders the finding as "line: code: English message".
func (f Finding) String() string { return fmt.Sprintf("%d: %s: %s", f.Line, f.Code, f.Msg.EN) }

// Lint checks a parsed document for what stops a version from being
// scheduled: drafting placeholders, a signatory that differs from the
// party (entity.name), required policy parameters left unstated, ids in
// cited missing from the document (pass CitedIDs() for the code's own), and
// clauses of RequiredKeyClauses present but not marked ".key". It returns
// the findings sorted by line; none means the document is clean. A nil
// document yields one CodeMalformed finding.
func Lint(doc *Document, cited []string) []Finding {
	if doc == nil {
		return []Finding{{Code: CodeMalformed, Line: 1, Msg: Text{"没有可检查的协议", "no agreement to lint"}}}
	}
	fs := placeholderFindings(doc.lines)
	if doc.Entity.Name != "" && doc.Signatory != "" && !sameParty(doc.Entity.Name, doc.Signatory) {
		fs = append(fs, mismatch(doc.Signatory, doc.at.signatory, doc.Entity.Name, doc.at.entity))
	}
	if doc.at.policy > 0 {
		for _, k := range policy.Registry() {
			if _, ok := doc.Stated[k.Name]; k.Required && !ok {
				fs = append(fs, missingKey(k.Name, doc.at.policy))
			}
		}
	}
	for _, id := range cited {
		if _, ok := doc.Clause(ClauseID(id)); ok {
			continue
		}
		line := 1
		if parent, ok := doc.Clause(parentID(ClauseID(id))); ok {
			line = parent.Line
		}
		fs = append(fs, Finding{Code: CodeClauseMissing, Line: line, Msg: Text{
			fmt.Sprintf("代码引用的条款 %s 不在本协议中", id),
			fmt.Sprintf("clause %s, cited by the code, is not in the agreement", id)}})
	}
	for _, id := range RequiredKeyClauses {
		if c, ok := doc.Clause(id); ok && !c.Key {
			fs = append(fs, Finding{Code: CodeKeyClauseUnmarked, Line: c.Line, Msg: Text{
				fmt.Sprintf("条款 %s 须标为关键条款（.key），单独提示并逐条确认", id),
				fmt.Sprintf("clause %s must be a key clause (.key), prompted and acknowledged on its own", id)}})
		}
	}
	return sortFindings(fs)
}

// LintText checks a plain-text agreement that has no clause ids: drafting
// placeholders, and a signatory that differs from the party. The party is
// the first company name (…有限公司 and the like) in the text; the
// signatory is the company named on the last short line that names one,
// among the last eight non-blank lines (the signature block). Either
// missing means no party check. Findings are sorted by line.
func LintText(src []byte) []Finding {
	lines := splitLines(Canonicalize(src))
	fs := placeholderFindings(lines)
	party, partyLine := "", 0
	for i, l := range lines {
		if m := companyRe.FindString(l); m != "" {
			party, partyLine = m, i+1
			break
		}
	}
	signer, signerLine := "", 0
	for i, seen := len(lines)-1, 0; i >= 0 && seen < 8; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		seen++
		if ms := companyRe.FindAllString(l, -1); len(ms) > 0 && utf8.RuneCountInString(l) <= 60 {
			signer, signerLine = ms[len(ms)-1], i+1
			break
		}
	}
	if party != "" && signer != "" && signerLine != partyLine && !sameParty(party, signer) {
		fs = append(fs, mismatch(signer, signerLine, party, partyLine))
	}
	return sortFindings(fs)
}

// LintSource lints any agreement file: a document with clause ids or front
// matter (see HasMarkup) is parsed, its parse problems become findings and
// Lint(doc, cited) adds the rest; anything else is linted as plain text
// with LintText. Findings are sorted by line, without repeats.
func LintSource(name string, src []byte, cited []string) []Finding {
	if !HasMarkup(src) {
		return LintText(src)
	}
	doc, fs := parse(name, src)
	if doc == nil {
		return fs
	}
	if doc.at.signatory == 0 {
		doc.Signatory = "" // no mismatch to report when the signatory is missing
	}
	fs = append(fs, Lint(doc, cited)...)
	return slices.Compact(sortFindings(fs))
}

// HasMarkup reports whether src is an agreement in this package's format:
// it opens with front matter ("---") or has a heading with a clause marker.
func HasMarkup(src []byte) bool {
	lines := splitLines(Canonicalize(src))
	if len(lines) > 0 && lines[0] == "---" {
		return true
	}
	for _, l := range lines {
		if l = strings.TrimSpace(l); headingRe.MatchString(l) && strings.Contains(l, "{#") {
			return true
		}
	}
	return false
}

// LintError turns findings into the error that refuses a version: nil when
// there are none, else an *errs.Error of Kind Invalid and Code
// "agreement.lint_failed" with one FieldError per finding.
func LintError(op string, fs []Finding) error {
	if len(fs) == 0 {
		return nil
	}
	fields := make([]errs.FieldError, len(fs))
	msgs := make([]string, len(fs))
	for i, f := range fs {
		fields[i] = errs.FieldError{Field: fmt.Sprintf("line:%d", f.Line), Rule: f.Code,
			Params: map[string]any{"line": f.Line, "zh": f.Msg.ZH, "en": f.Msg.EN}}
		msgs[i] = f.String()
	}
	return errs.E(errs.Invalid, errs.Op(op), "agreement.lint_failed",
		fmt.Sprintf("%d lint finding(s): %s", len(fs), strings.Join(msgs, "; ")), fields)
}

func sortFindings(fs []Finding) []Finding {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		if c := strings.Compare(a.Code, b.Code); c != 0 {
			return c
		}
		return strings.Compare(a.Msg.EN, b.Msg.EN)
	})
	return fs
}

func mismatch(signer string, signerLine int, party string, partyLine int) Finding {
	return Finding{Code: CodePartyMismatch, Line: signerLine, Msg: Text{
		fmt.Sprintf("签署方“%s”与协议当事方“%s”（第 %d 行）不一致", signer, party, partyLine),
		fmt.Sprintf("signatory %q differs from the party %q (line %d)", signer, party, partyLine)}}
}

func missingKey(name string, line int) Finding {
	return Finding{Code: CodePolicyMissing, Line: line, Msg: Text{
		"参数块缺少必备参数 " + name, "the policy block does not state required parameter " + name}}
}

// policyFinding describes one FieldError of policy.Parse; text is the value
// as stated, stated whether the key is in the block at all.
func policyFinding(fe errs.FieldError, text string, stated bool) Finding {
	k := fe.Field
	f := Finding{Code: CodePolicyInvalid}
	switch fe.Rule {
	case "unknown_key":
		f.Msg = Text{"未知参数 " + k, "unknown policy key " + k}
	case "required":
		if !stated {
			return missingKey(k, 0)
		}
		f.Msg = Text{"参数 " + k + " 的值为空", "policy key " + k + " has an empty value"}
	case "type":
		f.Msg = Text{fmt.Sprintf("参数 %s 的值 %q 类型错误，应为 %v", k, text, fe.Params["type"]),
			fmt.Sprintf("policy key %s: %q is not a %v", k, text, fe.Params["type"])}
	case "min":
		f.Code = CodePolicyOutOfRange
		f.Msg = Text{fmt.Sprintf("参数 %s 的值 %s 低于下限 %v", k, text, fe.Params["min"]),
			fmt.Sprintf("policy key %s: %s is below the minimum %v", k, text, fe.Params["min"])}
	case "max":
		f.Code = CodePolicyOutOfRange
		f.Msg = Text{fmt.Sprintf("参数 %s 的值 %s 高于上限 %v", k, text, fe.Params["max"]),
			fmt.Sprintf("policy key %s: %s is above the maximum %v", k, text, fe.Params["max"])}
	case "enum":
		f.Msg = Text{fmt.Sprintf("参数 %s 的值 %q 不在允许范围内：%v", k, text, fe.Params["allowed"]),
			fmt.Sprintf("policy key %s: %q is not one of %v", k, text, fe.Params["allowed"])}
	case "placeholder":
		f.Msg = Text{"参数 " + k + " 的值含有占位符", "policy key " + k + " holds a placeholder"}
	default:
		f.Msg = Text{fmt.Sprintf("参数 %s 违反规则 %s", k, fe.Rule), fmt.Sprintf("policy key %s breaks rule %s", k, fe.Rule)}
	}
	return f
}

func parentID(id ClauseID) ClauseID {
	if i := strings.LastIndexByte(string(id), '.'); i > 0 {
		return id[:i]
	}
	return ""
}

// companyRe matches a Chinese company name: up to 60 name characters ending
// in a company form. The shortest name wins, so a title such as
// "某某有限公司消费者保障协议" yields the company alone.
var companyRe = regexp.MustCompile(`[\p{Han}A-Za-z0-9（）()·]{2,60}?(?:股份有限公司|有限责任公司|有限公司)`)

// Placeholder patterns: a bracket of any kind holding nothing but blanks,
// X's, underscores, dots, asterisks or question marks ("[X]", "【X】",
// "[ ]", "（ ）", "(…)"); a template marker "{{…}}"; "XX" (two or more X's)
// not part of a Latin word or number; three or more underscores inside a
// line (a fill-in blank; a line of underscores alone is a Markdown rule).
var (
	blankish      = `[\s\x{3000}_＿XxＸｘ…\.\*\?？]*`
	placeholderRe = regexp.MustCompile(`\[` + blankish + `\]|［` + blankish + `］|【` + blankish + `】|\(` + blankish + `\)|（` +
		blankish + `）|〔` + blankish + `〕|\{\{[^}]*\}?\}?`)
	xxRe        = regexp.MustCompile(`(?:^|[^A-Za-z0-9])([XxＸｘ]{2,})(?:$|[^A-Za-z0-9])`)
	blankLineRe = regexp.MustCompile(`_{3,}|＿{2,}`)
)

// placeholders returns the placeholders on one line, in order.
func placeholders(l string) []string {
	var out []string
	out = append(out, placeholderRe.FindAllString(l, -1)...)
	for _, m := range xxRe.FindAllStringSubmatch(l, -1) {
		out = append(out, m[1])
	}
	if t := strings.TrimSpace(l); strings.Trim(t, "_ ") != "" {
		out = append(out, blankLineRe.FindAllString(l, -1)...)
	}
	return out
}

func placeholderFindings(lines []string) []Finding {
	var fs []Finding
	for i, l := range lines {
		ps := placeholders(l)
		if len(ps) == 0 {
			continue
		}
		q := strings.Join(ps, "、")
		fs = append(fs, Finding{Code: CodePlaceholder, Line: i + 1, Msg: Text{
			"留有未填写的占位符：" + q, "drafting placeholder left in the text: " + strings.Join(ps, ", ")}})
	}
	return fs
}
