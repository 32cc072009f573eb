package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/notify"
	"yuanxu/internal/pii"
	"yuanxu/internal/policy"
	"yuanxu/internal/store"
)

// AccountConfig configures accounts and access. Zero fields take their
// defaults: account.ProductionParams, GOMAXPROCS concurrent hashes,
// account.DefaultThrottlePolicy and policy.BuiltinVersion.
type AccountConfig struct {
	Hash             account.HashParams // tests and the demo: account.TestParams
	HashConcurrency  int
	AgreementVersion string // recorded at registration until the agreement issue lands
	Throttle         account.ThrottlePolicy
}

type accounts struct {
	cfg    AccountConfig
	hasher *account.Hasher
	codes  *account.Codes
	recKey []byte // recovery-code pepper, derived from the session key
}

// ConfigureAccounts checks c and makes it this App's account
// configuration. Call it once, after New and before Start; a second call
// fails. An App that is never configured uses the defaults.
func (a *App) ConfigureAccounts(c AccountConfig) error {
	s, err := a.newAccounts(c)
	if err != nil {
		return err
	}
	if !a.accountCfg.CompareAndSwap(nil, s) {
		return errors.New("accounts: ConfigureAccounts called twice")
	}
	return nil
}

func (a *App) newAccounts(c AccountConfig) (*accounts, error) {
	if c.Hash == (account.HashParams{}) {
		c.Hash = account.ProductionParams
	}
	if c.Throttle == (account.ThrottlePolicy{}) {
		c.Throttle = account.DefaultThrottlePolicy
	}
	if c.AgreementVersion == "" {
		c.AgreementVersion = policy.BuiltinVersion
	}
	h, err := account.NewHasher(c.Hash, account.HasherOptions{Concurrency: c.HashConcurrency})
	if err != nil {
		return nil, err
	}
	codes, err := account.NewCodes(a.derivedKey("verification-code"), nil)
	if err != nil {
		return nil, err
	}
	return &accounts{cfg: c, hasher: h, codes: codes, recKey: a.derivedKey("recovery-code")}, nil
}

// derivedKey is a 32-byte key for one purpose, derived from the session key
// (shared by every instance).
func (a *App) derivedKey(purpose string) []byte {
	m := hmac.New(sha256.New, a.secrets.SessionKey)
	m.Write([]byte("yuanxu/app/" + purpose + "/v1"))
	return m.Sum(nil)
}

func (a *App) acc() *accounts {
	if s := a.accountCfg.Load(); s != nil {
		return s
	}
	s, err := a.newAccounts(AccountConfig{})
	if err != nil {
		panic(err) // defaults are valid
	}
	if a.accountCfg.CompareAndSwap(nil, s) {
		return s
	}
	return a.accountCfg.Load()
}

// AccountView is what callers see of an account: masked contact data only.
type AccountView struct {
	ID, DisplayName, EmailMasked, PhoneMasked, Lang string
	Kind                                            account.Kind
	State                                           account.State
	EmailVerified, PhoneVerified, TOTPEnabled       bool
	MarketingOptOut                                 bool
	Roles                                           []account.Role
	Scopes                                          []account.Scope
	OwnerID                                         string
	Standing                                        account.Standing
	CreatedAt                                       time.Time
}

// SessionView is one session in the sessions list. ID is the public id,
// never the token.
type SessionView struct {
	ID                               string
	Current                          bool
	CreatedAt, LastSeenAt, ExpiresAt time.Time
	ClientIP, UserAgent              string
	MFAComplete                      bool
}

// Authorize is the one authorisation point: every account use case calls
// it, and later capabilities do too. It answers account.Can's decision as
// an *errs.Error (NotFound for a customer outside its reach, Forbidden,
// Unauthenticated) or nil.
func (a *App) Authorize(ctx context.Context, p account.Principal, perm account.Permission, obj account.Object) error {
	d := account.Can(p, perm, obj)
	if d.Allowed {
		return nil
	}
	a.log.DebugContext(ctx, "authz denied", "account", p.AccountID, "perm", string(perm), "reason", d.Reason)
	return d.Err()
}

