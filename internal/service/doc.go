// Package service is the pure domain of what an order delivers (DESIGN.md
// §2 "service", issue 12): a service's term, its suspension reasons (several
// at once), renewals, expiry with a grace period, termination and data
// retention, term extensions with a reason, and proration of upgrades and
// downgrades to the day.
//
// It does no I/O. Times are instants; calendar arithmetic (a month, a
// day) is done in China Standard Time (UTC+8, no daylight saving), the
// calendar the agreement and its customers live by, so that a term bought at
// 00:30 on 31 January in Beijing ends at 00:30 on 28 (or 29) February, not
// on 2 or 3 March.
//
// # States
//
// pending → active ⇄ suspended → terminated. A service is suspended exactly
// while it holds at least one [Reason] (overdue, quota, compliance,
// refund_pending); resuming one reason of several keeps it suspended.
// Terminated is final.
//
// # Rounding
//
// Proration is stated once, here: the share of a cycle is counted in whole
// days of CST (a started day counts as remaining), and every prorated amount
// is rounded to the fen in the customer's favour — a charge down, a credit
// up ([Prorate]).
package service
