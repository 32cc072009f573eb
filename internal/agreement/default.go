package agreement

import (
	_ "embed"
	"slices"
)

// defaultSource is the project's own agreement (DESIGN.md §4 resolutions,
// in the project's own words), used until an operator publishes theirs.
//
//go:embed default_agreement.md
var defaultSource []byte

// DefaultName is the name the default agreement is parsed under.
const DefaultName = "default_agreement.md"

// defaultDoc is parsed when the package loads, so that a broken default
// fails every test and every start at once.
var defaultDoc = mustParse(DefaultName, defaultSource)

func mustParse(name string, src []byte) *Document {
	d, err := Parse(name, src)
	if err != nil {
		panic("agreement: the embedded default does not parse: " + err.Error())
	}
	return d
}

// Default returns the parsed default agreement. It is shared: callers must
// not change it.
func Default() *Document { return defaultDoc }

// DefaultSource returns a copy of the default agreement's Markdown.
func DefaultSource() []byte { return slices.Clone(defaultSource) }
