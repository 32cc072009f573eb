package kyc_test

import (
	"bytes"
	"testing"

	"yuanxu/internal/errs"
	"yuanxu/internal/kyc"
)

// Minimal files of each accepted type: only their leading bytes matter.
var (
	pngFile  = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"), make([]byte, 32)...)
	jpegFile = append([]byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0}, make([]byte, 32)...)
	pdfFile  = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n")
)

func TestSniffLicence(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		in   []byte
		max  int
		mime string
		kind errs.Kind
		code string
	}{
		{"PNG", pngFile, 1 << 20, kyc.MIMEPNG, 0, ""},
		{"JPEG", jpegFile, 1 << 20, kyc.MIMEJPEG, 0, ""},
		{"PDF", pdfFile, 1 << 20, kyc.MIMEPDF, 0, ""},
		{"ExactlyAtTheLimit", pngFile, len(pngFile), kyc.MIMEPNG, 0, ""},
		{"OneByteOver", pngFile, len(pngFile) - 1, "", errs.TooLarge, kyc.CodeLicenceTooLarge},
		{"OversizeIsCheckedBeforeType", bytes.Repeat([]byte("MZ"), 100), 10, "", errs.TooLarge, kyc.CodeLicenceTooLarge},
		{"Empty", nil, 1 << 20, "", errs.Invalid, kyc.CodeLicenceEmpty},
		{"GIF", []byte("GIF89a\x01\x00\x01\x00"), 1 << 20, "", errs.Invalid, kyc.CodeLicenceType},
		{"WindowsExecutable", []byte("MZ\x90\x00\x03\x00\x00\x00"), 1 << 20, "", errs.Invalid, kyc.CodeLicenceType},
		{"HTMLNamedLicencePNG", []byte("<!doctype html><script>alert(1)</script>"), 1 << 20, "", errs.Invalid, kyc.CodeLicenceType},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`), 1 << 20, "", errs.Invalid, kyc.CodeLicenceType},
		{"TruncatedPNGSignature", pngFile[:7], 1 << 20, "", errs.Invalid, kyc.CodeLicenceType},
		{"TruncatedJPEGMarker", jpegFile[:2], 1 << 20, "", errs.Invalid, kyc.CodeLicenceType},
		{"PDFHeaderNotAtStart", append([]byte("junk"), pdfFile...), 1 << 20, "", errs.Invalid, kyc.CodeLicenceType},
		{"LowerCasePDFHeader", []byte("%pdf-1.7\n"), 1 << 20, "", errs.Invalid, kyc.CodeLicenceType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			mime, err := kyc.SniffLicence(c.in, c.max)
			if c.code == "" {
				if err != nil || mime != c.mime {
					t.Fatalf("SniffLicence = %q, %v; want %q", mime, err, c.mime)
				}
				return
			}
			e := wantFieldErr(t, err, c.kind, c.code, kyc.FieldLicence)
			if c.code == kyc.CodeLicenceTooLarge && e.Fields[0].Params["max_bytes"] != c.max {
				t.Fatalf("params %v", e.Fields[0].Params)
			}
		})
	}
}

func TestSniffLicenceWithoutALimitIsAProgrammingError(t *testing.T) {
	t.Parallel()
	for _, max := range []int{0, -1} {
		if _, err := kyc.SniffLicence(pngFile, max); errs.KindOf(err) != errs.Internal || err == nil {
			t.Errorf("max %d: %v", max, err)
		}
	}
}
