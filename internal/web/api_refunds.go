package web

// Refunds (issue 15): the eligibility preview, requests and their
// withdrawal; the staff review queue and decisions.
func registerRefunds(s *server) {}
