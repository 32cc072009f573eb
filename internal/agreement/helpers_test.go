package agreement_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"yuanxu/internal/agreement"
	"yuanxu/internal/errs"
	"yuanxu/internal/policy"
)

// seedPath is the seed agreement, beside the module (/work/shared next to
// /work/main in CI).
var seedPath = filepath.Join("..", "..", "..", "shared", "seed", "000_d7e43dfbbad96d93.txt")

// readSeed returns the seed agreement, skipping the test when it is absent
// locally and failing it when CI is set.
func readSeed(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(seedPath)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("seed agreement must be present in CI: %v", err)
		}
		t.Skipf("seed agreement not present: %v", err)
	}
	return b
}

const front = "---\nentity.name: 示例科技有限公司\nsignatory: 示例科技有限公司\n---\n"

// policyBlock returns a complete policy block holding every key with the
// project's values, changed by over; an empty value in over drops the key.
func policyBlock(over map[string]string) string {
	vals := policy.ProjectDefaults().Values()
	for k, v := range over {
		if v == "" {
			delete(vals, k)
		} else {
			vals[k] = v
		}
	}
	var b strings.Builder
	b.WriteString("```policy\n")
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.WriteString(k + " = " + vals[k] + "\n")
	}
	b.WriteString("```\n")
	return b.String()
}

// small is a valid document of two clauses plus the annex.
func small(over map[string]string) string {
	return front + "\n# 示例 / Sample\n\n## 总则 / General {#1}\n\n中文正文。\n\n<!-- en -->\n\nEnglish text.\n\n" +
		"## 法律适用 / Law {#8 .key}\n\n适用中国法律。\n\n> explain.zh: 中国法律。\n> explain.en: Chinese law.\n\n" +
		"## 参数 / Parameters {#A}\n\n" + policyBlock(over)
}

// lineOf returns the 1-based line of the first line of src containing s.
func lineOf(t *testing.T, src, s string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	t.Fatalf("%q not in source", s)
	return 0
}

// fieldsOf returns the FieldErrors of an *errs.Error.
func fieldsOf(t *testing.T, err error) []errs.FieldError {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not an *errs.Error", err)
	}
	return e.Fields
}

func codes(fs []agreement.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Code
	}
	return out
}
