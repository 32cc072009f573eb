package pii

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// Secret is a string of personal information that shows only its masked form
// (Mask) through fmt (every verb), log/slog, encoding/json and
// encoding.TextMarshaler; Reveal is the one way to the plaintext, and callers
// that reveal for a person log the purpose (DESIGN §5).
//
// Limits, because a Secret is a string underneath: fmt cannot call methods on
// unexported struct fields, so a Secret in an unexported field of a printed
// struct shows in the clear (keep it in exported fields, or do not print the
// struct); encoding/json writes map keys of string kind as they are, so never
// key a map by Secret; and string(s) is a conversion no reviewer should pass,
// where Reveal is easy to grep for. Decoding JSON into a Secret
// takes the plain string, so request bodies can carry Secrets, but encoding
// it back yields the masked form: a Secret does not round-trip. A Secret is
// not encrypted: store it only through KeyRing.Seal.
type Secret string

// Reveal returns the plaintext.
func (s Secret) Reveal() string { return string(s) }

// Masked returns Mask of the plaintext.
func (s Secret) Masked() string { return Mask(string(s)) }

// IsZero reports whether the secret is empty (for `json:",omitzero"`).
func (s Secret) IsZero() bool { return s == "" }

// String returns the masked form.
func (s Secret) String() string { return s.Masked() }

// GoString returns the masked form as a Go expression.
func (s Secret) GoString() string { return "pii.Secret(" + strconv.Quote(s.Masked()) + ")" }

// Format prints the masked form for every verb: quoted for %q, as GoString
// for %#v. (Without it, a wrong verb such as %d would print the plaintext.)
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		io.WriteString(f, s.GoString())
	case verb == 'q':
		io.WriteString(f, strconv.Quote(s.Masked()))
	default:
		io.WriteString(f, s.Masked())
	}
}

// MarshalJSON encodes the masked form as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.Masked()) }

// MarshalText returns the masked form.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.Masked()), nil }

// LogValue logs the masked form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.Masked()) }
