// Package compliance is the pure domain of use-rule enforcement (issue
// 16, clauses 4 and 6.2): the use rules as codes with their clauses, the
// violation case and appeal state machines, the measure ladder, and the
// traffic detector that turns hourly outbound customer traffic into
// signals — never into a measure by itself, except the extreme level's
// emergency suspension of one service, which lapses unless a person
// confirms it.
//
// It does no I/O.
package compliance
