package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"yuanxu/internal/agreement"
)

// seedFile is the seed agreement beside the module (../shared in CI).
var seedFile = filepath.Join("..", "..", "..", "shared", "seed", "000_d7e43dfbbad96d93.txt")

func TestAgreementLint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	defaultFile := filepath.Join(dir, "default.md")
	if err := os.WriteFile(defaultFile, agreement.DefaultSource(), 0o600); err != nil {
		t.Fatal(err)
	}
	outOfRange := filepath.Join(dir, "range.md")
	src := strings.Replace(string(agreement.DefaultSource()), "refund.window = 24h", "refund.window = -24h", 1)
	if err := os.WriteFile(outOfRange, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	windowLine := 1 + strings.Count(src[:strings.Index(src, "refund.window = -24h")], "\n")
	fixture := filepath.Join("..", "..", "internal", "agreement", "testdata", "defective.md")

	tests := []struct {
		name  string
		args  []string
		seed  bool // needs the seed
		exit  int
		lines []string // stdout, exactly (but for clause_missing lines when fragment)
		// fragment: the file is a fragment of an agreement, so every clause
		// the code cites and it lacks is reported too.
		fragment bool
	}{
		{"EmbeddedDefaultIsClean", []string{"agreement", "lint", "--default"}, false, 0, nil, false},
		{"DefaultFromAFileIsClean", []string{"agreement", "lint", defaultFile}, false, 0, nil, false},
		{"FixtureHasBothDefects", []string{"agreement", "lint", fixture}, false, 1, []string{
			fixture + ":4: agreement.party_mismatch: signatory \"江西省元泰序列信息技术有限公司\" differs from the party \"江西省元素序列信息技术有限公司\" (line 3)",
			fixture + ":25: agreement.placeholder: drafting placeholder left in the text: [X]",
		}, true},
		{"FixtureInChinese", []string{"agreement", "lint", "--lang", "zh", fixture}, false, 1, []string{
			fixture + ":4: agreement.party_mismatch: 签署方“江西省元泰序列信息技术有限公司”与协议当事方“江西省元素序列信息技术有限公司”（第 3 行）不一致",
			fixture + ":25: agreement.placeholder: 留有未填写的占位符：[X]",
		}, true},
		{"SeedAsPlainText", []string{"agreement", "lint", seedFile}, true, 1, []string{
			seedFile + ":78: agreement.placeholder: drafting placeholder left in the text: [X]",
			seedFile + ":101: agreement.party_mismatch: signatory \"江西省元泰序列信息技术有限公司\" differs from the party \"江西省元素序列信息技术有限公司\" (line 3)",
		}, false},
		{"OutOfRangeParameter", []string{"agreement", "lint", outOfRange}, false, 1, []string{
			fmt.Sprintf("%s:%d: agreement.policy_out_of_range: policy key refund.window: -24h is below the minimum 1h", outOfRange, windowLine),
		}, false},
		{"MissingFile", []string{"agreement", "lint", filepath.Join(dir, "missing.md")}, false, 2, nil, false},
		{"Directory", []string{"agreement", "lint", dir}, false, 2, nil, false},
		{"NoFile", []string{"agreement", "lint"}, false, 2, nil, false},
		{"FileAndDefault", []string{"agreement", "lint", "--default", defaultFile}, false, 2, nil, false},
		{"BadLanguage", []string{"agreement", "lint", "--lang", "fr", defaultFile}, false, 2, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if tt.seed {
				if _, err := os.Stat(seedFile); err != nil {
					if os.Getenv("CI") != "" {
						t.Fatalf("seed agreement must be present in CI: %v", err)
					}
					t.Skipf("seed agreement not present: %v", err)
				}
			}
			stdout, _, err := runArgs(t, context.Background(), nil, tt.args...)
			exit := 0
			if err != nil {
				exit = exitCode(err)
			}
			if exit != tt.exit {
				t.Fatalf("exit %d, want %d (err: %v; stdout %q)", exit, tt.exit, err, stdout)
			}
			var got []string
			if s := strings.TrimSuffix(stdout, "\n"); s != "" {
				got = strings.Split(s, "\n")
			}
			total := len(got)
			if tt.fragment {
				got = slices.DeleteFunc(got, func(l string) bool { return strings.Contains(l, ": agreement.clause_missing: ") })
			}
			if strings.Join(got, "\n") != strings.Join(tt.lines, "\n") {
				t.Errorf("stdout\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.lines, "\n"))
			}
			if exit == 1 && !strings.Contains(err.Error(), fmt.Sprintf("%d finding(s)", total)) {
				t.Errorf("error %q does not count the findings", err)
			}
		})
	}
}
