package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"yuanxu/internal/errs"
)

// ProductRow is one row of the product table. Spec is the JSON of the
// kind's specification; the app encodes and decodes it.
type ProductRow struct {
	ID, Name, NameEn, Description, Kind string
	Active                              bool
	Spec, Region                        string
	DeliverySLA                         time.Duration
	Driver                              string
	SortKey                             int64
	CreatedAt, UpdatedAt                time.Time
}

// PlanRow is one row of product_plan. Prices is JSON
// [{"cycle":"month","amount_fen":9900}]; Stock is -1 when not counted.
type PlanRow struct {
	ID, ProductID, Name, Prices string
	Stock, SortKey              int64
}

const productCols = `id, name, name_en, description, kind, active, spec, region, delivery_sla_ms, driver, sort_key, created_at_ms, updated_at_ms`
const planCols = `id, product_id, name, prices, stock, sort_key`

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func scanProduct(s scanner) (ProductRow, error) {
	var r ProductRow
	var active, sla, created, updated int64
	if err := s.Scan(&r.ID, &r.Name, &r.NameEn, &r.Description, &r.Kind, &active, &r.Spec, &r.Region, &sla, &r.Driver, &r.SortKey,
		&created, &updated); err != nil {
		return r, err
	}
	r.Active, r.DeliverySLA = active == 1, time.Duration(sla)*time.Millisecond
	r.CreatedAt, r.UpdatedAt = FromMs(created), FromMs(updated)
	return r, nil
}

func scanPlan(s scanner) (PlanRow, error) {
	var r PlanRow
	err := s.Scan(&r.ID, &r.ProductID, &r.Name, &r.Prices, &r.Stock, &r.SortKey)
	return r, err
}

