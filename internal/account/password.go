package account

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/text/unicode/norm"

	"yuanxu/internal/errs"
)

// HashParams are the argon2id cost parameters.
type HashParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes (p)
	KeyLen  uint32 // bytes of derived key (the tag)
	SaltLen uint32 // bytes of random salt
}

// ProductionParams are RFC 9106 §4's second recommended option, for
// memory-constrained environments: argon2id, t=3, p=4, m=2^16 KiB (64 MiB),
// a 128-bit salt and a 256-bit tag. It is also above OWASP's minimum
// (m=19 MiB, t=2, p=1). A hash takes 64 MiB for its duration, so a Hasher
// with concurrency n peaks at n×64 MiB.
var ProductionParams = HashParams{Memory: 64 * 1024, Time: 3, Threads: 4, KeyLen: 32, SaltLen: 16}

// TestParams are cheap parameters for tests and the demo: same format,
// negligible cost. Never configure them in production.
var TestParams = HashParams{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

// Limits on parameters read from a stored hash, so that a corrupted or
// planted row cannot make Verify allocate without bound.
const (
	maxHashMemoryKiB = 1 << 21 // 2 GiB
	maxHashTime      = 64
	minHashSaltLen   = 8
	maxHashSaltLen   = 64
	minHashKeyLen    = 16
	maxHashKeyLen    = 128
	// maxPasswordBytes bounds the input Hash and Verify accept; the policy
	// allows 128 runes, at most 512 bytes of UTF-8, before normalisation.
	maxPasswordBytes = 1024
)

// Validate reports whether p is within the limits this package accepts.
func (p HashParams) Validate() error {
	switch {
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxHashMemoryKiB:
		return fmt.Errorf("argon2id memory %d KiB out of range", p.Memory)
	case p.Time < 1 || p.Time > maxHashTime:
		return fmt.Errorf("argon2id time %d out of range", p.Time)
	case p.Threads < 1:
		return fmt.Errorf("argon2id threads must be at least 1")
	case p.KeyLen < minHashKeyLen || p.KeyLen > maxHashKeyLen:
		return fmt.Errorf("argon2id key length %d out of range", p.KeyLen)
	case p.SaltLen < minHashSaltLen || p.SaltLen > maxHashSaltLen:
		return fmt.Errorf("argon2id salt length %d out of range", p.SaltLen)
	}
	return nil
}

// PHC is a parsed argon2id hash string.
type PHC struct {
	Params HashParams // KeyLen and SaltLen are those of the stored values
	Salt   []byte
	Key    []byte
}

var b64 = base64.RawStdEncoding

// String encodes h in the PHC string format:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>, salt and key in
// unpadded standard base64.
func (h PHC) String() string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version,
		h.Params.Memory, h.Params.Time, h.Params.Threads, b64.EncodeToString(h.Salt), b64.EncodeToString(h.Key))
}

// ErrMalformedHash is returned for a stored hash that is not an argon2id PHC
// string this package accepts. It is an internal error: stored hashes come
// from Hash.
var ErrMalformedHash = errors.New("account: malformed password hash")

// ParsePHC parses an argon2id PHC string strictly: version 19, parameters
// in the order m, t, p without leading zeros, unpadded base64, and every
// number within this package's limits. Anything else is ErrMalformedHash.
func ParsePHC(s string) (PHC, error) {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v=19" {
		return PHC{}, ErrMalformedHash
	}
	kv := strings.Split(parts[3], ",")
	if len(kv) != 3 {
		return PHC{}, ErrMalformedHash
	}
	var nums [3]uint64
	for i, name := range [3]string{"m=", "t=", "p="} {
		v, ok := strings.CutPrefix(kv[i], name)
		if !ok || v == "" || len(v) > 10 || (len(v) > 1 && v[0] == '0') {
			return PHC{}, ErrMalformedHash
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return PHC{}, ErrMalformedHash
		}
		nums[i] = n
	}
	if nums[2] > 255 {
		return PHC{}, ErrMalformedHash
	}
	if !isB64(parts[4]) || !isB64(parts[5]) {
		return PHC{}, ErrMalformedHash // the decoder would skip \r and \n
	}
	salt, err1 := b64.Strict().DecodeString(parts[4])
	key, err2 := b64.Strict().DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return PHC{}, ErrMalformedHash
	}
	h := PHC{
		Params: HashParams{Memory: uint32(nums[0]), Time: uint32(nums[1]), Threads: uint8(nums[2]),
			KeyLen: uint32(len(key)), SaltLen: uint32(len(salt))},
		Salt: salt, Key: key,
	}
	if h.Params.Validate() != nil {
		return PHC{}, ErrMalformedHash
	}
	return h, nil
}

