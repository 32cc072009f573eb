package main

import (
	"fmt"
	"os"

	"yuanxu/internal/agreement"
)

// agreementCmd holds the agreement tools.
type agreementCmd struct {
	Lint agreementLintCmd `cmd:"" help:"Lint an agreement file: placeholders, party/signatory mismatch, policy parameters, cited and key clauses. Exit 0 when clean, 1 with findings, 2 when the file cannot be read."`
}

// agreementLintCmd lints one agreement: Markdown in the format of package
// agreement, or a plain-text agreement without clause ids (placeholders and
// the party/signatory check only). Findings go to stdout, one a line, as
// FILE:LINE: code: message.
type agreementLintCmd struct {
	File    string `arg:"" optional:"" placeholder:"FILE" help:"The agreement: Markdown with clause ids, or plain text."`
	Default bool   `name:"default" help:"Lint the embedded default agreement instead of a file."`
	Lang    string `name:"lang" enum:"en,zh" default:"en" help:"Language of the messages (en, zh)."`
}

func (c *agreementLintCmd) Run(e *env) error {
	var name string
	var src []byte
	switch {
	case c.Default && c.File != "":
		return usage("agreement lint: give FILE or --default, not both")
	case c.Default:
		name, src = agreement.DefaultName, agreement.DefaultSource()
	case c.File == "":
		return usage("agreement lint: FILE or --default required")
	default:
		b, err := os.ReadFile(c.File)
		if err != nil {
			return usage("agreement lint: cannot read %s: %v", c.File, err)
		}
		name, src = c.File, b
	}
	fs := agreement.LintSource(name, src, agreement.CitedIDs())
	for _, f := range fs {
		fmt.Fprintf(e.stdout, "%s:%d: %s: %s\n", name, f.Line, f.Code, f.Msg.In(c.Lang))
	}
	if len(fs) > 0 {
		return fmt.Errorf("agreement lint: %s: %d finding(s)", name, len(fs))
	}
	return nil
}
