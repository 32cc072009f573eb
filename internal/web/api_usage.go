package web

// Usage (issue 14): node ingestion with a token, a service's usage for its
// customer, usage and quarantined samples for staff.
func registerUsage(s *server) {}
