package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"
)

// Resellers (issue 11): authorisations, invitations, commissions,
// settlements and ticket delegations. Times are Unix milliseconds.

// ResellerAuthRow is one authorisation of a reseller.
type ResellerAuthRow struct {
	ID, Code, ResellerID, CompanyName string
	Kinds, Regions                    []string // Regions empty: every region
	Mode                              string   // wholesale | commission
	RateBP                            int64
	ValidFrom, ValidUntil             time.Time
	State, StateReason, CreatedBy     string
	CreatedAt, UpdatedAt              time.Time
}

const resellerAuthCols = `id, code, reseller_id, company_name, kinds, regions, mode, rate_bp, valid_from_ms, valid_until_ms, state,
 state_reason, created_by, created_at_ms, updated_at_ms`

func jsonList(ss []string) string {
	if ss == nil {
		ss = []string{}
	}
	b, _ := json.Marshal(ss)
	return string(b)
}

func parseList(s string) []string {
	var out []string
	_ = json.Unmarshal([]byte(s), &out)
	return out
}

func scanResellerAuth(s scanner) (ResellerAuthRow, error) {
	var r ResellerAuthRow
	var kinds, regions string
	var from, until, created, updated int64
	if err := s.Scan(&r.ID, &r.Code, &r.ResellerID, &r.CompanyName, &kinds, &regions, &r.Mode, &r.RateBP, &from, &until, &r.State,
		&r.StateReason, &r.CreatedBy, &created, &updated); err != nil {
		return r, err
	}
	r.Kinds, r.Regions = parseList(kinds), parseList(regions)
	r.ValidFrom, r.ValidUntil, r.CreatedAt, r.UpdatedAt = FromMs(from), FromMs(until), FromMs(created), FromMs(updated)
	return r, nil
}

// ResellerAuthInsert stores a new authorisation.
func (tx *Tx) ResellerAuthInsert(ctx context.Context, r ResellerAuthRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO reseller_authorisation (`+resellerAuthCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10,
 $11, $12, $13, $14, $15)`, r.ID, r.Code, r.ResellerID, r.CompanyName, jsonList(r.Kinds), jsonList(r.Regions), r.Mode, r.RateBP,
		Ms(r.ValidFrom), Ms(r.ValidUntil), r.State, r.StateReason, r.CreatedBy, Ms(r.CreatedAt), Ms(r.UpdatedAt))
	return err
}

// ResellerAuthUpdate writes the state, reason and validity end of r if the
// stored row is still in state from (ok=false: it changed meanwhile).
func (tx *Tx) ResellerAuthUpdate(ctx context.Context, r ResellerAuthRow, from string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE reseller_authorisation SET state = $2, state_reason = $3, valid_until_ms = $4, updated_at_ms = $5
 WHERE id = $1 AND state = $6`, r.ID, r.State, r.StateReason, Ms(r.ValidUntil), Ms(r.UpdatedAt), from)
	return n == 1, err
}

// ResellerAuthGet reads one authorisation by id.
func ResellerAuthGet(ctx context.Context, q Querier, id string) (ResellerAuthRow, error) {
	r, err := scanResellerAuth(q.QueryRow(ctx, `SELECT `+resellerAuthCols+` FROM reseller_authorisation WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.ResellerAuthGet", err)
	}
	return r, nil
}

// ResellerAuthByCode reads one authorisation by its public code.
func ResellerAuthByCode(ctx context.Context, q Querier, code string) (ResellerAuthRow, error) {
	r, err := scanResellerAuth(q.QueryRow(ctx, `SELECT `+resellerAuthCols+` FROM reseller_authorisation WHERE code = $1`, code))
	if err != nil {
		return r, errorf("store.ResellerAuthByCode", err)
	}
	return r, nil
}

