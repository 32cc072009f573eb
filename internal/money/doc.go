// Package money is yuanxu's one representation of an amount: [Fen], an
// int64 count of fen (1/100 yuan), CNY only (DESIGN §6 "money is BIGINT
// fen"; STYLE §4.5: no floats anywhere). It parses and formats yuan text,
// does checked arithmetic that reports overflow instead of wrapping, takes
// percentages with an explicit [Rounding], and splits an amount in
// proportion with [Allocate] so that the parts always sum to the whole.
//
// Every user-facing failure is an *errs.Error of Kind Invalid with one of
// the Code* constants below; nothing in this package panics on input.
// It does no I/O and imports no outer layer.
package money
