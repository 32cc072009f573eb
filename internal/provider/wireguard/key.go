// Package wireguard is the library half of the `wireguard` provisioning
// driver (issue 13): X25519 key pairs in WireGuard's base64 form, address
// allocation from a pool, the client configuration (wg-quick text and a QR
// code), the node configuration that `wg syncconf` applies, and thin
// wrappers around the wg tool (Apply, Show, Peers) that can run inside a
// network namespace through a command prefix.
//
// Everything except Command is pure: randomness comes in as an io.Reader
// and the package keeps no state. Mistakes a user or an operator can make
// are *errs.Error values with stable codes (wireguard.key_invalid,
// wireguard.pool_invalid, wireguard.pool_exhausted,
// wireguard.config_invalid); failures of the wg tool are plain errors.
package wireguard

import (
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"

	"golang.org/x/crypto/curve25519"

	"yuanxu/internal/errs"
)

// KeyLen is the length of every WireGuard key in bytes.
const KeyLen = 32

// Key is a WireGuard key: a Curve25519 private or public key, or a
// preshared key. The zero Key means "no key" (wg prints it as "(none)"),
// which is how an absent preshared key is represented throughout.
type Key [KeyLen]byte

// GeneratePrivateKey reads 32 bytes from r (crypto/rand.Reader in
// production) and clamps them the way `wg genkey` does.
func GeneratePrivateKey(r io.Reader) (Key, error) {
	var k Key
	if _, err := io.ReadFull(r, k[:]); err != nil {
		return Key{}, fmt.Errorf("wireguard: reading randomness: %w", err)
	}
	k[0] &= 248
	k[31] = (k[31] & 127) | 64
	return k, nil
}

// GeneratePresharedKey reads 32 random bytes from r (`wg genpsk`).
func GeneratePresharedKey(r io.Reader) (Key, error) {
	var k Key
	if _, err := io.ReadFull(r, k[:]); err != nil {
		return Key{}, fmt.Errorf("wireguard: reading randomness: %w", err)
	}
	return k, nil
}

// KeyPair is a private key with its public key.
type KeyPair struct {
	Private Key
	Public  Key
}

// GenerateKeyPair returns a fresh private key and its public key.
func GenerateKeyPair(r io.Reader) (KeyPair, error) {
	priv, err := GeneratePrivateKey(r)
	if err != nil {
		return KeyPair{}, err
	}
	return KeyPair{Private: priv, Public: priv.PublicKey()}, nil
}

// PublicKey derives the public key of private key k (`wg pubkey`). The
// result is the zero Key when k is zero or otherwise yields a low-order
// point, which a clamped non-zero key never does.
func (k Key) PublicKey() Key {
	out, err := curve25519.X25519(k[:], curve25519.Basepoint)
	if err != nil {
		return Key{}
	}
	var pub Key
	copy(pub[:], out)
	return pub
}

// IsZero reports whether k is the zero key ("no key").
func (k Key) IsZero() bool {
	var zero Key
	return subtle.ConstantTimeCompare(k[:], zero[:]) == 1
}

// String returns the standard base64 form that wg reads and prints
// (44 characters ending in '='). Mind that a private key's String is the
// secret itself.
func (k Key) String() string { return base64.StdEncoding.EncodeToString(k[:]) }

// MarshalText implements encoding.TextMarshaler with String's form.
func (k Key) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseKey's rules.
func (k *Key) UnmarshalText(b []byte) error {
	p, err := ParseKey(string(b))
	if err != nil {
		return err
	}
	*k = p
	return nil
}

// ParseKey parses a key in wg's base64 form: exactly 44 characters of
// standard base64 with padding that decode to 32 bytes. Any other input is
// an *errs.Error with code wireguard.key_invalid, field "key" and rule
// "format". ParseKey accepts the zero key; callers that need a real key
// check IsZero (ParsePublicKey does).
func ParseKey(s string) (Key, error) {
	return parseKey("key", s)
}

// ParsePublicKey is ParseKey for a peer's public key: it also refuses the
// zero key and the low-order points that no private key produces
// (rule "weak").
func ParsePublicKey(s string) (Key, error) {
	k, err := parseKey("public_key", s)
	if err != nil {
		return Key{}, err
	}
	if err := checkPublic("public_key", k); err != nil {
		return Key{}, err
	}
	return k, nil
}

func parseKey(field, s string) (Key, error) {
	var k Key
	if len(s) != base64.StdEncoding.EncodedLen(KeyLen) {
		return Key{}, keyInvalid(field, "format")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != KeyLen {
		return Key{}, keyInvalid(field, "format")
	}
	copy(k[:], b)
	return k, nil
}

// checkPublic refuses public keys that are zero or of small order: a
// Diffie-Hellman with them gives the zero shared secret, which
// curve25519.X25519 reports as an error for any scalar.
func checkPublic(field string, k Key) error {
	var one Key
	one[0] = 9 // any valid scalar will do
	if _, err := curve25519.X25519(one[:], k[:]); err != nil {
		return keyInvalid(field, "weak")
	}
	return nil
}

func keyInvalid(field, rule string) error {
	return errs.Invalidf("wireguard.key_invalid", field, rule, nil)
}