// loaded is an account row with what authorisation needs.
type loaded struct {
	row       store.AccountRow
	roles     []account.Role
	scopes    []account.Scope
	standing  account.Standing // own
	effective account.Standing // merged with the enterprise's for a sub-user
}

func (l loaded) domain() account.Account {
	return account.Account{ID: l.row.ID, Kind: account.Kind(l.row.Kind), State: account.State(l.row.State), DisplayName: l.row.DisplayName,
		OwnerID: l.row.OwnerID, ResellerID: l.row.ResellerID, Roles: l.roles, Scopes: l.scopes, Standing: l.standing, CreatedAt: l.row.CreatedAt}
}

func (l loaded) principal() account.Principal {
	p := l.domain().Principal()
	p.Standing = l.effective
	return p
}

// object is the account row as an authorisation object.
func (l loaded) object() account.Object {
	return account.Object{Type: "account", OwnerAccountID: l.row.ID, OwnerParentID: l.row.OwnerID, ResellerID: l.row.ResellerID}
}

func (l loaded) view() AccountView {
	return AccountView{ID: l.row.ID, DisplayName: l.row.DisplayName, EmailMasked: l.row.EmailMasked, PhoneMasked: l.row.PhoneMasked,
		Lang: l.row.Lang, Kind: account.Kind(l.row.Kind), State: account.State(l.row.State),
		EmailVerified: !l.row.EmailVerifiedAt.IsZero(), PhoneVerified: !l.row.PhoneVerifiedAt.IsZero(),
		TOTPEnabled: !l.row.TOTPEnabledAt.IsZero(), MarketingOptOut: l.row.MarketingOptOut,
		Roles: l.roles, Scopes: l.scopes, OwnerID: l.row.OwnerID, Standing: l.standing, CreatedAt: l.row.CreatedAt}
}

func standingOf(ms []store.MeasureRow) account.Standing {
	var s account.Standing
	for _, m := range ms {
		mm := &account.Measure{Flag: account.Flag(m.Flag), Reason: m.Reason, CaseRef: m.CaseRef, Since: m.Since}
		switch mm.Flag {
		case account.FlagRestricted:
			s.Restricted = mm
		case account.FlagSuspended:
			s.Suspended = mm
		case account.FlagBanned:
			s.Banned = mm
		}
	}
	return s
}

func loadStanding(ctx context.Context, q store.Querier, id string) (account.Standing, error) {
	ms, err := store.Measures(ctx, q, id, true)
	return standingOf(ms), err
}

// loadRow completes an account row with roles, scopes and standing (and,
// for a sub-user, its enterprise's standing merged in), in one statement.
func loadRow(ctx context.Context, q store.Querier, row store.AccountRow) (loaded, error) {
	az, err := store.AccountAuthzOf(ctx, q, row.ID, store.AuthzOwner(row))
	if err != nil {
		return loaded{row: row}, err
	}
	return loadedFrom(row, az), nil
}

// loadedFrom is the account of row with its roles, scopes and standing
// from az (store.AccountAuthzOf of row and its store.AuthzOwner).
func loadedFrom(row store.AccountRow, az store.AccountAuthz) loaded {
	l := loaded{row: row}
	for _, r := range az.Roles {
		l.roles = append(l.roles, account.Role(r))
	}
	for _, s := range az.Scopes {
		l.scopes = append(l.scopes, account.Scope(s))
	}
	l.standing = standingOf(az.Own)
	l.effective = l.standing
	if store.AuthzOwner(row) != "" {
		l.effective = l.standing.Merge(standingOf(az.Owner))
	}
	return l
}

