// Package audit defines audit events and the hash chain that seals them.
//
// Events are inserted in the business transaction that causes them, with no
// global hot row: an event carries no link to its predecessor. A leader-only
// job later seals every event that is in no batch yet into the next batch,
// ordered by id; each batch's hash covers the previous batch's hash, its
// sequence number and the hash of each of its events. Because transactions
// commit out of order, a batch is "whatever is unsealed now", never a range
// of ids or times: an event with an older id that commits after a seal lands
// in the next batch.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"
)

// Event is one state change: who did what to which subject, when, from where.
type Event struct {
	ID          string    // UUIDv7
	At          time.Time // business time of the transaction
	Actor       string    // "account:<id>", "staff:<id>", "system", "job:<kind>"
	Action      string    // "sandbox.clock_advanced", "order.paid", …
	SubjectType string
	SubjectID   string
	ClientIP    string // masked where personal; "" for jobs
	RequestID   string
	Data        string // canonical JSON of the change's facts
}

// Hash returns the event's hash: SHA-256 over a length-prefixed encoding of
// every field, so no two different events share an encoding.
func (e Event) Hash() [32]byte {
	h := sha256.New()
	for _, f := range []string{e.ID, fmt.Sprint(e.At.UnixMilli()), e.Actor, e.Action, e.SubjectType, e.SubjectID, e.ClientIP, e.RequestID, e.Data} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// GenesisHash is the prev_hash of the first batch.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// BatchHash chains a batch to its predecessor: SHA-256 of prev, seq and each
// event hash in chain order (the order of their positions, ADR 24).
func BatchHash(prev string, seq int64, events []Event) string {
	h := sha256.New()
	h.Write([]byte(prev))
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(len(events)))
	h.Write(n[:])
	for _, e := range events {
		eh := e.Hash()
		h.Write(eh[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Batch is a sealed run of events.
type Batch struct {
	Seq        int64
	SealedAt   time.Time
	EventCount int64
	FirstID    string
	LastID     string
	PrevHash   string
	Hash       string
}

// Break describes the first place a chain fails to verify.
type Break struct {
	Seq    int64
	Reason string
}

func (b Break) Error() string {
	return fmt.Sprintf("audit chain broken at batch %d: %s", b.Seq, b.Reason)
}

// VerifyBatch checks one batch against its predecessor's hash and its events
// (in chain order). It returns nil or a *Break.
func VerifyBatch(prevHash string, b Batch, events []Event) error {
	if b.PrevHash != prevHash {
		return &Break{Seq: b.Seq, Reason: "prev_hash does not match the previous batch"}
	}
	if int64(len(events)) != b.EventCount {
		return &Break{Seq: b.Seq, Reason: fmt.Sprintf("batch holds %d events, sealed with %d", len(events), b.EventCount)}
	}
	if len(events) > 0 && (events[0].ID != b.FirstID || events[len(events)-1].ID != b.LastID) {
		return &Break{Seq: b.Seq, Reason: "first or last event id differs from the seal"}
	}
	if got := BatchHash(prevHash, b.Seq, events); got != b.Hash {
		return &Break{Seq: b.Seq, Reason: "hash mismatch: an event or the batch was altered"}
	}
	return nil
}