func isB64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}

// Hasher hashes and verifies passwords with argon2id. It bounds the number
// of hashes computed at once (each holds Params.Memory) with a semaphore;
// callers wait for a slot or for their context. Safe for concurrent use.
//
// Passwords are normalised to Unicode NFKC before hashing, so that the
// full-width digits of a Chinese input method and composed or decomposed
// accents verify alike; the policy checks the same normalised form.
type Hasher struct {
	params HashParams
	sem    chan struct{}
	rand   io.Reader
}

// HasherOptions configure a Hasher.
type HasherOptions struct {
	// Concurrency is the number of hashes computed at once; 0 means
	// runtime.GOMAXPROCS(0).
	Concurrency int
	// Rand is the salt source; nil means crypto/rand.
	Rand io.Reader
}

// NewHasher returns a Hasher producing hashes with params. It fails when
// params are outside this package's limits.
func NewHasher(params HashParams, opts HasherOptions) (*Hasher, error) {
	if err := params.Validate(); err != nil {
		return nil, err
	}
	n := opts.Concurrency
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	r := opts.Rand
	if r == nil {
		r = rand.Reader
	}
	return &Hasher{params: params, sem: make(chan struct{}, n), rand: r}, nil
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() HashParams { return h.params }

func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return &errs.Error{Kind: errs.Unavailable, Code: "unavailable", Msg: "password hashing queue", Err: err}
	}
	select {
	case h.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &errs.Error{Kind: errs.Unavailable, Code: "unavailable", Msg: "password hashing queue", Err: ctx.Err()}
	}
}

func (h *Hasher) release() { <-h.sem }

// Hash returns the PHC string of password under the Hasher's parameters
// and a fresh salt. It does not apply the password policy (call
// PasswordPolicy.Check first). Errors: the context ended while waiting for
// a slot (errs.Unavailable), or the password is over 1024 bytes (an
// *errs.Error with code password.too_long).
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if len(password) > maxPasswordBytes {
		return "", tooLong("body.password")
	}
	salt := make([]byte, h.params.SaltLen)
	if _, err := io.ReadFull(h.rand, salt); err != nil {
		return "", fmt.Errorf("account: password salt: %w", err)
	}
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	key := derive(password, salt, h.params)
	return PHC{Params: h.params, Salt: salt, Key: key}.String(), nil
}

func derive(password string, salt []byte, p HashParams) []byte {
	return argon2.IDKey([]byte(norm.NFKC.String(password)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
}

// Verify reports whether password matches encoded, comparing in constant
// time with the parameters stored in encoded (which may differ from the
// Hasher's; see NeedsRehash). A wrong password is (false, nil). A malformed
// encoded hash is ErrMalformedHash; a context that ended while waiting for
// a slot is errs.Unavailable. A password over 1024 bytes never matches.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	phc, err := ParsePHC(encoded)
	if err != nil {
		return false, err
	}
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	tooLong := len(password) > maxPasswordBytes
	if tooLong {
		password = "" // still spend the time; never match
	}
	key := derive(password, phc.Salt, phc.Params)
	return subtle.ConstantTimeCompare(key, phc.Key) == 1 && !tooLong, nil
}

// VerifyAbsent spends the time of one Verify with the Hasher's parameters
// and always reports false. Login calls it when no account matches the
// identifier, so that response time does not reveal which accounts exist.
func (h *Hasher) VerifyAbsent(ctx context.Context, password string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	if len(password) > maxPasswordBytes {
		password = ""
	}
	_ = derive(password, make([]byte, h.params.SaltLen), h.params)
	return false, nil
}

// NeedsRehash reports whether encoded was made with other parameters than
// the Hasher's (or cannot be parsed): after a successful Verify, the app
// stores Hash(password) again.
func (h *Hasher) NeedsRehash(encoded string) bool {
	phc, err := ParsePHC(encoded)
	return err != nil || phc.Params != h.params
}
