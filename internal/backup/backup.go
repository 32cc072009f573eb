// Package backup holds the formats of `yuanxu admin backup` and `restore`
// (issue 18): the manifest that describes a backup directory, and the key
// file that carries the secrets needed to read the database back (the PII
// key ring, the blind-index key and the session key) sealed under an
// operator's passphrase.
//
// Contracts:
//
//   - A key file is JSON: the format name, the KDF (argon2id) with its cost
//     parameters and a random 16-byte salt, and AES-256-GCM ciphertext under
//     the derived key with a random 12-byte nonce. Every header field is
//     authenticated (GCM additional data), so no parameter can be altered
//     without Open failing.
//   - Open fails with ErrPassphrase for a wrong passphrase or an altered file
//     (GCM cannot tell them apart), and with ErrFormat for anything that is
//     not a key file; it refuses cost parameters beyond MaxKDF before
//     deriving anything, so a hostile file cannot make it allocate
//     gigabytes.
//   - No error contains the passphrase or the plaintext.
//
// The package does no I/O; randomness comes from crypto/rand unless a
// reader is passed in.
package backup

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// KeyFileFormat names version 1 of the key file.
const KeyFileFormat = "yuanxu-secrets/1"

// ManifestFormat names version 1 of the manifest.
const ManifestFormat = "yuanxu-backup/1"

// File names inside a backup directory.
const (
	ManifestFile = "manifest.json"
	KeyFile      = "secrets.enc"
	SQLiteFile   = "yuanxu.db"
	PostgresFile = "yuanxu.pgdump"
)

// MinPassphrase is the shortest passphrase Seal accepts, in characters.
const MinPassphrase = 12

// KDFParams are argon2id's cost parameters.
type KDFParams struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
}

// DefaultKDF is RFC 9106's second recommended option (t=3, 64 MiB, p=4).
var DefaultKDF = KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 4}

// MaxKDF bounds what Open derives with: at most 10 passes over 1 GiB.
var MaxKDF = KDFParams{Time: 10, MemoryKiB: 1 << 20, Threads: 64}

var (
	// ErrPassphrase: the passphrase is wrong or the key file was altered.
	ErrPassphrase = errors.New("backup: wrong passphrase, or the key file was altered")
	// ErrFormat: the bytes are not a key file this version reads.
	ErrFormat = errors.New("backup: not a yuanxu key file")
	// ErrWeakPassphrase: Seal refuses a passphrase shorter than MinPassphrase.
	ErrWeakPassphrase = fmt.Errorf("backup: the passphrase must have at least %d characters", MinPassphrase)
)

type keyFile struct {
	Format     string    `json:"format"`
	KDF        string    `json:"kdf"`
	Params     KDFParams `json:"params"`
	Salt       []byte    `json:"salt"`
	Cipher     string    `json:"cipher"`
	Nonce      []byte    `json:"nonce"`
	Ciphertext []byte    `json:"ciphertext"`
}

const (
	kdfName    = "argon2id"
	cipherName = "AES-256-GCM"
	saltSize   = 16
)

