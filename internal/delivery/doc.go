// Package delivery is the pure domain of delivery (issue 13, clauses 2.2
// and 2.3): certificate states with the instants the refund rules read,
// the inspection window after delivery (inclusive end), the delivery
// deadline and its breach, and the address history that answers "who held
// this address at time T" (Cybersecurity Law art. 21, 23).
//
// It does no I/O; drivers, nodes and the agent live in the app and
// provider layers.
package delivery
