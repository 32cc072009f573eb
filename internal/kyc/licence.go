package kyc

import (
	"bytes"

	"yuanxu/internal/errs"
)

// The media types a business licence upload may have.
const (
	MIMEPNG  = "image/png"
	MIMEJPEG = "image/jpeg"
	MIMEPDF  = "application/pdf"
)

// licenceMagic lists the accepted formats by their leading bytes: the PNG
// signature (RFC 2083 §12.12), the JPEG SOI marker followed by the first
// marker's 0xFF (ITU T.81 B.2.1), and the PDF header "%PDF-" (ISO 32000-1
// §7.5.2; readers tolerate junk before it, this check does not).
var licenceMagic = []struct {
	mime  string
	magic []byte
}{
	{MIMEPNG, []byte{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}},
	{MIMEJPEG, []byte{0xff, 0xd8, 0xff}},
	{MIMEPDF, []byte("%PDF-")},
}

// SniffLicence decides the media type of an uploaded business licence by
// its leading bytes, never by its file name or declared Content-Type, and
// enforces the size limit. It returns [MIMEPNG], [MIMEJPEG] or [MIMEPDF].
//
// Errors, each an *errs.Error on field [FieldLicence]:
//   - no bytes: [CodeLicenceEmpty] (Invalid);
//   - more than maxBytes bytes: [CodeLicenceTooLarge] (TooLarge, params
//     max_bytes), checked before the content;
//   - any other content: [CodeLicenceType] (Invalid, params allowed).
//
// A maxBytes of 0 or less is a programming error and gives an Internal
// error. The content is not decoded: a file that starts right but is
// corrupt is for the reviewer to refuse. Whoever serves the file back sends
// the type returned here with X-Content-Type-Options: nosniff, so that a
// browser never reinterprets it.
func SniffLicence(b []byte, maxBytes int) (string, error) {
	if maxBytes <= 0 {
		return "", errs.E(errs.Internal, errs.Op("kyc.SniffLicence"), "kyc.licence_limit_unset", "maxBytes must be positive")
	}
	if len(b) == 0 {
		return "", fieldError(errs.Invalid, CodeLicenceEmpty, FieldLicence, "the licence file is empty", nil)
	}
	if len(b) > maxBytes {
		return "", fieldError(errs.TooLarge, CodeLicenceTooLarge, FieldLicence, "the licence file is too large", map[string]any{"max_bytes": maxBytes})
	}
	for _, m := range licenceMagic {
		if bytes.HasPrefix(b, m.magic) {
			return m.mime, nil
		}
	}
	return "", fieldError(errs.Invalid, CodeLicenceType, FieldLicence, "the licence file is not a PNG, JPEG or PDF", map[string]any{"allowed": "PNG, JPEG, PDF"})
}
