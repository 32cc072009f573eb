package store

import (
	"context"
	"strings"
)

// Batched child reads for list pages: one statement for the lines (or
// postings) of a whole page of parents instead of one per parent. The
// per-parent order of the single reads is kept (idx; seq).

// inList returns "$k+1, …, $k+n" for n placeholders after k arguments.
func inList(k, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$")
		b.WriteString(itoa(k + i + 1))
	}
	return b.String()
}

// orderLinesOf reads the lines of every order of ids, by order id, each
// order's lines in idx order.
func orderLinesOf(ctx context.Context, q Querier, ids []string) (map[string][]OrderLineRow, error) {
	out := make(map[string][]OrderLineRow, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.Query(ctx, `SELECT `+orderLineCols+` FROM order_line WHERE order_id IN (`+inList(0, len(ids))+`) ORDER BY order_id, idx`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		oid, l, err := scanOrderLine(rows)
		if err != nil {
			return nil, err
		}
		out[oid] = append(out[oid], l)
	}
	return out, rows.Err()
}

// ledgerPostingsOf reads the postings of every transaction of ids, by
// transaction id, each transaction's postings in seq order.
func ledgerPostingsOf(ctx context.Context, q Querier, ids []string) (map[string][]LedgerPostingRow, error) {
	out := make(map[string][]LedgerPostingRow, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := q.Query(ctx, `SELECT txn_id, account, amount_fen, rolled FROM ledger_posting WHERE txn_id IN (`+inList(0, len(ids))+`) ORDER BY txn_id, seq`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p LedgerPostingRow
		var txn string
		var rolled int64
		if err := rows.Scan(&txn, &p.Account, &p.AmountFen, &rolled); err != nil {
			return nil, err
		}
		out[txn] = append(out[txn], p)
	}
	return out, rows.Err()
}

// OrderAgreementVersion returns the agreement version an order recorded
// at checkout (errs.ErrNotFound when there is no such order): one column
// instead of the order and its lines.
func OrderAgreementVersion(ctx context.Context, q Querier, orderID string) (string, error) {
	var v string
	if err := q.QueryRow(ctx, `SELECT agreement_version_id FROM orders WHERE id = $1`, orderID).Scan(&v); err != nil {
		return "", errorf("store.OrderAgreementVersion", err)
	}
	return v, nil
}
