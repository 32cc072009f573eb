package ticket

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"path"
	"strings"
	"unicode/utf8"

	"yuanxu/internal/errs"
)

// Attachment limits: per file, and per message.
const (
	MaxAttachmentBytes = 5 << 20
	MaxAttachments     = 3
	MaxFilenameRunes   = 120
	attachmentCodeBase = "ticket.attachment_"
)

// Allowed attachment types, decided by the content's magic bytes, never by
// the name or the browser's claim.
const (
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
	TypeGIF  = "image/gif"
	TypePDF  = "application/pdf"
	TypeText = "text/plain; charset=utf-8"
)

// AllowedTypes lists the accepted content types.
var AllowedTypes = []string{TypePNG, TypeJPEG, TypeGIF, TypePDF, TypeText}

// executableExt are names that run when opened, refused whatever the
// content (a text file named run.bat is still a script to Windows).
var executableExt = map[string]bool{
	".exe": true, ".com": true, ".bat": true, ".cmd": true, ".scr": true, ".msi": true, ".dll": true, ".ps1": true,
	".vbs": true, ".js": true, ".jse": true, ".wsf": true, ".hta": true, ".jar": true, ".sh": true, ".apk": true,
	".app": true, ".elf": true, ".bin": true, ".so": true, ".dylib": true, ".lnk": true, ".reg": true, ".py": true,
}

// executableMagic are executable and archive formats (archives may carry
// executables we cannot inspect).
var executableMagic = [][]byte{
	[]byte("MZ"),             // PE / DOS
	{0x7f, 'E', 'L', 'F'},    // ELF
	{0xfe, 0xed, 0xfa, 0xce}, // Mach-O 32
	{0xfe, 0xed, 0xfa, 0xcf}, // Mach-O 64
	{0xce, 0xfa, 0xed, 0xfe}, // Mach-O 32 LE
	{0xcf, 0xfa, 0xed, 0xfe}, // Mach-O 64 LE
	{0xca, 0xfe, 0xba, 0xbe}, // Mach-O fat / Java class
	[]byte("#!"),             // script
	{'P', 'K', 0x03, 0x04},   // zip, jar, apk, docx
	[]byte("Rar!"),           // rar
	{0x37, 0x7a, 0xbc, 0xaf}, // 7z
	{0x00, 0x61, 0x73, 0x6d}, // wasm
}

// File is one accepted attachment.
type File struct {
	Name        string // base name, cleaned
	ContentType string // one of AllowedTypes
	Size        int64
	Hash        string // hex SHA-256 of the content: the blob's key
}

// CheckFile accepts an upload or explains why not: empty, over
// MaxAttachmentBytes (TooLarge), an executable or archive, or a type not
// in AllowedTypes (Invalid). field names the form or JSON field.
func CheckFile(name string, data []byte, field string) (File, error) {
	name = cleanName(name)
	if len(data) == 0 {
		return File{}, errs.Invalidf(attachmentCodeBase+"empty", field, "required", nil)
	}
	if len(data) > MaxAttachmentBytes {
		return File{}, &errs.Error{Kind: errs.TooLarge, Code: attachmentCodeBase + "too_large", Msg: "attachment too large",
			Fields: []errs.FieldError{{Field: field, Rule: "max_size", Params: map[string]any{"max_bytes": MaxAttachmentBytes, "max_mib": MaxAttachmentBytes >> 20}}},
			Params: map[string]any{"max_mib": MaxAttachmentBytes >> 20}}
	}
	ext := strings.ToLower(path.Ext(name))
	if executableExt[ext] || isExecutable(data) {
		return File{}, &errs.Error{Kind: errs.Invalid, Code: attachmentCodeBase + "executable", Msg: "executables and archives are not accepted",
			Fields: []errs.FieldError{{Field: field, Rule: "file_type"}}}
	}
	ct := Sniff(data)
	if ct == "" {
		return File{}, &errs.Error{Kind: errs.Invalid, Code: attachmentCodeBase + "type", Msg: "attachment type not accepted",
			Fields: []errs.FieldError{{Field: field, Rule: "file_type"}}}
	}
	sum := sha256.Sum256(data)
	return File{Name: name, ContentType: ct, Size: int64(len(data)), Hash: hex.EncodeToString(sum[:])}, nil
}

func isExecutable(data []byte) bool {
	for _, m := range executableMagic {
		if bytes.HasPrefix(data, m) {
			return true
		}
	}
	return false
}

// Sniff returns the allowed type of data by its magic bytes, or "".
func Sniff(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return TypeJPEG
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return TypeGIF
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return TypePDF
	case utf8.Valid(data) && !bytes.ContainsRune(data, 0) && !isExecutable(data):
		return TypeText
	}
	return ""
}

// cleanName keeps the base name, without path or control characters,
// bounded; an empty name becomes "attachment".
func cleanName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(name)
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == "/" {
		name = "attachment"
	}
	if utf8.RuneCountInString(name) > MaxFilenameRunes {
		r := []rune(name)
		name = string(r[len(r)-MaxFilenameRunes:])
	}
	return name
}
