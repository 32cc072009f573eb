package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// CodeRow is one verification code: the HMAC of its digits (hex), never
// the digits.
type CodeRow struct {
	ID, Purpose, Channel, TargetIndex, AccountID, MAC string
	CreatedAt, ExpiresAt                              time.Time
	Attempts                                          int
	UsedAt                                            time.Time
}

const codeCols = `id, purpose, channel, target_index, account_id, mac, created_at_ms, expires_at_ms, attempts, used_at_ms`

func scanCode(s scanner) (CodeRow, error) {
	var c CodeRow
	var created, exp int64
	var used sql.NullInt64
	if err := s.Scan(&c.ID, &c.Purpose, &c.Channel, &c.TargetIndex, &c.AccountID, &c.MAC, &created, &exp, &c.Attempts, &used); err != nil {
		return c, err
	}
	c.CreatedAt, c.ExpiresAt, c.UsedAt = FromMs(created), FromMs(exp), FromNullMs(used)
	return c, nil
}

// CodeInsert stores a newly issued code.
func (tx *Tx) CodeInsert(ctx context.Context, c CodeRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO verification_code (`+codeCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.ID, c.Purpose, c.Channel, c.TargetIndex, c.AccountID, c.MAC, Ms(c.CreatedAt), Ms(c.ExpiresAt), c.Attempts, NullMs(c.UsedAt))
	return err
}

// CodeGet reads a code by id.
func CodeGet(ctx context.Context, q Querier, id string) (CodeRow, error) {
	return scanCode(q.QueryRow(ctx, `SELECT `+codeCols+` FROM verification_code WHERE id = $1`, id))
}

// CodeLatest reads the newest code for a purpose and target.
func CodeLatest(ctx context.Context, q Querier, purpose, targetIndex string) (CodeRow, error) {
	return scanCode(q.QueryRow(ctx, `SELECT `+codeCols+` FROM verification_code WHERE purpose = $1 AND target_index = $2
ORDER BY created_at_ms DESC, id DESC LIMIT 1`, purpose, targetIndex))
}

// CodeUpdate writes a checked code's next state (attempts, used_at) only if
// the row is still in the state the caller read (attempts = prevAttempts,
// unused): concurrent guesses cannot exceed the attempt limit and a code is
// accepted once. ok=false means another request got there first.
func (tx *Tx) CodeUpdate(ctx context.Context, id string, prevAttempts int, next CodeRow) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE verification_code SET attempts = $1, used_at_ms = $2 WHERE id = $3 AND attempts = $4 AND used_at_ms IS NULL`,
		next.Attempts, NullMs(next.UsedAt), id, prevAttempts)
	return n == 1, err
}

// RecoveryReplace voids an account's recovery codes and stores hashes (hex)
// as the new set.
func (tx *Tx) RecoveryReplace(ctx context.Context, accountID string, hashes []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM recovery_code WHERE account_id = $1`, accountID); err != nil {
		return err
	}
	for _, h := range hashes {
		if _, err := tx.Exec(ctx, `INSERT INTO recovery_code (account_id, hash, created_at_ms) VALUES ($1, $2, $3)`, accountID, h, Ms(tx.Now)); err != nil {
			return err
		}
	}
	return nil
}

// RecoveryConsume uses the unused code with hash h: true exactly once.
func (tx *Tx) RecoveryConsume(ctx context.Context, accountID, h string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE recovery_code SET used_at_ms = $1 WHERE account_id = $2 AND hash = $3 AND used_at_ms IS NULL`, Ms(tx.Now), accountID, h)
	return n == 1, err
}

// RecoveryRemaining counts an account's unused recovery codes.
func RecoveryRemaining(ctx context.Context, q Querier, accountID string) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM recovery_code WHERE account_id = $1 AND used_at_ms IS NULL`, accountID).Scan(&n)
	return n, err
}

// APIKeyRow is one API key; Hash is the hex SHA-256 of the whole key.
type APIKeyRow struct {
	ID, AccountID, Name, Prefix, Hash string
	Scopes                            []string
	CreatedAt, ExpiresAt              time.Time
	RevokedAt, LastUsedAt             time.Time
}

const apiKeyCols = `id, account_id, name, prefix, hash, scopes, created_at_ms, expires_at_ms, revoked_at_ms, last_used_at_ms`

func scanAPIKey(s scanner) (APIKeyRow, error) {
	var k APIKeyRow
	var scopes string
	var created int64
	var exp, rev, used sql.NullInt64
	if err := s.Scan(&k.ID, &k.AccountID, &k.Name, &k.Prefix, &k.Hash, &scopes, &created, &exp, &rev, &used); err != nil {
		return k, err
	}
	k.Scopes = strings.Fields(scopes)
	k.CreatedAt, k.ExpiresAt, k.RevokedAt, k.LastUsedAt = FromMs(created), FromNullMs(exp), FromNullMs(rev), FromNullMs(used)
	return k, nil
}

// APIKeyInsert stores a key; a prefix that exists is errs.ErrDuplicate
// (the app retries with a new key).
func (tx *Tx) APIKeyInsert(ctx context.Context, k APIKeyRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO api_key (`+apiKeyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		k.ID, k.AccountID, k.Name, k.Prefix, k.Hash, strings.Join(k.Scopes, " "), Ms(k.CreatedAt), NullMs(k.ExpiresAt), NullMs(k.RevokedAt), NullMs(k.LastUsedAt))
	return err
}

// APIKeyByPrefix reads the key with a prefix.
func APIKeyByPrefix(ctx context.Context, q Querier, prefix string) (APIKeyRow, error) {
	return scanAPIKey(q.QueryRow(ctx, `SELECT `+apiKeyCols+` FROM api_key WHERE prefix = $1`, prefix))
}

// APIKeyGet reads a key by id.
func APIKeyGet(ctx context.Context, q Querier, id string) (APIKeyRow, error) {
	return scanAPIKey(q.QueryRow(ctx, `SELECT `+apiKeyCols+` FROM api_key WHERE id = $1`, id))
}

// APIKeysOf lists an account's keys, newest first.
func APIKeysOf(ctx context.Context, q Querier, accountID string) ([]APIKeyRow, error) {
	rows, err := q.Query(ctx, `SELECT `+apiKeyCols+` FROM api_key WHERE account_id = $1 ORDER BY created_at_ms DESC, id DESC`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIKeyRow
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// APIKeyRevoke revokes a key once (ok=false if it was revoked already).
func (tx *Tx) APIKeyRevoke(ctx context.Context, id string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE api_key SET revoked_at_ms = $1 WHERE id = $2 AND revoked_at_ms IS NULL`, Ms(tx.Now), id)
	return n == 1, err
}

// APIKeyTouch sets last_used_at to now if it still holds prev (the value
// the caller read): at most one write per period, whatever the traffic.
func (tx *Tx) APIKeyTouch(ctx context.Context, id string, prev, now time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE api_key SET last_used_at_ms = $1 WHERE id = $2 AND COALESCE(last_used_at_ms, 0) = $3`, Ms(now), id, NullMsOrZero(prev))
	return n == 1, err
}

// NullMsOrZero encodes an optional instant as 0 when it is zero.
func NullMsOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return Ms(t)
}
