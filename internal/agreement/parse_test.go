package agreement_test

import (
	"fmt"
	"strings"
	"testing"

	"yuanxu/internal/agreement"
	"yuanxu/internal/errs"
	"yuanxu/internal/policy"
)

func TestParseReadsClausesEntityAndPolicy(t *testing.T) {
	t.Parallel()
	src := strings.Replace(small(map[string]string{"refund.window": "48h"}), "---\n",
		"---\ntitle: 示例协议 / Sample agreement\nentity.uscc: 91350100M000100Y43\nentity.address: 某省某市某路 1 号\n", 1)
	d, err := agreement.Parse("sample.md", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if d.Title != "示例协议 / Sample agreement" || d.Entity.Name != "示例科技有限公司" || d.Signatory != "示例科技有限公司" ||
		d.Entity.USCC != "91350100M000100Y43" || d.Entity.Address != "某省某市某路 1 号" || d.Name != "sample.md" {
		t.Errorf("front matter: %+v %+v", d.Title, d.Entity)
	}
	var ids []agreement.ClauseID
	for _, c := range d.Clauses {
		ids = append(ids, c.ID)
	}
	if fmt.Sprint(ids) != "[1 8 A]" {
		t.Fatalf("clauses %v", ids)
	}
	c, _ := d.Clause("8")
	if !c.Key || c.Level != 2 || c.Line != lineOf(t, src, "{#8 .key}") || c.Title != "法律适用 / Law" ||
		c.Body != "适用中国法律。" || c.Explain != (agreement.Text{ZH: "中国法律。", EN: "Chinese law."}) {
		t.Errorf("clause 8: %+v", c)
	}
	one, _ := d.Clause("1")
	if title, body := one.In("en"); title != "General" || body != "English text." {
		t.Errorf("In(en) = %q, %q", title, body)
	}
	if title, body := one.In("zh"); title != "总则" || body != "中文正文。" {
		t.Errorf("In(zh) = %q, %q", title, body)
	}
	if got := d.KeyClauses(); fmt.Sprint(got) != "[8]" {
		t.Errorf("KeyClauses = %v", got)
	}
	if d.Policy.Duration(policy.RefundWindow).Hours() != 48 || d.Stated["refund.window"] != "48h" {
		t.Errorf("policy window %v, stated %q", d.Policy.Duration(policy.RefundWindow), d.Stated["refund.window"])
	}
	if len(d.SHA256) != 64 {
		t.Errorf("SHA256 %q", d.SHA256)
	}
}

func TestParseSHA256IgnoresInvisibleDifferences(t *testing.T) {
	t.Parallel()
	base := small(nil)
	d0, err := agreement.Parse("a", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	variants := []struct {
		name string
		src  string
		same bool
	}{
		{"CRLF", strings.ReplaceAll(base, "\n", "\r\n"), true},
		{"BOM", "\uFEFF" + base, true},
		{"TrailingBlanks", strings.ReplaceAll(base, "中文正文。", "中文正文。  \t"), true},
		{"ExtraFinalNewlines", base + "\n\n\n", true},
		{"OneCharacterChanged", strings.Replace(base, "中文正文。", "中文正文！", 1), false},
	}
	for _, tt := range variants {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := agreement.Parse("b", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			if (d.SHA256 == d0.SHA256) != tt.same {
				t.Errorf("same digest = %v, want %v", d.SHA256 == d0.SHA256, tt.same)
			}
			if string(d.Canonical()) != string(agreement.Canonicalize([]byte(tt.src))) {
				t.Error("Canonical differs from Canonicalize")
			}
		})
	}
}

func TestParseRejectsMalformedDocumentsNamingTheLine(t *testing.T) {
	t.Parallel()
	good := small(nil)
	tests := []struct {
		name string
		src  string
		at   string // the line holding this text is the one named; "" means line 1
		code string
		want string // in the English message
	}{
		{"NoFrontMatter", strings.TrimPrefix(good, front), "", agreement.CodeMalformed, "front matter missing"},
		{"FrontMatterNotClosed", "---\nentity.name: 甲有限公司\n", "", agreement.CodeMalformed, "not closed"},
		{"UnknownFrontKey", strings.Replace(good, "signatory:", "colour: red\nsignatory:", 1), "colour:", agreement.CodeMalformed, "unknown front-matter key colour"},
		{"RepeatedFrontKey", strings.Replace(good, "signatory:", "entity.name: 乙有限公司\nsignatory:", 1), "乙有限公司", agreement.CodeMalformed, "repeated"},
		{"MissingSignatory", strings.Replace(good, "signatory: 示例科技有限公司\n", "", 1), "\n---\n\n# ", agreement.CodeMalformed, "lacks signatory"},
		{"BadUSCC", strings.Replace(good, "---\n", "---\nentity.uscc: 91350100M000100Y44\n", 1), "entity.uscc", agreement.CodeMalformed, "check character"},
		{"MalformedMarker", strings.Replace(good, "{#1}", "{#1", 1), "总则", agreement.CodeMalformed, "malformed clause marker"},
		{"BadClauseID", strings.Replace(good, "{#1}", "{#3..1}", 1), "总则", agreement.CodeMalformed, "not valid"},
		{"DuplicateClauseID", strings.Replace(good, "{#8 .key}", "{#1 .key}", 1), "法律适用", agreement.CodeMalformed, "repeated"},
		{"UnknownClass", strings.Replace(good, "{#1}", "{#1 .bold}", 1), "总则", agreement.CodeMalformed, "unknown clause class .bold"},
		{"KeyClauseWithoutExplanation", strings.Replace(good, "> explain.en: Chinese law.\n", "", 1), "{#8 .key}", agreement.CodeMalformed, "needs both explain.zh and explain.en"},
		{"ExplanationOutsideClause", strings.Replace(good, "# 示例 / Sample\n", "# 示例 / Sample\n\n> explain.zh: 无主。\n", 1), "无主", agreement.CodeMalformed, "outside any clause"},
		{"ExplanationLanguage", strings.Replace(good, "explain.en:", "explain.fr:", 1), "explain.fr", agreement.CodeMalformed, "zh or en"},
		{"NoClauses", front + "\n" + policyBlock(nil), "", agreement.CodeMalformed, "no clause"},
		{"NoPolicyBlock", strings.Replace(good, "```policy", "```text", 1), "", agreement.CodeMalformed, "policy block"},
		{"SecondPolicyBlock", good + "\n```policy\n```\n", "\n```policy\n```", agreement.CodeMalformed, "second policy block"},
		{"UnclosedFence", good + "\n```go\nx := 1\n", "```go", agreement.CodeMalformed, "not closed"},
		{"PolicyLineSyntax", strings.Replace(good, "refund.window = 24h", "refund.window 24h", 1), "refund.window 24h", agreement.CodeMalformed, `"key = value"`},
		{"RepeatedPolicyKey", strings.Replace(good, "refund.window = 24h", "refund.window = 24h\nrefund.window = 25h", 1), "25h", agreement.CodeMalformed, "repeated"},
		{"UnknownPolicyKey", strings.Replace(good, "refund.window = 24h", "refund.windw = 24h", 1), "windw", agreement.CodePolicyInvalid, "unknown policy key refund.windw"},
		{"NegativeWindow", small(map[string]string{"refund.window": "-24h"}), "-24h", agreement.CodePolicyOutOfRange, "below the minimum 1h"},
		{"NegativeThreshold", small(map[string]string{"refund.traffic_threshold_bytes": "-1"}), "= -1", agreement.CodePolicyOutOfRange, "below the minimum"},
		{"NoticeTooShort", small(map[string]string{"agreement.notice_days": "3"}), "notice_days = 3", agreement.CodePolicyOutOfRange, "below the minimum 7"},
		{"BadType", small(map[string]string{"ban.freeze_balance": "yes"}), "= yes", agreement.CodePolicyInvalid, "is not a bool"},
		{"BadEnum", small(map[string]string{"refund.destinations": "cash"}), "= cash", agreement.CodePolicyInvalid, "not one of"},
		{"VenuePlaceholder", small(map[string]string{"legal.venue": "[X]人民法院"}), "[X]人民法院", agreement.CodePolicyInvalid, "placeholder"},
		{"MissingAppealWindow", small(map[string]string{"appeal.window_working_days": ""}), "```policy", agreement.CodePolicyMissing, "appeal.window_working_days"},
		{"EmptyValue", strings.Replace(good, "refund.window = 24h", "refund.window =", 1), "refund.window =", agreement.CodePolicyInvalid, "empty value"},
		{"InvalidUTF8", strings.Replace(good, "中文正文。", "中文\xff正文。", 1), "中文", agreement.CodeMalformed, "UTF-8"},
		{"ControlCharacter", strings.Replace(good, "中文正文。", "中文\x07正文。", 1), "中文", agreement.CodeMalformed, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := agreement.Parse("bad.md", []byte(tt.src))
			if err == nil || d != nil {
				t.Fatalf("Parse accepted it: %v", d)
			}
			if errs.KindOf(err) != errs.Invalid || errs.CodeOf(err) != agreement.CodeMalformed {
				t.Errorf("kind %v code %q", errs.KindOf(err), errs.CodeOf(err))
			}
			line := 1
			switch {
			case strings.HasPrefix(tt.at, "\n"): // the line after this newline
				line = strings.Count(tt.src[:strings.Index(tt.src, tt.at)+1], "\n") + 1
			case tt.at != "":
				line = lineOf(t, tt.src, tt.at)
			}
			found := false
			for _, fe := range fieldsOf(t, err) {
				if fe.Field == fmt.Sprintf("line:%d", line) && fe.Rule == tt.code && strings.Contains(fe.Params["en"].(string), tt.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem %s on line %d mentioning %q in %v", tt.code, line, tt.want, err)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("bad.md:%d: ", line)) {
				t.Errorf("message does not name bad.md:%d: %v", line, err)
			}
		})
	}
}

func TestParseReportsEveryProblemAtOnce(t *testing.T) {
	t.Parallel()
	src := strings.Replace(small(map[string]string{"refund.window": "-1h", "kyc.min_age_years": "12"}), "{#1}", "{#1 .loud}", 1)
	_, err := agreement.Parse("x", []byte(src))
	if got := len(fieldsOf(t, err)); got != 3 {
		t.Errorf("%d problems, want 3: %v", got, err)
	}
}

func TestParseKeepsFencesAndHeadingsApart(t *testing.T) {
	t.Parallel()
	// A heading and an explanation inside a fence are text, not structure;
	// a heading without a marker ends the clause before it.
	src := strings.Replace(small(nil), "English text.\n", "English text.\n\n~~~md\n## 伪标题 {#9}\n> explain.zh: 代码。\n~~~\n\n## 附注 / Notes\n\n不属于任何条款。\n", 1)
	d, err := agreement.Parse("f", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.Clause("9"); ok {
		t.Error("a heading inside a fence became a clause")
	}
	one, _ := d.Clause("1")
	if !strings.Contains(one.Body, "## 伪标题 {#9}") || strings.Contains(one.Body, "不属于任何条款") || one.Explain.ZH != "" {
		t.Errorf("clause 1 body %q explain %+v", one.Body, one.Explain)
	}
}

func TestParseNamesTheLineOfBadBytesWhateverTheLineEndings(t *testing.T) {
	t.Parallel()
	for _, eol := range []string{"\n", "\r\n", "\r"} {
		src := strings.ReplaceAll(small(nil), "\n", eol)
		src = strings.Replace(src, "中文正文。", "中文\xff正文。", 1)
		_, err := agreement.Parse("x", []byte(src))
		want := fmt.Sprintf("line:%d", lineOf(t, small(nil), "中文正文。"))
		if fe := fieldsOf(t, err); len(fe) != 1 || fe[0].Field != want {
			t.Errorf("eol %q: %v, want %s", eol, fe, want)
		}
	}
}
