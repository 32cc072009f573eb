package web

import (
	"bytes"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"yuanxu/internal/account"
	"yuanxu/internal/app"
	"yuanxu/internal/errs"
	"yuanxu/internal/order"
)

// Commerce (issue 9): the catalog, the cart, checkout with
// Idempotency-Key, orders and their payment and fapiao requests (this
// file); the wallet and withdrawals (api_commerce_wallet.go); the staff
// catalog, coupons, orders, ledger, adjustments, withdrawals and invoices
// (api_commerce_staff.go).
//
// Bodies reuse the app's view types. Prices, totals, states and balances
// are never input: the request types have no such fields, and bodies are
// strict (an unknown field is 400 request.unknown_field), so a client that
// sends "unit_price_fen" or "total_fen" is refused, never believed. Money
// input is bounded in the schema (wallet.MaxAmount), so an amount beyond
// int64 is a 422, never a parse failure.
//
// Customer routes are for customers: staff use /staff/… (a staff member
// gets 403 on a customer collection and 404 on a customer's object, as on
// the ticket routes).

// commerceTag is the OpenAPI tag of the commerce operations.
var commerceTag = &huma.Tag{Name: "commerce", Description: "Catalog, cart, checkout (Idempotency-Key), orders, payment by balance, wallet, " +
	"withdrawals and fapiao requests (issue 9); staff catalog, coupons, ledger, adjustments, withdrawal and invoice queues."}

// pageCursor is the cursor of the commerce lists: the last item's id
// (lists are newest first by id).
type pageCursor struct {
	Before string `json:"b"`
}

// before decodes a list's cursor ("" for the first page).
func before(cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	var c pageCursor
	if err := DecodeCursor(cursor, &c); err != nil {
		return "", err
	}
	return c.Before, nil
}

// nextCursor is the cursor after lastID when the page is full.
func nextCursor(n, limit int, lastID string) string {
	if n < limit || lastID == "" {
		return ""
	}
	c, err := EncodeCursor(pageCursor{Before: lastID})
	if err != nil {
		return ""
	}
	return c
}

// customerPrincipal returns the principal of a customer route. Staff are
// refused with 403 naming perm: they use the /staff/ routes.
func customerPrincipal(ctx context.Context, perm account.Permission) (Principal, error) {
	p, err := principal(ctx)
	if err == nil && p.Staff() {
		err = &errs.Error{Kind: errs.Forbidden, Code: account.ReasonNotHeld, Msg: "staff use the /staff/ routes",
			Params: map[string]any{"permission": string(perm)}}
	}
	return p, err
}

// customerObjectPrincipal is customerPrincipal for a route naming a
// customer's object: staff get typ's not_found, as on the ticket routes.
func customerObjectPrincipal(ctx context.Context, typ string) (Principal, error) {
	p, err := principal(ctx)
	if err == nil && p.Staff() {
		err = &errs.Error{Kind: errs.NotFound, Code: typ + ".not_found", Msg: "not found"}
	}
	return p, err
}

// commerceRegister is register for the commerce operations: the
// handler's errors go through commerceErr first.
func commerceRegister[I, O any](s *server, op huma.Operation, h func(context.Context, *I) (*O, error)) {
	register(s, op, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		return out, commerceErr(err)
	})
}

// formatNames name the format expected of the fields the app reports with
// rule "format" but no "format" parameter, which rule.format's message
// names. Keyed by the field's last path element.
var formatNames = map[string]string{
	"email": "name@example.com", "tax_id": "USCC (15–20 A-Z 0-9)", "id": "a-z 0-9 - _ (2–64)", "code": "A-Z 0-9 - _ (3–64)",
	"Idempotency-Key": "1–255 printable ASCII",
}

// commerceErr completes the field errors of err that name rule "format"
// without saying which format (a copy: app errors may be shared values).
func commerceErr(err error) error {
	var e *errs.Error
	if err == nil || !errors.As(err, &e) || !slices.ContainsFunc(e.Fields, needsFormat) {
		return err
	}
	c := *e
	c.Fields = slices.Clone(e.Fields)
	for i, f := range c.Fields {
		if !needsFormat(f) {
			continue
		}
		name := f.Field[strings.LastIndexAny(f.Field, ".")+1:]
		if v, ok := formatNames[name]; ok {
			name = v
		}
		c.Fields[i].Params = maps.Clone(f.Params)
		if c.Fields[i].Params == nil {
			c.Fields[i].Params = map[string]any{}
		}
		c.Fields[i].Params["format"] = name
	}
	return &c
}