// loadAccount reads an account by id; a missing one is account.not_found.
func loadAccount(ctx context.Context, q store.Querier, id string) (loaded, error) {
	row, err := store.AccountGet(ctx, q, id)
	if store.IsNotFound(err) {
		return loaded{}, errNotFound("account")
	}
	if err != nil {
		return loaded{}, err
	}
	return loadRow(ctx, q, row)
}

func errNotFound(typ string) error {
	return &errs.Error{Kind: errs.NotFound, Code: typ + ".not_found", Msg: "not found"}
}

// seal encrypts personal information into a base64 envelope bound to its
// table, column and row.
func (a *App) seal(table, column, row, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	b, err := a.secrets.PII.SealString(plain, pii.AAD{Table: table, Column: column, Row: row})
	return base64.StdEncoding.EncodeToString(b), err
}

// open decrypts what seal made ("" stays "").
func (a *App) open(table, column, row, enc string) (string, error) {
	if enc == "" {
		return "", nil
	}
	b, err := base64.StdEncoding.DecodeString(enc)
	if err != nil {
		return "", err
	}
	return a.secrets.PII.OpenString(b, pii.AAD{Table: table, Column: column, Row: row})
}

// blind is the hex blind index of a normalised value of kind.
func (a *App) blind(kind, norm string) string {
	return hex.EncodeToString(a.secrets.Blind.Sum(kind, norm))
}

// ipIndex is the blind index of a client address (throttle keys, known
// addresses).
func (a *App) ipIndex(ip string) string {
	if ip == "" {
		ip = "unknown"
	}
	return a.blind("client_ip", ip)
}

// contact is a parsed email or mainland mobile number.
type contact struct {
	Kind    string // pii.KindEmail or pii.KindPhone
	Norm    string
	Index   string
	Masked  string
	Channel string // "email" or "sms"
}

// parseContact reads s as an email (if it holds '@') or a mainland mobile
// number.
func (a *App) parseContact(s, field string) (contact, error) {
	if strings.Contains(s, "@") {
		n, err := account.ValidateEmail(s, field)
		if err != nil {
			return contact{}, err
		}
		return contact{Kind: pii.KindEmail, Norm: n, Index: a.blind(pii.KindEmail, n), Masked: pii.MaskEmail(n), Channel: "email"}, nil
	}
	n, err := account.ValidatePhone(s, field)
	if err != nil {
		return contact{}, err
	}
	return contact{Kind: pii.KindPhone, Norm: n, Index: a.blind(pii.KindPhone, n), Masked: pii.MaskPhone(n), Channel: "sms"}, nil
}

func (c contact) column() string {
	if c.Kind == pii.KindEmail {
		return "email"
	}
	return "phone"
}

func (c contact) recipient(accountID string) notify.Recipient {
	r := notify.Recipient{AccountID: accountID}
	if c.Kind == pii.KindEmail {
		r.Email = c.Norm
	} else {
		r.Phone = c.Norm
	}
	return r
}

func langOf(s string) notify.Lang {
	if notify.ParseLang(s) == notify.En {
		return notify.En
	}
	return notify.ZhCN
}

func rolesStrings(rs []account.Role) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, string(r))
	}
	slices.Sort(out)
	return out
}

func scopeStrings(ss []account.Scope) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, string(s))
	}
	slices.Sort(out)
	return out
}

// duplicateContact is the clear error for an email or phone that another
// account holds.
func duplicateContact(field string) error {
	code := "account.email_taken"
	if strings.HasSuffix(field, "phone") {
		code = "account.phone_taken"
	}
	return &errs.Error{Kind: errs.Conflict, Code: code, Msg: "already registered to another account",
		Fields: []errs.FieldError{{Field: field, Rule: "unique"}}}
}

// contactFree fails with duplicateContact when an account holds c.
func contactFree(ctx context.Context, q store.Querier, c contact, field string) error {
	_, err := store.AccountByIndex(ctx, q, c.column(), c.Index)
	if err == nil {
		return duplicateContact(field)
	}
	if store.IsNotFound(err) {
		return nil
	}
	return err
}