// ProductPut inserts or replaces a product row (errs.ErrDuplicate never:
// the id is the key).
func (tx *Tx) ProductPut(ctx context.Context, r ProductRow) error {
	tx.forgetCatalog()
	_, err := tx.Exec(ctx, `INSERT INTO product (`+productCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
 ON CONFLICT (id) DO UPDATE SET name = excluded.name, name_en = excluded.name_en, description = excluded.description,
 active = excluded.active, spec = excluded.spec, region = excluded.region, delivery_sla_ms = excluded.delivery_sla_ms,
 driver = excluded.driver, sort_key = excluded.sort_key, updated_at_ms = excluded.updated_at_ms`,
		r.ID, r.Name, r.NameEn, r.Description, r.Kind, b2i(r.Active), r.Spec, r.Region, r.DeliverySLA.Milliseconds(), r.Driver, r.SortKey,
		Ms(r.CreatedAt), Ms(r.UpdatedAt))
	return err
}

// PlanPut inserts or replaces a plan's name, prices and sort key. Stock is
// written only on insert or when setStock is true (the console's
// restock), so that a price edit never races a checkout's decrement.
func (tx *Tx) PlanPut(ctx context.Context, r PlanRow, setStock bool) error {
	tx.forgetCatalog()
	q := `INSERT INTO product_plan (` + planCols + `) VALUES ($1, $2, $3, $4, $5, $6)
 ON CONFLICT (id) DO UPDATE SET name = excluded.name, prices = excluded.prices, sort_key = excluded.sort_key`
	if setStock {
		q += `, stock = excluded.stock`
	}
	_, err := tx.Exec(ctx, q, r.ID, r.ProductID, r.Name, r.Prices, r.Stock, r.SortKey)
	return err
}

// PlanDelete removes a plan of a product.
func (tx *Tx) PlanDelete(ctx context.Context, productID, planID string) error {
	tx.forgetCatalog()
	_, err := tx.Exec(ctx, `DELETE FROM product_plan WHERE id = $1 AND product_id = $2`, planID, productID)
	return err
}

// PlanTakeStock takes qty units of a counted plan's stock with a
// conditional update: ok=false when fewer remain. Unlimited plans (-1) are
// left alone and always succeed. seenUnlimited is what the caller read of
// the plan before the transaction: when true the plan is read first, so
// that the common unlimited plan costs one statement; a plan that became
// counted meanwhile is still decremented conditionally. The hint changes
// the statements, never the outcome.
func (tx *Tx) PlanTakeStock(ctx context.Context, planID string, qty int64, seenUnlimited bool) (bool, error) {
	if seenUnlimited {
		var stock int64
		if err := tx.ReadTogether(ctx, PlanStockRead(planID, &stock)); err != nil {
			return false, err
		}
		return tx.PlanTakeStockRead(ctx, planID, qty, stock)
	}
	return tx.takeStock(ctx, planID, qty)
}

// PlanStockRead is a Read of a plan's stock (-1: unlimited) into *stock,
// for Tx.ReadTogether; an unknown plan is errs.ErrNotFound.
func PlanStockRead(planID string, stock *int64) Read {
	return Read{SQL: `SELECT stock FROM product_plan WHERE id = $1`, Args: []any{planID}, Scan: func(rows RowScanner) error {
		if !rows.Next() {
			return errs.ErrNotFound
		}
		return rows.Scan(stock)
	}}
}

// PlanTakeStockRead is PlanTakeStock for a caller that read the plan's
// stock in tx (PlanStockRead), with the reads it sent together: an
// unlimited plan is left alone; a counted one is decremented
// conditionally, as PlanTakeStock does.
func (tx *Tx) PlanTakeStockRead(ctx context.Context, planID string, qty, stock int64) (bool, error) {
	if stock == -1 {
		tx.forgetCatalog()
		return true, nil
	}
	return tx.takeStock(ctx, planID, qty)
}

// takeStock decrements a counted plan's stock by qty when enough remains;
// a plan that became unlimited meanwhile is taken from as such.
func (tx *Tx) takeStock(ctx context.Context, planID string, qty int64) (bool, error) {
	tx.forgetCatalog()
	n, err := tx.Exec(ctx, `UPDATE product_plan SET stock = stock - $2 WHERE id = $1 AND stock <> -1 AND stock >= $2`, planID, qty)
	if err != nil || n == 1 {
		return n == 1, err
	}
	var stock int64
	if err := tx.ReadTogether(ctx, PlanStockRead(planID, &stock)); err != nil {
		return false, err
	}
	return stock == -1, nil
}

// PlanReturnStock gives qty units back to a counted plan (an unpaid order
// expired or was cancelled).
func (tx *Tx) PlanReturnStock(ctx context.Context, planID string, qty int64) error {
	tx.forgetCatalog()
	_, err := tx.Exec(ctx, `UPDATE product_plan SET stock = stock + $2 WHERE id = $1 AND stock <> -1`, planID, qty)
	return err
}

// catalogMemo holds the catalog rows a transaction read, so that the
// steps of one payment (services created, delivery started, delivered)
// read a product and its plans once. Every catalog write in the
// transaction forgets it, and so does a Nested step that rolls back.
type catalogMemo struct {
	products map[string]ProductRow
	plans    map[string][]PlanRow // by product id
}

func (tx *Tx) forgetCatalog() { tx.catalog = catalogMemo{} }

// RememberProduct seeds tx's catalog memo with a product and its plans as
// the caller read them just before tx began, so that the transaction works
// on the catalog the caller decided on (a checkout delivers the product it
// priced) instead of reading it again. Later catalog writes in tx forget
// it as they forget what tx read. The plans' stock is as the caller read
// it: take stock with PlanTakeStock, never from a read.
func (tx *Tx) RememberProduct(p ProductRow, plans []PlanRow) {
	if tx.catalog.products == nil {
		tx.catalog.products = map[string]ProductRow{}
	}
	if tx.catalog.plans == nil {
		tx.catalog.plans = map[string][]PlanRow{}
	}
	tx.catalog.products[p.ID] = p
	tx.catalog.plans[p.ID] = slices.Clone(plans)
}

// ProductGet reads one product (errs.ErrNotFound when missing). Read
// through a transaction, it is read once per transaction.
func ProductGet(ctx context.Context, q Querier, id string) (ProductRow, error) {
	tx, _ := q.(*Tx)
	if tx != nil {
		if r, ok := tx.catalog.products[id]; ok {
			return r, nil
		}
	}
	r, err := scanProduct(q.QueryRow(ctx, `SELECT `+productCols+` FROM product WHERE id = $1`, id))
	if err != nil {
		return r, errorf("store.ProductGet", err)
	}
	if tx != nil {
		if tx.catalog.products == nil {
			tx.catalog.products = map[string]ProductRow{}
		}
		tx.catalog.products[id] = r
	}
	return r, nil
}

// ProductWithPlans returns a product and its plans (as ProductGet and
// Plans would, in Plans' order) with one statement; through a transaction
// it answers from, and fills, the transaction's catalog memo.
func ProductWithPlans(ctx context.Context, q Querier, id string) (ProductRow, []PlanRow, error) {
	tx, _ := q.(*Tx)
	if tx != nil {
		r, ok := tx.catalog.products[id]
		ps, pok := tx.catalog.plans[id]
		if ok && pok {
			return r, slices.Clone(ps), nil
		}
	}
	rows, err := q.Query(ctx, productPlansSQL, id)
	if err != nil {
		return ProductRow{}, nil, errorf("store.ProductWithPlans", err)
	}
	defer rows.Close()
	r, ps, found, err := scanProductPlans(rows)
	if err != nil {
		return ProductRow{}, nil, err
	}
	if err := rows.Err(); err != nil {
		return ProductRow{}, nil, err
	}
	if !found {
		return ProductRow{}, nil, errorf("store.ProductWithPlans", errs.ErrNotFound)
	}
	if tx != nil {
		tx.RememberProduct(r, ps)
	}
	return r, ps, nil
}

// scanProductPlans scans the rows of productPlansSQL: the product and its
// plans, found false when there was no row.
func scanProductPlans(rows RowScanner) (r ProductRow, ps []PlanRow, found bool, err error) {
	for rows.Next() {
		var (
			active, sla, created, updated int64
			pid, ppid, pname, pprices     sql.NullString
			pstock, psort                 sql.NullInt64
		)
		if err := rows.Scan(&r.ID, &r.Name, &r.NameEn, &r.Description, &r.Kind, &active, &r.Spec, &r.Region, &sla, &r.Driver, &r.SortKey,
			&created, &updated, &pid, &ppid, &pname, &pprices, &pstock, &psort); err != nil {
			return ProductRow{}, nil, false, err
		}
		r.Active, r.DeliverySLA = active == 1, time.Duration(sla)*time.Millisecond
		r.CreatedAt, r.UpdatedAt = FromMs(created), FromMs(updated)
		found = true
		if pid.Valid {
			ps = append(ps, PlanRow{ID: pid.String, ProductID: ppid.String, Name: pname.String, Prices: pprices.String, Stock: pstock.Int64, SortKey: psort.Int64})
		}
	}
	return r, ps, found, nil
}

// productPlansSQL is a product joined with its plans, one row per plan
// (one with NULL plan columns when it has none), in Plans' order.
var productPlansSQL = func() string {
	var b strings.Builder
	b.WriteString(`SELECT `)
	for i, c := range strings.Split(productCols, ", ") {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("p." + c)
	}
	for _, c := range strings.Split(planCols, ", ") {
		b.WriteString(", pl." + c)
	}
	b.WriteString(` FROM product p LEFT JOIN product_plan pl ON pl.product_id = p.id WHERE p.id = $1 ORDER BY pl.sort_key, pl.id`)
	return b.String()
}()

// Products lists products by sort key, active ones only when activeOnly.
func Products(ctx context.Context, q Querier, activeOnly bool) ([]ProductRow, error) {
	query := `SELECT ` + productCols + ` FROM product`
	if activeOnly {
		query += ` WHERE active = 1`
	}
	rows, err := q.Query(ctx, query+` ORDER BY sort_key, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ProductRow
	for rows.Next() {
		r, err := scanProduct(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Plans lists the plans of a product by sort key; every plan when
// productID is empty.
func Plans(ctx context.Context, q Querier, productID string) ([]PlanRow, error) {
	tx, _ := q.(*Tx)
	if tx == nil || productID == "" {
		return plans(ctx, q, productID)
	}
	if ps, ok := tx.catalog.plans[productID]; ok {
		return slices.Clone(ps), nil
	}
	ps, err := plans(ctx, q, productID)
	if err != nil {
		return nil, err
	}
	if tx.catalog.plans == nil {
		tx.catalog.plans = map[string][]PlanRow{}
	}
	tx.catalog.plans[productID] = slices.Clone(ps)
	return ps, nil
}

func plans(ctx context.Context, q Querier, productID string) ([]PlanRow, error) {
	query, args := `SELECT `+planCols+` FROM product_plan`, []any{}
	if productID != "" {
		query, args = query+` WHERE product_id = $1`, append(args, productID)
	}
	rows, err := q.Query(ctx, query+` ORDER BY product_id, sort_key, id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []PlanRow
	for rows.Next() {
		r, err := scanPlan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ProductCount returns how many products exist (the demo seeds once).
func ProductCount(ctx context.Context, q Querier) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT COUNT(*) FROM product`).Scan(&n)
	return n, err
}
