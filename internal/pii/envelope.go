package pii

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// envelopeV1 is the version byte of the envelope format (package doc).
const envelopeV1 = 0x01

const (
	nonceSize = 12
	tagSize   = 16
)

var (
	// ErrDecrypt means the envelope is malformed, was altered, or is opened
	// with an AAD other than the one it was sealed with.
	ErrDecrypt = errors.New("pii: cannot open envelope")
	// ErrUnknownKey means the envelope names a key id that the ring does not
	// hold (a key retired too early, or the wrong ring).
	ErrUnknownKey = errors.New("pii: envelope key not in key ring")
	// ErrAAD means an AAD field is empty; it reports a bug in the caller.
	ErrAAD = errors.New("pii: AAD needs Table, Column and Row")
)

// AAD names where an envelope lives. Seal binds it to the envelope and Open
// must be given the same values. Row is the row's stable id (a UUID), never a
// value that can change.
type AAD struct {
	Table, Column, Row string
}

func (a AAD) validate() error {
	if a.Table == "" || a.Column == "" || a.Row == "" {
		return ErrAAD
	}
	return nil
}

// additionalData is the GCM additional data for header and a.
func (a AAD) additionalData(header []byte) []byte {
	b := make([]byte, 0, len(header)+12+len(a.Table)+len(a.Column)+len(a.Row))
	b = append(b, header...)
	for _, s := range [...]string{a.Table, a.Column, a.Row} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// Seal encrypts plaintext under the primary key for the place aad names and
// returns a new envelope. It fails only when aad has an empty field.
func (r *KeyRing) Seal(plaintext []byte, aad AAD) ([]byte, error) {
	if err := aad.validate(); err != nil {
		return nil, err
	}
	aead := r.aeads[r.primary]
	hlen := 2 + len(r.primary)
	out := make([]byte, hlen, hlen+aead.Overhead()+len(plaintext))
	out[0] = envelopeV1
	out[1] = byte(len(r.primary))
	copy(out[2:], r.primary)
	return aead.Seal(out, nil, plaintext, aad.additionalData(out)), nil
}

// Open decrypts an envelope sealed by any key in the ring for the same aad.
// Errors: ErrUnknownKey (wrapped, with the key id) when the ring lacks the
// envelope's key; ErrDecrypt (possibly wrapped) when the envelope is
// malformed, altered, or sealed for another place; ErrAAD.
func (r *KeyRing) Open(envelope []byte, aad AAD) ([]byte, error) {
	if err := aad.validate(); err != nil {
		return nil, err
	}
	id, body, err := parseEnvelope(envelope)
	if err != nil {
		return nil, err
	}
	aead, ok := r.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownKey, id)
	}
	pt, err := aead.Open(nil, nil, body, aad.additionalData(envelope[:2+len(id)]))
	if err != nil {
		return nil, ErrDecrypt
	}
	if pt == nil {
		pt = []byte{}
	}
	return pt, nil
}

// SealString is Seal for a string.
func (r *KeyRing) SealString(plaintext string, aad AAD) ([]byte, error) {
	return r.Seal([]byte(plaintext), aad)
}

// OpenString is Open returning a string.
func (r *KeyRing) OpenString(envelope []byte, aad AAD) (string, error) {
	pt, err := r.Open(envelope, aad)
	if err != nil {
		return "", err
	}
	return string(pt), nil
}

// OpenSecret is Open returning a Secret, so that the plaintext stays masked
// until the caller reveals it.
func (r *KeyRing) OpenSecret(envelope []byte, aad AAD) (Secret, error) {
	s, err := r.OpenString(envelope, aad)
	return Secret(s), err
}

// NeedsRotation reports whether envelope is anything other than a
// well-formed envelope under the primary key. Malformed envelopes report
// true so that a rotation sweep surfaces them through Rotate's error instead
// of skipping them.
func (r *KeyRing) NeedsRotation(envelope []byte) bool {
	id, _, err := parseEnvelope(envelope)
	return err != nil || id != r.primary
}

// Rotate opens envelope and re-seals its plaintext under the primary key.
// An envelope already under the primary key is verified and returned as is,
// so callers can skip the write when the result is the same slice. Errors are
// Open's.
func (r *KeyRing) Rotate(envelope []byte, aad AAD) ([]byte, error) {
	pt, err := r.Open(envelope, aad)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	if !r.NeedsRotation(envelope) {
		return envelope, nil
	}
	return r.Seal(pt, aad)
}

// parseEnvelope splits a version-1 envelope into its key id and the
// nonce‖ciphertext‖tag body. Errors wrap ErrDecrypt.
func parseEnvelope(env []byte) (id string, body []byte, err error) {
	if len(env) < 2 {
		return "", nil, fmt.Errorf("%w: envelope too short", ErrDecrypt)
	}
	if env[0] != envelopeV1 {
		return "", nil, fmt.Errorf("%w: unknown envelope version %d", ErrDecrypt, env[0])
	}
	n := int(env[1])
	if n == 0 || n > maxKeyIDLen || len(env) < 2+n+nonceSize+tagSize {
		return "", nil, fmt.Errorf("%w: envelope too short", ErrDecrypt)
	}
	id = string(env[2 : 2+n])
	if !validKeyID(id) {
		return "", nil, fmt.Errorf("%w: malformed key id", ErrDecrypt)
	}
	return id, env[2+n:], nil
}