func needsFormat(f errs.FieldError) bool { return f.Rule == "format" && f.Params["format"] == nil }

// rawBodyKey carries the raw request body of a checkout.
type rawBodyKey struct{}

// captureBody reads the request body once, keeps it in the context (the
// Idempotency-Key hash is of the raw body) and hands huma a fresh reader.
// The body limit (limitBodies) still applies.
func captureBody(hctx huma.Context, next func(huma.Context)) {
	r, w := humago.Unwrap(hctx)
	b, err := io.ReadAll(r.Body)
	if err != nil {
		writeProblem(w, problemFromError(hctx.Context(), err))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	next(huma.WithValue(hctx, rawBodyKey{}, b))
}

func rawBody(ctx context.Context) []byte {
	b, _ := ctx.Value(rawBodyKey{}).([]byte)
	return b
}

// inCST is t in Asia/Shanghai, as the API answers instants (+08:00); the
// zero time stays zero (omitted).
func inCST(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(shanghai)
}

func orderOut(v app.OrderView) app.OrderView {
	v.CreatedAt, v.ExpiresAt, v.PaidAt = inCST(v.CreatedAt), inCST(v.ExpiresAt), inCST(v.PaidAt)
	v.DeliverBy, v.DeliveredAt, v.ClosedAt = inCST(v.DeliverBy), inCST(v.DeliveredAt), inCST(v.ClosedAt)
	for i := range v.Payments {
		v.Payments[i].CreatedAt, v.Payments[i].SettledAt = inCST(v.Payments[i].CreatedAt), inCST(v.Payments[i].SettledAt)
	}
	return v
}

func withdrawalOut(v app.WithdrawalView) app.WithdrawalView {
	v.RequestedAt, v.FirstApprovedAt = inCST(v.RequestedAt), inCST(v.FirstApprovedAt)
	v.SecondApprovedAt, v.PaidAt = inCST(v.SecondApprovedAt), inCST(v.PaidAt)
	return v
}

func invoiceOut(v app.InvoiceView) app.InvoiceView {
	v.CreatedAt, v.HandledAt = inCST(v.CreatedAt), inCST(v.HandledAt)
	return v
}

func entryOut(v app.LedgerEntryView) app.LedgerEntryView {
	v.At = inCST(v.At)
	if v.Links == nil {
		v.Links = map[string]string{}
	}
	return v
}

type productsOutput struct{ Body Page[app.ProductView] }

type productOutput struct{ Body app.ProductView }

type productIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The product id." example:"cs-nc-bw"`
}

type cartOutput struct{ Body app.CartView }

type cartAddInput struct{ Body app.LineRequest }

type cartItemInput struct {
	ID string `path:"id" maxLength:"64" doc:"The cart item id."`
}

type checkoutInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Optional, recommended: 1–255 printable ASCII characters (a UUID). The same key with the same body within 24 hours answers the stored order again (Idempotent-Replayed: true); with another body it is 422 idempotency.body_mismatch; while the first request is still being handled, 409 idempotency.in_flight. Keys are per account."`
	Body           app.CheckoutRequest
}

type orderCreatedOutput struct {
	Replayed string `header:"Idempotent-Replayed" doc:"true when this is the stored answer to an earlier request with the same Idempotency-Key and body."`
	Body     app.OrderView
}

type orderOutput struct{ Body app.OrderView }

type ordersOutput struct{ Body Page[app.OrderView] }

type orderListInput struct {
	ListParams
	State []string `query:"state" enum:"created,paid,provisioning,delivered,delivery_failed,expired,cancelled,refunded,swapped" doc:"Only these states (comma-separated)."`
}

type orderIDInput struct {
	ID string `path:"id" maxLength:"64" doc:"The order id."`
}

// PayBody is how a customer pays an order: all by balance, all through a
// gateway, or split.
type PayBody struct {
	Method     string `json:"method" enum:"balance,alipay,wechatpay,split" example:"balance" doc:"balance: the whole amount due from the balance, refund credit first; alipay or wechatpay: the whole amount through that gateway; split: balance_fen now and the rest through gateway."`
	BalanceFen int64  `json:"balance_fen,omitempty" minimum:"1" maximum:"1000000000000" example:"5000" doc:"split only: the part paid from the balance, in fen."`
	Gateway    string `json:"gateway,omitempty" enum:"alipay,wechatpay" example:"alipay" doc:"split only: the gateway for the rest."`
	Kind       string `json:"kind,omitempty" enum:"page,qr" example:"page" doc:"Gateway and split payments: page (Alipay's cashier page; the default for Alipay) or qr (a code to scan; WeChat Pay's only kind)."`
}

