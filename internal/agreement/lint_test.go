package agreement_test

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"yuanxu/internal/agreement"
	"yuanxu/internal/errs"
)

// TestLintTextReportsExactlyTheSeedsTwoDefects: the seed's "[X]" appeal
// window and its 元素序列 / 元泰序列 party mismatch, and nothing else.
func TestLintTextReportsExactlyTheSeedsTwoDefects(t *testing.T) {
	t.Parallel()
	src := readSeed(t)
	fs := agreement.LintText(src)
	if len(fs) != 2 {
		t.Fatalf("want exactly 2 findings, got %d: %v", len(fs), fs)
	}
	x, party := fs[0], fs[1]
	if x.Code != agreement.CodePlaceholder || x.Line != lineOf(t, string(src), "[X]个工作日内提出申诉") || !strings.Contains(x.Msg.ZH, "[X]") {
		t.Errorf("first finding %+v, want the [X] of the appeal clause", x)
	}
	if party.Code != agreement.CodePartyMismatch || party.Line != lineOf(t, string(src), "江西省元泰序列信息技术有限公司") {
		t.Errorf("second finding %+v, want the mismatch on the signature line", party)
	}
	for _, name := range []string{"江西省元素序列信息技术有限公司", "江西省元泰序列信息技术有限公司"} {
		if !strings.Contains(party.Msg.ZH, name) || !strings.Contains(party.Msg.EN, name) {
			t.Errorf("mismatch message does not name %s: %+v", name, party.Msg)
		}
	}
	// LintSource sees that the seed has no clause ids and lints it as text.
	if got := agreement.LintSource("seed.txt", src, agreement.CitedIDs()); !slices.Equal(got, fs) {
		t.Errorf("LintSource = %v, want %v", got, fs)
	}
}

func TestLintReportsBothDefectsOfTheFixture(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("testdata/defective.md")
	if err != nil {
		t.Fatal(err)
	}
	d, err := agreement.Parse("defective.md", src)
	if err != nil {
		t.Fatal(err)
	}
	want := []agreement.Finding{
		{Code: agreement.CodePartyMismatch, Line: lineOf(t, string(src), "signatory:")},
		{Code: agreement.CodePlaceholder, Line: lineOf(t, string(src), "[X] 个工作日")},
	}
	got := agreement.Lint(d, nil)
	if len(got) != len(want) {
		t.Fatalf("findings %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Code != want[i].Code || got[i].Line != want[i].Line || got[i].Msg.ZH == "" || got[i].Msg.EN == "" {
			t.Errorf("finding %d = %+v, want %s on line %d", i, got[i], want[i].Code, want[i].Line)
		}
	}
}

func TestLintDefaultIsClean(t *testing.T) {
	t.Parallel()
	if fs := agreement.Lint(agreement.Default(), agreement.CitedIDs()); len(fs) != 0 {
		t.Errorf("the default agreement has findings: %v", fs)
	}
	if fs := agreement.LintSource(agreement.DefaultName, agreement.DefaultSource(), agreement.CitedIDs()); len(fs) != 0 {
		t.Errorf("LintSource on the default: %v", fs)
	}
}

func TestLintFindsPlaceholders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line string
		want bool
	}{
		{"申诉期限为 [X] 个工作日", true},
		{"申诉期限为【X】个工作日", true},
		{"申诉期限为［ｘ］个工作日", true},
		{"由 XX 市人民法院管辖", true},
		{"由XX市人民法院管辖", true},
		{"XXX", true},
		{"- [ ] 待办", true},
		{"联系电话（ ）", true},
		{"联系电话（）", true},
		{"金额 (...) 元", true},
		{"公司名称：{{ company }}", true},
		{"公司名称：{{", true},
		{"期限为____天", true},
		{"期限为＿＿天", true},
		{"〔 〕号文件", true},
		// Not placeholders.
		{"", false},
		{"___", false}, // a Markdown rule
		{"XXL 码与 XML、TeX、Linux、0xx1", false},
		{"见 [第 3.1 条](#3.1)（一）", false},
		{"（以下简称“公司”）", false},
		{"1 GiB = 2^30 bytes, see (a) and [b]", false},
		{"{#3.1 .key}", false},
		{"__bold__", false},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			t.Parallel()
			fs := agreement.LintText([]byte(tt.line))
			if got := len(fs) == 1 && fs[0].Code == agreement.CodePlaceholder && fs[0].Line == 1; got != tt.want {
				t.Errorf("placeholder = %v, want %v (%v)", got, tt.want, fs)
			}
		})
	}
}

func TestLintTextPartyCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"Same", "甲科技有限公司服务协议\n\n正文。\n\n甲科技有限公司\n2026年1月1日\n", nil},
		{"ParenthesesDiffer", "甲（江西）科技有限公司服务协议\n\n甲(江西)科技有限公司\n", nil},
		{"Differs", "甲科技有限公司服务协议\n\n正文。\n\n乙科技有限公司\n2026年1月1日\n", []string{"5: " + agreement.CodePartyMismatch}},
		{"LabelledSignature", "甲科技股份有限公司协议\n\n签署方：乙科技股份有限公司（盖章）\n", []string{"3: " + agreement.CodePartyMismatch}},
		{"NoSignature", "甲科技有限公司服务协议\n\n正文很长。\n", nil},
		{"NoCompanyAtAll", "服务协议\n\n正文。\n", nil},
		{"LongLastLineIsNotASignature", "甲科技有限公司服务协议\n\n" + strings.Repeat("很长的正文", 20) + "乙科技有限公司负责。\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, f := range agreement.LintText([]byte(tt.text)) {
				got = append(got, fmt.Sprintf("%d: %s", f.Line, f.Code))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("findings %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLintParsedDocuments(t *testing.T) {
	t.Parallel()
	base := small(nil)
	tests := []struct {
		name  string
		src   string
		cited []string
		want  []string // "line-of-text: code", line found by the text
	}{
		{"Clean", base, []string{"1", "8"}, nil},
		{"PartyMismatch", strings.Replace(base, "signatory: 示例科技有限公司", "signatory: 示范科技有限公司", 1), nil,
			[]string{"示范科技有限公司: " + agreement.CodePartyMismatch}},
		{"PartyWithOtherParentheses", strings.Replace(strings.Replace(base, "entity.name: 示例科技有限公司", "entity.name: 示例（江西）科技有限公司", 1),
			"signatory: 示例科技有限公司", "signatory: 示例 (江西) 科技有限公司", 1), nil, nil},
		{"CitedClauseMissing", base, []string{"1", "3.1.a", "8", "8.2"},
			[]string{"---: " + agreement.CodeClauseMissing, "{#8 .key}: " + agreement.CodeClauseMissing}},
		{"RequiredKeyNotStated", small(map[string]string{"refund.window": ""}), nil, []string{"```policy: " + agreement.CodePolicyMissing}},
		{"OptionalKeyMayBeLeftOut", small(map[string]string{"ticket.auto_close_days": "", "order.unpaid_expiry": "", "refund.dual_control_fen": ""}), nil, nil},
		{"KeyClauseUnmarked", strings.Replace(strings.Replace(base, "{#8 .key}", "{#8}", 1), "> explain.en: Chinese law.\n", "", 1), nil,
			[]string{"{#8}: " + agreement.CodeKeyClauseUnmarked}},
		{"PlaceholderInFrontMatter", strings.Replace(base, "---\n", "---\nentity.address: 【X】市\n", 1), nil,
			[]string{"【X】: " + agreement.CodePlaceholder}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := agreement.Parse("t.md", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			var got, want []string
			for _, f := range agreement.Lint(d, tt.cited) {
				got = append(got, fmt.Sprintf("%d: %s", f.Line, f.Code))
			}
			for _, w := range tt.want {
				text, code, _ := strings.Cut(w, ": ")
				want = append(want, fmt.Sprintf("%d: %s", lineOf(t, tt.src, text), code))
			}
			if !slices.Equal(got, want) {
				t.Errorf("findings %v, want %v", got, want)
			}
		})
	}
}

func TestLintSourceTurnsParseProblemsIntoFindings(t *testing.T) {
	t.Parallel()
	src := strings.Replace(small(map[string]string{"refund.window": "-1h"}), "中文正文。", "中文正文 [X]。", 1)
	fs := agreement.LintSource("t.md", []byte(src), nil)
	want := []string{
		fmt.Sprintf("%d: %s", lineOf(t, src, "[X]"), agreement.CodePlaceholder),
		fmt.Sprintf("%d: %s", lineOf(t, src, "refund.window = -1h"), agreement.CodePolicyOutOfRange),
	}
	var got []string
	for _, f := range fs {
		got = append(got, fmt.Sprintf("%d: %s", f.Line, f.Code))
	}
	if !slices.Equal(got, want) {
		t.Errorf("findings %v, want %v", got, want)
	}
	// The missing appeal window is reported once, not by both the parser and
	// the linter.
	fs = agreement.LintSource("t.md", []byte(small(map[string]string{"appeal.window_working_days": ""})), nil)
	if len(fs) != 1 || fs[0].Code != agreement.CodePolicyMissing {
		t.Errorf("findings %v, want one policy_missing", fs)
	}
}

func TestLintErrorListsFindings(t *testing.T) {
	t.Parallel()
	if agreement.LintError("op", nil) != nil {
		t.Error("no findings must be no error")
	}
	err := agreement.LintError("op", []agreement.Finding{{Code: agreement.CodePlaceholder, Line: 3, Msg: agreement.Text{ZH: "占位", EN: "placeholder"}}})
	if errs.CodeOf(err) != "agreement.lint_failed" || errs.KindOf(err) != errs.Invalid {
		t.Fatalf("error %v", err)
	}
	if fe := fieldsOf(t, err); len(fe) != 1 || fe[0].Field != "line:3" || fe[0].Rule != agreement.CodePlaceholder {
		t.Errorf("fields %+v", fe)
	}
}

func TestHasMarkup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		src  string
		want bool
	}{
		{"---\nentity.name: x\n---\n", true},
		{"# 标题\n\n## 总则 {#1}\n", true},
		{"# 标题\n\n正文提到 {#1} 但不是标题。\n", false},
		{"一、协议概述\n\n正文。\n", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := agreement.HasMarkup([]byte(tt.src)); got != tt.want {
			t.Errorf("HasMarkup(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
}
