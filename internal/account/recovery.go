package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"time"

	"yuanxu/internal/errs"
)

// Recovery codes: RecoveryCodeCount single-use codes shown once when
// two-factor is set up (or the codes are regenerated, which voids the old
// ones). Format "xxxx-xxxx" over recoveryAlphabet: lower-case letters and
// digits without the look-alikes 0, 1, i, l and o; about 39.6 bits each.
//
// Storage: HMAC-SHA256 under a server-side key (a pepper from
// configuration, at least 32 bytes), over a versioned domain, the account
// id and the normalised code. A fast keyed hash suffices where argon2id
// would not add anything: the codes are random, not chosen by people, so a
// stolen table without the key reveals nothing and with the key still needs
// a 2^39 search per code, while online guessing goes through the login
// throttle. Binding the account id means a row copied to another account
// verifies nothing.
//
// Single use: the app consumes a code with one conditional update (SET
// used_at = now WHERE account_id = ? AND hash = ? AND used_at IS NULL) and
// accepts it only when a row changed.
const (
	RecoveryCodeCount = 10
	recoveryAlphabet  = "23456789abcdefghjkmnpqrstuvwxyz" // 31 symbols
	recoveryLen       = 8
	recoveryDomain    = "yuanxu/account/recovery-code/v1"
	// MinKeyLen is the shortest HMAC key (pepper) this package accepts.
	MinKeyLen = 32
)

// ErrShortKey is returned when an HMAC key is shorter than MinKeyLen.
var ErrShortKey = errors.New("account: HMAC key shorter than 32 bytes")

// RecoveryCode is one stored recovery code.
type RecoveryCode struct {
	Hash   []byte
	UsedAt time.Time // zero while unused
}

// GenerateRecoveryCodes returns RecoveryCodeCount fresh codes for display
// (once) and their stored form. rnd nil means crypto/rand.
func GenerateRecoveryCodes(key []byte, accountID string, rnd io.Reader) ([]string, []RecoveryCode, error) {
	if len(key) < MinKeyLen {
		return nil, nil, ErrShortKey
	}
	if rnd == nil {
		rnd = rand.Reader
	}
	plain := make([]string, 0, RecoveryCodeCount)
	stored := make([]RecoveryCode, 0, RecoveryCodeCount)
	seen := map[string]bool{}
	for len(plain) < RecoveryCodeCount {
		raw, err := randomString(rnd, recoveryAlphabet, recoveryLen)
		if err != nil {
			return nil, nil, err
		}
		if seen[raw] {
			continue
		}
		seen[raw] = true
		plain = append(plain, raw[:4]+"-"+raw[4:])
		stored = append(stored, RecoveryCode{Hash: recoveryMAC(key, accountID, raw)})
	}
	return plain, stored, nil
}

// randomString draws n symbols uniformly from alphabet (at most 256
// symbols) by rejection sampling.
func randomString(rnd io.Reader, alphabet string, n int) (string, error) {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+8)
	for len(out) < n {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// NormalizeRecoveryCode returns the 8 symbols of a code as typed: case,
// spaces, dashes and full-width forms are forgiven; anything else (or a
// look-alike the alphabet lacks) gives "".
func NormalizeRecoveryCode(s string) string {
	if len(s) > 64 {
		return ""
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'Ａ' && r <= 'Ｚ':
			r = 'a' + (r - 'Ａ')
		case r >= 'ａ' && r <= 'ｚ':
			r = 'a' + (r - 'ａ')
		case r >= '０' && r <= '９':
			r = '0' + (r - '０')
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		}
		switch {
		case r == ' ' || r == '-' || r == '\u3000' || r == '－':
			continue
		case r < 128 && strings.IndexByte(recoveryAlphabet, byte(r)) >= 0:
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != recoveryLen {
		return ""
	}
	return b.String()
}

// HashRecoveryCode returns the stored form of the code input (as typed),
// for the app's conditional consume. A malformed input is an *errs.Error
// recovery_code.invalid (field body.recovery_code); a short key is
// ErrShortKey.
func HashRecoveryCode(key []byte, accountID, input string) ([]byte, error) {
	if len(key) < MinKeyLen {
		return nil, ErrShortKey
	}
	c := NormalizeRecoveryCode(input)
	if c == "" {
		return nil, recoveryErr()
	}
	return recoveryMAC(key, accountID, c), nil
}

// MatchRecoveryCode finds the unused stored code equal to input, comparing
// every candidate in constant time, and returns its index. It is for
// callers that hold the codes in memory; the store's conditional update is
// what makes a code single-use under concurrency.
func MatchRecoveryCode(key []byte, accountID, input string, stored []RecoveryCode) (int, error) {
	h, err := HashRecoveryCode(key, accountID, input)
	if err != nil {
		return -1, err
	}
	found := -1
	for i, rc := range stored {
		if subtle.ConstantTimeCompare(h, rc.Hash) == 1 && rc.UsedAt.IsZero() && found < 0 {
			found = i
		}
	}
	if found < 0 {
		return -1, recoveryErr()
	}
	return found, nil
}

func recoveryErr() error {
	return &errs.Error{Kind: errs.Invalid, Code: CodeRecoveryInvalid, Msg: "recovery code not accepted",
		Fields: []errs.FieldError{{Field: "body.recovery_code", Rule: "invalid"}}}
}

func recoveryMAC(key []byte, accountID, normalized string) []byte {
	return keyedSum(key, recoveryDomain, accountID, normalized)
}

// keyedSum is HMAC-SHA256 under key of a domain string followed by each
// part, length-prefixed so that part boundaries are unambiguous.
func keyedSum(key []byte, domain string, parts ...string) []byte {
	m := hmac.New(sha256.New, key)
	io.WriteString(m, domain)
	var n [4]byte
	for _, p := range parts {
		binary.BigEndian.PutUint32(n[:], uint32(len(p)))
		m.Write(n[:])
		io.WriteString(m, p)
	}
	return m.Sum(nil)
}