type payInput struct {
	ID   string `path:"id" maxLength:"64" doc:"The order id."`
	Body PayBody
}

type invoiceInput struct{ Body app.InvoiceRequest }

type invoiceOutput struct{ Body app.InvoiceView }

type invoicesOutput struct{ Body Page[app.InvoiceView] }

type invoiceListInput struct {
	State string `query:"state" enum:"requested,issued,rejected," doc:"Only this state."`
}

func orderPage(vs []app.OrderView, limit int) *ordersOutput {
	out := &ordersOutput{Body: Page[app.OrderView]{Items: make([]app.OrderView, 0, len(vs))}}
	for _, v := range vs {
		out.Body.Items = append(out.Body.Items, orderOut(v))
	}
	if n := len(vs); n > 0 {
		out.Body.NextCursor = nextCursor(n, limit, vs[n-1].ID)
	}
	return out
}

func invoicePage(vs []app.InvoiceView) *invoicesOutput {
	out := &invoicesOutput{Body: Page[app.InvoiceView]{Items: make([]app.InvoiceView, 0, len(vs))}}
	for _, v := range vs {
		out.Body.Items = append(out.Body.Items, invoiceOut(v))
	}
	return out
}

// registerCommerce adds the commerce operations.
func registerCommerce(s *server) {
	s.api.OpenAPI().Tags = append(s.api.OpenAPI().Tags, commerceTag)
	registerCatalog(s)
	registerCart(s)
	registerOrders(s)
	registerWallet(s)
	registerCommerceStaff(s) // api_commerce_staff.go
}

func registerCatalog(s *server) {
	tag := []string{"commerce"}
	commerceRegister(s, huma.Operation{OperationID: "list-catalog", Method: http.MethodGet, Path: "/catalog", Tags: tag, Security: secNone,
		Summary: "List the products on sale", Description: "Every active product with its plans, prices per cycle, the refund class and its clause " +
			"(shown before checkout, clauses 3.1 and 3.2) and the delivery time (clause 2.2). Public."},
		func(ctx context.Context, _ *struct{}) (*productsOutput, error) {
			vs, err := s.app.Catalog(ctx)
			if err != nil {
				return nil, err
			}
			return &productsOutput{Body: Page[app.ProductView]{Items: vs}}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "get-product", Method: http.MethodGet, Path: "/catalog/{id}", Tags: tag, Security: secNone,
		Summary: "Read a product", Description: "Public for a product on sale; an inactive one is product.not_found but for staff with catalog.manage.",
		Errors: []int{404}},
		func(ctx context.Context, in *productIDInput) (*productOutput, error) {
			var who *account.Principal
			if p, ok := PrincipalFrom(ctx); ok {
				who = &p.Principal
			}
			v, err := s.app.Product(ctx, who, in.ID)
			if err != nil {
				return nil, err
			}
			return &productOutput{Body: v}, nil
		})
}

