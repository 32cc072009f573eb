package web

// Payments (issue 10): top-ups and payment attempts through the gateways;
// finance's attempts, flags, reconciliation and pay-to-route.
func registerPayments(s *server) {}
