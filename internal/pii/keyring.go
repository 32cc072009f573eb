package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// KeySize is the length in bytes of every key: AES-256 keys and the
// blind-index key alike.
const KeySize = 32

// maxKeyIDLen bounds key ids so that an id fits the envelope's one-byte
// length prefix with room to spare.
const maxKeyIDLen = 32

// ErrKeyConfig is wrapped by every error about malformed key configuration
// (ParseKeyRing, NewBlindIndex, ParseBlindIndexKey). Such errors name the
// entry and the key id but never the key material.
var ErrKeyConfig = errors.New("pii: invalid key configuration")

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrKeyConfig, fmt.Sprintf(format, args...))
}

// KeyRing holds the AES-256-GCM keys that seal personal information: one
// primary key that seals, and any number of older keys that still open what
// they sealed until it is rotated. A KeyRing is immutable and safe for
// concurrent use; printing or logging it shows key ids only. Make one with
// ParseKeyRing or GenerateKeyRing: the zero value is unusable.
type KeyRing struct {
	primary string
	ids     []string // configuration order, primary first
	aeads   map[string]cipher.AEAD
}

// ParseKeyRing parses a key-ring configuration string: comma-separated
// ID:KEY entries, the first of which is the primary key. An ID is 1–32
// characters from A–Z, a–z, 0–9, '_' and '-'; a KEY is 32 bytes in standard
// or URL-safe base64, padded or not. Spaces around entries are ignored.
//
// Errors wrap ErrKeyConfig and name the entry (1-based) or the key id, never
// the key material; an invalid id is not echoed either, since a missing id
// would put the key in its place.
func ParseKeyRing(s string) (*KeyRing, error) {
	if strings.TrimSpace(s) == "" {
		return nil, configErr("key ring is empty")
	}
	entries := strings.Split(s, ",")
	r := &KeyRing{aeads: make(map[string]cipher.AEAD, len(entries))}
	for i, e := range entries {
		n := i + 1
		id, enc, ok := strings.Cut(strings.TrimSpace(e), ":")
		if !ok {
			return nil, configErr("entry %d: want ID:BASE64KEY", n)
		}
		id, enc = strings.TrimSpace(id), strings.TrimSpace(enc)
		if !validKeyID(id) {
			return nil, configErr("entry %d: key id must be 1–%d characters from A–Z, a–z, 0–9, '_' and '-'", n, maxKeyIDLen)
		}
		if _, dup := r.aeads[id]; dup {
			return nil, configErr("entry %d: duplicate key id %q", n, id)
		}
		key, err := decodeKey(enc)
		if err != nil {
			return nil, configErr("key %q: %s", id, err)
		}
		aead, err := newAEAD(key)
		clear(key)
		if err != nil {
			return nil, err
		}
		r.aeads[id] = aead
		r.ids = append(r.ids, id)
	}
	r.primary = r.ids[0]
	return r, nil
}

// GenerateKeyRing makes a ring holding one fresh key with id "k1" and returns
// it with its configuration string, which is secret and must be stored by the
// caller (only the config string can rebuild the ring). A nil rnd means
// crypto/rand.
func GenerateKeyRing(rnd io.Reader) (*KeyRing, string, error) {
	key, err := readKey(rnd)
	if err != nil {
		return nil, "", err
	}
	config := "k1:" + base64.StdEncoding.EncodeToString(key)
	clear(key)
	r, err := ParseKeyRing(config)
	if err != nil {
		return nil, "", err
	}
	return r, config, nil
}

// PrimaryID is the id of the key that seals.
func (r *KeyRing) PrimaryID() string { return r.primary }

// KeyIDs lists every key id in configuration order, primary first.
func (r *KeyRing) KeyIDs() []string { return append([]string(nil), r.ids...) }

// String shows the key ids only.
func (r KeyRing) String() string {
	return fmt.Sprintf("pii.KeyRing{primary: %s, keys: %s}", r.primary, strings.Join(r.ids, " "))
}

// Format prints String for every verb, so that no verb reaches the keys.
func (r KeyRing) Format(f fmt.State, _ rune) { io.WriteString(f, r.String()) }

// LogValue logs the key ids only.
func (r KeyRing) LogValue() slog.Value {
	return slog.GroupValue(slog.String("primary", r.primary), slog.Any("keys", r.ids))
}

func validKeyID(id string) bool {
	if len(id) == 0 || len(id) > maxKeyIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// decodeKey decodes a base64 key in any of the four common alphabets and
// checks its length. Its errors never contain the input.
func decodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("key is empty")
	}
	var key []byte
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			key = b
			break
		}
	}
	switch {
	case key == nil:
		return nil, errors.New("not valid base64 (standard or URL-safe)")
	case len(key) != KeySize:
		n := len(key)
		clear(key)
		return nil, fmt.Errorf("key decodes to %d bytes, want %d", n, KeySize)
	case allZero(key):
		return nil, errors.New("key is all zero bytes")
	}
	return key, nil
}

func readKey(rnd io.Reader) ([]byte, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	key := make([]byte, KeySize)
	if _, err := io.ReadFull(rnd, key); err != nil {
		return nil, fmt.Errorf("pii: generating key: %w", err)
	}
	return key, nil
}

func allZero(b []byte) bool {
	var acc byte
	for _, c := range b {
		acc |= c
	}
	return acc == 0
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("pii: %w", err)
	}
	return aead, nil
}