// Seal encrypts plaintext under passphrase and returns the key file. A nil
// rnd means crypto/rand.
func Seal(plaintext []byte, passphrase string, p KDFParams, rnd io.Reader) ([]byte, error) {
	if utf8.RuneCountInString(passphrase) < MinPassphrase {
		return nil, ErrWeakPassphrase
	}
	if err := p.check(); err != nil {
		return nil, err
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	f := keyFile{Format: KeyFileFormat, KDF: kdfName, Params: p, Cipher: cipherName, Salt: make([]byte, saltSize)}
	if _, err := io.ReadFull(rnd, f.Salt); err != nil {
		return nil, fmt.Errorf("backup: salt: %w", err)
	}
	aead, err := f.aead(passphrase)
	if err != nil {
		return nil, err
	}
	f.Nonce = make([]byte, aead.NonceSize())
	if _, err := io.ReadFull(rnd, f.Nonce); err != nil {
		return nil, fmt.Errorf("backup: nonce: %w", err)
	}
	f.Ciphertext = aead.Seal(nil, f.Nonce, plaintext, f.header())
	return json.MarshalIndent(f, "", "  ")
}

// Open decrypts a key file made by Seal.
func Open(file []byte, passphrase string) ([]byte, error) {
	f, err := parse(file)
	if err != nil {
		return nil, err
	}
	aead, err := f.aead(passphrase)
	if err != nil {
		return nil, err
	}
	if len(f.Nonce) != aead.NonceSize() {
		return nil, fmt.Errorf("%w: nonce of %d bytes", ErrFormat, len(f.Nonce))
	}
	out, err := aead.Open(nil, f.Nonce, f.Ciphertext, f.header())
	if err != nil {
		return nil, ErrPassphrase
	}
	return out, nil
}

// parse checks everything that can be checked without the passphrase.
func parse(b []byte) (keyFile, error) {
	var f keyFile
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	switch {
	case f.Format != KeyFileFormat:
		return f, fmt.Errorf("%w: format %q, want %q", ErrFormat, f.Format, KeyFileFormat)
	case f.KDF != kdfName || f.Cipher != cipherName:
		return f, fmt.Errorf("%w: kdf %q and cipher %q, want %s and %s", ErrFormat, f.KDF, f.Cipher, kdfName, cipherName)
	case len(f.Salt) != saltSize:
		return f, fmt.Errorf("%w: salt of %d bytes, want %d", ErrFormat, len(f.Salt), saltSize)
	}
	return f, f.Params.check()
}

func (p KDFParams) check() error {
	if p.Time < 1 || p.Time > MaxKDF.Time || p.MemoryKiB < 8*uint32(max(p.Threads, 1)) || p.MemoryKiB > MaxKDF.MemoryKiB ||
		p.Threads < 1 || p.Threads > MaxKDF.Threads {
		return fmt.Errorf("%w: argon2id parameters t=%d m=%dKiB p=%d out of range", ErrFormat, p.Time, p.MemoryKiB, p.Threads)
	}
	return nil
}

func (f keyFile) aead(passphrase string) (cipher.AEAD, error) {
	key := argon2.IDKey([]byte(passphrase), f.Salt, f.Params.Time, f.Params.MemoryKiB, f.Params.Threads, 32)
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return cipher.NewGCM(block)
}

// header is the GCM additional data: every field but the nonce and the
// ciphertext, in a fixed order.
func (f keyFile) header() []byte {
	return fmt.Appendf(nil, "%s\x00%s\x00%d\x00%d\x00%d\x00%s\x00%s", f.Format, f.KDF, f.Params.Time, f.Params.MemoryKiB,
		f.Params.Threads, base64.StdEncoding.EncodeToString(f.Salt), f.Cipher)
}

// Manifest describes a backup directory: what the database file is, how to
// check it, and which key ids the key file must hold.
type Manifest struct {
	Format    string    `json:"format"`
	Engine    string    `json:"engine"` // sqlite or postgres
	CreatedAt time.Time `json:"created_at"`
	Version   string    `json:"version"` // of the yuanxu binary that made it
	// Database is the file name of the snapshot (SQLiteFile or PostgresFile).
	Database string `json:"database"`
	SHA256   string `json:"sha256"`
	Size     int64  `json:"size"`
	// SchemaVersion is the last goose migration applied.
	SchemaVersion int64 `json:"schema_version"`
	// SecretsSource says where the exported secrets came from (config,
	// data-dir, demo-db).
	SecretsSource string `json:"secrets_source"`
	// PIIKeyIDs are the ids of the exported key ring, primary first.
	PIIKeyIDs []string `json:"pii_key_ids"`
}

// ParseManifest reads a manifest and checks its format and file names (no
// path may leave the backup directory).
func ParseManifest(b []byte) (Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("backup: manifest: %w", err)
	}
	if m.Format != ManifestFormat {
		return m, fmt.Errorf("backup: manifest format %q, want %q", m.Format, ManifestFormat)
	}
	switch {
	case m.Engine == "sqlite" && m.Database == SQLiteFile, m.Engine == "postgres" && m.Database == PostgresFile:
	default:
		return m, fmt.Errorf("backup: manifest names engine %q with database file %q", m.Engine, m.Database)
	}
	if len(m.SHA256) != 64 {
		return m, errors.New("backup: manifest has no SHA-256 of the database file")
	}
	return m, nil
}
