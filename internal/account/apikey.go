package account

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"yuanxu/internal/errs"
)

// API keys have the form yx_<prefix>_<secret>: an 8-symbol prefix, unique,
// stored in the clear for lookup and display ("yx_ab3dk7qp_…"), and a
// 32-symbol secret (160 bits), both over the lower-case RFC 4648 base32
// alphabet. The database stores the SHA-256 of the whole key string; the
// key is shown once, at creation. A plain hash suffices because the secret
// is random and long.
const (
	APIKeyPrefix      = "yx_"
	apiKeyPrefixLen   = 8
	apiKeySecretLen   = 32
	apiKeyLen         = len(APIKeyPrefix) + apiKeyPrefixLen + 1 + apiKeySecretLen
	apiKeyAlphabet    = "abcdefghijklmnopqrstuvwxyz234567"
	maxAPIKeyNameLen  = 64
	apiKeyTouchPeriod = time.Minute
)

// APIKey is the stored form of an API key.
type APIKey struct {
	ID         string
	AccountID  string
	Name       string
	Prefix     string
	Hash       []byte // SHA-256 of the full key string
	Scopes     []Permission
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: no expiry
	RevokedAt  time.Time // zero: not revoked
	LastUsedAt time.Time // shown in the portal; written at most once a minute
}

// ParsedAPIKey is a presented key, split for lookup.
type ParsedAPIKey struct {
	Prefix string
	Hash   []byte
}

// ParseAPIKey checks the shape of a presented key and returns its prefix
// (to look the row up) and hash (to compare). Any other shape gives
// errs.Unauthenticated api_key.invalid, the same answer as an unknown or
// wrong key.
func ParseAPIKey(s string) (ParsedAPIKey, error) {
	if len(s) != apiKeyLen || !strings.HasPrefix(s, APIKeyPrefix) {
		return ParsedAPIKey{}, apiKeyErr(CodeAPIKeyInvalid)
	}
	rest := s[len(APIKeyPrefix):]
	prefix, secret, ok := strings.Cut(rest, "_")
	if !ok || len(prefix) != apiKeyPrefixLen || len(secret) != apiKeySecretLen || !inAlphabet(prefix) || !inAlphabet(secret) {
		return ParsedAPIKey{}, apiKeyErr(CodeAPIKeyInvalid)
	}
	h := sha256.Sum256([]byte(s))
	return ParsedAPIKey{Prefix: prefix, Hash: h[:]}, nil
}

func inAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(apiKeyAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}

// NewAPIKeyParams are the inputs of NewAPIKey.
type NewAPIKeyParams struct {
	ID        string // id.New()
	Owner     Principal
	Name      string
	Scopes    []string
	Now       time.Time
	ExpiresAt time.Time // zero: no expiry
	Rand      io.Reader // nil: crypto/rand
}

// NewAPIKey validates the request (ValidateAPIKeyName, ValidateKeyScopes;
// every problem in one *errs.Error) and makes a key. It returns the row to
// store and the full key to show once. A prefix collision is the store's
// unique-constraint error; the app retries with a new key.
func NewAPIKey(p NewAPIKeyParams) (APIKey, string, error) {
	var fe fieldErrors
	name, err := ValidateAPIKeyName(p.Name)
	if err != nil {
		fe.addFrom("body.name", err)
	}
	scopes, err := ValidateKeyScopes(p.Owner, p.Scopes)
	if err != nil {
		fe.addFrom("body.scopes", err)
	}
	if !p.ExpiresAt.IsZero() && !p.ExpiresAt.After(p.Now) {
		fe.add("body.expires_at", "after_now", nil)
	}
	if err := fe.err(CodeAPIKeyScope, "invalid API key request"); err != nil {
		return APIKey{}, "", err
	}
	rnd := p.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	prefix, err := randomString(rnd, apiKeyAlphabet, apiKeyPrefixLen)
	if err != nil {
		return APIKey{}, "", err
	}
	secret, err := randomString(rnd, apiKeyAlphabet, apiKeySecretLen)
	if err != nil {
		return APIKey{}, "", err
	}
	full := APIKeyPrefix + prefix + "_" + secret
	h := sha256.Sum256([]byte(full))
	return APIKey{
		ID: p.ID, AccountID: p.Owner.AccountID, Name: name, Prefix: prefix, Hash: h[:],
		Scopes: scopes, CreatedAt: p.Now, ExpiresAt: p.ExpiresAt,
	}, full, nil
}

