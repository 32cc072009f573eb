// Package pii holds the primitives for protected personal information (DESIGN
// §5, §6): field encryption under a rotating key ring, a keyed blind index for
// equality lookups, and masking for every view and log.
//
// Contracts:
//
//   - Every column that holds personal information (phone, email, resident ID
//     number, licence number, licence image, and the phones and emails in the
//     outbox and in rate-limit keys) stores a [KeyRing.Seal] envelope, never
//     plaintext. The envelope is bound to its table, column and row by [AAD]:
//     copying it anywhere else makes [KeyRing.Open] fail with [ErrDecrypt].
//   - Lookups by such a value go through [BlindIndex.Sum] of the normalized
//     value ([NormalizePhone], [NormalizeEmail]), a keyed HMAC. A plain hash of
//     personal information is never stored: phone numbers are too few to
//     resist brute force.
//   - Views and logs show the masked form ([MaskPhone], [MaskEmail],
//     [MaskIDNumber], [MaskName], [Mask]). A [Secret] masks itself in fmt,
//     log/slog, encoding/json and encoding text, and yields the plaintext only
//     through [Secret.Reveal]; the caller that reveals logs the purpose.
//   - No error from this package contains key material or the personal
//     information it was given; key ids are not secret and may appear.
//   - Key rings and blind indexes are immutable and safe for concurrent use.
//     Their fmt and slog forms name key ids only.
//
// The package does no I/O; randomness comes from crypto/rand unless a reader
// is passed in.
//
// # Envelope format
//
// Version 1, all that Seal writes and Open reads:
//
//	offset  size  field
//	0       1     version, 0x01
//	1       1     n, the length of the key id (1–32)
//	2       n     key id, ASCII [A-Za-z0-9_-]
//	2+n     12    nonce, random per envelope
//	14+n    rest  AES-256-GCM ciphertext followed by its 16-byte tag
//
// The GCM additional data is the envelope header (bytes 0 to 2+n) followed by
// the AAD's Table, Column and Row, each as a 4-byte big-endian length and its
// bytes; so the header cannot be altered and an envelope opens only at the
// table, column and row it was sealed for. An envelope is 30+n bytes longer
// than its plaintext. With random nonces a key must seal fewer than 2^32
// envelopes; rotate well before that.
package pii
