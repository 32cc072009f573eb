package agreement_test

import (
	"fmt"
	"strings"
	"testing"

	"yuanxu/internal/agreement"
)

func render(ls []agreement.DiffLine) string {
	var b strings.Builder
	for _, l := range ls {
		fmt.Fprintf(&b, "%c%s|%d,%d\n", l.Op, l.Text, l.Old, l.New)
	}
	return b.String()
}

func TestLineDiff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string // lines separated by spaces, "" for none
		want string
	}{
		{"Equal", "a b", "a b", " a|1,1\n b|2,2\n"},
		{"BothEmpty", "", "", ""},
		{"AllAdded", "", "a b", "+a|0,1\n+b|0,2\n"},
		{"AllRemoved", "a b", "", "-a|1,0\n-b|2,0\n"},
		{"ChangedMiddle", "a b c", "a x c", " a|1,1\n-b|2,0\n+x|0,2\n c|3,3\n"},
		{"Inserted", "a c", "a b c", " a|1,1\n+b|0,2\n c|2,3\n"},
		{"Moved", "a b c d", "b c d a", "-a|1,0\n b|2,1\n c|3,2\n d|4,3\n+a|0,4\n"},
		{"Interleaved", "a b c d e", "a c e f", " a|1,1\n-b|2,0\n c|3,2\n-d|4,0\n e|5,3\n+f|0,4\n"},
	}
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, " ")
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := render(agreement.LineDiff(split(tt.a), split(tt.b))); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestLineDiffIsMinimalAndRebuildsBothTexts(t *testing.T) {
	t.Parallel()
	a := strings.Split("the quick brown fox jumps over the lazy dog and the cat", " ")
	b := strings.Split("a quick red fox leaps over the lazy cat and the dog", " ")
	ls := agreement.LineDiff(a, b)
	var old, cur []string
	kept := 0
	for _, l := range ls {
		if l.Op != '+' {
			old = append(old, l.Text)
		}
		if l.Op != '-' {
			cur = append(cur, l.Text)
		}
		if l.Op == ' ' {
			kept++
		}
	}
	if strings.Join(old, " ") != strings.Join(a, " ") || strings.Join(cur, " ") != strings.Join(b, " ") {
		t.Errorf("the diff does not rebuild the texts")
	}
	if kept != 7 { // quick fox over the lazy and the
		t.Errorf("kept %d lines, want the LCS length 7", kept)
	}
}

func TestUnifiedHunks(t *testing.T) {
	t.Parallel()
	var a, b []string
	for i := 1; i <= 20; i++ {
		a = append(a, fmt.Sprint(i))
		b = append(b, fmt.Sprint(i))
	}
	b[1] = "two"                                              // line 2 changed
	b = append(b[:15], append([]string{"new"}, b[15:]...)...) // inserted after line 15
	got := agreement.Unified(agreement.LineDiff(a, b), 2)
	want := "@@ -1,4 +1,4 @@\n 1\n-2\n+two\n 3\n 4\n" +
		"@@ -14,4 +14,5 @@\n 14\n 15\n+new\n 16\n 17\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if agreement.Unified(agreement.LineDiff(a, a), 3) != "" {
		t.Error("no change must render nothing")
	}
	if got := agreement.Unified(agreement.LineDiff(nil, []string{"x"}), 3); got != "@@ -0,0 +1,1 @@\n+x\n" {
		t.Errorf("insertion into nothing: %q", got)
	}
}

func TestDiffComparesClauses(t *testing.T) {
	t.Parallel()
	src := string(agreement.DefaultSource())
	changed := strings.Replace(src, "退款期限为 24 小时", "退款期限为 48 小时", 1)
	changed = strings.Replace(changed, "### 条款的独立性 / Severability {#9.2}", "### 条款的独立性 / Severability of clauses {#9.2}", 1)
	changed = strings.Replace(changed, "### 权利义务的转让 / Assignment {#9.3}", "### 新条款 / A new clause {#9.2.a}\n\n新内容。\n\n<!-- en -->\n\nNew text.\n\n### 权利义务的转让 / Assignment {#9.3}", 1)
	changed = strings.Replace(changed, "## 使用规范 / Acceptable use {#4}", "## 使用规范 / Acceptable use {#4x}", 1)
	b, err := agreement.Parse("b", []byte(changed))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range agreement.Diff(agreement.Default(), b) {
		got = append(got, fmt.Sprintf("%s %s title=%v body=%v", d.ID, d.Change, d.TitleChanged, d.BodyChanged))
	}
	want := []string{
		"3.1 changed title=false body=true",
		"4 removed title=false body=false",
		"9.2 changed title=true body=false",
		"9.2.a added title=false body=false",
		"4x added title=false body=false", // numbers sort before other segments
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	d := agreement.Diff(agreement.Default(), b)[0]
	u := agreement.Unified(d.Lines, 0)
	if !strings.Contains(u, "\n-云服务器、VPN、CDN") || !strings.Contains(u, "48 小时") || strings.Count(u, "@@ ") != 1 {
		t.Errorf("unified diff of 3.1:\n%s", u)
	}
	if len(agreement.Diff(agreement.Default(), agreement.Default())) != 0 {
		t.Error("a document differs from itself")
	}
	if ds := agreement.Diff(nil, agreement.Default()); len(ds) != len(agreement.Default().Clauses) || ds[0].Change != agreement.ChangeAdded {
		t.Error("everything is added to nothing")
	}
}