// Display is how the portal lists the key: its prefix, never the secret.
func (k APIKey) Display() string { return APIKeyPrefix + k.Prefix + "_…" }

// Check returns nil if the presented key is k and usable at now: the hash
// matches (constant time), it is not revoked and not expired. Otherwise
// errs.Unauthenticated: api_key.invalid, api_key.revoked, api_key.expired.
func (k APIKey) Check(presented ParsedAPIKey, now time.Time) error {
	if presented.Prefix != k.Prefix || subtle.ConstantTimeCompare(presented.Hash, k.Hash) != 1 {
		return apiKeyErr(CodeAPIKeyInvalid)
	}
	if !k.RevokedAt.IsZero() {
		return apiKeyErr(CodeAPIKeyRevoked)
	}
	if !k.ExpiresAt.IsZero() && !now.Before(k.ExpiresAt) {
		return apiKeyErr(CodeAPIKeyExpired)
	}
	return nil
}

// NeedsTouch reports whether the app should write LastUsedAt = now.
func (k APIKey) NeedsTouch(now time.Time) bool { return now.Sub(k.LastUsedAt) >= apiKeyTouchPeriod }

// Principal returns the principal of a request made with k by owner (the
// key's account, loaded fresh): owner's principal, bounded by the key's
// scopes. Permissions the owner has lost since are lost to the key too.
func (k APIKey) Principal(owner Principal) Principal {
	owner.ViaAPIKey = true
	owner.KeyScopes = slices.Clone(k.Scopes)
	return owner
}

// KeyScopesFor lists the permissions p may put on an API key: those it
// holds that the catalog marks APIKey. Staff may have no keys.
func KeyScopesFor(p Principal) []Permission {
	if !p.Kind.Customer() {
		return nil
	}
	var out []Permission
	for _, s := range catalog {
		if s.APIKey && p.Holds(s.ID) {
			out = append(out, s.ID)
		}
	}
	return out
}

// ValidateKeyScopes checks requested key scopes for owner: at least one,
// each a permission in KeyScopesFor(owner). Duplicates are dropped. Every
// bad entry is reported (field body.scopes.<i>, rule "one_of") in one
// *errs.Error api_key.scope_invalid.
func ValidateKeyScopes(owner Principal, scopes []string) ([]Permission, error) {
	allowed := KeyScopesFor(owner)
	var fe fieldErrors
	if len(scopes) == 0 {
		fe.add("body.scopes", "required", nil)
	}
	var out []Permission
	for i, s := range scopes {
		p := Permission(s)
		if !slices.Contains(allowed, p) {
			fe.add(fmt.Sprintf("body.scopes.%d", i), "one_of", map[string]any{"allowed": permStrings(allowed)})
			continue
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if err := fe.err(CodeAPIKeyScope, "invalid API key scopes"); err != nil {
		return nil, err
	}
	return out, nil
}

func permStrings(ps []Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

// ValidateAPIKeyName trims name and checks it: 1 to 64 runes of valid
// UTF-8 without control characters (field body.name, code
// api_key.name_invalid).
func ValidateAPIKeyName(name string) (string, error) {
	n := strings.TrimSpace(name)
	switch {
	case n == "":
		return "", errs.Invalidf(CodeAPIKeyName, "body.name", "required", nil)
	case !utf8.ValidString(n) || strings.ContainsFunc(n, unicode.IsControl):
		return "", errs.Invalidf(CodeAPIKeyName, "body.name", "format", nil)
	case utf8.RuneCountInString(n) > maxAPIKeyNameLen:
		return "", errs.Invalidf(CodeAPIKeyName, "body.name", "max_length", map[string]any{"max": maxAPIKeyNameLen})
	}
	return n, nil
}

func apiKeyErr(code string) error {
	return &errs.Error{Kind: errs.Unauthenticated, Code: code, Msg: "API key not accepted"}
}
