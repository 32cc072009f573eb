package store

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// LedgerTxnRow is one balanced ledger transaction and its postings, as
// the app built and validated it (wallet.Txn). The store writes it once.
type LedgerTxnRow struct {
	ID, Reason, Memo string
	Links            map[string]string
	CustomerID       string // whose sub-balances it moves, '' for none
	CreatedBy        string
	CreatedAt        time.Time
	Postings         []LedgerPostingRow
	// Insufficient, when set, is the error a debit that would take a live
	// balance below zero fails with, from the *InsufficientError; nil:
	// that error itself. It applies however the failure is found — at
	// once, or when the debit went with the COMMIT (ADR 25).
	Insufficient func(*InsufficientError) error
}

// LedgerPostingRow is one posting. Live postings change their account's
// balance row in the same transaction, a debit by a conditional update
// that refuses to take it below zero (or, sent with the COMMIT on
// PostgreSQL, an update the row's CHECK refuses: ADR 25); the others (revenue, clearing, adjustments) are only
// appended and rolled up later, so that no checkout waits on a hot row.
type LedgerPostingRow struct {
	Account   string
	AmountFen int64
	Live      bool
}

// ErrInsufficient is returned by LedgerInsert when a live posting would
// take its account below zero; nothing of the transaction is kept once the
// caller returns it (the transaction rolls back).
var ErrInsufficient = errors.New("store: balance would go negative")

// ErrCheckViolation marks an engine's error for a row that failed a CHECK
// constraint (the dialect's TranslateErr wraps it).
var ErrCheckViolation = errors.New("store: check constraint violated")

// InsufficientError names the account a LedgerInsert refused.
type InsufficientError struct {
	Account   string
	AmountFen int64
}

func (e *InsufficientError) Error() string { return ErrInsufficient.Error() + ": " + e.Account }
func (e *InsufficientError) Unwrap() error { return ErrInsufficient }

