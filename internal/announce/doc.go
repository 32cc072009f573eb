// Package announce is the pure domain of announcements, maintenance and
// incidents (issue 17, clauses 6.2, 7 and 9.3): whether a maintenance
// window counts as notified to a customer (a notice delivered by email or
// SMS at least maintenance.notice_hours before its start — the in-app inbox
// never counts), the exemption of clause 7 read from an incident's cause tag
// and the notice record (never from free text), the term extension a
// non-exempt outage owes, and the pro-rata refund of an assignment (9.3).
//
// It does no I/O.
package announce
