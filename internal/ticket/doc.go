// Package ticket holds the rules of support tickets (工单, clause 5 of the
// agreement: customers consult, complain, suggest and ask for refunds or
// swaps through official channels; clause 6: the company answers). It is
// pure: categories, priorities and departments, the state machine
// open → answered ⇄ customer_reply → closed with a reopen window, the
// first-response and resolution targets per category and priority (hours
// or PRC working days), the auto-close rule of ticket.auto_close_days, and
// the attachment rules (types by magic bytes, never executables; a size
// limit). The app layer persists, authorises and notifies.
package ticket