func registerCart(s *server) {
	tag := []string{"commerce"}
	cart := func(v app.CartView, err error) (*cartOutput, error) {
		if err != nil {
			return nil, err
		}
		return &cartOutput{Body: v}, nil
	}
	commerceRegister(s, huma.Operation{OperationID: "get-cart", Method: http.MethodGet, Path: "/cart", Tags: tag, Security: secAny,
		Summary: "Read my cart", Description: "The cart of the caller's account (an enterprise's, for its sub-users), priced from the catalog now; " +
			"checkout prices again, so nothing here is ever charged. Needs order.create; no real-name verification needed.",
		Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*cartOutput, error) {
			p, err := customerPrincipal(ctx, "order.create")
			if err != nil {
				return nil, err
			}
			return cart(s.app.Cart(ctx, p.Principal))
		})
	commerceRegister(s, huma.Operation{OperationID: "add-cart-item", Method: http.MethodPost, Path: "/cart", Tags: tag, Security: secAny,
		Summary: "Put a line into my cart", Description: "The product, plan and cycle must be on sale. At most 50 items. Answers the whole cart.",
		Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *cartAddInput) (*cartOutput, error) {
			p, err := customerPrincipal(ctx, "order.create")
			if err != nil {
				return nil, err
			}
			return cart(s.app.CartAdd(ctx, p.Principal, in.Body))
		})
	commerceRegister(s, huma.Operation{OperationID: "remove-cart-item", Method: http.MethodDelete, Path: "/cart/{id}", Tags: tag, Security: secAny,
		Summary: "Remove one item from my cart", Description: "Answers the whole cart. Another account's item is cart_item.not_found.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *cartItemInput) (*cartOutput, error) {
			p, err := customerObjectPrincipal(ctx, "cart_item")
			if err != nil {
				return nil, err
			}
			return cart(s.app.CartRemove(ctx, p.Principal, in.ID))
		})
	commerceRegister(s, huma.Operation{OperationID: "empty-cart", Method: http.MethodDelete, Path: "/cart", Tags: tag, Security: secAny,
		Summary: "Empty my cart", Errors: []int{401, 403}},
		func(ctx context.Context, _ *struct{}) (*cartOutput, error) {
			p, err := customerPrincipal(ctx, "order.create")
			if err != nil {
				return nil, err
			}
			return cart(s.app.CartRemove(ctx, p.Principal, ""))
		})
}

