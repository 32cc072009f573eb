// Package usage is the pure domain of traffic metering (issue 14, clause
// 3.1.a, SEED-REQUIREMENTS A4, A5, A13): samples of bytes per interval,
// their validation, the billed bytes of a sample in a product's billed
// direction, usage as of an instant (later intervals ignored, a
// straddling interval counted pro rata), quotas with traffic packs
// consumed in purchase order, and the 80 % and 100 % thresholds.
//
// Only customer-class traffic counts: provider traffic (image pulls,
// agents) and mitigated traffic (attacks dropped by DDoS mitigation) are
// recorded but never billed or counted toward the refund threshold. A
// sample is immutable: the same (service, interval start) sent again
// with the same figures is a duplicate, with other figures a conflict to
// quarantine — never summed, never replaced.
package usage
