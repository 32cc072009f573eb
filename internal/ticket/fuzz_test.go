package ticket

import (
	"bytes"
	"errors"
	"path"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"yuanxu/internal/errs"
)

// FuzzCheckFile: uploads (ticket attachments, compliance evidence) are
// outside bytes with an outside name. CheckFile never panics; what it
// accepts has an allowed type that the content's magic bytes decide, no
// executable magic or extension, a clean bounded base name and the right
// size and hash; what it refuses is an *errs.Error naming the field.
func FuzzCheckFile(f *testing.F) {
	f.Add("scan.png", []byte("\x89PNG\r\n\x1a\n\x00\x00"))
	f.Add("photo.jpg", []byte{0xff, 0xd8, 0xff, 0xe0})
	f.Add("a.gif", []byte("GIF89a"))
	f.Add("doc.pdf", []byte("%PDF-1.7\n"))
	f.Add("notes.txt", []byte("服务器无法连接"))
	f.Add("run.bat", []byte("echo hi"))
	f.Add("../../etc/passwd", []byte("root:x:0:0"))
	f.Add("C:\\Users\\x\\evil.exe", []byte("MZ\x90\x00"))
	f.Add("x.txt", []byte("#!/bin/sh\nrm -rf /"))
	f.Add("a\x00b\nc\".png", []byte("\x89PNG\r\n\x1a\n"))
	f.Add("", []byte{})
	f.Add("zip.docx", []byte("PK\x03\x04"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		got, err := CheckFile(name, data, "body.file")
		if err != nil {
			var e *errs.Error
			if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "body.file" || !strings.HasPrefix(e.Code, attachmentCodeBase) {
				t.Fatalf("refusal %#v does not name the field with a stable code", err)
			}
			return
		}
		if !slices.Contains(AllowedTypes, got.ContentType) || got.ContentType != Sniff(data) {
			t.Fatalf("accepted type %q for %q", got.ContentType, data)
		}
		if isExecutable(data) || executableExt[strings.ToLower(path.Ext(got.Name))] {
			t.Fatalf("accepted an executable: %q %q", got.Name, data)
		}
		if got.Name == "" || strings.ContainsAny(got.Name, "/\"") || strings.IndexFunc(got.Name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 ||
			utf8.RuneCountInString(got.Name) > MaxFilenameRunes {
			t.Fatalf("unclean name %q from %q", got.Name, name)
		}
		if got.Size != int64(len(data)) || len(got.Hash) != 64 || len(data) == 0 || len(data) > MaxAttachmentBytes {
			t.Fatalf("size %d hash %q for %d bytes", got.Size, got.Hash, len(data))
		}
		if got.ContentType == TypeText && (!utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0) {
			t.Fatalf("binary accepted as text: %q", data)
		}
	})
}