// ResellerAuths lists authorisations, of one reseller when resellerID is
// set, newest first.
func ResellerAuths(ctx context.Context, q Querier, resellerID string, limit int) ([]ResellerAuthRow, error) {
	query, args := `SELECT `+resellerAuthCols+` FROM reseller_authorisation`, []any{}
	if resellerID != "" {
		query += ` WHERE reseller_id = $1`
		args = append(args, resellerID)
	}
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	args = append(args, limit)
	rows, err := q.Query(ctx, query+` ORDER BY created_at_ms DESC, id DESC LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ResellerAuthRow
	for rows.Next() {
		r, err := scanResellerAuth(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// InvitationRow is one reseller invitation.
type InvitationRow struct {
	ID, ResellerID, TokenHash, Kind   string
	EmailEnc, EmailIndex, EmailMasked string
	Note, State, AccountID            string
	ExpiresAt, AcceptedAt, CreatedAt  time.Time
}

const invitationCols = `id, reseller_id, token_hash, kind, email_enc, email_index, email_masked, note, state, account_id, expires_at_ms,
 accepted_at_ms, created_at_ms`

func scanInvitation(s scanner) (InvitationRow, error) {
	var r InvitationRow
	var expires, created int64
	var accepted sql.NullInt64
	if err := s.Scan(&r.ID, &r.ResellerID, &r.TokenHash, &r.Kind, &r.EmailEnc, &r.EmailIndex, &r.EmailMasked, &r.Note, &r.State,
		&r.AccountID, &expires, &accepted, &created); err != nil {
		return r, err
	}
	r.ExpiresAt, r.AcceptedAt, r.CreatedAt = FromMs(expires), FromNullMs(accepted), FromMs(created)
	return r, nil
}

// InvitationInsert stores a new invitation.
func (tx *Tx) InvitationInsert(ctx context.Context, r InvitationRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO reseller_invitation (`+invitationCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
 $12, $13)`, r.ID, r.ResellerID, r.TokenHash, r.Kind, r.EmailEnc, r.EmailIndex, r.EmailMasked, r.Note, r.State, r.AccountID,
		Ms(r.ExpiresAt), NullMs(r.AcceptedAt), Ms(r.CreatedAt))
	return err
}

// InvitationSetState moves a pending invitation to state (accepted with
// the new account, or revoked); ok=false when it was no longer pending.
func (tx *Tx) InvitationSetState(ctx context.Context, id, state, accountID string) (bool, error) {
	var at time.Time
	if state == "accepted" {
		at = tx.Now
	}
	n, err := tx.Exec(ctx, `UPDATE reseller_invitation SET state = $2, account_id = $3, accepted_at_ms = $4 WHERE id = $1 AND state = 'pending'`,
		id, state, accountID, NullMs(at))
	return n == 1, err
}

// InvitationByToken reads an invitation by its token hash.
func InvitationByToken(ctx context.Context, q Querier, tokenHash string) (InvitationRow, error) {
	r, err := scanInvitation(q.QueryRow(ctx, `SELECT `+invitationCols+` FROM reseller_invitation WHERE token_hash = $1`, tokenHash))
	if err != nil {
		return r, errorf("store.InvitationByToken", err)
	}
	return r, nil
}

// InvitationGet reads an invitation by id.
func InvitationGet(ctx context.Context, q Querier, id string) (InvitationRow, error) {
	r, err := scanInvitation(q.QueryRow(ctx, `SELECT `+invitationCols+` FROM reseller_invitation WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.InvitationGet", err)
	}
	return r, nil
}

