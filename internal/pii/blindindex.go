package pii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
)

// BlindIndexSize is the length in bytes of a blind-index value.
const BlindIndexSize = 16

// Kinds of blind index. Each kind is its own domain: the same string indexed
// under two kinds gives unrelated values.
const (
	KindPhone     = "phone"     // NormalizePhone output
	KindEmail     = "email"     // NormalizeEmail output
	KindIDNumber  = "id_number" // resident ID number: 17 digits and a digit or upper-case X
	KindRateLimit = "ratelimit" // rate-limit bucket keys that contain personal information
)

// blindIndexDomain versions the input layout of Sum; changing it changes
// every index value.
const blindIndexDomain = "yuanxu/pii/blind-index/v1"

// BlindIndex computes keyed, deterministic lookup values for personal
// information, so that equal values can be found without storing them in the
// clear or as a plain (brute-forceable) hash. Its key is separate from the
// key ring and cannot be rotated without recomputing every stored value. A
// BlindIndex is immutable and safe for concurrent use; printing or logging it
// never shows the key. The zero value is unusable (Sum panics).
type BlindIndex struct {
	key []byte
}

// NewBlindIndex makes a BlindIndex from a 32-byte key, which it copies.
// Errors wrap ErrKeyConfig.
func NewBlindIndex(key []byte) (*BlindIndex, error) {
	if len(key) != KeySize {
		return nil, configErr("blind-index key is %d bytes, want %d", len(key), KeySize)
	}
	if allZero(key) {
		return nil, configErr("blind-index key is all zero bytes")
	}
	return &BlindIndex{key: append([]byte(nil), key...)}, nil
}

// ParseBlindIndexKey makes a BlindIndex from a base64 key (standard or
// URL-safe, padded or not). Errors wrap ErrKeyConfig and never contain the
// input.
func ParseBlindIndexKey(s string) (*BlindIndex, error) {
	key, err := decodeKey(s)
	if err != nil {
		return nil, configErr("blind-index key: %s", err)
	}
	defer clear(key)
	return NewBlindIndex(key)
}

// GenerateBlindIndexKey makes a BlindIndex with a fresh key and returns it
// with the key in standard base64, which the caller must keep secret and
// store. A nil rnd means crypto/rand.
func GenerateBlindIndexKey(rnd io.Reader) (*BlindIndex, string, error) {
	key, err := readKey(rnd)
	if err != nil {
		return nil, "", err
	}
	defer clear(key)
	b, err := NewBlindIndex(key)
	if err != nil {
		return nil, "", err
	}
	return b, base64.StdEncoding.EncodeToString(key), nil
}

// Sum returns the 16-byte blind index of an already normalized value:
// HMAC-SHA256 under the blind-index key of a versioned domain string, the
// length-prefixed kind and the length-prefixed value, truncated. kind must be
// non-empty (one of the Kind constants, normally) and b made by a constructor;
// Sum panics otherwise, since either is a bug in the caller. Normalize first: Sum does not, and two
// spellings of one phone number give two values.
func (b *BlindIndex) Sum(kind, normalized string) []byte {
	if kind == "" {
		panic("pii: BlindIndex.Sum with an empty kind")
	}
	if len(b.key) != KeySize {
		// An empty HMAC key would make a plain hash of the value.
		panic("pii: BlindIndex not made by NewBlindIndex")
	}
	m := hmac.New(sha256.New, b.key)
	var buf [4]byte
	io.WriteString(m, blindIndexDomain)
	for _, s := range [...]string{kind, normalized} {
		binary.BigEndian.PutUint32(buf[:], uint32(len(s)))
		m.Write(buf[:])
		io.WriteString(m, s)
	}
	return m.Sum(nil)[:BlindIndexSize]
}

// Phone normalizes raw with NormalizePhone and returns its KindPhone index.
func (b *BlindIndex) Phone(raw string) ([]byte, error) {
	p, err := NormalizePhone(raw)
	if err != nil {
		return nil, err
	}
	return b.Sum(KindPhone, p), nil
}

// Email normalizes raw with NormalizeEmail and returns its KindEmail index.
func (b *BlindIndex) Email(raw string) ([]byte, error) {
	e, err := NormalizeEmail(raw)
	if err != nil {
		return nil, err
	}
	return b.Sum(KindEmail, e), nil
}

// String never shows the key.
func (b BlindIndex) String() string { return "pii.BlindIndex{key: redacted}" }

// Format prints String for every verb, so that no verb reaches the key.
func (b BlindIndex) Format(f fmt.State, _ rune) { io.WriteString(f, b.String()) }

// LogValue never shows the key.
func (b BlindIndex) LogValue() slog.Value { return slog.StringValue(b.String()) }
