package app

import (
	"context"
	"encoding/hex"
	"errors"
	"time"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/store"
)

// APIKeyView is an API key as listed: its prefix, never the secret.
type APIKeyView struct {
	ID, Name, Display                string
	Scopes                           []string
	CreatedAt                        time.Time
	LastUsedAt, ExpiresAt, RevokedAt time.Time
}

func apiKeyView(r store.APIKeyRow) APIKeyView {
	k := account.APIKey{Prefix: r.Prefix}
	return APIKeyView{ID: r.ID, Name: r.Name, Display: k.Display(), Scopes: r.Scopes, CreatedAt: r.CreatedAt,
		LastUsedAt: r.LastUsedAt, ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt}
}

func domainKey(r store.APIKeyRow) account.APIKey {
	h, _ := hex.DecodeString(r.Hash)
	ps := make([]account.Permission, len(r.Scopes))
	for i, s := range r.Scopes {
		ps[i] = account.Permission(s)
	}
	return account.APIKey{ID: r.ID, AccountID: r.AccountID, Name: r.Name, Prefix: r.Prefix, Hash: h, Scopes: ps,
		CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, RevokedAt: r.RevokedAt, LastUsedAt: r.LastUsedAt}
}

// APIKeyCreate makes an API key for p with scopes (permissions p holds that
// the catalog allows on keys: account.ValidateKeyScopes) and an optional
// expiry. The full key is returned once and stored only as a hash; a
// prefix collision is retried with a new key.
func (a *App) APIKeyCreate(ctx context.Context, p account.Principal, name string, scopes []string, expiresAt time.Time) (APIKeyView, string, error) {
	if err := a.Authorize(ctx, p, "api_key.manage_own", p.SelfObject()); err != nil {
		return APIKeyView{}, "", err
	}
	if !expiresAt.IsZero() && !expiresAt.After(a.Now()) {
		return APIKeyView{}, "", errs.Invalidf(account.CodeAPIKeyName, "body.expires_at", "future", nil)
	}
	for attempt := 0; ; attempt++ {
		var view APIKeyView
		var full string
		err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			k, key, err := account.NewAPIKey(account.NewAPIKeyParams{ID: id.NewAt(tx.Now), Owner: p, Name: name, Scopes: scopes, Now: tx.Now, ExpiresAt: expiresAt})
			if err != nil {
				return err
			}
			row := store.APIKeyRow{ID: k.ID, AccountID: p.AccountID, Name: k.Name, Prefix: k.Prefix, Hash: hex.EncodeToString(k.Hash),
				CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt}
			for _, s := range k.Scopes {
				row.Scopes = append(row.Scopes, string(s))
			}
			if err := tx.APIKeyInsert(ctx, row); err != nil {
				return err
			}
			view, full = apiKeyView(row), key
			return a.Audit(ctx, tx, AuditEntry{Action: "account.api_key_created", SubjectType: "api_key", SubjectID: k.ID,
				Data: map[string]any{"account_id": p.AccountID, "name": k.Name, "prefix": k.Prefix, "scopes": row.Scopes}})
		})
		if errors.Is(err, errs.ErrDuplicate) && attempt < 3 {
			continue // prefix collision: a new key
		}
		return view, full, err
	}
}

// APIKeys lists p's keys, newest first, revoked ones included.
func (a *App) APIKeys(ctx context.Context, p account.Principal) ([]APIKeyView, error) {
	if err := a.Authorize(ctx, p, "api_key.manage_own", p.SelfObject()); err != nil {
		return nil, err
	}
	rows, err := store.APIKeysOf(ctx, a.db, p.AccountID)
	if err != nil {
		return nil, err
	}
	out := make([]APIKeyView, 0, len(rows))
	for _, r := range rows {
		out = append(out, apiKeyView(r))
	}
	return out, nil
}

// APIKeyRevoke revokes one of p's keys (or, for an enterprise owner, a
// sub-user's); another account's key is api_key.not_found. Revoking twice
// is not an error.
func (a *App) APIKeyRevoke(ctx context.Context, p account.Principal, keyID string) error {
	r, err := store.APIKeyGet(ctx, a.db, keyID)
	if store.IsNotFound(err) {
		return errNotFound("api_key")
	}
	if err != nil {
		return err
	}
	owner, err := loadAccount(ctx, a.db, r.AccountID)
	if err != nil {
		return err
	}
	obj := owner.object()
	obj.Type = "api_key"
	if err := a.Authorize(ctx, p, "api_key.manage_own", obj); err != nil {
		return err
	}
	return a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		ok, err := tx.APIKeyRevoke(ctx, keyID)
		if err != nil || !ok {
			return err
		}
		return a.Audit(ctx, tx, AuditEntry{Action: "account.api_key_revoked", SubjectType: "api_key", SubjectID: keyID,
			Data: map[string]any{"account_id": r.AccountID, "prefix": r.Prefix}})
	})
}

// AuthenticateAPIKey resolves a presented key to the principal of its
// owner (loaded fresh) bounded by the key's scopes. Malformed, unknown,
// wrong, revoked and expired keys are Unauthenticated api_key.*; an owner
// that may not log in is api_key.invalid. Last use is written at most once
// a minute (conditional, not audited: bookkeeping).
func (a *App) AuthenticateAPIKey(ctx context.Context, key string) (account.Principal, error) {
	pk, err := account.ParseAPIKey(key)
	if err != nil {
		return account.Principal{}, err
	}
	r, err := store.APIKeyByPrefix(ctx, a.db, pk.Prefix)
	if store.IsNotFound(err) {
		return account.Principal{}, &errs.Error{Kind: errs.Unauthenticated, Code: account.CodeAPIKeyInvalid, Msg: "invalid API key"}
	}
	if err != nil {
		return account.Principal{}, err
	}
	now := a.Now()
	k := domainKey(r)
	if err := k.Check(pk, now); err != nil {
		return account.Principal{}, err
	}
	owner, err := loadAccount(ctx, a.db, r.AccountID)
	if err != nil {
		return account.Principal{}, err
	}
	if !account.State(owner.row.State).CanLogIn() {
		return account.Principal{}, &errs.Error{Kind: errs.Unauthenticated, Code: account.CodeAPIKeyInvalid, Msg: "invalid API key"}
	}
	if k.NeedsTouch(now) {
		if err := a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
			_, err := tx.APIKeyTouch(ctx, r.ID, r.LastUsedAt, tx.Now)
			return err
		}); err != nil {
			return account.Principal{}, err
		}
	}
	return k.Principal(owner.principal()), nil
}
