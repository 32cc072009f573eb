package web

// Services (issue 12): a customer's services, renewals, plan changes and
// automatic renewal; staff service views and actions.
func registerServices(s *server) {}