// LedgerInsert appends t (its postings in one statement) and applies its
// live postings: credits, then debits as conditional updates, last. A
// debit that would take a live balance below zero fails with
// *InsufficientError (the caller's transaction must roll back).
func (tx *Tx) LedgerInsert(ctx context.Context, t LedgerTxnRow) error {
	links, err := json.Marshal(t.Links)
	if err != nil {
		return err
	}
	if err := tx.Write(ctx, `INSERT INTO ledger_txn (id, reason, memo, links, customer_id, created_by, created_at_ms)
 VALUES ($1, $2, $3, $4, $5, $6, $7)`, t.ID, t.Reason, t.Memo, string(links), t.CustomerID, t.CreatedBy, Ms(t.CreatedAt)); err != nil {
		return err
	}
	if len(t.Postings) > 0 {
		var q strings.Builder
		q.WriteString(`INSERT INTO ledger_posting (txn_id, seq, account, amount_fen, rolled) VALUES `)
		args := make([]any, 0, 5*len(t.Postings))
		for i, p := range t.Postings {
			if i > 0 {
				q.WriteString(", ")
			}
			n := len(args)
			q.WriteString("($" + itoa(n+1) + ", $" + itoa(n+2) + ", $" + itoa(n+3) + ", $" + itoa(n+4) + ", $" + itoa(n+5) + ")")
			rolled := int64(0)
			if p.Live {
				rolled = 1
			}
			args = append(args, t.ID, i, p.Account, p.AmountFen, rolled)
		}
		if err := tx.Write(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	// Live balances: credits first, then the conditional debits. A debit
	// locks its balance row until the commit (PostgreSQL), so it is the
	// transaction's last write here — nothing after it holds the row.
	for _, p := range t.Postings {
		if !p.Live || p.AmountFen <= 0 {
			continue
		}
		if err := tx.Write(ctx, `INSERT INTO ledger_balance (account, balance_fen, live, updated_at_ms) VALUES ($1, $2, 1, $3)
 ON CONFLICT (account) DO UPDATE SET balance_fen = ledger_balance.balance_fen + excluded.balance_fen, updated_at_ms = excluded.updated_at_ms`,
			p.Account, p.AmountFen, Ms(t.CreatedAt)); err != nil {
			return err
		}
	}
	for _, p := range t.Postings {
		if !p.Live || p.AmountFen > 0 {
			continue
		}
		// Run by a Last function on PostgreSQL, the debit goes with the
		// COMMIT (ADR 25), where nothing reads its count: it is an
		// unconditional update of a row made sure to exist (a row inserted
		// here holds zero), and a balance it would take below zero fails
		// the row's CHECK (live = 0 OR balance_fen >= 0; the account is
		// live), which fails the transaction as insufficient.
		var insufficient error = &InsufficientError{Account: p.Account, AmountFen: p.AmountFen}
		if t.Insufficient != nil {
			insufficient = t.Insufficient(insufficient.(*InsufficientError))
		}
		asInsufficient := func(err error) error {
			if errors.Is(err, ErrCheckViolation) {
				return insufficient
			}
			return err
		}
		if ok, err := tx.WriteAtCommit(ctx, nil, `INSERT INTO ledger_balance (account, balance_fen, live, updated_at_ms) VALUES ($1, 0, 1, $2)
 ON CONFLICT (account) DO NOTHING`, p.Account, Ms(t.CreatedAt)); ok || err != nil {
			if err == nil {
				_, err = tx.WriteAtCommit(ctx, asInsufficient, `UPDATE ledger_balance SET balance_fen = balance_fen + $2, updated_at_ms = $3
 WHERE account = $1`, p.Account, p.AmountFen, Ms(t.CreatedAt))
			}
			if err != nil {
				return err
			}
			continue
		}
		n, err := tx.Exec(ctx, `UPDATE ledger_balance SET balance_fen = balance_fen + $2, updated_at_ms = $3
 WHERE account = $1 AND balance_fen + $2 >= 0`, p.Account, p.AmountFen, Ms(t.CreatedAt))
		if err != nil {
			return err
		}
		if n != 1 {
			return insufficient
		}
	}
	return nil
}

// LedgerBalances returns the balances of accounts: a live account's row,
// or a rolled-up account's row plus its postings not yet rolled up.
// Accounts without postings are absent (zero).
func LedgerBalances(ctx context.Context, q Querier, accounts ...string) (map[string]int64, error) {
	out := make(map[string]int64, len(accounts))
	if len(accounts) == 0 {
		return out, nil
	}
	r := LedgerBalancesRead(out, accounts...)
	rows, err := q.Query(ctx, r.SQL, r.Args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if err := r.Scan(rows); err != nil {
		return nil, err
	}
	return out, rows.Err()
}

// LedgerBalancesRead is LedgerBalances as a Read, for ReadTogether: it
// adds each account's balance to out (accounts without postings are left
// absent). accounts must not be empty.
func LedgerBalancesRead(out map[string]int64, accounts ...string) Read {
	var ph []string
	args := make([]any, len(accounts))
	for i, a := range accounts {
		args[i] = a
		ph = append(ph, "$"+itoa(i+1))
	}
	in := strings.Join(ph, ", ") // used twice: both engines bind $n by number
	return Read{SQL: `SELECT account, balance_fen FROM ledger_balance WHERE account IN (` + in + `)
 UNION ALL SELECT account, SUM(amount_fen) FROM ledger_posting WHERE rolled = 0 AND account IN (` + in + `) GROUP BY account`,
		Args: args, Scan: func(rows RowScanner) error {
			for rows.Next() {
				var a string
				var v int64
				if err := rows.Scan(&a, &v); err != nil {
					return err
				}
				out[a] += v
			}
			return nil
		}}
}

// LedgerRollup folds up to limit unrolled postings into their accounts'
// balance rows and marks them rolled, exactly once whatever runs
// concurrently (the UPDATE … RETURNING claims the rows it sums).
func (tx *Tx) LedgerRollup(ctx context.Context, limit int) (int64, error) {
	rows, err := tx.Query(ctx, `SELECT DISTINCT account FROM ledger_posting WHERE rolled = 0 LIMIT $1`, limit)
	if err != nil {
		return 0, err
	}
	var accounts []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return 0, err
		}
		accounts = append(accounts, a)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, err
	}
	var total int64
	for _, a := range accounts {
		rs, err := tx.Query(ctx, `UPDATE ledger_posting SET rolled = 1 WHERE rolled = 0 AND account = $1 RETURNING amount_fen`, a)
		if err != nil {
			return total, err
		}
		var sum, n int64
		for rs.Next() {
			var v int64
			if err := rs.Scan(&v); err != nil {
				rs.Close()
				return total, err
			}
			sum += v
			n++
		}
		err = rs.Err()
		rs.Close()
		if err != nil {
			return total, err
		}
		if n == 0 {
			continue
		}
		if _, err := tx.Exec(ctx, `INSERT INTO ledger_balance (account, balance_fen, live, updated_at_ms) VALUES ($1, $2, 0, $3)
 ON CONFLICT (account) DO UPDATE SET balance_fen = ledger_balance.balance_fen + excluded.balance_fen, updated_at_ms = excluded.updated_at_ms`,
			a, sum, Ms(tx.Now)); err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

// LedgerFilter selects ledger transactions, newest first.
type LedgerFilter struct {
	CustomerID string // '' = every transaction
	Account    string // only transactions posting to this account
	Before     string // a transaction id, for paging
	Limit      int    // ≤ 0: 50
}

// LedgerTxns lists transactions with their postings.
func LedgerTxns(ctx context.Context, q Querier, f LedgerFilter) ([]LedgerTxnRow, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.CustomerID != "" {
		add("t.customer_id = ?", f.CustomerID)
	}
	if f.Account != "" {
		add("t.id IN (SELECT txn_id FROM ledger_posting WHERE account = ?)", f.Account)
	}
	if f.Before != "" {
		add("t.id < ?", f.Before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	query := `SELECT t.id, t.reason, t.memo, t.links, t.customer_id, t.created_by, t.created_at_ms FROM ledger_txn t`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	rows, err := q.Query(ctx, query+` ORDER BY t.id DESC LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	var out []LedgerTxnRow
	for rows.Next() {
		var t LedgerTxnRow
		var links string
		var at int64
		if err := rows.Scan(&t.ID, &t.Reason, &t.Memo, &links, &t.CustomerID, &t.CreatedBy, &at); err != nil {
			rows.Close()
			return nil, err
		}
		t.CreatedAt = FromMs(at)
		if err := json.Unmarshal([]byte(links), &t.Links); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, t)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	posts, err := ledgerPostingsOf(ctx, q, ids) // one statement for the page (batch_read.go)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Postings = posts[out[i].ID]
	}
	return out, nil
}

// LedgerReport is what LedgerVerify found: every transaction whose
// postings do not sum to zero, every balance row that differs from the sum
// of its postings (after the roll-up's pending part), every live balance
// below zero.
type LedgerReport struct {
	Txns, Postings int64
	Unbalanced     []string            // transaction ids
	Mismatched     map[string][2]int64 // account → {stored, Σ postings}
	Negative       map[string]int64
}

// OK reports whether the ledger holds.
func (r LedgerReport) OK() bool {
	return len(r.Unbalanced) == 0 && len(r.Mismatched) == 0 && len(r.Negative) == 0
}

// LedgerVerify checks the ledger's invariants (DESIGN.md §5) over every
// row, on the reader.
func (db *DB) LedgerVerify(ctx context.Context) (LedgerReport, error) {
	r := LedgerReport{Mismatched: map[string][2]int64{}, Negative: map[string]int64{}}
	if err := db.QueryRow(ctx, `SELECT (SELECT COUNT(*) FROM ledger_txn), (SELECT COUNT(*) FROM ledger_posting)`).Scan(&r.Txns, &r.Postings); err != nil {
		return r, err
	}
	rows, err := db.Query(ctx, `SELECT t.id FROM ledger_txn t LEFT JOIN ledger_posting p ON p.txn_id = t.id
 GROUP BY t.id HAVING COUNT(p.txn_id) < 2 OR SUM(p.amount_fen) <> 0 ORDER BY t.id`)
	if err != nil {
		return r, err
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return r, err
		}
		r.Unbalanced = append(r.Unbalanced, id)
	}
	rows.Close()
	// Stored balance (live row, or rolled row + unrolled postings) against
	// the sum of every posting of the account.
	rows, err = db.Query(ctx, `SELECT COALESCE(b.account, s.account), COALESCE(b.balance_fen, 0), COALESCE(b.live, CASE WHEN s.unrolled <> 0 THEN 0 ELSE 1 END), COALESCE(s.total, 0), COALESCE(s.unrolled, 0)
 FROM ledger_balance b FULL OUTER JOIN (SELECT account, SUM(amount_fen) AS total, SUM(CASE WHEN rolled = 0 THEN amount_fen ELSE 0 END) AS unrolled
 FROM ledger_posting GROUP BY account) s ON s.account = b.account`)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	for rows.Next() {
		var account string
		var stored, live, total, unrolled int64
		if err := rows.Scan(&account, &stored, &live, &total, &unrolled); err != nil {
			return r, err
		}
		balance := stored + unrolled // live accounts have no unrolled postings
		if balance != total {
			r.Mismatched[account] = [2]int64{balance, total}
		}
		if live == 1 && balance < 0 {
			r.Negative[account] = balance
		}
	}
	return r, rows.Err()
}

// IsInsufficient reports whether err is a refused debit of LedgerInsert.
func IsInsufficient(err error) bool { return errors.Is(err, ErrInsufficient) }