func registerOrders(s *server) {
	tag := []string{"commerce"}
	one := func(v app.OrderView, err error) (*orderOutput, error) {
		if err != nil {
			return nil, err
		}
		return &orderOutput{Body: orderOut(v)}, nil
	}
	commerceRegister(s, huma.Operation{OperationID: "checkout", Method: http.MethodPost, Path: "/orders", Tags: tag, Security: secAny,
		Summary: "Place an order (checkout)",
		Description: "Prices every line from the catalog (a client never sends a price, total or state), records the agreement version in force " +
			"with each key clause acknowledged (clause 1), takes stock and the coupon's use, and answers the unpaid order with its expiry " +
			"(order.unpaid_expiry). Every blocker is reported at once with its clause: key clauses not acknowledged " +
			"(agreement.key_clause_not_acknowledged), real-name verification missing (kyc.required, 403; clause 2.1), an account measure, " +
			"a product no licence covers (order.licence_not_covered), a traffic pack that may not attach; several at once are " +
			"order.checkout_blocked. Send an Idempotency-Key to retry safely. Needs order.create. " +
			"With pay: {\"method\": \"balance\"} the order is also paid from the balance in the same transaction (needs order.pay too) and " +
			"answered paid, or delivered when its products deliver at once; a balance that does not cover the total is " +
			"wallet.insufficient_balance (409) and nothing is placed — no order, no stock or coupon taken.",
		Errors:        []int{400, 401, 403, 409, 413, 422},
		DefaultStatus: http.StatusCreated,
		Middlewares:   huma.Middlewares{captureBody}},
		func(ctx context.Context, in *checkoutInput) (*orderCreatedOutput, error) {
			p, err := customerPrincipal(ctx, "order.create")
			if err != nil {
				return nil, err
			}
			idem := app.Idem{Key: in.IdempotencyKey}
			if idem.Key != "" {
				idem.BodyHash = order.HashBody(rawBody(ctx))
			}
			v, replayed, err := s.app.Checkout(ctx, p.Principal, in.Body, idem)
			if err != nil {
				return nil, err
			}
			out := &orderCreatedOutput{Body: orderOut(v)}
			if replayed {
				out.Replayed = "true"
			}
			return out, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "list-orders", Method: http.MethodGet, Path: "/orders", Tags: tag, Security: secAny,
		Summary: "List my orders", Description: "The orders of the caller's account (an enterprise's, for its sub-users), newest first, with their " +
			"lines; payments are in GET /orders/{id}. Needs order.read.",
		Errors: []int{400, 401, 403, 422}},
		func(ctx context.Context, in *orderListInput) (*ordersOutput, error) {
			p, err := customerPrincipal(ctx, "order.read")
			if err != nil {
				return nil, err
			}
			b, err := before(in.Cursor)
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Orders(ctx, p.Principal, app.OrderListFilter{States: in.State, Before: b, Limit: in.Limit})
			if err != nil {
				return nil, err
			}
			return orderPage(vs, in.Limit), nil
		})
	commerceRegister(s, huma.Operation{OperationID: "get-order", Method: http.MethodGet, Path: "/orders/{id}", Tags: tag, Security: secAny,
		Summary: "Read an order and its payments", Description: "Someone else's order is order.not_found. Needs order.read.",
		Errors: []int{401, 403, 404}},
		func(ctx context.Context, in *orderIDInput) (*orderOutput, error) {
			p, err := customerObjectPrincipal(ctx, "order")
			if err != nil {
				return nil, err
			}
			return one(s.app.Order(ctx, p.Principal, in.ID))
		})
	commerceRegister(s, huma.Operation{OperationID: "pay-order", Method: http.MethodPost, Path: "/orders/{id}/pay", Tags: tag, Security: secAny,
		Summary: "Pay an order",
		Description: "By balance: the whole amount due, refund credit before cash; a balance that cannot cover it is " +
			"wallet.insufficient_balance (409) and nothing moves. The order is then paid and its delivery deadline set (clause 2.2). " +
			"Through alipay or wechatpay the answer's pending_attempt carries the Alipay page to send the customer to (pay_url) or the " +
			"code to show (qr_code); a split pays balance_fen now and opens such an attempt for the rest. The order is paid when the " +
			"gateway's verified notification arrives, never on this answer: poll GET /orders/{id}. While an attempt is pending another " +
			"is order.payment_pending (409); a gateway not configured is payment.gateway_unavailable (422), WeChat Pay by page " +
			"payment.kind_unsupported (422), a gateway that does not answer payment.gateway_failed (503). Needs order.pay and approved " +
			"real-name verification (kyc.required); an expired order is order.expired, a paid one order.not_payable.",
		Errors: []int{401, 403, 404, 409, 422, 503}},
		func(ctx context.Context, in *payInput) (*orderOutput, error) {
			p, err := customerObjectPrincipal(ctx, "order")
			if err != nil {
				return nil, err
			}
			b := in.Body
			out, err := one(s.app.PayOrder(ctx, p.Principal, in.ID, app.PayRequest{Method: b.Method, BalanceFen: b.BalanceFen, Gateway: b.Gateway,
				Kind: b.Kind}))
			if err != nil {
				return nil, s.gatewayErr(err)
			}
			if out.Body.PendingAttempt != nil {
				at := attemptOut(*out.Body.PendingAttempt)
				out.Body.PendingAttempt = &at
			}
			return out, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "cancel-order", Method: http.MethodPost, Path: "/orders/{id}/cancel", Tags: tag, Security: secAny,
		Summary: "Cancel an unpaid order", Description: "Stock, the coupon's use and any balance part of a split go back. A paid order goes " +
			"through a refund instead (order.bad_transition). Needs order.cancel.",
		Errors: []int{401, 403, 404, 409}},
		func(ctx context.Context, in *orderIDInput) (*orderOutput, error) {
			p, err := customerObjectPrincipal(ctx, "order")
			if err != nil {
				return nil, err
			}
			return one(s.app.CancelOrder(ctx, p.Principal, in.ID))
		})
	commerceRegister(s, huma.Operation{OperationID: "request-invoice", Method: http.MethodPost, Path: "/invoices", Tags: tag, Security: secSession,
		Summary: "Request a fapiao for a paid order", Description: "A special VAT invoice needs the buyer's tax id. One open request per order " +
			"(invoice.duplicate); an unpaid order is invoice.order_not_paid. Needs invoice.request.",
		Errors: []int{401, 403, 404, 409, 422}, DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *invoiceInput) (*invoiceOutput, error) {
			p, err := customerPrincipal(ctx, "invoice.request")
			if err != nil {
				return nil, err
			}
			v, err := s.app.RequestInvoice(ctx, p.Principal, in.Body)
			if err != nil {
				return nil, err
			}
			return &invoiceOutput{Body: invoiceOut(v)}, nil
		})
	commerceRegister(s, huma.Operation{OperationID: "list-invoices", Method: http.MethodGet, Path: "/invoices", Tags: tag, Security: secAny,
		Summary: "List my fapiao requests", Description: "Newest first, at most 200. Needs invoice.read.", Errors: []int{401, 403, 422}},
		func(ctx context.Context, in *invoiceListInput) (*invoicesOutput, error) {
			p, err := customerPrincipal(ctx, "invoice.read")
			if err != nil {
				return nil, err
			}
			vs, err := s.app.Invoices(ctx, p.Principal, in.State)
			if err != nil {
				return nil, err
			}
			return invoicePage(vs), nil
		})
}
