// Package order is the pure domain of orders (DESIGN.md §2 "order", issue 9
// items 2–3): the order state machine, lines with prices frozen at checkout
// and overflow-checked totals, the channel, the agreement version accepted
// at checkout, the delivery SLA frozen from the product with its deadline
// set at payment, unpaid expiry, coupons, Idempotency-Key decisions and the
// checkout rules.
//
// It does no I/O and imports neither database/sql nor net/http; time is
// always an argument. Amounts are int64 fen in fields named …Fen, computed
// with checked arithmetic: an overflow is an *errs.Error
// (CodeAmountOverflow), never a wrapped or negative total.
//
// # Prices come from the catalog, never from the client
//
// [LineInput] and [CheckoutInput] — what a client may send — have no
// price, total, discount, state or balance field: there is nothing to
// ignore. The web layer decodes request bodies into them, so a price or
// status sent by a client is dropped by the decoder (or refused, where the
// web layer disallows unknown fields). [NewOrder] freezes each unit price
// from the catalog plan at checkout.
//
// # Coupons
//
// [ApplyCoupon] checks a coupon against an order and a [CouponContext] and
// records the discount on the order; the total never goes below zero. A use
// is counted when the order is placed with the coupon (the store counts it
// with a conditional update, so limits hold under concurrency) and is given
// back — never paid out — when the order ends without being kept: expired,
// cancelled, refunded or swapped ([Order.CouponReturns], [RestoreUse];
// SEED-REQUIREMENTS A17).
//
// # Idempotency
//
// [Replay] is the Idempotency-Key decision of checkout and other POSTs:
// keys are scoped to the account (the store looks a record up by account
// and key) and kept at least [IdemRetention].
package order
