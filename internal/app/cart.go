package app

import (
	"context"
	"strconv"

	"yuanxu/internal/account"
	"yuanxu/internal/errs"
	"yuanxu/internal/id"
	"yuanxu/internal/order"
	"yuanxu/internal/store"
)

// The cart: what a customer collects before checkout. Prices shown are the
// catalog's now; checkout prices again, so nothing here is ever charged.
// Carts need no KYC (kyc.required_before: browsing and carts need none).

// maxCartItems bounds a cart.
const maxCartItems = 50

// CartItemView is one cart item with its current price.
type CartItemView struct {
	ID           string `json:"id" example:"01936a9e-4c1f-7c39-9f1e-1b2c3d4e5f65"`
	LineRequest         // what checkout will ask for
	ProductName  string `json:"product_name" example:"南昌云服务器"`
	PlanName     string `json:"plan_name" example:"2 vCPU · 4 GiB"`
	UnitPriceFen int64  `json:"unit_price_fen" example:"9900"`
	TotalFen     int64  `json:"total_fen" example:"9900"`
	RefundClass  string `json:"refund_class" example:"standard"`
	RefundClause string `json:"refund_clause" example:"3.1"`
	// Available is false when the product or plan is no longer on sale in
	// this cycle; checkout would refuse it.
	Available bool `json:"available" example:"true"`
}

// CartView is a customer's cart.
type CartView struct {
	Items    []CartItemView `json:"items"`
	TotalFen int64          `json:"total_fen" example:"9900"`
}

func (a *App) cartAuthorize(ctx context.Context, p account.Principal) (string, error) {
	tenant := p.TenantID()
	obj, err := a.customerObject(ctx, "cart", tenant)
	if err != nil {
		return "", err
	}
	return tenant, a.Authorize(ctx, p, "order.create", obj)
}

// Cart returns p's tenant's cart priced from the catalog now.
func (a *App) Cart(ctx context.Context, p account.Principal) (CartView, error) {
	tenant, err := a.cartAuthorize(ctx, p)
	if err != nil {
		return CartView{}, err
	}
	rows, err := store.Cart(ctx, a.db, tenant)
	if err != nil {
		return CartView{}, err
	}
	v := CartView{Items: []CartItemView{}}
	products := map[string]ProductView{}
	for _, r := range rows {
		it := CartItemView{ID: r.ID, LineRequest: LineRequest{ProductID: r.ProductID, PlanID: r.PlanID, Cycle: r.Cycle, Quantity: r.Quantity,
			AttachTo: r.AttachTo}}
		pv, ok := products[r.ProductID]
		if !ok {
			if pv, err = loadProduct(ctx, a.db, r.ProductID); err == nil {
				products[r.ProductID] = pv
			}
		}
		if pv.ID != "" {
			it.ProductName, it.RefundClass, it.RefundClause = pv.Name, pv.RefundClass, pv.RefundClause
			if plan, ok := pv.Plan(r.PlanID); ok {
				it.PlanName = plan.Name
				if fen, ok := priceFor(plan, r.Cycle); ok {
					it.UnitPriceFen, it.Available = fen, pv.Active
				}
			}
		}
		if it.Available {
			if total, err := order.LineTotal(it.UnitPriceFen, it.Quantity); err == nil {
				it.TotalFen = total
				v.TotalFen += total
			}
		}
		v.Items = append(v.Items, it)
	}
	return v, nil
}

// CartAdd puts a line into p's tenant's cart after checking that the
// product, plan and cycle are on sale (prices are not stored).
func (a *App) CartAdd(ctx context.Context, p account.Principal, in LineRequest) (CartView, error) {
	tenant, err := a.cartAuthorize(ctx, p)
	if err != nil {
		return CartView{}, err
	}
	req := CheckoutRequest{Lines: []LineRequest{in}}
	if err := validateCheckout(&req); err != nil {
		return CartView{}, err
	}
	pv, err := a.Product(ctx, nil, in.ProductID)
	if err != nil {
		return CartView{}, fieldErr("app.CartAdd", order.CodeOrderInvalid, errs.Invalid, "body.product_id", "unknown", "no such product", nil)
	}
	plan, ok := pv.Plan(in.PlanID)
	if !ok {
		return CartView{}, fieldErr("app.CartAdd", order.CodeOrderInvalid, errs.Invalid, "body.plan_id", "unknown", "no such plan", nil)
	}
	if _, priced := priceFor(plan, in.Cycle); !priced {
		return CartView{}, fieldErr("app.CartAdd", order.CodeOrderInvalid, errs.Invalid, "body.cycle", "not_offered", "not sold in this cycle", nil)
	}
	rows, err := store.Cart(ctx, a.db, tenant)
	if err != nil {
		return CartView{}, err
	}
	if len(rows) >= maxCartItems {
		return CartView{}, fieldErr("app.CartAdd", order.CodeOrderInvalid, errs.Invalid, "body", "cart_full", "the cart is full",
			map[string]any{"max": strconv.Itoa(maxCartItems)})
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		return tx.CartAdd(ctx, store.CartItemRow{ID: id.NewAt(tx.Now), AccountID: tenant, ProductID: in.ProductID, PlanID: in.PlanID,
			Cycle: in.Cycle, Quantity: in.Quantity, AttachTo: in.AttachTo, CreatedAt: tx.Now})
	})
	if err != nil {
		return CartView{}, err
	}
	return a.Cart(ctx, p)
}

// CartRemove removes an item (” itemID: empties the cart).
func (a *App) CartRemove(ctx context.Context, p account.Principal, itemID string) (CartView, error) {
	tenant, err := a.cartAuthorize(ctx, p)
	if err != nil {
		return CartView{}, err
	}
	err = a.db.InTx(ctx, func(ctx context.Context, tx *store.Tx) error {
		n, err := tx.CartRemove(ctx, tenant, itemID)
		if err == nil && n == 0 && itemID != "" {
			return errNotFound("cart_item")
		}
		return err
	})
	if err != nil {
		return CartView{}, err
	}
	return a.Cart(ctx, p)
}
