package store

import (
	"context"
	"database/sql"
	"time"
)

// SessionRow is one server-side session. TokenHash is the hex SHA-256 of
// the cookie token; MFACompletedAt zero means the second factor is due.
type SessionRow struct {
	TokenHash, ID, AccountID string
	CreatedAt, LastSeenAt    time.Time
	Idle                     time.Duration
	ExpiresAt                time.Time
	MFACompletedAt           time.Time
	ReauthAt                 time.Time
	EndedAt                  time.Time
	EndReason                string
	ClientIPEnc, UserAgent   string
}

const sessionCols = `token_hash, id, account_id, created_at_ms, last_seen_at_ms, idle_ms, expires_at_ms, mfa_completed_at_ms,
 reauth_at_ms, ended_at_ms, end_reason, client_ip_enc, user_agent`

func scanSession(s scanner) (SessionRow, error) {
	var r SessionRow
	var created, seen, idle, exp, reauth int64
	var mfa, ended sql.NullInt64
	var ip sql.NullString
	if err := s.Scan(&r.TokenHash, &r.ID, &r.AccountID, &created, &seen, &idle, &exp, &mfa, &reauth, &ended, &r.EndReason, &ip, &r.UserAgent); err != nil {
		return r, err
	}
	r.CreatedAt, r.LastSeenAt, r.Idle, r.ExpiresAt = FromMs(created), FromMs(seen), time.Duration(idle)*time.Millisecond, FromMs(exp)
	r.MFACompletedAt, r.ReauthAt, r.EndedAt, r.ClientIPEnc = FromNullMs(mfa), FromMs(reauth), FromNullMs(ended), ip.String
	return r, nil
}

// SessionInsert stores a new session; a token hash or id that exists
// already is errs.ErrDuplicate.
func (tx *Tx) SessionInsert(ctx context.Context, s SessionRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO account_session (`+sessionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		s.TokenHash, s.ID, s.AccountID, Ms(s.CreatedAt), Ms(s.LastSeenAt), s.Idle.Milliseconds(), Ms(s.ExpiresAt), NullMs(s.MFACompletedAt),
		Ms(s.ReauthAt), NullMs(s.EndedAt), s.EndReason, nullStr(s.ClientIPEnc), s.UserAgent)
	return err
}

// SessionByTokenHash reads the session whose token hashes to h.
func SessionByTokenHash(ctx context.Context, q Querier, h string) (SessionRow, error) {
	return scanSession(q.QueryRow(ctx, `SELECT `+sessionCols+` FROM account_session WHERE token_hash = $1`, h))
}

// scanSessionAccount scans a row of sessionCols then accountCols:
// scanSession's Scan runs scanAccount, whose Scan reads the whole row, and
// each then converts its own columns.
func scanSessionAccount(row scanner) (SessionRow, AccountRow, error) {
	var acc AccountRow
	sess, err := scanSession(scanFunc(func(sessionDest ...any) error {
		var err error
		acc, err = scanAccount(scanFunc(func(accountDest ...any) error {
			return row.Scan(append(sessionDest, accountDest...)...)
		}))
		return err
	}))
	return sess, acc, err
}

// SessionByID reads a session by its public id.
func SessionByID(ctx context.Context, q Querier, id string) (SessionRow, error) {
	return scanSession(q.QueryRow(ctx, `SELECT `+sessionCols+` FROM account_session WHERE id = $1`, id))
}

// SessionsOf lists an account's sessions that have not ended and whose
// absolute expiry is after now, newest first.
func SessionsOf(ctx context.Context, q Querier, accountID string, now time.Time) ([]SessionRow, error) {
	rows, err := q.Query(ctx, `SELECT `+sessionCols+` FROM account_session WHERE account_id = $1 AND ended_at_ms IS NULL AND expires_at_ms > $2
ORDER BY created_at_ms DESC`, accountID, Ms(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SessionRow
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// SessionTouch sets last_seen_at to now if it is still seen (the value the
// caller read) and the session has not ended: concurrent requests write
// once.
func (tx *Tx) SessionTouch(ctx context.Context, tokenHash string, seen, now time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE account_session SET last_seen_at_ms = $1 WHERE token_hash = $2 AND last_seen_at_ms = $3 AND ended_at_ms IS NULL`,
		Ms(now), tokenHash, Ms(seen))
	return n == 1, err
}

// SessionReauth records a fresh password entry on a live session.
func (tx *Tx) SessionReauth(ctx context.Context, tokenHash string, at time.Time) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE account_session SET reauth_at_ms = $1, last_seen_at_ms = $1 WHERE token_hash = $2 AND ended_at_ms IS NULL`, Ms(at), tokenHash)
	return n == 1, err
}

// SessionCompleteMFA completes the second factor of a pending session and
// rotates its token: it succeeds once (ok=false if the session is not
// pending any more or ended).
func (tx *Tx) SessionCompleteMFA(ctx context.Context, oldHash, newHash string, s SessionRow) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE account_session SET token_hash = $1, mfa_completed_at_ms = $2, reauth_at_ms = $3, last_seen_at_ms = $4, expires_at_ms = $5
WHERE token_hash = $6 AND mfa_completed_at_ms IS NULL AND ended_at_ms IS NULL`,
		newHash, Ms(s.MFACompletedAt), Ms(s.ReauthAt), Ms(s.LastSeenAt), Ms(s.ExpiresAt), oldHash)
	return n == 1, err
}

