package agreement_test

import (
	"os"
	"testing"

	"yuanxu/internal/agreement"
)

// FuzzParse: Parse, Lint, LintText, LintSource and Diff never panic; a
// document that parses has a non-empty, well-formed id for every clause, and
// parsing its canonical bytes again gives the same digest and clauses.
// Minimising an interesting 45 KB input takes long at the default
// -fuzzminimizetime (the progress line shows 0/sec meanwhile); pass
// -fuzzminimizetime=2s for a quicker run.
func FuzzParse(f *testing.F) {
	f.Add(agreement.DefaultSource())
	f.Add([]byte(small(nil)))
	if b, err := os.ReadFile("testdata/defective.md"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{
		"", "---", "---\n---\n", "# {#}", "## x {#1 .key}\n> explain.zh:\n", "```policy\n=\n", "```policy\nlegal.venue = [X]\n```",
		"## a {#1}\n## b {#1}\n", "\xff\xfe", "\r\n\r\n---\r\n", "## {#1 .key .key}", "~~~~\n```\n~~~~", "{{", "（ ）[ ]【X】XX____",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := agreement.Parse("fuzz.md", src)
		agreement.LintText(src)
		agreement.LintSource("fuzz.md", src, agreement.CitedIDs())
		if err != nil {
			if d != nil {
				t.Fatal("a document and an error")
			}
			return
		}
		agreement.Lint(d, agreement.CitedIDs())
		agreement.Diff(agreement.Default(), d)
		for _, c := range d.Clauses {
			if !agreement.ValidID(c.ID) {
				t.Fatalf("clause id %q accepted", c.ID)
			}
			c.In("en")
		}
		again, err := agreement.Parse("again.md", d.Canonical())
		if err != nil {
			t.Fatalf("canonical bytes do not parse: %v", err)
		}
		if again.SHA256 != d.SHA256 || len(again.Clauses) != len(d.Clauses) {
			t.Fatalf("canonical re-parse differs")
		}
	})
}
