// Package id makes identifiers: UUIDv7 strings generated in Go, so neither
// database engine is asked for an id and ids sort by creation time.
package id

import (
	"crypto/rand"
	"encoding/binary"
	"time"

	"github.com/google/uuid"
)

// New returns a fresh UUIDv7 in its canonical 36-character form.
func New() string { return NewAt(time.Now()) }

// NewAt returns a UUIDv7 whose timestamp is t (millisecond precision) and
// whose remaining 74 bits are random. Ids made for the same millisecond are
// unordered among themselves.
func NewAt(t time.Time) string {
	var u uuid.UUID
	if _, err := rand.Read(u[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	ms := uint64(t.UnixMilli())
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(u[0:6], ts[2:8])
	u[6] = (u[6] & 0x0f) | 0x70 // version 7
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return u.String()
}

// Valid reports whether s is a canonical UUID string.
func Valid(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}