// SessionEnd ends one session (ok=false if it had ended already).
func (tx *Tx) SessionEnd(ctx context.Context, tokenHash, reason string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE account_session SET ended_at_ms = $1, end_reason = $2 WHERE token_hash = $3 AND ended_at_ms IS NULL`,
		Ms(tx.Now), reason, tokenHash)
	return n == 1, err
}

// SessionEndAll ends every live session of an account except the one with
// token hash keep ("" keeps none) and returns how many it ended.
func (tx *Tx) SessionEndAll(ctx context.Context, accountID, reason, keep string) (int64, error) {
	return tx.Exec(ctx, `UPDATE account_session SET ended_at_ms = $1, end_reason = $2 WHERE account_id = $3 AND ended_at_ms IS NULL AND token_hash <> $4`,
		Ms(tx.Now), reason, accountID, keep)
}

// DeviceInsert remembers a device (hex hash of its cookie) for an account.
func (tx *Tx) DeviceInsert(ctx context.Context, accountID, tokenHash string, expires time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO account_device (token_hash, account_id, created_at_ms, last_used_at_ms, expires_at_ms) VALUES ($1, $2, $3, $3, $4)`,
		tokenHash, accountID, Ms(tx.Now), Ms(expires))
	return err
}

// DeviceKnown reports whether tokenHash is a device of accountID that has
// not expired at now.
func DeviceKnown(ctx context.Context, q Querier, accountID, tokenHash string, now time.Time) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM account_device WHERE token_hash = $1 AND account_id = $2 AND expires_at_ms > $3`,
		tokenHash, accountID, Ms(now)).Scan(&n)
	return n > 0, err
}

// DeviceUsed extends a known device's life after a successful login.
func (tx *Tx) DeviceUsed(ctx context.Context, tokenHash string, expires time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE account_device SET last_used_at_ms = $1, expires_at_ms = $2 WHERE token_hash = $3`, Ms(tx.Now), Ms(expires), tokenHash)
	return err
}

// KnownIPSet records a successful login from an address (hex blind index).
func (tx *Tx) KnownIPSet(ctx context.Context, accountID, ipIndex string) error {
	_, err := tx.Exec(ctx, `INSERT INTO account_known_ip (account_id, ip_index, last_login_at_ms) VALUES ($1, $2, $3)
ON CONFLICT (account_id, ip_index) DO UPDATE SET last_login_at_ms = excluded.last_login_at_ms`, accountID, ipIndex, Ms(tx.Now))
	return err
}

// KnownIP reports whether the address logged into the account after since.
func KnownIP(ctx context.Context, q Querier, accountID, ipIndex string, since time.Time) (bool, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM account_known_ip WHERE account_id = $1 AND ip_index = $2 AND last_login_at_ms > $3`,
		accountID, ipIndex, Ms(since)).Scan(&n)
	return n > 0, err
}

// ThrottleCounter is one login-throttle counter.
type ThrottleCounter struct {
	Failures int
	Last     time.Time
}

// ThrottleGet reads a counter (zero if it was never written).
func ThrottleGet(ctx context.Context, q Querier, key string) (ThrottleCounter, error) {
	var c ThrottleCounter
	var last int64
	err := q.QueryRow(ctx, `SELECT failures, last_ms FROM login_throttle WHERE key = $1`, key).Scan(&c.Failures, &last)
	if IsNotFound(err) {
		return ThrottleCounter{}, nil
	}
	c.Last = FromMs(last)
	return c, err
}

// ThrottleFail counts one failure at now, atomically across instances: a
// counter whose last failure is resetAfter old or more starts again at 1
// (account.Counter.Fail in SQL).
func (tx *Tx) ThrottleFail(ctx context.Context, key string, now time.Time, resetAfter time.Duration) error {
	_, err := tx.Exec(ctx, `INSERT INTO login_throttle (key, failures, last_ms) VALUES ($1, 1, $2)
ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN login_throttle.last_ms <= $3 THEN 1 ELSE login_throttle.failures + 1 END, last_ms = $2`,
		key, Ms(now), Ms(now.Add(-resetAfter)))
	return err
}

// ThrottleReset forgets a counter.
func (tx *Tx) ThrottleReset(ctx context.Context, key string) error {
	_, err := tx.Exec(ctx, `DELETE FROM login_throttle WHERE key = $1`, key)
	return err
}