// Invitations lists a reseller's invitations, newest first.
func Invitations(ctx context.Context, q Querier, resellerID string, limit int) ([]InvitationRow, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	rows, err := q.Query(ctx, `SELECT `+invitationCols+` FROM reseller_invitation WHERE reseller_id = $1 ORDER BY created_at_ms DESC, id DESC
 LIMIT $2`, resellerID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []InvitationRow
	for rows.Next() {
		r, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CommissionRow is the commission of one order.
type CommissionRow struct {
	OrderID, ResellerID, CustomerID, AuthorisationID string
	BaseFen, RateBP, AmountFen                       int64
	AccruedTxn                                       string
	AccruedAt                                        time.Time
	ClawedBackFen, ShortfallFen                      int64
	ClawbackTxn                                      string
	ClawedBackAt                                     time.Time
}

const commissionCols = `order_id, reseller_id, customer_id, authorisation_id, base_fen, rate_bp, amount_fen, accrued_txn, accrued_at_ms,
 clawed_back_fen, shortfall_fen, clawback_txn, clawed_back_at_ms`

func scanCommission(s scanner) (CommissionRow, error) {
	var r CommissionRow
	var accrued int64
	var clawed sql.NullInt64
	if err := s.Scan(&r.OrderID, &r.ResellerID, &r.CustomerID, &r.AuthorisationID, &r.BaseFen, &r.RateBP, &r.AmountFen, &r.AccruedTxn,
		&accrued, &r.ClawedBackFen, &r.ShortfallFen, &r.ClawbackTxn, &clawed); err != nil {
		return r, err
	}
	r.AccruedAt, r.ClawedBackAt = FromMs(accrued), FromNullMs(clawed)
	return r, nil
}

// CommissionInsert stores an accrued commission (one per order: a second
// insert for the same order fails with a duplicate).
func (tx *Tx) CommissionInsert(ctx context.Context, r CommissionRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO reseller_commission (`+commissionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
 $12, $13)`, r.OrderID, r.ResellerID, r.CustomerID, r.AuthorisationID, r.BaseFen, r.RateBP, r.AmountFen, r.AccruedTxn, Ms(r.AccruedAt),
		r.ClawedBackFen, r.ShortfallFen, r.ClawbackTxn, NullMs(r.ClawedBackAt))
	return err
}

// CommissionClawedBack records a clawback once: ok=false when the
// commission was already clawed back.
func (tx *Tx) CommissionClawedBack(ctx context.Context, orderID string, fen, shortfall int64, txnID string) (bool, error) {
	n, err := tx.Exec(ctx, `UPDATE reseller_commission SET clawed_back_fen = $2, shortfall_fen = $3, clawback_txn = $4, clawed_back_at_ms = $5
 WHERE order_id = $1 AND clawed_back_at_ms IS NULL`, orderID, fen, shortfall, txnID, Ms(tx.Now))
	return n == 1, err
}

// CommissionGet reads the commission of an order.
func CommissionGet(ctx context.Context, q Querier, orderID string) (CommissionRow, error) {
	r, err := scanCommission(q.QueryRow(ctx, `SELECT `+commissionCols+` FROM reseller_commission WHERE order_id = $1`, orderID))
	if err != nil {
		return r, errorf("store.CommissionGet", err)
	}
	return r, nil
}

// Commissions lists a reseller's commissions accrued in [from, until)
// (zero bounds: open), newest first; resellerID "" lists every reseller's.
func Commissions(ctx context.Context, q Querier, resellerID string, from, until time.Time, limit int) ([]CommissionRow, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if resellerID != "" {
		add("reseller_id = ?", resellerID)
	}
	if !from.IsZero() {
		add("accrued_at_ms >= ?", Ms(from))
	}
	if !until.IsZero() {
		add("accrued_at_ms < ?", Ms(until))
	}
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	query := `SELECT ` + commissionCols + ` FROM reseller_commission`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, limit)
	rows, err := q.Query(ctx, query+` ORDER BY accrued_at_ms DESC, order_id DESC LIMIT $`+itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CommissionRow
	for rows.Next() {
		r, err := scanCommission(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SettlementRow is one settled statement.
type SettlementRow struct {
	ID, ResellerID string
	AmountFen      int64
	TxnID          string
	SettledBy      string
	CreatedAt      time.Time
}

// SettlementInsert stores a settlement.
func (tx *Tx) SettlementInsert(ctx context.Context, r SettlementRow) error {
	_, err := tx.Exec(ctx, `INSERT INTO reseller_settlement (id, reseller_id, amount_fen, txn_id, settled_by, created_at_ms)
 VALUES ($1, $2, $3, $4, $5, $6)`, r.ID, r.ResellerID, r.AmountFen, r.TxnID, r.SettledBy, Ms(r.CreatedAt))
	return err
}

// Settlements lists a reseller's settlements, newest first.
func Settlements(ctx context.Context, q Querier, resellerID string) ([]SettlementRow, error) {
	rows, err := q.Query(ctx, `SELECT id, reseller_id, amount_fen, txn_id, settled_by, created_at_ms FROM reseller_settlement
 WHERE reseller_id = $1 ORDER BY created_at_ms DESC LIMIT 500`, resellerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SettlementRow
	for rows.Next() {
		var r SettlementRow
		var created int64
		if err := rows.Scan(&r.ID, &r.ResellerID, &r.AmountFen, &r.TxnID, &r.SettledBy, &created); err != nil {
			return nil, err
		}
		r.CreatedAt = FromMs(created)
		out = append(out, r)
	}
	return out, rows.Err()
}

// DelegationSet records whether a customer lets its reseller see and
// answer its tickets.
func (tx *Tx) DelegationSet(ctx context.Context, accountID string, tickets bool) error {
	_, err := tx.Exec(ctx, `INSERT INTO reseller_delegation (account_id, tickets, updated_at_ms) VALUES ($1, $2, $3)
 ON CONFLICT (account_id) DO UPDATE SET tickets = excluded.tickets, updated_at_ms = excluded.updated_at_ms`, accountID, boolInt(tickets), Ms(tx.Now))
	return err
}

// DelegatesTickets reports whether accountID delegated its tickets.
func DelegatesTickets(ctx context.Context, q Querier, accountID string) (bool, error) {
	var v int64
	err := q.QueryRow(ctx, `SELECT tickets FROM reseller_delegation WHERE account_id = $1`, accountID).Scan(&v)
	if IsNotFound(err) {
		return false, nil
	}
	return v == 1, err
}
